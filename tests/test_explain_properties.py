"""Invariants of the factor table on random rows: the figures from pooled ranks agree with
compare's pairwise statistics and with numpy on each side, BH never lowers a p-value, the
ranking is significant first and then by impact, and every interval is ordered."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.compare.stats import cliffs_delta, mann_whitney_p
from procflow.explain.factors import OTHER, factor_table, is_significant

ALPHA = 0.05


@st.composite
def rows(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """A frame of rows (some cases with two rows), integer values with ties, two fields."""
    n_cases = draw(st.integers(8, 60))
    repeats = draw(st.lists(st.integers(1, 2), min_size=n_cases, max_size=n_cases))
    case = np.repeat(np.arange(n_cases), repeats)
    size = case.size
    values = draw(st.lists(st.integers(0, 40), min_size=size, max_size=size))
    field_a = draw(st.lists(st.sampled_from(["x", "y", "z", None]), min_size=size,
                            max_size=size))
    field_b = draw(st.lists(st.sampled_from(["p", "q"]), min_size=n_cases, max_size=n_cases))
    frame = pd.DataFrame({"case": case, "value": np.array(values, dtype=np.float64) * 3600,
                          "a": field_a, "b": np.array(field_b, dtype=object)[case]})
    return frame, n_cases


@settings(max_examples=40, deadline=None)
@given(rows(), st.integers(1, 6))
def test_factor_figures_agree_with_pairwise_statistics(data: tuple[pd.DataFrame, int],
                                                       min_cases: int) -> None:
    frame, n_cases = data
    factors, fields, _ = factor_table(frame, ["a", "b"], n_cases, share=False,
                                      min_cases=min_cases, max_values=20, resamples=50, seed=1,
                                      alpha=ALPHA)
    assert [f["field"] for f in fields] == ["a", "b"]
    values = frame["value"].to_numpy()
    for f in factors:
        column = frame[f["field"]].astype(object).where(frame[f["field"]].notna(), "(missing)")
        if f["value"] == OTHER:
            continue
        mask = (column == f["value"]).to_numpy()
        with_values, without_values = values[mask], values[~mask]
        assert f["cases"] == frame.loc[mask, "case"].nunique() >= min_cases
        assert f["median_with"] == np.median(with_values)
        assert f["median_without"] == np.median(without_values)
        assert f["diff_median"] == f["median_with"] - f["median_without"]
        assert f["impact"] == f["cases"] * f["diff_median"]
        assert np.isclose(f["p_value"], mann_whitney_p(without_values, with_values))
        assert np.isclose(f["cliffs_delta"], cliffs_delta(without_values, with_values))
        assert f["p_adjusted"] >= f["p_value"] - 1e-12
        assert f["ci95"][0] <= f["ci95"][1]
    keys = [(not is_significant(f, ALPHA), -f["impact"]) for f in factors]
    assert keys == sorted(keys)
