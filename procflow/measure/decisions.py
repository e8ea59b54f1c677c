"""Which activities are decisions (METRICS §5), and the warnings when the default pattern's
choice is likely wrong."""

from __future__ import annotations

import re
from typing import Any, Literal

from procflow.core.i18n import Texts
from procflow.errors import InputError

#: Default decision pattern, English and Bahasa Indonesia, case-insensitive. ``sign``,
#: ``tte`` and ``ttd`` must start a word (so "assign", "design" and "signal" are not
#: decisions). Indonesian stems also match in their meN-/peN- forms, whose prefix replaces the
#: first letter (menyetujui, menolak, penolakan, memutuskan, memaraf, penandatanganan).
DEFAULT_PATTERN = (
    r"(?i)approv|reject|\bdecid|\bdecision|\bsign(?!al)|authori[sz]|(?:s|ny)etuju|[tn]olak"
    r"|[tn]anda\s*tangan|\btte\b|\bttd\b|[pm]araf|[pm]utus|disposisi|verifikasi|validasi"
)
#: Above this share of a log's activities the default pattern's choice gets a warning...
DECISION_SHARE_LIMIT = 0.15
#: ...unless it took at most this many steps: a small tidy log often has a few approval
#: levels among its handful of activities (4 of 9), which is no sign of a wrong pattern.
DECISION_COUNT_FLOOR = 4
#: Where a warning is shown: analysis.json, the terminal, the web page, a comparison, or the
#: offline report.
Audience = Literal["json", "cli", "web", "compare", "report"]


def select_decisions(activities: list[str], *, pattern: str | None = None,
                     names: list[str] | None = None) -> list[str]:
    """The activities taken as decisions: ``names`` if given (an empty list: none), else those
    ``pattern`` finds."""
    if names is not None:
        unknown = sorted(set(names) - set(activities))
        if unknown:
            raise InputError(f"decision activities not in the log: {', '.join(unknown)}.",
                             fix="check the spelling against `procflow info LOG`.")
        return sorted(set(names))
    try:
        regex = re.compile(pattern or DEFAULT_PATTERN)
    except re.error as err:
        raise InputError(f"the decision pattern {pattern!r} is not a valid regular expression "
                         f"({err}).", fix="escape special characters such as ( ) [ ] + ?") from err
    return sorted(a for a in activities if regex.search(a))


def decision_warnings(chosen: list[str], activities: int) -> list[dict[str, Any]]:
    """Warnings on the default pattern's choice: it took none of ``activities`` activities, or
    more than :data:`DECISION_COUNT_FLOOR` steps making more than :data:`DECISION_SHARE_LIMIT`
    of them. Each has ``code``, ``matched``, ``activities``, ``share``, ``limit``, ``floor``
    and ``message`` (English, for analysis.json)."""
    matched = len(chosen)
    share = matched / activities if activities else 0.0
    if matched and (share <= DECISION_SHARE_LIMIT or matched <= DECISION_COUNT_FLOOR):
        return []
    code = "default_decisions_none" if not matched else "default_decisions_many"
    warning: dict[str, Any] = {"code": code, "matched": matched, "activities": activities,
                               "share": share, "limit": DECISION_SHARE_LIMIT,
                               "floor": DECISION_COUNT_FLOOR}
    warning["message"] = warning_text(warning, Texts("en"), "json")
    return [warning]


def warning_text(warning: dict[str, Any], t: Texts, audience: Audience = "json") -> str:
    """A decision warning in the language of ``t``, ending with how to choose the steps where
    the reader is: analysis.json, the terminal (options), the web page (the setting), a
    comparison or the offline report."""
    if warning["code"] == "default_decisions_none":
        text = t("The default decision pattern found no decision step among the log's "
                 "{activities} activities, so decision latency and approval layers are empty.",
                 activities=t.integer(warning["activities"]))
    else:
        text = t("The default decision pattern took {matched} of the log's {activities} "
                 "activities ({share}) as decision steps; names with words such as "
                 "'approval' or 'decision' are not always decisions.",
                 matched=t.integer(warning["matched"]),
                 activities=t.integer(warning["activities"]),
                 share=t.percent(warning["share"]))
    if audience == "cli":
        how = t("Choose them with --decision-activities A,B (names; \"\" for none) or "
                "--decisions REGEX (a pattern).")
    elif audience == "web":
        how = t("Confirm or change them under \"Decision steps\" in the analysis settings.")
    elif audience == "compare":
        how = t("Choose the decision steps for the comparison.")
    elif audience == "report":
        how = t("Choose them in the web page's analysis settings or with the command's "
                "decision options, then make the report again.")
    else:
        how = t("Check decisions.activities and choose the decision steps yourself.")
    return f"{text} {how}"
