"""Each filter on real logs against an independent filter written in plain pandas.

The logs are imported into a workspace (the filters then read the stored step and case
tables). pandas gets the same canonical events, orders each case by (completion, start,
event id), filters them by the filter's definition and recomputes the cases, the events, the
median cycle time (arrival = earliest start, else completion) and the count of every
directly-follows edge; all must equal procflow's ``analysis.json`` exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import procflow
from procflow import ImportOptions, Workspace
from procflow.eventlog import EventLog
from procflow.filters import filter_log
from tests.conftest import shared_file

LOGS = {"sepsis.csv": "UTC", "BPI_2020_DomesticDeclarations.xes.gz": None,
        "BPIC15_1.xes.gz": None, "interval_event_log.xes": None}
US = 1_000_000


@dataclass
class Real:
    log: EventLog
    events: pd.DataFrame  # canonical events in case order, with arrival and completion


@pytest.fixture(scope="module", params=list(LOGS))
def real(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Real]:
    path = shared_file(request.param)
    with Workspace(tmp_path_factory.mktemp("real") / "w.duckdb") as ws:
        name = ws.import_file(path, options=ImportOptions(tz=LOGS[request.param])).name
        log = ws.log(name)
        yield Real(log, ordered(log.to_pandas()))


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Events in case order (METRICS §2); pandas puts missing starts last, as procflow."""
    frame = frame.sort_values(["case_id", "timestamp", "start_timestamp", "event_id"],
                              na_position="last", kind="stable").reset_index(drop=True)
    return frame


