"""Spikes that build over weeks (issue 18): does the phone ring before the peak, once, and never for
a glitch? Figures for the default rules beside the previous release's, measured in the same run.

Every series is replayed through ``supplywatch backtest``'s machinery (``monitor.backtest.backtest``
with the default rules: the real store, rules, alert states and notification composer on a scratch
database). The previous release's rules run the same way from its own code, extracted from git
(``--old``, default b9d6a55) into a temporary folder and imported by a child process, so both rule
sets see the same series on the same machine in the same run.

Run-ups are found in hindsight by ``monitor.runups`` (its docstring says how): every rise of 30 % or
more to a peak. A run-up is caught when the phone rang for a rise (any rule) on or after its start
and before its peak; the table gives the first such push, its price and the share of the rise
already behind it. Then: pushes per year on the daily oil series, rebounds that rang, and 50
one-night x100 / /100 glitches injected into daily Brent.

    python benchmarks/spikes.py                       # 20-45 minutes on 2 shared cores
    python benchmarks/spikes.py --data ../shared/data --jobs 2 --json /tmp/spikes.json
    python benchmarks/spikes.py --fast                # 15 s: for iterating, not for figures

``--fast`` runs only this checkout's run-up rule, in this process, over the same series: each night's
view as the store would read it, the rule's own ``evaluate`` and the alert states' own ``apply``
(:func:`fast_pushes`); no store, no plausibility check (a glitch shown all night is a night without a
price, as the full run makes of it), no previous release. It agrees with the full run on the
shipped series; the figures to quote come from the full run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UP = ("up", "above", "high")


@dataclass(frozen=True)
class Source:
    label: str
    path: str  # under --data
    date_column: str
    price_column: str
    unit: str
    daily: bool = False


BLS = [("WPU081", "Lumber (PPI)"), ("WPU0811", "Softwood lumber (PPI)"), ("WPU1017", "Steel mill products (PPI)"),
       ("WPU102501", "Aluminum mill shapes (PPI)"), ("WPU102502", "Copper and brass mill shapes (PPI)")]
PINK = [("CRUDE_PETRO", "Crude oil, average", "barrel"), ("PALM_OIL", "Palm oil", "tonne"), ("COCONUT_OIL", "Coconut oil", "tonne"),
        ("COPPER", "Copper", "tonne"), ("ALUMINUM", "Aluminium", "tonne"), ("NICKEL", "Nickel", "tonne"),
        ("COTTON_A_INDX", "Cotton", "kg"), ("RUBBER1_MYSG", "Rubber (RSS3)", "kg"), ("UREA_EE_BULK", "Urea", "tonne"),
        ("COCOA", "Cocoa", "kg"), ("NGAS_EUR", "European gas (per megaBtu)", "each")]
SOURCES = ([Source(name, f"bls-ppi/{code}.csv", "Date", code, "each") for code, name in BLS]
           + [Source(name, "worldbank-pinksheet/cmo-data-monthly.csv", "date", code, unit) for code, name, unit in PINK]
           + [Source("WTI daily", "eia-oil/wti-daily.csv", "Date", "Price", "barrel", daily=True),
              Source("Brent daily", "eia-oil/brent-daily.csv", "Date", "Price", "barrel", daily=True)])


# ---- replaying a series through one release's rules (runs in a child process) -------------------

def replay(tree: str | None) -> None:
    """Read {"series", "unit", "name"} as JSON on stdin, replay it through the default rules of the
    code in ``tree`` (this checkout when None), write the pushes and counts as JSON on stdout."""
    sys.path.insert(0, tree or str(ROOT))
    from monitor import backtest  # the release under test: imported only now, from ``tree``

    job = json.load(sys.stdin)
    series = [(day, price) for day, price in job["series"]]
    began = time.process_time()
    options: dict[str, Any] = {"first_looks": {int(k): v for k, v in job["first_looks"].items()}} if job.get("first_looks") else {}
    result = backtest.backtest(series, unit=job["unit"], name=job["name"], **options)
    events = [e if isinstance(e, dict) else vars(e) for e in result.events]  # dicts before b9d6a55's successor, records since
    pushes = [{k: e[k] for k in ("date", "event", "kind", "direction", "severity", "price", "message")}
              for e in events if e["pushed"]]
    json.dump({"pushes": pushes, "suspect_rows": result.suspect_rows, "years": result.years,
               "alerts": result.count(), "cpu_seconds": time.process_time() - began}, sys.stdout)


def run_release(tree: str | None, series: list[tuple[str, float]], unit: str, name: str,
                first_looks: dict[int, float] | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--replay"] + ([tree] if tree else [])
    began = time.perf_counter()
    job = {"series": series, "unit": unit, "name": name, "first_looks": first_looks or {}}
    done = subprocess.run(command, input=json.dumps(job),
                          capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(f"replay of {name} ({tree or 'this checkout'}) failed with exit {done.returncode}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    result["seconds"] = time.perf_counter() - began
    return result


def extract_release(commit: str, into: Path) -> str:
    """The previous release's code (monitor/ and spiders/) from git, unpacked into ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "monitor", "spiders"], capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return str(into)


