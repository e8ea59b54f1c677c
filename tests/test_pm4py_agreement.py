"""procflow's figures against pm4py's and plain pandas, computed from the same events.

For every real log in ../shared/data the test builds pm4py's input itself from
``EventLog.to_pandas()`` and compares pm4py's answers with ``analysis.json``:

* pm4py gets procflow's activity instances, one row each. Where ``lifecycle`` holds XES
  transitions with ``start`` rows (procflow's "standard" mode; a column of ``complete`` only
  is mode "none") that is the ``complete`` rows (or rows without a
  transition); procflow pairs each ``start`` with a ``complete`` (METRICS §2) and drops other
  transitions, so ``start`` rows are not events of their own. Where ``lifecycle`` is an ordinary
  attribute (bpic2013) every row is an instance.
* Rows are ordered as procflow orders instances: case, completion time, start time (missing
  last), source position. pm4py sorts by (case, start, completion) with a stable sort, so ties
  keep that order.
* No ``start_timestamp`` column is given to pm4py: with one it orders a case by start times,
  while procflow's directly-follows relation is on completion order (METRICS §2, §4).
* pm4py's handover-of-work network is normalised and counts a resource following itself; raw
  counts are recovered by multiplying by the number of transitions and restricted to
  g(x) ≠ g(y), both known (METRICS §6). Missing values are given to pm4py as a sentinel name.
* pm4py's case duration runs from the first completion; procflow's cycle time from ``arrival``
  (start time where known). They are equal on logs without start times and the cycle time is
  never shorter on the others.

Counts (edges, start/end activities, handoff pairs, variants, ``n``) are compared exactly.
Seconds are compared with a relative tolerance: 1e-6 for pm4py's per-edge mean and median (the
agreed bound; the largest difference measured is 2.4e-15), 1e-12 for single durations from
pm4py (it forms seconds as days·86400 + seconds + 10⁻⁶·microseconds, so 0.681 s comes back as
0.6809999999999999), and 1e-9 for sums, means and interpolated quantiles recomputed with pandas
(DuckDB sums in parallel, in no fixed order).
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import procflow
from procflow.eventlog import EventLog
from procflow.measure.decisions import select_decisions
from procflow.measure.prepare import HandoffBy
from tests.conftest import shared_file

with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import pm4py

CANONICAL = ["event_id", "case_id", "activity", "timestamp", "start_timestamp", "resource",
             "role", "unit", "lifecycle"]
XES_KEYS = {"case_id": "case:concept:name", "activity": "concept:name",
            "timestamp": "time:timestamp", "resource": "org:resource", "role": "org:role",
            "unit": "org:group"}
UNKNOWN = "\x00unknown"
REL_PM4PY = 1e-6
REL_SECONDS = 1e-12
REL_SUM = 1e-9


@dataclass(frozen=True)
class Spec:
    """A real log, how it is read and what procflow is expected to see in it."""

    file: str
    tz: str | None
    handoff_by: HandoffBy | None
    lifecycle: str
    has_start: bool


SPECS = [
    Spec("running-example.xes", None, "resource", "none", False),
    Spec("receipt.xes.gz", None, "resource", "none", False),
    Spec("receipt.csv", None, "resource", "none", False),
    Spec("BPI_2020_DomesticDeclarations.xes.gz", None, "role", "none", False),
    Spec("BPIC15_1.xes.gz", None, "resource", "none", False),
    Spec("BPIC15_2.xes.gz", None, "resource", "none", False),
    Spec("bpic2013_closed_problems.xes.gz", None, "resource", "attribute", False),
    Spec("ConsultaDataMining201618.xes.gz", None, "resource", "standard", True),
    Spec("interval_event_log.xes", None, None, "none", True),
    Spec("mobis_snippet.csv", "UTC", "resource", "none", True),
    Spec("sepsis.csv", "UTC", "unit", "none", False),
]
ROAD_FINES = Spec("road_traffic_fines_full.csv.gz", None, "resource", "none", False)
BY_FILE = {s.file: s for s in SPECS}
IDS = [s.file for s in SPECS]

# Logs recomputed with plain pandas, with the activities the default decision pattern must pick.
PANDAS_LOGS = ["receipt.xes.gz", "BPI_2020_DomesticDeclarations.xes.gz", "sepsis.csv"]
BPI2020_DECISIONS = [
    "Declaration APPROVED by ADMINISTRATION", "Declaration APPROVED by BUDGET OWNER",
    "Declaration APPROVED by PRE_APPROVER", "Declaration FINAL_APPROVED by SUPERVISOR",
    "Declaration FOR_APPROVAL by ADMINISTRATION", "Declaration FOR_APPROVAL by PRE_APPROVER",
    "Declaration FOR_APPROVAL by SUPERVISOR", "Declaration REJECTED by ADMINISTRATION",
    "Declaration REJECTED by BUDGET OWNER", "Declaration REJECTED by EMPLOYEE",
    "Declaration REJECTED by MISSING", "Declaration REJECTED by PRE_APPROVER",
    "Declaration REJECTED by SUPERVISOR",
]
DEFAULT_DECISIONS: dict[str, list[str]] = {
    "receipt.xes.gz": [],
    "BPI_2020_DomesticDeclarations.xes.gz": BPI2020_DECISIONS,
    "sepsis.csv": [],
}
# Chosen decision patterns where the default finds none (Dutch codes, hospital steps).
CHOSEN_PATTERNS = {"receipt.xes.gz": r"Determine", "sepsis.csv": r"^(Admission|Release)"}


@dataclass
class Measured:
    """One log read by procflow, its analysis and the instances rebuilt independently."""

    spec: Spec
    log: EventLog
    result: dict[str, Any]
    instances: pd.DataFrame

    def pm4py_frame(self) -> pd.DataFrame:
        """A fresh pm4py input (pm4py adds columns to the frame it is given)."""
        return (self.instances.rename(columns=XES_KEYS)[list(XES_KEYS.values())]
                .reset_index(drop=True).copy())


def activity_instances(events: pd.DataFrame, paired: bool) -> pd.DataFrame:
    """One row per activity instance in procflow's case order.

    With ``paired``, ``start`` rows are matched first-in first-out to the next ``complete`` of
    the same case and activity (in time, then source order) and give its start timestamp;
    ``complete`` rows and rows without a transition are the instances.
    """
    if paired:
        lifecycle = events["lifecycle"].fillna("complete")
        rows = events[lifecycle.isin(["start", "complete"])].assign(lc=lifecycle)
        rows = rows.sort_values(["timestamp", "event_id"], kind="stable")
        waiting: defaultdict[tuple[str, str], deque[pd.Timestamp]] = defaultdict(deque)
        starts: dict[int, pd.Timestamp] = {}
        for event_id, case, activity, ts, lc in zip(
                rows["event_id"], rows["case_id"], rows["activity"], rows["timestamp"],
                rows["lc"], strict=True):
            queue = waiting[(case, activity)]
            if lc == "start":
                queue.append(ts)
            elif queue:
                starts[event_id] = queue.popleft()
        inst = rows[rows["lc"] == "complete"].drop(columns="lc").copy()
        paired_start = inst["event_id"].map(starts)
        inst["start_timestamp"] = inst["start_timestamp"].where(
            paired_start.isna(), pd.to_datetime(paired_start, utc=True)
            .astype(inst["start_timestamp"].dtype))
    else:
        inst = events.copy()
    return inst.sort_values(["case_id", "timestamp", "start_timestamp", "event_id"],
                            na_position="last", kind="stable").reset_index(drop=True)


def measure_log(spec: Spec) -> Measured:
    """Read ``spec``'s file, analyse it and rebuild its instances."""
    log = procflow.read(shared_file(spec.file), tz=spec.tz)
    result = procflow.analyze(log, handoff_by=spec.handoff_by).to_dict()
    events = log.to_pandas()[CANONICAL]
    return Measured(spec, log, result,
                    activity_instances(events, paired=spec.lifecycle == "standard"))


