"""The store: where a price is kept. One SQLite file (schema, pricing of each observation, writes)."""

from .database import backup, now_iso, open_db, sync_config
from .observations import final_rows, record_observations, record_rates
from .runs import CRAWL_STATS, crawl_health, finish_run, start_run, summarize

__all__ = [
    "CRAWL_STATS", "backup", "crawl_health", "final_rows", "finish_run", "now_iso", "open_db", "record_observations",
    "record_rates", "start_run", "summarize", "sync_config",
]
