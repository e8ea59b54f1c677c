"""Working calendars: which local dates are working days and which hours of them are worked.

A :class:`Calendar` holds, in one IANA zone, the working periods of each weekday, the holidays
and the dates with their own periods. :func:`indonesian_calendar` builds the government
calendar (the five- or six-day week, national holidays and *cuti bersama* from the
``holidays`` package). Periods are validated here (:func:`period_problem`) and written as the
override file writes them (:func:`format_periods`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procflow.errors import InputError

Period = tuple[dt.time, dt.time]
Periods = tuple[Period, ...]

DAY_US = 86_400_000_000
#: Most working periods a day may have (``p1`` … ``p4`` in the day table).
MAX_PERIODS = 4
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EPOCH_DATE = dt.date(1970, 1, 1)
_US = dt.timedelta(microseconds=1)

#: Indonesian zone abbreviations accepted wherever a zone is asked for.
ZONE_ALIASES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _t(text: str) -> dt.time:
    """``"07:30"`` → ``dt.time(7, 30)``."""
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))


def _periods(*spans: str) -> Periods:
    """``"07:30-12:00"`` … → periods."""
    return tuple((_t(s.split("-")[0]), _t(s.split("-")[1])) for s in spans)


#: Five-day week of central and regional government (Keppres 68/1995, Perpres 21/2023):
#: 37.5 hours, 7.5 working hours a day. Lunch break 12:00–13:00 Monday–Thursday, Friday
#: prayers 11:30–13:00.
FIVE_DAY_WEEK: Mapping[int, Periods] = MappingProxyType({
    **{d: _periods("07:30-12:00", "13:00-16:00") for d in range(4)},
    4: _periods("07:30-11:30", "13:00-16:30"),
})
#: Six-day week (Keppres 68/1995): Monday–Thursday 07:00–14:00, Friday 07:00–11:00,
#: Saturday 07:00–12:30; also 37.5 hours, no breaks.
SIX_DAY_WEEK: Mapping[int, Periods] = MappingProxyType({
    **{d: _periods("07:00-14:00") for d in range(4)},
    4: _periods("07:00-11:00"),
    5: _periods("07:00-12:30"),
})


def _seconds(t: dt.time) -> float:
    """Seconds after midnight of a clock time."""
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def _end_seconds(t: dt.time) -> float:
    """Seconds after midnight of a period end (``00:00`` is the end of the day, 24:00)."""
    return 86400.0 if t == dt.time(0) else _seconds(t)


def _fmt(t: dt.time, end: bool = False) -> str:
    """``dt.time`` as ``HH:MM`` (``24:00`` for an end at midnight)."""
    if end and t == dt.time(0):
        return "24:00"
    return t.strftime("%H:%M:%S" if t.second or t.microsecond else "%H:%M")


def format_periods(periods: Periods) -> str:
    """Periods as the override file writes them: ``"07:30-12:00 13:00-16:00"``."""
    return " ".join(f"{_fmt(s)}-{_fmt(e, end=True)}" for s, e in periods)


def period_problem(periods: Periods) -> str | None:
    """Why ``periods`` are not a valid working day (``None`` if they are): each starts
    before it ends, they are in order without overlap, and there are at most MAX_PERIODS."""
    if len(periods) > MAX_PERIODS:
        return f"{len(periods)} working periods; at most {MAX_PERIODS} are allowed"
    previous_end = -1.0
    for start, end in periods:
        if start.tzinfo is not None or end.tzinfo is not None:
            return "working periods are local clock times and must not carry a zone"
        s, e = _seconds(start), _end_seconds(end)
        if s >= e:
            return f"period {format_periods(((start, end),))} does not start before it ends"
        if s < previous_end:
            return (f"period {format_periods(((start, end),))} starts before the previous "
                    "one ends (periods must be in order and must not overlap)")
        previous_end = e
    return None


def holiday_years() -> tuple[int, int]:
    """The first and last year whose Indonesian national holidays the ``holidays`` package
    knows: the years the built-in calendars can measure working time in."""
    from holidays.countries import Indonesia

    return int(Indonesia.start_year), int(Indonesia.end_year)


def standard_offset_us(zone: str, year: int = 2025) -> int:
    """The standard UTC offset (without daylight saving time) of IANA zone ``zone`` on
    1 January of ``year``, in microseconds."""
    moment = dt.datetime(year, 1, 1, 12, tzinfo=ZoneInfo(zone))
    offset = (moment.utcoffset() or dt.timedelta(0)) - (moment.dst() or dt.timedelta(0))
    return offset // _US


def zone_name(zone: str) -> str:
    """The IANA name of ``zone`` (``WIB``/``WITA``/``WIT`` accepted); InputError if unknown."""
    name = ZONE_ALIASES.get(zone.strip().upper(), zone.strip())
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InputError(f"unknown time zone {zone!r}.",
                         fix="give an IANA zone name such as Asia/Jakarta (WIB), "
                             "Asia/Makassar (WITA) or Asia/Jayapura (WIT).") from err
    return name


@dataclass(frozen=True)
class Calendar:
    """Working days and hours in a local zone.

    ``week`` maps weekday (0 = Monday … 6 = Sunday) to its working periods (a missing weekday
    is a day off); ``holidays`` maps non-working dates to their names; ``special`` maps dates
    with their own periods (an empty tuple is a day off). ``years`` are the years whose
    national holidays were loaded: :func:`day_table` and :func:`working_seconds` refuse dates
    outside them, so a missing year can never silently count holidays as working days (empty:
    no check, for hand-made calendars).
    """

    zone: str
    week: Mapping[int, Periods]
    holidays: Mapping[dt.date, str]
    special: Mapping[dt.date, Periods]
    name: str = "id"
    years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        name = zone_name(self.zone)
        if self.zone != name:
            raise InputError(f"calendar zone {self.zone!r} is not an IANA zone name.",
                             fix=f"use {name!r}.")
        for weekday, periods in self.week.items():
            if weekday not in range(7):
                raise InputError(f"calendar week has weekday {weekday!r}.",
                                 fix="number weekdays 0 (Monday) to 6 (Sunday).")
            problem = period_problem(periods)
            if problem:
                raise InputError(f"{DAY_NAMES[weekday]}: {problem}.",
                                 fix="write working periods in order, e.g. 07:30-12:00 "
                                     "13:00-16:00.")
        for day, periods in self.special.items():
            problem = period_problem(periods)
            if problem:
                raise InputError(f"{day}: {problem}.",
                                 fix="write working periods in order, e.g. 08:00-15:00.")
        object.__setattr__(self, "week", MappingProxyType(dict(self.week)))
        object.__setattr__(self, "holidays", MappingProxyType(dict(self.holidays)))
        object.__setattr__(self, "special", MappingProxyType(dict(self.special)))
        object.__setattr__(self, "years", frozenset(self.years))

    def periods(self, day: dt.date) -> Periods:
        """Working periods of local date ``day``: none on a holiday, else the date's special
        periods, else its weekday's."""
        if day in self.holidays:
            return ()
        if day in self.special:
            return self.special[day]
        return self.week.get(day.weekday(), ())

    def is_working_day(self, day: dt.date) -> bool:
        """Whether local date ``day`` has any working time."""
        return bool(self.periods(day))

    @property
    def day_seconds(self) -> float:
        """Length of one *working day* in seconds: the working hours of a standard week divided
        by its number of working weekdays (five-day week 37.5 h / 5 = 27 000 s; six-day week
        37.5 h / 6 = 22 500 s), so a full standard week is exactly as many working days as it
        has working weekdays. Holidays and special hours do not change it."""
        days = [p for p in self.week.values() if p]
        if not days:
            raise InputError(f"calendar {self.name!r} has no working weekday.",
                             fix="give at least one weekday working hours.")
        total = sum(_end_seconds(e) - _seconds(s) for periods in days for s, e in periods)
        return total / len(days)

    @property
    def offset_us(self) -> int:
        """The zone's standard UTC offset in microseconds (without daylight saving time), as
        on 1 January of the latest loaded year (2025 if none); what :func:`cumulative_sql`
        and :func:`covering_days` need."""
        return standard_offset_us(self.zone, max(self.years) if self.years else 2025)

    @property
    def year_range(self) -> tuple[int, int]:
        """The first and last year this calendar can measure working time in: its loaded
        years, or (without any) every year a date can have but the first and the last."""
        if self.years:
            return min(self.years), max(self.years)
        return dt.MINYEAR + 1, dt.MAXYEAR - 1

    def check_years(self, first: dt.date, last: dt.date) -> None:
        """InputError unless the holidays of every year from ``first`` to ``last`` are loaded
        (no check when ``years`` is empty)."""
        if not self.years:
            return
        missing = [y for y in range(first.year, last.year + 1) if y not in self.years]
        if missing:
            loaded = f"{min(self.years)}–{max(self.years)}"
            raise InputError(
                f"calendar {self.name!r} has no holidays for {', '.join(map(str, missing))} "
                f"(loaded: {loaded}); working time there would count holidays as working days.",
                fix="load the calendar with years covering the whole log "
                    "(years=range(first.year, last.year + 1) from covering_days).")


