"""The analyst's override file, and :func:`load_calendar`, which applies it to a base calendar.

An override CSV (``date,action,hours,note``; ``,`` or ``;`` separated, ``#`` lines ignored)
lists dates, date ranges or weekdays with an action: ``holiday``/``libur``,
``workday``/``kerja`` or ``hours``/``jam``. Each row is checked field by field; a problem
becomes an :class:`~procflow.errors.InputError` naming the file and row. Weekday rows change
the standard week first, then date rows apply in file order (docs/calendar.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from procflow.calendar.core import (
    DAY_NAMES,
    MAX_PERIODS,
    Calendar,
    Periods,
    indonesian_calendar,
    period_problem,
)
from procflow.errors import InputError
from procflow.ingest.timerules import WEEKDAYS

ACTIONS = {"holiday": "holiday", "libur": "holiday", "workday": "workday", "kerja": "workday",
           "hours": "hours", "jam": "hours"}
COLUMNS = ("date", "action", "hours", "note")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = r"(\d{1,2})[:.](\d{2})"
_SPAN = re.compile(rf"^{_CLOCK}-{_CLOCK}$")
MAX_RANGE_DAYS = 731


@dataclass(frozen=True)
class _Row:
    """One parsed override row: dates (or a weekday), action, periods, note, where."""

    line: int
    dates: tuple[dt.date, ...]
    weekday: int | None
    action: str
    periods: Periods | None
    note: str
    is_range: bool


class _RowError(Exception):
    """A problem in one field of one row; becomes an InputError naming the row."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message = message
        self.fix = fix


def parse_hours(text: str) -> Periods:
    """``"08:00-12:00 13:00-15:30"`` → periods (``.`` may separate hours and minutes, periods
    are separated by spaces, ``,``, ``;`` or ``+``; ``24:00`` ends at midnight)."""
    periods = []
    for span in re.split(r"[\s;+,]+", re.sub(r"\s*[-–—]\s*", "-", text.strip())):
        if not span:
            continue
        match = _SPAN.match(span)
        if not match:
            raise _RowError(f"hours {text!r} cannot be read ({span!r} is not a period).",
                            "write periods as HH:MM-HH:MM separated by spaces, "
                            "e.g. 08:00-12:00 13:00-15:30.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise _RowError(f"hours {text!r}: {span!r} is not a time of day.",
                            "use times from 00:00 to 24:00.")
        periods.append((dt.time(h1, m1), dt.time(h2 % 24, m2)))
    if not periods:
        raise _RowError("hours are empty.", "write the working periods, e.g. 08:00-15:00.")
    result = tuple(periods)
    problem = period_problem(result)
    if problem:
        raise _RowError(f"hours {text!r}: {problem}.",
                        "write the periods in order without overlap, each start before its "
                        f"end, at most {MAX_PERIODS}, e.g. 08:00-12:00 13:00-15:30.")
    return result


