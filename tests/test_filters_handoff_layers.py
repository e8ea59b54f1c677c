"""The handoff and layer-sequence filters: exact cases on the small hand-made log of
``test_filters_exact`` (from a workspace and from the file), the command line's syntax, JSON,
errors; on real logs against plain pandas; and, on random logs, the counts of the analysis'
handoff pairs and layer sequences equal the cases each filter keeps.

The small log's performers in case order (resource / role / level):
    c1  ana Staff 5 · budi Kasi 3 · citra Kabid 2
    c2  ana Staff 5 · citra Kabid 2
    c3  ana Staff 5 · budi Kasi 3 · dewi Kasi 3 · citra Kabid 2
    c4  budi Kasi 3 · ana Staff 5
    c5  ana Staff 5 · dewi Kasi 3 · citra Kabid 2
    c6  eko Staff 5 · citra Kabid 2
Activities: A by Staff, B by Kasi, C by Kabid.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import procflow
from procflow import ImportOptions, Workspace
from procflow.cli import main
from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import Handoff, Layers, filter_log, from_json, parse_option, to_json
from procflow.filters.words import describe
from tests.conftest import shared_file
from tests.test_filters_exact import CSV

ALL = ["c1", "c2", "c3", "c4", "c5", "c6"]


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handoffs") / "small.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["workspace", "file"])
def log(request: pytest.FixtureRequest, csv_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventLog]:
    if request.param == "file":
        yield procflow.read(csv_path)
        return
    with Workspace(tmp_path_factory.mktemp("ws") / "w.duckdb") as ws:
        ws.import_file(csv_path, options=ImportOptions())
        yield ws.log("small")


def kept(log: EventLog, *spec: dict[str, Any]) -> list[str]:
    return sorted({str(c) for c in filter_log(log, list(spec), allow_empty=True)
                   .to_pandas()["case_id"]})


def handoff(a: str, b: str, by: str | None = None) -> dict[str, Any]:
    return {"kind": "handoff", "from": a, "to": b, "by": by}


def layers(*sequence: str, by: str | None = None,
           decisions: list[str] | None = None) -> dict[str, Any]:
    return {"kind": "layers", "sequence": list(sequence), "by": by, "decisions": decisions}


@pytest.mark.parametrize(("spec", "expected"), [
    # resources (the default granularity: the log names them)
    (handoff("ana", "budi"), ["c1", "c3"]),
    (handoff("budi", "citra"), ["c1"]),
    (handoff("dewi", "citra"), ["c3", "c5"]),
    (handoff("budi", "ana"), ["c4"]),
    (handoff("citra", "ana"), []),
    (handoff("ana", "budi", "resource"), ["c1", "c3"]),
    # roles: Kasi → Kasi in c3 is no handoff, so it adds no case
    (handoff("Staff", "Kasi", "role"), ["c1", "c3", "c5"]),
    (handoff("Kasi", "Kabid", "role"), ["c1", "c3", "c5"]),
    (handoff("Staff", "Kabid", "role"), ["c2", "c6"]),
    (handoff("Kasi", "Staff", "role"), ["c4"]),
    # a name unknown at that granularity keeps no case
    (handoff("ana", "Kasi", "role"), []),
])
def test_handoff_filter(log: EventLog, spec: dict[str, Any], expected: list[str]) -> None:
    assert kept(log, spec) == expected


def test_handoff_after_events_are_dropped_joins_the_neighbours(log: EventLog) -> None:
    # Without B, ana hands over to citra in c1, c3 and c5 too (c2 already did).
    drop_b = {"kind": "drop_events", "field": "activity", "values": ["B"]}
    assert kept(log, drop_b, handoff("ana", "citra")) == ["c1", "c2", "c3", "c5"]
    assert kept(log, handoff("ana", "citra")) == ["c2"]


@pytest.mark.parametrize(("spec", "expected"), [
    # decision steps B and C: levels 3 then 2 (c3's two B's at level 3 count once)
    (layers("3", "2", decisions=["B", "C"]), ["c1", "c3", "c5"]),
    (layers("2", decisions=["B", "C"]), ["c2", "c6"]),
    (layers("3", decisions=["B", "C"]), ["c4"]),
    (layers("2", "3", decisions=["B", "C"]), []),
    (layers("Kasi", "Kabid", by="role", decisions=["B", "C"]), ["c1", "c3", "c5"]),
    # decision steps A and C: level 5 then 2 in every case but c4 (5 only)
    (layers("5", "2", decisions=["A", "C"]), ["c1", "c2", "c3", "c5", "c6"]),
    (layers("5", decisions=["A", "C"]), ["c4"]),
    # no decision step found by the default pattern (A, B, C): no case has layers
    (layers("3"), []),
])
def test_layer_sequence_filter(log: EventLog, spec: dict[str, Any],
                               expected: list[str]) -> None:
    assert kept(log, spec) == expected


def test_counts_equal_the_analysis_tables(log: EventLog) -> None:
    data = procflow.analyze(log, decision_activities=["B", "C"]).to_dict()
    pairs = {(p["from"], p["to"]): p["cases"] for p in data["handoffs"]["pairs"]}
    assert pairs == {("ana", "budi"): 2, ("budi", "citra"): 1, ("budi", "dewi"): 1,
                     ("dewi", "citra"): 2, ("ana", "citra"): 1, ("budi", "ana"): 1,
                     ("ana", "dewi"): 1, ("eko", "citra"): 1}
    for (a, b), n in pairs.items():
        assert len(kept(log, handoff(a, b, "resource"))) == n
    sequences = {s["levels"]: s["cases"] for s in data["layers"]["sequences"]}
    assert sequences == {"3→2": 3, "2": 2, "3": 1}
    for levels, n in sequences.items():
        assert len(kept(log, layers(*levels.split("→"), by="level",
                                    decisions=["B", "C"]))) == n


def test_filter_block_says_what_was_read(log: EventLog) -> None:
    cut = filter_log(log, [handoff("Staff", "Kasi", "role"), layers("3", "2",
                                                                   decisions=["B", "C"])])
    assert cut.selection is not None
    assert cut.selection["steps"] == [
        {"kind": "handoff", "cases": 3, "events": 10, "by": "role"},
        {"kind": "layers", "cases": 3, "events": 10, "by": "level", "decisions": ["B", "C"]}]
    auto = filter_log(log, [handoff("ana", "budi")]).selection
    assert auto is not None and auto["steps"][0]["by"] == "resource"


def test_json_round_trip_and_syntax() -> None:
    items = [Handoff("A, B", "C>D", "role"), Handoff("x", "y"),
             Layers(("3", "2"), "level", ("Approve", "Sign")), Layers(("Kasi",))]
    assert from_json(to_json(items)) == items
    assert to_json(from_json(to_json(items))) == to_json(items)
    assert parse_option("handoff", "ana>budi") == Handoff("ana", "budi")
    assert parse_option("handoff", "role:Kasi>Kabid") == Handoff("Kasi", "Kabid", "role")
    assert parse_option("handoff", '"A > B">C') == Handoff("A > B", "C")
    # a prefix that is not a granularity is part of the name
    assert parse_option("handoff", "dr:ana>budi") == Handoff("dr:ana", "budi")
    assert parse_option("layers", "3>2>1") == Layers(("3", "2", "1"))
    assert parse_option("layers", "role:Kasi>Kabid") == Layers(("Kasi", "Kabid"), "role")


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("handoff", "ana", "give two performers separated by '>'"),
    ("handoff", "ana>ana", "two different performers"),
    ("handoff", "a>b>c", "give two performers"),
    ("layers", "3>3", "counted once"),
    ("layers", "3>>2", "an empty name"),
])
def test_syntax_errors(kind: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_option(kind, text)


@pytest.mark.parametrize(("text", "message"), [
    ('{"kind": "handoff", "from": "a", "to": "b", "by": "team"}', "not a granularity"),
    ('{"kind": "layers", "sequence": ["1"], "by": "unit"}', "not level or role"),
    ('{"kind": "layers", "sequence": ["1"], "decisions": []}', "without decision steps"),
    ('{"kind": "layers", "sequence": []}', "give the layers in order"),
    ('{"kind": "handoff", "from": "a", "to": "b", "level": 1}', "unknown key"),
])
def test_json_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        from_json(text)


def test_unknown_decision_step_is_an_error(log: EventLog) -> None:
    with pytest.raises(InputError, match="decision activities not in the log: Z"):
        filter_log(log, [layers("3", decisions=["Z"])])


def test_words_in_both_languages() -> None:
    en, id_ = Texts("en"), Texts("id")
    assert describe(Handoff("ana", "budi", "role"), en) == (
        "cases where the work passes directly from role “ana” to “budi”")
    assert describe(Layers(("3", "2")), en) == "cases whose approval layers are 3 → 2"
    assert describe(Handoff("ana", "budi"), id_) != describe(Handoff("ana", "budi"), en)
    assert describe(Layers(("3", "2"), "level"), id_) != describe(Layers(("3", "2"), "level"),
                                                                  en)


def test_command_line(csv_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cases.json"
    chain = ('[{"kind": "layers", "sequence": ["Kasi", "Kabid"], "by": "role", '
             '"decisions": ["B", "C"]}]')
    r = CliRunner().invoke(main, ["cases", str(csv_path), "--handoff", "role:Staff>Kasi",
                                  "--filter", chain, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "3 of 6 cases" in r.output
    assert sorted(c["case_id"] for c in json.loads(out.read_text())["cases"]) == [
        "c1", "c3", "c5"]
    r = CliRunner().invoke(main, ["cases", str(csv_path), "--handoff", "budi>ana", "--out",
                                  str(out)])
    assert r.exit_code == 0, r.output
    assert [c["case_id"] for c in json.loads(out.read_text())["cases"]] == ["c4"]
    # no step is a decision by name, so no case has layers: said, not an empty table
    empty = CliRunner().invoke(main, ["cases", str(csv_path), "--layer-sequence", "3",
                                      "--out", str(out)])
    assert empty.exit_code != 0 and "--layer-sequence: no case is left" in empty.output
    bad = CliRunner().invoke(main, ["cases", str(csv_path), "--handoff", "ana", "--out",
                                    str(out)])
    assert bad.exit_code != 0 and "--handoff" in bad.output


# --- real logs against pandas --------------------------------------------------------------

REAL = {"sepsis.csv": "UTC", "BPI_2020_DomesticDeclarations.xes.gz": None}


@pytest.fixture(scope="module", params=list(REAL))
def real(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EventLog, pd.DataFrame]]:
    path = shared_file(request.param)
    with Workspace(tmp_path_factory.mktemp("real") / "w.duckdb") as ws:
        name = ws.import_file(path, options=ImportOptions(tz=REAL[request.param])).name
        log = ws.log(name)
        frame = log.to_pandas().sort_values(
            ["case_id", "timestamp", "start_timestamp", "event_id"], na_position="last",
            kind="stable").reset_index(drop=True)
        yield log, frame


def pandas_handoffs(frame: pd.DataFrame, g: str) -> dict[tuple[str, str], set[str]]:
    """The cases of each handoff pair at ``g``: consecutive events of a case whose ``g``
    values are both known and differ."""
    prev = frame.groupby("case_id", sort=False)[g].shift(1)
    moved = frame[prev.notna() & frame[g].notna() & (prev != frame[g])]
    out: dict[tuple[str, str], set[str]] = {}
    for case, a, b in zip(moved["case_id"], prev[moved.index], moved[g], strict=True):
        out.setdefault((str(a), str(b)), set()).add(str(case))
    return out


def pandas_layers(frame: pd.DataFrame, decisions: list[str], by: str) -> dict[str, set[str]]:
    """The cases of each layer sequence: the ``by`` values of the decision events in case
    order, a value repeated at once counted once."""
    rows = frame[frame["activity"].isin(decisions) & frame[by].notna()]
    out: dict[str, set[str]] = {}
    for case, values in rows.groupby("case_id", sort=False)[by]:
        seq = [str(v) for v in values]
        collapsed = [v for i, v in enumerate(seq) if i == 0 or v != seq[i - 1]]
        out.setdefault("→".join(collapsed), set()).add(str(case))
    return out


def test_real_handoffs_against_pandas(real: tuple[EventLog, pd.DataFrame]) -> None:
    log, frame = real
    g = next(c for c in ("resource", "role", "unit") if frame[c].notna().any())
    expected = pandas_handoffs(frame, g)
    ranked = sorted(expected.items(), key=lambda p: (-len(p[1]), p[0]))
    data = procflow.analyze(log).to_dict()
    assert {(p["from"], p["to"]): p["cases"] for p in data["handoffs"]["pairs"]} == {
        k: len(v) for k, v in expected.items()}
    for (a, b), cases in [ranked[0], ranked[len(ranked) // 2], ranked[-1]]:
        assert set(kept(log, handoff(a, b, g))) == cases


def test_real_layers_against_pandas(real: tuple[EventLog, pd.DataFrame]) -> None:
    log, frame = real
    by = "level" if frame["level"].notna().any() else "role"
    if frame[by].isna().all():
        pytest.skip("the log names no level or role, so it has no approval layers")
    counts = frame["activity"].value_counts()
    decisions = sorted(str(a) for a in counts.index[:4])
    expected = pandas_layers(frame, decisions, by)
    data = procflow.analyze(log, decision_activities=decisions).to_dict()
    ranked = sorted(expected.items(), key=lambda s: (-len(s[1]), s[0]))
    assert [(s["levels"], s["cases"]) for s in data["layers"]["sequences"]] == [
        (k, len(v)) for k, v in ranked[:20]]
    for sequence, cases in ranked[:3]:
        assert set(kept(log, layers(*sequence.split("→"), by=by,
                                    decisions=decisions))) == cases


# --- random logs ---------------------------------------------------------------------------

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
event = st.tuples(st.integers(0, 5), st.sampled_from(["A", "B", "C"]),
                  st.integers(0, 5000), st.none() | st.sampled_from(["r1", "r2", "r3"]),
                  st.none() | st.sampled_from(["1", "2", "3"]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, min_size=1, max_size=25))
def test_random_logs_counts_and_partition(events: list[tuple[Any, ...]]) -> None:
    """Each pair's and sequence's count is the number of cases its filter keeps; the
    sequences' filters split the cases with a decision in parts."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        pq.write_table(pa.table({
            "case": [f"c{e[0]}" for e in events], "activity": [e[1] for e in events],
            "end": pa.array([BASE + dt.timedelta(minutes=e[2]) for e in events],
                            pa.timestamp("us", tz="UTC")),
            "resource": pa.array([e[3] for e in events], pa.string()),
            "level": pa.array([e[4] for e in events], pa.string())}), path)
        log = procflow.read(path)
        decisions = sorted({e[1] for e in events} & {"B", "C"})
        data = procflow.analyze(log, decision_activities=decisions).to_dict()
        for p in data["handoffs"]["pairs"]:
            assert len(kept(log, handoff(p["from"], p["to"], "resource"))) == p["cases"]
            assert p["count"] >= p["cases"] >= 1
        if data["layers"] is None:
            return
        parts = [set(kept(log, layers(*s["levels"].split("→"), by="level",
                                      decisions=decisions)))
                 for s in data["layers"]["sequences"]]
        for part, s in zip(parts, data["layers"]["sequences"], strict=True):
            assert len(part) == s["cases"]
        union = set().union(*parts)
        assert sum(len(p) for p in parts) == len(union)  # no case in two sequences
        decided = {f"c{e[0]}" for e in events if e[1] in ("B", "C") and e[4] is not None}
        assert union == decided  # every case with a decision by a known level, once
