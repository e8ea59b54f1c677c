"""CSV reader: encoding and delimiter sniffed, every cell kept as text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from procflow.errors import FormatError
from procflow.ingest.schema import ROW
from procflow.ingest.sniff import Limits, ProgressFn, open_bytes

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 256 * 1024
CHUNK = 8 * 1024 * 1024


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
    encoding = encoding or sniff_encoding(data)
    text = _decode(data, encoding, path)
    del data
    delimiter = delimiter or sniff_delimiter(text[:SAMPLE_BYTES], path)
    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or None]), delimiter=delimiter))
    names = _unique_names(header)
    bad: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(f"expected {row.expected_columns} fields, found {row.actual_columns}: "
                   f"{row.text[:80]!r}")
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=CHUNK),
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
    except pa.ArrowInvalid as err:
        raise FormatError(f"not a readable CSV file ({err}).", source=str(path)) from err
    if bad:
        raise FormatError(
            f"{len(bad)} row(s) have the wrong number of fields, e.g. {'; '.join(bad[:3])}.",
            source=str(path),
            fix="quote fields that contain the delimiter, or pass --delimiter.",
        )
    rows = pa.array(range(1, table.num_rows + 1), pa.int64())
    return table.append_column(ROW, rows), CsvDialect(encoding, delimiter)


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
        raise FormatError("the file is empty.", source=str(path), fix="export the log again.")
    return data


def sniff_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise FormatError(
            f"cannot decode the file as {encoding} ({err}).",
            source=str(path),
            fix="save it as UTF-8, or pass --encoding.",
        ) from err
    return text.replace("\r\n", "\n")


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
        )
    return best


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        name = raw.strip().lstrip("\ufeff") or f"column_{i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names
