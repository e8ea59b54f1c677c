"""The filter "B after any earlier step" (``follows`` without a first activity): the cases
behind a step's decision latency and its bottleneck (a step that starts its case has neither).
Exact on a small log, its syntax, JSON and words, a property on random logs (the filter keeps
exactly the cases the analysis counts, and those pandas finds), and the choices the filter
panel offers for the handoff and layers filters, exact by hand."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import procflow
from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.filters import (
    Handoff,
    Layers,
    Order,
    describe,
    filter_log,
    from_json,
    parse_option,
    to_json,
)
from procflow.filters.choices import handoff_pairs, layer_sequences
from tests.test_filters_properties import ACTIVITIES, SETTINGS, logs, write_log

# c1 Submit Approve Fix Approve · c2 Approve Submit Approve · c3 Approve Close · c4 Submit
# Close; roles: Submit and Fix by Staff, Approve by Kasi (c1's second by Kabid), Close by
# Kabid; levels 5 (Staff), 3 (Kasi), 2 (Kabid).
CSV = """\
case,activity,end,role,level
c1,Submit,2024-03-01T09:00:00Z,Staff,5
c1,Approve,2024-03-01T12:00:00Z,Kasi,3
c1,Fix,2024-03-02T10:00:00Z,Staff,5
c1,Approve,2024-03-02T14:00:00Z,Kabid,2
c2,Approve,2024-03-01T08:00:00Z,Kasi,3
c2,Submit,2024-03-01T09:00:00Z,Staff,5
c2,Approve,2024-03-01T10:00:00Z,Kasi,3
c3,Approve,2024-03-01T08:00:00Z,Kasi,3
c3,Close,2024-03-01T09:00:00Z,Kabid,2
c4,Submit,2024-03-01T08:00:00Z,Staff,5
c4,Close,2024-03-01T09:00:00Z,Kabid,2
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> procflow.EventLog:
    path = tmp_path_factory.mktemp("after-any") / "small.csv"
    path.write_text(CSV, encoding="utf-8")
    return procflow.read(path)


def kept(log: procflow.EventLog, item: Any, check: bool = True) -> list[str]:
    return sorted(set(filter_log(log, [item], check=check, allow_empty=True)
                      .to_pandas()["case_id"]))


def test_cases_where_a_step_comes_after_an_earlier_one(small: procflow.EventLog) -> None:
    assert kept(small, Order("follows", None, "Approve")) == ["c1", "c2"]
    assert kept(small, Order("directly_follows", None, "Approve")) == ["c1", "c2"]
    assert kept(small, Order("follows", None, "Submit")) == ["c2"]
    assert kept(small, Order("follows", None, "Close")) == ["c3", "c4"]
    data = procflow.analyze(small, decision_activities=["Approve"]).to_dict()
    (approve,) = data["decisions"]["by_activity"]
    assert (approve["key"], approve["n"], approve["cases"]) == ("Approve", 3, 2)
    assert approve["total"] == 3 * 3600 + 4 * 3600 + 3600
    bottlenecks = {b["name"]: b["cases"] for b in data["bottlenecks"] if b["kind"] == "activity"}
    assert bottlenecks == {"Submit": 1, "Approve": 2, "Fix": 1, "Close": 2}


def test_syntax_json_and_words() -> None:
    item = parse_option("follows", ">Approve")
    assert item == Order("follows", None, "Approve")
    assert parse_option("directly_follows", ' > "A > B"') == Order("directly_follows", None,
                                                                   "A > B")
    assert from_json(to_json([item])) == [item]
    assert '"from": null' in to_json([item])
    assert describe(item, Texts("en")) == "cases where “Approve” comes after an earlier step"
    assert describe(item, Texts("id")) == "kasus tempat “Approve” muncul sesudah langkah " \
                                          "sebelumnya"
    for text in (">", ">A>B", ""):
        with pytest.raises(InputError):
            parse_option("follows", text)
    with pytest.raises(InputError):
        Order("follows", "", "B")


def test_an_unknown_step_is_named(small: procflow.EventLog) -> None:
    with pytest.raises(InputError, match="Aprove"):
        filter_log(small, [Order("follows", None, "Aprove")])