@pytest.fixture(scope="module")
def measured() -> Iterator[Callable[[str], Measured]]:
    """Each log measured once for the whole module."""
    cache: dict[str, Measured] = {}

    def get(file: str) -> Measured:
        if file not in cache:
            cache[file] = measure_log(BY_FILE[file])
        return cache[file]

    yield get
    for m in cache.values():
        m.log.con.close()
    cache.clear()


# --- plain pandas ------------------------------------------------------------------------

def transitions(inst: pd.DataFrame) -> pd.DataFrame:
    """Instances with the previous (``prev_*``) and second previous (``prev2_*``) instance of
    the case and ``elapsed`` seconds since the previous one (NaN for a case's first)."""
    out = inst.copy()
    by_case = out.groupby("case_id", sort=False)
    for col in ("activity", "timestamp", "resource", "role", "unit"):
        out[f"prev_{col}"] = by_case[col].shift(1)
    for col in ("resource", "role", "unit"):
        out[f"prev2_{col}"] = by_case[col].shift(2)
    out["first"] = by_case.cumcount() == 0
    out["elapsed"] = (out["timestamp"] - out["prev_timestamp"]).dt.total_seconds()
    return out


def stats(values: Sequence[float] | pd.Series) -> dict[str, float]:
    """n, mean, median, p90 (linear interpolation), max and total of ``values``."""
    arr = np.asarray(values, dtype=float)
    return {"n": len(arr), "mean": float(arr.mean()), "median": float(np.median(arr)),
            "p90": float(np.percentile(arr, 90)), "max": float(arr.max()),
            "total": float(arr.sum())}


