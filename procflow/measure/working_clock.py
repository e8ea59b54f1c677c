"""The working clock of a computation: a calendar's day table registered as ``pf_calendar``.

Every working duration in the metric SQL is a difference of two readings of this clock
(METRICS §10); :mod:`procflow.calendar` builds the table and the SQL of one reading.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from procflow.calendar import (
    BASES,
    DAY_US,
    EPOCH,
    MAX_PERIODS,
    Calendar,
    covering_days,
    day_table,
    holiday_years,
    load_calendar,
    standard_offset_us,
    zone_name,
)
from procflow.errors import InputError
from procflow.ingest.instances import LifecycleMode
from procflow.measure.backends import Backend


@dataclass(frozen=True)
class Clock:
    """The working calendar of a computation, registered as ``pf_calendar`` for the days
    ``first`` … ``last`` (local dates at the zone's standard offset ``offset_us``)."""

    calendar: Calendar
    offset_us: int
    first: dt.date
    last: dt.date
    max_periods: int = MAX_PERIODS
    starts: bool = True

    @property
    def day_seconds(self) -> float:
        return self.calendar.day_seconds

    def settings(self) -> dict[str, Any]:
        """How ``settings.calendar`` in analysis.json describes the calendar."""
        holidays = sum(1 for d in self.calendar.holidays if self.first <= d <= self.last)
        return {"name": self.calendar.name, "zone": self.calendar.zone,
                "day_seconds": self.day_seconds, "holidays": holidays,
                "first_day": self.first.isoformat(), "last_day": self.last.isoformat()}


def load_clock(backend: Backend, spec: str | Calendar | None, zone: str | None,
               log: dict[str, Any], mode: LifecycleMode) -> Clock | None:
    """Load the calendar ``spec`` (in ``zone``) for the days the log covers and register its
    day table as ``pf_calendar`` (None without a calendar or without events). Times outside
    the years the calendar covers are an InputError naming the field and those years."""
    if spec is None or log["end_us"] is None:
        return None
    spans = {r["field"]: (int(r["lo"]), int(r["hi"])) for r in backend.rows(SPANS)
             if r["lo"] is not None}
    low = spans["start_timestamp"][0] if "start_timestamp" in spans else None
    min_us = min(int(log["start_us"]), low if low is not None else int(log["start_us"]))
    starts = low is not None or mode == "standard"  # start times: a column or start rows
    max_us = int(log["end_us"])
    builtin = None
    if isinstance(spec, Calendar):
        cal = spec
        check_span(spans, cal.year_range, cal.offset_us, cal.name)
    else:
        first_year, last_year = holiday_years()
        # Local days lie within a day of the UTC dates, so these years cover them.
        years = tuple(range(max(first_year, _utc_year(min_us - DAY_US)),
                            min(last_year, _utc_year(max_us + DAY_US)) + 1))
        name = zone_name(zone or "Asia/Jakarta")
        check_span(spans, (first_year, last_year),
                   standard_offset_us(name, years[-1] if years else last_year),
                   spec.strip(), holidays=True)
        if spec.strip().lower() in BASES:
            builtin = (spec.strip().lower(), name, years)
            cal = _builtin_calendar(*builtin)
        else:
            cal = load_calendar(spec, zone=zone, years=years)
    offset = cal.offset_us
    first, last = covering_days(min_us, max_us, offset)
    if builtin is not None:
        periods, table = _builtin_day_table(*builtin, first, last)
    else:
        periods, table = _day_table(cal, first, last)
    backend.register("pf_calendar", table)
    return Clock(cal, offset, first, last, periods, starts)


#: The earliest and latest instant (UTC µs) of each time field of ``pf_events``.
SPANS = " UNION ALL ".join(
    f"SELECT '{f}' AS field, min(epoch_us({f})) AS lo, max(epoch_us({f})) AS hi FROM pf_events"
    for f in ("timestamp", "start_timestamp"))


def check_span(spans: dict[str, tuple[int, int]], years: tuple[int, int], offset_us: int,
               name: str, *, holidays: bool = False) -> None:
    """InputError unless every instant of each field in ``spans`` ({field: (earliest,
    latest)} in UTC µs) falls on a local day (at ``offset_us``) of the years ``years`` covers
    (first, last), which calendar ``name`` can measure working time in."""
    first, last = years
    lo = (dt.date(first, 1, 1) - EPOCH.date()).days * DAY_US - offset_us
    hi = ((dt.date(last, 12, 31) - EPOCH.date()).days + 1) * DAY_US - offset_us
    for field, (earliest, latest) in spans.items():
        if lo <= earliest and latest < hi:
            continue
        why = (": the national holidays are known for those years only" if holidays else "")
        raise InputError(
            f"{field} has times from {_show(earliest)} to {_show(latest)} (UTC), outside the "
            f"years the working calendar {name!r} covers ({first}–{last}{why}).",
            fix=f"correct the times outside {first}–{last} in the source file and import it "
                "again (or leave those cases out), or measure without a working calendar "
                "(calendar time only).")


def _utc_year(us: int) -> int:
    """The UTC year of instant ``us``, or a year just outside 1–9999 beyond them."""
    try:
        return (EPOCH + dt.timedelta(microseconds=us)).year
    except OverflowError:
        return dt.MINYEAR - 1 if us < 0 else dt.MAXYEAR + 1


def _show(us: int) -> str:
    """Instant ``us`` as ``YYYY-MM-DD HH:MM`` (UTC), or its year beyond 1–9999."""
    try:
        return (EPOCH + dt.timedelta(microseconds=us)).replace(tzinfo=None).isoformat(
            sep=" ", timespec="minutes")
    except OverflowError:
        return "before the year 1" if us < 0 else "after the year 9999"


def _day_table(cal: Calendar, first: dt.date, last: dt.date) -> tuple[int, pa.Table]:
    """The day table of ``cal`` with as many period columns as its busiest day needs: the
    clock's SQL has one branch per period (two for ``id``), which keeps the join cheap."""
    periods = max(1, max(len(cal.periods(first + dt.timedelta(days=i)))
                         for i in range((last - first).days + 1)))
    return periods, day_table(cal, first, last, offset_us=cal.offset_us, max_periods=periods)


# The built-in calendars depend only on their arguments (the holidays package's data), so a
# process that analyses many logs (the web app, a benchmark) builds each once.
@functools.lru_cache(maxsize=16)
def _builtin_calendar(spec: str, zone: str, years: tuple[int, ...]) -> Calendar:
    return load_calendar(spec, zone=zone, years=years)


@functools.lru_cache(maxsize=16)
def _builtin_day_table(spec: str, zone: str, years: tuple[int, ...], first: dt.date,
                       last: dt.date) -> tuple[int, pa.Table]:
    return _day_table(_builtin_calendar(spec, zone, years), first, last)
