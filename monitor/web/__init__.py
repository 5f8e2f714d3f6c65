"""The owner's pages in Datasette: what they show (queries), how they draw (charts), the hooks (plugin)."""
