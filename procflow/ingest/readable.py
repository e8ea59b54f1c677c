"""A readable activity column for a log whose activity column holds codes.

Exports often name steps by code (``01_HOOFD_010``) and carry the step's name in another
column (``activityNameEN``). A column is proposed instead when the activity values look like
codes, the column's values look like words, and it names the codes one to one or nearly:
each code has one name on at least :data:`AGREEMENT` of its rows, and there are at least
:data:`MIN_NAMES` as many names as codes (a few codes may share a name; a column of a handful
of phases is not a name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

#: Share of the activity column's distinct values that must look like codes.
CODED = 0.8
#: Share of a candidate's distinct values that must look like words.
WORDY = 0.8
#: Share of rows whose name is the most common name of their code.
AGREEMENT = 0.95
#: Names per code at least (codes sharing a name become one step).
MIN_NAMES = 0.6
_CODE = re.compile(r"\S*\d\S*|[^\s_]+(?:_[^\s_]+)+")
_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True)
class Readable:
    """A proposed activity column: ``column`` names the codes of ``coded``; ``codes`` and
    ``names`` distinct values, ``agreement`` the share of rows whose name is their code's."""

    column: str
    coded: str
    codes: int
    names: int
    agreement: float


def looks_coded(value: str) -> bool:
    """A code: one token holding a digit, or parts joined by underscores."""
    return bool(_CODE.fullmatch(value.strip()))


def looks_like_words(value: str) -> bool:
    """A name in words: a run of at least three letters, and not a code."""
    return bool(_WORD.search(value)) and not looks_coded(value)


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def readable_activity(table: pa.Table, activity: str | None) -> Readable | None:
    """The column of ``table`` to propose instead of the coded ``activity`` column, or None
    (activity names already readable, or no column naming the codes)."""
    if activity is None or activity not in table.column_names:
        return None
    codes = [str(v) for v in pc.unique(table[activity].drop_null()).to_pylist()]
    if not codes or _share(codes, looks_coded) < CODED:
        return None
    best: Readable | None = None
    for name in table.column_names:
        column = table[name]
        if name == activity or not (pa.types.is_string(column.type)
                                    or pa.types.is_large_string(column.type)):
            continue
        found = _names(table, activity, name, len(codes))
        if found and (best is None or (found.names, found.agreement)
                      > (best.names, best.agreement)):
            best = found
    return best


def _names(table: pa.Table, activity: str, name: str, codes: int) -> Readable | None:
    """How ``name`` names the codes of ``activity``, if it does (see the module)."""
    pairs = table.select([activity, name]).drop_null()
    if pairs.num_rows < table[activity].length() * AGREEMENT:
        return None
    names = [str(v) for v in pc.unique(pairs[name]).to_pylist()]
    if len(names) < codes * MIN_NAMES or _share(names, looks_like_words) < WORDY:
        return None
    counts = pairs.group_by([activity, name]).aggregate([([], "count_all")])
    best_per_code: dict[str, int] = {}
    for code, count in zip(counts[activity].to_pylist(), counts["count_all"].to_pylist(),
                           strict=True):
        best_per_code[code] = max(best_per_code.get(code, 0), count)
    agreement = sum(best_per_code.values()) / pairs.num_rows
    if agreement < AGREEMENT:
        return None
    return Readable(name, activity, codes, len(names), agreement)
