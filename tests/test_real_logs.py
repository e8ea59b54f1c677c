"""Real public logs import with exactly the counts of ../shared/data/README.md."""

from __future__ import annotations

import pandas as pd
import pytest

import procflow
from tests.conftest import shared_file

# file, zone for naive times (None: the file states its zones), cases, events, activities
COUNTS = [
    ("running-example.xes", None, 6, 42, 8),
    ("receipt.xes.gz", None, 1434, 8577, 27),
    ("receipt.csv", None, 1434, 8577, 27),
    ("BPI_2020_DomesticDeclarations.xes.gz", None, 10500, 56437, 17),
    ("BPIC15_1.xes.gz", None, 1199, 52217, None),
    ("BPIC15_2.xes.gz", None, 832, 44354, None),
    ("bpic2013_closed_problems.xes.gz", None, 1487, 6660, 4),
    ("ConsultaDataMining201618.xes.gz", None, 954, 13740, 18),
    ("interval_event_log.xes", None, 1266, 8109, 8),
    ("mobis_snippet.csv", "UTC", 118, 464, 15),
    ("sepsis.csv", "UTC", 1050, 15214, 16),
]


@pytest.mark.parametrize(("name", "tz", "cases", "events", "activities"), COUNTS,
                         ids=[c[0] for c in COUNTS])
def test_counts_match_the_published_ones(name: str, tz: str | None, cases: int, events: int,
                                         activities: int | None) -> None:
    log = procflow.read(shared_file(name), tz=tz)
    summary = log.summary()
    assert log.report is not None and log.report.rejected == {}
    assert (summary["cases"], summary["events"]) == (cases, events)
    if activities is not None:
        assert summary["activities"] == activities


@pytest.mark.slow
def test_road_traffic_fines_counts() -> None:
    log = procflow.read(shared_file("road_traffic_fines_full.csv.gz"))
    summary = log.summary()
    assert (summary["cases"], summary["events"], summary["activities"]) == (150370, 561470, 11)


def test_receipt_csv_and_xes_give_the_same_events() -> None:
    cols = ["case_id", "activity", "timestamp", "resource", "unit", "lifecycle"]
    xes = procflow.read(shared_file("receipt.xes.gz")).to_pandas()[cols]
    csv = procflow.read(shared_file("receipt.csv")).to_pandas()[cols]
    pd.testing.assert_frame_equal(xes, csv)


def test_sepsis_keeps_case_na() -> None:
    df = procflow.read(shared_file("sepsis.csv"), tz="UTC").to_pandas()
    assert (df["case_id"] == "NA").sum() > 0
    assert df["case_id"].isna().sum() == 0


def test_start_times_from_lifecycle_and_attribute() -> None:
    consulta = procflow.read(shared_file("ConsultaDataMining201618.xes.gz"))
    life = consulta.report.details["lifecycle"]  # type: ignore[union-attr]
    assert life["mode"] == "standard" and life["paired"] > 0
    interval = procflow.read(shared_file("interval_event_log.xes"))
    assert interval.summary()["has_start_times"]


def test_bpic2013_lifecycle_is_an_attribute() -> None:
    log = procflow.read(shared_file("bpic2013_closed_problems.xes.gz"))
    assert log.report is not None
    assert log.report.details["lifecycle"]["mode"] == "attribute"
    assert any("not XES lifecycle transitions" in n for n in log.report.notes)


def test_bpi2020_roles_are_mapped() -> None:
    df = procflow.read(shared_file("BPI_2020_DomesticDeclarations.xes.gz")).to_pandas()
    assert {"SUPERVISOR", "BUDGET OWNER", "ADMINISTRATION"} <= set(df["role"].dropna())
