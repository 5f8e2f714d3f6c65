"""Progress of a crawl on a terminal: offers done of the total, per supplier, on one line."""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from typing import Any, Callable, TextIO

from ..config import Config


class Progress:
    """Rewrites one status line on ``stream`` as items arrive; prints nothing when it is not a
    terminal (cron), so the log keeps only the summary."""

    def __init__(self, config: Config, stream: TextIO | None = None, verbose: bool = False):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.verbose = verbose
        self.names = {s.id: s.name for s in config.suppliers}
        self.materials = {m.id: m.name for m in config.materials}
        # Counted in one pass: per supplier over all offers was 2,000 x 100,000 steps on a co-op's night.
        self.total = dict(Counter(o.supplier for o in config.offers() if o.active))
        self.done: dict[str, set[str]] = {s: set() for s in self.total}
        self.all = sum(self.total.values())
        self.fetched = 0
        self.drawn = 0.0

    def __call__(self, item: dict[str, Any]) -> None:
        supplier, offer = item.get("supplier"), item.get("offer_id")
        if supplier not in self.done or offer is None:
            return  # exchange rates, or an offer the config no longer has
        if offer not in self.done[supplier]:
            self.done[supplier].add(offer)
            self.fetched += 1
        if self.verbose:
            outcome = "price read" if item.get("status") == "ok" else f"{item.get('status')}: {item.get('error') or 'no detail'}"
            self._clear()
            print(f"  {self.names[supplier]}: {self.materials.get(item.get('material', ''), offer)}: {outcome}", file=self.stream)
        if self.live and (time.monotonic() - self.drawn >= 0.1 or self.fetched == self.all):
            self._draw()

    def _draw(self) -> None:
        """The line, at most ten times a second: a co-op's night reads 100,000 offers of 2,000 suppliers."""
        self.drawn = time.monotonic()
        width = shutil.get_terminal_size((100, 20)).columns - 1
        line = f"Fetched {self.fetched} of {self.all} offers: "
        for s, n in self.total.items():  # only as many suppliers as the line has room for
            if len(line) > width:
                break
            line += f"{self.names[s]} {len(self.done[s])}/{n}, "
        line = line.removesuffix(", ")
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
