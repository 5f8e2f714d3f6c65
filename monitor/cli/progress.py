"""Progress of a crawl on a terminal: offers done of the total, per supplier, on one line."""

from __future__ import annotations

import shutil
import sys
from typing import Any, Callable, TextIO

from ..config import Config


class Progress:
    """Rewrites one status line on ``stream`` as items arrive; prints nothing when it is not a
    terminal (cron), so the log keeps only the summary."""

    def __init__(self, config: Config, stream: TextIO | None = None, verbose: bool = False):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.verbose = verbose
        offers = [o for o in config.offers() if o.active]
        self.names = {s.id: s.name for s in config.suppliers}
        self.materials = {m.id: m.name for m in config.materials}
        self.total = {s: sum(o.supplier == s for o in offers) for s in dict.fromkeys(o.supplier for o in offers)}
        self.done: dict[str, set[str]] = {s: set() for s in self.total}

    def __call__(self, item: dict[str, Any]) -> None:
        supplier, offer = item.get("supplier"), item.get("offer_id")
        if supplier not in self.done or offer is None:
            return  # exchange rates, or an offer the config no longer has
        self.done[supplier].add(offer)
        if self.verbose:
            outcome = "price read" if item.get("status") == "ok" else f"{item.get('status')}: {item.get('error') or 'no detail'}"
            self._clear()
            print(f"  {self.names[supplier]}: {self.materials.get(item.get('material', ''), offer)}: {outcome}", file=self.stream)
        if self.live:
            self._draw()

    def _draw(self) -> None:
        done = sum(len(d) for d in self.done.values())
        total = sum(self.total.values())
        parts = [f"{self.names[s]} {len(self.done[s])}/{n}" for s, n in self.total.items()]
        line = f"Fetched {done} of {total} offers: " + ", ".join(parts)
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.stream.write("\r" + (line if len(line) <= width else line[: width - 3] + "...").ljust(width))
        self.stream.flush()

    def _clear(self) -> None:
        if self.live:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")

    def echo_with(self, echo: Callable[[str], None]) -> Callable[[str], None]:
        """``echo`` for a message of the run (the digest when no URL is set), clearing the
        progress line first so the two do not mangle each other."""
        def cleared(text: str) -> None:
            self._clear()
            echo(text)

        return cleared

    def finish(self) -> None:
        """Leave the terminal as it was before the progress line."""
        self._clear()
        if self.live:
            self.stream.flush()
