"""Statistics behind ``procflow compare`` (METRICS.md §9): before/after KPI comparison.

Pure numpy. Per KPI: a description of each side (the ``STATS`` shape), the median difference
``after − before`` with a cluster-bootstrap percentile CI (cases resampled with replacement), the
two-sided Mann–Whitney U p-value, Cliff's delta, and — across KPIs, by the caller —
Benjamini–Hochberg adjusted p-values and a verdict.

The bootstrap is exact case resampling made cheap: a resample draws ``K`` cases with replacement
(multiplicities ~ Multinomial(K, 1/K)), and its median is the weighted median of the sorted values
with each value weighted by its case's multiplicity. Only the cases owning values in a central
window of the sorted values need individual multiplicities; the other cases are pooled into groups
sharing (values below the window, values in total), so one multinomial over
``|window cases| + |groups|`` categories per resample gives the exact same law as drawing all ``K``
cases. The rare resample whose median leaves the window is redrawn within its groups (conditional
multinomial, still exact) and solved on all values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Verdict = Literal["improved", "worsened", "unchanged", "unclear"]
#: Why a significant change is ``unclear``: the median did not move, moved against most values,
#: may not have moved (its interval spans zero), or moved far while most values barely did.
UnclearReason = Literal["median_flat", "median_against_delta", "interval_spans_zero",
                        "median_without_effect"]

#: Largest number of array cells (resamples × categories or window positions) held per chunk.
CHUNK_CELLS = 4_000_000
#: Mann–Whitney uses the exact null distribution when either side has at most this many values
#: and there are no ties (scipy's ``method="auto"`` rule); otherwise the normal approximation.
EXACT_MAX_N = 8
#: ...as long as the exact counts fit in 64-bit integers and in memory (``n1·n2`` cells); past
#: that (a side of ≤ 8 against ~800+ values) the normal approximation is used.
EXACT_MAX_CELLS = 1_000_000
#: Smallest |Cliff's delta| that counts as a change (Romano et al.'s "small" effect).
MIN_EFFECT = 0.147
#: Smallest change of the median, as a share of the median before, that is not negligible
#: when most values barely moved (|Cliff's delta| below :data:`MIN_EFFECT`).
MEDIAN_SHIFT = 0.25
#: Half-width of the bootstrap window, in standard-deviation bounds of the median's position
#: (sd ≤ sqrt(Σ values-per-case²) / 2): 3 bounds = 6 sd, so fallbacks are very rare.
WINDOW_BOUNDS = 3.0


@dataclass(frozen=True, eq=False)
class Sample:
    """Values of one KPI on one side, each belonging to a case (cluster) for resampling.

    ``values`` are float64 and finite; ``cases[i]`` is the case index (0..n_cases-1) of
    ``values[i]``; a case may own several values (e.g. decision latencies) or none. Arrays are
    stored read-only.
    """

    values: FloatArray
    cases: IntArray
    n_cases: int

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=np.float64)
        cases = np.array(self.cases, dtype=np.int64)
        if values.ndim != 1 or cases.shape != values.shape:
            raise ValueError("values and cases must be 1-D arrays of the same length")
        if not np.isfinite(values).all():
            raise ValueError("values must be finite (no NaN or infinity)")
        if self.n_cases < 0 or (cases.size and (cases.min() < 0 or cases.max() >= self.n_cases)):
            raise ValueError(f"cases must lie in 0..n_cases-1 (n_cases={self.n_cases})")
        values.setflags(write=False)
        cases.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "cases", cases)
        object.__setattr__(self, "n_cases", int(self.n_cases))

    @classmethod
    def per_case(cls, values: ArrayLike) -> Sample:
        """One value per case (cycle time, handoffs per case, …)."""
        v = np.asarray(values, dtype=np.float64).ravel()
        return cls(v, np.arange(v.size, dtype=np.int64), v.size)

    @classmethod
    def clustered(cls, values: ArrayLike, case_ids: ArrayLike) -> Sample:
        """Several values per case, the case given by any label (codes or names)."""
        v = np.asarray(values, dtype=np.float64).ravel()
        labels, inverse = np.unique(np.asarray(case_ids).ravel(), return_inverse=True)
        return cls(v, inverse.astype(np.int64).ravel(), labels.size)


# --------------------------------------------------------------------------- description


def describe(s: Sample) -> dict[str, float | int | None]:
    """``{"n", "mean", "median", "p90", "max", "total"}`` of the values (procflow's STATS shape).

    p90 interpolates linearly (numpy's default, as DuckDB ``quantile_cont``). With no values,
    everything but ``n`` (0) and ``total`` (0.0) is None.
    """
    v = s.values
    if v.size == 0:
        return {"n": 0, "mean": None, "median": None, "p90": None, "max": None, "total": 0.0}
    p90 = np.percentile(v, 90)
    return {"n": int(v.size), "mean": float(np.mean(v)), "median": float(np.median(v)),
            "p90": float(p90), "max": float(np.max(v)), "total": float(np.sum(v))}


# --------------------------------------------------------------------------- weighted medians


def window_medians(values: FloatArray, weights: IntArray, before: IntArray,
                   total: IntArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Weighted medians of multisets known through a window of their sorted values.

    Row ``r`` is a multiset of ``total[r]`` values: ``before[r]`` below the window, then
    ``values[j]`` (ascending) repeated ``weights[r, j]`` times, then the rest above it. Its
    median is element ``(T-1)//2`` for odd T, else the midpoint of elements ``T//2 - 1`` and
    ``T//2`` (0-based ranks) — exactly ``np.median`` of the expanded values. Returns the medians
    and a mask of rows whose middle element(s) fall inside the window; other rows' medians are
    meaningless. With ``before = 0`` and ``total = weights.sum(1)`` every row is inside.

    One cumulative sum over the flattened rows (monotone across rows) and one ``searchsorted``
    for all ranks.
    """
    rows, width = weights.shape
    cum = np.cumsum(weights, axis=None, dtype=np.int64)
    ends = cum[width - 1::width]
    starts = np.concatenate([[0], ends[:-1]])
    k_lo = (total - 1) // 2 - before  # ranks inside the window
    k_hi = total // 2 - before
    inside = (k_lo >= 0) & (k_hi < ends - starts)
    offsets = np.arange(rows, dtype=np.int64) * width

    def position(k: IntArray) -> IntArray:
        found = np.searchsorted(cum, starts + k, side="right") - offsets
        return np.clip(found, 0, width - 1)

    lo, hi = position(k_lo), position(k_hi)
    v_lo, v_hi = values[lo], values[hi]
    return np.where(lo == hi, v_lo, (v_lo + v_hi) / 2), inside


def spread(rng: np.random.Generator, totals: IntArray, members: int) -> IntArray:
    """Multinomial(totals[r], uniform over ``members``) per row: each of a row's ``totals[r]``
    draws picks a member uniformly (rows × members)."""
    rows = totals.size
    picks = rng.integers(0, members, size=int(totals.sum()))
    keys = np.repeat(np.arange(rows, dtype=np.int64) * members, totals) + picks
    return np.bincount(keys, minlength=rows * members).reshape(rows, members)


def weighted_medians(sorted_values: FloatArray, weights: IntArray) -> FloatArray:
    """Median of each row's multiset ``sorted_values`` repeated ``weights[r]`` times (T > 0)."""
    weights = np.atleast_2d(weights)
    total = weights.sum(axis=1)
    medians, _ = window_medians(sorted_values, weights, np.zeros_like(total), total)
    return medians


# --------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True, eq=False)
class _Resampler:
    """One side prepared for case resampling (see the module docstring).

    Categories are the window cases (one each), then groups of the other cases sharing
    (values below the window, values in total). ``below``/``size`` hold, per category, the
    values below the window / in total of ONE member case.
    """

    sorted_values: FloatArray  # all values, ascending
    sorted_cases: IntArray  # compact case (0..K-1) of each sorted value
    n_cases: int  # K: cases with at least one value
    start: int  # window = sorted positions start..stop-1
    stop: int
    window_columns: IntArray  # category of each window position
    window_cases: IntArray  # case of each window category
    groups: tuple[IntArray, ...]  # member cases of each group category
    below: IntArray
    size: IntArray
    pvals: FloatArray  # probability of the window block, then of each group

    @property
    def window_is_cases(self) -> bool:
        """Each window position is its own case, in order (one value per case)."""
        return self.window_cases.size == self.stop - self.start and bool(
            (self.window_columns == np.arange(self.window_columns.size)).all())

    def draw(self, rng: np.random.Generator, rows: int) -> IntArray:
        """Category counts of ``rows`` resamples of K cases (rows × categories).

        Multinomial(K, 1/K per case) aggregated: first how many draws land on the window cases
        as a block and on each group, then the block spread uniformly over the window cases.
        """
        block = rng.multinomial(self.n_cases, self.pvals, size=rows).astype(np.int64, copy=False)
        window = spread(rng, block[:, 0], self.window_cases.size)
        return np.concatenate([window, block[:, 1:]], axis=1)

    def medians(self, counts: IntArray, rng: np.random.Generator) -> FloatArray:
        """Medians of the resamples drawn as ``counts``; window misses are redrawn within groups
        (``rng``) and solved on all values."""
        before = counts @ self.below
        total = counts @ self.size
        window = self.sorted_values[self.start:self.stop]
        weights = counts[:, :window.size] if self.window_is_cases else \
            counts[:, self.window_columns]
        medians, inside = window_medians(window, weights, before, total)
        if not inside.all():
            full = self.expand(counts[~inside], rng)
            medians[~inside] = weighted_medians(self.sorted_values, full[:, self.sorted_cases])
        return medians

    def expand(self, counts: IntArray, rng: np.random.Generator) -> IntArray:
        """Per-case multiplicities (rows × K) consistent with category ``counts``: each group's
        count spread uniformly over its members (conditional multinomial)."""
        full = np.zeros((counts.shape[0], self.n_cases), dtype=np.int64)
        n_window = self.window_cases.size
        full[:, self.window_cases] = counts[:, :n_window]
        for g, members in enumerate(self.groups):
            full[:, members] = spread(rng, counts[:, n_window + g], members.size)
        return full


def _resampler(s: Sample, bounds: float = WINDOW_BOUNDS) -> _Resampler:
    """Prepare ``s`` (with values) for resampling: sort once, choose the window, group cases.

    Cases without values are left out: they carry nothing about the median, so the bootstrap
    resamples the K cases that have values.
    """
    order = np.argsort(s.values, kind="stable")
    present, compact = np.unique(s.cases[order], return_inverse=True)
    sorted_cases = compact.astype(np.int64).ravel()
    k = present.size
    n = sorted_cases.size
    size = np.bincount(sorted_cases, minlength=k)
    half = math.ceil(bounds * math.sqrt(float(np.sum(size * size)))) + 1
    start, stop = max(0, n // 2 - half), min(n, n // 2 + half + 1)
    below = np.bincount(sorted_cases[:start], minlength=k)
    window_cases, window_columns = np.unique(sorted_cases[start:stop], return_inverse=True)
    others = np.ones(k, dtype=bool)
    others[window_cases] = False
    other_cases = np.flatnonzero(others)
    keys = below[other_cases] * (int(size.max()) + 1) + size[other_cases]
    _, group_of = np.unique(keys, return_inverse=True)
    by_group = np.argsort(group_of, kind="stable")
    boundaries = np.flatnonzero(np.diff(group_of[by_group])) + 1
    groups = tuple(other_cases[i] for i in np.split(by_group, boundaries) if i.size)
    first = np.array([g[0] for g in groups], dtype=np.int64)
    members = np.array([g.size for g in groups], dtype=np.float64)
    return _Resampler(
        sorted_values=s.values[order], sorted_cases=sorted_cases, n_cases=k, start=start,
        stop=stop, window_columns=window_columns.astype(np.int64).ravel(),
        window_cases=window_cases.astype(np.int64), groups=groups,
        below=np.concatenate([below[window_cases], below[first]]).astype(np.int64),
        size=np.concatenate([size[window_cases], size[first]]).astype(np.int64),
        pvals=np.concatenate([[window_cases.size], members]) / k)


def bootstrap_medians(s: Sample, resamples: int, rng: np.random.Generator, *,
                      rows_per_chunk: int | None = None) -> FloatArray:
    """Medians of ``resamples`` case-bootstrap resamples of ``s`` (which must have values)."""
    plan = _resampler(s)
    rows = rows_per_chunk or _rows_per_chunk(plan)
    out = np.empty(resamples)
    for done in range(0, resamples, rows):
        r = min(rows, resamples - done)
        out[done:done + r] = plan.medians(plan.draw(rng, r), rng)
    return out


def _rows_per_chunk(*plans: _Resampler) -> int:
    width = max(p.window_cases.size + p.pvals.size + (p.stop - p.start) for p in plans)
    return max(1, CHUNK_CELLS // width)


def median_diff_ci(before: Sample, after: Sample, *, resamples: int = 2000, level: float = 0.95,
                   seed: int = 0, progress: Callable[[int], None] | None = None,
                   ) -> tuple[float, float] | None:
    """Percentile-bootstrap CI of ``median(after) − median(before)``.

    Cases are resampled with replacement on each side independently (cluster bootstrap: a
    resampled case brings all its values); each side has its own random stream spawned from
    ``seed``, so results are reproducible for the same data, ``seed``, ``resamples`` and
    ``CHUNK_CELLS`` (and numpy's generator algorithms).
    ``progress`` is called after each chunk with the number of resamples done. None when a side
    has no values.
    """
    if before.values.size == 0 or after.values.size == 0:
        return None
    if resamples < 1 or not 0 < level < 1:
        raise ValueError("resamples must be ≥ 1 and level in (0, 1)")
    plans = (_resampler(before), _resampler(after))
    rngs = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(2)]
    rows = _rows_per_chunk(*plans)
    diffs = np.empty(resamples)
    for done in range(0, resamples, rows):
        r = min(rows, resamples - done)
        (plan_b, plan_a), (rng_b, rng_a) = plans, rngs
        diffs[done:done + r] = (plan_a.medians(plan_a.draw(rng_a, r), rng_a)
                                - plan_b.medians(plan_b.draw(rng_b, r), rng_b))
        if progress is not None:
            progress(done + r)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(diffs, [tail, 100 - tail])
    return float(lo), float(hi)


def iid_bootstrap_medians(sorted_values: FloatArray, resamples: int,
                          rng: np.random.Generator) -> FloatArray:
    """Medians of ``resamples`` bootstrap resamples of ``sorted_values`` (ascending, one value
    per case), drawn without drawing the resamples: the same law as :func:`bootstrap_medians`
    of :meth:`Sample.per_case`, in O(resamples).

    A resample's values are ``x[ceil(m·U)]`` for m independent uniforms U, a non-decreasing
    map, so its k-th smallest value is ``x[ceil(m·U_(k))]`` with the uniforms' order
    statistic ``U_(k) ~ Beta(k, m − k + 1)``; the next one is ``U_(k) + (1 − U_(k))·B`` with
    ``B ~ Beta(1, m − k)`` (the least of the m − k uniforms above it). The median is the
    middle value (odd m) or the mean of the two middle ones (even m)."""
    m = sorted_values.size
    k = (m + 1) // 2
    u = rng.beta(k, m - k + 1, resamples)

    def at(q: FloatArray) -> FloatArray:
        return sorted_values[np.clip(np.ceil(m * q).astype(np.int64), 1, m) - 1]

    if m % 2:
        return at(u)
    upper = u + (1 - u) * rng.beta(1, m - k, resamples)
    return (at(u) + at(upper)) / 2


def iid_median_diff_ci(before: FloatArray, after: FloatArray, *, resamples: int = 2000,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float] | None:
    """:func:`median_diff_ci` for sides of one value per case given sorted ascending (the same
    law, drawn by :func:`iid_bootstrap_medians`; other random numbers, so other digits for a
    seed): for the many comparisons of one log. None when a side is empty."""
    if before.size == 0 or after.size == 0:
        return None
    if resamples < 1 or not 0 < level < 1:
        raise ValueError("resamples must be ≥ 1 and level in (0, 1)")
    rng_b, rng_a = (np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(2))
    diffs = (iid_bootstrap_medians(after, resamples, rng_a)
             - iid_bootstrap_medians(before, resamples, rng_b))
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(diffs, [tail, 100 - tail])
    return float(lo), float(hi)


# --------------------------------------------------------------------------- rank statistics


def _pair_counts(x: FloatArray, y: FloatArray) -> tuple[int, int]:
    """(#pairs with y > x, #pairs with y < x) over all x×y pairs, by sorting x once."""
    xs = np.sort(x)
    below = np.searchsorted(xs, y, side="left")  # x < y_j
    not_above = np.searchsorted(xs, y, side="right")  # x ≤ y_j
    return int(below.sum()), int((xs.size - not_above).sum())


def cliffs_delta(x: ArrayLike, y: ArrayLike) -> float | None:
    """Cliff's delta P(y > x) − P(y < x), x = before, y = after (negative: after smaller).

    O((n+m) log n) by sorting; None when a side is empty.
    """
    xa, ya = _as_values(x), _as_values(y)
    if xa.size == 0 or ya.size == 0:
        return None
    greater, less = _pair_counts(xa, ya)
    return (greater - less) / (xa.size * ya.size)


def exact_fits(n1: int, n2: int) -> bool:
    """Whether the exact U distribution of sizes ``n1``, ``n2`` is computed (see above)."""
    small = min(n1, n2)
    return (small <= EXACT_MAX_N and n1 * n2 <= EXACT_MAX_CELLS
            and math.comb(n1 + n2, small) < 2**62)


def _u_counts(m: int, n: int) -> IntArray:
    """Number of arrangements giving each U = 0..m·n for samples of sizes m ≤ n, no ties.

    These are the coefficients of the Gaussian binomial ``[m+n choose m]_q`` =
    ∏_{i=1..m} (1 − q^(n+i)) / (1 − q^i): multiply by each numerator, divide by each
    denominator (a running sum with stride i); exact in int64 where :func:`exact_fits` holds.
    """
    size = m * n + 1
    counts = np.zeros(size + n + m, dtype=np.int64)  # room for the numerators' degree
    counts[0] = 1
    for i in range(1, m + 1):
        shift = n + i
        counts[shift:] -= counts[:-shift].copy()
        padded = np.zeros(-(-counts.size // i) * i, dtype=np.int64)
        padded[:counts.size] = counts
        counts = np.cumsum(padded.reshape(-1, i), axis=0).ravel()[:counts.size]
    return counts[:size]


def mann_whitney_p(x: ArrayLike, y: ArrayLike) -> float | None:
    """Two-sided Mann–Whitney U p-value (scipy ``mannwhitneyu`` semantics).

    Exact null distribution when either side has ≤ ``EXACT_MAX_N`` values and no value is tied
    (scipy's ``method="auto"`` rule, within :func:`exact_fits`); otherwise the normal
    approximation with tie correction and continuity correction (``method="asymptotic",
    use_continuity=True``). None if a side is empty; 1.0 if all values are equal.
    """
    xa, ya = _as_values(x), _as_values(y)
    n1, n2 = xa.size, ya.size
    if n1 == 0 or n2 == 0:
        return None
    _, ties = np.unique(np.concatenate([xa, ya]), return_counts=True)
    if ties.size == 1:
        return 1.0
    greater, less = _pair_counts(xa, ya)
    tied = n1 * n2 - greater - less
    u = max(less, greater) + tied / 2  # max(U1, U2); U1 = #(x > y) + ties / 2
    return u_p_value(u, n1, n2, ties)


@dataclass(frozen=True)
class Ties:
    """What the Mann–Whitney test needs of the pooled values' groups of equal values: how
    many groups, the largest, and Σ (t³ − t) over their sizes t."""

    groups: int
    largest: int
    term: float

    @classmethod
    def of(cls, sizes: IntArray) -> Ties:
        t = sizes.astype(np.float64)
        return cls(int(sizes.size), int(sizes.max()) if sizes.size else 0,
                   float(np.sum(t**3 - t)))


def u_p_value(u: float, n1: int, n2: int, ties: IntArray | Ties) -> float:
    """The two-sided p-value of ``u = max(U1, U2)`` for sides of ``n1`` and ``n2`` values whose
    pooled values come in groups of equal values of sizes ``ties`` (or their :class:`Ties`,
    computed once for many splits of the same values), as :func:`mann_whitney_p`: exact
    without ties for small sides, else normal with tie and continuity corrections. For
    callers holding U from ranks of the pooled values."""
    if not isinstance(ties, Ties):
        ties = Ties.of(ties)
    if ties.groups <= 1:
        return 1.0
    if ties.largest == 1 and exact_fits(n1, n2):
        counts = _u_counts(min(n1, n2), max(n1, n2))
        return min(1.0, 2 * int(counts[int(u):].sum()) / math.comb(n1 + n2, n1))
    n = n1 + n2
    tie_term = ties.term
    var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if not var > 0:
        return 1.0
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(var)
    return min(1.0, math.erfc(z / math.sqrt(2)))  # 2 · Φ(−z)


def _as_values(a: ArrayLike) -> FloatArray:
    v = np.asarray(a, dtype=np.float64).ravel()
    if np.isnan(v).any():
        raise ValueError("values must not contain NaN")
    return v


# --------------------------------------------------------------------------- across KPIs


def benjamini_hochberg(p: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1).

    None entries stay None in place and do not count in m (as scipy
    ``false_discovery_control(method="bh")`` on the others).
    """
    present = [i for i, v in enumerate(p) if v is not None]
    ps = np.array([p[i] for i in present], dtype=np.float64)
    if ps.size and not ((ps >= 0) & (ps <= 1)).all():
        raise ValueError("p-values must lie in [0, 1]")
    m = ps.size
    order = np.argsort(ps)
    adjusted = ps[order] * (m / np.arange(1, m + 1, dtype=np.float64))
    adjusted = np.minimum.accumulate(adjusted[::-1])[::-1]
    out: list[float | None] = [None] * len(p)
    for i, value in zip(np.asarray(present)[order], np.clip(adjusted, 0.0, 1.0), strict=True):
        out[int(i)] = float(value)
    return out


def verdict(p_adjusted: float | None, diff_median: float | None, delta: float | None, *,
            ci: Sequence[float] | None = None, before_median: float | None = None,
            alpha: float = 0.05, lower_is_better: bool = True
            ) -> tuple[Verdict, UnclearReason | None]:
    """METRICS §9: ``improved``/``worsened`` when ``p_adjusted < alpha``, |Cliff's delta| ≥
    :data:`MIN_EFFECT`, the median change points the same way as delta (down is good when
    ``lower_is_better``) and its 95% interval ``ci`` does not span zero. Significant with a
    flat median, one moving against delta or an interval spanning zero → ``unclear`` with
    the reason; so is a median that moved by :data:`MEDIAN_SHIFT` of ``before_median`` or
    more, surely (``ci`` on one side of zero), while delta is negligible. Otherwise
    ``unchanged``. The mean never decides."""
    if p_adjusted is None or not p_adjusted < alpha or delta is None or math.isnan(delta):
        return "unchanged", None
    moved = diff_median is not None and not math.isnan(diff_median) and diff_median != 0
    if abs(delta) < MIN_EFFECT:
        sure = ci is not None and (ci[0] > 0 or ci[1] < 0)
        large = (moved and before_median is not None and before_median != 0
                 and abs(diff_median or 0) >= MEDIAN_SHIFT * abs(before_median))
        return ("unclear", "median_without_effect") if sure and large else ("unchanged", None)
    if not moved or diff_median is None:
        return "unclear", "median_flat"
    if (diff_median < 0) != (delta < 0):
        return "unclear", "median_against_delta"
    if ci is not None and ci[0] < 0 < ci[1]:
        return "unclear", "interval_spans_zero"
    return ("improved" if (diff_median < 0) == lower_is_better else "worsened"), None


def compare_samples(before: Sample, after: Sample, *, resamples: int = 2000, seed: int = 0,
                    progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """One KPI compared: ``{"before", "after", "diff_median", "ci95", "p_value",
    "cliffs_delta"}``; ``p_adjusted`` and ``verdict`` are filled by the caller across KPIs."""
    desc_before, desc_after = describe(before), describe(after)
    med_before, med_after = desc_before["median"], desc_after["median"]
    ci = median_diff_ci(before, after, resamples=resamples, seed=seed, progress=progress)
    return {
        "before": desc_before,
        "after": desc_after,
        "diff_median": None if med_before is None or med_after is None
        else float(med_after) - float(med_before),
        "ci95": None if ci is None else [ci[0], ci[1]],
        "p_value": mann_whitney_p(before.values, after.values),
        "cliffs_delta": cliffs_delta(before.values, after.values),
    }
