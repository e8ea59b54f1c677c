"""The cases behind the numbers: the case table adds up to analysis.json's figures, one case's
timeline gives its steps' times, and the Gantt chart draws them as escaped text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import procflow
from procflow import ImportOptions, Workspace
from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import filter_log
from procflow.measure.cases import case_table
from procflow.measure.prepare import Settings
from procflow.measure.timeline import case_timeline
from procflow.render.timeline import case_gantt
from tests.conftest import SAMPLE, shared_file
from tests.test_filters_exact import CSV

DAY, HOUR = 86400.0, 3600.0


def agrees(log: EventLog, settings: Settings | None = None) -> pd.DataFrame:
    """Check the case table against the log's analysis; return the table."""
    settings = settings or Settings()
    data = procflow.analyze(log, decisions=settings.decisions,
                            handoff_by=settings.handoff_by).to_dict()
    table = case_table(log, settings)
    frame = table.frame
    assert len(frame) == data["log"]["cases"] and frame["case_id"].is_unique
    assert int(frame["events"].sum()) == data["log"]["events"]
    assert frame["cycle_time"].median() == pytest.approx(data["cycle_time"]["median"],
                                                         rel=1e-12)
    assert frame["cycle_time"].sum() == pytest.approx(data["cycle_time"]["total"], rel=1e-12)
    handoffs = data["handoffs"]
    assert table.handoff_by == handoffs["granularity"]
    if handoffs["granularity"]:
        assert int(frame["handoffs"].sum()) == handoffs["total"]
        assert int(frame["ping_pongs"].sum()) == handoffs["ping_pong"]["total"]
        assert int((frame["ping_pongs"] > 0).sum()) == handoffs["ping_pong"]["cases"]
    latency = data["decisions"]["overall"]
    assert frame["decision_latency"].fillna(0).sum() == pytest.approx(latency["total"],
                                                                      rel=1e-12, abs=1e-9)
    if data["layers"]:
        assert frame["layers"].mean() == pytest.approx(data["layers"]["per_case"]["mean"])
        histogram = {str(k): int(v) for k, v in frame["layers"].value_counts().items()}
        assert histogram == data["layers"]["histogram"]
    top = data["variants"]["top"]
    ranks = frame["variant"].value_counts().sort_index()
    assert [int(ranks[i + 1]) for i in range(len(top))] == [v["cases"] for v in top]
    assert int(frame["variant"].max()) == data["variants"]["count"]
    return frame


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Workspace(tmp_path_factory.mktemp("cases") / "w.duckdb") as ws:
        ws.import_file(SAMPLE / "after.csv", options=ImportOptions(
            tz="Asia/Makassar", orgchart=SAMPLE / "orgchart.csv"))
        yield ws.log("after")


def test_case_table_adds_up_on_the_sample(sample: EventLog) -> None:
    frame = agrees(sample)
    assert list(frame.columns) == ["case_id", "arrival", "completion", "cycle_time", "events",
                                   "variant", "handoffs", "layers", "ping_pongs",
                                   "decision_latency"]
    assert frame["cycle_time"].is_monotonic_decreasing
    assert (frame["completion"] - frame["arrival"]).dt.total_seconds().equals(
        frame["cycle_time"])
    agrees(sample, Settings(handoff_by="role", decisions="Paraf"))


def test_case_table_of_a_filtered_log(sample: EventLog) -> None:
    out = filter_log(sample, [{"kind": "period", "from": "2024-03-01", "to": "2024-06-30"},
                              {"kind": "drop_events", "field": "activity",
                               "values": ["Perbaikan Berkas oleh Pemohon"]}])
    frame = agrees(out)
    assert len(frame) == out.selection["cases"]["kept"]


@pytest.mark.parametrize("sort", ["events", "handoffs", "layers", "latency"])
def test_sorts(sample: EventLog, sort: str) -> None:
    column = {"latency": "decision_latency"}.get(sort, sort)
    frame = case_table(sample, sort=sort).frame  # type: ignore[arg-type]
    known = frame[column].dropna()
    assert list(known) == sorted(known, reverse=True)
    empty = frame[column].isna().to_numpy()
    assert not (empty[:-1] & ~empty[1:]).any()  # empty values last
    ties = frame[frame[column] == frame[column].iloc[0]]["case_id"]
    assert list(ties) == sorted(ties)


@pytest.mark.parametrize(("name", "tz", "handoff_by"), [
    ("sepsis.csv", "UTC", "unit"), ("BPI_2020_DomesticDeclarations.xes.gz", None, "role"),
    ("interval_event_log.xes", None, None)])
