"""The prepared-steps API (``procflow.measure.prepare.prepared``) on small hand-computed logs.

Times are hours on 2024-03-04 (UTC); durations are seconds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

import procflow
from procflow.measure.prepare import Prepared, Settings, prepared

# k1: Submit 08:00 ana (no start) → Approve request 10:00, started 09:30, dewi
#     → Archive 11:00, started 09:45 (before Approve completed: wait 0), budi
# k2: Approve request 09:00, started 08:00, dewi (a decision without enabling moment)
#     → Submit 12:00 ana
STEPS_CSV = """\
case_id,activity,timestamp,start_timestamp,resource,role,unit,level
k2,Submit,2024-03-04T12:00:00Z,,ana,Staff,FO,5
k1,Submit,2024-03-04T08:00:00Z,,ana,Staff,FO,5
k1,Approve request,2024-03-04T10:00:00Z,2024-03-04T09:30:00Z,dewi,Kadis,Pimpinan,2
k2,Approve request,2024-03-04T09:00:00Z,2024-03-04T08:00:00Z,dewi,Kadis,Pimpinan,2
k1,Archive,2024-03-04T11:00:00Z,2024-03-04T09:45:00Z,budi,Staff,FO,5
"""
S, A, R = "Submit", "Approve request", "Archive"
COLUMNS = ("case_id", "seq", "activity", "ts_us", "start_us", "resource", "role", "unit",
           "level", "elapsed", "wait", "processing", "is_decision", "prev_activity",
           "prev_resource", "prev_role", "prev_unit", "prev_level")


def us(hour: int, minute: int = 0) -> int:
    """Microseconds since the epoch of ``hour:minute`` on 2024-03-04 UTC."""
    instant = dt.datetime(2024, 3, 4, hour, minute, tzinfo=dt.UTC)
    return int(instant.timestamp()) * 1_000_000


@pytest.fixture()
def log(tmp_path: Path) -> procflow.EventLog:
    path = tmp_path / "steps.csv"
    path.write_text(STEPS_CSV, encoding="utf-8")
    return procflow.read(path)


def named(prep: Prepared, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with codes turned into names (case ids through ``pf_dict_case_id``)."""
    out = dict(row)
    for column in ("activity", "resource", "role", "unit", "level"):
        out[column] = prep.name(column, row[column])
        out[f"prev_{column}"] = prep.name(column, row[f"prev_{column}"])
    return out


def test_steps_table(log: procflow.EventLog) -> None:
    with prepared(log) as prep:
        rows = prep.rows(f"SELECT d.name AS case_name, {', '.join(f's.{c}' for c in COLUMNS)} "
                         "FROM pf_steps s JOIN pf_dict_case_id d ON d.code = s.case_id "
                         "ORDER BY d.name, s.seq")
        steps = [named(prep, r) for r in rows]
    staff = {"resource": "ana", "role": "Staff", "unit": "FO", "level": 5}
    kadis = {"resource": "dewi", "role": "Kadis", "unit": "Pimpinan", "level": 2}
    budi = {**staff, "resource": "budi"}
    none = {f"prev_{k}": None for k in ("activity", "resource", "role", "unit", "level")}

    def prev(activity: str, who: dict[str, Any]) -> dict[str, Any]:
        return {"prev_activity": activity, **{f"prev_{k}": v for k, v in who.items()}}

    expected = [
        {"case_name": "k1", "seq": 1, "activity": S, "ts_us": us(8), "start_us": None, **staff,
         "elapsed": None, "wait": None, "processing": None, "is_decision": False, **none},
        # elapsed 10:00 − 08:00; wait 09:30 − 08:00; processing 10:00 − 09:30
        {"case_name": "k1", "seq": 2, "activity": A, "ts_us": us(10), "start_us": us(9, 30),
         **kadis, "elapsed": 7200.0, "wait": 5400.0, "processing": 1800.0,
         "is_decision": True, **prev(S, staff)},
        # elapsed 11:00 − 10:00; started 15 min before Approve completed: wait 0;
        # processing 11:00 − 09:45
        {"case_name": "k1", "seq": 3, "activity": R, "ts_us": us(11), "start_us": us(9, 45),
         **budi, "elapsed": 3600.0, "wait": 0.0, "processing": 4500.0, "is_decision": False,
         **prev(A, kadis)},
        {"case_name": "k2", "seq": 1, "activity": A, "ts_us": us(9), "start_us": us(8),
         **kadis, "elapsed": None, "wait": None, "processing": 3600.0, "is_decision": True,
         **none},
        # elapsed 12:00 − 09:00; no start: no wait, no processing
        {"case_name": "k2", "seq": 2, "activity": S, "ts_us": us(12), "start_us": None,
         **staff, "elapsed": 10800.0, "wait": None, "processing": None, "is_decision": False,
         **prev(A, kadis)},
    ]
    assert [{k: r[k] for k in e} for r, e in zip(steps, expected, strict=True)] == expected


