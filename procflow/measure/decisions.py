"""Which activities are decisions (METRICS §5)."""

from __future__ import annotations

import re

from procflow.errors import InputError

#: Default decision pattern, English and Bahasa Indonesia, case-insensitive. ``sign``,
#: ``tte`` and ``ttd`` must start a word (so "assign", "design" and "signal" are not
#: decisions). Indonesian stems also match in their meN-/peN- forms, whose prefix replaces the
#: first letter (menyetujui, menolak, penolakan, memutuskan, memaraf, penandatanganan).
DEFAULT_PATTERN = (
    r"(?i)approv|reject|\bdecid|\bdecision|\bsign(?!al)|authori[sz]|(?:s|ny)etuju|[tn]olak"
    r"|[tn]anda\s*tangan|\btte\b|\bttd\b|[pm]araf|[pm]utus|disposisi|verifikasi|validasi"
)


def select_decisions(activities: list[str], *, pattern: str | None = None,
                     names: list[str] | None = None) -> list[str]:
    """The activities taken as decisions: ``names`` if given, else those ``pattern`` finds."""
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
