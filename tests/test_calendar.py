"""Working calendars and working time (METRICS.md §10): exact values worked out by hand,
override files and their errors, and the SQL clock (DuckDB, Spark) against the reference."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procflow.calendar import (
    DAY_US,
    FIVE_DAY_WEEK,
    MAX_PERIODS,
    Calendar,
    covering_days,
    cumulative_sql,
    day_table,
    format_periods,
    indonesian_calendar,
    load_calendar,
    local_day,
    non_working_days,
    parse_hours,
    rest_weekdays,
    working_seconds,
    working_us,
)
from procflow.errors import InputError
from procflow.measure.backends import to_spark_sql

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")
UTC = dt.UTC
H = 3600.0
YEARS = (2024, 2025, 2026)
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

ID = indonesian_calendar(years=YEARS)
ID_WITA = indonesian_calendar("Asia/Makassar", years=YEARS)
ID_WIT = indonesian_calendar("WIT", years=YEARS)
ID_SAT = indonesian_calendar(years=YEARS, saturday=True)
NO_HOLIDAYS = Calendar(zone="Asia/Jakarta", week=FIVE_DAY_WEEK, holidays={}, special={},
                       name="plain")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        micro: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=WIB)


def us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


def write(tmp_path: Path, text: str, name: str = "libur.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the default calendar --------------------------------------------------------------------

def test_default_week_is_government_hours() -> None:
    monday, friday = dt.date(2025, 1, 13), dt.date(2025, 1, 17)
    assert format_periods(ID.periods(monday)) == "07:30-12:00 13:00-16:00"
    assert format_periods(ID.periods(friday)) == "07:30-11:30 13:00-16:30"
    assert ID.periods(dt.date(2025, 1, 18)) == () and ID.periods(dt.date(2025, 1, 19)) == ()
    assert rest_weekdays(ID) == (5, 6)
    assert ID.day_seconds == 7.5 * H  # 37.5 h over 5 days; Friday is 7.5 h too
    assert ID.offset_us == 7 * 3600 * 10**6 and ID_WIT.offset_us == 9 * 3600 * 10**6


def test_saturday_variant() -> None:
    assert format_periods(ID_SAT.periods(dt.date(2025, 1, 18))) == "07:00-12:30"
    assert format_periods(ID_SAT.periods(dt.date(2025, 1, 17))) == "07:00-11:00"
    assert rest_weekdays(ID_SAT) == (6,)
    assert ID_SAT.day_seconds == 37.5 * H / 6
    # Friday 10:00 → Monday 08:00: Fri 10:00–11:00 (1 h) + Sat 07:00–12:30 (5.5 h) + Mon
    # 07:00–08:00 (1 h) = 7.5 h; the five-day week gives Fri 10:00–11:30, 13:00–16:30 (5 h) +
    # Mon 07:30–08:00 (0.5 h) = 5.5 h.
    start, end = wib(2025, 1, 17, 10), wib(2025, 1, 20, 8)
    assert working_seconds(ID_SAT, start, end) == 7.5 * H
    assert working_seconds(ID, start, end) == 5.5 * H
    assert load_calendar("id-sat", years=[2025]).week == ID_SAT.week


def test_holidays_come_from_the_package_with_cuti_bersama() -> None:
    assert ID.holidays[dt.date(2025, 3, 31)] == "Hari Raya Idul Fitri"
    assert ID.holidays[dt.date(2025, 3, 28)] == "Cuti Bersama Hari Suci Nyepi"
    assert ID.holidays[dt.date(2025, 12, 26)] == "Cuti Bersama Hari Raya Natal"
    for day in (2, 3, 4, 7):
        assert ID.holidays[dt.date(2025, 4, day)] == "Cuti Bersama Hari Raya Idul Fitri"
    assert not ID.is_working_day(dt.date(2025, 4, 7))
    assert ID.is_working_day(dt.date(2025, 4, 8))


def test_lebaran_2025() -> None:
    # Disposition arrives Friday 28 Mar 2025 15:00 WIB, signed Tuesday 8 Apr 2025 09:00 WIB.
    # Fri 28 Mar: cuti bersama Nyepi → 0; Sat 29 (Nyepi) and Sun 30 → 0; Mon 31 Mar and Tue
    # 1 Apr: Idul Fitri → 0; Wed 2, Thu 3, Fri 4 Apr: cuti bersama → 0; Sat 5, Sun 6 → 0;
    # Mon 7 Apr: cuti bersama → 0; Tue 8 Apr 07:30–09:00 → 1.5 h. Total 5 400 s.
    start, end = wib(2025, 3, 28, 15), wib(2025, 4, 8, 9)
    assert working_seconds(ID, start, end) == 5400.0
    # Without holidays: Fri 15:00–16:30 (1.5 h) + Mon 31–Thu 3 (4 × 7.5 h) + Fri 4 (7.5 h)
    # + Mon 7 (7.5 h) + Tue 07:30–09:00 (1.5 h) = 48 h.
    assert working_seconds(NO_HOLIDAYS, start, end) == 48 * H
    assert working_seconds(ID, end, start) == -5400.0


def test_christmas_2025() -> None:
    # Wed 24 Dec 15:00 → Mon 29 Dec 10:00 WIB: Wed 15:00–16:00 (1 h); Thu 25 Christmas, Fri 26
    # cuti bersama, weekend → 0; Mon 07:30–10:00 (2.5 h). Total 3.5 h.
    assert working_seconds(ID, wib(2025, 12, 24, 15), wib(2025, 12, 29, 10)) == 3.5 * H


def test_weekend_and_breaks() -> None:
    # Fri 10 Jan 2025 16:00 → Mon 13 Jan 08:00: Fri 16:00–16:30 + Mon 07:30–08:00 = 1 h.
    assert working_seconds(ID, wib(2025, 1, 10, 16), wib(2025, 1, 13, 8)) == 1 * H
    # Monday 11:00 → 14:00: 11–12 and 13–14 (lunch 12–13 is not working time) = 2 h.
    assert working_seconds(ID, wib(2025, 1, 13, 11), wib(2025, 1, 13, 14)) == 2 * H
    # Friday 11:00 → 13:30: 11:00–11:30 and 13:00–13:30 (Friday prayers 11:30–13:00) = 1 h.
    assert working_seconds(ID, wib(2025, 1, 10, 11), wib(2025, 1, 10, 13, 30)) == 1 * H
    # Inside the break, before and after hours, on a Sunday: nothing.
    assert working_seconds(ID, wib(2025, 1, 13, 12, 10), wib(2025, 1, 13, 12, 50)) == 0
    assert working_seconds(ID, wib(2025, 1, 13, 16, 1), wib(2025, 1, 14, 7, 29)) == 0
    assert working_seconds(ID, wib(2025, 1, 12, 0), wib(2025, 1, 13, 0)) == 0
    # A whole ordinary week is 37.5 h = 5 working days.
    week = working_seconds(ID, wib(2025, 1, 13, 0), wib(2025, 1, 20, 0))
    assert week == 37.5 * H and week / ID.day_seconds == 5


def test_zones_give_different_working_time_for_the_same_instants() -> None:
    # 13 Jan 2025 00:00–09:00 UTC is 07:00–16:00 WIB, 08:00–17:00 WITA, 09:00–18:00 WIT.
    start, end = dt.datetime(2025, 1, 13, 0, tzinfo=UTC), dt.datetime(2025, 1, 13, 9, tzinfo=UTC)
    assert working_seconds(ID, start, end) == 7.5 * H  # 07:30–12:00, 13:00–16:00
    assert working_seconds(ID_WITA, start, end) == 7 * H  # 08:00–12:00, 13:00–16:00
    assert working_seconds(ID_WIT, start, end) == 6 * H  # 09:00–12:00, 13:00–16:00
    assert ID_WIT.zone == "Asia/Jayapura"


def test_instant_near_local_midnight() -> None:
    # 13 Jan 2025 16:30 UTC is Monday 23:30 WIB but Tuesday 00:30 WITA and 01:30 WIT; until
    # 14 Jan 01:00 UTC (08:00 WIB, 09:00 WITA, 10:00 WIT) the working time is Tuesday's from
    # 07:30: 0.5 h, 1.5 h, 2.5 h.
    start, end = dt.datetime(2025, 1, 13, 16, 30, tzinfo=UTC), dt.datetime(2025, 1, 14, 1,
                                                                           tzinfo=UTC)
    assert [working_seconds(c, start, end) for c in (ID, ID_WITA, ID_WIT)] == [
        0.5 * H, 1.5 * H, 2.5 * H]
    assert local_day(us(start), ID.offset_us) == dt.date(2025, 1, 13)
    assert local_day(us(start), ID_WITA.offset_us) == dt.date(2025, 1, 14)
    assert local_day(us(start), ID_WIT.offset_us) == dt.date(2025, 1, 14)


def test_reference_needs_aware_datetimes_and_loaded_years() -> None:
    with pytest.raises(ValueError, match="aware"):
        working_seconds(ID, dt.datetime(2025, 1, 13, 8), wib(2025, 1, 13, 9))
    with pytest.raises(InputError, match="no holidays for 2027") as err:
        working_seconds(ID, wib(2026, 12, 31, 8), wib(2027, 1, 4, 9))
    assert err.value.fix and "years" in err.value.fix


def test_non_working_days_lists_holidays_not_weekends() -> None:
    days = non_working_days(ID, 2025)
    assert len(days) == 28  # the holidays package's 2025 list, public + government
    assert (dt.date(2025, 4, 7), "Cuti Bersama Hari Raya Idul Fitri") in days
    assert all(d.year == 2025 for d, _ in days)
    assert dt.date(2025, 1, 4) not in dict(days)  # an ordinary Saturday
    assert dt.date(2025, 3, 29) in dict(days)  # Nyepi, a holiday on a Saturday
    assert days == sorted(days)


# --- override files ----------------------------------------------------------------------------

OVERRIDES = """\
# overrides of Kabupaten X for 2025
date,action,hours,note
2025-01-13,holiday,,Hari Jadi Kabupaten
2025-01-27,workday,,Isra Mikraj dipindah
2025-01-18,workday,08:00-12:00,Sabtu pengganti
2025-03-01..2025-03-30,hours,08:00-15:00,Ramadan
2025-03-07,hours,08:00-11:30 13:00-15:30,Ramadan Jumat

