"""Each (field, value) against the rest: medians, bootstrap CI, Mann–Whitney, Cliff's delta.

The statistics are those of ``procflow compare`` (:mod:`procflow.compare.stats`): the rows with
the value are the "after" side and the others the "before" side, so ``diff_median`` =
median(with) − median(without) and a positive Cliff's delta means the value's rows take longer.
Both sides together are always all rows, so the pooled ranks and ties are computed once for
every pair and each pair's U is a sum of ranks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procflow.compare.stats import (
    Sample,
    Ties,
    benjamini_hochberg,
    iid_median_diff_ci,
    median_diff_ci,
    u_p_value,
)
from procflow.explain.bins import with_ranges
from procflow.explain.targets import MISSING, case_counts, field_codes

OTHER = "(other)"
#: Keys of each factor of explain.json, in order.
FACTOR_KEYS = ("field", "value", "cases", "median_with", "median_without", "diff_median",
               "ci95", "p_value", "cliffs_delta", "p_adjusted", "impact")


@dataclass(frozen=True)
class Grouping:
    """A field's rows grouped: ``labels[codes[i]]`` is row i's group (values with too few
    cases pooled into :data:`OTHER`); ``tested`` the group codes compared with the rest."""

    field: str
    codes: np.ndarray
    labels: list[str]
    tested: list[int]
    info: dict[str, Any]
    sorted_codes: np.ndarray
    rank_sums: np.ndarray


def group_field(frame: pd.DataFrame, field: str, pool: Pooled, min_cases: int,
                max_values: int) -> Grouping:
    """Pool the values of ``field`` with fewer than ``min_cases`` cases, keep at most
    ``max_values`` (the most frequent) and choose the groups to test: each value with at
    least ``min_cases`` cases whose rest has rows too (never the pooled rare values: a mix of
    amounts or ids says nothing as one group); of a field of two groups only the one
    with the higher median (the other is its mirror image)."""
    raw_codes, raw_labels = field_codes(frame, field)
    cases, values = pool.cases, pool.values
    counts = case_counts(cases, raw_codes, len(raw_labels))
    order = sorted(range(len(raw_labels)), key=lambda i: (-counts[i], str(raw_labels[i])))
    frequent = [i for i in order if counts[i] >= min_cases]
    kept = frequent[:max_values]
    mapping = np.full(len(raw_labels), len(kept), dtype=np.int64)
    for new, old in enumerate(kept):
        mapping[old] = new
    labels = [str(raw_labels[i]) for i in kept]
    codes = mapping[raw_codes] if len(raw_labels) else raw_codes.astype(np.int64)
    pooled = len(raw_labels) - len(kept)
    if pooled:
        labels.append(OTHER)
    group_cases = case_counts(cases, codes, len(labels))
    sizes = np.bincount(codes, minlength=len(labels))
    tested = [g for g in range(len(labels))  # the pooled rare values are no factor
              if group_cases[g] >= min_cases and 0 < sizes[g] < codes.size
              and not (pooled and g == len(kept))]
    if len(labels) == 2 and len(tested) == 2:
        medians = [float(np.median(values[codes == g])) for g in tested]
        tested = [tested[int(np.argmax(medians))]] if medians[0] != medians[1] else tested[:1]
    info = {"field": field, "values": len(raw_labels), "tested": len(tested),
            "pooled": pooled, "limited": len(frequent) > max_values,
            "missing": int((raw_codes == raw_labels.index(MISSING)).sum())
            if MISSING in raw_labels else 0}
    rank_sums = np.bincount(codes, weights=pool.ranks, minlength=len(labels))
    return Grouping(field, codes, labels, tested, info, codes[pool.order], rank_sums)


@dataclass(frozen=True)
class Pooled:
    """All rows' values with what every pair shares: midranks, tie group sizes and the
    ascending order (``per_case``: one row per case)."""

    values: np.ndarray
    cases: np.ndarray
    n_cases: int
    ranks: np.ndarray
    ties: Ties
    order: np.ndarray
    ordered: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, cases: np.ndarray, n_cases: int) -> Pooled:
        ranks = pd.Series(values).rank(method="average").to_numpy()
        _, sizes = np.unique(values, return_counts=True)
        order = np.argsort(values, kind="stable")
        return cls(values, cases, n_cases, ranks, Ties.of(sizes), order, values[order])

    @property
    def per_case(self) -> bool:
        return self.values.size == self.n_cases


def compare_group(pool: Pooled, grouping: Grouping, g: int, *, resamples: int, seed: int,
                  ci: bool = True) -> dict[str, Any]:
    """The rows of group ``g`` against the others: medians, difference, CI, p-value, delta
    (``grouping.sorted_codes`` are the codes in the pool's ascending order)."""
    inside = grouping.sorted_codes == g
    with_sorted, without_sorted = pool.ordered[inside], pool.ordered[~inside]
    n1, n2 = with_sorted.size, without_sorted.size
    median_with, median_without = _median(with_sorted), _median(without_sorted)
    u_with = float(grouping.rank_sums[g]) - n1 * (n1 + 1) / 2
    delta = (2 * u_with - n1 * n2) / (n1 * n2)
    p = u_p_value(max(u_with, n1 * n2 - u_with), n1, n2, pool.ties)
    interval = None
    if ci and pool.per_case:  # one value per case: the same bootstrap law, drawn directly
        interval = iid_median_diff_ci(without_sorted, with_sorted, resamples=resamples,
                                      seed=seed)
    elif ci:
        mask = grouping.codes == g
        interval = median_diff_ci(Sample(pool.values[~mask], pool.cases[~mask], pool.n_cases),
                                  Sample(pool.values[mask], pool.cases[mask], pool.n_cases),
                                  resamples=resamples, seed=seed)
    return {"median_with": median_with, "median_without": median_without,
            "diff_median": median_with - median_without,
            "ci95": None if interval is None else [interval[0], interval[1]],
            "p_value": p, "cliffs_delta": delta}


def _median(ascending: np.ndarray) -> float:
    """The median of values sorted ascending (as ``np.median``)."""
    half = ascending.size // 2
    if ascending.size % 2:
        return float(ascending[half])
    return float((ascending[half - 1] + ascending[half]) / 2)


def share_interval(with_values: np.ndarray, without_values: np.ndarray) -> list[float]:
    """95% normal-approximation interval of the difference of two shares (0/1 values)."""
    p1, p2 = float(with_values.mean()), float(without_values.mean())
    se = math.sqrt(p1 * (1 - p1) / with_values.size + p2 * (1 - p2) / without_values.size)
    return [p1 - p2 - 1.959963984540054 * se, p1 - p2 + 1.959963984540054 * se]


def factor_table(frame: pd.DataFrame, fields: list[str], n_cases: int, *, share: bool,
                 min_cases: int, max_values: int, resamples: int, seed: int, alpha: float
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Grouping]]:
    """Every tested (field, value) with its statistics, BH-adjusted over all of them and
    sorted: significant first (``p_adjusted < alpha``), then by impact (cases × difference),
    largest first. ``share`` (SLA breaches): the "medians" are shares of rows in breach and
    the CI the normal interval of the difference of shares. Also each field's grouping
    summary and the groupings themselves."""
    values = frame["value"].to_numpy(dtype=np.float64)
    cases = frame["case"].to_numpy(dtype=np.int64)
    pool = Pooled.of(values, cases, n_cases)
    frame, ranged = with_ranges(frame, fields)
    factors: list[dict[str, Any]] = []
    groupings = []
    for field in fields:
        grouping = group_field(frame, field, pool, min_cases, max_values)
        if field in ranged:
            grouping.info["ranges"] = True
        groupings.append(grouping)
        if not grouping.tested:
            continue
        group_cases = case_counts(cases, grouping.codes, len(grouping.labels))
        for g in grouping.tested:
            stats = compare_group(pool, grouping, g, resamples=resamples,
                                  seed=seed + len(factors), ci=not share)
            if share:
                mask = grouping.codes == g
                stats["median_with"] = float(values[mask].mean())
                stats["median_without"] = float(values[~mask].mean())
                stats["diff_median"] = stats["median_with"] - stats["median_without"]
                stats["ci95"] = share_interval(values[mask], values[~mask])
            factor = {"field": field, "value": grouping.labels[g],
                      "cases": int(group_cases[g]), **stats, "p_adjusted": None}
            factor["impact"] = factor["cases"] * factor["diff_median"]
            factors.append({k: factor[k] for k in FACTOR_KEYS})
    for factor, adjusted in zip(factors, benjamini_hochberg([f["p_value"] for f in factors]),
                                strict=True):
        factor["p_adjusted"] = adjusted
    factors.sort(key=lambda f: (not is_significant(f, alpha), -f["impact"], f["field"],
                                f["value"]))
    return factors, [g.info for g in groupings], groupings


def is_significant(factor: dict[str, Any], alpha: float) -> bool:
    """``p_adjusted < alpha``."""
    return factor["p_adjusted"] is not None and factor["p_adjusted"] < alpha
