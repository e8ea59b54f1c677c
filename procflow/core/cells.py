"""Spreadsheet-safe text: the one rule for every CSV and Excel file procflow writes.

A spreadsheet runs a cell (or a column name) that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula. Such text is written with a leading ``'``, which Excel and
LibreOffice show as plain text.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

#: Text a spreadsheet would run as a formula.
FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA = re.compile(FORMULA_START)


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula."""
    return bool(_FORMULA.match(text))


def safe_text(text: str) -> str:
    """``text`` prefixed with ``'`` when a spreadsheet would run it as a formula."""
    return "'" + text if is_formula_like(text) else text


def safe_names(names: list[str]) -> list[str]:
    """Column names made safe with :func:`safe_text`."""
    return [safe_text(name) for name in names]


def is_text(kind: pa.DataType) -> bool:
    """Whether Arrow values of type ``kind`` are text."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))


def safe_array(values: pa.Array) -> pa.Array:
    """Text values made safe with :func:`safe_text` (other types unchanged)."""
    if pa.types.is_dictionary(values.type) and is_text(values.type.value_type):
        values = values.cast(values.type.value_type)
    if not is_text(values.type):
        return values
    risky = pc.fill_null(pc.match_substring_regex(values, FORMULA_START), False)
    quote, nothing = pa.scalar("'", values.type), pa.scalar("", values.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, values, nothing), values)
