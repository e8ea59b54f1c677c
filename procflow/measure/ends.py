"""Cases that may still be open: those ending at a step that rarely ends a case, judged where
a log has clear end steps (the frequent ones close at least half of its cases)."""

from __future__ import annotations

from typing import Any

from procflow.core.i18n import Texts

#: A step ends cases often when it closes at least this share of them.
FREQUENT_END = 0.05
#: Open cases are mentioned above this share.
OPEN_SHARE = 0.05


def frequent_ends(analysis: dict[str, Any]) -> set[str]:
    """End steps that close at least :data:`FREQUENT_END` of the log's cases."""
    cases = analysis["log"]["cases"] or 1
    return {act for act, n in analysis["dfg"]["end"].items() if n / cases >= FREQUENT_END}


def open_cases(analysis: dict[str, Any]) -> dict[str, Any] | None:
    """The ``cases`` ending at a step other than the log's frequent end steps (``ends``) and
    their ``share``, when those steps close at least half of its cases and the share is
    above :data:`OPEN_SHARE`; else None."""
    cases, end = analysis["log"]["cases"], analysis["dfg"]["end"]
    ends = frequent_ends(analysis)
    clear = sum(end.get(act, 0) for act in ends) >= 0.5 * cases
    still = sum(n for act, n in end.items() if act not in ends)
    if not (clear and cases and still / cases > OPEN_SHARE):
        return None
    return {"cases": still, "share": still / cases, "ends": sorted(ends)}


def open_cases_text(still: dict[str, Any], t: Texts) -> str:
    """The warning on :func:`open_cases`' answer, in the language of ``t``."""
    return t("{share} of the cases ({n}) end at a step that rarely ends a case: they may still "
             "be open, and their cycle times would then be too short.",
             share=t.percent(still["share"]), n=t.integer(still["cases"]))
