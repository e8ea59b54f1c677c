"""Readers: turn a file into an Arrow table of source columns plus ``__row``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from procflow.errors import FormatError
from procflow.ingest.sniff import FORMATS, Format, Limits, ProgressFn, detect_format

FormatChoice = Literal["auto", "csv", "xlsx", "xes", "parquet"]


@dataclass(frozen=True)
class SourceTable:
    """A file as read: its columns, the format used and reader details (encoding, …)."""

    table: pa.Table
    format: Format
    details: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_source(
    path: Path,
    *,
    format: FormatChoice = "auto",
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> SourceTable:
    """Read ``path`` in the stated format, or the one its content shows; a file without a
    single row is refused."""
    path = Path(path)
    if not path.exists():
        raise FormatError("no such file.", source=str(path))
    if format != "auto" and format not in FORMATS:
        raise FormatError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
    fmt: Format
    if format != "auto":
        fmt = format
    else:
        fmt = "parquet" if path.is_dir() else detect_format(path, limits)
    source = _read(path, fmt, limits=limits, progress=progress, sheet=sheet,
                   delimiter=delimiter, encoding=encoding)
    if source.table.num_rows == 0:
        raise FormatError(
            f"no events in {path}: {_EMPTY[fmt]}.",
            fix="export the log again with its rows (check the export's filters and dates).",
            code="no_rows", params={"file": str(path)})
    return source


_EMPTY: dict[Format, str] = {
    "csv": "the file holds a header row but no data rows",
    "xlsx": "the sheet holds a header row (or nothing) but no data rows",
    "xes": "the log holds no <event> elements",
    "parquet": "the file holds 0 rows",
}


def _read(path: Path, fmt: Format, *, limits: Limits | None, progress: ProgressFn | None,
          sheet: str | None, delimiter: str | None, encoding: str | None) -> SourceTable:
    if fmt == "csv":
        from procflow.ingest.csv import read_csv

        table, dialect = read_csv(
            path, limits=limits, delimiter=delimiter, encoding=encoding, progress=progress
        )
        return SourceTable(table, fmt, {"encoding": dialect.encoding,
                                        "delimiter": dialect.delimiter})
    if fmt == "xes":
        from procflow.ingest.xes import read_xes

        return SourceTable(read_xes(path, limits=limits, progress=progress), fmt)
    if fmt == "xlsx":
        from procflow.ingest.excel import read_xlsx

        return SourceTable(read_xlsx(path, sheet=sheet, limits=limits), fmt,
                           {"sheet": sheet or "(first)"})
    from procflow.ingest.parquet import read_parquet

    notes: list[str] = []
    return SourceTable(read_parquet(path, limits=limits, notes=notes), fmt, notes=notes)


__all__ = ["FormatChoice", "Limits", "SourceTable", "read_source"]