def test_cases_table(log: procflow.EventLog) -> None:
    with prepared(log) as prep:
        rows = prep.rows("SELECT d.name AS case_name, c.* FROM pf_cases c "
                         "JOIN pf_dict_case_id d ON d.code = c.case_id ORDER BY d.name")
        variants = [[prep.name("activity", int(a)) for a in r["variant"].split(",")]
                    for r in rows]
        paths = [r["decision_path"] for r in rows]
    assert variants == [[S, A, R], [A, S]]
    # k1: earliest start or completion 08:00, last completion 11:00; k2: 08:00 (start) to
    # 12:00, completions 09:00 to 12:00
    assert [(r["cycle_time"], r["span"], r["instances"]) for r in rows] == [
        (10800.0, 10800.0, 3), (14400.0, 10800.0, 2)]
    assert [(r["arrival_us"], r["first_us"], r["completion_us"]) for r in rows] == [
        (us(8), us(8), us(11)), (us(8), us(9), us(12))]
    # by resource: k1 ana→dewi→budi, k2 dewi→ana; no ping-pong
    assert [(r["handoffs"], r["ping_pongs"]) for r in rows] == [(2, 0), (1, 0)]
    assert paths == ["2", "2"]  # each case's one decision is by level 2 (levels are numbers)


def test_dictionaries_and_settings(log: procflow.EventLog) -> None:
    with prepared(log, Settings(handoff_by="role")) as prep:
        assert prep.names["activity"] == {1: A, 2: R, 3: S}  # codes in name order
        assert prep.names["resource"] == {1: "ana", 2: "budi", 3: "dewi"}
        assert prep.name("role", 1) == "Kadis" and prep.name("level", 5) == 5
        assert prep.name("unit", None) is None
        assert prep.chosen == [A]  # the default pattern finds "approv"
        assert prep.present == {"resource": 5, "role": 5, "unit": 5, "level": 5, "start": 3}
        assert prep.has_start
        assert (prep.granularity, prep.layers_by, prep.mode) == ("role", "level", "none")
        # by role: k1 Staff→Kadis→Staff (a ping-pong at Archive), k2 Kadis→Staff
        assert prep.rows("SELECT sum(handoffs) AS h, sum(ping_pongs) AS p FROM pf_cases") == [
            {"h": 3, "p": 1}]
    with prepared(log, Settings(decision_activities=(R,))) as prep:
        assert prep.chosen == [R]
        assert prep.rows("SELECT count(*) AS n FROM pf_steps WHERE is_decision") == [{"n": 1}]


def test_tables_are_dropped_and_analysis_agrees(log: procflow.EventLog) -> None:
    with prepared(log) as prep:
        latency = prep.rows("SELECT sum(elapsed) AS total, count(*) AS n FROM pf_steps "
                            "WHERE is_decision AND seq > 1")[0]
        excluded = prep.rows("SELECT count(*) AS n FROM pf_steps "
                             "WHERE is_decision AND seq = 1")[0]["n"]
    for table in ("pf_steps", "pf_cases", "pf_dict_activity"):
        with pytest.raises(duckdb.CatalogException):
            log.con.execute(f"SELECT * FROM {table}").fetchall()
    d = procflow.analyze(log).to_dict()["decisions"]
    assert (d["overall"]["total"], d["overall"]["n"]) == (latency["total"], latency["n"])
    assert (d["overall"]["n"], d["excluded"]) == (1, excluded) == (1, 1)


LIFECYCLE_CSV = """\
case_id,activity,timestamp,lifecycle,resource
p1,Review,2024-03-04T08:00:00Z,start,ana
p1,Review,2024-03-04T09:00:00Z,start,budi
p1,Review,2024-03-04T10:00:00Z,complete,ana
p1,Review,2024-03-04T12:00:00Z,complete,budi
"""


def test_start_and_complete_rows_are_paired(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.csv"
    path.write_text(LIFECYCLE_CSV, encoding="utf-8")
    with prepared(procflow.read(path)) as prep:
        rows = prep.rows("SELECT seq, start_us, ts_us, processing, wait FROM pf_steps "
                         "ORDER BY seq")
        assert prep.mode == "standard"
    # first in, first out: 08:00 → 10:00, 09:00 → 12:00; the second waited from 10:00 to its
    # start at 09:00, which is negative: 0
    assert rows == [
        {"seq": 1, "start_us": us(8), "ts_us": us(10), "processing": 7200.0, "wait": None},
        {"seq": 2, "start_us": us(9), "ts_us": us(12), "processing": 10800.0, "wait": 0.0},
    ]
