"""Sheets written as one Excel workbook, safe to open and ready to read.

Every sheet has its header row (even with no rows), frozen, and columns wide enough to read.
Durations are Excel durations (days, shown as hours and minutes, ``[h]:mm``) so that they sum
and sort; a change, which may be negative and which Excel cannot show as a time, is in days
with its sign (``+1.250 d``). The exact seconds of each sit in a hidden column right after it.
Shares are percentages, times are UTC.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return), in a cell or a column name, is written as text prefixed with ``'``, by the
rule of procflow's CSV exports (:mod:`procflow.core.cells`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from procflow.core.cells import safe_text

#: What a column holds, which sets its number format.
Kind = Literal["text", "plain", "count", "number", "share", "duration", "change", "seconds",
               "time"]
#: Kinds written as days with their exact seconds in a hidden column after them.
TIMED = ("duration", "change")
#: Seconds in a day: Excel durations are days.
DAY = 86400.0
#: Each kind's number format (text and plain values: Excel's General).
FORMATS: dict[str, str] = {"count": "#,##0", "number": "0.00", "share": "0.0%",
                           "duration": "[h]:mm", "seconds": "General",
                           "change": '+#,##0.000" {d}";-#,##0.000" {d}";0" {d}"',
                           "time": "yyyy-mm-dd hh:mm"}
#: Column widths, in characters.
WIDTH_MIN, WIDTH_MAX = 8, 60


class Typed(NamedTuple):
    """A cell whose kind differs from its column's (a headline figure)."""

    value: Any
    kind: Kind


@dataclass
class Sheet:
    """One sheet: its (localized) title, headers and kinds, and rows of plain values.

    A ``duration`` or ``change`` column is followed, in the workbook, by a hidden column of
    its exact seconds, headed ``seconds`` (the header given for it); ``day`` is the unit of
    a change. ``note`` says, under the header of a sheet without rows, why it is empty."""

    title: str
    headers: list[str]
    kinds: list[Kind]
    rows: list[list[Any]] = field(default_factory=list)
    seconds: str = "seconds"
    day: str = "d"
    note: str = ""


def safe_cell(value: Any) -> Any:
    """A cell value that Excel shows as it is: lists joined, formula-like text neutralised."""
    if isinstance(value, list | tuple):
        value = " → ".join(str(v) for v in value)
    if isinstance(value, dict):
        value = str(value)
    if isinstance(value, str):
        return safe_text(value)
    if value is not None and not isinstance(value, str) and pd.isna(value):
        return None
    return value


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def frame_sheet(title: str, frame: pd.DataFrame) -> Sheet:
    """A DataFrame as a sheet: numbers as numbers, times as times, the rest as text."""
    kinds: list[Kind] = []
    for name in frame.columns:
        column = frame[name]
        kinds.append("time" if pd.api.types.is_datetime64_any_dtype(column) else
                     "text" if not pd.api.types.is_numeric_dtype(column) else "number"
                     if pd.api.types.is_float_dtype(column) else "count")
    rows = [list(row) for row in frame.itertuples(index=False)]
    return Sheet(title, [str(c) for c in frame.columns], kinds, rows)


def write_workbook(sheets: Sequence[Sheet] | Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write each sheet (or each named table) to ``path``, in order (streamed: openpyxl's
    write-only mode, so large logs write in seconds)."""
    if isinstance(sheets, Mapping):
        sheets = [frame_sheet(name, frame) for name, frame in sheets.items()]
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(book.create_sheet(sheet_name(sheet.title, taken)), sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _write_sheet(out: Any, sheet: Sheet) -> None:
    """The widths, the hidden seconds, the header (bold, frozen), then the rows with their
    formats (``{d}`` in a format: the sheet's word for days)."""
    headers: list[str] = []
    for header, kind in zip(sheet.headers, sheet.kinds, strict=True):
        headers.append(header)
        if kind in TIMED:
            headers.append(f"{header} ({sheet.seconds})")
    rows = [_cells(values, sheet.kinds) for values in sheet.rows]
    widths = [len(h) for h in headers]
    for cells in rows:
        for col, (value, kind) in enumerate(cells):
            widths[col] = max(widths[col], _shown_width(value, kind))
    hidden = {i + 1 for i, (_, kind) in enumerate(_cells([None] * len(sheet.kinds),
                                                         sheet.kinds)) if kind == "seconds"}
    for col, width in enumerate(widths, 1):  # a tenth more for bold headers and wide letters
        dimension = out.column_dimensions[get_column_letter(col)]
        dimension.width = min(WIDTH_MAX, max(WIDTH_MIN, round(width * 1.1) + 2))
        dimension.hidden = col in hidden
    out.freeze_panes = "A2"
    bold = Font(bold=True)
    out.append([_cell(out, safe_cell(h), None, bold) for h in headers])
    for cells in rows:
        out.append([_cell(out, value, FORMATS.get(kind, "").replace("{d}", sheet.day))
                    for value, kind in cells])
    if not rows and sheet.note:
        out.append([_cell(out, safe_cell(sheet.note), None, Font(italic=True))])


def _cell(out: Any, value: Any, number_format: str | None, font: Font | None = None) -> Any:
    """A write-only cell with its number format (none for empty cells) or font."""
    cell = WriteOnlyCell(out, value=value)
    if number_format and value is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _cells(values: list[Any], kinds: list[Kind]) -> list[tuple[Any, Kind]]:
    """A row's cells with their kinds: each duration as days, then its exact seconds."""
    out: list[tuple[Any, Kind]] = []
    for raw, column_kind in zip(values, kinds, strict=True):
        value, kind = (raw.value, raw.kind) if isinstance(raw, Typed) else (raw, column_kind)
        value = safe_cell(value)
        if kind == "time" and isinstance(value, pd.Timestamp | dt.datetime):
            stamp = pd.Timestamp(value)
            value = (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else
                     stamp).to_pydatetime()
        if kind in TIMED:
            out.append((None if value is None else float(value) / DAY, kind))
            out.append((value, "seconds"))
        elif column_kind in TIMED:  # a headline row that is not a duration
            out.extend([(value, kind), (None, "seconds")])
        else:
            out.append((value, kind))
    return out


def _shown_width(value: Any, kind: Kind) -> int:
    """About how many characters Excel shows for ``value``."""
    if value is None:
        return 0
    if kind == "time":
        return 17
    if kind in ("duration", "change", "share"):
        return 10
    return len(str(value))
