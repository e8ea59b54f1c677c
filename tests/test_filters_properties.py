"""Properties of filters on random logs: a filtered log measures as its export read back;
``--with`` and ``--without`` on the same values split the cases in two; filters of whole
cases (ranks aside) commute, and so do filters of events; a filtered log stored with
``--save-as`` measures as the filtered log."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import procflow
from procflow import Workspace
from procflow.core.db import cursor
from procflow.eventlog import EventLog
from procflow.filters import cuts_events, filter_log, from_list, reopen, slice_of
from procflow.store.export import export_log
from tests.test_metrics_exact import approx_tree

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
ACTIVITIES = ["A", "B", "C", "D"]
RESOURCES = ["r1", "r2", "r3"]
CHANNELS = ["web", "desk"]
FIELD_VALUES = {"activity": ACTIVITIES, "resource": RESOURCES, "attr:channel": CHANNELS}
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

event = st.tuples(st.integers(0, 5), st.sampled_from(ACTIVITIES), st.integers(0, 9 * 1440),
                  st.none() | st.integers(0, 600), st.none() | st.sampled_from(RESOURCES),
                  st.sampled_from(CHANNELS))
logs = st.lists(event, min_size=1, max_size=30)


def write_log(events: list[tuple[Any, ...]], folder: Path) -> Path:
    ends = [BASE + dt.timedelta(minutes=e[2]) for e in events]
    table = pa.table({
        "case": [f"c{e[0]}" for e in events],
        "activity": [e[1] for e in events],
        "end": pa.array(ends, pa.timestamp("us", tz="UTC")),
        "start": pa.array([None if e[3] is None else end - dt.timedelta(minutes=e[3])
                           for e, end in zip(events, ends, strict=True)],
                          pa.timestamp("us", tz="UTC")),
        "resource": pa.array([e[4] for e in events], pa.string()),
        "channel": [e[5] for e in events],
    })
    path = folder / "log.parquet"
    pq.write_table(table, path)
    return path


def day(n: int) -> str:
    return (BASE + dt.timedelta(days=n)).strftime("%Y-%m-%d")


def values(kinds: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(list(FIELD_VALUES)).flatmap(lambda field: st.builds(
        lambda kind, chosen: {"kind": kind, "field": field, "values": sorted(chosen)},
        st.sampled_from(kinds), st.sets(st.sampled_from(FIELD_VALUES[field]), min_size=1)))


periods = st.builds(
    lambda a, b, mode: {"kind": "period", "from": day(min(a, b)) if a >= 0 else None,
                        "to": day(max(a, b)), "mode": mode},
    st.integers(-1, 9), st.integers(0, 9),
    st.sampled_from(["started", "completed", "contained", "intersecting", "trim"]))
durations = st.builds(lambda a, b: {"kind": "duration", "min": 60.0 * min(a, b),
                                    "max": 60.0 * max(a, b)},
                      st.integers(0, 3000), st.integers(0, 20000))
activity_sets = st.sets(st.sampled_from(ACTIVITIES), min_size=1).map(sorted)
case_filters = st.one_of(
    periods.filter(lambda p: p["mode"] != "trim"), durations, values(["with", "without"]),
    st.builds(lambda a: {"kind": "starts_with", "activities": a}, activity_sets),
    st.builds(lambda a: {"kind": "ends_with", "activities": a}, activity_sets),
    st.builds(lambda k, a, b: {"kind": k, "from": a, "to": b},
              st.sampled_from(["follows", "directly_follows"]), st.sampled_from(ACTIVITIES),
              st.sampled_from(ACTIVITIES)),
    st.builds(lambda ids: {"kind": "cases", "ids": sorted(f"c{i}" for i in ids)},
              st.sets(st.integers(0, 6), min_size=1)))
event_filters = st.one_of(values(["keep_events", "drop_events"]),
                          periods.map(lambda p: {**p, "mode": "trim"}))
any_filter = st.one_of(case_filters, event_filters,
                       st.builds(lambda n: {"kind": "top_variants", "n": n},
                                 st.integers(1, 4)))


def analysis(log: EventLog) -> dict[str, Any]:
    data = procflow.analyze(log).to_dict()
    data.pop("filter", None)
    data["log"].pop("name")
    return data


def cases(log: EventLog) -> set[str]:
    return set(log.to_pandas()["case_id"])


def events(log: EventLog) -> set[int]:
    return set(log.to_pandas()["event_id"])


def cut(log: EventLog, spec: list[dict[str, Any]]) -> EventLog:
    return filter_log(log, spec, check=False, allow_empty=True)


@SETTINGS
@given(logs, st.lists(any_filter, min_size=1, max_size=3), st.sampled_from(["csv", "parquet"]))
def test_a_filtered_log_measures_as_its_export(events_: list[tuple[Any, ...]],
                                               spec: list[dict[str, Any]], fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = procflow.read(write_log(events_, Path(tmp)))
        out = cut(log, spec)
        assume(out.selection["cases"]["kept"] > 0)
        assert len(out.to_arrow()) == out.selection["events"]["kept"]
        again = procflow.read(export_log(out, Path(tmp) / f"cut.{fmt}"))
        assert analysis(again) == approx_tree(analysis(out))


@SETTINGS
@given(logs, values(["with"]))
def test_with_and_without_split_the_cases(events_: list[tuple[Any, ...]],
                                          spec: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = procflow.read(write_log(events_, Path(tmp)))
        having = cases(cut(log, [spec]))
        lacking = cases(cut(log, [{**spec, "kind": "without"}]))
        assert having | lacking == cases(log)
        assert not having & lacking


@SETTINGS
@given(logs, case_filters, case_filters)
def test_filters_of_whole_cases_commute(events_: list[tuple[Any, ...]], a: dict[str, Any],
                                        b: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = procflow.read(write_log(events_, Path(tmp)))
        assert events(cut(log, [a, b])) == events(cut(log, [b, a]))


@SETTINGS
@given(logs, event_filters, event_filters)
def test_filters_of_events_commute(events_: list[tuple[Any, ...]], a: dict[str, Any],
                                   b: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = procflow.read(write_log(events_, Path(tmp)))
        assert events(cut(log, [a, b])) == events(cut(log, [b, a]))


@SETTINGS
@given(logs, st.sets(st.sampled_from(ACTIVITIES), min_size=1, max_size=3).map(sorted),
       st.integers(1, 2))
def test_cutting_events_before_ranking_variants_can_matter(
        events_: list[tuple[Any, ...]], names: list[str], n: int) -> None:
    """Ranking after the cut ranks the variants of the cut cases; both orders keep only cases
    of the top variants of the log they rank."""
    with tempfile.TemporaryDirectory() as tmp:
        log = procflow.read(write_log(events_, Path(tmp)))
        keep = {"kind": "keep_events", "field": "activity", "values": names}
        top = {"kind": "top_variants", "n": n}
        after = cut(log, [keep, top])
        assert cases(after) == cases(cut(cut(log, [keep]), [top]))
        assert cases(cut(log, [top, keep])) <= cases(cut(log, [top]))
        assume(after.selection["cases"]["kept"] > 0)
        variants = analysis(after)["variants"]
        assert variants["count"] <= n


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, st.lists(any_filter, min_size=1, max_size=2))
def test_save_as_stores_the_filtered_log(events_: list[tuple[Any, ...]],
                                         spec: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "w.duckdb") as ws:
        ws.import_file(write_log(events_, Path(tmp)), name="log")
        out = cut(ws.log("log"), spec)
        assume(out.selection["cases"]["kept"] > 0)
        stored = ws.store_log(out, name="slice")
        assert (stored.cases, stored.events) == (out.selection["cases"]["kept"],
                                                 out.selection["events"]["kept"])
        assert analysis(ws.log("slice")) == approx_tree(analysis(out))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, st.lists(any_filter, min_size=1, max_size=3))
def test_a_slice_reopened_on_another_connection_measures_as_the_filtered_log(
        events_: list[tuple[Any, ...]], spec: list[dict[str, Any]]) -> None:
    """The cases a slice kept, cut again on another connection of the workspace, give the
    filtered log's events, filter block and figures; a slice that cut events is not
    reopened (it is filtered again)."""
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "w.duckdb") as ws:
        ws.import_file(write_log(events_, Path(tmp)), name="log")
        out = cut(ws.log("log"), spec)
        kept = slice_of(out)
        assert kept.selection == out.selection
        assert (kept.codes is None) == any(cuts_events(f) for f in from_list(spec))
        assume(kept.codes is not None and kept.cases > 0)
        assert kept.codes.num_rows == kept.cases
        with Workspace(Path(tmp) / "w.duckdb", con=cursor(ws.con)) as other:
            again = reopen(other.log("log"), kept)
            assert again.selection == out.selection
            assert events(again) == events(out)
            assert analysis(again) == analysis(out)
