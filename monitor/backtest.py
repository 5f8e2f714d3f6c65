"""``supplywatch backtest``: replay a price history through the nightly pipeline, one run per night.

Two sources: a CSV series replayed as one offer under a rule set (the built-in defaults, or a
material's rules), or the config's own database, whose stored nights are replayed under today's
config (every offer, material, product and extraction rule) to see what the current rules would
have told. Both use :class:`monitor.pipeline.Run` on a scratch database, with the immediate
re-fetch of a suspect price that a real night does, so what the backtest reports is what the
nightly job would have sent: every alert with its date, severity and value, and how often the
phone would have rung.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import alerts, display, notify
from .config import Config
from .pipeline import Run, RunResult, open_store
from .rules import DEFAULT_RULES, RuleKind

SERIES_OFFER = "series@series"


@dataclass(frozen=True)
class BacktestEvent:
    """One thing the owner would have been told."""

    date: str
    event: str
    kind: str
    rule: str
    severity: str
    direction: str
    target: str
    price: float | None
    message: str
    pushed: bool


@dataclass
class BacktestResult:
    rows: int
    first: str
    last: str
    events: list[BacktestEvent] = field(default_factory=list)
    suspect_rows: int = 0

    @property
    def years(self) -> float:
        return max((date.fromisoformat(self.last) - date.fromisoformat(self.first)).days / 365.25, 1 / 365.25)

    def count(self, pushed: bool | None = None, events: Sequence[str] = ("fired", "escalated")) -> int:
        return sum(1 for e in self.events if e.event in events and (pushed is None or e.pushed == pushed))

    def as_json(self) -> dict[str, Any]:
        per_year = Counter(e.date[:4] for e in self.events if e.event in ("fired", "escalated"))
        pushes = Counter(e.date[:4] for e in self.events if e.pushed)
        return {
            "rows": self.rows, "first": self.first, "last": self.last, "years": round(self.years, 2),
            "suspect_rows": self.suspect_rows, "alerts": [asdict(e) for e in self.events],
            "alerts_per_year": round(self.count() / self.years, 2), "pushes_per_year": round(self.count(pushed=True) / self.years, 2),
            "per_year": {year: {"alerts": per_year[year], "pushes": pushes[year]} for year in sorted(per_year | pushes)},
        }

    def collect(self, day: str, result: RunResult, price: Callable[[alerts.Transition], float | None]) -> None:
        """The run's told transitions (weekly reminders aside), each marked pushed if a phone push carried it."""
        for t in result.transitions:
            if not t.told or t.event == alerts.Event.REMINDED:
                continue
            self.events.append(BacktestEvent(day, t.event.value, t.alert.kind, t.alert.rule, t.severity.value, t.alert.direction,
                                             t.alert.label or t.alert.fingerprint, price(t), t.message, notify.is_push(t)))


def read_series(path: Path, date_column: str, price_column: str) -> list[tuple[str, float]]:
    """(date, price) rows of a CSV; empty cells are skipped, anything else unreadable is an error."""
    series = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for name in (date_column, price_column):
            if name not in (reader.fieldnames or []):
                raise ValueError(f"{path}: no column {name!r} (columns: {', '.join(reader.fieldnames or [])})")
        for number, row in enumerate(reader, 2):
            cell = (row[price_column] or "").strip()
            if not cell:
                continue
            try:
                series.append((date.fromisoformat(row[date_column].strip()[:10]).isoformat(), float(cell)))
            except ValueError:
                raise ValueError(f"{path}:{number}: cannot read {row[date_column]!r} / {cell!r} as a date and a price") from None
    if not series:
        raise ValueError(f"{path}: no prices in column {price_column!r}")
    return sorted(series)


def series_name(path: Path) -> str:
    """A series in words, from its file's name: "Mill shapes" for mill-shapes.csv, "Coconut history"
    for coconut_history.csv (never its price column: "WPU102501" says nothing to the owner)."""
    words = " ".join(path.stem.replace("_", " ").replace("-", " ").split()) or path.name
    return words[0].upper() + words[1:]


def _config(directory: Path, rule_set: tuple[RuleKind, ...], unit: str, currency: str, name: str, source: str) -> Config:
    config = Config.model_validate({
        "database": "backtest.db", "currency": currency, "crawl": {"contact": "backtest@localhost"},
        "suppliers": [{"id": "series", "name": source, "currency": currency}],
        "materials": [{"id": "series", "name": name, "unit": unit,
                       "offers": [{"supplier": "series", "url": "http://backtest.invalid/", "pack": f"1 {unit}"}],
                       "rules": [r.model_dump(exclude_none=True, exclude_unset=True) for r in rule_set]}],
    })
    config._base_dir = directory
    return config


def _night(run: Run, first_looks: list[dict[str, Any]], second_looks: dict[str, dict[str, Any]]) -> RunResult:
    """A night as the nightly job has it: the first looks, a re-fetch at once of what looks like a
    glitch (reading ``second_looks``, the page as it is a moment later), stored, judged, told."""
    again = run.to_refetch(first_looks)
    items = first_looks + [second_looks[o.offer_id] for o in again if o.offer_id in second_looks]
    run.accept(items)
    return run.finish()


