"""Excel (.xlsx) reader: the first sheet (or a named one), header in the first row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import CalamineWorkbook

from procflow.errors import FormatError
from procflow.ingest.schema import ROW


def read_xlsx(path: Path, *, sheet: str | None = None) -> pa.Table:
    """Read a sheet into a table: date-time columns typed, every other cell as text."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise FormatError(
                f"no sheet named {sheet!r}; sheets: {', '.join(names)}.",
                source=str(path),
                fix="pass --sheet with one of those names.",
            )
        rows = book.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=True)
    except FormatError:
        raise
    except Exception as err:  # calamine raises its own types for corrupt workbooks
        raise FormatError(f"not a readable Excel workbook ({err}).", source=str(path)) from err
    if len(rows) < 2:
        raise FormatError("the sheet has no data rows.", source=str(path))
    header = [_cell_text(h).strip() or f"column_{i}" for i, h in enumerate(rows[0], start=1)]
    columns = {name: _column([r[i] if i < len(r) else "" for r in rows[1:]])
               for i, name in enumerate(header)}
    columns[ROW] = pa.array(range(1, len(rows)), pa.int64())
    return pa.table(columns)


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