# ---- the fast path, for iterating: the run-up rule alone, in process ------------------------------

def fast_pushes(series: list[tuple[str, float]], unit: str, name: str) -> list[dict[str, Any]]:
    """The run-up pushes of ``series`` (prices above zero) as a night would judge them, without the store:
    each night's view holds what :func:`monitor.rules.evaluate.offer_views` and ``sampled_views`` would
    read (the last five weeks, or the last two prices; the grid nights of the rule's reach), then the
    default run-up rule's own ``evaluate`` and the alert states' own ``apply`` (on an in-memory table)
    decide. Only the run-up rule rings the phone among the default rules; the plausibility check and
    the other rules are not run (use the full run for the figures)."""
    import bisect

    import sqlite_utils

    from monitor import alerts
    from monitor.rules import DEFAULT_RULES, Context, Formatter, OfferView, Point, Scope, Target, runup
    from monitor.rules.evaluate import julian_day

    rule = next(r for r in DEFAULT_RULES if isinstance(r, runup.RunUpRule))
    db = sqlite_utils.Database(memory=True)
    db.execute("CREATE TABLE alerts (id INTEGER PRIMARY KEY, " + ", ".join(alerts.state.ALERT_COLUMNS) + ")")
    fmt, known = Formatter("USD"), {}  # type: ignore[var-annotated]
    target = Target(Scope.OFFER, "series", f"{name} at the series", material_id="series", offer_id="series", supplier_id="series")
    stamps = [f"{day}T03:00:00+00:00" for day, _ in series]
    days = [julian_day(t) for t in stamps]
    pushes = []
    for index, (day, price) in enumerate(series):
        now = days[index]
        recent = bisect.bisect_right(days, now - (runup.DENSE[1] + 1), 0, index + 1)
        start = min(recent, max(index - 1, 0)) if index + 1 - recent < 2 else recent
        history = [Point(i + 1, stamps[i], series[i][1], None, days[i]) for i in range(start, index + 1)]
        reach = bisect.bisect_right(days, now - rule.history_days(), 0, index + 1)
        if runup.is_dense(history):
            keep: set[int] = set()
            for ago_from, ago_to in runup.grid_ranges(now, rule.days, rule.history_days()):
                keep.update(range(bisect.bisect_right(days, now - ago_from, reach, index + 1), bisect.bisect_right(days, now - ago_to, reach, index + 1)))
            sampled = [(days[i], series[i][1]) for i in sorted(keep)]
        else:
            sampled = [(days[i], series[i][1]) for i in range(reach, index + 1)]
        view = OfferView(target, unit, "USD", history, sampled, supplier_name="the series")
        findings = list(rule.evaluate(view, Context(stamps[index], fmt, known)))
        for t in alerts.state.apply(db, findings, stamps[index], known=known):
            if t.told and t.event in (alerts.Event.FIRED, alerts.Event.ESCALATED) and t.severity == "critical":
                pushes.append({"date": day, "event": t.event.value, "kind": t.alert.kind, "direction": t.alert.direction,
                               "severity": t.severity.value, "price": price, "message": t.message})
    return pushes


