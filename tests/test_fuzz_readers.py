"""Fuzzed files into a real workspace: every import either stores the complete log or is
refused with procflow's InputError family, and a refused import leaves the workspace as it was.

CSV bytes are generated (delimiters, quoting, encodings, BOMs, line ends, garbage bytes, ragged
rows); XES bytes are mutations of a small valid log; XLSX files are small random workbooks
and byte flips of one.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procflow import ImportOptions, InputError, Workspace

SETTINGS = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
OPTIONS = ImportOptions(tz="UTC")
GOOD = "case,activity,timestamp\n1,A,2024-01-01T08:00Z\n1,B,2024-01-02T08:00Z\n"


class Fuzzed:
    """A workspace holding one good log, and a check of every import tried against it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ws = Workspace(folder / "fuzz.duckdb")
        good = folder / "good.csv"
        good.write_text(GOOD)
        self.ws.import_file(good, options=OPTIONS)
        self.before = self.state()
        self.n = 0

    def state(self) -> tuple[Any, ...]:
        """What the workspace holds: registry rows, tables and raw files."""
        con = self.ws.con
        logs = con.execute("SELECT name, sha256, events FROM logs ORDER BY name").fetchall()
        tables = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        raw = con.execute("SELECT sha256, count(*) FROM raw_files GROUP BY 1 ORDER BY 1"
                          ).fetchall()
        return logs, tables, raw

    def check(self, data: bytes, suffix: str) -> None:
        """Import ``data``; a success must be complete, a refusal must leave no trace."""
        self.n += 1
        path = self.folder / f"f{self.n}{suffix}"
        path.write_bytes(data)
        try:
            result = self.ws.import_file(path, name="fuzzed", options=OPTIONS)
        except InputError as err:
            assert str(err).strip(), "an error without a message"
            assert self.state() == self.before, "a refused import changed the workspace"
            return
        finally:
            path.unlink()
        try:
            report = result.report
            assert report is not None and result.events > 0
            stored = self.ws.con.execute(f"SELECT count(*) FROM events_{self._log_id()}"
                                         ).fetchone()
            assert stored is not None and stored[0] == result.events == report.accepted
            assert report.rows == report.accepted + sum(report.rejected.values())
            assert len(report.rejects) == report.rows - report.accepted
        finally:
            self.ws.remove("fuzzed")
        assert self.state() == self.before

    def _log_id(self) -> int:
        found = self.ws.con.execute("SELECT log_id FROM logs WHERE name = 'fuzzed'").fetchone()
        assert found is not None
        return int(found[0])


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Fuzzed]:
    with tempfile.TemporaryDirectory() as folder:
        box = Fuzzed(Path(folder))
        yield box
        box.ws.close()


SPOT = st.randoms(use_true_random=False)  # places spread over the whole file

# CSV ---------------------------------------------------------------------------------------
PLAIN = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
CELL = st.one_of(
    st.sampled_from(["1", "2", "A", "B", "2024-01-01T08:00Z", "2024-01-02 09:30:00+07:00",
                     "17/08/2024 14.05", "", "NA", '"', '""', "a,b", "a;b", "x\ny", "\r",
                     "0001-01-01T00:00Z", "9999-12-31T00:00Z", "Ayu", "   ", "\ufeff", "é"]),
    PLAIN,
)
TIMES = st.one_of(
    st.sampled_from(["2024-01-01T08:00Z", "2024-01-02 09:30:00+07:00", "0001-01-01T00:00Z",
                     "9999-12-31T23:59Z", "", "2024-02-30T08:00Z", "1969-12-31T23:59Z"]),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(
        lambda t: t.isoformat() + "Z"))