def case_spans(inst: pd.DataFrame) -> list[float]:
    """Per case: last completion − first completion, in seconds, sorted."""
    by_case = inst.groupby("case_id")["timestamp"]
    return sorted((by_case.max() - by_case.min()).dt.total_seconds().tolist())


def case_cycle_times(inst: pd.DataFrame) -> list[float]:
    """Per case: last completion − arrival (earliest start, else completion), sorted."""
    arrival = inst["start_timestamp"].fillna(inst["timestamp"]).groupby(inst["case_id"]).min()
    completion = inst.groupby("case_id")["timestamp"].max()
    return sorted((completion - arrival).dt.total_seconds().tolist())


def close(actual: float | None, expected: float, rel: float = REL_SUM) -> bool:
    """``actual`` equals ``expected`` up to ``rel`` (relative), or both are zero."""
    return actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-9)


def assert_stats(actual: dict[str, Any], expected: dict[str, float], rel: float) -> None:
    """``n`` exactly, the rest within ``rel``."""
    assert actual["n"] == expected["n"]
    for key in ("mean", "median", "p90", "max", "total"):
        assert close(actual[key], expected[key], rel), (key, actual[key], expected[key])


def quiet_pm4py(call: Callable[[], Any]) -> Any:
    """Run a pm4py call with its progress output swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return call()


# --- the checks, shared by the per-log tests and the slow road-fines test -------------------

def check_dfg(m: Measured) -> None:
    """Edge, start and end counts equal pm4py's ``discover_dfg``."""
    dfg, start, end = quiet_pm4py(lambda: pm4py.discover_dfg(m.pm4py_frame()))
    ours = {(e["source"], e["target"]): e["count"] for e in m.result["dfg"]["edges"]}
    assert ours == {pair: int(n) for pair, n in dfg.items()}
    assert m.result["dfg"]["start"] == {a: int(n) for a, n in start.items()}
    assert m.result["dfg"]["end"] == {a: int(n) for a, n in end.items()}


def check_edge_performance(m: Measured) -> None:
    """Each edge's elapsed mean, median, max and total equal pm4py's performance DFG."""
    perf, _, _ = quiet_pm4py(lambda: pm4py.discover_performance_dfg(m.pm4py_frame()))
    edges = {(e["source"], e["target"]): e["elapsed"] for e in m.result["dfg"]["edges"]}
    assert set(edges) == set(perf)
    for pair, elapsed in edges.items():
        theirs = perf[pair]
        assert close(elapsed["mean"], float(theirs["mean"]), REL_PM4PY), pair
        assert close(elapsed["median"], float(theirs["median"]), REL_PM4PY), pair
        assert close(elapsed["max"], float(theirs["max"]), REL_SECONDS), pair
        assert close(elapsed["total"], float(theirs["sum"]), REL_SUM), pair


def check_case_durations(m: Measured) -> None:
    """pm4py's case durations against procflow's cycle time (METRICS §3, §6)."""
    durations = sorted(float(d) for d in quiet_pm4py(
        lambda: pm4py.get_all_case_durations(m.pm4py_frame())))
    spans = case_spans(m.instances)
    assert len(durations) == len(spans)
    assert all(close(d, s, REL_SECONDS) for d, s in zip(durations, spans, strict=True))
    cycle = m.result["cycle_time"]
    # Σ(completion − first completion) is also the sum of procflow's edge elapsed totals (§4).
    edge_total = sum(e["elapsed"]["total"] for e in m.result["dfg"]["edges"])
    assert close(edge_total, sum(durations))
    if not m.spec.has_start:
        assert_stats(cycle, stats(durations), REL_SECONDS)
        return
    from_first = stats(spans)
    assert cycle["n"] == from_first["n"]
    assert cycle["max"] >= from_first["max"]
    for key in ("mean", "median", "p90", "total"):
        assert cycle[key] >= from_first[key] or close(cycle[key], from_first[key], REL_SECONDS)
    assert_stats(cycle, stats(case_cycle_times(m.instances)), REL_SECONDS)


