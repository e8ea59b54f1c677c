"""Every filter and period mode on a small hand-made log, with the expected cases worked out by
hand; the same from a workspace log (stored step and case tables) and from a file read on the
fly (tables built by the filters); JSON round trips; the command line's syntax and errors.

The log (times UTC, 2024; s = start):
    c1  A 03-01 10:00 (s 09:00) ana · B 03-02 10:00 budi · C 03-03 10:00 citra   online
    c2  A 03-05 10:00 ana · C 03-06 10:00 citra                                counter
    c3  A 02-28 23:00 (s 22:00) ana · B 03-01 01:00 budi · B 03-10 12:00 dewi
        · C 03-11 12:00 citra                                                  online
    c4  B 03-08 08:00 budi · A 03-09 08:00 ana                                 counter
    c5  A 03-20 10:00 ana · B 03-21 10:00 dewi · C 03-22 10:00 citra            online
    c6  A 03-05 10:00 eko · C 03-06 10:00 citra                                online
Arrival / completion / cycle time: c1 03-01 09:00 / 03-03 10:00 / 2 d 1 h; c2 03-05 10:00 /
03-06 10:00 / 1 d; c3 02-28 22:00 / 03-11 12:00 / 11 d 14 h; c4 03-08 08:00 / 03-09 08:00 /
1 d; c5 03-20 10:00 / 03-22 10:00 / 2 d; c6 as c2. Variants by cases, then names: 1 A,B,C
(c1 c5), 2 A,C (c2 c6), 3 A,B,B,C (c3), 4 B,A (c4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import procflow
from procflow import ImportOptions, Workspace
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import (
    CaseIds,
    Duration,
    Period,
    TopVariants,
    Values,
    filter_log,
    from_json,
    parse_option,
    to_json,
)
from procflow.filters.words import summary_lines

CSV = """\
case,activity,end,start,resource,role,level,channel
c1,A,2024-03-01T10:00:00Z,2024-03-01T09:00:00Z,ana,Staff,5,online
c1,B,2024-03-02T10:00:00Z,,budi,Kasi,3,online
c1,C,2024-03-03T10:00:00Z,,citra,Kabid,2,online
c2,A,2024-03-05T10:00:00Z,,ana,Staff,5,counter
c2,C,2024-03-06T10:00:00Z,,citra,Kabid,2,counter
c3,A,2024-02-28T23:00:00Z,2024-02-28T22:00:00Z,ana,Staff,5,online
c3,B,2024-03-01T01:00:00Z,,budi,Kasi,3,online
c3,B,2024-03-10T12:00:00Z,,dewi,Kasi,3,online
c3,C,2024-03-11T12:00:00Z,,citra,Kabid,2,online
c4,B,2024-03-08T08:00:00Z,,budi,Kasi,3,counter
c4,A,2024-03-09T08:00:00Z,,ana,Staff,5,counter
c5,A,2024-03-20T10:00:00Z,,ana,Staff,5,online
c5,B,2024-03-21T10:00:00Z,,dewi,Kasi,3,online
c5,C,2024-03-22T10:00:00Z,,citra,Kabid,2,online
c6,A,2024-03-05T10:00:00Z,,eko,Staff,5,online
c6,C,2024-03-06T10:00:00Z,,citra,Kabid,2,online
"""
ALL = ["c1", "c2", "c3", "c4", "c5", "c6"]
DAY, HOUR = 86400.0, 3600.0


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filters") / "small.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["workspace", "file"])
def log(request: pytest.FixtureRequest, csv_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The log from a workspace (stored tables) and read from the file (no stored tables)."""
    if request.param == "file":
        yield procflow.read(csv_path)
        return
    with Workspace(tmp_path_factory.mktemp("ws") / "w.duckdb") as ws:
        ws.import_file(csv_path, options=ImportOptions())
        yield ws.log("small")


def cases(log: EventLog) -> list[str]:
    return sorted({str(c) for c in log.to_pandas()["case_id"]})


