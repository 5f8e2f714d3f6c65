"""Which page of which supplier to fetch next, and when a supplier's time is up.

One request at a time per supplier and per host, whatever the delay and whatever the downloader
does: a supplier's next page is handed out only once its last one has finished (callback or
errback ran), and never while another supplier's page on the same host is in flight. Each supplier
has a time budget from its first request, and the night has one overall; pages left when either
runs out are not fetched, and say why. Plain logic, no Scrapy: the offers spider drives it.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlparse

from spiders.offer import OfferSpec

_ids = itertools.count(1)


def duration(seconds: float) -> str:
    """``90`` -> "90 s", ``600`` -> "10 min", ``5400`` -> "1 h 30 min"."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min".replace(" 0 min", "") if minutes >= 60 else f"{minutes} min"


@dataclass(eq=False)
class Fetch:
    """One page to fetch for one supplier, and the offers read from it."""

    supplier: str
    url: str
    render: bool
    offers: list[OfferSpec]
    second_look: bool = False  # fetched again because the first look seemed wrong
    id: int = field(default_factory=lambda: next(_ids))

    @cached_property
    def host(self) -> str:
        """The server asked: host and port (the same server for every supplier that shares them).
        Kept: the schedule asks it of every supplier's next page at every step of the night."""
        parts = urlparse(self.url)
        try:
            port = parts.port or parts.scheme
        except ValueError:  # a port no request can be made of: its request fails, for this page alone
            port = parts.netloc.rsplit(":", 1)[-1]
        return f"{(parts.hostname or '').lower()}:{port}"


@dataclass(eq=False)
class SupplierPlan:
    """A supplier's pages for tonight: waiting, in flight, and its deadline once started."""

    supplier: str
    waiting: deque[Fetch] = field(default_factory=deque)
    current: Fetch | None = None
    deadline: float | None = None  # set by the first request
    skipped: str | None = None  # why its remaining pages are not fetched tonight
    first_look_done: bool = False

    @property
    def done(self) -> bool:
        return self.current is None and not self.waiting


def group_fetches(offers: list[OfferSpec], url_of, second_look: bool = False) -> list[Fetch]:  # noqa: ANN001
    """One fetch per supplier and page: offers that share a page share its request."""
    by_page: dict[tuple[str, str, bool], list[OfferSpec]] = {}
    for offer in offers:
        by_page.setdefault((offer.supplier, url_of(offer), offer.render), []).append(offer)
    return [Fetch(supplier, url, render, group, second_look) for (supplier, url, render), group in by_page.items()]


class Schedule:
    """Tonight's fetches, handed out one at a time per supplier and host, within the budgets."""

    def __init__(self, fetches: list[Fetch], supplier_budget: float, night_budget: float, now: float,
                 suppliers_at_once: int | None = None) -> None:
        self.supplier_budget = supplier_budget
        self.night_budget = night_budget
        # Suppliers begun and not done, at most: as many as requests may be in flight. A supplier is
        # then crawled through as soon as it has begun, and its prices leave memory for the
        # database as it ends, instead of every supplier advancing a page at a time and all of
        # them ending together at the end of the night (100,000 offers held until then).
        self.suppliers_at_once = suppliers_at_once
        self.night_deadline = now + night_budget
        self.plans: dict[str, SupplierPlan] = {}
        for fetch in fetches:
            self.plans.setdefault(fetch.supplier, SupplierPlan(fetch.supplier)).waiting.append(fetch)
        self.dropped: list[tuple[Fetch, str]] = []  # not fetched, and why: handed over by take_dropped()

    def _busy_hosts(self) -> set[str]:
        return {p.current.host for p in self.plans.values() if p.current is not None}

    def deadline(self, supplier: str) -> float:
        plan = self.plans[supplier]
        return min(plan.deadline, self.night_deadline) if plan.deadline is not None else self.night_deadline

    def budget_key(self, supplier: str) -> str:
        """The config key of the budget that ends ``supplier``'s night first."""
        plan = self.plans[supplier]
        supplier_first = plan.deadline is not None and plan.deadline <= self.night_deadline
        return "crawl.supplier_budget_minutes" if supplier_first else "crawl.night_budget_minutes"

    def pages_left(self, supplier: str) -> int:
        plan = self.plans[supplier]
        return len(plan.waiting) + (plan.current is not None)

    def next_fetches(self, now: float) -> list[Fetch]:
        """The fetches that may start now: each supplier's next page, when the supplier has nothing in
        flight and no other supplier is fetching from the same host."""
        self.expire(now)
        busy = self._busy_hosts()
        ready = []
        begun = sum(1 for p in self.plans.values() if p.deadline is not None and not p.done)
        for plan in self.plans.values():
            if plan.deadline is None and self.suppliers_at_once is not None and begun >= self.suppliers_at_once:
                continue  # not begun yet, and as many suppliers as requests may go are under way
            if plan.current is None and plan.waiting and plan.waiting[0].host not in busy:
                plan.current = plan.waiting.popleft()
                if plan.deadline is None:
                    plan.deadline = now + self.supplier_budget
                    begun += 1
                busy.add(plan.current.host)
                ready.append(plan.current)
        return ready

    def finished(self, fetch: Fetch) -> None:
        """The fetch's callback or errback has run: the supplier's next page may go."""
        plan = self.plans[fetch.supplier]
        if plan.current is fetch:
            plan.current = None

    def in_flight(self) -> list[Fetch]:
        return [p.current for p in self.plans.values() if p.current is not None]

    def add(self, fetches: list[Fetch]) -> None:
        """More pages for suppliers (second looks), fetched after what is already waiting."""
        for fetch in fetches:
            plan = self.plans[fetch.supplier]
            if plan.skipped:
                self.dropped.append((fetch, plan.skipped))
            else:
                plan.waiting.append(fetch)

    def skip(self, supplier: str, reason: str) -> None:
        """Fetch nothing more from ``supplier`` tonight, for ``reason``."""
        plan = self.plans[supplier]
        plan.skipped = plan.skipped or reason
        while plan.waiting:
            self.dropped.append((plan.waiting.popleft(), plan.skipped))

    def expire(self, now: float) -> None:
        """Drop the waiting pages of suppliers whose budget, or the night's, has run out."""
        for plan in self.plans.values():
            if plan.waiting and now >= self.deadline(plan.supplier):
                night = now >= self.night_deadline
                self.skip(plan.supplier, "time budget exceeded: " + (
                    f"the night's crawl took more than its {duration(self.night_budget)} (crawl.night_budget_minutes)" if night
                    else f"this supplier's pages took more than the {duration(self.supplier_budget)} allowed each night "
                         "(crawl.supplier_budget_minutes)"))

    def take_dropped(self) -> list[tuple[Fetch, str]]:
        dropped, self.dropped = self.dropped, []
        return dropped

    @property
    def done(self) -> bool:
        return all(plan.done for plan in self.plans.values()) and not self.dropped
