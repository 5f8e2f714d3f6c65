"""supplywatch: watch supplier prices for raw materials and alert when they move."""

__version__ = "0.1.0"