2025-02-03..2025-02-04,libur,,Rapat kerja
2025-05-19..2025-05-23,jam,07:00-09:00 10:00-11:00 13:00-14:00 15:00-16:30,Pelatihan
2025-05-26,hours,"07:00-09:00, 10:00-11:00 13:00-14:00",quoted hours with three periods
"""


def test_overrides(tmp_path: Path) -> None:
    cal = load_calendar(str(write(tmp_path, OVERRIDES)), years=[2025])
    assert cal.name == "id+libur.csv"
    # Added holiday: Monday 13 Jan has no working time and is listed with its note.
    assert working_seconds(cal, wib(2025, 1, 13, 0), wib(2025, 1, 14, 0)) == 0
    assert (dt.date(2025, 1, 13), "Hari Jadi Kabupaten") in non_working_days(cal, 2025)
    # Removed holiday: Isra Mikraj (Mon 27 Jan) is a working Monday, 7.5 h, not listed.
    assert dt.date(2025, 1, 27) in ID.holidays
    assert working_seconds(cal, wib(2025, 1, 27, 0), wib(2025, 1, 28, 0)) == 7.5 * H
    assert dt.date(2025, 1, 27) not in dict(non_working_days(cal, 2025))
    # A Saturday made working with its own hours: 4 h.
    assert working_seconds(cal, wib(2025, 1, 18, 0), wib(2025, 1, 19, 0)) == 4 * H
    # Ramadan hours through a range: Monday 3 March 08:00–15:00 = 7 h; the range skips the
    # weekend and the Nyepi cuti bersama (Fri 28 Mar); Friday 7 Mar has its own row (6 h).
    assert working_seconds(cal, wib(2025, 3, 3, 0), wib(2025, 3, 4, 0)) == 7 * H
    assert working_seconds(cal, wib(2025, 3, 3, 7, 45), wib(2025, 3, 3, 8, 15)) == 0.25 * H
    assert cal.periods(dt.date(2025, 3, 1)) == () and cal.periods(dt.date(2025, 3, 28)) == ()
    assert working_seconds(cal, wib(2025, 3, 7, 0), wib(2025, 3, 8, 0)) == 6 * H
    assert working_seconds(cal, wib(2025, 3, 31, 0), wib(2025, 4, 1, 0)) == 0
    # Range of holidays (Indonesian action word).
    assert working_seconds(cal, wib(2025, 2, 3, 0), wib(2025, 2, 5, 0)) == 0
    # Days outside the file are untouched.
    assert cal.periods(dt.date(2025, 1, 14)) == ID.periods(dt.date(2025, 1, 14))


def test_override_weekday_rows_change_the_week(tmp_path: Path) -> None:
    path = write(tmp_path, "date;action;hours;note\n2025-01-17;workday;;\nsabtu;hours;"
                           "08:00-12:00;piket Sabtu\nfriday;hours;07:30-11:30 13:30-16:00;\n")
    cal = load_calendar(str(path), zone="WITA", years=[2025])
    assert cal.zone == "Asia/Makassar"
    assert format_periods(cal.periods(dt.date(2025, 1, 18))) == "08:00-12:00"
    # The workday row comes before the weekday row but takes the new Friday hours.
    assert format_periods(cal.periods(dt.date(2025, 1, 17))) == "07:30-11:30 13:30-16:00"
    assert rest_weekdays(cal) == (6,)
    assert cal.day_seconds == (4 * 7.5 + 6.5 + 4) * H / 6


def test_parse_hours_forms() -> None:
    expected = ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(15, 30)))
    for text in ("08:00-12:00 13:00-15:30", "08.00 - 12.00; 13.00–15.30", "8:00-12:00+13:00-15:30"):
        assert parse_hours(text) == expected
    assert parse_hours("20:00-24:00") == ((dt.time(20), dt.time(0)),)


BAD_ROWS = [
    ("31/03/2025,holiday,,", "YYYY-MM-DD"),
    ("2025-02-30,holiday,,", "does not exist"),
    ("2025-03-31,holdiay,,", "holiday, workday or hours"),
    ("2025-03-03,hours,8-15,", "HH:MM-HH:MM"),
    ("2025-03-03,hours,08:00-12:00 11:00-15:00,", "overlap"),
    ("2025-03-03,hours,15:00-08:00,", "start before"),
    ("2025-03-03,hours,08:00-25:00,", "00:00 to 24:00"),
    ("2025-03-03,hours,,", "write the working periods"),
    ("2025-03-03,holiday,08:00-12:00,", "leave hours empty"),
    ("2025-03-30..2025-03-01,hours,08:00-15:00,", "earlier date first"),
    ("2025-01-01..2030-01-01,holiday,,", "limited to"),
    ("2025-01-19,workday,,", "give the working hours"),
    ("2025-03-31,hours,08:00-15:00,", "use action workday"),
    ("2025-03-29,hours,08:00-15:00,", "use action workday"),
    ("sunday,workday,,", "weekday's working periods"),
    (",holiday,,", "give a date"),
    ("2025-03-03,hours,08:00-12:00,a,b", "quote hours or notes"),
]


@pytest.mark.parametrize(("row", "fix"), BAD_ROWS)
def test_override_errors_name_the_row_and_the_fix(tmp_path: Path, row: str, fix: str) -> None:
    path = write(tmp_path, f"date,action,hours,note\n# a comment\n\n{row}\n")
    with pytest.raises(InputError) as err:
        load_calendar(str(path), years=[2025])
    assert err.value.source == f"{path}, row 4"
    assert err.value.fix and fix in err.value.fix + err.value.message
    assert "Fix:" in str(err.value)


@pytest.mark.parametrize(("text", "fix"), [
    ("", "header row"),
    ("2025-03-31,holiday,,\n", "header row"),
    ("date,action,hour\n", "header row"),
])
def test_override_file_errors(tmp_path: Path, text: str, fix: str) -> None:
    with pytest.raises(InputError) as err:
        load_calendar(str(write(tmp_path, text)), years=[2025])
    assert err.value.fix and fix in err.value.fix


def test_override_file_not_text_and_unknown_spec(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"date,action\n\xff\xfe\x00")
    with pytest.raises(InputError, match="UTF-8"):
        load_calendar(str(path), years=[2025])
    with pytest.raises(InputError, match="neither") as err:
        load_calendar(str(tmp_path / "missing.csv"), years=[2025])
    assert err.value.fix and "id-sat" in err.value.fix
    with pytest.raises(InputError, match="unknown time zone"):
        load_calendar("id", zone="Mars/Olympus", years=[2025])


def test_calendar_validates_its_periods() -> None:
    with pytest.raises(InputError, match="overlap"):
        Calendar(zone="Asia/Jakarta", week={0: ((dt.time(8), dt.time(12)),
                                                (dt.time(11), dt.time(15)))},
                 holidays={}, special={})
    with pytest.raises(InputError, match="IANA"):
        Calendar(zone="WIB", week=FIVE_DAY_WEEK, holidays={}, special={})
    with pytest.raises(InputError, match="at most"):
        Calendar(zone="Asia/Jakarta", week={}, holidays={}, special={
            dt.date(2025, 1, 1): tuple((dt.time(h), dt.time(h, 30)) for h in range(8, 13))})


# --- the day table and the SQL clock --------------------------------------------------------------

FIRST, LAST = dt.date(2024, 12, 28), dt.date(2026, 1, 3)


def clock(con: duckdb.DuckDBPyConnection, cal: Calendar, instants: Sequence[int | None],
          first: dt.date = FIRST, last: dt.date = LAST) -> list[int | None]:
    """cum(t) for each instant, through day_table + cumulative_sql in DuckDB."""
    con.register("pf_calendar", day_table(cal, first, last))
    con.register("pf_times", pa.table({"i": list(range(len(instants))),
                                       "ts_us": pa.array(instants, pa.int64())}))
    join, expr = cumulative_sql("t.ts_us", offset_us=cal.offset_us)
    rows = con.execute(f"SELECT t.i, {expr} AS w FROM pf_times t {join} ORDER BY t.i").fetchall()
    return [w for _, w in rows]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_day_table_columns_and_values() -> None:
    table = day_table(ID, dt.date(2025, 3, 27), dt.date(2025, 4, 8))
    names = ["day", "day_start_us"] + [f"p{i}_{s}_us" for i in range(1, MAX_PERIODS + 1)
                                       for s in ("start", "end")] + ["work_us", "cum_before_us"]
    assert table.column_names == names
    rows = table.to_pylist()
    assert rows[0]["day"] == (dt.date(2025, 3, 27) - dt.date(1970, 1, 1)).days
    assert rows[0]["day_start_us"] == us(wib(2025, 3, 27))
    assert rows[0]["p1_start_us"] == us(wib(2025, 3, 27, 7, 30))
    assert rows[0]["p2_end_us"] == us(wib(2025, 3, 27, 16))
    assert rows[0]["p3_start_us"] is None and rows[0]["cum_before_us"] == 0
    # Thursday 27 Mar is the only working day before Tuesday 8 Apr.
    assert [r["work_us"] for r in rows] == [27_000 * 10**6] + [0] * 11 + [27_000 * 10**6]
    assert rows[-1]["cum_before_us"] == 27_000 * 10**6
    assert rows[1]["p1_start_us"] is None  # Nyepi cuti bersama


def test_sql_lebaran_and_zones(con: duckdb.DuckDBPyConnection) -> None:
    a, b = us(wib(2025, 3, 28, 15)), us(wib(2025, 4, 8, 9))
    w = clock(con, ID, [a, b])
    assert w[1] - w[0] == 5400 * 10**6  # type: ignore[operator]
    start = us(dt.datetime(2025, 1, 13, 16, 30, tzinfo=UTC))
    end = us(dt.datetime(2025, 1, 14, 1, tzinfo=UTC))
    got = []
    for cal in (ID, ID_WITA, ID_WIT):
        w = clock(con, cal, [start, end])
        got.append((w[1] - w[0]) / 1e6)  # type: ignore[operator]
    assert got == [0.5 * H, 1.5 * H, 2.5 * H]


def test_sql_boundaries_are_exact(con: duckdb.DuckDBPyConnection) -> None:
    # Local midnight, 1 µs either side, period starts and ends, inside the break.
    monday = wib(2025, 1, 13)
    moments = [monday - dt.timedelta(microseconds=1), monday,
               monday + dt.timedelta(microseconds=1), wib(2025, 1, 13, 7, 30),
               wib(2025, 1, 13, 7, 30, 0, 1), wib(2025, 1, 13, 12), wib(2025, 1, 13, 12, 30),
               wib(2025, 1, 13, 13), wib(2025, 1, 13, 16), wib(2025, 1, 14) -
               dt.timedelta(microseconds=1), wib(2025, 1, 14)]
    w = clock(con, ID, [us(m) for m in moments])
    base = wib(2024, 12, 28)
    assert w == [working_us(ID, base, m) for m in moments]
    assert w[5] - w[3] == 4.5 * H * 1e6  # type: ignore[operator]


def test_sql_with_three_and_four_periods(con: duckdb.DuckDBPyConnection,
                                         override_calendar: Calendar) -> None:
    assert len(override_calendar.periods(dt.date(2025, 5, 19))) == 4
    assert len(override_calendar.periods(dt.date(2025, 5, 26))) == 3
    # Every 10 minutes from Sunday 18 May to Wednesday 28 May 2025, and 1 µs off each.
    moments = [wib(2025, 5, 18) + dt.timedelta(minutes=10 * i, microseconds=d)
               for i in range(10 * 144) for d in (-1, 0, 1)]
    w = clock(con, override_calendar, [us(m) for m in moments])
    assert w[0] == working_us(override_calendar, wib(2024, 12, 28), moments[0])
    assert [b - a for a, b in itertools.pairwise(w)] == [  # type: ignore[operator]
        working_us(override_calendar, a, b) for a, b in itertools.pairwise(moments)]
    # Monday 19 May: 2 + 1 + 1 + 1.5 = 5.5 h; Monday 26 May: 2 + 1 + 1 = 4 h.
    assert working_seconds(override_calendar, wib(2025, 5, 19), wib(2025, 5, 20)) == 5.5 * H
    assert working_seconds(override_calendar, wib(2025, 5, 26), wib(2025, 5, 27)) == 4 * H


def test_sql_is_null_outside_the_table_or_for_null(con: duckdb.DuckDBPyConnection) -> None:
    inside = us(wib(2025, 1, 13, 9))
    before, after = us(wib(2025, 1, 12, 23, 59)), us(wib(2025, 1, 15, 0))
    w = clock(con, ID, [inside, before, after, None], dt.date(2025, 1, 13), dt.date(2025, 1, 14))
    assert w == [int(1.5 * H * 1e6), None, None, None]


def test_covering_days_cover_every_instant(con: duckdb.DuckDBPyConnection) -> None:
    instants = [us(dt.datetime(2025, 6, 1, 16, 59, tzinfo=UTC)),  # 23:59 WIB, 00:59 WIT
                us(dt.datetime(2025, 6, 9, 15, 0, tzinfo=UTC))]
    for cal in (ID, ID_WIT):
        first, last = covering_days(min(instants), max(instants), cal.offset_us)
        assert None not in clock(con, cal, instants, first, last)
        assert None in clock(con, cal, instants, first + dt.timedelta(days=1), last)
    assert covering_days(instants[0], instants[1], ID_WIT.offset_us)[0] == dt.date(2025, 6, 2)
    assert covering_days(instants[0], instants[1], ID.offset_us) == (dt.date(2025, 6, 1),
                                                                     dt.date(2025, 6, 9))


def test_day_table_refuses_years_without_holidays() -> None:
    only = indonesian_calendar(years=[2025])
    with pytest.raises(InputError, match="no holidays for 2026"):
        day_table(only, dt.date(2025, 12, 1), dt.date(2026, 1, 31))


START_2025 = us(dt.datetime(2024, 12, 28, tzinfo=UTC))
END_2025 = us(dt.datetime(2026, 1, 3, tzinfo=UTC))
instants_us = st.integers(START_2025, END_2025)
# Bias towards interesting instants: whole minutes around working hours in 2025.
minutes = st.builds(lambda d, m: START_2025 + d * DAY_US + m * 60_000_000,
                    st.integers(1, 360), st.integers(0, 24 * 60))


@pytest.fixture(scope="module")
def override_calendar(tmp_path_factory: pytest.TempPathFactory) -> Calendar:
    path = write(tmp_path_factory.mktemp("cal"), OVERRIDES)
    return load_calendar(str(path), years=YEARS)


@SETTINGS
@given(data=st.data())
def test_sql_matches_reference(con: duckdb.DuckDBPyConnection, override_calendar: Calendar,
                               data: st.DataObject) -> None:
    cal = data.draw(st.sampled_from([ID, ID_WITA, ID_WIT, ID_SAT, override_calendar]))
    instants = data.draw(st.lists(st.one_of(instants_us, minutes), min_size=2, max_size=30))
    w = clock(con, cal, list(instants))
    zone = ZoneInfo(cal.zone)
    moments = [dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=t)
               for t in instants]
    base = dt.datetime.combine(FIRST, dt.time(0), tzinfo=zone)
    assert w[0] == working_us(cal, base, moments[0])
    assert [b - a for a, b in itertools.pairwise(w)] == [  # type: ignore[operator]
        working_us(cal, a, b) for a, b in itertools.pairwise(moments)]


def test_sql_on_a_zone_with_daylight_saving_time(con: duckdb.DuckDBPyConnection) -> None:
    nine_to_five = {d: ((dt.time(9), dt.time(17)),) for d in range(5)}
    ams = Calendar(zone="Europe/Amsterdam", week=nine_to_five, holidays={}, special={},
                   name="nl")
    assert ams.offset_us == 3600 * 10**6
    ams_zone = ZoneInfo("Europe/Amsterdam")
    # Around the spring and autumn changes of 2025 (30 March, 26 October).
    moments = [dt.datetime(2025, m, d, h, tzinfo=ams_zone) for m, d in ((3, 28), (3, 31),
                                                                        (10, 24), (10, 27))
               for h in (0, 1, 8, 10, 17, 23)]
    w = clock(con, ams, [us(m) for m in moments], dt.date(2025, 3, 1), dt.date(2025, 11, 1))
    base = dt.datetime(2025, 3, 1, tzinfo=ams_zone)
    assert w == [working_us(ams, base, m) for m in moments]
    assert w[7] - w[2] == 8 * 3600 * 10**6  # type: ignore[operator]  # Fri 08:00 → Mon 01:00
    # A period touching local midnight crosses the standard-time day in summer: refused.
    late = Calendar(zone="Europe/Amsterdam", week={0: ((dt.time(0), dt.time(1)),)},
                    holidays={}, special={})
    with pytest.raises(InputError, match="daylight saving"):
        day_table(late, dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    day_table(late, dt.date(2025, 1, 1), dt.date(2025, 1, 31))  # winter: fine


def test_sql_transpiles_to_spark() -> None:
    join, expr = cumulative_sql("i.ts_us", offset_us=ID.offset_us, alias="cal_ts")
    join2, expr2 = cumulative_sql("i.start_us", offset_us=ID.offset_us, alias="cal_start")
    sql = (f"SELECT i.*, {expr} AS w_ts, {expr2} AS w_start FROM pf_inst i {join} {join2}")
    spark = to_spark_sql(sql)
    tree = sqlglot.parse_one(spark, read="spark")
    assert len(list(tree.find_all(sqlglot.exp.Join))) == 2
    assert "FLOOR((i.ts_us + 25200000000) / 86400000000.0)" in spark
    assert "LEAST(i.start_us - cal_start.p1_start_us, (cal_start.p1_end_us" in spark
    negative = cumulative_sql("ts_us", offset_us=-5 * 3600 * 10**6)[0]
    assert "(ts_us - 18000000000)" in negative


@pytest.mark.slow
def test_sql_on_spark_matches_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    from procflow.measure.backends import spark_session

    spark = spark_session()
    instants = [us(wib(2025, 3, 28, 15)), us(wib(2025, 4, 8, 9)), us(wib(2025, 1, 13, 12, 30)),
                us(dt.datetime(2025, 1, 13, 16, 30, tzinfo=UTC)), None]
    table = day_table(ID, FIRST, LAST)
    spark.createDataFrame(table.to_pandas()).createOrReplaceTempView("pf_calendar")
    spark.createDataFrame([(i, t) for i, t in enumerate(instants)],
                          "i INT, ts_us BIGINT").createOrReplaceTempView("pf_times")
    join, expr = cumulative_sql("t.ts_us", offset_us=ID.offset_us)
    sql = f"SELECT t.i, {expr} AS w FROM pf_times t {join} ORDER BY t.i"
    got = [r["w"] for r in spark.sql(to_spark_sql(sql)).collect()]
    assert got == clock(con, ID, instants)


# --- properties of working time -----------------------------------------------------------

calendars = st.sampled_from([ID, ID_WITA, ID_WIT, ID_SAT])
moments = instants_us.map(lambda t: dt.datetime(1970, 1, 1, tzinfo=UTC)
                          + dt.timedelta(microseconds=t))


@SETTINGS
@given(cal=calendars, a=moments, b=moments)
def test_working_time_is_within_calendar_time(cal: Calendar, a: dt.datetime,
                                              b: dt.datetime) -> None:
    a, b = min(a, b), max(a, b)
    assert 0 <= working_seconds(cal, a, b) <= (b - a).total_seconds()


@SETTINGS
@given(cal=calendars, a=moments, b=moments, c=moments)
def test_working_time_is_additive(cal: Calendar, a: dt.datetime, b: dt.datetime,
                                  c: dt.datetime) -> None:
    assert working_us(cal, a, b) + working_us(cal, b, c) == working_us(cal, a, c)


@SETTINGS
@given(cal=calendars, pick=st.integers(0, 10**6))
def test_a_whole_holiday_has_no_working_time(cal: Calendar, pick: int) -> None:
    days = sorted(d for d in cal.holidays if d.year == 2025)
    day = days[pick % len(days)]
    zone = ZoneInfo(cal.zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    assert working_seconds(cal, start, start + dt.timedelta(days=1)) == 0


def test_the_documented_override_example_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "calendar.md").read_text()
    example = doc.split("## The override file")[1].split("```text\n")[1].split("```")[0]
    cal = load_calendar(str(write(tmp_path, example)), years=[2025])
    # Friday 14 March in Ramadan: 08:00–11:30 and 13:00–15:30 = 6 h; Thursday 13 March 7 h.
    assert working_seconds(cal, wib(2025, 3, 14), wib(2025, 3, 15)) == 6 * H
    assert working_seconds(cal, wib(2025, 3, 13), wib(2025, 3, 14)) == 7 * H
    assert non_working_days(cal, 2025)[0] == (dt.date(2025, 1, 1), "Tahun Baru Masehi")


def test_no_years_is_an_error() -> None:
    with pytest.raises(InputError, match="no years"):
        load_calendar("id", years=[])


def test_fewer_period_columns_give_the_same_clock(con: duckdb.DuckDBPyConnection) -> None:
    moments = [us(wib(2025, 1, 13) + dt.timedelta(minutes=7 * i)) for i in range(2000)]
    con.register("pf_calendar", day_table(ID, FIRST, LAST, max_periods=2))
    con.register("pf_times", pa.table({"ts_us": moments}))
    join, expr = cumulative_sql("t.ts_us", offset_us=ID.offset_us, max_periods=2)
    got = [w for (w,) in con.execute(f"SELECT {expr} FROM pf_times t {join} ORDER BY t.ts_us")
           .fetchall()]
    assert got == clock(con, ID, moments)
    last = wib(2025, 1, 13) + dt.timedelta(minutes=7 * 1999)
    assert got[-1] - got[0] == working_us(ID, wib(2025, 1, 13), last)