def _parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` → date, or a _RowError saying how to write it."""
    if not _DATE.match(text):
        raise _RowError(f"date {text!r} is not a date written YYYY-MM-DD.",
                        "write dates as YYYY-MM-DD (e.g. 2025-03-31), ranges as "
                        "2025-03-01..2025-03-30, or a weekday name (e.g. friday or jumat).")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise _RowError(f"date {text!r} does not exist.",
                        "check the day and month (YYYY-MM-DD).") from err


def _parse_when(text: str) -> tuple[tuple[dt.date, ...], int | None, bool]:
    """The date field: (dates, weekday, is_range); exactly one of dates/weekday is set."""
    text = text.strip()
    if text.lower() in WEEKDAYS:
        return (), WEEKDAYS[text.lower()], False
    if ".." in text:
        first_text, last_text = (p.strip() for p in text.split("..", 1))
        first, last = _parse_date(first_text), _parse_date(last_text)
        if last < first:
            raise _RowError(f"range {text!r} ends before it starts.",
                            "write the earlier date first: FIRST..LAST.")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise _RowError(f"range {text!r} spans {(last - first).days + 1} days.",
                            f"ranges are limited to {MAX_RANGE_DAYS} days; check the years.")
        n = (last - first).days + 1
        return tuple(first + dt.timedelta(days=i) for i in range(n)), None, True
    return (_parse_date(text),), None, False


def _parse_row(cells: dict[str, str], line: int) -> _Row:
    """One data row of the override file."""
    when = cells.get("date", "").strip()
    if not when:
        raise _RowError("the date is empty.", "give a date (YYYY-MM-DD), a range "
                        "(FIRST..LAST) or a weekday name.")
    dates, weekday, is_range = _parse_when(when)
    action_text = cells.get("action", "").strip().lower()
    if action_text not in ACTIONS:
        raise _RowError(f"action {cells.get('action', '')!r} is not one of holiday, workday or "
                        "hours.", "write holiday (a day off), workday (a working day) or hours "
                        "(special working hours).")
    action = ACTIONS[action_text]
    hours_text = cells.get("hours", "").strip()
    periods = parse_hours(hours_text) if hours_text else None
    if action == "holiday" and periods is not None:
        raise _RowError(f"a holiday has no working hours but the row gives {hours_text!r}.",
                        "leave hours empty for a holiday, or use action hours.")
    if action == "hours" and periods is None:
        raise _RowError("action hours needs the hours column.",
                        "write the working periods, e.g. 08:00-15:00 or "
                        "08:00-12:00 13:00-15:30.")
    if weekday is not None and action == "workday" and periods is None:
        raise _RowError(f"making {DAY_NAMES[weekday]} a working weekday needs hours.",
                        "write the weekday's working periods in the hours column.")
    return _Row(line, dates, weekday, action, periods, cells.get("note", "").strip(), is_range)


def _read_rows(path: Path) -> Iterator[_Row]:
    """Parsed data rows of an override CSV (``,`` or ``;`` separated; ``#`` lines ignored)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError("the calendar override file is not UTF-8 text.", source=str(path),
                         fix="save it as 'CSV UTF-8' with columns date,action,hours,note.") from err
    lines = [ln if not ln.lstrip().startswith("#") else "" for ln in text.splitlines()]
    header_line = next((ln for ln in lines if ln.strip()), "")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header: list[str] | None = None
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            unknown = [c for c in header if c not in COLUMNS]
            if unknown or "date" not in header or "action" not in header:
                raise InputError(
                    f"the first row must name the columns, found {','.join(cells)!r}.",
                    source=f"{path}, row {reader.line_num}",
                    fix="start the file with the header row date,action,hours,note.")
            continue
        where = f"{path}, row {reader.line_num}"
        if len(cells) > len(header):
            raise InputError(f"{len(cells)} fields for {len(header)} columns.", source=where,
                             fix="quote hours or notes that contain the separator "
                                 f"{delimiter!r}, or remove the extra fields.")
        try:
            yield _parse_row(dict(zip(header, cells, strict=False)), reader.line_num)
        except _RowError as err:
            raise InputError(err.message, source=where, fix=err.fix) from None
    if header is None:
        raise InputError("the calendar override file is empty.", source=str(path),
                         fix="start it with the header row date,action,hours,note.")


def apply_overrides(base: Calendar, path: Path) -> Calendar:
    """``base`` with the override file at ``path`` applied.

    Weekday rows (``friday,hours,…``) change the standard week and apply first. Date rows
    apply in file order, later rows winning: ``holiday`` makes dates days off; ``workday``
    makes them working with the given hours or their weekday's (removing a holiday);
    ``hours`` sets the working periods of dates that are working days (a range skips holidays
    and rest days; a single date that is not a working day is an error).
    """
    rows = list(_read_rows(path))
    week = dict(base.week)
    for row in rows:
        if row.weekday is None:
            continue
        if row.action == "holiday":
            week.pop(row.weekday, None)
        elif row.periods is not None:
            week[row.weekday] = row.periods
    holidays = dict(base.holidays)
    special = dict(base.special)
    for row in rows:
        where = f"{path}, row {row.line}"
        for day in row.dates:
            if row.action == "holiday":
                holidays[day] = row.note or "holiday (override file)"
                special.pop(day, None)
            elif row.action == "workday":
                periods = row.periods or week.get(day.weekday(), ())
                if not periods:
                    raise InputError(
                        f"{day} is a {DAY_NAMES[day.weekday()]}, which has no standard hours.",
                        source=where, fix="give the working hours in the hours column, "
                                          "e.g. 07:30-12:00 13:00-16:00.")
                holidays.pop(day, None)
                special[day] = periods
            else:
                working = day not in holidays and bool(special.get(day, week.get(
                    day.weekday(), ())))
                if working and row.periods is not None:
                    special[day] = row.periods
                elif not row.is_range:
                    why = (f"a holiday ({holidays[day]})" if day in holidays
                           else f"a {DAY_NAMES[day.weekday()]}, not a working day")
                    raise InputError(f"{day} is {why}; special hours apply to working days.",
                                     source=where,
                                     fix="use action workday with these hours to make it a "
                                         "working day, or remove the row.")
    return Calendar(zone=base.zone, week=week, holidays=holidays, special=special,
                    name=f"{base.name}+{path.name}", years=base.years)


BASES = {"id": False, "id-5": False, "id-sat": True, "id-6": True}


def load_calendar(spec: str, *, zone: str | None = None, years: Iterable[int]) -> Calendar:
    """The calendar named by ``spec``: ``id`` (five-day week), ``id-sat`` (six-day week), or a
    path to an override CSV applied on top of ``id``, in ``zone`` (default Asia/Jakarta)."""
    years = list(years)
    key = spec.strip().lower()
    if key in BASES:
        return indonesian_calendar(zone or "Asia/Jakarta", years=years, saturday=BASES[key])
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"calendar {spec!r} is neither a built-in calendar nor a file.",
                         fix="give 'id' (Monday–Friday), 'id-sat' (Monday–Saturday) or the "
                             "path of an override CSV (date,action,hours,note).")
    base = indonesian_calendar(zone or "Asia/Jakarta", years=years)
    return apply_overrides(base, path)
