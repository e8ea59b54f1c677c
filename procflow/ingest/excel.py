"""Excel (.xlsx) reader: the first sheet (or a named one), header in the first row.

The zip container is checked first (:func:`~procflow.ingest.zipcheck.check_zip`: member count,
declared and actual inflated sizes, ratios), so a workbook bomb is refused before the workbook
reader inflates anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import CalamineWorkbook, PasswordError, XmlError, ZipError

from procflow.errors import FormatError, InputError
from procflow.ingest.limits import Limits, check_columns
from procflow.ingest.schema import ROW, unique_names
from procflow.ingest.zipcheck import check_zip

_FIX = "save the workbook again from Excel (or export the log as CSV)."


def read_xlsx(path: Path, *, sheet: str | None = None, limits: Limits | None = None) -> pa.Table:
    """Read a sheet into a table: date-time columns typed, every other cell as text."""
    check_zip(path, limits)
    found = _open_sheet(path, sheet, limits)
    rows: list[list[Any]] = _guarded(path, lambda: found.to_python(skip_empty_area=True))
    header = unique_names([_cell_text(h) for h in rows[0]]) if rows else []
    columns = {name: _column(_values(rows[1:], i)) for i, name in enumerate(header)}
    columns[ROW] = pa.array(range(1, max(len(rows), 1)), pa.int64())
    return pa.table(columns)


def sheet_layout(path: Path, *, sheet: str | None = None, limits: Limits | None = None,
                 rows: int = 500_000) -> tuple[list[str], list[bool]] | None:
    """The header of a sheet and which of its columns are date-time columns (every value that
    is there a date), from a pass over the sheet ``rows`` rows at a time; None for a sheet
    that does not start at A1 (it is read whole)."""
    check_zip(path, limits)
    found = _open_sheet(path, sheet, limits)
    if tuple(found.start or (0, 0)) != (0, 0):
        return None
    lines = iter(_guarded(path, found.iter_rows))
    header = unique_names([_cell_text(h) for h in next(lines, [])])
    seen, dated = [False] * len(header), [True] * len(header)
    while part := list(islice(lines, rows)):
        for i in range(len(header)):
            present = [v for v in _values(part, i) if v != "" and v is not None]
            seen[i] = seen[i] or bool(present)
            dated[i] = dated[i] and all(isinstance(v, dt.datetime | dt.date) for v in present)
    return header, [s and d for s, d in zip(seen, dated, strict=True)]


def sheet_batches(path: Path, layout: tuple[list[str], list[bool]], *,
                  sheet: str | None = None, limits: Limits | None = None,
                  rows: int = 500_000,
                  progress: Callable[[int], None] | None = None) -> Iterator[pa.Table]:
    """The sheet's rows in tables of ``rows`` rows, each as :func:`read_xlsx` gives them, the
    columns typed by ``layout`` (from :func:`sheet_layout`). ``progress`` receives the share
    of the file's bytes that the rows read so far stand for."""
    found = _open_sheet(path, sheet, limits)
    header, dated = layout
    lines = iter(_guarded(path, found.iter_rows))
    next(lines, None)
    total, size, first = max(found.height - 1, 1), path.stat().st_size, 1
    while (part := list(islice(lines, rows))) or first == 1:
        columns = {name: _column(_values(part, i), dated[i]) for i, name in enumerate(header)}
        columns[ROW] = pa.array(range(first, first + len(part)), pa.int64())
        first += len(part)
        if progress:
            progress(size * (first - 1) // total)
        yield pa.table(columns)
        if not part:
            return


def _values(rows: list[list[Any]], i: int) -> list[Any]:
    return [r[i] if i < len(r) else "" for r in rows]


def _open_sheet(path: Path, sheet: str | None, limits: Limits | None) -> Any:
    """The sheet named ``sheet`` (default: the first), its width checked."""

    def find() -> Any:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise FormatError(
                f"no sheet named {sheet!r}; sheets: {', '.join(names)}.",
                source=str(path),
                fix="pass --sheet with one of those names.",
                code="no_sheet", params={"sheet": sheet, "sheets": names},
            )
        if not names:
            raise FormatError("the workbook has no sheets.", source=str(path), fix=_FIX,
                              code="no_sheets")
        found = book.get_sheet_by_name(sheet or names[0])
        check_columns(found.width, str(path), limits)
        return found

    return _guarded(path, find)


def _guarded(path: Path, read: Callable[[], Any]) -> Any:
    """``read()``, with calamine's failures turned into a :class:`FormatError` in words."""
    try:
        return read()
    except InputError:
        raise
    except PasswordError:
        raise FormatError("the workbook is encrypted (password-protected).", source=str(path),
                          fix="save it again in Excel without a password.",
                          code="encrypted") from None
    except Exception as err:  # calamine raises its own types for corrupt workbooks
        raise FormatError(f"not a readable Excel workbook: {_describe(err)}.",
                          source=str(path), fix=_FIX, code="bad_workbook") from None


def _describe(err: Exception) -> str:
    """calamine's failure in words, its own text kept short in brackets."""
    detail = " ".join(str(err).split())[:160] or type(err).__name__
    if isinstance(err, XmlError):
        return f"the XML inside it is damaged ({detail})"
    if isinstance(err, ZipError):
        return f"its zip container is damaged ({detail})"
    return f"its content is damaged ({detail})"


def _column(values: list[Any], dated: bool | None = None) -> pa.Array:
    """Date-time values as a timestamp column when ``dated`` (by default: when every value
    that is there is a date), else every value as text."""
    if dated is None:
        present = [v for v in values if v != "" and v is not None]
        dated = bool(present) and all(isinstance(v, dt.datetime | dt.date) for v in present)
    if dated:
        stamps = [None if v == "" or v is None else _as_datetime(v) for v in values]
        return pa.array(stamps, pa.timestamp("us"))
    return pa.array([_cell_text(v) for v in values], pa.string())


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
