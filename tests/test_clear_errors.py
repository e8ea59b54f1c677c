"""Inputs that used to crash or to import nonsense end in the right events or in one clear
refusal (exit 2, the file, the row where known, the fix; never a traceback): nested Parquet
columns, files without events, implausible times, truncated gzip, parser failures."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import procflow
from procflow import ImportOptions, Workspace
from procflow.cli import main
from procflow.errors import FormatError, InputError
from procflow.ingest import csv as csv_reader

TIME = "2024-01-01T08:00:00Z"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def refused(path: Path, *args: str, workspace: Path | None = None) -> str:
    """The one-line message of a refused import (exit 2), after checking its form."""
    ws = workspace or path.with_suffix(".duckdb")
    code, out = run("import", str(path), "--workspace", str(ws), *args)
    assert code == 2, out
    assert out.startswith("error: ") and path.name in out and "Fix:" in out, out
    assert "Traceback" not in out and out.count("\n") == 1, out
    with Workspace(ws) as opened:
        assert opened.logs() == []
    return out


# Parquet lists and structs ---------------------------------------------------------------
@pytest.fixture
def nested(tmp_path: Path) -> Path:
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({
        "case": ["1", "1"], "activity": ["A", "B"], "timestamp": [TIME, "2024-01-02T08:00Z"],
        "tags": [["x", "y"], []], "meta": [{"a": 1, "b": "q"}, None],
        "props": pa.array([[("k", 1)], None], pa.map_(pa.string(), pa.int64())),
        "blob": [b"ok", b"\xff\x00"]}), path)
    return path


def test_nested_parquet_columns_are_kept_as_json_text(nested: Path) -> None:
    log = procflow.read(nested)
    rows = log.to_arrow().to_pylist()
    assert [(r["attr:tags"], r["attr:meta"], r["attr:props"], r["attr:blob"]) for r in rows] == [
        ('["x","y"]', '{"a":1,"b":"q"}', '{"k":1}', "ok"), ("[]", None, None, "0xff00")]
    assert log.report is not None
    assert any("'meta' (struct<a: int64, b: string>) is kept as JSON text" in n
               for n in log.report.notes)
    as_resource = procflow.read(nested, resource="meta").to_arrow()
    assert as_resource["resource"].to_pylist() == ['{"a":1,"b":"q"}', None]


def test_nested_parquet_columns_import_and_export_by_cli(nested: Path, tmp_path: Path) -> None:
    ws = str(tmp_path / "w.duckdb")
    code, out = run("import", str(nested), "--workspace", ws, "--resource", "tags")
    assert code == 0, out
    assert "column 'meta' (struct<a: int64, b: string>) is kept as JSON text" in out
    code, out = run("export", "nested", "--to", str(tmp_path / "out.csv"), "--workspace", ws)
    assert code == 0, out
    exported = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert exported[0]["resource"] == '["x","y"]' and exported[0]["meta"] == '{"a":1,"b":"q"}'


# files without events ----------------------------------------------------------------------
def _header_only_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["case", "activity", "timestamp"])
    book.save(path)


EMPTY = {
    "header.csv": lambda p: p.write_text("case,activity,timestamp\n"),
    "header.xlsx": _header_only_xlsx,
    "noevents.xes": lambda p: p.write_text(
        '<?xml version="1.0"?><log><trace><string key="concept:name" value="1"/></trace>'
        "</log>"),
    "empty.parquet": lambda p: pq.write_table(pa.table({
        "case": pa.array([], pa.string()), "activity": pa.array([], pa.string()),
        "timestamp": pa.array([], pa.string())}), p),
}


@pytest.mark.parametrize("name", list(EMPTY))
def test_files_without_events_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    EMPTY[name](path)
    out = refused(path)
    assert f"no events in {path}" in out
    with pytest.raises(FormatError, match="no events in"):
        procflow.read(path, tz="UTC")


def test_a_file_whose_rows_are_all_rejected_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("case,activity,timestamp\n1,A,0001-01-01T00:00Z\n1,B,\n")
    out = refused(path)
    assert "no events in" in out and "all 2 rows were rejected" in out
    assert "row 1 timestamp outside 1970–2100 ('0001-01-01T00:00Z')" in out


# the plausible time window -----------------------------------------------------------------
CSV_YEARS = ("case,activity,start,end\n"
             "1,A,,0001-01-01T00:00:00Z\n"
             "1,B,,9999-12-31T23:59:59Z\n"
             "1,C,0001-01-01T00:00:00Z,2024-05-01T10:00:00Z\n"
             "1,D,2024-05-02T09:00:00Z,2024-05-02T10:00:00Z\n")
XES_YEARS = "\n".join([
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<log xes.version="1.0"><trace><string key="concept:name" value="c1"/>',
    '<event><string key="concept:name" value="A"/>',
    '<date key="time:timestamp" value="0001-01-01T00:00:00.000+00:00"/></event>',
    '<event><string key="concept:name" value="B"/>',
    '<date key="time:timestamp" value="9999-12-31T23:59:59.000+00:00"/></event>',
    '<event><string key="concept:name" value="C"/>',
    '<date key="time:timestamp" value="2024-05-01T10:00:00.000+07:00"/>',
    '<date key="start_timestamp" value="0001-01-01T00:00:00.000+00:00"/></event>',
    '<event><string key="concept:name" value="D"/>',
    '<date key="time:timestamp" value="2024-05-02T10:00:00.000+07:00"/></event>',
    "</trace></log>", ""])


@pytest.mark.parametrize("name", ["years.csv", "years.xes"])
def test_times_outside_the_window_are_rejected_rows(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(CSV_YEARS if name.endswith(".csv") else XES_YEARS)
    rejects = tmp_path / "rejects.csv"
    code, out = run("import", str(path), "--workspace", str(tmp_path / "w.duckdb"), "--json",
                    "--rejects", str(rejects))
    assert code == 0, out
    data = json.loads(out)
    assert data["events"] == 1
    assert data["rejected"] == {"timestamp outside 1970–2100": 2,
                                "start time outside 1970–2100": 1}
    rows = list(csv.DictReader(io.StringIO(rejects.read_text())))
    assert [(r["row"], r["reason"]) for r in rows] == [
        ("1", "timestamp outside 1970–2100"), ("2", "timestamp outside 1970–2100"),
        ("3", "start time outside 1970–2100")]
    assert rows[0]["value"].startswith("0001-01-01") and rows[1]["value"].startswith("9999")
    wide = procflow.read(path, time_window="0001..9999").to_arrow()
    assert wide.num_rows == 4


def test_the_window_is_an_option_and_a_setting(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "years.csv"
    path.write_text(CSV_YEARS)
    ws = str(tmp_path / "w.duckdb")
    code, out = run("import", str(path), "--workspace", ws, "--json", "--time-window",
                    "2024-05-02..2030")
    assert code == 0, out
    assert json.loads(out)["rejected"] == {"timestamp outside 2024-05-02–2030-12-31": 3}
    monkeypatch.setenv("PROCFLOW_TIME_WINDOW", "2024..2024")
    report = procflow.read(path).report
    assert report is not None and report.rejected == {"timestamp outside 2024–2024": 2,
                                                      "start time outside 2024–2024": 1}
    window = procflow.TimeWindow.parse("0001-01-01..9999-12-31")
    events, report = procflow.api.load_events(path, ImportOptions(time_window=window))
    assert events.num_rows == 4 and report.rejected == {}
    with Workspace(tmp_path / "w.duckdb") as opened:
        assert opened.info("years")["options"]["time_window"] == "2024-05-02..2030-12-31"
    code, out = run("import", str(path), "--workspace", ws, "--time-window", "2030..2020")
    assert code == 2 and "--time-window" in out and "ends before it starts" in out
    monkeypatch.setenv("PROCFLOW_TIME_WINDOW", "soon")
    with pytest.raises(InputError, match="PROCFLOW_TIME_WINDOW 'soon' is not FROM..TO"):
        procflow.read(path)


# truncated gzip and parser failures ----------------------------------------------------------
def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(("case,activity,timestamp\n" + f"1,A,{TIME}\n" * 20_000).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    out = refused(path)
    assert "truncated" in out and "download the file again" in out


def test_gzip_with_trailing_zeros_is_read(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv.gz"
    path.write_bytes(gzip.compress(f"case,activity,timestamp\n1,A,{TIME}\n".encode())
                     + b"\0" * 512)
    assert procflow.read(path).to_arrow().num_rows == 1


def test_unclosed_quote_across_parser_blocks_names_the_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "CHUNK", 1024)  # blocks as the 8 MB ones on big files
    path = tmp_path / "quote.csv"
    path.write_text("case,activity,timestamp\n" + f"1,A,{TIME}\n" * 50
                    + f'1,"B,{TIME}\n' + f"2,C,{TIME}\n" * 200)
    out = refused(path)
    assert "row 51 opens a quoted value that is never closed" in out
    assert "straddles two block" not in out and "CSV parse error" not in out


@pytest.mark.parametrize(("body", "args", "expected"), [
    (f"case,activity,timestamp\n1,A,{TIME}\n2,B,{TIME},x,y\n".encode(), (),
     "row 2 has 5 fields, not 3"),
    (f"case,activity,timestamp\n1,A,{TIME}\n3,\"C\n".encode(), (),
     "row 2 opens a quoted value that is never closed"),
    (f"case,activity,timestamp\n1,A,{TIME}\n2,Caf\xe9,{TIME}\n".encode("latin-1"),
     ("--encoding", "utf-8"), "the byte 0xE9 on line 3 (byte 54) is not valid utf-8 text"),
    (f"case,activity,timestamp\n1,A\x81\xe9,{TIME}\n".encode("latin-1"), (),
     "the byte 0x81 on line 2 (byte 27) is not valid UTF-8 or Windows-1252 (cp1252) text"),
    (f"case,activity,timestamp\n1,A,{TIME}\n".encode(), ("--encoding", "klingon"),
     "unknown encoding 'klingon'"),
    (b'case,"activity\n1,A\n', (), "header row cannot be read (unexpected end of data)"),
], ids=["fields", "quote", "forced-utf8", "neither", "codec", "header"])
def test_csv_parser_failures_are_named(tmp_path: Path, body: bytes, args: tuple[str, ...],
                                       expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(body)
    out = refused(path, *args)
    assert expected in out, out
    assert "CSV parse error" not in out and "codec can't" not in out


@pytest.mark.parametrize(("arrow", "expected"), [
    ("CSV parse error: Expected 3 columns, got 5: 2,B,x,y,z",
     "rows have the wrong number of fields (the header has 3): row 2 has 5 fields, not 3"),
    ("straddling object straddles two block boundaries (try to increase block size?)",
     "row 3 opens a quoted value that is never closed"),
    ("CSV conversion error to string: invalid UTF8 data",
     "a value is not valid UTF-8 text."),
    ("CSV parse error: Empty CSV file or block: cannot infer number of columns",
     "the file cannot be read as CSV (Empty CSV file or block"),
])
def test_parser_messages_are_said_in_words(arrow: str, expected: str) -> None:
    from procflow.ingest.csvcheck import parse_failure

    text = 'case,activity,timestamp\n1,A,x\n2,B,x,y,z\n'
    if "straddl" in arrow:
        text += '3,"C,x\n4,D,x\n'
    err = parse_failure("f.csv", pa.ArrowInvalid(arrow), text, 24, ",", 3)
    assert str(err).startswith("f.csv: ") and expected in str(err) and "Fix: " in str(err)
    assert "CSV parse error" not in str(err) and "straddles" not in str(err)


def test_damaged_parquet_and_xlsx_are_named(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"case": ["1"], "activity": ["A"], "timestamp": [TIME]}), good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:-20])
    assert "not a complete Parquet file: it is cut off" in refused(cut)
    book = tmp_path / "cut.xlsx"
    _header_only_xlsx(book)
    book.write_bytes(book.read_bytes()[:-30])
    assert "not a readable Excel workbook: the zip directory is missing" in refused(book)
