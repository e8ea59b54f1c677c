"""Working calendars and working-time durations (METRICS.md §10, DOMAIN.md "Working time").

A :class:`Calendar` says which local dates are working days and which local time periods of
those days are working time, in one IANA zone. :func:`indonesian_calendar` builds the default
government calendar (national holidays and *cuti bersama* from the ``holidays`` package);
:func:`load_calendar` applies an analyst's override file on top of it.

Working time is measured with a *cumulative working clock*: ``cum(t)`` is the number of working
microseconds from the start of a day table up to instant ``t``, so the working time between
``a`` and ``b`` is ``cum(b) - cum(a)`` and every working duration is a difference of two
clock readings. :func:`day_table` and :func:`cumulative_sql` give the clock in SQL (one join per
timestamp column, vectorised); :func:`working_seconds` is the pure-Python reference.

Rules of precedence for a local date ``d`` (see :meth:`Calendar.periods`): a holiday is off;
otherwise ``special[d]`` if present (an empty tuple is a day off); otherwise the weekday's
periods in ``week``. A period ending at ``00:00`` ends at midnight at the end of the day (24:00).

Engine recipe (one join per timestamp column; instants are UTC µs)::

    off = cal.offset_us
    first, last = covering_days(min_us, max_us, off)      # over ts_us and start_us
    cal = load_calendar(spec, zone=zone, years=range(first.year, last.year + 1))
    register day_table(cal, first, last) as pf_calendar
    j1, w_ts = cumulative_sql("i.ts_us", offset_us=off, alias="cal_ts")
    j2, w_start = cumulative_sql("i.start_us", offset_us=off, alias="cal_start")
    SELECT i.*, {w_ts} AS w_ts, {w_start} AS w_start FROM pf_inst i {j1} {j2}

then elapsed = w_ts − lag(w_ts), wait = greatest(0, w_start − lag(w_ts)), processing =
w_ts − w_start, cycle = max(w_ts) − min(coalesce(w_start, w_ts)), all in µs. Pausing the
clock for some activities subtracts their (clock-difference) intervals the same way. An
instant whose local day is not in the table gives NULL, never a wrong number.

Modules: :mod:`~procflow.calendar.core` (the :class:`Calendar`, its periods and the
Indonesian government calendar), :mod:`~procflow.calendar.overrides` (the override file and
:func:`load_calendar`) and :mod:`~procflow.calendar.clock` (working time: the day table and SQL
clock, and the pure-Python reference). Import from ``procflow.calendar``, which re-exports
them.
"""

from procflow.calendar.clock import (
    covering_days,
    cumulative_sql,
    day_table,
    local_day,
    local_day_sql,
    period_bounds_us,
    working_seconds,
    working_us,
)
from procflow.calendar.core import (
    DAY_NAMES,
    DAY_US,
    EPOCH,
    EPOCH_DATE,
    FIVE_DAY_WEEK,
    MAX_PERIODS,
    SIX_DAY_WEEK,
    ZONE_ALIASES,
    Calendar,
    Period,
    Periods,
    format_periods,
    holiday_years,
    indonesian_calendar,
    non_working_days,
    period_problem,
    rest_weekdays,
    standard_offset_us,
    zone_name,
)
from procflow.calendar.overrides import (
    ACTIONS,
    BASES,
    COLUMNS,
    MAX_RANGE_DAYS,
    apply_overrides,
    load_calendar,
    parse_hours,
)

__all__ = [
    "ACTIONS",
    "BASES",
    "COLUMNS",
    "DAY_NAMES",
    "DAY_US",
    "EPOCH",
    "EPOCH_DATE",
    "FIVE_DAY_WEEK",
    "MAX_PERIODS",
    "MAX_RANGE_DAYS",
    "SIX_DAY_WEEK",
    "ZONE_ALIASES",
    "Calendar",
    "Period",
    "Periods",
    "apply_overrides",
    "covering_days",
    "cumulative_sql",
    "day_table",
    "format_periods",
    "holiday_years",
    "indonesian_calendar",
    "load_calendar",
    "local_day",
    "local_day_sql",
    "non_working_days",
    "parse_hours",
    "period_bounds_us",
    "period_problem",
    "rest_weekdays",
    "standard_offset_us",
    "working_seconds",
    "working_us",
    "zone_name",
]
