"""The decisions on the shipped real histories (issue 17).

1. The buy-window verdict: a buyer who follows it (buy up to 12 weeks ahead on "buy now", only what
   is needed when the stock reaches lead time + safety) against the baseline, a buyer on a fixed
   schedule (4 weeks of usage every 4 weeks), same daily usage, same start, first in first out.
   Printed: what each paid per unit used, the difference, the stock each held on average (days of
   usage), purchases, units short (must be 0).
2. The index rules on a supplier-like series: a downstream producer price index (what a fabricator
   pays for mill shapes) or a daily spot price, against the commodity index a buyer could watch,
   known only from its month's end plus 15 days. Printed: the lag at which the index's monthly moves
   best match the supplier's later ones, how often each rule fired, and how often the supplier then
   moved 3 % the rule's way within six months, beside how often that happens after any week.

3. With ``--database`` (a file made by ``generate.py``), what the decisions add to a night: every
   material's outlook (runway, price state, verdict), the quotes and the to-do list, timed beside the
   night's rule evaluation on the same database.

    python benchmarks/decisions.py            # ~2-4 minutes
    python benchmarks/decisions.py --json
    python benchmarks/generate.py /tmp/bench/big.db --offers 10000 --days 200
    python benchmarks/decisions.py --database /tmp/bench/big.db
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import BuyWindow  # noqa: E402
from monitor.decisions import backtests, indexes  # noqa: E402

SERIES = ROOT / "tests" / "fixtures" / "series"


def column(path: str, name: str, date_column: str = "date") -> list[tuple[date, float]]:
    rows = indexes.read_csv_series(SERIES / path, date_column, name)
    return [(d.replace(day=1), v) for d, v in rows] if date_column == "date" else rows  # Pink Sheet: month-end dates


def index_points(rows: list[tuple[date, float]], lag: int = 15) -> list[indexes.IndexPoint]:
    from datetime import timedelta

    return [indexes.IndexPoint(d, v, indexes.period_end(d, "monthly") + timedelta(days=lag)) for d, v in rows]


BUY_WINDOW = [  # name, series, shelf life (days), linked index
    ("WTI crude, daily (EIA)", lambda: column("wti-daily.csv", "Price", "Date"), None, None),
    ("Brent crude, daily (EIA)", lambda: column("brent-daily.csv", "Price", "Date"), None, None),
    ("Coconut oil, monthly (Pink Sheet)", lambda: column("pinksheet-monthly.csv", "COCONUT_OIL"), 730, None),
    ("Palm oil, monthly (Pink Sheet)", lambda: column("pinksheet-monthly.csv", "PALM_OIL"), 365, None),
    ("Soybean oil, monthly (Pink Sheet)", lambda: column("pinksheet-monthly.csv", "SOYBEAN_OIL"), 365, None),
    ("Lumber PPI WPU081, monthly", lambda: column("WPU081.csv", "WPU081", "Date"), None, None),
    ("Steel mill products PPI WPU1017", lambda: column("WPU1017.csv", "WPU1017", "Date"), None, None),
    ("Aluminum mill shapes PPI + LME aluminum index", lambda: column("WPU102501.csv", "WPU102501", "Date"), None,
     lambda: column("pinksheet-monthly.csv", "ALUMINUM")),
    ("Copper mill shapes PPI + copper index", lambda: column("WPU102502.csv", "WPU102502", "Date"), None,
     lambda: column("pinksheet-monthly.csv", "COPPER")),
]

INDEX_PAIRS = [  # supplier-like series, its index
    ("Aluminum mill shapes PPI", lambda: column("WPU102501.csv", "WPU102501", "Date"), "aluminum (Pink Sheet)",
     lambda: column("pinksheet-monthly.csv", "ALUMINUM")),
    ("Copper and brass mill shapes PPI", lambda: column("WPU102502.csv", "WPU102502", "Date"), "copper (Pink Sheet)",
     lambda: column("pinksheet-monthly.csv", "COPPER")),
    ("Steel mill products PPI", lambda: column("WPU1017.csv", "WPU1017", "Date"), "iron ore (Pink Sheet)",
     lambda: column("pinksheet-monthly.csv", "IRON_ORE")),
    ("Lumber PPI", lambda: column("WPU081.csv", "WPU081", "Date"), "Malaysian sawnwood (Pink Sheet)",
     lambda: column("pinksheet-monthly.csv", "SAWNWD_MYS")),
    ("WTI crude, daily spot", lambda: column("wti-daily.csv", "Price", "Date"), "Brent crude, monthly (Pink Sheet)",
     lambda: column("pinksheet-monthly.csv", "CRUDE_BRENT")),
]


def night_cost(path: Path) -> None:
    """Seconds the decisions add to one night, beside the rules' evaluation of the same night."""
    from monitor import config as config_module, decisions, rules, store

    config = config_module.load(path.parent / "supplywatch.yml")
    db = store.open_db(path)
    store.sync_config(db, config)
    as_of = db.execute("SELECT max(fetched_at) FROM observations").fetchone()[0]
    with db.conn:  # a count for every material, so every runway is worked out
        db["stock_events"].insert_all({"material_id": m.id, "at": as_of, "kind": "count", "quantity": 10.0, "unit": m.unit,
                                       "as_written": f"10 {m.unit}", "created_at": as_of} for m in config.materials)
    started = time.perf_counter()
    findings = rules.evaluate(db, config, as_of)
    ruled = time.perf_counter() - started
    started = time.perf_counter()
    tonight = decisions.evaluate(db, config, None, as_of)
    decided = time.perf_counter() - started
    calls: dict[str, int] = {}
    for o in tonight.outlooks:
        calls[o.verdict.call] = calls.get(o.verdict.call, 0) + 1
    print(f"{len(config.materials):,} materials, {len(config.offers()):,} offers, night of {as_of[:10]}")
    print(f"  rules (baseline, the night's existing evaluation): {ruled:.2f} s, {len(findings):,} findings")
    print(f"  decisions: {decided:.2f} s ({decided / ruled:.0%} of the rules); calls: {calls}; to-do items: {len(tonight.to_do)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database", type=Path, default=None, help="Time one night's decisions on this generated database instead.")
    args = parser.parse_args()
    if args.database is not None:
        night_cost(args.database)
        return
    settings = BuyWindow()
    out: dict[str, list] = {"buy_window": [], "index_rules": []}
    started = time.perf_counter()
    if not args.json:
        print("Buy-window verdict vs a fixed schedule (4 weeks' usage every 4 weeks), 1 unit a day, lead 7 + safety 7 days")
        print(f"{'series':<46} {'years':>5} {'verdict':>10} {'schedule':>10} {'saved':>7} {'stock d':>8} {'buys':>11} short "
              f"{'matched':>10} {'saved':>7}")
    for name, load, shelf, index in BUY_WINDOW:
        series, points = load(), index_points(index()) if index else ()
        result = backtests.buy_window(series, settings, name=name, shelf_life_days=shelf, index=points)
        row = result.as_dict()
        # The second baseline: a schedule holding as much stock on average as the verdict's buyer, so
        # that buying ahead in prices that mostly rise over decades is not credited to the verdict.
        every, matched = backtests.matched_schedule(series, result, settings)
        row["matched_schedule"] = {"every_days": every, "paid_per_unit": round(matched.paid_per_unit, 4),
                                   "average_stock_days": round(matched.stock_days / result.days, 1), "short_units": round(matched.short_units, 2),
                                   "saving_percent": round((1 - result.verdict.paid_per_unit / matched.paid_per_unit) * 100, 2)}
        out["buy_window"].append(row)
        if not args.json:
            v, s, m = row["verdict"], row["schedule"], row["matched_schedule"]
            print(f"{name:<46} {row['days'] / 365.25:>5.1f} {v['paid_per_unit']:>10.3f} {s['paid_per_unit']:>10.3f} "
                  f"{row['saving_percent']:>6.2f}% {v['average_stock_days']:>4.0f}/{s['average_stock_days']:<3.0f} "
                  f"{v['purchases']:>5}/{s['purchases']:<5} {v['short_units'] + s['short_units']:>4.0f} "
                  f"{m['paid_per_unit']:>10.3f} {m['saving_percent']:>6.2f}%")
    if not args.json:
        print("  (saved: how much less per unit the verdict's buyer paid; stock d: average days of usage held, verdict/schedule;")
        print("   matched: a schedule buying S days' usage every S days, S twice the verdict's average stock, so both hold as much;")
        print("   its saved: how much less per unit the verdict's buyer paid than it)")
        print("\nIndex rules on a supplier-like series (index known from its month's end + 15 days; replayed weekly)")
        print(f"{'supplier-like series':<34} {'index':<34} {'lead':>4} {'corr':>11}  {'rule':<12} {'fired':>5} {'/yr':>5} "
              f"{'borne out':>10} {'any week':>9} {'days':>5}")
    for supplier_name, supplier, index_name, index in INDEX_PAIRS:
        result = backtests.index_rules(supplier(), index(), supplier_name=supplier_name, index_name=index_name)
        row = result.as_dict()
        for rule in row["rules"].values():
            rule.pop("dates")
        out["index_rules"].append(row)
        if not args.json:
            first = True
            for kind, rule in row["rules"].items():
                head = (f"{supplier_name:<34} {index_name:<34} {row['lead_months']:>3}m {row['lead_correlation']:>5.2f}/{row['same_month_correlation']:<5.2f}"
                        if first else " " * 86)
                borne = f"{rule['borne_out']} ({rule['borne_out_percent']:.0f}%)" if rule["fired"] else "-"
                print(f"{head}  {kind:<12} {rule['fired']:>5} {rule['per_year']:>5.2f} {borne:>10} {rule['any_week_percent']:>8.0f}% "
                      f"{rule['median_days_to_move'] if rule['median_days_to_move'] is not None else '-':>5}")
                first = False
    out["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print("  (lead: months by which the index's monthly moves best precede the supplier's; corr: at that lag / same month;")
        print("   borne out: firings after which the supplier moved 3 % the rule's way within 6 months; any week: the same after any week;")
        print("   above_index counts a later 3 % fall; days: median days from firing to that move)")
        print(f"\n{out['seconds']} s")


if __name__ == "__main__":
    main()
