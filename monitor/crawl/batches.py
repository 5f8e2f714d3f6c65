"""A night's items handed over supplier by supplier, as each supplier's crawl ends.

Holding a whole night in memory does not scale (100,000 offers), and one slow supplier should not
hold back the others' prices. Both the in-process crawl and the scrapyd crawl count each item
against the offers they were given; once every offer of a supplier has its item, that supplier's
items leave as one batch. Offers that never produced an item are accounted for when the crawl
ends (one mechanism for both crawls): each gets an error item saying why, never a price.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Iterator

from spiders.offer import OfferSpec

from ..store import now_iso

NODE_ERROR = "node_error"  # the page was not fetched because a crawling machine failed: not the supplier's doing


def error_item(offer: OfferSpec, why: str, fetched_at: str, status: str = "error") -> dict[str, Any]:
    """What is stored for an offer the crawl gave nothing for: the reason, never a price."""
    return {
        "offer_id": offer.offer_id, "material": offer.material, "supplier": offer.supplier, "url": offer.url,
        "status": status, "price": None, "currency": offer.currency, "pack": offer.pack, "error": why, "fetched_at": fetched_at,
    }


class SupplierBatches:
    """Counts a crawl's items per supplier and releases each supplier's batch once it is complete."""

    def __init__(self, offers: Iterable[OfferSpec]):
        self.offers = {o.offer_id: o for o in offers}
        self.waiting: dict[str, set[str]] = defaultdict(set)  # supplier -> offer ids without an item yet
        for offer in self.offers.values():
            self.waiting[offer.supplier].add(offer.offer_id)
        self.held: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.done: set[str] = set()  # offers with their item, handed over or held
        self.latest = ""  # the newest fetched_at seen, for error items made at the end

    def __len__(self) -> int:
        return sum(len(w) for w in self.waiting.values())

    def pending(self) -> set[str]:
        """Offers still without an item."""
        return {o for waiting in self.waiting.values() for o in waiting}

    def add(self, item: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Take one item; returns its supplier's batch when this item completes it. An item for an
        offer that already has one (a second look, a duplicate line) is returned on its own."""
        offer_id = item.get("offer_id")
        if offer_id not in self.offers:
            return None
        self.latest = max(self.latest, str(item.get("fetched_at") or ""))
        if offer_id in self.done:
            return [item]
        supplier = self.offers[offer_id].supplier
        self.done.add(offer_id)
        self.held[supplier].append(item)
        self.waiting[supplier].discard(offer_id)
        if self.waiting[supplier]:
            return None
        del self.waiting[supplier]
        return self.held.pop(supplier)

    def close(self, why: dict[str, tuple[str, str]] | None = None, default: str = "the crawl gave no item for this offer",
              fetched_at: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """The remaining batches, each offer without an item given an error item: ``why`` maps an
        offer to its (status, reason), others get ``default``."""
        moment = fetched_at or self.latest or now_iso()
        why = why or {}
        for supplier in list(self.waiting):
            batch = self.held.pop(supplier, [])
            for offer_id in sorted(self.waiting.pop(supplier)):
                status, reason = why.get(offer_id, ("error", default))
                batch.append(error_item(self.offers[offer_id], reason, moment, status))
                self.done.add(offer_id)
            yield batch