def test_the_panel_offers_the_logs_own_pairs_and_sequences(small: procflow.EventLog) -> None:
    roles = handoff_pairs(small, "role")
    # by hand: Staff>Kasi c1 c2, Kasi>Staff c1 c2, Staff>Kabid c1 c4, Kasi>Kabid c3
    # (c1's Approve by Kasi then Fix by Staff, then Approve by Kabid); most cases first
    assert [(p["from"], p["to"], p["cases"]) for p in roles["pairs"]] == [
        ("Kasi", "Staff", 2), ("Staff", "Kabid", 2), ("Staff", "Kasi", 2), ("Kasi", "Kabid", 1)]
    assert roles["total"] == 4
    for p in roles["pairs"]:
        assert len(kept(small, Handoff(p["from"], p["to"], "role"))) == p["cases"]
    found = handoff_pairs(small, "role", "kabid", limit=1)
    assert found["total"] == 2 and len(found["pairs"]) == 1
    assert found["pairs"][0] == {"from": "Staff", "to": "Kabid", "cases": 2}
    layers = layer_sequences(small, ["Approve"])
    # levels of Approve's performers: c1 3>2, c2 3 (3, 3 counted once), c3 3
    assert layers["by"] == "level" and layers["decisions"] == ["Approve"]
    assert [(s["levels"], s["cases"]) for s in layers["sequences"]] == [
        (["3"], 2), (["3", "2"], 1)]
    assert layer_sequences(small, ["Approve"], "2")["sequences"] == [
        {"levels": ["3", "2"], "cases": 1}]
    assert layer_sequences(small, [])["sequences"] == []
    for s in layers["sequences"]:  # each choice keeps the cases it says
        item = Layers(tuple(s["levels"]), "level", ("Approve",))
        assert len(kept(small, item)) == s["cases"]


def test_pairs_offered_from_the_stored_ones_are_those_counted_from_the_steps(
        tmp_path: Path) -> None:
    """A workspace log offers the handoff pairs counted at import (at its default
    granularity: role, as it names no resource); the same as counted from its steps, as
    its other granularities are counted."""
    path = tmp_path / "small.csv"
    # c5 hands over from Staff to Kasi twice: one case, two handoffs.
    path.write_text(CSV + "c5,Submit,2024-03-01T08:00:00Z,Staff,5\n"
                    "c5,Approve,2024-03-01T09:00:00Z,Kasi,3\n"
                    "c5,Fix,2024-03-01T10:00:00Z,Staff,5\n"
                    "c5,Approve,2024-03-01T11:00:00Z,Kasi,3\n", encoding="utf-8")
    with procflow.Workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_file(path)
        log = ws.log("small")
        assert ws.con.execute(f"SELECT key FROM {log.table}_pairs_key").fetchall() == [
            ("role",)]
        read = procflow.read(path)
        for by in ("resource", "role", "unit"):
            for find in ("", "a"):
                assert handoff_pairs(log, by, find) == handoff_pairs(read, by, find), by
        assert handoff_pairs(log, "role")["pairs"][:2] == [
            {"from": "Kasi", "to": "Staff", "cases": 3},
            {"from": "Staff", "to": "Kasi", "cases": 3}]


@SETTINGS
@given(logs, st.sampled_from(ACTIVITIES))
def test_after_any_keeps_the_cases_counted(events_: list[tuple[Any, ...]], step: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = procflow.read(write_log(events_, Path(tmp)))
        frame = log.to_pandas().sort_values(
            ["case_id", "timestamp", "start_timestamp", "event_id"], na_position="last",
            kind="stable")
        later = frame[frame.groupby("case_id").cumcount() > 0]
        expected = sorted(set(later.loc[later["activity"] == step, "case_id"]))
        assert kept(log, Order("follows", None, step), check=False) == expected
        if step not in set(frame["activity"]):
            return
        data = procflow.analyze(log, decision_activities=[step]).to_dict()
        counted = {d["key"]: d["cases"] for d in data["decisions"]["by_activity"]}
        assert counted.get(step, 0) == len(expected)
        bottleneck = {b["name"]: b["cases"] for b in data["bottlenecks"]
                      if b["kind"] == "activity"}
        assert bottleneck.get(step, 0) == len(expected)