def kept(log: EventLog, *spec: dict[str, Any]) -> list[str]:
    return cases(filter_log(log, list(spec), allow_empty=True))


def period(start: str | None, end: str | None, mode: str = "started",
           tz: str | None = None) -> dict[str, Any]:
    return {"kind": "period", "from": start, "to": end, "mode": mode, "tz": tz}


def values(kind: str, field: str, *names: str) -> dict[str, Any]:
    return {"kind": kind, "field": field, "values": list(names)}


# --- periods -------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    # arrival in [03-01 00:00, 03-05 24:00): c1 03-01 09:00, c2 and c6 03-05 10:00
    (period("2024-03-01", "2024-03-05"), ["c1", "c2", "c6"]),
    # completion in [03-03, 03-09]: c1 03-03, c2 c6 03-06, c4 03-09 08:00
    (period("2024-03-03", "2024-03-09", "completed"), ["c1", "c2", "c4", "c6"]),
    # arrival ≥ 03-01 and completion ≤ 03-08 end: not c3 (arrived 02-28), c4 (done 03-09)
    (period("2024-03-01", "2024-03-08", "contained"), ["c1", "c2", "c6"]),
    # open at some time on 03-07 or 03-08: c3 (02-28 → 03-11) and c4 (03-08 08:00 → 03-09)
    (period("2024-03-07", "2024-03-08", "intersecting"), ["c3", "c4"]),
    # instants are inclusive at both ends: c2 and c6 arrive at exactly 03-05 10:00
    (period("2024-03-05T10:00:00Z", "2024-03-05T10:00:00Z"), ["c2", "c6"]),
    # a naive instant is read in the zone: 18:00 WITA = 10:00 UTC
    (period("2024-03-05T18:00", "2024-03-05T18:00", tz="Asia/Makassar"), ["c2", "c6"]),
    # open ends
    (period("2024-03-08", None), ["c4", "c5"]),
    (period(None, "2024-02-28"), ["c3"]),
    # 29 February in UTC has no arrival; in Makassar (UTC+8) it starts 02-28 16:00 UTC,
    # so c3 (02-28 22:00 UTC = 02-29 06:00 WITA) arrives that day
    (period("2024-02-29", "2024-02-29"), []),
    (period("2024-02-29", "2024-02-29", tz="Asia/Makassar"), ["c3"]),
    (period("2024-02-29", "2024-02-29", tz="WITA"), ["c3"]),
])
def test_period_modes(log: EventLog, spec: dict[str, Any], expected: list[str]) -> None:
    assert kept(log, spec) == expected


def test_period_trim_cuts_events(log: EventLog) -> None:
    # Events completed 03-01 00:00 … 03-05 24:00: c1 all three; c2 A; c3 B (03-01 01:00);
    # c6 A. c4 and c5 keep nothing and are gone.
    cut = filter_log(log, [period("2024-03-01", "2024-03-05", "trim")])
    frame = cut.to_pandas()
    assert sorted(frame.groupby("case_id").size().items()) == [
        ("c1", 3), ("c2", 1), ("c3", 1), ("c6", 1)]
    data = procflow.analyze(cut).to_dict()
    assert (data["log"]["cases"], data["log"]["events"]) == (4, 6)
    # c1 keeps its start (09:00): cycle 2 d 1 h; the others are single instances: 0
    assert data["cycle_time"]["max"] == 2 * DAY + HOUR
    assert {(e["source"], e["target"]): e["count"] for e in data["dfg"]["edges"]} == {
        ("A", "B"): 1, ("B", "C"): 1}
    assert data["filter"]["steps"] == [{
        "kind": "period", "cases": 4, "events": 6, "from": "2024-03-01T00:00:00Z",
        "to": "2024-03-05T23:59:59.999999Z", "zone": "UTC"}]