def test_case_table_adds_up_on_real_logs(tmp_path: Path, name: str, tz: str | None,
                                         handoff_by: Any) -> None:
    with Workspace(tmp_path / "w.duckdb") as ws:
        log = ws.log(ws.import_file(shared_file(name), options=ImportOptions(tz=tz)).name)
        agrees(log, Settings(handoff_by=handoff_by))
        agrees(filter_log(log, [{"kind": "top_variants", "n": 5}]),
               Settings(handoff_by=handoff_by))


def test_case_attributes_are_the_columns_constant_within_cases(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text(CSV.replace("channel\n", "channel,note\n").replace("online\n", "online,x\n")
                    .replace("counter\n", "counter,y\n").replace(
                        "c3,B,2024-03-10T12:00:00Z,,dewi,Kasi,3,online,x",
                        "c3,B,2024-03-10T12:00:00Z,,dewi,Kasi,3,online,z"), encoding="utf-8")
    frame = case_table(procflow.read(path)).frame
    assert "attr:channel" in frame.columns and "attr:note" not in frame.columns
    assert dict(zip(frame["case_id"], frame["attr:channel"], strict=True)) == {
        "c1": "online", "c2": "counter", "c3": "online", "c4": "counter", "c5": "online",
        "c6": "online"}
    assert list(frame["case_id"]) == ["c3", "c1", "c5", "c2", "c4", "c6"]
    assert list(frame["variant"]) == [3, 1, 1, 2, 4, 2]


def test_timeline_of_one_case(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text(CSV, encoding="utf-8")
    steps = case_timeline(procflow.read(path), "c3")
    assert [(s["seq"], s["activity"], s["resource"], s["level"]) for s in steps] == [
        (1, "A", "ana", 5), (2, "B", "budi", 3), (3, "B", "dewi", 3), (4, "C", "citra", 2)]
    # A 02-28 22:00 → 23:00 (work 1 h); B 03-01 01:00 (26 h later: 2024 has 29 February);
    # B 03-10 12:00; C 03-11 12:00
    assert [(s["waiting"], s["processing"], s["elapsed"]) for s in steps] == [
        (None, HOUR, None), (None, None, 26 * HOUR), (None, None, 9 * DAY + 11 * HOUR),
        (None, None, DAY)]
    assert steps[0]["start"].isoformat() == "2024-02-28T22:00:00+00:00"
    with pytest.raises(InputError, match=r"no case 'C3' in small.*closest ids are 'c3'"):
        case_timeline(procflow.read(path), "C3")


def test_gantt_is_text_escaped_and_deterministic(sample: EventLog) -> None:
    steps = case_timeline(sample, "PBG-2024-000114")
    steps[0]["activity"] = "<script>alert(1)</script> & $x^2$"
    svg = case_gantt(steps, title="Case <b>114</b>", t=Texts("en"), zone="Asia/Makassar")
    text = svg.decode("utf-8")
    assert text.startswith("<svg") and "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; $x^2$" in text
    assert "<text" not in text or "Pemeriksaan Teknis" in text
    assert 'aria-label="Case &lt;b&gt;114&lt;/b&gt;"' in text
    assert svg == case_gantt(steps, title="Case <b>114</b>", t=Texts("en"),
                             zone="Asia/Makassar")
    png = case_gantt(steps, title="x", t=Texts("id"), fmt="png")
    assert png.startswith(b"\x89PNG")


def test_gantt_dates_are_numbers_in_every_language(sample: EventLog) -> None:
    """Tick labels carry no English month names (an Indonesian page would read "May" for
    "Mei"): over months they read 2024-05, over days 05-14, in ISO order."""
    import datetime as dt
    import re

    steps = case_timeline(sample, "PBG-2024-000114")
    months = [dict(s) for s in steps]
    months[-1]["completion"] = months[0]["completion"] + dt.timedelta(days=200)
    for shown in (steps, months):
        text = case_gantt(shown, title="x", t=Texts("id"), zone="Asia/Makassar").decode()
        labels = re.findall(r"<text[^>]*>([^<]*)</text>", text)
        assert labels, "the SVG keeps its words as text"
        months_words = r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
        assert not any(re.search(months_words, label) for label in labels), labels
    assert any(re.fullmatch(r"20\d\d-\d\d", label) for label in re.findall(
        r"<text[^>]*>([^<]*)</text>", case_gantt(months, title="x", t=Texts("id"),
                                          zone="Asia/Makassar").decode()))
