"""Filters as the command line writes them: ``--with activity=A,B``, ``--follows "A>B"``.

Lists are read as one CSV row, so a value holding the separator is quoted:
``--with 'resource="Hasnawati, S.E., M.Si.",Ayu'``; ``--follows '"A > B">C'`` likewise.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import cast

from procflow.errors import InputError
from procflow.filters.spec import (
    OPTIONS,
    CaseIds,
    Duration,
    EndKind,
    Ends,
    Filter,
    Granularity,
    Handoff,
    LayerBy,
    Layers,
    Order,
    OrderKind,
    Period,
    PeriodMode,
    TopVariants,
    ValueKind,
    Values,
)
from procflow.filters.timespec import DURATION_EXAMPLE, PERIOD_EXAMPLE, seconds, split_range

#: The options that take one text value each, by filter kind.
TEXT_KINDS = ("period", "with", "without", "keep_events", "drop_events", "top_variants",
              "duration", "starts_with", "ends_with", "follows", "directly_follows", "cases",
              "handoff", "layers")


def parse_option(kind: str, text: str, *, mode: PeriodMode = "started",
                 tz: str | None = None) -> Filter:
    """The filter of one occurrence of a filter option (``kind`` as in OPTIONS)."""
    option = OPTIONS[kind]
    if kind == "period":
        start, end = split_range(text, option, PERIOD_EXAMPLE)
        return Period(start, end, mode, tz)
    if kind in ("with", "without", "keep_events", "drop_events"):
        field, values = field_values(text, option)
        value_kind: ValueKind = kind  # type: ignore[assignment]
        return Values(value_kind, field, values)
    if kind == "top_variants":
        try:
            return TopVariants(int(text))
        except ValueError as err:
            raise InputError(f"{option} {text!r}: give a whole number.",
                             fix="e.g. --top-variants 5.") from err
    if kind == "duration":
        low, high = split_range(text, option, DURATION_EXAMPLE)
        return Duration(seconds(low) if low else None, seconds(high) if high else None)
    if kind in ("starts_with", "ends_with"):
        end_kind: EndKind = kind  # type: ignore[assignment]
        return Ends(end_kind, items(text, ",", option))
    if kind in ("follows", "directly_follows"):
        after_any = text.lstrip().startswith(">")
        parts = items(text.lstrip()[1:].lstrip() if after_any else text, ">", option)
        if len(parts) != (1 if after_any else 2):
            raise InputError(f"{option} {text!r}: give two activities separated by '>'.",
                             fix=f'write {option} "A>B" (quote a name holding ">": '
                                 f'\'"A > B">C\'; ">B": B after any step).')
        order_kind: OrderKind = kind  # type: ignore[assignment]
        return Order(order_kind, None if after_any else parts[0], parts[-1])
    if kind == "cases":
        return case_file(Path(text))
    if kind == "handoff":
        by, rest = prefixed(text, ("resource", "role", "unit"))
        parts = items(rest, ">", option)
        if len(parts) != 2:
            raise InputError(f"{option} {text!r}: give two performers separated by '>'.",
                             fix=f'write {option} "A>B", or "role:A>B" for roles.')
        return Handoff(parts[0], parts[1], cast(Granularity | None, by))
    if kind == "layers":
        by, rest = prefixed(text, ("level", "role"))
        return Layers(items(rest, ">", option), cast(LayerBy | None, by))
    raise InputError(f"unknown filter option {kind!r}.")


def prefixed(text: str, names: tuple[str, ...]) -> tuple[str | None, str]:
    """``NAME:rest`` → (NAME, rest) when NAME is one of ``names``; else (None, text)."""
    head, sep, rest = text.partition(":")
    return (head.strip(), rest) if sep and head.strip() in names else (None, text)


def field_values(text: str, option: str) -> tuple[str, tuple[str, ...]]:
    """``FIELD=V1,V2`` → (FIELD, (V1, V2))."""
    field, sep, rest = text.partition("=")
    if not sep or not field.strip():
        raise InputError(f"{option} {text!r}: write FIELD=V1,V2.",
                         fix=f"e.g. {option} activity=Approve or {option} attr:channel=online.")
    return field.strip(), items(rest, ",", option)


def items(text: str, separator: str, option: str) -> tuple[str, ...]:
    """A one-row CSV list with ``separator`` (quotes keep a separator inside a value)."""
    try:
        rows = list(csv.reader([text], delimiter=separator, quotechar='"', strict=True))
    except csv.Error as err:
        raise InputError(f"{option} {text!r}: unbalanced quotes ({err}).",
                         fix='close every opening " (e.g. \'"Check, then sign",Approve\').') \
            from err
    values = tuple(v.strip() for v in (rows[0] if rows else []))
    if not values or any(not v for v in values):
        raise InputError(f"{option} {text!r}: an empty name in the list.",
                         fix=f"separate names by {separator!r} with none left empty.")
    return values


def case_file(path: Path) -> CaseIds:
    """The case ids in ``path``, one per line (blank lines skipped, a byte-order mark and
    line ends removed)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(f"--cases: no file {str(path)!r}.",
                         fix="give a text file with one case id per line.") from err
    except (UnicodeDecodeError, IsADirectoryError) as err:
        raise InputError(f"--cases {str(path)!r}: not a UTF-8 text file.",
                         fix="save the list as UTF-8 text, one case id per line.") from err
    ids = tuple(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    return CaseIds(ids, str(path))