def test_period_dates_default_to_the_import_zone(csv_path: Path) -> None:
    makassar = procflow.read(csv_path, tz="Asia/Makassar")  # times carry Z: zone recorded only
    assert makassar.zone == "Asia/Makassar"
    assert kept(makassar, period("2024-02-29", "2024-02-29")) == ["c3"]
    step = filter_log(makassar, [period("2024-02-29", "2024-02-29")]).selection["steps"][0]
    assert (step["from"], step["to"], step["zone"]) == (
        "2024-02-28T16:00:00Z", "2024-02-29T15:59:59.999999Z", "Asia/Makassar")


# --- values --------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    (values("with", "activity", "B"), ["c1", "c3", "c4", "c5"]),
    (values("without", "activity", "B"), ["c2", "c6"]),
    (values("with", "resource", "dewi"), ["c3", "c5"]),
    (values("with", "resource", "dewi", "eko"), ["c3", "c5", "c6"]),
    (values("without", "resource", "dewi", "eko"), ["c1", "c2", "c4"]),
    (values("with", "level", "3"), ["c1", "c3", "c4", "c5"]),
    (values("with", "attr:channel", "counter"), ["c2", "c4"]),
    (values("with", "case_id", "c2", "c4"), ["c2", "c4"]),
    (values("with", "role", "Kasi"), ["c1", "c3", "c4", "c5"]),
])
def test_with_and_without(log: EventLog, spec: dict[str, Any], expected: list[str]) -> None:
    assert kept(log, spec) == expected


def test_keep_events_joins_the_neighbours(log: EventLog) -> None:
    # Without the Bs: c1 A→C, c3 A→C, c4 only A; every other case unchanged.
    cut = filter_log(log, [values("keep_events", "activity", "A", "C")])
    data = procflow.analyze(cut).to_dict()
    assert (data["log"]["cases"], data["log"]["events"]) == (6, 11)
    assert {(e["source"], e["target"]): e["count"] for e in data["dfg"]["edges"]} == {
        ("A", "C"): 5}
    # c1 still arrives at 09:00 (A's start); c4's lone A has cycle time 0
    cycle = {r["case_id"]: r["cycle_time"] for r in _case_rows(cut)}
    assert cycle == {"c1": 2 * DAY + HOUR, "c2": DAY, "c3": 11 * DAY + 14 * HOUR, "c4": 0.0,
                     "c5": 2 * DAY, "c6": DAY}


def test_drop_events_changes_arrival_and_paths(log: EventLog) -> None:
    cut = filter_log(log, [values("drop_events", "activity", "A")])
    data = procflow.analyze(cut).to_dict()
    assert (data["log"]["cases"], data["log"]["events"]) == (6, 10)
    assert {(e["source"], e["target"]): e["count"] for e in data["dfg"]["edges"]} == {
        ("B", "C"): 3, ("B", "B"): 1}
    cycle = {r["case_id"]: r["cycle_time"] for r in _case_rows(cut)}
    # c1 now runs from B (03-02 10:00) to C (03-03 10:00)
    assert cycle["c1"] == DAY and cycle["c3"] == 10 * DAY + 11 * HOUR


def test_dropping_every_event_is_an_error_unless_allowed(log: EventLog) -> None:
    spec = [values("drop_events", "activity", "A", "B", "C")]
    with pytest.raises(InputError, match=r"--drop-events: no case is left \(there were 6"):
        filter_log(log, spec)
    assert cases(filter_log(log, spec, allow_empty=True)) == []