HEADERS = st.sampled_from([["case", "activity", "timestamp"],
                           ["case", "activity", "timestamp", "resource", "x", "x"],
                           ["case_id", "activity", "start_timestamp", "timestamp"]])


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    if draw(st.booleans()):  # a plausible log with odd values here and there
        header = ["case", "activity", "timestamp", "resource"]
        rows = draw(st.lists(st.tuples(st.sampled_from(["1", "2", "3", ""]),
                                       st.sampled_from(["A", "B", "C d", ""]), TIMES, CELL
                                       ).map(list), min_size=1, max_size=8))
    else:
        header = draw(st.one_of(HEADERS, st.lists(CELL, min_size=1, max_size=6)))
        ragged = draw(st.integers(0, 4)) == 0
        width = len(header)
        rows = draw(st.lists(st.lists(CELL, min_size=0 if ragged else width,
                                      max_size=width + 2 if ragged else width), max_size=8))
    quote_all = draw(st.booleans())

    def line(cells: list[str]) -> str:
        if quote_all:
            return delimiter.join('"' + c.replace('"', '""') + '"' for c in cells)
        return delimiter.join(cells)

    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(line(r) for r in [header, *rows]) + draw(st.sampled_from([end, ""]))
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "cp1252", "latin-1",
                                                     "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    return data


@SETTINGS
@given(data=csv_bytes())
def test_fuzzed_csv(fuzzed: Fuzzed, data: bytes) -> None:
    fuzzed.check(data, ".csv")


# XES ---------------------------------------------------------------------------------------
XES = b"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
<trace><string key="concept:name" value="c1"/>
<event><string key="concept:name" value="A &amp; B"/><string key="org:resource" value="Ayu"/>
<date key="time:timestamp" value="2024-05-01T10:00:00.000+07:00"/></event>
<event><string key="concept:name" value="B"/><date key="time:timestamp"
 value="2024-05-02T10:00:00+07:00"/><string key="lifecycle:transition" value="complete"/></event>
</trace>
<trace><string key="concept:name" value="c2"/>
<event><string key="concept:name" value="A"/>
<date key="time:timestamp" value="0001-01-01T00:00:00Z"/>
<list key="l"><string key="x" value="y"/></list></event>
</trace>
</log>
"""


@st.composite
def xes_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(XES)
    spot = draw(SPOT)
    for _ in range(draw(st.integers(1, 4))):
        at = spot.randrange(len(data) + 1)
        kind = draw(st.sampled_from(["delete", "insert", "flip", "repeat", "token"]))
        span = draw(st.integers(1, 40))
        if kind == "delete":
            del data[at:at + span]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "repeat":
            data[at:at] = data[at:at + span]
        else:
            data[at:at] = draw(st.sampled_from(
                [b"<", b">", b'"', b"&", b"&#0;", b"</event>", b"<event>", b"<trace>",
                 b"<!DOCTYPE x>", b"<![CDATA[", b"<!--", b"\xff", b"\x00", b"\xef\xbb\xbf"]))
    return bytes(data)


@SETTINGS
@given(data=xes_bytes())
def test_fuzzed_xes(fuzzed: Fuzzed, data: bytes) -> None:
    fuzzed.check(data, ".xes")


# XLSX --------------------------------------------------------------------------------------
XCELL = st.one_of(
    st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.datetimes(min_value=dt.datetime(1900, 3, 1),
                                max_value=dt.datetime(9999, 12, 31)),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10),
    st.sampled_from(["case", "activity", "timestamp", "2024-01-01T08:00Z", "=1+1", "A"]),
)


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BASE_XLSX = workbook([["case", "activity", "timestamp"], ["1", "A", "2024-01-01T08:00Z"],
                      ["1", "B", dt.datetime(2024, 1, 2, 8)]])


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["plausible", "random", "flipped"]))
    if mode == "plausible":
        rows = draw(st.lists(st.tuples(st.sampled_from(["1", "2", None]),
                                       st.sampled_from(["A", "B", None]),
                                       st.one_of(TIMES, XCELL), XCELL).map(list),
                             min_size=1, max_size=6))
        return workbook([["case", "activity", "timestamp", "resource"], *rows])
    if mode == "random":
        header = draw(st.lists(XCELL, min_size=0, max_size=5))
        rows = draw(st.lists(st.lists(XCELL, max_size=5), max_size=6))
        return workbook([header, *rows])
    data = bytearray(BASE_XLSX)
    spot = draw(SPOT)
    for _ in range(draw(st.integers(1, 6))):
        at = spot.randrange(len(data))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del data[spot.randrange(4, len(data)):]
    return bytes(data)


@settings(SETTINGS, max_examples=60)
@given(data=xlsx_bytes())
def test_fuzzed_xlsx(fuzzed: Fuzzed, data: bytes) -> None:
    fuzzed.check(data, ".xlsx")
