"""Row checks: every rejected row is counted under one reason with its row number."""

from __future__ import annotations

from pathlib import Path

import pytest

import procflow
from procflow.errors import TimestampError
from procflow.ingest.validate import parse_level

CSV = """case;activity;start;end;level
1;A;2024-01-01 08:00;2024-01-01 09:00;III
;A;2024-01-01 08:00;2024-01-01 09:00;3
2;;2024-01-01 08:00;2024-01-01 09:00;IV.a
3;B;2024-01-01 08:00;;2
4;B;2024-01-01 08:00;not a time;2
5;B;yesterday;2024-01-01 09:00;2
6;B;2024-01-01 08:00;2024-01-01 09:00;Non Eselon
7;C;;2024-01-01 09:00;
"""


def _read(tmp_path: Path, text: str = CSV) -> procflow.EventLog:
    path = tmp_path / "rows.csv"
    path.write_text(text)
    return procflow.read(path, tz="Asia/Jakarta")


def test_rejects_are_counted_per_reason_with_rows(tmp_path: Path) -> None:
    log = _read(tmp_path)
    report = log.report
    assert report is not None
    assert report.rows == 8
    assert report.accepted == 3
    assert report.rejected == {"empty case id": 1, "empty activity": 1, "empty timestamp": 1,
                               "unparseable timestamp": 1, "unparseable start time": 1}
    rejects = report.rejects.to_pylist()
    assert [r["row"] for r in rejects] == [2, 3, 4, 5, 6]
    assert rejects[3] == {"row": 5, "reason": "unparseable timestamp", "column": "end",
                          "value": "not a time"}
    df = log.to_pandas()
    assert df["case_id"].tolist() == ["1", "6", "7"]
    assert df["event_id"].tolist() == [1, 7, 8]


def test_start_after_complete_is_rejected(tmp_path: Path) -> None:
    text = "case;activity;start;end\n1;A;2024-01-01 10:00;2024-01-01 09:00\n"
    text += "1;B;2024-01-01 10:00;2024-01-01 11:00\n"
    report = _read(tmp_path, text).report
    assert report is not None
    assert report.rejected == {"start after complete": 1}
    assert report.rejects.to_pylist()[0]["value"] == "2024-01-01 10:00"


def test_levels_and_unknown_levels_are_reported(tmp_path: Path) -> None:
    text = "case;activity;end;level\n1;A;2024-01-01 09:00;III\n1;B;2024-01-01 10:00;Staf\n"
    log = _read(tmp_path, text)
    assert log.to_pandas()["level"].tolist()[0] == 3
    assert log.report is not None
    assert any("'Staf'" in n and "--orgchart" in n for n in log.report.notes)


@pytest.mark.parametrize(("text", "level"), [
    ("3", 3), ("3.0", 3), ("III", 3), ("III.a", 3), ("IV/b", 4), ("Eselon II", 2),
    ("eselon iv-a", 4), ("V", 5), ("Non Eselon", None), ("", None), ("3a", None),
])
def test_parse_level(text: str, level: int | None) -> None:
    assert parse_level(text) == level


def test_naive_times_without_zone_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PROCFLOW_TZ", raising=False)
    path = tmp_path / "naive.csv"
    path.write_text("case,activity,time\n1,a,2024-01-01 08:00\n")
    with pytest.raises(TimestampError, match="--tz"):
        procflow.read(path)
    monkeypatch.setenv("PROCFLOW_TZ", "Asia/Jayapura")
    assert str(procflow.read(path).to_pandas()["timestamp"][0]) == "2023-12-31 23:00:00+00:00"


def test_extra_columns_are_kept_as_attributes(tmp_path: Path) -> None:
    text = "case,activity,time,Keterangan,Biaya\n1,a,2024-01-01T08:00Z,ok,=1+1\n"
    log = _read(tmp_path, text)
    assert log.columns()[-2:] == ["attr:Keterangan", "attr:Biaya"]
    assert log.to_pandas()["attr:Biaya"][0] == "=1+1"