def fast(args: argparse.Namespace, sources: list[Source], series: dict[str, list[tuple[str, float]]],
         glitches: dict[int, float]) -> None:
    """``--fast``: the new run-up rule alone on every series in this process, the table without the
    previous release; glitches shown all night as the nights without a price the full run makes of them."""
    from monitor import runups

    began = time.perf_counter()
    caught = total = 0
    for source in sources:
        prices = [(d, p) for d, p in series[source.label] if p > 0]
        pushes = fast_pushes(prices, source.unit, source.label)
        found = runups.find_runups(prices)
        for runup in found:
            cell, ok = caught_cell(runup, pushes)
            caught, total = caught + ok, total + 1
            between = sum(1 for d, _ in prices if runup.start_date < d < runup.peak_date)
            if not ok or args.verbose:
                print(f"{source.label:<30} {runup.start_date} {runup.peak_date} {runup.rise_percent:>4.0f}% {cell:<40} ({between} between, "
                      f"two prices {seen_before_peak(runup, prices):+.1f}% before the peak)")
        years = (date.fromisoformat(prices[-1][0]) - date.fromisoformat(prices[0][0])).days / 365.25
        outside = [p["date"] for p in pushes if not any(r.start_date <= p["date"] <= r.peak_date for r in found)]
        recovering = runups.find_runups(prices, rebounds=True) + [r for r in found if r.rebound]
        rang = [p["date"] for r in recovering for p in pushes if r.trough_date <= p["date"] < r.start_date]
        if rang:
            print(f"  {source.label}: rang while only climbing back to its usual level: {' '.join(rang)}")
        print(f"  {source.label}: {len(pushes)} pushes, {len(pushes) / years:.2f}/yr, {len(outside)} outside run-ups"
              + (f": {' '.join(outside)}" if source.daily else ""))
        if source.daily and args.verbose:
            for p in pushes:
                print(f"      {p['date']} {p['event']:<9} {p['message']}")
        if glitches and source.label == "Brent daily":
            dirty = fast_pushes([night for i, night in enumerate(prices) if i not in glitches], source.unit, source.label)
            diff = compare_pushes(pushes, dirty)
            print(f"  glitches all night: {len(diff['added'])} added, {len(diff['removed'])} removed, {len(diff['shifted'])} moved {diff}")
    print(f"caught {caught} of {total}; {time.perf_counter() - began:.0f} s")


# ---- judging the pushes against the run-ups ----------------------------------------------------

def first_push(pushes: list[dict[str, Any]], start: str, end: str) -> tuple[dict[str, Any] | None, int]:
    inside = [p for p in pushes if p["direction"] in UP and start <= p["date"] < end]
    return (inside[0] if inside else None), len(inside)


def caught_cell(runup: Any, pushes: list[dict[str, Any]]) -> tuple[str, bool]:
    push, count = first_push(pushes, runup.start_date, runup.peak_date)
    if push is None:
        at_peak = [p for p in pushes if p["direction"] in UP and p["date"] == runup.peak_date]
        return ("at the peak" if at_peak else "none"), False
    share = runup.share_behind(push["price"])
    return f"{push['date']} {share:4.0%} ({push['kind']}{', ' + str(count) + ' pushes' if count > 1 else ''})", True


def seen_before_peak(runup: Any, prices: list[tuple[str, float]]) -> float:
    """How far up a run-up showed before its peak on two successive prices (one odd price, a typo or a
    glitch, is never trusted alone): the highest rise both of two successive prices from its start
    and before its peak stand at, in percent over where the rise counts from. A rule that never
    rings on a single price cannot ring before the peak for a rise smaller than its own ``percent``
    than this, and nothing can when it is at or below 0 (fewer than two prices before the peak)."""
    inside = [price for day, price in prices if runup.start_date <= day < runup.peak_date]
    pairs = [min(a, b) for a, b in zip(inside, inside[1:])]
    return (max(pairs) / runup.start - 1) * 100 if pairs else 0.0


def glitch(series: list[tuple[str, float]], count: int, seed: int) -> dict[int, float]:
    """``count`` one-night glitches, x100 and /100 in turn, on nights drawn at random (at least three
    nights apart, after the first month): night index -> the price the page showed."""
    chooser = random.Random(seed)
    nights: list[int] = []
    while len(nights) < count:
        night = chooser.randrange(30, len(series))
        if all(abs(night - other) >= 3 for other in nights):
            nights.append(night)
    return {night: series[night][1] * (100 if number % 2 == 0 else 0.01) for number, night in enumerate(sorted(nights))}


def with_glitches(series: list[tuple[str, float]], glitches: dict[int, float]) -> list[tuple[str, float]]:
    """The series with each glitched night's price replaced: the page showed the typo all night."""
    return [(day, glitches.get(index, price)) for index, (day, price) in enumerate(series)]


