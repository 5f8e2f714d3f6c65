"""Writing observations: each item priced, judged and stored; a batch in one transaction."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Sequence

import sqlite_utils

from ..config import Config
from .collector import collector_paused
from .items import PriceItem, RateItem, Status
from .pricing import COLUMNS, RECENT, Catalog, Doubt, Observation, Pricing, window_text

_INSERT = f"INSERT OR IGNORE INTO observations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def record_observations(db: sqlite_utils.Database, config: Config, run_id: int,
                        items: Iterable[PriceItem | Mapping[str, Any]], late: bool = False,
                        catalog: Catalog | None = None, priced: Sequence[Observation] = ()) -> list[Observation]:
    """Store a batch of items in one transaction: a crash leaves all of them or none. (An item given
    as a plain mapping is checked into a :class:`PriceItem` first.) ``late``: items crawled earlier
    (an ingested feed), which take the place of the *node error* a run recorded for the same offer
    when the crawling machine failed before their feed was collected. ``catalog``: the run's, built
    once. Only the batch's offers' recent prices are read: a batch costs its own size, not the night's.
    ``priced``: the rows of the batch's first items, priced already against the store as it is now
    (:meth:`monitor.pipeline.Run.to_refetch`), each offer once: stored as they are, not priced twice."""
    with collector_paused():  # the catalog and the items too: a collection walks the whole config
        checked = [i if isinstance(i, PriceItem) else PriceItem.from_mapping(i) for i in items]
        pricing = Pricing(db, config, catalog)
        return _stored(db, run_id, checked, pricing, late, priced)


def _stored(db: sqlite_utils.Database, run_id: int, checked: list[PriceItem], pricing: Pricing, late: bool,
            priced: Sequence[Observation]) -> list[Observation]:
    rows: list[Observation] = []
    with db.atomic():
        if late:
            db.conn.executemany(REPLACED_NODE_ERRORS, [(i.offer_id, i.fetched_at, i.fetched_at) for i in checked if i.fetched_at])
        last_id = db.execute("SELECT max(id) FROM observations").fetchone()[0] or 0
        pricing.preload(checked)
        changes = db.conn.total_changes
        newest: dict[str, tuple[int, str]] = {}  # each offer's newest valid row: its id if every row goes in, its time
        number = last_id
        for first, round_ in enumerate(_rounds(checked)):
            reused = list(priced[:len(round_)]) if first == 0 else []
            batch = reused + [pricing.observation(run_id, item) for item in round_[len(reused):]]
            for row_id, row in enumerate(batch, number + 1):
                if row.status == Status.OK and pricing.accepted(row):  # the offer's newest so far
                    newest[row.offer_id] = (row_id, row.fetched_at)
            number += len(batch)
            # The hot path of every run: one prepared statement rather than sqlite-utils' per-call
            # introspection. OR IGNORE: the same feed ingested twice stores nothing twice.
            db.conn.executemany(_INSERT, map(tuple, batch))  # plain tuples: sqlite3 binds them a third faster than NamedTuples
            rows += batch
        assert pricing.windows is not None
        windows = pricing.windows
        # Point each offer at its newest valid observation, with its last ten unit prices for
        # tomorrow's plausibility check. When every row went in, they took the ids after last_id in
        # order (SQLite gives a new row the largest id plus one): one upsert per offer writes both.
        inserted = db.conn.total_changes - changes
        if inserted == len(rows) and db.execute("SELECT max(id) FROM observations").fetchone()[0] == last_id + len(rows):
            db.conn.executemany(LATEST, [(o, row_id, fetched_at, windows[o].text) for o, (row_id, fetched_at) in newest.items()])
        else:  # some rows were stored before (a feed ingested again): find the new rows' ids
            db.execute(
                "INSERT INTO latest_observations (offer_id, observation_id, fetched_at) "
                "SELECT offer_id, id, fetched_at FROM observations WHERE run_id = ? AND id > ? AND status = 'ok' ORDER BY id "
                "ON CONFLICT (offer_id) DO UPDATE SET observation_id = excluded.observation_id, fetched_at = excluded.fetched_at "
                "WHERE excluded.fetched_at > latest_observations.fetched_at",
                [run_id, last_id],
            )
            db.conn.executemany("UPDATE latest_observations SET recent_unit_prices = ? WHERE offer_id = ?",
                                [(window_text(windows[o].unit_prices), o) for o in pricing.changed])
        db.conn.executemany(RECOUNT_RECENT, [(o,) for o in pricing.out_of_order])
    return rows


LATEST = (
    "INSERT INTO latest_observations (offer_id, observation_id, fetched_at, recent_unit_prices) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (offer_id) DO UPDATE SET observation_id = excluded.observation_id, fetched_at = excluded.fetched_at, "
    "recent_unit_prices = excluded.recent_unit_prices WHERE excluded.fetched_at > latest_observations.fetched_at"
)


# A node error stands for a fetch its run gave up on; the fetch's own item, collected late, replaces it.
REPLACED_NODE_ERRORS = (
    "DELETE FROM observations WHERE offer_id = ? AND status = 'node_error' AND fetched_at >= ? "
    "AND run_id IN (SELECT id FROM runs WHERE started_at <= ?)"
)

# An offer's window rebuilt from its history, after a price older than its newest one arrives (or
# after its prices were re-expressed in another unit or currency).
RECOUNT_RECENT = (
    "UPDATE latest_observations SET recent_unit_prices = (SELECT json_group_array(unit_price) FROM ("
    " SELECT o.unit_price FROM observations o JOIN offers f ON f.id = o.offer_id JOIN materials m ON m.id = f.material_id"
    " WHERE o.offer_id = latest_observations.offer_id AND o.status = 'ok' AND o.unit = m.unit"
    f" AND o.home_currency = m.currency ORDER BY o.fetched_at DESC LIMIT {RECENT})) WHERE offer_id = ?"
)


def _rounds(items: list[PriceItem]) -> Iterator[list[PriceItem]]:
    """Split items where an offer comes again: a re-fetch is judged against the first look, so the
    first must be stored before the second is priced."""
    if items and len({item.offer_id for item in items}) == len(items):  # each offer once, as most batches come
        yield items
        return
    current: list[PriceItem] = []
    seen: set[str] = set()
    for item in items:
        if item.offer_id in seen:
            yield current
            current, seen = [], set()
        current.append(item)
        seen.add(item.offer_id)
    if current:
        yield current


def final_rows(rows: list[Observation]) -> list[Observation]:
    """The last observation of each offer in a run: a re-fetch supersedes the first look."""
    return list({row.offer_id: row for row in rows}.values())


def to_refetch(rows: list[Observation]) -> list[str]:
    """Offers whose price looks like a glitch (a x5 jump, a zero, a changed pack): look again at once."""
    return [row.offer_id for row in final_rows(rows) if row.status == Status.SUSPECT and row.doubt in (Doubt.JUMP, Doubt.PACK, Doubt.NOT_POSITIVE)]


def record_rates(db: sqlite_utils.Database, rates: Iterable[RateItem]) -> int:
    """Store reference exchange rates (per EUR) collected by the rates spider; returns how many."""
    rows = [{"date": r.date, "currency": r.currency, "per_eur": r.per_eur, "source": r.source} for r in rates]
    if rows:
        with db.atomic():
            db["exchange_rates"].upsert_all(rows, pk=("date", "currency", "source"))
    return len(rows)
