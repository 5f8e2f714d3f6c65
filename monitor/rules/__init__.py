"""The rules: where a price is judged. Rule kinds (what an owner may write), the checks behind them,
and their evaluation on stored history for materials and products."""

from .checks import Finding, OfferView, Point, describe, parse_time
from .evaluate import evaluate, extraction_findings, window_days

__all__ = ["Finding", "OfferView", "Point", "describe", "evaluate", "extraction_findings", "parse_time", "window_days"]
