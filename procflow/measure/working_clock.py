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
    load_calendar,
    zone_name,
)
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
    day table as ``pf_calendar`` (None without a calendar or without events)."""
    if spec is None or log["end_us"] is None:
        return None
    low = backend.rows("SELECT min(epoch_us(start_timestamp)) AS s FROM pf_events")[0]["s"]
    min_us = min(int(log["start_us"]), int(low) if low is not None else int(log["start_us"]))
    starts = low is not None or mode == "standard"  # start times: a column or start rows
    max_us = int(log["end_us"])
    builtin = None
    if isinstance(spec, Calendar):
        cal = spec
    else:
        # Local days lie within a day of the UTC dates, so these years cover them.
        years = tuple(range((EPOCH + dt.timedelta(microseconds=min_us - DAY_US)).year,
                            (EPOCH + dt.timedelta(microseconds=max_us + DAY_US)).year + 1))
        if spec.strip().lower() in BASES:
            builtin = (spec.strip().lower(), zone_name(zone or "Asia/Jakarta"), years)
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
