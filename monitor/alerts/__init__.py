"""Alerts: what was judged, kept as state (pending, firing, resolved, retired), every transition in
an event log, quieted by silences."""

from .events import carried_by, record as record_events, untold
from .identity import live_fingerprints, reconcile, rekey
from .state import OPEN, REMIND_EVERY, Alert, AlertState, Event, Gone, Transition, apply, firing, open_alerts, retire

__all__ = [
    "OPEN", "REMIND_EVERY", "Alert", "AlertState", "Event", "Gone", "Transition", "apply", "carried_by", "firing", "live_fingerprints",
    "open_alerts", "reconcile", "record_events", "rekey", "retire", "untold",
]
