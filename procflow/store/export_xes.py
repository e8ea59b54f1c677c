"""Write canonical events as an XES 1.0 file (the reader is :mod:`procflow.ingest.xes`)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procflow.errors import MappingError, TimestampError
from procflow.ingest.schema import ROW

_XES_HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<classifier name="Activity" keys="concept:name"/>
"""
_DATE_KEYS = frozenset({"time:timestamp", "start_timestamp"})
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\t", "&#9;"),
            ("\n", "&#10;"), ("\r", "&#13;"))
_NOT_XML = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{FFFE}\\x{FFFF}]"
WRITE_BATCH = 50_000


def write_xes(table: pa.Table, path: Path, *,
              case_column: str = "case:concept:name") -> None:
    """Write ``table`` as an XES 1.0 file: one trace per case, in order of first appearance.

    Timestamp columns (and text columns named ``time:timestamp`` / ``start_timestamp``)
    become ``<date>``, integers ``<int>``, floats ``<float>``, booleans ``<boolean>``, anything
    else ``<string>``; nulls are left out and ``__row`` is not written. Other ``case:``
    columns become trace attributes, taken from the case's first event.
    """
    if case_column not in table.column_names:
        raise MappingError(f"the table has no case column {case_column!r}.",
                           fix="name the case id column, e.g. case:concept:name.")
    cases = pc.cast(table[case_column].combine_chunks(), pa.string())
    if cases.null_count:
        raise MappingError(f"{cases.null_count:,} event(s) have no case id; XES needs one.",
                           source=case_column)
    table = table.set_column(table.column_names.index(case_column), case_column, cases)
    codes = cases.dictionary_encode().indices.to_numpy()
    order = np.argsort(codes, kind="stable")
    change = codes[order][1:] != codes[order][:-1]
    first, last = np.r_[True, change], np.r_[change, True]
    trace_cols = [(c, "concept:name" if c == case_column else c[5:]) for c in table.column_names
                  if c == case_column or (c.startswith("case:") and c != "case:concept:name")]
    event_cols = [(c, c) for c in table.column_names
                  if c != ROW and c != case_column and not c.startswith("case:")]
    with open(path, "wb") as out:
        out.write(_XES_HEAD)
        for start in range(0, len(order), WRITE_BATCH):
            rows = order[start:start + WRITE_BATCH]
            heads = np.flatnonzero(first[start:start + WRITE_BATCH])
            opening = _render(table, trace_cols, rows[heads], "\t\t", "\t<trace>\n", "")
            index = np.full(len(rows), -1, np.int64)
            index[heads] = np.arange(len(heads))
            parts = [pc.fill_null(opening.take(pa.array(index, mask=index < 0)), ""),
                     _render(table, event_cols, rows, "\t\t\t", "\t\t<event>\n", "\t\t</event>\n"),
                     pc.if_else(pa.array(last[start:start + WRITE_BATCH]), "\t</trace>\n", "")]
            _write_strings(out, pc.binary_join_element_wise(*parts, ""))
        out.write(b"</log>\n")


def _render(table: pa.Table, columns: list[tuple[str, str]], rows: np.ndarray, indent: str,
            before: str, after: str) -> pa.Array:
    """One XML fragment per row: ``before``, an element per non-null value, ``after``."""
    take = pa.array(rows, pa.int64())
    parts: list[pa.Array | str] = [before]
    for column, key in columns:
        tag, text = _as_text(table[column].take(take).combine_chunks(), column)
        name = key
        for char, entity in _ESCAPES:
            name = name.replace(char, entity)
        element = pc.binary_join_element_wise(
            f'{indent}<{tag} key="{name}" value="', text, '"/>\n', "")
        parts.append(pc.fill_null(element, ""))
    parts.append(after)
    if len(rows) == 0:
        return pa.array([], pa.string())
    return pc.binary_join_element_wise(*parts, "")


def _as_text(values: pa.Array, column: str) -> tuple[str, pa.Array]:
    """The XES type of a column and its values as escaped XML text."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.cast(kind.value_type), kind.value_type
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            raise TimestampError(f"column {column!r} has no time zone; XES dates need one.",
                                 fix="localise the timestamps before writing XES.")
        unit = "ms" if kind.unit in ("s", "ms") else "us"
        text = pc.strftime(values.cast(pa.timestamp(unit, kind.tz), safe=False),
                           format="%Y-%m-%dT%H:%M:%S%z")
        return "date", pc.replace_substring_regex(text, r"([+-]\d\d)(\d\d)$", r"\1:\2")
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return "boolean" if pa.types.is_boolean(kind) else "int", values.cast(pa.string())
    if pa.types.is_floating(kind):
        values = pc.if_else(pc.is_nan(values), None, values)
        return "float", values.cast(pa.string())
    try:
        text = values.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise MappingError(f"column {column!r} of type {kind} cannot be written to XES.",
                           fix="convert it to text first.") from err
    if pc.any(pc.match_substring_regex(text, _NOT_XML)).as_py():
        raise MappingError(f"column {column!r} holds control characters, which XML cannot "
                           "store.", fix="remove them before writing XES.")
    if pc.any(pc.match_substring_regex(text, '[&<>"\t\n\r]')).as_py():
        for char, entity in _ESCAPES:
            text = pc.replace_substring(text, char, entity)
    return ("date" if column in _DATE_KEYS else "string"), text


def _write_strings(out: BinaryIO, text: pa.Array) -> None:
    """Write the characters of a string array, without building one big Python string."""
    buffers = text.buffers()
    if not len(text) or buffers[2] is None:
        return
    offsets = np.frombuffer(buffers[1], np.int32, len(text) + 1, text.offset * 4)
    out.write(memoryview(buffers[2])[offsets[0]:offsets[-1]])
