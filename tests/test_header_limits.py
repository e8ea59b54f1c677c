"""Headers: naming repeated columns is linear, no column is silently lost, and more than
PROCFLOW_MAX_COLUMNS columns (default 2,000) are refused fast in every format."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import procflow
from procflow.errors import UnsafeInputError
from procflow.ingest import read_source

TIME = "2024-01-01T08:00Z"


def test_unique_names_keeps_its_naming() -> None:
    from procflow.ingest.schema import unique_names

    assert unique_names(["x", "x", " x ", "", "x_2", "__row", "\ufeffcase"]) == [
        "x", "x_2", "x_3", "column_4", "x_2_2", "__row_2", "case"]
    started = time.perf_counter()
    names = unique_names(["x"] * 100_000)
    assert time.perf_counter() - started < 1
    assert names[:3] == ["x", "x_2", "x_3"] and names[-1] == "x_100000"
    assert len(set(names)) == 100_000


def test_3000_identical_names_are_read_fast(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCFLOW_MAX_COLUMNS", "5000")
    path = tmp_path / "same.csv"
    path.write_text("case,activity,timestamp," + ",".join(["x"] * 3000) + "\n"
                    f"1,A,{TIME}," + ",".join(str(i) for i in range(3000)) + "\n")
    started = time.perf_counter()
    source = read_source(path)
    assert time.perf_counter() - started < 1
    assert source.table.num_columns == 3004
    started = time.perf_counter()
    table = procflow.read(path).to_arrow()
    assert time.perf_counter() - started < 5
    assert table["attr:x"][0].as_py() == "0" and table["attr:x_3000"][0].as_py() == "2999"


def _refused(path: Path, count: str, **kwargs: str) -> None:
    started = time.perf_counter()
    with pytest.raises(UnsafeInputError) as err:
        procflow.read(path, tz="UTC", **kwargs)
    assert time.perf_counter() - started < 5
    text = str(err.value)
    assert path.name in text and count in text and "PROCFLOW_MAX_COLUMNS" in text


def test_100k_csv_columns_are_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["x"] * 100_000) + "\n" + ",".join(["1"] * 100_000) + "\n")
    _refused(path, "100,000 columns, more than the limit of 2,000")


def test_100k_xes_attribute_keys_are_refused_fast(tmp_path: Path) -> None:
    keys = "".join(f'<string key="k{i}" value="v"/>' for i in range(100_000))
    path = tmp_path / "wide.xes"
    path.write_text(f'<log><trace><string key="concept:name" value="1"/><event>{keys}'
                    '</event></trace></log>')
    _refused(path, "different attribute keys (columns), more than the limit of 2,000")


def test_widest_xlsx_sheet_is_refused_fast(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"c{i}" for i in range(16_384)])  # Excel's widest sheet
    sheet.append(["1"] * 16_384)
    path = tmp_path / "wide.xlsx"
    book.save(path)
    _refused(path, "16,384 columns")


def test_wide_parquet_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": ["1"] for i in range(2_001)}), path)
    _refused(path, "2,001 columns")


def test_column_cap_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "five.csv"
    path.write_text(f"case,activity,timestamp,a,b\n1,A,{TIME},x,y\n")
    monkeypatch.setenv("PROCFLOW_MAX_COLUMNS", "4")
    _refused(path, "5 columns, more than the limit of 4")
    monkeypatch.setenv("PROCFLOW_MAX_COLUMNS", "lots")
    with pytest.raises(procflow.InputError, match="PROCFLOW_MAX_COLUMNS is 'lots'"):
        procflow.read(path, tz="UTC")


def test_repeated_headers_are_kept_in_every_format(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["case", "activity", "timestamp", "x", "x", None])
    sheet.append(["1", "A", TIME, "first", "second", "third"])
    xlsx = tmp_path / "dup.xlsx"
    book.save(xlsx)
    parquet = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays(
        [pa.array(v) for v in (["1"], ["A"], [TIME], ["first"], ["second"], ["third"])],
        names=["case", "activity", "timestamp", "x", "x", "__row"]), parquet)
    csv = tmp_path / "dup.csv"
    csv.write_text(f'case,activity,timestamp,x,x,"\n"\n1,A,{TIME},first,second,third\n')
    for path, last in ((xlsx, "attr:column_6"), (parquet, "attr:__row_2"),
                       (csv, "attr:column_6")):
        row = procflow.read(path, tz="UTC").to_arrow().to_pylist()[0]
        assert (row["attr:x"], row["attr:x_2"], row[last]) == ("first", "second", "third"), path
