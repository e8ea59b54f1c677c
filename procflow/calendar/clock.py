"""Working time: the cumulative working clock in SQL, and a pure-Python reference.

``cum(t)`` is the number of working microseconds from the start of a day table up to instant
``t``, so the working time between ``a`` and ``b`` is ``cum(b) - cum(a)``. :func:`day_table`
builds the table (one row per local day, with its working periods as UTC microseconds and the
clock at the day's start) and :func:`cumulative_sql` reads the clock with one join per
timestamp column; :func:`working_us` and :func:`working_seconds` compute the same durations
day by day, for tests and small cases.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pyarrow as pa

from procflow.calendar.core import (
    DAY_US,
    EPOCH,
    EPOCH_DATE,
    MAX_PERIODS,
    Calendar,
    format_periods,
)
from procflow.errors import InputError

_US = dt.timedelta(microseconds=1)


def _epoch_us(moment: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact)."""
    return (moment - EPOCH) // _US


def period_bounds_us(cal: Calendar, day: dt.date) -> list[tuple[int, int]]:
    """The working periods of local date ``day`` as UTC microsecond intervals."""
    tz = ZoneInfo(cal.zone)
    bounds = []
    for start, end in cal.periods(day):
        lo = _epoch_us(dt.datetime.combine(day, start, tzinfo=tz))
        end_day = day + dt.timedelta(days=1) if end == dt.time(0) else day
        bounds.append((lo, _epoch_us(dt.datetime.combine(end_day, end, tzinfo=tz))))
    return bounds


def working_us(cal: Calendar, start: dt.datetime, end: dt.datetime) -> int:
    """Working microseconds between two aware instants (negative if ``end < start``)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("working time needs aware datetimes (with a zone or offset)")
    if end < start:
        return -working_us(cal, end, start)
    tz = ZoneInfo(cal.zone)
    try:
        first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    except OverflowError as err:
        raise InputError(f"{start} … {end} lies outside the dates a calendar can hold.",
                         fix="measure working time between times of the years 2–9998.") from err
    cal.check_years(first, last)
    a, b = _epoch_us(start), _epoch_us(end)
    total = 0
    for i in range((last - first).days + 1):
        for lo, hi in period_bounds_us(cal, first + dt.timedelta(days=i)):
            total += max(0, min(hi, b) - max(lo, a))
    return total


def working_seconds(cal: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working seconds between two aware instants (pure-Python reference; negative if
    ``end < start``)."""
    return working_us(cal, start, end) / 1e6