def backtest(series: list[tuple[str, float]], rule_set: tuple[RuleKind, ...] = DEFAULT_RULES, unit: str = "each",
             currency: str = "USD", name: str = "Series", first_looks: dict[int, float] | None = None,
             source: str | None = "the series") -> BacktestResult:
    """Replay ``series`` as nightly runs and collect every notification the rules would have sent;
    messages name it "<name> at <source>" ("WTI at the series"), or by ``name`` alone when ``source``
    is None (the owner's own file: "Coconut oil up 12%", never "Coconut oil at coconut.csv").

    ``first_looks``: night index -> the price the page showed at the first look that night (an
    injected glitch); the immediate re-fetch reads the series' own price."""
    result = BacktestResult(len(series), series[0][0], series[-1][0])
    glitches = first_looks or {}
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(Path(scratch), rule_set, unit, currency, name, source or "")  # no name: the series alone
        db, _ = open_store(config)
        db.execute("PRAGMA synchronous = OFF")  # a scratch file: speed over durability
        for index, (day, price) in enumerate(series):
            as_of = f"{day}T03:00:00+00:00"
            seen = glitches.get(index, price)
            first = {"offer_id": SERIES_OFFER, "status": "ok", "price": repr(seen), "fetched_at": as_of}
            second = {SERIES_OFFER: {**first, "price": repr(price), "fetched_at": f"{day}T03:00:00.500+00:00"}}
            with Run(db, config, "backtest", as_of, deliver=False, echo=lambda _: None) as run:
                night = _night(run, [first], second)
            result.suspect_rows += any(status != "ok" for status in night_rows(db, night.run_id))
            result.collect(day, night, lambda t: price)  # noqa: B023 (used before the loop moves on)
        db.close()
    return result


def replay(config: Config, nights: int | None = None) -> BacktestResult:
    """Replay the nights stored in the config's database under today's config, on a scratch copy.

    Each stored run's observations are handed over again as the items its crawl gave (the page's
    price, currency and pack), so a changed rule, unit or product is judged on the real history."""
    source, _ = open_store(config)
    runs = [r for r in source.query("SELECT id, as_of FROM runs WHERE status != 'running' AND source != 'backtest' ORDER BY as_of, id")]
    if nights:
        runs = runs[-nights:]
    if not runs:
        raise ValueError(f"{config.database_path}: no stored runs to replay")
    result = BacktestResult(len(runs), runs[0]["as_of"][:10], runs[-1]["as_of"][:10])
    known = {o.offer_id for o in config.offers()}
    with tempfile.TemporaryDirectory() as scratch:
        copy = config.model_copy(update={"database": "replay.db"})
        copy._base_dir = Path(scratch)
        db, _ = open_store(copy)
        db.execute("PRAGMA synchronous = OFF")
        for run_row in runs:
            items = [_item(row) for row in source.query(
                "SELECT * FROM observations WHERE run_id = ? ORDER BY fetched_at, id", [run_row["id"]]) if row["offer_id"] in known]
            with Run(db, copy, "backtest", run_row["as_of"], deliver=False, echo=lambda _: None) as run:
                run.accept(items)
                night = run.finish()
            result.suspect_rows += sum(1 for r in night_rows(db, night.run_id) if r != "ok")
            result.collect(run_row["as_of"][:10], night, lambda t: t.value)
        db.close()
    return result


def night_rows(db: Any, run_id: int) -> Iterable[str]:
    return (r[0] for r in db.execute("SELECT status FROM observations WHERE run_id = ?", [run_id]))


def _item(row: dict[str, Any]) -> dict[str, Any]:
    """A stored observation as the item its crawl handed over."""
    import json

    status = row["status"] if row["status"] != "suspect" else "ok"  # judged again under today's config
    return {"offer_id": row["offer_id"], "status": status, "price": row["price"], "currency": row["currency"], "pack": row["pack"],
            "pack_source": row["pack_source"], "in_stock": None if row["in_stock"] is None else bool(row["in_stock"]),
            "method": row["method"], "raw": row["raw"], "error": row["error"], "http_status": row["http_status"],
            "fetched_at": row["fetched_at"], "note": row["note"], "list_price": row["list_price"],
            "tiers": json.loads(row["tiers"]) if row["tiers"] else None}


def _rate(per_year: float) -> str:
    """"about 12 a year", "about one a year", "about one every 6 years", "none". Under one a year the
    gap between alerts is what is rounded, so 0.67-0.95 a year (a gap of 1.05-1.5 years) reads "about
    one a year", never "one every 1 years"."""
    if per_year == 0:
        return "none"
    every = round(per_year) if per_year >= 1 else round(1 / per_year)
    if every == 1:
        return "about one a year"
    return f"about {every:,} a year" if per_year >= 1 else f"about one every {every:,} years"


def report(result: BacktestResult, path: str) -> str:
    """What the replay would have told, day by day in words; rates a year only over half a year or more
    (four alerts in one night are not 1,461 a year)."""
    days = (date.fromisoformat(result.last) - date.fromisoformat(result.first)).days
    span = f"{days:,} days" if days < 730 else f"{result.years:.1f} years"
    head = f"{path}: {result.rows:,} nights from {display.day(result.first)} to {display.day(result.last)} ({span})"
    if result.suspect_rows:
        head += f", {display.count(result.suspect_rows, 'price')} held back as suspect"
    lines = [head]
    for e in result.events:
        mark = "phone " if e.pushed else "      "
        lines.append(f"  {display.day(e.date):>11}  {mark}{e.event:<9} {e.severity:<8} {e.kind:<10}  {e.message}")
    alerts, pushed = result.count(), result.count(pushed=True)
    total = f"\n{display.count(alerts, 'alert')}, {pushed:,} of them pushed to the phone"
    if alerts and days >= 182:
        total += f" ({_rate(alerts / result.years)}, {_rate(pushed / result.years)} on the phone)"
    lines.append(total)
    return "\n".join(lines)


