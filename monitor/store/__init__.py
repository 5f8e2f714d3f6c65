"""The store: where a price is kept. One SQLite file (schema, pricing of each observation, writes)."""

from .database import NoDatabase, Unwritable, backup, durably, now_iso, open_db, read_only_mode, refuse_early, sync_config
from .collector import collector_paused
from .observations import final_rows, record_observations, record_rates, to_refetch
from .runs import CRAWL_STATS, crawl_health, finish_run, start_run, summarize
from .schema import SchemaError

__all__ = [
    "CRAWL_STATS", "NoDatabase", "SchemaError", "Unwritable", "backup", "collector_paused", "crawl_health", "durably", "final_rows", "finish_run", "now_iso", "open_db", "read_only_mode", "record_observations", "refuse_early",
    "record_rates", "start_run", "summarize", "sync_config", "to_refetch",
]
