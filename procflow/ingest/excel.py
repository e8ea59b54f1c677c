"""Excel (.xlsx) reader: the first sheet (or a named one), header in the first row.

The zip container is checked first (:func:`~procflow.ingest.zipcheck.check_zip`: member count,
declared and actual inflated sizes, ratios), so a workbook bomb is refused before the workbook
reader inflates anything.
"""

from __future__ import annotations

import datetime as dt
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
    rows = _sheet_rows(path, sheet, limits)
    header = unique_names([_cell_text(h) for h in rows[0]]) if rows else []
    columns = {name: _column([r[i] if i < len(r) else "" for r in rows[1:]])
               for i, name in enumerate(header)}
    columns[ROW] = pa.array(range(1, max(len(rows), 1)), pa.int64())
    return pa.table(columns)


def _sheet_rows(path: Path, sheet: str | None, limits: Limits | None) -> list[list[Any]]:
    try:
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
        rows: list[list[Any]] = found.to_python(skip_empty_area=True)
    except InputError:
        raise
    except PasswordError:
        raise FormatError("the workbook is encrypted (password-protected).", source=str(path),
                          fix="save it again in Excel without a password.",
                          code="encrypted") from None
    except Exception as err:  # calamine raises its own types for corrupt workbooks
        raise FormatError(f"not a readable Excel workbook: {_describe(err)}.",
                          source=str(path), fix=_FIX, code="bad_workbook") from None
    return rows


def _describe(err: Exception) -> str:
    """calamine's failure in words, its own text kept short in brackets."""
    detail = " ".join(str(err).split())[:160] or type(err).__name__
    if isinstance(err, XmlError):
        return f"the XML inside it is damaged ({detail})"
    if isinstance(err, ZipError):
        return f"its zip container is damaged ({detail})"
    return f"its content is damaged ({detail})"


def _column(values: list[Any]) -> pa.Array:
    present = [v for v in values if v != "" and v is not None]
    if present and all(isinstance(v, dt.datetime | dt.date) for v in present):
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