# --- variants, durations, starts, ends, order, ids ------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    ({"kind": "top_variants", "n": 1}, ["c1", "c5"]),
    ({"kind": "top_variants", "n": 2}, ["c1", "c2", "c5", "c6"]),
    ({"kind": "top_variants", "n": 3}, ["c1", "c2", "c3", "c5", "c6"]),
    ({"kind": "top_variants", "n": 9}, ALL),
    ({"kind": "duration", "min": DAY, "max": 2 * DAY}, ["c2", "c4", "c5", "c6"]),
    ({"kind": "duration", "min": "2d", "max": None}, ["c1", "c3", "c5"]),
    ({"kind": "duration", "min": None, "max": "24h"}, ["c2", "c4", "c6"]),
    ({"kind": "duration", "min": "1w", "max": "2w"}, ["c3"]),
    ({"kind": "starts_with", "activities": ["B"]}, ["c4"]),
    ({"kind": "starts_with", "activities": ["A", "B"]}, ALL),
    ({"kind": "ends_with", "activities": ["A"]}, ["c4"]),
    ({"kind": "ends_with", "activities": ["C"]}, ["c1", "c2", "c3", "c5", "c6"]),
    ({"kind": "follows", "from": "A", "to": "C"}, ["c1", "c2", "c3", "c5", "c6"]),
    ({"kind": "follows", "from": "A", "to": "B"}, ["c1", "c3", "c5"]),
    ({"kind": "follows", "from": "B", "to": "A"}, ["c4"]),
    ({"kind": "follows", "from": "B", "to": "B"}, ["c3"]),
    ({"kind": "follows", "from": "C", "to": "A"}, []),
    ({"kind": "directly_follows", "from": "A", "to": "C"}, ["c2", "c6"]),
    ({"kind": "directly_follows", "from": "B", "to": "C"}, ["c1", "c3", "c5"]),
    ({"kind": "directly_follows", "from": "B", "to": "B"}, ["c3"]),
    ({"kind": "cases", "ids": ["c5", "c1", "zz"], "file": None}, ["c1", "c5"]),
])
def test_case_filters(log: EventLog, spec: dict[str, Any], expected: list[str]) -> None:
    assert kept(log, spec) == expected


def test_the_order_of_filters_matters_where_it_should(log: EventLog) -> None:
    keep = values("keep_events", "activity", "A", "C")
    top = {"kind": "top_variants", "n": 1}
    # Cutting the Bs first makes A,C the variant of five cases; ranking first keeps A,B,C.
    assert kept(log, keep, top) == ["c1", "c2", "c3", "c5", "c6"]
    assert kept(log, top, keep) == ["c1", "c5"]
    # Filters of whole cases without ranks commute.
    a, b = values("with", "activity", "B"), {"kind": "duration", "min": "2d", "max": None}
    assert kept(log, a, b) == kept(log, b, a) == ["c1", "c3", "c5"]


def test_filter_block_counts_each_step(log: EventLog) -> None:
    out = filter_log(log, [values("with", "activity", "B"), {"kind": "top_variants", "n": 1}])
    block = out.selection
    assert block["cases"] == {"kept": 2, "total": 6, "share": 2 / 6}
    assert block["events"] == {"kept": 6, "total": 16, "share": 6 / 16}
    assert [(s["kind"], s["cases"], s["events"]) for s in block["steps"]] == [
        ("with", 4, 12), ("top_variants", 2, 6)]
    data = procflow.analyze(out).to_dict()
    assert data["filter"] == block
    assert (data["log"]["cases"], data["log"]["events"]) == (2, 6)
    assert summary_lines(block) == [
        "Filtered: 2 of 6 cases (33.3%), 6 of 16 events",
        "  1. cases with an event whose activity is “B”",
        "  2. cases of the most frequent variant"]


def test_filtering_a_filtered_log_keeps_one_block(log: EventLog) -> None:
    first = filter_log(log, [values("with", "activity", "B")])
    second = filter_log(first, [{"kind": "top_variants", "n": 1}])
    assert cases(second) == ["c1", "c5"]
    assert second.selection["cases"]["total"] == 6
    assert [f["kind"] for f in second.selection["filters"]] == ["with", "top_variants"]


def test_case_ids_report_what_was_found(log: EventLog) -> None:
    out = filter_log(log, [{"kind": "cases", "ids": ["c5", "c1", "zz"]}])
    assert out.selection["steps"][0] | {} == {"kind": "cases", "cases": 2, "events": 6,
                                              "listed": 3, "found": 2}
    with pytest.raises(InputError, match=r"none of the 1 ids is a case.*e\.g\. 'c1'"):
        filter_log(log, [{"kind": "cases", "ids": ["C1"]}])


