"""Decision steps suggested by the log's structure, for an analyst choosing them.

A decision shows in the log as a step after which cases go different ways (approved files go
on, rejected ones end or go back) or after which work returns to an earlier step, and, where
the log has hierarchy levels, as a step done high up. Names play no part here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

#: A next step counts as a branch when it takes at least this share of the transitions out
#: of a step (the case's end counts as a next step; a step repeating itself does not).
MIN_BRANCH_SHARE = 0.05
#: A step counts as one after which cases go back when at least this share of the
#: transitions out of it lead to a step the case had done before.
MIN_RETURN_SHARE = 0.05
TOP = 10
END = None


def suggest_decisions(variants: Mapping[tuple[str, ...], int],
                      levels: Mapping[str, int | None] | None = None, *,
                      top: int = TOP) -> list[dict[str, Any]]:
    """The ``top`` steps that look most like decisions, most likely first.

    For each step: ``count`` (instances), ``branches`` (next steps, the end of the case
    included, each taking at least 5% of the transitions out of it), ``returns`` (share of
    those transitions that go back to a step done earlier in the case), ``level`` (the level
    that most often performs it, 1 = top, from ``levels``) and ``score``: 1 if it branches
    (two or more next steps), plus 1 if cases go back after it (``returns`` ≥ 5%), plus its
    height in the hierarchy (1 at the highest level of the log, 0 at the lowest; 0 without
    levels). Steps scoring 0 are left out; ties go to more instances (a step done rarely is a
    weak hint), more returns, more branches, then the name."""
    counts: Counter[str] = Counter()
    outs: dict[str, Counter[str | None]] = {}
    back: Counter[str] = Counter()
    for variant, n in variants.items():
        seen: set[str] = set()
        for i, step in enumerate(variant):
            counts[step] += n
            nxt = variant[i + 1] if i + 1 < len(variant) else END
            if nxt != step:
                outs.setdefault(step, Counter())[nxt] += n
                if nxt is not END and nxt in seen:
                    back[step] += n
            seen.add(step)
    known = {a: lv for a, lv in (levels or {}).items() if lv is not None}
    lowest, highest = (max(known.values()), min(known.values())) if known else (0, 0)
    ranked: list[tuple[tuple[float, int, float, int, str], dict[str, Any]]] = []
    for step, count in counts.items():
        leaving = outs.get(step, Counter())
        total = sum(leaving.values())
        branches = sum(1 for n in leaving.values() if total and n / total >= MIN_BRANCH_SHARE)
        returns = back[step] / total if total else 0.0
        level = known.get(step)
        height = ((lowest - level) / (lowest - highest)
                  if level is not None and lowest != highest else 0.0)
        score = float(branches >= 2) + float(returns >= MIN_RETURN_SHARE) + height
        if score > 0:
            ranked.append(((-score, -count, -returns, -branches, step),
                           {"activity": step, "count": count, "branches": branches,
                            "returns": returns, "level": level, "score": score}))
    ranked.sort(key=lambda r: r[0])
    return [entry for _, entry in ranked[:top]]
