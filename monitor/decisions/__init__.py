"""Decisions: from "a price moved" to "what to do". What-if on margins, public indexes beside the
suppliers, stock and runway, the buy-window call, order size, open quotes, and the to-do list.

One module per concept: ``whatif`` (moves, scenarios, sensitivity), ``indexes`` (public series:
due, stored, read as known on a day), ``market`` (index rules), ``stock`` (counts, purchases,
usage), ``runway`` (runway, reorder date, price state), ``buywindow`` (the verdict), ``ordersize``
(which purchase), ``quotes`` (open quotes), ``todo`` (the owner's list), ``nightly`` (all of it
after a run), ``backtests`` (the verdict and the index rules on public histories).
"""

from .nightly import Tonight, evaluate, status_lines

__all__ = ["Tonight", "evaluate", "status_lines"]