def local_day(us: int, offset_us: int) -> dt.date:
    """The local date of instant ``us`` under a fixed UTC offset (what the SQL joins on)."""
    return EPOCH_DATE + dt.timedelta(days=(us + offset_us) // DAY_US)


def covering_days(min_us: int, max_us: int, offset_us: int) -> tuple[dt.date, dt.date]:
    """The first and last day-table dates that instants from ``min_us`` to ``max_us`` join to
    (exactly the days :func:`cumulative_sql` computes; no margin is needed)."""
    return local_day(min_us, offset_us), local_day(max_us, offset_us)


def day_table(cal: Calendar, first: dt.date, last: dt.date, *, offset_us: int | None = None,
              max_periods: int = MAX_PERIODS) -> pa.Table:
    """One row per local date from ``first`` to ``last``, for :func:`cumulative_sql`.

    Columns: ``day`` (days since 1970-01-01), ``day_start_us`` (UTC µs of local midnight),
    ``p{i}_start_us``/``p{i}_end_us`` for i = 1…max_periods (UTC µs, null when absent),
    ``work_us`` (working µs of the day) and ``cum_before_us`` (working µs from the start of
    ``first`` to this day's start). Every period must lie within the day's window under the
    standard offset ``offset_us`` (default ``cal.offset_us``) — always true without daylight
    saving time; with DST, no working period may come within the DST shift of local midnight.
    """
    if last < first:
        raise ValueError(f"day table from {first} to {last}: last is before first")
    cal.check_years(first, last)
    offset = cal.offset_us if offset_us is None else offset_us
    tz = ZoneInfo(cal.zone)
    n = (last - first).days + 1
    days: list[int] = []
    starts: list[int] = []
    cols: list[list[int | None]] = [[] for _ in range(2 * max_periods)]
    work: list[int] = []
    cum: list[int] = []
    total = 0
    for i in range(n):
        day = first + dt.timedelta(days=i)
        number = (day - EPOCH_DATE).days
        bounds = period_bounds_us(cal, day)
        if len(bounds) > max_periods:
            raise InputError(f"{day} has {len(bounds)} working periods.",
                             fix=f"use at most {max_periods} periods a day.")
        window = number * DAY_US - offset
        for lo, hi in bounds:
            if lo < window or hi > window + DAY_US:
                raise InputError(
                    f"working hours {format_periods(cal.periods(day))} on {day} cross the day "
                    f"boundary of {cal.zone} at its standard offset ({offset / 3.6e9:+g} h).",
                    fix="with daylight saving time, keep working periods away from local "
                        "midnight by at least the DST shift.")
        days.append(number)
        starts.append(_epoch_us(dt.datetime.combine(day, dt.time(0), tzinfo=tz)))
        for k in range(max_periods):
            lo_hi: tuple[int | None, int | None] = bounds[k] if k < len(bounds) else (None, None)
            cols[2 * k].append(lo_hi[0])
            cols[2 * k + 1].append(lo_hi[1])
        cum.append(total)
        length = sum(hi - lo for lo, hi in bounds)
        work.append(length)
        total += length
    arrays: dict[str, pa.Array] = {"day": pa.array(days, pa.int32()),
                                   "day_start_us": pa.array(starts, pa.int64())}
    for k in range(max_periods):
        arrays[f"p{k + 1}_start_us"] = pa.array(cols[2 * k], pa.int64())
        arrays[f"p{k + 1}_end_us"] = pa.array(cols[2 * k + 1], pa.int64())
    arrays["work_us"] = pa.array(work, pa.int64())
    arrays["cum_before_us"] = pa.array(cum, pa.int64())
    return pa.table(arrays)


def local_day_sql(time_expr: str, offset_us: int) -> str:
    """SQL for the day-table key of instant ``time_expr`` (UTC µs) at a fixed offset."""
    sign = "+" if offset_us >= 0 else "-"
    return f"CAST(floor(({time_expr} {sign} {abs(offset_us)}) / {DAY_US}.0) AS BIGINT)"


def cumulative_sql(time_expr: str, table: str = "pf_calendar", *, offset_us: int,
                   alias: str | None = None, max_periods: int = MAX_PERIODS) -> tuple[str, str]:
    """``(join clause, expression)`` giving the cumulative working µs up to ``time_expr``.

    The join (a LEFT JOIN of ``table`` as ``alias``, default ``cal_<time_expr>``) finds the
    day-table row of the instant's local day; the expression is ``cum_before_us + Σ
    clamp(t - p_start, 0, p_end - p_start)`` over the day's periods, a BIGINT, NULL when the
    instant is NULL or its day is not in the table. Because the periods are in order and
    filled from ``p1``, it is written as a CASE on the last period started (no NULL handling
    and one clamp per row, faster than summing every clamp). Use one join per timestamp
    column (distinct aliases); working time between ``a`` and ``b`` is ``cum(b) - cum(a)``.
    Portable SQL (DuckDB and, via ``to_spark_sql``, Spark).
    """
    a = alias or "cal_" + (re.sub(r"\W+", "_", time_expr).strip("_") or "t")
    join = f"LEFT JOIN {table} {a} ON {a}.day = {local_day_sql(time_expr, offset_us)}"
    start = [f"{a}.p{k}_start_us" for k in range(1, max_periods + 1)]
    length = [f"({a}.p{k}_end_us - {a}.p{k}_start_us)" for k in range(1, max_periods + 1)]
    branches = []
    for k in reversed(range(max_periods)):
        before = "".join(f" + {length[i]}" for i in range(k))
        branches.append(f"WHEN {time_expr} >= {start[k]} THEN {a}.cum_before_us{before} + "
                        f"least({time_expr} - {start[k]}, {length[k]})")
    return join, f"(CASE {' '.join(branches)} ELSE {a}.cum_before_us END)"
