"""Org chart: levels and units by resource or role, valid between dates."""

from __future__ import annotations

from pathlib import Path

import pytest

import procflow
from procflow.errors import OrgChartError
from procflow.ingest.orgchart import read_orgchart

LOG = """case;activity;time;resource;role
1;Paraf;2023-12-31 15:00;Hadi;
1;Paraf;2024-01-02 09:00;Hadi;
1;TTE;2024-01-02 10:00;Sari;Kepala Dinas
1;Cek;2024-01-02 11:00;Tono;Staf
"""
CHART = """resource,role,level,unit,valid_from,valid_to
Hadi,Kepala Bidang,3,Bidang Perizinan,,2023-12-31
Hadi,Koordinator,III,Bidang Perizinan,2024-01-01,
,Kepala Dinas,2,Pimpinan,,
,Staf,5,,,
"""


def _files(tmp_path: Path, chart: str = CHART) -> tuple[Path, Path]:
    log, org = tmp_path / "log.csv", tmp_path / "chart.csv"
    log.write_text(LOG)
    org.write_text(chart)
    return log, org


def test_chart_fills_role_level_unit_by_validity(tmp_path: Path) -> None:
    log, org = _files(tmp_path)
    events = procflow.read(log, tz="Asia/Makassar", orgchart=org).to_arrow()
    assert events["role"].to_pylist() == ["Kepala Bidang", "Koordinator", "Kepala Dinas", "Staf"]
    assert events["level"].to_pylist() == [3, 3, 2, 5]
    assert events["unit"].to_pylist() == ["Bidang Perizinan", "Bidang Perizinan", "Pimpinan",
                                          None]


def test_validity_uses_local_days(tmp_path: Path) -> None:
    # 2023-12-31 23:30 WITA is still 31 December locally, though 15:30 UTC.
    log, org = _files(tmp_path)
    log.write_text("case;activity;time;resource\n1;Paraf;2023-12-31 23:30;Hadi\n")
    df = procflow.read(log, tz="Asia/Makassar", orgchart=org).to_pandas()
    assert df["role"].tolist() == ["Kepala Bidang"]


def test_events_without_level_are_reported(tmp_path: Path) -> None:
    log, org = _files(tmp_path, CHART.replace(",Staf,5,,,\n", ""))
    report = procflow.read(log, tz="Asia/Makassar", orgchart=org).report
    assert report is not None
    assert any("1 event(s) have no level" in n and "'Staf'" in n for n in report.notes)


@pytest.mark.parametrize(("chart", "message"), [
    ("resource,level\nHadi,3\nHadi,2\n", "rows 1 and 2 give resource 'Hadi' overlapping"),
    ("resource,level,valid_from,valid_to\nHadi,3,2024-01-01,2023-01-01\n", "row 1: valid_to"),
    ("resource,level\nHadi,tinggi\n", "row 1: level 'tinggi'"),
    ("resource,level,valid_from\nHadi,3,01/01/2024\n", "row 1: date '01/01/2024'"),
    ("name,grade\nHadi,3\n", "needs columns 'level' and 'resource' or 'role'"),
    ("resource,role,level\n,,3\n", "row 1: neither resource nor role"),
])
def test_bad_charts_are_refused(tmp_path: Path, chart: str, message: str) -> None:
    path = tmp_path / "chart.csv"
    path.write_text(chart)
    with pytest.raises(OrgChartError, match=message):
        read_orgchart(path, tz="UTC")