def rest_weekdays(cal: Calendar) -> tuple[int, ...]:
    """Weekdays without working hours in ``cal.week`` (5, 6 = Saturday, Sunday by default)."""
    return tuple(d for d in range(7) if not cal.week.get(d))


def indonesian_calendar(zone: str = "Asia/Jakarta", *, years: Iterable[int] | None = None,
                        saturday: bool = False, language: str = "id") -> Calendar:
    """The Indonesian government calendar in ``zone``: the five-day week (or the six-day week
    with ``saturday=True``), national holidays and cuti bersama of ``years`` (default
    2000 to next year) from the ``holidays`` package, names in ``language`` (``id``/``en_US``).
    """
    import holidays as holidays_package

    name = zone_name(zone)
    wanted = sorted(set(years)) if years is not None else list(
        range(2000, dt.date.today().year + 2))
    if not wanted:
        raise InputError("no years given for the national holidays.",
                         fix="pass the years the log covers, e.g. years=[2024, 2025].")
    first, last = holiday_years()
    outside = [y for y in wanted if not first <= y <= last]
    if outside:
        raise InputError(
            f"the Indonesian national holidays are known for {first}–{last} only, not for "
            f"{', '.join(map(str, outside[:5]))}; working time there would count holidays as "
            "working days.", fix=f"measure working time within {first}–{last}.")
    found = holidays_package.country_holidays(
        "ID", years=wanted, categories=("public", "government"), language=language)
    return Calendar(zone=name, week=SIX_DAY_WEEK if saturday else FIVE_DAY_WEEK,
                    holidays={d: str(n) for d, n in sorted(found.items())}, special={},
                    name="id-sat" if saturday else "id", years=frozenset(wanted))


def non_working_days(cal: Calendar, year: int) -> list[tuple[dt.date, str]]:
    """Non-working dates of ``year`` other than the weekly rest days: national holidays, cuti
    bersama and override-file holidays with their names (also when they fall on a weekend),
    and dates the override file turned into days off. Weekly rest days (see
    :func:`rest_weekdays`) are left out."""
    cal.check_years(dt.date(year, 1, 1), dt.date(year, 12, 31))
    found = {d: n for d, n in cal.holidays.items() if d.year == year}
    for day, periods in cal.special.items():
        if day.year == year and not periods and day not in found:
            found[day] = "day off (override file)"
    return sorted(found.items())
