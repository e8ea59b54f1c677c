"""Timestamp parsing by explicit rules: exact instants, refusals with examples, invalid rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.errors import TimestampError
from procflow.ingest.timeparse import (
    DayOrder,
    ParsedTimes,
    missing_zone,
    parse_one,
    parse_time_columns,
)
from procflow.ingest.timerules import ANY_RULE, NONE, layout_of

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember"]
BULAN_PENDEK = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                "Des"]
HARI = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
UTC_US = pa.timestamp("us", tz="UTC")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def parse(values: Sequence[str | None], tz: str | None = None,
          order: DayOrder = "auto") -> ParsedTimes:
    column = pa.array(values, type=pa.string())
    return parse_time_columns({"t": column}, tz=tz, order=order)["t"]


def instants(parsed: ParsedTimes) -> list[datetime | None]:
    assert parsed.values.type == UTC_US
    return parsed.values.to_pylist()


def refusal(values: Sequence[str | None], tz: str | None = "Asia/Jakarta",
            order: DayOrder = "auto") -> str:
    with pytest.raises(TimestampError) as info:
        parse(values, tz=tz, order=order)
    return str(info.value)


# Rule 1: year-first -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "tz", "expected"), [
    ("2011-10-11 13:45:40.276000+02:00", None, utc(2011, 10, 11, 11, 45, 40, 276000)),
    ("2010-12-30T14:32:00.000+01:00", None, utc(2010, 12, 30, 13, 32)),
    ("2014/10/22 11:15:41.000", "Asia/Jakarta", utc(2014, 10, 22, 4, 15, 41)),
    ("2006-07-24 00:00:00+00:00", None, utc(2006, 7, 24)),
    ("2024.08.17 14.05", "Asia/Makassar", utc(2024, 8, 17, 6, 5)),
    ("2024-08-17T14:05:00Z", None, utc(2024, 8, 17, 14, 5)),
    ("2024-08-17 14:05 UTC", None, utc(2024, 8, 17, 14, 5)),
    ("2024-08-17 14:05 GMT", None, utc(2024, 8, 17, 14, 5)),
    ("2024-08-17 14:05+0700", None, utc(2024, 8, 17, 7, 5)),
    ("2024-08-17 14:05 +07", None, utc(2024, 8, 17, 7, 5)),
    ("2024-08-17 14:05-05:30", None, utc(2024, 8, 17, 19, 35)),
    ("2024-08-17 14:05 UTC+07:00", None, utc(2024, 8, 17, 7, 5)),
    ("2024-08-17 14:05 WIB", None, utc(2024, 8, 17, 7, 5)),
    ("2024-08-17 14:05WITA", None, utc(2024, 8, 17, 6, 5)),
    ("2024-08-17 14:05 WIT", None, utc(2024, 8, 17, 5, 5)),
    ("2024-08-17 14:05 wita", None, utc(2024, 8, 17, 6, 5)),
    ("2024-08-17", "Asia/Jakarta", utc(2024, 8, 16, 17)),
    ("2024-8-7 9:05", "Asia/Jayapura", utc(2024, 8, 7, 0, 5)),
    ("2024-01-01T00:00:00.123456789Z", None, utc(2024, 1, 1, 0, 0, 0, 123456)),
    ("2024-01-01 00:00:00,5Z", None, utc(2024, 1, 1, 0, 0, 0, 500000)),
    ("2024-01-01 00.00.07.25 WIB", None, utc(2023, 12, 31, 17, 0, 7, 250000)),
    ("  2024-08-17 14:05Z\t", None, utc(2024, 8, 17, 14, 5)),
])
def test_year_first(text: str, tz: str | None, expected: datetime) -> None:
    assert instants(parse([text], tz=tz)) == [expected]
    assert parse_one(text, tz=tz) == expected


# Rule 2: numeric day/month/year -----------------------------------------------------------

def test_day_first_decided_by_a_day_above_twelve() -> None:
    got = parse(["03/04/2024", "13/04/2024"], tz="Asia/Jakarta")
    assert instants(got) == [utc(2024, 4, 2, 17), utc(2024, 4, 12, 17)]
    assert "day-first" in got.description


def test_month_first_decided_by_a_month_field_above_twelve() -> None:
    got = parse(["03/04/2024", "04/13/2024"], tz="Asia/Jakarta")
    assert instants(got) == [utc(2024, 3, 3, 17), utc(2024, 4, 12, 17)]
    assert "month-first" in got.description


@pytest.mark.parametrize(("text", "tz", "expected"), [
    ("16.01.2017 13:29", "Europe/Amsterdam", utc(2017, 1, 16, 12, 29)),
    ("03/04/2024 14.05", "Asia/Makassar", utc(2024, 4, 3, 6, 5)),
    ("03-04-2024 14:05:30 WIB", None, utc(2024, 4, 3, 7, 5, 30)),
    ("03-04-2024 14:05+0700", None, utc(2024, 4, 3, 7, 5)),
    ("3/4/2024 9.05", "Asia/Jakarta", utc(2024, 4, 3, 2, 5)),
    ("03/04/2024 pukul 14.05 WIT", None, utc(2024, 4, 3, 5, 5)),
    ("29/02/2024", "UTC", utc(2024, 2, 29)),
])
def test_numeric_day_first(text: str, tz: str | None, expected: datetime) -> None:
    assert instants(parse([text], tz=tz, order="dayfirst")) == [expected]
    assert parse_one(text, tz=tz, order="dayfirst") == expected


def test_description_names_the_rule() -> None:
    got = parse(["03/04/2024 14.05", "13/04/2024 09.00"], tz="Asia/Makassar")
    assert got.description == "DD/MM/YYYY HH.MM, day-first, naive in Asia/Makassar"
    got = parse(["04/13/2024 14.05"], tz="Asia/Makassar", order="monthfirst")
    assert got.description.startswith("MM/DD/YYYY HH.MM, month-first")


def test_leap_day_and_impossible_dates_are_invalid_rows() -> None:
    got = parse(["29/02/2024", "29/02/2023", "31/04/2024", "13/04/2024"], tz="UTC")
    assert instants(got) == [utc(2024, 2, 29), None, None, utc(2024, 4, 13)]
    assert got.invalid.tolist() == [False, True, True, False]


def test_explicit_order_wins_and_impossible_values_become_invalid() -> None:
    got = parse(["13/04/2024", "03/04/2024"], tz="UTC", order="monthfirst")
    assert instants(got) == [None, utc(2024, 3, 4)]
    assert got.invalid.tolist() == [True, False]


def test_equal_day_and_month_everywhere_needs_no_order() -> None:
    assert instants(parse(["01/01/2024", "05/05/2024"], tz="UTC")) == [
        utc(2024, 1, 1), utc(2024, 5, 5)]


def test_two_digit_years_and_inconsistent_separators_are_invalid_rows() -> None:
    got = parse(["13/04/2024", "13/04/24", "13/04-2024"], tz="UTC")
    assert got.invalid.tolist() == [False, True, True]


def test_day_order_is_decided_jointly_across_columns() -> None:
    columns = {"complete": pa.array(["03/04/2024 10.00"]), "start": pa.array(["13/04/2024"])}
    got = parse_time_columns(columns, tz="Asia/Jakarta")
    assert instants(got["complete"]) == [utc(2024, 4, 3, 3)]
    assert "day-first" in got["complete"].description


def test_both_orders_across_columns_are_refused() -> None:
    columns = {"complete": pa.array(["13/04/2024"]), "start": pa.array(["04/13/2024"])}
    with pytest.raises(TimestampError) as info:
        parse_time_columns(columns, tz="Asia/Jakarta", source="log.csv")
    text = str(info.value)
    assert text.startswith("log.csv: ")
    assert "'13/04/2024'" in text and "'04/13/2024'" in text
    assert "--dayfirst or --monthfirst" in text


# Rule 3: month names ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "tz", "expected"), [
    ("3 Agu 2024", "Asia/Jakarta", utc(2024, 8, 2, 17)),
    ("17 Agustus 2024 14.05", "Asia/Makassar", utc(2024, 8, 17, 6, 5)),
    ("03-Mar-2024 08:00", "Asia/Jakarta", utc(2024, 3, 3, 1)),
    ("17 August 2024", "UTC", utc(2024, 8, 17)),
    ("Senin, 5 Mei 2025 09.30", "Asia/Jakarta", utc(2025, 5, 5, 2, 30)),
    ("Jumat 16 Agustus 2024", "UTC", utc(2024, 8, 16)),
    ("17 Agt. 2024", "UTC", utc(2024, 8, 17)),
    ("17 ags 2024", "UTC", utc(2024, 8, 17)),
    ("17 AGUSTUS 2024 14.05 WITA", None, utc(2024, 8, 17, 6, 5)),
    ("17 Agustus 2024 pukul 14.05 WIB", None, utc(2024, 8, 17, 7, 5)),
    ("17\xa0Agustus\xa02024 14.05", "Asia/Makassar", utc(2024, 8, 17, 6, 5)),
    ("17 Agustus 2024, 14:05:09 +07:00", None, utc(2024, 8, 17, 7, 5, 9)),
    ("1 Sept 2024", "UTC", utc(2024, 9, 1)),
    ("1 Okt 2024", "UTC", utc(2024, 10, 1)),
    ("10 Nopember 2024", "UTC", utc(2024, 11, 10)),
    ("25 Des 2024", "UTC", utc(2024, 12, 25)),
    ("25 Dec 2024", "UTC", utc(2024, 12, 25)),
    ("2 Mei 2024", "UTC", utc(2024, 5, 2)),
    ("2 May 2024", "UTC", utc(2024, 5, 2)),
    ("August 17, 2024", "UTC", utc(2024, 8, 17)),
    ("Aug 17, 2024 14:05", "Asia/Makassar", utc(2024, 8, 17, 6, 5)),
    ("Aug 17, 2024 2:05 PM", "Asia/Makassar", utc(2024, 8, 17, 6, 5)),
    ("Saturday, August 17, 2024 12:00 AM", "UTC", utc(2024, 8, 17)),
])
def test_month_names(text: str, tz: str | None, expected: datetime) -> None:
    assert instants(parse([text], tz=tz)) == [expected]


def test_one_digit_day_first_in_a_column_of_several_layouts() -> None:
    got = parse(["3 Agu 2024", "17 Agustus 2024 14.05 WIB", "17 Agustus 2024 14.05 WITA",
                 "17 Agustus 2024 14.05 WIT"], tz="Asia/Jakarta")
    assert instants(got) == [utc(2024, 8, 2, 17), utc(2024, 8, 17, 7, 5), utc(2024, 8, 17, 6, 5),
                             utc(2024, 8, 17, 5, 5)]


def test_wrong_weekday_or_unknown_month_is_an_invalid_row() -> None:
    got = parse(["Selasa, 5 Mei 2025", "17 Foo 2024", "Senin, 5 Mei 2025"], tz="UTC")
    assert got.invalid.tolist() == [True, True, False]


# Rule 4: families, invalid rows and unreadable columns ------------------------------------

@pytest.mark.parametrize(("values", "examples"), [
    (["2024-01-02 10:00", "03/04/2024 10:00", "2024-01-03"], ["'2024-01-02 10:00'",
                                                             "'03/04/2024 10:00'"]),
    (["17 Agustus 2024", "2024-08-17"], ["'17 Agustus 2024'", "'2024-08-17'"]),
])
def test_mixed_families_are_refused_with_examples(values: list[str], examples: list[str]) -> None:
    text = refusal(values)
    assert "mixes date formats" in text
    assert all(e in text for e in examples)
    assert "one format" in text


def test_unmatched_values_are_invalid_rows_not_a_refusal() -> None:
    got = parse(["2024-01-01 10:00", "kemarin", "", None, "  "], tz="Asia/Jakarta")
    assert instants(got) == [utc(2024, 1, 1, 3), None, None, None, None]
    assert got.invalid.tolist() == [False, True, False, False, False]


def test_a_column_without_any_date_is_refused() -> None:
    text = refusal(["abc", "def", "abc"])
    assert "column 't' does not look like a date/time" in text
    assert "'abc', 'def'" in text and "Fix:" in text


def test_a_column_whose_values_all_fail_validation_is_refused() -> None:
    text = refusal(["2024-13-01", "2024-02-30"])
    assert "does not look like a date/time" in text and "'2024-13-01'" in text


def test_example_lists_are_short() -> None:
    values = [f"{d:02d}/04/2024" for d in range(1, 13)]
    text = refusal(values)
    assert "ambiguous" in text and "--dayfirst or --monthfirst" in text
    assert "'06/04/2024'" in text and "'07/04/2024'" not in text  # 04/04 fits both


def test_ambiguous_without_option_is_refused() -> None:
    text = refusal(["03/04/2024", "04/03/2024"])
    assert "ambiguous" in text
    assert "'03/04/2024'" in text and "--dayfirst or --monthfirst" in text


def test_both_orders_in_one_column_are_refused() -> None:
    text = refusal(["13/04/2024", "04/13/2024", "25/12/2023"])
    assert "'13/04/2024', '25/12/2023'" in text and "'04/13/2024'" in text
    assert "--dayfirst or --monthfirst" in text


# Rule 5: clock validation -----------------------------------------------------------------

def test_clock_fields_are_validated() -> None:
    got = parse(["2024-01-01 24:00", "2024-01-01 10:60", "2024-01-01 10:00:60",
                 "2024-01-01 23:59:59", "2024-01-01 10:00+15:00"], tz="UTC")
    assert got.invalid.tolist() == [True, True, True, False, True]


def test_twelve_hour_clock() -> None:
    got = parse(["Aug 17, 2024 12:00 PM", "Aug 17, 2024 12:30 AM", "Aug 17, 2024 13:00 PM"],
                tz="UTC")
    assert instants(got) == [utc(2024, 8, 17, 12), utc(2024, 8, 17, 0, 30), None]


# Rule 6: zones ----------------------------------------------------------------------------

def test_naive_values_without_zone_are_refused() -> None:
    text = refusal(["2024-01-01 10:00", "2024-01-02 10:00Z"], tz=None)
    assert "without a zone" in text and "'2024-01-01 10:00'" in text
    assert "--tz ZONE" in text and "PROCFLOW_TZ" in text and "Asia/Jakarta" in text


def test_zoned_values_need_no_default_zone() -> None:
    got = parse(["2024-01-01 10:00 WIB"], tz=None)
    assert got.description.endswith("zone in the values")


def test_unknown_zone_is_refused_by_name() -> None:
    text = refusal(["2024-01-01 10:00Z"], tz="Mars/Olympus")
    assert "'Mars/Olympus'" in text and "Asia/Jakarta" in text


def test_indonesian_zone_names_are_accepted_as_default_zone() -> None:
    assert instants(parse(["2024-01-01 10:00"], tz="WITA")) == [utc(2024, 1, 1, 2)]


def test_dst_gap_and_overlap_are_invalid_not_guessed() -> None:
    got = parse(["2024-03-31 02:30", "2024-10-27 02:30", "2024-10-27 03:30",
                 "2024-07-01 12:00"], tz="Europe/Amsterdam")
    assert instants(got) == [None, None, utc(2024, 10, 27, 2, 30), utc(2024, 7, 1, 10)]
    assert got.invalid.tolist() == [True, True, False, False]


def test_mixed_zoned_and_naive_values() -> None:
    got = parse(["2024-01-01 10:00", "2024-01-01 10:00+09:00"], tz="Asia/Jakarta")
    assert instants(got) == [utc(2024, 1, 1, 3), utc(2024, 1, 1, 1)]
    assert "zone in the values or naive in Asia/Jakarta" in got.description


# Typed inputs -----------------------------------------------------------------------------

def test_aware_timestamps_are_converted_to_utc() -> None:
    local = pa.array([datetime(2024, 8, 17, 14, 5), None], type=pa.timestamp("ns"))
    column = pc.assume_timezone(local, "Asia/Jakarta")
    got = parse_time_columns({"t": column}, tz=None)["t"]
    assert instants(got) == [utc(2024, 8, 17, 7, 5), None]
    assert got.invalid.tolist() == [False, False]


def test_naive_timestamps_are_local_in_tz() -> None:
    column = pa.array([datetime(2024, 8, 17, 14, 5, 0, 1), None], type=pa.timestamp("us"))
    got = parse_time_columns({"t": column}, tz="Asia/Makassar")["t"]
    assert instants(got) == [utc(2024, 8, 17, 6, 5, 0, 1), None]
    with pytest.raises(TimestampError, match="--tz ZONE"):
        parse_time_columns({"t": column}, tz=None)


def test_nanoseconds_are_truncated_to_microseconds() -> None:
    column = pa.array([1_500], type=pa.timestamp("ns", "UTC"))
    got = parse_time_columns({"t": column}, tz=None)["t"]
    assert instants(got) == [utc(1970, 1, 1, 0, 0, 0, 1)]


@pytest.mark.parametrize("kind", [pa.date32(), pa.date64()])
def test_dates_are_midnight_local(kind: pa.DataType) -> None:
    column = pa.array([date(2024, 8, 17), None], type=kind)
    got = parse_time_columns({"t": column}, tz="Asia/Jakarta")["t"]
    assert instants(got) == [utc(2024, 8, 16, 17), None]
    assert got.invalid.tolist() == [False, False]


def test_naive_timestamps_in_a_dst_gap_are_invalid() -> None:
    column = pa.array([datetime(2024, 3, 31, 2, 30)], type=pa.timestamp("s"))
    got = parse_time_columns({"t": column}, tz="Europe/Amsterdam")["t"]
    assert got.invalid.tolist() == [True]


def test_empty_and_non_time_typed_columns() -> None:
    got = parse_time_columns({"t": pa.nulls(3)}, tz=None)["t"]
    assert instants(got) == [None, None, None] and not got.invalid.any()
    with pytest.raises(TimestampError, match="int64"):
        parse_time_columns({"t": pa.array([1, 2])}, tz="UTC")


# Text variants and shortcuts --------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda v: pa.array(v, type=pa.large_string()),
    lambda v: pa.array(v, type=pa.string_view()),
    lambda v: pa.array(v).dictionary_encode(),
    lambda v: pa.chunked_array([v[:2], v[2:]]),
    lambda v: pa.array(["x", *v])[1:],
])
def test_text_representations_agree(build: Callable[[list[str | None]], pa.Array]) -> None:
    values: list[str | None] = ["2024-08-17 14:05", None, "", "bukan tanggal", "2024-08-18 09:00"]
    got = parse_time_columns({"t": build(values)}, tz="Asia/Jakarta")["t"]
    assert instants(got) == [utc(2024, 8, 17, 7, 5), None, None, None, utc(2024, 8, 18, 2)]
    assert got.invalid.tolist() == [False, False, False, True, False]


def test_repetitive_columns_give_the_same_result() -> None:
    distinct = ["03/04/2024 10.00", "13/04/2024 11.30", None, "31/02/2024", "x", ""]
    values = distinct * 8000
    got = parse(values, tz="Asia/Jakarta")
    once = parse(distinct, tz="Asia/Jakarta")
    assert instants(got) == instants(once) * 8000
    assert got.invalid.tolist() == once.invalid.tolist() * 8000


def test_unused_dictionary_entries_do_not_count() -> None:
    words = pa.array(["nonsense", "2024-01-01Z"])
    column = pa.DictionaryArray.from_arrays(pa.array([1, 1, None]), words)
    got = parse_time_columns({"t": column}, tz=None)["t"]
    assert instants(got) == [utc(2024, 1, 1), utc(2024, 1, 1), None]


def test_empty_column_and_no_columns() -> None:
    got = parse([None, ""], tz=None)
    assert instants(got) == [None, None] and got.description == "empty"
    assert parse_time_columns({}, tz=None) == {}


def test_parse_one_refusals() -> None:
    with pytest.raises(TimestampError, match="empty"):
        parse_one("  ", tz="UTC")
    with pytest.raises(TimestampError, match="ambiguous"):
        parse_one("03/04/2024", tz="UTC")
    with pytest.raises(TimestampError, match="'2024-02-30' is not a valid date/time"):
        parse_one("2024-02-30", tz="UTC")
    with pytest.raises(TimestampError, match="'soon' does not look like a date/time"):
        parse_one("soon", tz="UTC")
    with pytest.raises(TimestampError, match="--tz"):
        parse_one("2024-01-01", tz=None)
    with pytest.raises(TimestampError, match="outside the years"):
        parse_one("9999-12-31 23:00-05:00", tz=None)
    assert parse_one("03/04/2024", tz="UTC", order="monthfirst") == utc(2024, 3, 4)


def test_rules_agree_with_the_re2_prefilter() -> None:
    samples = ["0000-00-00 00:00:00.000+00:00", "00/00/0000 00.00", "Senin, 0 Mei 0000 00.00",
               "Jum'at, 00 Agustus 0000", "Aug 00, 0000 0:00 PM", "0 Agu\xa00000 00.00 WITA"]
    found = pc.match_substring_regex(pa.array(samples), ANY_RULE).to_pylist()
    assert all(found)
    assert all(layout_of(s).family != NONE for s in samples)


# Properties -------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31))


def _local(moment: datetime, zone: str) -> datetime:
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@settings(max_examples=60, deadline=None)
@given(moments, st.integers(-12, 14), st.sampled_from([0, 30, 45]))
def test_iso_with_offset_round_trips(moment: datetime, hours: int, minutes: int) -> None:
    sign = "+" if hours >= 0 else "-"
    text = f"{moment:%Y-%m-%dT%H:%M:%S.%f}{sign}{abs(hours):02d}:{minutes:02d}"
    offset = timedelta(hours=abs(hours), minutes=minutes) * (1 if hours >= 0 else -1)
    assert parse_one(text, tz=None) == (moment - offset).replace(tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(moments, st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]))
def test_numeric_day_first_round_trips(moment: datetime, zone: str) -> None:
    moment = moment.replace(microsecond=0)
    text = moment.strftime("%d/%m/%Y %H.%M.%S")
    assert parse_one(text, tz=zone, order="dayfirst") == _local(moment, zone)


@settings(max_examples=60, deadline=None)
@given(moments)
def test_numeric_month_first_round_trips(moment: datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    text = moment.strftime("%m-%d-%Y %H:%M")
    assert parse_one(text, tz="Asia/Jakarta", order="monthfirst") == _local(moment, "Asia/Jakarta")


@settings(max_examples=60, deadline=None)
@given(moments, st.booleans(), st.sampled_from([("WIB", 7), ("WITA", 8), ("WIT", 9)]))
def test_indonesian_month_names_round_trip(moment: datetime, short: bool,
                                           zone: tuple[str, int]) -> None:
    moment = moment.replace(second=0, microsecond=0)
    month = (BULAN_PENDEK if short else BULAN)[moment.month - 1]
    text = f"{HARI[moment.weekday()]}, {moment.day} {month} {moment.year} {moment:%H.%M} {zone[0]}"
    expected = (moment - timedelta(hours=zone[1])).replace(tzinfo=UTC)
    assert parse_one(text, tz=None) == expected


@settings(max_examples=60, deadline=None)
@given(moments)
def test_english_month_first_round_trips(moment: datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    text = moment.strftime("%B %d, %Y %I:%M %p")
    assert parse_one(text, tz="Asia/Makassar") == _local(moment, "Asia/Makassar")


Style = Callable[[datetime], tuple[str, datetime]]
STYLES: dict[str, list[Style]] = {
    "iso": [
        lambda m: (f"{m:%Y-%m-%d}", m.replace(hour=0, minute=0, second=0, microsecond=0)),
        lambda m: (f"{m.year}-{m.month}-{m.day} {m.hour}:{m:%M}", m.replace(second=0,
                                                                           microsecond=0)),
        lambda m: (f"{m:%Y/%m/%dT%H:%M:%S.%f}", m),
        lambda m: (f"{m:%Y.%m.%d %H.%M.%S}", m.replace(microsecond=0)),
    ],
    "dmy": [
        lambda m: (f"{m:%d/%m/%Y}", m.replace(hour=0, minute=0, second=0, microsecond=0)),
        lambda m: (f"{m.day}/{m.month}/{m.year} {m:%H.%M}", m.replace(second=0, microsecond=0)),
        lambda m: (f"{m:%d-%m-%Y %H:%M:%S,%f}", m),
        lambda m: (f"{m.day}.{m:%m.%Y} {m.hour}:{m:%M:%S}", m.replace(microsecond=0)),
    ],
    "names": [
        lambda m: (f"{m.day} {BULAN[m.month - 1]} {m.year}",
                   m.replace(hour=0, minute=0, second=0, microsecond=0)),
        lambda m: (f"{m.day:02d} {BULAN_PENDEK[m.month - 1]} {m.year} {m:%H.%M}",
                   m.replace(second=0, microsecond=0)),
        lambda m: (f"{HARI[m.weekday()]}, {m.day} {BULAN[m.month - 1]} {m.year} {m:%H:%M:%S}",
                   m.replace(microsecond=0)),
        lambda m: (f"{m.day}-{BULAN_PENDEK[m.month - 1]}-{m.year} {m:%H.%M}",
                   m.replace(second=0, microsecond=0)),
        lambda m: (m.strftime("%B %d, %Y %I:%M %p"), m.replace(second=0, microsecond=0)),
    ],
}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(STYLES)), st.lists(st.tuples(moments, st.integers(0, 4)),
                                                 min_size=1, max_size=30))
def test_columns_of_varied_layouts_round_trip(family: str,
                                              items: list[tuple[datetime, int]]) -> None:
    styles = STYLES[family]
    made = [styles[i % len(styles)](m) for m, i in items]
    got = parse([text for text, _ in made], tz="Asia/Jakarta", order="dayfirst")
    assert instants(got) == [_local(local, "Asia/Jakarta") for _, local in made]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12),
                          moments.map(lambda m: m.strftime("%Y-%m-%d %H:%M:%S"))), max_size=20))
def test_invalid_rows_are_never_values(values: list[str | None]) -> None:
    try:
        got = parse(values, tz="Asia/Jakarta")
    except TimestampError:
        return
    assert got.values.type == UTC_US and len(got.values) == len(values)
    valid = got.values.is_valid().to_numpy(zero_copy_only=False)
    assert not (got.invalid & valid).any()
    blank = np.array([v is None or not v.strip() for v in values], dtype=bool)
    assert not (got.invalid & blank).any()
    assert not (valid & blank).any()


# Speed ------------------------------------------------------------------------------------

def _million(fmt: str) -> pa.Array:
    rng = np.random.default_rng(7)
    micros = rng.integers(0, 4 * 365 * 86400 * 1_000_000, 1_000_000)
    stamps = pd.DatetimeIndex(np.datetime64("2020-01-01", "us") + micros.astype("m8[us]"))
    return pa.array(stamps.strftime(fmt).tolist())


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "tz"), [
    ("%Y-%m-%d %H:%M:%S.%f+07:00", None),
    ("%d/%m/%Y %H.%M", "Asia/Makassar"),
])
def test_a_million_values_parse_quickly(fmt: str, tz: str | None) -> None:
    column = _million(fmt)
    start = time.perf_counter()
    got = parse_time_columns({"t": column}, tz=tz)["t"]
    elapsed = time.perf_counter() - start
    assert not got.invalid.any() and got.values.null_count == 0
    assert elapsed < 5.0, f"{elapsed:.2f} s for 1,000,000 values"


def test_missing_zone_names_the_zoneless_times_an_import_would_refuse() -> None:
    naive = pa.array(["2024-03-01 08:00", "2024-03-01 09:30", None])
    assert missing_zone("t", naive) == "'2024-03-01 08:00', '2024-03-01 09:30'"
    with pytest.raises(TimestampError):
        parse_time_columns({"t": naive}, tz=None)
    stated = pa.array(["2024-03-01T08:00:00+07:00", "2024-03-01T01:00:00Z"])
    assert missing_zone("t", stated) is None
    typed = pa.array([datetime(2024, 3, 1, tzinfo=UTC)])
    assert missing_zone("t", typed) is None
    assert missing_zone("t", pa.array(["not a time"])) is None  # the import words that error
    either = pa.array(["02/01/2024 09.22"])  # day order open: the zone is missing either way
    assert missing_zone("t", either) == "'02/01/2024 09.22'"
    late = pa.array(["2024-03-01T08:00:00Z"] * 3 + ["2024-03-01 08:00"])
    assert missing_zone("t", late, rows=3) is None and missing_zone("t", late) is not None