def check_handover(m: Measured) -> None:
    """Handoff pairs equal pm4py's handover-of-work network turned back into raw counts."""
    handoffs = m.result["handoffs"]
    g = m.spec.handoff_by
    if g is None:
        assert handoffs["granularity"] is None and handoffs["pairs"] == []
        return
    assert handoffs["granularity"] == g
    key = XES_KEYS[g]
    frame = m.pm4py_frame()
    frame[key] = frame[key].astype(object).where(frame[key].notna(), UNKNOWN)
    sna = quiet_pm4py(lambda: pm4py.discover_handover_of_work_network(frame, resource_key=key))
    n_transitions = len(frame) - frame["case:concept:name"].nunique()
    raw: dict[tuple[str, str], int] = {}
    for pair, value in sna.connections.items():
        count = float(value) * n_transitions
        assert abs(count - round(count)) < 1e-6, (pair, count)
        raw[pair] = round(count)
    assert sum(raw.values()) == n_transitions
    pairs = {pair: n for pair, n in raw.items() if pair[0] != pair[1] and UNKNOWN not in pair}
    assert {(p["from"], p["to"]): p["count"] for p in handoffs["pairs"]} == pairs
    assert handoffs["total"] == sum(pairs.values())
    assert handoffs["unknown"] == sum(n for pair, n in raw.items() if UNKNOWN in pair)


def check_variants(m: Measured) -> None:
    """Variant count and the cases of the top variants equal pm4py's ``get_variants``."""
    variants = quiet_pm4py(lambda: pm4py.get_variants(m.pm4py_frame()))
    counts = {tuple(v): int(n) for v, n in variants.items()}
    ours = m.result["variants"]
    assert ours["count"] == len(counts)
    top = ours["top"]
    assert [v["cases"] for v in top] == sorted(counts.values(), reverse=True)[:len(top)]
    for v in top:
        assert counts[tuple(v["activities"])] == v["cases"]


PM4PY_CHECKS = [check_dfg, check_edge_performance, check_case_durations, check_handover,
                check_variants]


# --- per-log tests ------------------------------------------------------------------------

@pytest.mark.parametrize("file", IDS)
def test_instances_are_read_as_expected(measured: Callable[[str], Measured], file: str) -> None:
    m = measured(file)
    assert m.result["settings"]["lifecycle"] == m.spec.lifecycle
    assert m.result["log"]["has_start_times"] == m.spec.has_start
    assert sum(a["count"] for a in m.result["activities"]) == len(m.instances)
    assert m.result["cycle_time"]["n"] == m.instances["case_id"].nunique()


@pytest.mark.parametrize("file", IDS)
def test_dfg_counts_equal_pm4py(measured: Callable[[str], Measured], file: str) -> None:
    check_dfg(measured(file))


@pytest.mark.parametrize("file", IDS)
def test_edge_elapsed_equals_pm4py_performance_dfg(measured: Callable[[str], Measured],
                                                   file: str) -> None:
    check_edge_performance(measured(file))


@pytest.mark.parametrize("file", IDS)
def test_cycle_time_against_pm4py_case_durations(measured: Callable[[str], Measured],
                                                 file: str) -> None:
    check_case_durations(measured(file))


@pytest.mark.parametrize("file", IDS)
def test_handoff_pairs_equal_pm4py_handover_raw_counts(measured: Callable[[str], Measured],
                                                       file: str) -> None:
    check_handover(measured(file))


