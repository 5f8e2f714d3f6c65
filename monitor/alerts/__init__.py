"""Alerts: what was judged, kept as state (pending, firing, resolved) and quieted by silences."""

from .state import REMIND_EVERY, SEVERITY_RANK, Transition, apply, open_alerts

__all__ = ["REMIND_EVERY", "SEVERITY_RANK", "Transition", "apply", "open_alerts"]
