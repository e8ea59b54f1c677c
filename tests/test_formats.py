"""Excel, Parquet and gzip inputs; formats detected by content, not by name."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

import procflow
from procflow.errors import FormatError
from procflow.ingest.sniff import detect_format

CSV = "case,activity,time\n7,A,2024-05-01T08:00:00+07:00\n7,B,2024-05-02T09:30:00+07:00\n"


def test_xlsx_with_date_cells_and_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["No. Permohonan", "Tahapan", "Tanggal", "Petugas", "Level"])
    sheet.append([1001, "Pendaftaran", dt.datetime(2024, 8, 17, 14, 5), "Ayu", 5])
    sheet.append([1001, "Persetujuan", dt.datetime(2024, 8, 19, 9, 0), "Budi", 2])
    sheet.append([1002, "Pendaftaran", None, "Ayu", 5])
    path = tmp_path / "izin.xlsx"
    book.save(path)
    log = procflow.read(path, tz="Asia/Jakarta")
    df = log.to_pandas()
    assert df["case_id"].tolist() == ["1001", "1001"]
    assert str(df["timestamp"][0]) == "2024-08-17 07:05:00+00:00"
    assert df["level"].tolist() == [5, 2]
    assert log.report is not None and log.report.rejected == {"empty timestamp": 1}


def test_xlsx_unknown_sheet(tmp_path: Path) -> None:
    book = Workbook()
    path = tmp_path / "b.xlsx"
    book.save(path)
    with pytest.raises(FormatError, match="no sheet named 'Data'"):
        procflow.read(path, sheet="Data")


def test_parquet_typed_columns(tmp_path: Path) -> None:
    table = pa.table({
        "case:concept:name": pa.array([1, 1, 2], pa.int64()),
        "concept:name": ["A", "B", "A"],
        "time:timestamp": pa.array([dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC)] * 3,
                                   pa.timestamp("ms", tz="UTC")),
        "amount": pa.array([1.5, 2.0, None]),
    })
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    log = procflow.read(path)
    df = log.to_pandas()
    assert df["case_id"].tolist() == ["1", "1", "2"]
    assert df["attr:amount"].tolist()[:2] == [1.5, 2.0]
    assert log.summary()["cases"] == 2


def test_gzip_csv_and_misnamed_files(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text(CSV)
    gz = tmp_path / "log.csv.gz"
    gz.write_bytes(gzip.compress(CSV.encode()))
    misnamed = tmp_path / "log.xes"
    shutil.copy(gz, misnamed)
    expected = procflow.read(plain).to_pandas()
    for path in (gz, misnamed):
        assert detect_format(path) == "csv"
        assert procflow.read(path).to_pandas().equals(expected)


def test_xes_named_csv_is_read_as_xes(tmp_path: Path) -> None:
    xes = ('<?xml version="1.0" encoding="UTF-8"?><log><trace>'
           '<string key="concept:name" value="c1"/><event><string key="concept:name" value="A"/>'
           '<date key="time:timestamp" value="2024-01-01T08:00:00.000+07:00"/></event>'
           '</trace></log>')
    path = tmp_path / "log.csv"
    path.write_text(xes)
    assert detect_format(path) == "xes"
    assert procflow.read(path).summary()["events"] == 1


def test_parquet_magic_detected(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    pq.write_table(pa.table({"a": [1]}), path)
    assert detect_format(path) == "parquet"
