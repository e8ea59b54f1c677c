"""CSV reader: encoding and delimiter sniffed, every cell kept as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from procflow.errors import FormatError
from procflow.ingest.csvcheck import Lines, parse_failure, wrong_fields
from procflow.ingest.limits import check_columns
from procflow.ingest.schema import ROW, unique_names
from procflow.ingest.sniff import Limits, ProgressFn, open_bytes

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 256 * 1024
CHUNK = 8 * 1024 * 1024
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file was read."""

    encoding: str
    delimiter: str


def read_csv(
    path: Path,
    *,
    limits: Limits | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    progress: ProgressFn | None = None,
) -> tuple[pa.Table, CsvDialect]:
    """Read ``path`` into a table of strings plus a ``__row`` column (1 = first data row)."""
    data = _read_all(path, limits, progress)
    chosen = encoding or sniff_encoding(data)
    text = _decode(data, chosen, path, forced=encoding is not None)
    del data
    delimiter = delimiter or sniff_delimiter(text[:SAMPLE_BYTES], path)
    header, body_start = _header(text, delimiter, path)
    check_columns(len(header), str(path), limits)
    names = unique_names(header)
    body = text.encode("utf-8")
    offset = len(text[:body_start].encode("utf-8"))
    bad: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row)
        return "skip"

    try:
        table = _parse(pa.py_buffer(body)[offset:], names, delimiter, on_invalid)
    except pa.ArrowInvalid as err:
        raise parse_failure(str(path), err, text, body_start, delimiter, len(names)) from None
    if bad:
        raise wrong_fields(str(path), text, body_start, delimiter, len(names), len(bad))
    rows = pa.array(range(1, table.num_rows + 1), pa.int64())
    return table.append_column(ROW, rows), CsvDialect(chosen, delimiter)


def _header(text: str, delimiter: str, path: Path) -> tuple[list[str], int]:
    """The header record (quoted line breaks allowed) and where the rows after it start."""
    stream = Lines(text)
    try:
        header = next(csv.reader(stream, delimiter=delimiter, strict=True), [])
    except csv.Error as err:
        raise FormatError(f"the header row cannot be read ({str(err).split(' - ')[0]}).",
                          source=str(path),
                          fix="check the first line of the file: column names, one quote "
                              "per side.", code="csv_header") from None
    return header, stream.pos


def _parse(data: pa.Buffer, names: list[str], delimiter: str,
           on_invalid: Callable[[pacsv.InvalidRow], str]) -> pa.Table:
    if not data.size:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=names, block_size=CHUNK),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )


def _read_all(path: Path, limits: Limits | None, progress: ProgressFn | None) -> bytes:
    parts = []
    done = 0
    with open_bytes(path, limits) as stream:
        while chunk := stream.read(CHUNK):
            parts.append(chunk)
            done += len(chunk)
            if progress:
                progress(done)
    data = b"".join(parts)
    if not data.strip():
        raise FormatError("the file is empty.", source=str(path), fix="export the log again.",
                          code="file_empty")
    return data


def sniff_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else Windows-1252."""
    if data.startswith(BOM):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _decode(data: bytes, encoding: str, path: Path, *, forced: bool) -> str:
    try:
        text = data.decode(encoding)
    except LookupError:
        raise FormatError(f"unknown encoding {encoding!r}.", source=str(path),
                          fix="pass a codec name such as utf-8, cp1252 or latin-1 to "
                              "--encoding.") from None
    except UnicodeDecodeError as err:
        at = err.start + (3 if encoding == "utf-8-sig" and data.startswith(BOM) else 0)
        line = data.count(b"\n", 0, at) + 1
        byte = data[at:at + 1].hex().upper()
        what = f"{encoding} text" if forced else (
            "UTF-8 text (the file starts with a UTF-8 byte-order mark)"
            if encoding == "utf-8-sig" else "UTF-8 or Windows-1252 (cp1252) text")
        raise FormatError(
            f"the byte 0x{byte} on line {line:,} (byte {at:,}) is not valid {what}.",
            source=str(path),
            fix="pass the file's real encoding with --encoding (e.g. cp1252 for Windows "
                "exports, latin-1), or save the file as UTF-8.",
            code="bad_encoding", params={"byte": byte, "line": line}) from None
    text = text.replace("\r\n", "\n")
    return text if "\n" in text else text.replace("\r", "\n")  # old Mac line ends


def sniff_delimiter(sample: str, path: Path) -> str:
    """The delimiter giving the most fields, consistently across the sample's lines."""
    lines = sample.split("\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    sample = "\n".join(lines[:200])
    best, best_score = None, (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        consistent = sum(w == widths[0] for w in widths)
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    if best is None:
        raise FormatError(
            "cannot find the column delimiter (tried , ; tab |); the file has one column "
            "or is not a CSV file.",
            source=str(path),
            fix="pass --delimiter, or check that this is an event log export.",
            code="no_delimiter",
        )
    return best
