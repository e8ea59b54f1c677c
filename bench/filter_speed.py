"""Speed of filtered analyses and of ``cases`` beside pm4py's filters, measured in one run.

    python bench/filter_speed.py [--cases 110000] [--skip-pm4py] [--repeat 3]

On a simulated permit log of about a million events, imported into a workspace (as in
``bench/analyze_speed.py``):

- ``analyze`` unfiltered, and ``filter_log`` + ``analyze`` with three filters of whole cases
  (``--period … --period-mode contained``, ``--with resource=…``, ``--top-variants 10``;
  target at most 1.5 times the unfiltered time), and with a filter of events
  (``--drop-events activity=…``) before the same three;
- ``cases`` (the case table of every case; target at most 1 s);
- pm4py's equivalent filter calls on a pm4py-formatted frame of the same events
  (``filter_time_range`` traces_contained, ``filter_event_attribute_values`` level case,
  ``filter_variants_top_k``; ``filter_event_attribute_values`` level event, retain False),
  each on its own and with pm4py's figures of the filtered frame (DFG, performance DFG,
  handover network, case durations, variants) — printed as ratios.

Each time is the fastest of ``--repeat`` runs (5) after a warm-up run; the runs take turns.
The load average is printed before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import load, quiet_pm4py  # noqa: E402

from procflow import ImportOptions, Workspace, analyze  # noqa: E402
from procflow.eventlog import EventLog  # noqa: E402
from procflow.filters import filter_log  # noqa: E402
from procflow.measure.cases import case_table  # noqa: E402
from procflow.simulate.permits import simulate  # noqa: E402

PERIOD = ("2023-03-01", "2023-12-31")
DROPPED = "Perbaikan Berkas oleh Pemohon"


def fastest(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """The fastest of ``repeat`` timed runs of each, after one untimed warm-up; the runs
    take turns, so that load on the machine affects them alike."""
    for run in runs.values():
        run()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for label, run in runs.items():
            start = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def case_filters(resource: str) -> list[dict[str, Any]]:
    return [{"kind": "period", "from": PERIOD[0], "to": PERIOD[1], "mode": "contained"},
            {"kind": "with", "field": "resource", "values": [resource]},
            {"kind": "top_variants", "n": 10}]


def pm4py_frame(log: EventLog) -> Any:
    """The events as pm4py wants them (formatted once, outside the timings)."""
    pm4py = quiet_pm4py()
    df = log.to_pandas()[["case_id", "activity", "timestamp", "resource"]].rename(columns={
        "case_id": "case:concept:name", "activity": "concept:name",
        "timestamp": "time:timestamp", "resource": "org:resource"})
    df["org:resource"] = df["org:resource"].fillna("(unknown)")
    df = pm4py.format_dataframe(df, case_id="case:concept:name",
                                activity_key="concept:name", timestamp_key="time:timestamp")
    # pm4py 2.7's variant filter fails on pandas' Arrow-backed strings (no is_in for lists).
    for column in ("case:concept:name", "concept:name", "org:resource"):
        df[column] = df[column].astype(object)
    return df


def pm4py_filters(df: Any, resource: str, drop: bool) -> Any:
    pm4py = quiet_pm4py()
    if drop:
        df = pm4py.filter_event_attribute_values(df, "concept:name", [DROPPED], level="event",
                                                 retain=False)
    df = pm4py.filter_time_range(df, f"{PERIOD[0]} 00:00:00", f"{PERIOD[1]} 23:59:59",
                                 mode="traces_contained")
    df = pm4py.filter_event_attribute_values(df, "org:resource", [resource], level="case",
                                             retain=True)
    return pm4py.filter_variants_top_k(df, 10)


def pm4py_figures(df: Any) -> None:
    pm4py = quiet_pm4py()
    pm4py.discover_dfg(df)
    pm4py.discover_performance_dfg(df)
    pm4py.discover_handover_of_work_network(df)
    pm4py.get_all_case_durations(df)
    pm4py.get_variants(df)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=110_000)
    parser.add_argument("--skip-pm4py", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(load(), flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sim = simulate(tmp / "sim", cases=args.cases, seed=11)
        with Workspace(tmp / "w.duckdb") as ws:
            start = time.perf_counter()
            name = ws.import_file(sim.before, options=ImportOptions(tz="Asia/Makassar")).name
            print(f"import (events and derived tables) {time.perf_counter() - start:.2f} s",
                  flush=True)
            log = ws.log(name)
            events = log.summary()["events"]
            resource = ws.con.execute(
                f"SELECT resource FROM {log.table} WHERE resource IS NOT NULL GROUP BY "
                "resource ORDER BY count(*) DESC, resource LIMIT 1 OFFSET 3").fetchall()[0][0]
            cut = [{"kind": "drop_events", "field": "activity", "values": [DROPPED]},
                   *case_filters(resource)]
            runs = {"filters of cases": case_filters(resource), "drop events + same": cut}
            kept = {label: filter_log(log, spec).selection for label, spec in runs.items()}
            timed: dict[str, Callable[[], Any]] = {"plain": lambda: analyze(log),
                                                   "cases": lambda: case_table(log)}
            for label, spec in runs.items():
                timed[f"only {label}"] = lambda spec=spec: filter_log(log, spec)
                timed[f"both {label}"] = lambda spec=spec: analyze(filter_log(log, spec))
            best = fastest(timed, args.repeat)
            plain, cases = best["plain"], best["cases"]
            only = {label: best[f"only {label}"] for label in runs}
            both = {label: best[f"both {label}"] for label in runs}
            print(f"\nsimulated permit log: {events:,} events; filters: --period "
                  f"{PERIOD[0]}..{PERIOD[1]} --period-mode contained, --with "
                  f"'resource={resource}', --top-variants 10\n")
            print(f"{'analyze, unfiltered':<44} {plain:6.2f} s")
            for label in runs:
                block = kept[label] or {}
                print(f"{'filter_log, ' + label:<44} {only[label]:6.2f} s  "
                      f"(kept {block['cases']['kept']:,} of {block['cases']['total']:,} cases, "
                      f"{block['events']['kept']:,} events)")
                print(f"{'filter_log + analyze, ' + label:<44} {both[label]:6.2f} s  "
                      f"ratio to unfiltered {both[label] / plain:.2f} (target <= 1.50)")
            print(f"{'cases (case table, every case)':<44} {cases:6.2f} s  (target <= 1.00 s)",
                  flush=True)
            if args.skip_pm4py:
                print(load())
                return
            df = pm4py_frame(log)
            print()
            pm4py_runs: dict[str, Callable[[], Any]] = {}
            for label, drop in (("filters of cases", False), ("drop events + same", True)):
                pm4py_runs[f"only {label}"] = lambda drop=drop: pm4py_filters(df, resource,
                                                                              drop)
                pm4py_runs[f"both {label}"] = lambda drop=drop: pm4py_figures(
                    pm4py_filters(df, resource, drop))
            theirs = fastest(pm4py_runs, args.repeat)
            for label, drop in (("filters of cases", False), ("drop events + same", True)):
                kept_rows = len(pm4py_filters(df, resource, drop))
                print(f"{'pm4py filters, ' + label:<44} {theirs['only ' + label]:6.2f} s  "
                      f"({kept_rows:,} events kept) | procflow filter_log is "
                      f"{theirs['only ' + label] / only[label]:.1f}x faster")
                print(f"{'pm4py filters + figures, ' + label:<44} "
                      f"{theirs['both ' + label]:6.2f} s  | procflow filter_log + analyze is "
                      f"{theirs['both ' + label] / both[label]:.1f}x faster")
            print(load())


if __name__ == "__main__":
    main()
