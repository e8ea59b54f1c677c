"""How precise a log's times are: one time of day (dates without a time) and tied events."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from procflow.api import read
from procflow.core.i18n import Texts
from procflow.measure.precision import precision_flags, precision_texts, time_precision
from tests.conftest import shared_file

ROWS = [("a", "2024-01-01 22:00"), ("a", "2024-01-01 22:00"), ("a", "2024-01-02 22:00"),
        ("b", "2024-01-03 22:00"), ("b", "2024-01-03 08:30"), ("b", "2024-01-04 22:00"),
        ("c", "2024-01-05 22:00"), ("c", "2024-01-05 09:00"), ("c", "2024-01-06 22:00"),
        ("c", "2024-01-07 22:00"), ("c", None), ("d", "2024-01-08 22:00"),
        ("d", "2024-01-08 22:00"), ("d", "2024-01-08 22:00")]


def _table(rows: list[tuple[str, str | None]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE e (case_id VARCHAR, timestamp TIMESTAMPTZ)")
    con.executemany("INSERT INTO e VALUES (?, ?::TIMESTAMPTZ)",
                    [(c, None if t is None else t + "+00") for c, t in rows])
    return con


def test_dates_without_a_time_and_ties_by_hand() -> None:
    facts = time_precision(_table(ROWS), "e")
    # 13 timed events, 11 at 22:00 UTC; ties: a (1 of 2 at 01-01 22:00) + d (2 of 3)
    assert facts == {"events": 13, "top_time_events": 11, "top_times_utc_s": [79200], "tied": 3}
    assert precision_flags(facts) == {"one_time": True, "tied": True}
    en, id_ = precision_texts(facts, Texts("en")), precision_texts(facts, Texts("id"))
    assert en[0].startswith("11 of 13 events (85%) are at the same time of day (22:00 UTC, "
                            "midnight at UTC+02:00): the file probably holds dates")
    assert en[1].startswith("3 of 13 events (23%) have the same time as an earlier event")
    assert id_[0].startswith("11 dari 13 peristiwa (85%) tercatat pada jam yang sama "
                             "(22:00 UTC, tengah malam di UTC+02:00)")
    assert len(id_) == 2


def test_precise_times_call_for_no_warning() -> None:
    rows = [(f"k{i % 4}", f"2024-02-{1 + i % 20:02d} {i % 24:02d}:{i % 60:02d}")
            for i in range(40)]
    facts = time_precision(_table(rows), "e")
    assert facts["tied"] == 0 and facts["top_time_events"] < 8
    assert precision_texts(facts, Texts("en")) == []
    midnight = time_precision(_table([(f"k{i}", "2024-02-01 00:00") for i in range(12)]), "e")
    assert precision_texts(midnight, Texts("en"))[0].count("(00:00 UTC)") == 1
    summer = time_precision(_table([(f"k{i}", f"2024-0{1 + i % 2}-01 0{i % 2}:00")
                                    for i in range(12)]), "e")
    assert summer["top_times_utc_s"] == [0, 3600] and summer["top_time_events"] == 12
    assert precision_flags(time_precision(_table([("k", "2024-01-01 00:00")] * 5), "e")) == {
        "one_time": False, "tied": False}  # too few events to say


@pytest.mark.parametrize("name", ["BPIC15_1.xes.gz", "sepsis.csv"])
def test_against_pandas_on_real_logs(name: str) -> None:
    log = read(shared_file(name), tz="UTC" if name.endswith(".csv") else None)
    facts = time_precision(log.con, log.table)
    frame = log.to_pandas()[["case_id", "timestamp"]].dropna()
    utc = pd.to_datetime(frame["timestamp"], utc=True)
    of_day = (utc - utc.dt.floor("D")).dt.total_seconds().astype(int)
    assert facts["events"] == len(frame)
    counts = of_day.value_counts().sort_index()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:2]
    summer_and_winter = len(ranked) == 2 and abs(ranked[0][0] - ranked[1][0]) in (3600, 82800)
    kept = sorted(ranked if summer_and_winter else ranked[:1])
    assert facts["top_times_utc_s"] == [tod for tod, _ in kept]
    assert facts["top_time_events"] == sum(n for _, n in kept)
    assert facts["tied"] == int(frame.duplicated(["case_id", "timestamp"]).sum())
    if name.startswith("BPIC15"):  # dates at local midnight: UTC+02:00 and UTC+01:00
        assert facts["top_times_utc_s"] == [79200, 82800]
        assert precision_flags(facts) == {"one_time": True, "tied": True}
        assert "(22:00 UTC, midnight at UTC+02:00 and 23:00 UTC, midnight at UTC+01:00)" in (
            precision_texts(facts, Texts("en"))[0])


def test_a_fixed_hour_in_the_logs_zone_is_not_taken_for_dates() -> None:
    # 12 events at 06:00 UTC: 08:00 in Amsterdam in summer, 07:00 in winter; midnight in Chicago
    # (UTC-06:00) in winter
    rows = [(f"k{i}", f"2024-0{1 + 6 * (i % 2)}-{10 + i:02d} 06:00") for i in range(12)]
    facts = time_precision(_table(rows), "e")
    assert facts["top_times_utc_s"] == [21600] and facts["top_time_events"] == 12
    en = precision_texts(facts, Texts("en"), "Europe/Amsterdam")
    assert en == ["12 of 12 events (100%) are at the same time of day (07:00 and 08:00 in "
                  "Europe/Amsterdam): they were probably recorded at a fixed hour (a default "
                  "time, or entered in a batch) rather than when they happened, so durations "
                  "shorter than a day that involve them are uncertain."]
    assert precision_texts(facts, Texts("id"), "Europe/Amsterdam")[0].startswith(
        "12 dari 12 peristiwa (100%) tercatat pada jam yang sama (07:00 dan 08:00 di "
        "Europe/Amsterdam): kemungkinan dicatat pada jam tetap")
    # midnight in the log's zone (in winter): dates without a time, as without a zone
    dates = precision_texts(facts, Texts("en"), "America/Chicago")
    assert dates == precision_texts(facts, Texts("en"))
    assert "the file probably holds dates without a time" in dates[0]
    assert precision_texts(facts, Texts("en"), "Not/AZone") == dates  # unknown zone: as before


def test_sepsis_lab_results_are_a_fixed_hour_in_amsterdam() -> None:
    log = read(shared_file("sepsis.csv"), tz="Europe/Amsterdam")
    text = precision_texts(time_precision(log.con, log.table), Texts("en"), log.zone)[0]
    # 06:00 and 07:00 UTC: 07:00, 08:00 or 09:00 in Amsterdam, by season
    assert text.startswith("3,339 of 15,214 events (22%) are at the same time of day (07:00, "
                           "08:00 and 09:00 in Europe/Amsterdam): they were probably recorded "
                           "at a fixed hour"), text
    assert "dates without a time" not in text
