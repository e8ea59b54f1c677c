"""Invariants of the metrics (METRICS.md §2–8) on random small logs, DuckDB engine."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import procflow

BASE = dt.datetime(2024, 3, 4, 8, 0, tzinfo=dt.UTC)
ACTIVITIES = ("Submit", "Paraf Kasi", "Approve", "Check")  # Paraf and Approve are decisions
PEOPLE = ("r1", "r2", "r3")
ROLES = ("Staff", "Kasi", "Kadis")
UNITS = ("FO", "Bidang")
STATS_KEYS = {"n", "mean", "median", "p90", "max", "total"}
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass(frozen=True)
class Row:
    case: str
    activity: str
    minute: int  # completion, minutes after BASE
    start: int | None  # minutes after BASE
    resource: str | None
    role: str | None
    unit: str | None
    level: int | None


@dataclass(frozen=True)
class Log:
    rows: tuple[Row, ...]  # in file order
    columns: tuple[str, ...]  # optional columns written


def iso(minute: int) -> str:
    return (BASE + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def logs(draw: st.DrawFn) -> Log:
    optional = ("start_timestamp", "resource", "role", "unit", "level")
    columns = tuple(c for c in optional if draw(st.booleans()))
    maybe = {c: c in columns for c in optional}
    rows = []
    for case in range(draw(st.integers(1, 5))):
        for _ in range(draw(st.integers(1, 6))):
            minute = draw(st.integers(0, 30))  # a narrow range: many ties
            start = None
            if maybe["start_timestamp"] and draw(st.booleans()):
                start = minute - draw(st.integers(0, 20))
            rows.append(Row(
                case=f"c{case}", activity=draw(st.sampled_from(ACTIVITIES)), minute=minute,
                start=start,
                resource=draw(st.none() | st.sampled_from(PEOPLE)) if maybe["resource"] else None,
                role=draw(st.none() | st.sampled_from(ROLES)) if maybe["role"] else None,
                unit=draw(st.none() | st.sampled_from(UNITS)) if maybe["unit"] else None,
                level=draw(st.none() | st.integers(1, 4)) if maybe["level"] else None,
            ))
    return Log(tuple(draw(st.permutations(rows))), columns)


def write_csv(log: Log, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["case_id", "activity", "timestamp", *log.columns])
        for r in log.rows:
            cells = {"start_timestamp": "" if r.start is None else iso(r.start),
                     "resource": r.resource, "role": r.role, "unit": r.unit,
                     "level": "" if r.level is None else str(r.level)}
            out.writerow([r.case, r.activity, iso(r.minute),
                          *("" if cells[c] is None else cells[c] for c in log.columns)])


def analyze(log: Log) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        write_csv(log, path)
        return procflow.analyze(procflow.read(path), top_variants=1000).to_dict()


def case_order(log: Log) -> dict[str, list[Row]]:
    """Instances per case in (timestamp, start, file position) order, unknown starts last."""
    cases: dict[str, list[tuple[tuple[int, float, int], Row]]] = {}
    for i, r in enumerate(log.rows):
        key = (r.minute, math.inf if r.start is None else r.start, i)
        cases.setdefault(r.case, []).append((key, r))
    return {c: [r for _, r in sorted(items)] for c, items in cases.items()}


def all_stats(value: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every STATS object inside ``value`` with where it was found."""
    found = []
    if isinstance(value, dict):
        if set(value) >= STATS_KEYS:
            found.append((path, value))
        for k, v in value.items():
            found.extend(all_stats(v, f"{path}.{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(all_stats(v, f"{path}[{i}]"))
    return found


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@given(logs())
@SETTINGS
def test_invariants(log: Log) -> None:
    d = analyze(log)
    ordered = case_order(log)
    n_cases = len(ordered)
    instances = len(log.rows)
    spans = {c: 60.0 * (rs[-1].minute - rs[0].minute) for c, rs in ordered.items()}
    cycles = {c: 60.0 * (max(r.minute for r in rs)
                         - min(r.minute if r.start is None else r.start for r in rs))
              for c, rs in ordered.items()}
    total_span = sum(spans.values())

    assert d["log"]["cases"] == n_cases and d["log"]["events"] == instances

    # §4: Σ elapsed of a case's transitions = its completion − first timestamp
    edges = d["dfg"]["edges"]
    assert sum(e["count"] for e in edges) == instances - n_cases
    assert close(sum(e["elapsed"]["total"] for e in edges), total_span)
    assert sum(d["dfg"]["start"].values()) == sum(d["dfg"]["end"].values()) == n_cases
    assert sum(a["count"] for a in d["activities"]) == instances

    # §3 cycle time
    cycle = d["cycle_time"]
    assert cycle["n"] == n_cases
    assert close(cycle["total"], sum(cycles.values()))
    assert close(cycle["max"], max(cycles.values()))
    assert cycle["median"] >= 0 and cycle["max"] >= cycle["median"]
    assert all(c >= s for c, s in zip(cycles.values(), spans.values(), strict=True))

    # §8: activity and edge totals add up to the total span; activity shares to 1
    for kind in ("activity", "edge"):
        found = [b for b in d["bottlenecks"] if b["kind"] == kind]
        assert close(sum(b["total"] for b in found), total_span)
        assert sum(b["count"] for b in found) == instances - n_cases
        if total_span > 0:
            assert close(sum(b["share"] for b in found), 1.0)
        else:
            assert all(b["share"] is None for b in found)
        totals = [b["total"] for b in found]
        assert totals == sorted(totals, reverse=True)
        assert all(b["impact"] >= 0 for b in found)

    # §5: every decision instance is measured or excluded
    decision_instances = sum(1 for r in log.rows if r.activity in ("Paraf Kasi", "Approve"))
    dec = d["decisions"]
    assert dec["overall"]["n"] + dec["excluded"] == decision_instances
    assert dec["excluded"] == sum(1 for rs in ordered.values()
                                  if rs[0].activity in ("Paraf Kasi", "Approve"))
    assert sum(e["n"] for e in dec["by_activity"]) == dec["overall"]["n"]

    # §6 handoffs
    h = d["handoffs"]
    g = h["granularity"]
    if g is None:
        assert not ({"resource", "role", "unit"} & set(log.columns)) or all(
            getattr(r, c) is None for r in log.rows for c in ("resource", "role", "unit"))
    else:
        same = unknown = handoffs = 0
        for rs in ordered.values():
            for x, y in itertools.pairwise(rs):
                a, b = getattr(x, g), getattr(y, g)
                if a is None or b is None:
                    unknown += 1
                elif a == b:
                    same += 1
                else:
                    handoffs += 1
        assert h["total"] + h["unknown"] + same == instances - n_cases
        assert (h["total"], h["unknown"]) == (handoffs, unknown)
        assert h["ping_pong"]["total"] <= h["total"]
        assert h["ping_pong"]["cases"] <= min(n_cases, h["ping_pong"]["total"])
        assert h["per_case"]["n"] == n_cases
        assert close(h["per_case"]["total"], h["total"])
        assert sum(p["count"] for p in h["pairs"]) == h["total"]
        if h["direction"] is not None:
            assert sum(h["direction"].values()) <= h["total"]

    # §7 layers
    layers = d["layers"]
    if layers is not None:
        by = layers["by"]
        distinct = {getattr(r, by) for r in log.rows if getattr(r, by) is not None}
        assert layers["per_case"]["n"] == n_cases
        assert sum(layers["histogram"].values()) == n_cases
        assert all(int(k) <= len(distinct) for k in layers["histogram"])
        assert layers["per_case"]["max"] <= len(distinct)
        assert sum(s["cases"] for s in layers["sequences"]) <= n_cases

    # variants
    variants = d["variants"]
    assert sum(v["cases"] for v in variants["top"]) == n_cases
    assert variants["count"] == len(variants["top"]) == len(
        {tuple(r.activity for r in rs) for rs in ordered.values()})

    # every STATS object is well formed
    for where, s in all_stats(d):
        assert isinstance(s["n"], int), where
        if s["n"] == 0:
            assert s["total"] == 0, where
            continue
        assert s["median"] <= s["p90"] + 1e-9 <= s["max"] + 2e-9, (where, s)
        assert s["mean"] <= s["max"] + 1e-9, (where, s)
        assert close(s["total"], s["mean"] * s["n"]), (where, s)


# --- lifecycle pairing against a FIFO reference (§2) -----------------------------------------

@st.composite
def lifecycle_logs(draw: st.DrawFn) -> list[tuple[str, str, int, str]]:
    rows = []
    for case in range(draw(st.integers(1, 3))):
        # distinct minutes within a case: no ties between a start and a complete
        minutes = draw(st.lists(st.integers(0, 200), min_size=1, max_size=10, unique=True))
        for minute in minutes:
            rows.append((f"c{case}", draw(st.sampled_from(("A", "B"))), minute,
                         draw(st.sampled_from(("start", "complete", "complete", "assign")))))
    if not any(r[3] == "complete" for r in rows):
        rows.append(("c0", "A", 201, "complete"))
    return list(draw(st.permutations(rows)))


def fifo(rows: list[tuple[str, str, int, str]]) -> tuple[int, int, dict[str, list[int]]]:
    """Instances, paired instances and processing minutes per activity, by FIFO."""
    waiting: dict[tuple[str, str], deque[int]] = {}
    instances = paired = 0
    processing: dict[str, list[int]] = {}
    for case, activity, minute, lc in sorted(rows, key=lambda r: r[2]):
        queue = waiting.setdefault((case, activity), deque())
        if lc == "start":
            queue.append(minute)
        elif lc == "complete":
            instances += 1
            if queue:
                paired += 1
                processing.setdefault(activity, []).append(minute - queue.popleft())
    return instances, paired, processing


@given(lifecycle_logs())
@SETTINGS
def test_lifecycle_pairs_match_fifo(rows: list[tuple[str, str, int, str]]) -> None:
    instances, paired, processing = fifo(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lifecycle.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["case_id", "activity", "timestamp", "lifecycle"])
            out.writerows((c, a, iso(m), lc) for c, a, m, lc in rows)
        log = procflow.read(path)
        d = procflow.analyze(log).to_dict()
    assert log.report is not None
    summary = log.report.details["lifecycle"]
    assert (summary["instances"], summary["paired"]) == (instances, paired)
    assert summary["unpaired_starts"] == sum(1 for r in rows if r[3] == "start") - paired
    assert sum(a["count"] for a in d["activities"]) == instances
    assert d["log"]["has_start_times"] is (paired > 0)
    if not paired:
        assert all(a["processing"] is None for a in d["activities"])
        return
    for a in d["activities"]:
        values = processing.get(a["activity"], [])
        assert a["processing"]["n"] == len(values)
        assert a["processing"]["total"] == pytest.approx(60.0 * sum(values))
        if values:
            assert a["processing"]["max"] == pytest.approx(60.0 * max(values))