def cases_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Per case: arrival, completion (µs), cycle time (s), variant, first and last activity."""
    first = frame["start_timestamp"].fillna(frame["timestamp"])
    grouped = frame.assign(first=first).groupby("case_id", sort=False)
    out = pd.DataFrame({
        "arrival": grouped["first"].min(), "completion": grouped["timestamp"].max(),
        "variant": grouped["activity"].agg(tuple)})
    out["cycle"] = (out["completion"] - out["arrival"]).dt.total_seconds()
    return out


def figures(frame: pd.DataFrame) -> dict[str, Any]:
    cases = cases_of(frame)
    same = frame["case_id"].eq(frame["case_id"].shift(-1))
    edges = Counter(zip(frame["activity"][same], frame["activity"].shift(-1)[same],
                        strict=True))
    return {"cases": len(cases), "events": len(frame),
            "cycle_median": float(np.quantile(cases["cycle"].to_numpy(), 0.5)),
            "edges": dict(edges)}


def procflow_figures(log: EventLog, spec: list[dict[str, Any]]) -> dict[str, Any]:
    data = procflow.analyze(filter_log(log, spec)).to_dict()
    return {"cases": data["log"]["cases"], "events": data["log"]["events"],
            "cycle_median": data["cycle_time"]["median"],
            "edges": {(e["source"], e["target"]): e["count"] for e in data["dfg"]["edges"]}}


def keep_cases(frame: pd.DataFrame, keep: Callable[[pd.DataFrame], pd.Series]) -> pd.DataFrame:
    chosen = keep(cases_of(frame))
    return frame[frame["case_id"].isin(chosen[chosen].index)]


def common(frame: pd.DataFrame, column: str, rank: int) -> Any:
    """The value of ``column`` at ``rank`` by frequency (the rarest if there are fewer)."""
    counts = frame[column].value_counts().sort_index().sort_values(ascending=False,
                                                                   kind="stable")
    return counts.index[min(rank, len(counts) - 1)]


def utc_us(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def check(real: Real, spec: list[dict[str, Any]], expected: pd.DataFrame) -> None:
    ours, theirs = procflow_figures(real.log, spec), figures(ordered(expected))
    assert ours == theirs
    assert ours["cases"] > 0


def test_periods(real: Real) -> None:
    cases = cases_of(real.events)
    mid = cases["arrival"].quantile(0.4).strftime("%Y-%m-%d")
    end = cases["arrival"].quantile(0.7).strftime("%Y-%m-%d")
    low, high = utc_us(mid), utc_us(end) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    tests = {
        "started": lambda c: c["arrival"].between(low, high),
        "completed": lambda c: c["completion"].between(low, high),
        "contained": lambda c: (c["arrival"] >= low) & (c["completion"] <= high),
        "intersecting": lambda c: (c["arrival"] <= high) & (c["completion"] >= low),
    }
    for mode, keep in tests.items():
        spec = [{"kind": "period", "from": mid, "to": end, "mode": mode}]
        check(real, spec, keep_cases(real.events, keep))
    trimmed = real.events[real.events["timestamp"].between(low, high)]
    check(real, [{"kind": "period", "from": mid, "to": end, "mode": "trim"}], trimmed)


def test_with_without_and_event_values(real: Real) -> None:
    frame = real.events
    field = "resource" if frame["resource"].notna().any() else "activity"
    value = str(common(frame, field, 2))
    has = set(frame.loc[frame[field] == value, "case_id"])
    check(real, [{"kind": "with", "field": field, "values": [value]}],
          frame[frame["case_id"].isin(has)])
    check(real, [{"kind": "without", "field": field, "values": [value]}],
          frame[~frame["case_id"].isin(has)])
    activities = [str(common(frame, "activity", i)) for i in (0, 1)]
    check(real, [{"kind": "keep_events", "field": "activity", "values": activities}],
          frame[frame["activity"].isin(activities)])
    check(real, [{"kind": "drop_events", "field": "activity", "values": activities}],
          frame[~frame["activity"].isin(activities)])


def test_variants_durations_ends_and_order(real: Real) -> None:
    frame = real.events
    cases = cases_of(frame)
    counts = cases["variant"].value_counts()
    ranked = sorted(counts.items(), key=lambda v: (-v[1], v[0]))
    top = {v for v, _ in ranked[:3]}
    check(real, [{"kind": "top_variants", "n": 3}],
          keep_cases(frame, lambda c: c["variant"].isin(top)))
    low, high = cases["cycle"].quantile(0.25), cases["cycle"].quantile(0.6)
    check(real, [{"kind": "duration", "min": float(low), "max": float(high)}],
          keep_cases(frame, lambda c: c["cycle"].between(low, high)))
    first = str(cases["variant"].map(lambda v: v[0]).value_counts().index[0])
    last = str(cases["variant"].map(lambda v: v[-1]).value_counts().index[0])
    check(real, [{"kind": "starts_with", "activities": [first]}],
          keep_cases(frame, lambda c: c["variant"].map(lambda v: v[0] == first)))
    check(real, [{"kind": "ends_with", "activities": [last]}],
          keep_cases(frame, lambda c: c["variant"].map(lambda v: v[-1] == last)))
    pairs = Counter((v[i], v[i + 1]) for v in cases["variant"] for i in range(len(v) - 1))
    a, b = sorted(pairs.items(), key=lambda p: (-p[1], p[0]))[1][0]
    check(real, [{"kind": "directly_follows", "from": a, "to": b}], keep_cases(
        frame, lambda c: c["variant"].map(lambda v: (a, b) in pairwise(v))))

    def eventually(v: tuple[str, ...]) -> bool:
        return a in v and b in v[v.index(a) + 1:]

    check(real, [{"kind": "follows", "from": a, "to": b}],
          keep_cases(frame, lambda c: c["variant"].map(eventually)))


def test_case_ids_and_a_chain(real: Real, tmp_path: Path) -> None:
    frame = real.events
    ids = sorted(frame["case_id"].unique())[::7]
    check(real, [{"kind": "cases", "ids": [str(i) for i in ids]}],
          frame[frame["case_id"].isin(ids)])
    # A chain: drop the most frequent activity, then keep the top 5 variants of what is left.
    activity = str(common(frame, "activity", 0))
    cut = frame[frame["activity"] != activity]
    top = {v for v, _ in sorted(cases_of(cut)["variant"].value_counts().items(),
                                key=lambda v: (-v[1], v[0]))[:5]}
    check(real, [{"kind": "drop_events", "field": "activity", "values": [activity]},
                 {"kind": "top_variants", "n": 5}],
          keep_cases(cut, lambda c: c["variant"].isin(top)))
