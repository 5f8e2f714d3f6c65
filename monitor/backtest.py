"""``supplywatch backtest``: replay a price history through the rules, one row per night.

Uses the real store, rules and alert states on a scratch database, so what it reports is what the
nightly job would have sent: every alert with its date, severity and price, and how often the
phone would have rung.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import alerts, notify, rules, store
from .config import Config
from .rules.kinds import DEFAULT_RULES, Rule


@dataclass
class BacktestResult:
    rows: int
    first: str
    last: str
    events: list[dict[str, Any]] = field(default_factory=list)
    suspect_rows: int = 0

    @property
    def years(self) -> float:
        return max((date.fromisoformat(self.last) - date.fromisoformat(self.first)).days / 365.25, 1 / 365.25)

    def count(self, pushed: bool | None = None) -> int:
        return sum(1 for e in self.events if e["event"] in ("fired", "escalated") and (pushed is None or e["pushed"] == pushed))

    def as_json(self) -> dict[str, Any]:
        per_year = Counter(e["date"][:4] for e in self.events if e["event"] in ("fired", "escalated"))
        pushes = Counter(e["date"][:4] for e in self.events if e["pushed"])
        return {
            "rows": self.rows, "first": self.first, "last": self.last, "years": round(self.years, 2),
            "suspect_rows": self.suspect_rows, "alerts": self.events,
            "alerts_per_year": round(self.count() / self.years, 2), "pushes_per_year": round(self.count(pushed=True) / self.years, 2),
            "per_year": {year: {"alerts": per_year[year], "pushes": pushes[year]} for year in sorted(per_year | pushes)},
        }


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


def _config(directory: Path, rule_set: tuple[Rule, ...], unit: str, currency: str, name: str) -> Config:
    config = Config.model_validate({
        "database": "backtest.db", "currency": currency, "crawl": {"contact": "backtest@localhost"},
        "suppliers": [{"id": "series", "name": "the series", "currency": currency}],
        "materials": [{"id": "series", "name": name, "unit": unit,
                       "offers": [{"supplier": "series", "url": "http://backtest.invalid/", "pack": f"1 {unit}"}],
                       "rules": [r.model_dump() for r in rule_set]}],
    })
    config._base_dir = directory
    return config


def backtest(series: list[tuple[str, float]], rule_set: tuple[Rule, ...] = DEFAULT_RULES, unit: str = "each",
             currency: str = "USD", name: str = "Series") -> BacktestResult:
    """Replay ``series`` as nightly runs and collect every notification the rules would have sent."""
    result = BacktestResult(len(series), series[0][0], series[-1][0])
    with tempfile.TemporaryDirectory() as scratch:
        config = _config(Path(scratch), rule_set, unit, currency, name)
        db = store.open_db(config.database_path)
        db.execute("PRAGMA synchronous = OFF")  # a scratch file: speed over durability
        store.sync_config(db, config)
        run_id = store.start_run(db, "backtest", f"{series[0][0]}T03:00:00+00:00")
        for day, price in series:
            as_of = f"{day}T03:00:00+00:00"
            (row,) = store.record_observations(db, config, run_id, [
                {"offer_id": "series@series", "status": "ok", "price": repr(price), "fetched_at": as_of}])
            result.suspect_rows += row["status"] != "ok"
            transitions = alerts.apply(db, rules.evaluate(db, config, as_of), as_of)
            pushed = {i for m in notify.compose(transitions, notify.DigestContext(day)) if m["tag"] == notify.PHONE for i in m["alert_ids"]}
            for t in transitions:
                if t.event == "reminder":
                    continue
                result.events.append({
                    "date": day, "event": t.event, "kind": t.alert["kind"], "rule": t.alert["rule"], "severity": t.alert["severity"],
                    "direction": t.alert["direction"], "price": price, "message": t.alert["message"], "pushed": t.alert["id"] in pushed,
                })
        db.close()
    return result


def report(result: BacktestResult, path: str) -> str:
    summary = result.as_json()
    lines = [f"{path}: {result.rows} nights from {result.first} to {result.last} ({summary['years']} years), "
             f"{result.suspect_rows} held as suspect"]
    for e in result.events:
        mark = "PUSH " if e["pushed"] else "     "
        lines.append(f"  {e['date']}  {mark}{e['event']:<9} {e['severity']:<8} {e['kind']:<10} {e['price']:>10.2f}  {e['message']}")
    lines.append(f"\n{result.count()} alerts ({summary['alerts_per_year']} a year), "
                 f"{result.count(pushed=True)} pushed to the phone ({summary['pushes_per_year']} a year)")
    return "\n".join(lines)