def compare_pushes(clean: list[dict[str, Any]], dirty: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Pushes the glitches added, removed, or moved to another night (matched by rule, direction and event)."""
    key = lambda p: (p["kind"], p["direction"], p["event"])  # noqa: E731
    night = lambda p: (p["date"], *key(p))  # noqa: E731
    left = [p for p in clean if night(p) not in {night(q) for q in dirty}]
    right = [p for p in dirty if night(p) not in {night(q) for q in clean}]
    shifted = []
    for p in list(left):
        near = [q for q in right if key(q) == key(p) and abs((date.fromisoformat(q["date"]) - date.fromisoformat(p["date"])).days) <= 14]
        if near:
            shifted.append(f"{p['date']} -> {near[0]['date']} ({p['kind']} {p['direction']} {p['event']})")
            left.remove(p)
            right.remove(near[0])
    return {"added": [f"{p['date']} {p['kind']} {p['direction']}: {p['message']}" for p in right],
            "removed": [f"{p['date']} {p['kind']} {p['direction']}: {p['message']}" for p in left], "shifted": shifted}


# ---- the run -----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()), None),
                        help="the shared price histories (default: the nearest shared/data above the checkout)")
    parser.add_argument("--old", default="b9d6a55", help="the previous release's commit")
    parser.add_argument("--glitches", type=int, default=50)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default=None, help="only the series whose label contains this")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    parser.add_argument("--fast", action="store_true", help="for iterating: the new run-up rule alone, in this process (not the figures)")
    parser.add_argument("--verbose", action="store_true", help="with --fast: every run-up and daily push")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from monitor import backtest, runups

    data = args.data
    if data is None or not data.is_dir():
        raise SystemExit(f"{data}: no such folder (pass --data)")
    sources = [s for s in SOURCES if args.only is None or args.only.lower() in s.label.lower()]
    series = {s.label: backtest.read_series(data / s.path, s.date_column, s.price_column) for s in sources}
    brent = next((s for s in sources if s.label == "Brent daily"), None)
    glitches = glitch(series[brent.label], args.glitches, args.seed) if brent is not None and args.glitches else {}
    if args.fast:
        return fast(args, sources, series, glitches)

    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        old_tree = extract_release(args.old, Path(scratch))
        jobs: dict[tuple[str, str], Any] = {}
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            # The long daily series first, so the two cores finish together.
            for source in sorted(sources, key=lambda s: not s.daily):
                for release, tree in (("new", None), ("old", old_tree)):
                    jobs[(source.label, release)] = pool.submit(run_release, tree, series[source.label], source.unit, source.label)
                if source is brent and glitches:
                    # As a night has it: the first look shows the glitch, the immediate re-fetch the
                    # real price (the previous release's backtest had no re-fetch: it sees only the glitch).
                    jobs[(source.label + " glitched", "new")] = pool.submit(
                        run_release, None, series[source.label], source.unit, source.label, glitches)
                    # Harder: the page shows the glitch all night, re-fetch included.
                    for release, tree in (("new", None), ("old", old_tree)):
                        jobs[(source.label + " glitched all night", release)] = pool.submit(
                            run_release, tree, with_glitches(series[source.label], glitches), source.unit, source.label)
            results = {key: job.result() for key, job in jobs.items()}
    wall = time.perf_counter() - began

    figures: dict[str, Any] = {"series": {}, "runups": []}
    from monitor.rules import DEFAULT_RULES, runup as runup_rule

    percent = next(r.percent for r in DEFAULT_RULES if isinstance(r, runup_rule.RunUpRule))
    held = max(runup_rule.STEADY_FLOOR, percent * runup_rule.HELD_SHARE)  # the default's bar for a rise held four weeks
    print("Run-ups of 30 % or more (monitor.runups: zig-zag legs cut by a 20 % fall, rise counted from the usual level after a crash, "
          "at most two years to the peak).\nA push counts when the phone rang for a rise on or after the start and before the peak; "
          "share = how much of the rise was already behind. 'two prices': the highest rise two successive prices from the start\n"
          "showed before the peak. A rule that never rings on one price alone (a typo) cannot ring before the peak for less than its\n"
          f"percent ({percent:g} % by default; {held:g} % for a rise held four weeks, which two monthly prices are) there,\n"
          "and nothing can at 0 or below.\n")
    header = (f"{'series':<34} {'start':<10} {'peak':<10} {'rise':>5} {'two prices':>10}  {'new rules: first push, share':<44} "
              f"{'previous release':<40}")
    print(header)
    print("-" * len(header))
    totals = {"new": 0, "old": 0, "runups": 0, "uncatchable": 0, "unseen": 0, "unseen_caught": 0}
    for source in sources:
        prices = [(d, p) for d, p in series[source.label] if p > 0]  # the store holds prices at or below zero as suspect
        found = runups.find_runups(prices)
        new, old = results[(source.label, "new")], results[(source.label, "old")]
        for runup in found:
            new_cell, new_ok = caught_cell(runup, new["pushes"])
            old_cell, old_ok = caught_cell(runup, old["pushes"])
            totals["new"] += new_ok
            totals["old"] += old_ok
            totals["runups"] += 1
            between = sum(1 for d, _ in prices if runup.start_date < d < runup.peak_date)
            totals["uncatchable"] += between < 2
            seen = seen_before_peak(runup, prices)
            totals["unseen"] += seen < percent
            totals["unseen_caught"] += seen < percent and new_ok
            notes = (["history ends before a peak"] if runup.ongoing else []) + (
                [(f"{between} price{'s' if between != 1 else ''} between start and peak")] if between < 2 else []) + (
                [(f"under {percent:g} % on two prices, rang at a lower bar (a rise held four weeks, or a steady price)"
                  if new_ok and seen >= held else "rang on a climb already under way" if new_ok
                  else f"under {percent:g} % on two prices before the peak")] if seen < percent else [])
            print(f"{source.label:<34} {runup.start_date:<10} {runup.peak_date:<10} {runup.rise_percent:>4.0f}% {seen:>+9.1f}%  {new_cell:<44} "
                  f"{old_cell:<40}" + (f"  ({'; '.join(notes)})" if notes else ""))
            figures["runups"].append({"series": source.label, "trough": runup.trough_date, "start": runup.start_date, "peak": runup.peak_date,
                                      "rise_percent": round(runup.rise_percent, 1), "ongoing": runup.ongoing, "new": new_cell, "old": old_cell,
                                      "new_caught": new_ok, "old_caught": old_ok, "prices_between": between,
                                      "two_prices_percent": round(seen, 1)})
        rebounds = runups.find_runups(prices, rebounds=True)
        # A push while the price was only climbing back to its usual level after a crash: in a
        # rebound that stopped there, or in the rebound part of a run-up that went on past it.
        recovering = rebounds + [r for r in found if r.rebound]
        rang = {release: [p["date"] for r in recovering for p in results[(source.label, release)]["pushes"]
                          if p["direction"] in UP and r.trough_date <= p["date"] < r.start_date] for release in ("new", "old")}
        outside = {release: [p["date"] for p in results[(source.label, release)]["pushes"] if p["direction"] in UP
                             and not any(r.start_date <= p["date"] <= r.peak_date for r in found)] for release in ("new", "old")}
        figures["series"][source.label] = {
            release: {"pushes": len(results[(source.label, release)]["pushes"]),
                      "pushes_per_year": round(len(results[(source.label, release)]["pushes"]) / results[(source.label, release)]["years"], 2),
                      "up_pushes_outside_runups": outside[release], "rebound_pushes": rang[release],
                      "seconds": round(results[(source.label, release)]["seconds"], 1)}
            for release in ("new", "old")} | {"runups": len(found), "rebounds": len(rebounds)}

    print(f"\nCaught before the peak: new rules {totals['new']} of {totals['runups']}, previous release {totals['old']} of {totals['runups']} "
          f"({totals['uncatchable']} have 0-1 prices between start and peak; {totals['unseen']} showed under {percent:g} % on two successive "
          f"prices before their peak, {totals['unseen_caught']} of them caught anyway: at a lower bar (a rise held four weeks, a steady price) or on a climb already under way).\n")
    print(f"{'series':<34} {'years':>5} {'run-ups':>7} {'new: pushes/yr':>14} {'old: pushes/yr':>14} {'new: rises outside':>18} "
          f"{'old: rises outside':>18} {'rebounds rang new/old':>21} {'seconds new/old':>15}")
    for source in sources:
        f = figures["series"][source.label]
        years = results[(source.label, "new")]["years"]
        caught_new = sum(1 for r in figures["runups"] if r["series"] == source.label and r["new_caught"])
        caught_old = sum(1 for r in figures["runups"] if r["series"] == source.label and r["old_caught"])
        print(f"{source.label:<34} {years:>5.1f} {f['runups']:>3} {caught_new:>2}/{caught_old:<2}"
              f"{f['new']['pushes_per_year']:>13.2f} {f['old']['pushes_per_year']:>14.2f} {len(f['new']['up_pushes_outside_runups']):>18} "
              f"{len(f['old']['up_pushes_outside_runups']):>18} {len(f['new']['rebound_pushes']):>13}/{len(f['old']['rebound_pushes']):<7}"
              f"{f['new']['seconds']:>8.1f}/{f['old']['seconds']:<6.1f}")
    monthly = [s.label for s in sources if not s.daily]
    if monthly:
        shares = [r["new_caught"] for r in figures["runups"] if r["series"] in monthly]
        per_series = [sum(1 for r in figures["runups"] if r["series"] == m and r["new_caught"]) / max(figures["series"][m]["runups"], 1) for m in monthly]
        old_shares = [r["old_caught"] for r in figures["runups"] if r["series"] in monthly]
        blind = [r for r in figures["runups"] if r["series"] in monthly and r["prices_between"] < 2]
        unseen = [r for r in figures["runups"] if r["series"] in monthly and r["two_prices_percent"] < percent]
        print(f"\nMonthly series: {sum(shares)} of {len(shares)} run-ups caught by the new rules, {sum(old_shares)} by the previous release; "
              f"{len(blind)} have 0-1 prices between start and peak ({sum(1 for r in blind if not r['new_caught'])} of them not caught); "
              f"{len(unseen)} showed under {percent:g} % on two successive prices before the peak "
              f"({sum(1 for r in unseen if not r['new_caught'])} of them not caught); "
              f"per series min {min(per_series):.0%}, median {statistics.median(per_series):.0%}, max {max(per_series):.0%}.")
    for label in ("WTI daily", "Brent daily"):
        if label in figures["series"]:
            f = figures["series"][label]
            print(f"{label}: {f['new']['pushes']} pushes in {results[(label, 'new')]['years']:.1f} years = {f['new']['pushes_per_year']:.2f} a year "
                  f"(previous release {f['old']['pushes']} = {f['old']['pushes_per_year']:.2f} a year)")
            for p in results[(label, "new")]["pushes"]:
                print(f"    {p['date']}  {p['event']:<9} {p['kind']:<8} {p['direction']:<5} {p['message']}")

    daily = [label for label in ("WTI daily", "Brent daily") if label in figures["series"]]
    if len(daily) == 2:
        spans = [(series[label][0][0], series[label][-1][0]) for label in daily]
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        years = (date.fromisoformat(last) - date.fromisoformat(first)).days / 365.25
        for release in ("new", "old"):
            count = sum(figures["series"][label][release]["pushes"] for label in daily)
            print(f"WTI and Brent daily together ({release} rules): {count} pushes in {years:.1f} years = {count / years:.2f} a year "
                  f"(an owner watching both)")
    if glitches and brent is not None:
        print(f"\n{args.glitches} one-night glitches (x100 and /100 in turn, seed {args.seed}) injected into daily Brent:")
        figures["glitches"] = {"nights": [series[brent.label][n][0] for n in sorted(glitches)]}
        for label, key, release in (("new rules, glitch on the first look (the re-fetch sees the real price)", " glitched", "new"),
                                    ("new rules, glitch all night (re-fetch included)", " glitched all night", "new"),
                                    ("previous release, glitch all night (its backtest had no re-fetch)", " glitched all night", "old")):
            clean, dirty = results[(brent.label, release)], results[(brent.label + key, release)]
            diff = compare_pushes(clean["pushes"], dirty["pushes"])
            figures["glitches"][f"{release}{key}"] = diff | {"suspect_rows_added": dirty["suspect_rows"] - clean["suspect_rows"]}
            print(f"  {label}: {len(diff['added'])} pushes added, {len(diff['removed'])} removed, {len(diff['shifted'])} moved; "
                  f"{dirty['suspect_rows'] - clean['suspect_rows']} more rows held as suspect")
            for what in ("added", "removed", "shifted"):
                for line in diff[what]:
                    print(f"      {what}: {line}")
    print(f"\nWall time {wall:.0f} s with {args.jobs} jobs.")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--replay":
        replay(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        main()
