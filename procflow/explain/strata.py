"""Confounding checks: a factor's effect within strata of another field, and a shallow tree.

For each of the strongest factors, the difference of medians is measured again inside each
group of the next strongest field (the strongest factor of another field), so that a report
can say whether the effect holds within each permit type or is the permit type's in disguise.
The decision tree (scikit-learn, depth ≤ 3) on the tested factors is a second view of how
they interact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from procflow.explain.factors import Grouping, is_significant

#: How many of the strongest factors are checked within strata.
TOP_CHECKED = 5
#: Rows on each side of a stratum for its difference to count.
MIN_STRATUM = 10
#: The tree is fitted on at most this many rows (a seeded sample beyond).
TREE_ROWS = 50_000
#: The tree chooses among at most this many factors (the first of the ranking).
TREE_FACTORS = 20


def confounding(factors: list[dict[str, Any]], groupings: list[Grouping],
                values: np.ndarray, *, alpha: float, share: bool) -> list[dict[str, Any]]:
    """For each of the first :data:`TOP_CHECKED` significant factors that lengthen the
    target: the difference (with − without) within each group of the next strongest field
    (the field of the first factor of another field in the ranking that splits the factor's
    rows into at least two strata), the strata where both sides have :data:`MIN_STRATUM`
    rows, how many point the same way, and the mean of the strata's differences weighted by
    the rows with the value."""
    by_field = {g.field: g for g in groupings}
    strong = [f for f in factors if is_significant(f, alpha) and f["diff_median"] > 0]
    out = []
    for factor in strong[:TOP_CHECKED]:
        own = by_field[factor["field"]]
        mask = own.codes == own.labels.index(factor["value"])
        others = list(dict.fromkeys(f["field"] for f in factors if f["field"] != factor["field"]))
        for field in others:
            strata = _strata(mask, by_field[field], values, share)
            if len(strata) >= 2:
                break
        else:
            continue
        weight = sum(s["rows_with"] for s in strata)
        out.append({
            "field": factor["field"], "value": factor["value"], "within": field,
            "diff_median": factor["diff_median"], "strata": strata,
            "strata_tested": len(strata),
            "same_direction": sum(1 for s in strata if s["diff_median"] > 0),
            "diff_within": sum(s["diff_median"] * s["rows_with"] for s in strata) / weight})
    return out


def _strata(mask: np.ndarray, within: Grouping, values: np.ndarray, share: bool
            ) -> list[dict[str, Any]]:
    """The difference (with − without) inside each group of ``within`` where both sides have
    :data:`MIN_STRATUM` rows (medians; means of 0/1 values for ``share``)."""
    centre = np.mean if share else np.median
    strata = []
    for s, label in enumerate(within.labels):
        inside = within.codes == s
        with_values, without_values = values[mask & inside], values[~mask & inside]
        if with_values.size < MIN_STRATUM or without_values.size < MIN_STRATUM:
            continue
        strata.append({"value": label, "rows_with": int(with_values.size),
                       "rows_without": int(without_values.size),
                       "diff_median": float(centre(with_values) - centre(without_values))})
    return strata


def decision_tree(factors: list[dict[str, Any]], groupings: list[Grouping],
                  values: np.ndarray, *, min_rows: int, seed: int) -> dict[str, Any] | None:
    """A regression tree of depth ≤ 3 on indicators of the first :data:`TREE_FACTORS`
    factors (leaves of at least ``min_rows`` rows): its nodes, each with the split
    (``field`` = ``value``: rows with it go to ``yes``), rows and median. None without
    factors or rows."""
    from sklearn.tree import DecisionTreeRegressor

    chosen = factors[:TREE_FACTORS]
    if not chosen or values.size < 2 * min_rows:
        return None
    by_field = {g.field: g for g in groupings}
    rows = np.arange(values.size)
    if values.size > TREE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(values.size, TREE_ROWS,
                                                           replace=False))
    columns = np.empty((rows.size, len(chosen)), dtype=np.uint8)
    for j, f in enumerate(chosen):
        g = by_field[f["field"]]
        columns[:, j] = g.codes[rows] == g.labels.index(f["value"])
    y = values[rows]
    model = DecisionTreeRegressor(max_depth=3, min_samples_leaf=min_rows, random_state=seed)
    model.fit(columns, y)
    tree = model.tree_
    path = model.decision_path(columns).tocsc()
    nodes = []
    for node in range(tree.node_count):
        members = y[path.indices[path.indptr[node]:path.indptr[node + 1]]]
        split = tree.children_left[node] != tree.children_right[node]
        feature = chosen[int(tree.feature[node])] if split else None
        nodes.append({
            "id": node, "field": feature["field"] if feature else None,
            "value": feature["value"] if feature else None,
            # sklearn sends indicator ≤ 0.5 (without the value) left.
            "yes": int(tree.children_right[node]) if split else None,
            "no": int(tree.children_left[node]) if split else None,
            "rows": int(members.size), "median": float(np.median(members)),
        })
    return {"rows": int(rows.size), "sampled": bool(rows.size < values.size),
            "max_depth": 3, "min_rows": min_rows, "nodes": nodes}
