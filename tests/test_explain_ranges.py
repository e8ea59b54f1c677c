"""Numeric case attributes in ``explain`` are compared as ranges with readable edges; a planted
numeric cause (buildings above 800 m² wait three days longer) is found as its range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import procflow
from procflow.core.i18n import Texts
from procflow.explain import explain
from procflow.explain.bins import edge, numeric_ranges
from procflow.explain.narrative import condition
from procflow.simulate.causes import AREA_DAYS, AREA_LIMIT, VERIFICATION, planted_log

DAY = 86_400.0


def test_ten_cases_cut_at_their_quintiles() -> None:
    """1 … 10, one row per case: quintiles 2.8, 4.6, 6.4 and 8.2 (linear, by hand)."""
    got = numeric_ranges(pd.Series([str(v) for v in range(1, 11)], dtype="string"),
                         np.arange(10))
    assert got is not None
    assert list(got) == ["≤ 2.8"] * 2 + ["2.8 – 4.6"] * 2 + ["4.6 – 6.4"] * 2 + [
        "6.4 – 8.2"] * 2 + ["> 8.2"] * 2


def test_rows_of_a_case_count_once_and_missing_stays_missing() -> None:
    """Case 0 has three rows: the edges come from one value per case."""
    values = pd.Series(["1", "1", "1", *[str(v) for v in range(2, 11)], None], dtype="string")
    cases = np.array([0, 0, 0, *range(1, 10), 10])
    got = numeric_ranges(values, cases)
    assert got is not None and list(got[:3]) == ["≤ 2.8"] * 3 and pd.isna(got.iloc[-1])


@pytest.mark.parametrize("values", [["a", "1", "2"] * 5, [str(v % 4) for v in range(40)]])
def test_text_and_few_numbers_keep_their_values(values: list[str]) -> None:
    assert numeric_ranges(pd.Series(values, dtype="string"), np.arange(len(values))) is None


def test_edges_have_three_significant_digits() -> None:
    assert [edge(v) for v in (409.7, 1234.5, 0.012345, 7.0)] == [410.0, 1230.0, 0.0123, 7.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 2)),
                min_size=10, max_size=80))
def test_every_value_lies_in_its_range(numbers: list[float]) -> None:
    got = numeric_ranges(pd.Series([repr(v) for v in numbers], dtype="string"),
                         np.arange(len(numbers)))
    if len(set(numbers)) < 10:
        assert got is None
        return
    assert got is not None
    for value, label in zip(numbers, got, strict=True):
        if label.startswith("≤ "):
            assert value <= float(label[2:])
        elif label.startswith("> "):
            assert value > float(label[2:])
        else:
            low, high = (float(x) for x in label.split(" – "))
            assert low < value <= high


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_planted_numeric_cause_comes_first_as_its_range(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "area.csv"
    planted_log(600, seed, area=True).to_csv(path, index=False)
    result = explain(procflow.read(path), f"decision:{VERIFICATION}", seed=seed).to_dict()
    first = result["factors"][0]
    assert first["field"] == "attr:luas_m2" and first["value"].startswith("> "), first
    assert first["p_adjusted"] < 0.05 and first["diff_median"] > AREA_DAYS * DAY / 2, first
    # the top range starts near the planted limit (the 80th percentile of 20 … 2,000 m²,
    # log-uniform, is 20 · 100^0.8 ≈ 796 m²)
    assert 0.8 * AREA_LIMIT < float(first["value"][2:]) < 1.2 * AREA_LIMIT, first
    ranged = next(f for f in result["fields"] if f["field"] == "attr:luas_m2")
    assert ranged["ranges"] and ranged["values"] == 5 and ranged["pooled"] == 0


@pytest.mark.parametrize(("lang", "value", "text"), [
    ("en", "≤ 410", "luas_m2 is at most 410"), ("en", "> 1640", "luas_m2 is above 1640"),
    ("en", "410 – 820", "luas_m2 is above 410 and at most 820"),
    ("id", "410 – 820", "luas_m2 di atas 410 dan paling banyak 820"),
    ("en", "A – B", "luas_m2 is A – B")])
def test_a_range_is_said_in_words(lang: str, value: str, text: str) -> None:
    assert condition("attr:luas_m2", value, Texts(lang)) == text