@pytest.mark.parametrize("file", [s.file for s in SPECS if s.handoff_by])
def test_pm4py_handover_is_raw_directly_follows_counts_normalised(
        measured: Callable[[str], Measured], file: str) -> None:
    """pm4py's values are pandas' counts of every g(x)→g(y) (self and unknown included)
    divided by their sum; restricted to g(x) ≠ g(y), both known, they are procflow's pairs."""
    m = measured(file)
    g = m.spec.handoff_by
    assert g is not None
    steps = transitions(m.instances)
    steps = steps[~steps["first"]]
    frm = steps[f"prev_{g}"].astype(object).where(steps[f"prev_{g}"].notna(), UNKNOWN)
    to = steps[g].astype(object).where(steps[g].notna(), UNKNOWN)
    raw = Counter(zip(frm, to, strict=True))
    key = XES_KEYS[g]
    frame = m.pm4py_frame()
    frame[key] = frame[key].astype(object).where(frame[key].notna(), UNKNOWN)
    sna = quiet_pm4py(lambda: pm4py.discover_handover_of_work_network(frame, resource_key=key))
    assert set(sna.connections) == set(raw)
    total = sum(raw.values())
    for pair, value in sna.connections.items():
        assert close(float(value), raw[pair] / total, 1e-12), pair
    pairs = {p: n for p, n in raw.items() if p[0] != p[1] and UNKNOWN not in p}
    assert {(p["from"], p["to"]): p["count"] for p in m.result["handoffs"]["pairs"]} == pairs


@pytest.mark.parametrize("file", IDS)
def test_variants_equal_pm4py(measured: Callable[[str], Measured], file: str) -> None:
    check_variants(measured(file))


def test_interval_log_would_differ_if_pm4py_ordered_by_start(
        measured: Callable[[str], Measured]) -> None:
    """Given a ``start_timestamp`` column pm4py orders cases by start; procflow does not."""
    m = measured("interval_event_log.xes")
    frame = m.pm4py_frame().assign(start_timestamp=m.instances["start_timestamp"])
    dfg, _, _ = quiet_pm4py(lambda: pm4py.discover_dfg(frame))
    ours = {(e["source"], e["target"]): e["count"] for e in m.result["dfg"]["edges"]}
    theirs = {pair: int(n) for pair, n in dfg.items()}
    assert sum(ours.values()) == sum(theirs.values())
    assert ours != theirs


@pytest.mark.slow
def test_road_traffic_fines_agree_with_pm4py() -> None:
    m = measure_log(ROAD_FINES)
    try:
        assert m.result["settings"]["lifecycle"] == ROAD_FINES.lifecycle
        for check in PM4PY_CHECKS:
            check(m)
    finally:
        m.log.con.close()


# --- plain pandas on three logs -------------------------------------------------------------

@pytest.mark.parametrize("file", PANDAS_LOGS)
def test_default_decision_activities(measured: Callable[[str], Measured], file: str) -> None:
    m = measured(file)
    assert m.result["decisions"]["activities"] == DEFAULT_DECISIONS[file]


def check_decision_latency(decisions: dict[str, Any], inst: pd.DataFrame) -> None:
    """Decision latency overall and by activity equals elapsed into decision instances."""
    chosen = decisions["activities"]
    steps = transitions(inst)
    is_decision = steps["activity"].isin(chosen)
    assert decisions["excluded"] == int((is_decision & steps["first"]).sum())
    latency = steps[is_decision & ~steps["first"]]
    assert decisions["overall"]["n"] == len(latency)
    by_activity = {d["key"]: d for d in decisions["by_activity"]}
    assert set(by_activity) == set(latency["activity"])
    for activity, values in latency.groupby("activity")["elapsed"]:
        ours = by_activity[activity]
        assert ours["n"] == len(values)
        assert close(ours["median"], float(values.median())), activity
        assert close(ours["mean"], float(values.mean())), activity
        assert ours["max"] == float(values.max())
    if len(latency):
        assert_stats(decisions["overall"], stats(latency["elapsed"]), REL_SUM)


@pytest.mark.parametrize("file", PANDAS_LOGS)
def test_decision_latency_by_activity_default_pattern(measured: Callable[[str], Measured],
                                                      file: str) -> None:
    m = measured(file)
    check_decision_latency(m.result["decisions"], m.instances)


@pytest.mark.parametrize("file", sorted(CHOSEN_PATTERNS))
def test_decision_latency_by_activity_chosen_pattern(measured: Callable[[str], Measured],
                                                     file: str) -> None:
    m = measured(file)
    pattern = CHOSEN_PATTERNS[file]
    result = procflow.analyze(m.log, decisions=pattern, handoff_by=m.spec.handoff_by).to_dict()
    chosen = result["decisions"]["activities"]
    assert chosen == sorted(a for a in set(m.instances["activity"]) if re.search(pattern, a))
    assert chosen
    check_decision_latency(result["decisions"], m.instances)


