"""Readers that hand a CSV, Parquet, XES or Excel file over in record batches, so that an
import's memory does not grow with the file.

Each source can be read more than once (the day order of numeric dates is looked up in a first
pass when the file does not say it early). Files whose reading fails are read again by the
whole-file readers of :mod:`procflow.ingest.csv` and :mod:`procflow.ingest.parquet`, whose
errors name the row and the fix.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from procflow.errors import FormatError
from procflow.ingest.csv import CHUNK, SAMPLE_BYTES, _header, sniff_delimiter
from procflow.ingest.limits import Limits, check_columns
from procflow.ingest.parquet import _FIX, _describe, as_text_where_needed
from procflow.ingest.schema import ROW, unique_names
from procflow.ingest.sniff import Format, ProgressFn, detect_format, open_bytes

#: Rows per batch handed to validation (``PROCFLOW_BATCH_ROWS``, default 500,000).
BATCH_ROWS = int(os.environ.get("PROCFLOW_BATCH_ROWS", 500_000))
#: Bytes the CSV parser reads at a time.
BLOCK_BYTES = CHUNK


def stream_threshold() -> int:
    """Files of at least this many bytes are imported in batches (``PROCFLOW_STREAM_BYTES``,
    default 32 MB); smaller ones are read whole."""
    return int(os.environ.get("PROCFLOW_STREAM_BYTES", 32 * 1024 * 1024))


@dataclass
class BatchSource:
    """A file read in batches: its format, column names, and a fresh batch iterator on each
    call of :attr:`batches` (tables of source columns plus ``__row``).

    ``headers`` is empty when the columns show only while reading (XES keys): then a batch may
    bring columns that earlier ones lacked, and the last batch has them all.
    """

    format: Format
    headers: list[str]
    batches: Callable[[], Iterator[pa.Table]]
    details: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def batch_format(path: Path, choice: str, limits: Limits | None) -> Format | None:
    """The format ``path`` is read in batches with: CSV or XES of at least
    :func:`stream_threshold` bytes, or a compressed file (Parquet, Excel, gzip) of an eighth
    of that; else None."""
    if not path.is_file():
        return None
    fmt = detect_format(path, limits) if choice == "auto" else choice
    with path.open("rb") as file:
        gzipped = file.read(2) == b"\x1f\x8b"
    size = path.stat().st_size * (8 if fmt in ("parquet", "xlsx") or gzipped else 1)
    if fmt not in ("csv", "parquet", "xes", "xlsx") or size < stream_threshold():
        return None
    return fmt  # type: ignore[return-value]


def open_batches(path: Path, fmt: Format, *, limits: Limits | None = None,
                 progress: ProgressFn | None = None, delimiter: str | None = None,
                 encoding: str | None = None, sheet: str | None = None) -> BatchSource:
    """The batch source of a CSV, Parquet, XES or Excel file."""
    if fmt == "parquet":
        return parquet_batches(path, limits=limits, progress=progress)
    if fmt == "xes":
        from procflow.ingest.xes import xes_batches  # its patterns take a while to compile

        return BatchSource("xes", [], lambda: xes_batches(path, limits=limits, progress=progress,
                                                          rows=BATCH_ROWS))
    if fmt == "xlsx":
        return xlsx_batches(path, sheet=sheet, limits=limits, progress=progress)
    return csv_batches(path, limits=limits, progress=progress, delimiter=delimiter,
                       encoding=encoding)


def xlsx_batches(path: Path, *, sheet: str | None = None, limits: Limits | None = None,
                 progress: ProgressFn | None = None) -> BatchSource:
    """An Excel sheet in batches of :data:`BATCH_ROWS` rows; its date-time columns are found
    by a first pass. Raises :class:`FallBack` for a sheet that does not start at A1."""
    from procflow.ingest.excel import sheet_batches, sheet_layout

    layout = sheet_layout(path, sheet=sheet, limits=limits, rows=BATCH_ROWS)
    if layout is None:
        raise FallBack
    return BatchSource("xlsx", layout[0],
                       lambda: sheet_batches(path, layout, sheet=sheet, limits=limits,
                                             rows=BATCH_ROWS, progress=progress),
                       details={"sheet": sheet or "(first)"})


def parquet_batches(path: Path, *, limits: Limits | None = None,
                    progress: ProgressFn | None = None) -> BatchSource:
    """A Parquet file in batches of :data:`BATCH_ROWS` rows."""
    try:
        with pq.ParquetFile(path) as file:
            schema = file.schema_arrow
            total = file.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as err:
        raise FormatError(f"{_describe(err)}.", source=str(path), fix=_FIX,
                          code="bad_parquet") from None
    check_columns(len(schema), str(path), limits)
    names = unique_names(schema.names)
    notes: list[str] = []
    as_text_where_needed(schema.empty_table().rename_columns(names), notes)
    size = path.stat().st_size

    def batches() -> Iterator[pa.Table]:
        row = 1
        try:
            # Without pre-buffering: the reader would keep every column chunk it read
            # (memory growing with the file, 5 MB a batch).
            with pq.ParquetFile(path, pre_buffer=False) as file:
                for batch in file.iter_batches(batch_size=BATCH_ROWS):
                    table = pa.Table.from_batches([batch]).rename_columns(names)
                    table = as_text_where_needed(table, [])
                    yield _numbered(table, row)
                    row += table.num_rows
                    if progress:
                        progress(size * (row - 1) // max(total, 1))
        except (pa.ArrowException, OSError) as err:
            raise FormatError(f"{_describe(err)}.", source=str(path), fix=_FIX,
                          code="bad_parquet") from None

    return BatchSource("parquet", names, batches, notes=notes)


def _numbered(table: pa.Table, first: int) -> pa.Table:
    rows = np.arange(first, first + table.num_rows, dtype=np.int64)
    return table.append_column(ROW, pa.array(rows))


class _Counting(io.RawIOBase):
    """A byte stream that tells ``progress`` how much was read."""

    def __init__(self, raw: BinaryIO, progress: ProgressFn | None, done: int = 0):
        self.raw, self.progress, self.done = raw, progress, done

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        buffer[:len(data)] = data
        self.done += len(data)
        if self.progress:
            self.progress(self.done)
        return len(data)


class FallBack(Exception):
    """The file needs the whole-file reader (for its exact error, or an unusual layout)."""


def csv_batches(path: Path, *, limits: Limits | None = None, progress: ProgressFn | None = None,
                delimiter: str | None = None, encoding: str | None = None) -> BatchSource:
    """A CSV file in batches of about :data:`BATCH_ROWS` rows, every cell as text; the
    encoding is found by a pass over the bytes, the delimiter and header from the start.
    Raises :class:`FallBack` for a file the whole-file reader should read."""
    with open_bytes(path, limits) as stream:
        head = stream.read(SAMPLE_BYTES)
    if not head.strip() or (b"\r" in head and b"\n" not in head):
        raise FallBack  # empty, or old Mac line ends
    chosen = encoding or sniff_encoding_stream(path, limits)
    try:
        sample = head.decode(chosen, errors="replace")
    except LookupError:
        raise FallBack from None
    delimiter = delimiter or sniff_delimiter(sample.replace("\r\n", "\n")[:SAMPLE_BYTES], path)
    header, end = _header(sample, delimiter, path)
    if any("\n" in h or "\r" in h for h in header) or end >= len(sample):
        raise FallBack
    check_columns(len(header), str(path), limits)
    names = unique_names(header)
    arrow_encoding = "utf8" if chosen in ("utf-8", "utf-8-sig") else chosen
    offset = len(sample[:end].encode(arrow_encoding, errors="replace"))
    if chosen == "utf-8-sig" and head.startswith(codecs.BOM_UTF8):
        offset += 3

    def batches() -> Iterator[pa.Table]:
        row = 1
        with open_bytes(path, limits) as raw:
            raw.read(offset)
            counting = io.BufferedReader(_Counting(raw, progress, offset), CHUNK)
            try:
                reader = pacsv.open_csv(
                    counting,
                    read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES,
                                                   encoding=arrow_encoding),
                    parse_options=pacsv.ParseOptions(delimiter=delimiter,
                                                     newlines_in_values=True),
                    convert_options=pacsv.ConvertOptions(
                        column_types={n: pa.string() for n in names},
                        strings_can_be_null=False, quoted_strings_can_be_null=False,
                        null_values=[]),
                )
                pending: list[pa.RecordBatch] = []
                size = 0
                for batch in reader:
                    pending.append(batch)
                    size += batch.num_rows
                    if size >= BATCH_ROWS:
                        yield _numbered(pa.Table.from_batches(pending), row)
                        row, pending, size = row + size, [], 0
                if pending or row == 1:
                    yield _numbered(pa.Table.from_batches(pending, reader.schema), row)
            except (pa.ArrowInvalid, UnicodeDecodeError) as err:
                raise FallBack from err

    return BatchSource("csv", names, batches,
                       details={"encoding": chosen, "delimiter": delimiter})


def sniff_encoding_stream(path: Path, limits: Limits | None) -> str:
    """As :func:`procflow.ingest.csv.sniff_encoding`, reading the file in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open_bytes(path, limits) as stream:
        first = stream.read(CHUNK)
        if first.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        chunk = first
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = stream.read(CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"