# --- checks of fields and values ---------------------------------------------------------------

@pytest.mark.parametrize(("spec", "message"), [
    (values("with", "activty", "A"), r"--with: the log has no field 'activty' \(did you mean "
                                     r"'activity'\?\).*use one of activity, case_id"),
    (values("with", "channel", "online"), r"no field 'channel' \(did you mean 'attr:channel'"),
    (values("keep_events", "timestamp", "x"), r"times are filtered with --period"),
    (values("without", "activity", "a"), r"--without: no activity 'a' in the log.*did you "
                                         r"mean 'A'"),
    (values("with", "resource", "Citra"), r"no resource 'Citra'.*did you mean 'citra'"),
    ({"kind": "starts_with", "activities": ["Z"]}, r"--starts-with: no activity 'Z'"),
    ({"kind": "follows", "from": "A", "to": "D"}, r"--follows: no activity 'D'"),
])
def test_unknown_fields_and_values_are_errors(log: EventLog, spec: dict[str, Any],
                                              message: str) -> None:
    with pytest.raises(InputError, match=message):
        filter_log(log, [spec])


def test_a_filtered_log_is_analysed_as_its_export(log: EventLog, tmp_path: Path) -> None:
    from procflow.store.export import export_log

    spec = [period("2024-03-01", None), values("drop_events", "resource", "budi"),
            {"kind": "top_variants", "n": 2}]
    out = filter_log(log, spec)
    again = procflow.read(export_log(out, tmp_path / "cut.parquet"))
    ours, theirs = procflow.analyze(out).to_dict(), procflow.analyze(again).to_dict()
    ours.pop("filter")
    for data in (ours, theirs):
        data["log"].pop("name")
    assert ours == theirs


# --- JSON and the command line's syntax -------------------------------------------------------

SPECS = [
    Period("2024-01-01", None, "trim", "Asia/Jakarta"),
    Values("with", "attr:channel", ("online", "a, b")),
    Values("drop_events", "activity", ("X",)),
    TopVariants(3),
    Duration(7200.0, None),
    CaseIds(("1", "2"), "ids.txt"),
]


def test_json_round_trips_exactly() -> None:
    text = to_json(SPECS)
    assert from_json(text) == SPECS
    assert to_json(from_json(text)) == text
    assert json.loads(text)[0] == {"kind": "period", "from": "2024-01-01", "to": None,
                                   "mode": "trim", "tz": "Asia/Jakarta"}


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("period", "2024-01-01..", Period("2024-01-01", None)),
    ("period", "..2024-03-31T12:00+08:00", Period(None, "2024-03-31T12:00+08:00")),
    ("with", "activity=A,B", Values("with", "activity", ("A", "B"))),
    ("without", 'resource="Hasnawati, S.E., M.Si.",Ayu',
     Values("without", "resource", ("Hasnawati, S.E., M.Si.", "Ayu"))),
    ("keep_events", "attr:kanal = loket", Values("keep_events", "attr:kanal", ("loket",))),
    ("top_variants", "5", TopVariants(5)),
    ("duration", "2d..30d", Duration(2 * DAY, 30 * DAY)),
    ("duration", "..1.5h", Duration(None, 1.5 * HOUR)),
    ("duration", "90m..", Duration(5400.0, None)),
])
def test_command_line_syntax(kind: str, text: str, expected: Any) -> None:
    assert parse_option(kind, text) == expected


