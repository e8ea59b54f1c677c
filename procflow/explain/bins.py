"""Numeric fields as ranges: a case attribute whose values are all numbers (an amount, an
area, a count) and many is cut at its quintiles over the cases into at most :data:`BINS`
ranges with readable edges (three significant digits), so that its values are compared as
ranges (``≤ 410``, ``410 – 820``, ``> 1640``) rather than as hundreds of single values.

A range ``a – b`` holds the values above ``a`` up to ``b``."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

#: Most ranges of a numeric field.
BINS = 5
#: Fewer distinct numbers than this: the field keeps its values.
MIN_DISTINCT = 2 * BINS


def edge(value: float) -> float:
    """``value`` rounded to three significant digits (``409.7`` → ``410``)."""
    return float(f"{value:.3g}")


def shown(value: float) -> str:
    """An edge as text: whole numbers without a point (``1230``, ``0.5``)."""
    return str(int(value)) if value == int(value) else f"{value:g}"


def range_edges(label: str) -> tuple[str | None, str | None] | None:
    """The (low, high) edges of a range label (None for an open side), or None when
    ``label`` is not one: ``"≤ 410"`` → (None, "410"), ``"410 – 820"`` → ("410", "820")."""
    if label.startswith("≤ "):
        return None, label[2:]
    if label.startswith("> "):
        return label[2:], None
    low, dash, high = label.partition(" – ")
    return (low, high) if dash and _number(low) and _number(high) else None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def numeric_ranges(column: pd.Series, cases: np.ndarray) -> pd.Series | None:
    """``column`` (text, one row per event or case) as range labels, or None when it is not
    numeric or has fewer than :data:`MIN_DISTINCT` distinct numbers. The edges are the
    quintiles of the cases' values (one value per case), rounded; missing values stay
    missing."""
    present = column.notna()
    numbers = pd.to_numeric(column.where(present), errors="coerce")
    if not present.any() or numbers[present].isna().any():
        return None
    per_case = pd.Series(numbers.to_numpy(dtype=np.float64)).groupby(cases).first().dropna()
    if per_case.nunique() < MIN_DISTINCT:
        return None
    quantiles = np.quantile(per_case.to_numpy(), np.linspace(0, 1, BINS + 1))
    inner = np.unique([edge(q) for q in quantiles[1:-1]])
    labels = ([f"≤ {shown(inner[0])}"]
              + [f"{shown(a)} – {shown(b)}" for a, b in itertools.pairwise(inner)]
              + [f"> {shown(inner[-1])}"])
    codes = np.searchsorted(inner, numbers.to_numpy(dtype=np.float64), side="left")
    out = pd.Series(np.array(labels, dtype=object)[np.minimum(codes, len(labels) - 1)],
                    index=column.index, dtype="string")
    return out.where(present)


def with_ranges(frame: pd.DataFrame, fields: list[str]) -> tuple[pd.DataFrame, set[str]]:
    """``frame`` with its numeric attribute fields (``attr:…``) as ranges, and which."""
    cases = frame["case"].to_numpy()
    binned: dict[str, pd.Series] = {}
    for field in fields:
        if field.startswith("attr:"):
            ranges = numeric_ranges(frame[field], cases)
            if ranges is not None:
                binned[field] = ranges
    return (frame.assign(**binned) if binned else frame), set(binned)
