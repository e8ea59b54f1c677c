"""The progress bar of a long import: rows done, rows/s and the time left, for every format
read in batches; for a gzip file the bar runs over the uncompressed size."""

from __future__ import annotations

import gzip
import io
import re
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from procflow import ImportOptions, Workspace
from procflow.cli.options import progress_bar
from procflow.ingest import batches, xes
from procflow.ingest.sniff import content_size
from procflow.store.export_xes import write_xes

N = 3000


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _log() -> pa.Table:
    return pa.table({"case:concept:name": [f"c{i // 3}" for i in range(N)],
                     "concept:name": [f"a{i % 3}" for i in range(N)],
                     "time:timestamp": [f"2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00+07:00"
                                        for i in range(N)]})


def _write(fmt: str, folder: Path) -> Path:
    table = _log()
    if fmt == "csv.gz":
        path = folder / "log.csv.gz"
        with gzip.open(path, "wb") as out:
            pacsv.write_csv(table, out)
    elif fmt == "parquet":
        path = folder / "log.parquet"
        pq.write_table(table, path)
    elif fmt == "xes.gz":
        plain = folder / "log.xes"
        write_xes(table, plain)
        path = folder / "log.xes.gz"
        path.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        path = folder / "log.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("log")
        sheet.append(table.column_names)
        for row in table.to_pylist():
            sheet.append(list(row.values()))
        book.save(path)
    return path


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet", "xes.gz", "xlsx"])
def test_long_import_shows_rows_per_second_and_time_left(
        fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(fmt, tmp_path)
    monkeypatch.setenv("PROCFLOW_STREAM_BYTES", "0")
    monkeypatch.setattr(batches, "BATCH_ROWS", 500)
    monkeypatch.setattr(batches, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(xes, "CHUNK", 8192)
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    clock = iter(range(0, 10**6))
    monkeypatch.setattr("procflow.cli.options.time.monotonic", lambda: float(next(clock)))
    with Workspace(tmp_path / "w.duckdb") as ws, \
            progress_bar("Reading", content_size(path)) as progress:
        result = ws.import_file(path, options=ImportOptions(), progress=progress)
    assert result.events == N
    shown = screen.getvalue()
    counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) rows, [\d,]+ rows/s",
                                                            shown)]
    assert len(counts) >= 3, shown[-500:]
    assert counts == sorted(counts) and counts[-1] == N
    if fmt != "csv.gz":  # Arrow's CSV reader reads this small file ahead in one go
        assert re.search(r"rows/s, \d\d:\d\d:\d\d left", shown), "no time left shown"
    assert "100%" in shown


def test_gzip_size_is_the_uncompressed_size(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    data = b"case,activity,time\n" + b"c1,a,2024-01-01 10:00\n" * 5000
    path.write_bytes(gzip.compress(data))
    assert content_size(path) == len(data)
    plain = tmp_path / "a.csv"
    plain.write_bytes(data)
    assert content_size(plain) == len(data)