def test_order_syntax_allows_quoted_names() -> None:
    one = parse_option("follows", "Daftar>Verifikasi")
    assert (one.source, one.target) == ("Daftar", "Verifikasi")  # type: ignore[union-attr]
    two = parse_option("directly_follows", '"A > B">C')
    assert (two.source, two.target) == ("A > B", "C")  # type: ignore[union-attr]


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("period", "2024-01-01", r"--period '2024-01-01': write a range as FROM\.\.TO.*e\.g\. "
                             r"--period 2024-01-01\.\.2024-03-31"),
    ("period", "2024/01/01..", r"cannot read '2024/01/01' as a date"),
    ("period", "..", r"--period needs a start, an end or both"),
    ("period", "2024-03-01..2024-01-01", r"the start is after the end"),
    ("duration", "2 days..", r"cannot read '2 days' as a duration.*--duration 2d\.\.30d"),
    ("duration", "3d..1d", r"the minimum is above the maximum"),
    ("with", "activity", r"--with 'activity': write FIELD=V1,V2"),
    ("with", "activity=", r"an empty name in the list"),
    ("with", 'activity="A', r"unbalanced quotes"),
    ("follows", "A", r"--follows 'A': give two activities separated by '>'"),
    ("top_variants", "many", r"--top-variants 'many': give a whole number"),
    ("top_variants", "0", r"at least 1"),
    ("cases", "/nonexistent/ids.txt", r"--cases: no file"),
])
def test_syntax_errors_name_the_option_and_the_fix(kind: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_option(kind, text)
    assert "Fix:" in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    ("[{\"kind\": \"bogus\"}]", r"unknown filter kind 'bogus'.*use one of period, with"),
    ("{\"kind\": \"top_variants\", \"n\": 2, \"x\": 1}", r"unknown key\(s\) x"),
    ("[{\"kind\": \"with\", \"field\": \"activity\", \"values\": \"A\"}]",
     r"'values' must be a list"),
    ("not json", r"--filter: not JSON"),
    ("[{\"kind\": \"period\", \"from\": \"2024-01-01\", \"mode\": \"sometimes\"}]",
     r"--period-mode 'sometimes' is not a mode"),
])
def test_json_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        from_json(text)


def test_case_file(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("\ufeffc1\r\n\r\n c5 \nc1\n", encoding="utf-8")
    assert parse_option("cases", str(path)) == CaseIds(("c1", "c5"), str(path))
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no case id given"):
        parse_option("cases", str(tmp_path / "empty.txt"))


def _case_rows(log: EventLog) -> list[dict[str, Any]]:
    from procflow.measure.cases import case_table

    return case_table(log).frame.to_dict(orient="records")


@pytest.mark.parametrize("spec", [
    [values("keep_events", "activity", "A", "C")],
    [values("drop_events", "lifecycle", "assign")],
    [period("2024-03-04T08:45:00Z", None, "trim"), {"kind": "top_variants", "n": 1}],
    [{"kind": "with", "field": "activity", "values": ["B"]},
     values("drop_events", "activity", "B")],
])
def test_events_cut_from_start_and_complete_rows(tmp_path: Path,
                                                 spec: list[dict[str, Any]]) -> None:
    """With start and complete rows the instances are paired again from the rows kept."""
    from procflow.store.export import export_log
    from tests.test_metrics_exact import LIFECYCLE_CSV

    path = tmp_path / "lifecycle.csv"
    path.write_text(LIFECYCLE_CSV, encoding="utf-8")
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_file(path, options=ImportOptions())
        for log in (ws.log("lifecycle"), procflow.read(path)):
            out = filter_log(log, spec)
            again = procflow.read(export_log(out, tmp_path / "cut.csv"))
            ours, theirs = procflow.analyze(out).to_dict(), procflow.analyze(again).to_dict()
            ours.pop("filter")
            for data in (ours, theirs):
                data["log"].pop("name")
            assert ours == theirs


def test_an_attribute_is_named_as_the_log_names_it() -> None:
    from procflow.core.i18n import Texts
    from procflow.filters.spec import Values
    from procflow.filters.words import describe

    item = Values("with", "attr:case:caseStatus", ("G",))
    assert describe(item, Texts("en")) == "cases with an event whose case:caseStatus is “G”"
    assert "attr:" not in describe(item, Texts("id"))