@pytest.mark.parametrize("file", PANDAS_LOGS)
def test_handoffs_per_case_and_ping_pong(measured: Callable[[str], Measured],
                                         file: str) -> None:
    m = measured(file)
    g = m.spec.handoff_by
    assert g is not None
    steps = transitions(m.instances)
    cur, prev, prev2 = steps[g], steps[f"prev_{g}"], steps[f"prev2_{g}"]
    known = cur.notna() & prev.notna()
    handoff = known & (cur != prev)
    per_case = handoff.groupby(steps["case_id"]).sum()
    ping_pong = known & prev2.notna() & (cur == prev2) & (cur != prev)
    handoffs = m.result["handoffs"]
    assert handoffs["granularity"] == g
    assert handoffs["total"] == int(handoff.sum())
    assert handoffs["unknown"] == int((~steps["first"] & ~known).sum())
    assert_stats(handoffs["per_case"], stats(per_case), REL_SUM)
    assert handoffs["ping_pong"]["total"] == int(ping_pong.sum())
    cases = int(steps.loc[ping_pong, "case_id"].nunique())
    assert handoffs["ping_pong"]["cases"] == cases
    assert handoffs["ping_pong"]["share"] == cases / len(per_case)


@pytest.mark.parametrize("file", PANDAS_LOGS)
def test_activity_bottlenecks(measured: Callable[[str], Measured], file: str) -> None:
    m = measured(file)
    steps = transitions(m.instances)
    n_cases = steps["case_id"].nunique()
    span_total = sum(case_spans(m.instances))
    into = steps[~steps["first"]]
    ours = [b for b in m.result["bottlenecks"] if b["kind"] == "activity"]
    assert [b["total"] for b in ours] == sorted((b["total"] for b in ours), reverse=True)
    by_name = {b["name"]: b for b in ours}
    assert set(by_name) == set(into["activity"])
    for activity, group in into.groupby("activity"):
        values = group["elapsed"]
        b = by_name[activity]
        median = float(values.median())
        assert b["count"] == len(values)
        assert b["cases"] == group["case_id"].nunique()
        assert close(b["total"], float(values.sum())), activity
        assert close(b["share"], float(values.sum()) / span_total), activity
        assert close(b["median"], median), activity
        assert close(b["p90"], float(values.quantile(0.9))), activity
        assert close(b["impact"], float((values - median).clip(lower=0).sum()) / n_cases)
    assert close(sum(b["share"] for b in ours), 1.0)
    edges = [b for b in m.result["bottlenecks"] if b["kind"] == "edge"]
    assert close(sum(b["share"] for b in edges), 1.0)


def assert_optional_stats(actual: dict[str, Any], values: pd.Series) -> None:
    """Stats of ``values`` without missing ones; ``n`` = 0 where none is known."""
    known = values.dropna()
    if known.empty:
        assert actual["n"] == 0
    else:
        assert_stats(actual, stats(known), REL_SUM)


@pytest.mark.parametrize("file", [s.file for s in SPECS if s.has_start])
def test_waiting_and_processing(measured: Callable[[str], Measured], file: str) -> None:
    """Per activity, per edge and per decision activity: wait = max(0, start − enabled) and
    processing = completion − start, where the start is known (METRICS §2, §4, §5)."""
    m = measured(file)
    steps = transitions(m.instances)
    enabled_to_start = (steps["start_timestamp"] - steps["prev_timestamp"]).dt.total_seconds()
    steps["wait"] = enabled_to_start.clip(lower=0)
    steps["processing"] = (steps["timestamp"] - steps["start_timestamp"]).dt.total_seconds()
    assert steps["start_timestamp"].notna().all()
    for a in m.result["activities"]:
        rows = steps[steps["activity"] == a["activity"]]
        assert_optional_stats(a["processing"], rows["processing"])
        assert_optional_stats(a["wait"], rows["wait"])
    for e in m.result["dfg"]["edges"]:
        rows = steps[(steps["prev_activity"] == e["source"]) & (steps["activity"] == e["target"])]
        assert_optional_stats(e["wait"], rows["wait"])
    later = steps[~steps["first"]]
    for d in m.result["decisions"]["by_activity"]:
        rows = later[later["activity"] == d["key"]]
        assert_optional_stats(d["waiting"], rows["wait"])
        assert_optional_stats(d["processing"], rows["processing"])


def test_default_pattern_finds_prefixed_indonesian_decision_words() -> None:
    names = ["Menyetujui permohonan", "Menolak permohonan", "Penolakan berkas",
             "Memutuskan permohonan", "Memaraf draf SK", "Penandatanganan SK"]
    assert select_decisions(names) == sorted(names)
