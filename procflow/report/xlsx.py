"""Tables of an analysis or a comparison as one Excel workbook, safe to open.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return), in a cell or a column name, is written as text prefixed with ``'``, by the
rule of procflow's CSV exports (:mod:`procflow.core.cells`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook

from procflow.core.cells import safe_text
from procflow.measure.analysis import Analysis

if TYPE_CHECKING:
    import pandas as pd

ANALYSIS_TABLES = ("activities", "dfg", "bottlenecks", "decisions_by_activity",
                   "decisions_by_role", "decisions_by_level", "decisions_by_unit",
                   "decisions_by_resource", "handoff_pairs", "layer_sequences", "variants")


def safe_cell(value: Any) -> Any:
    """A cell value that Excel shows as it is: lists joined, formula-like text neutralised."""
    import pandas as pd

    if isinstance(value, list | tuple):
        value = " → ".join(str(v) for v in value)
    if isinstance(value, dict):
        value = str(value)
    if isinstance(value, str):
        return safe_text(value)
    if value is not None and not isinstance(value, str) and pd.isna(value):
        return None
    return value


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write each table to its own sheet of ``path``."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, frame in tables.items():
        sheet = book.create_sheet(sheet_name(name, taken))
        sheet.append([safe_cell(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([safe_cell(v) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def analysis_tables(analysis: Analysis) -> dict[str, pd.DataFrame]:
    """The lists of ``analysis.json`` as flat tables."""
    return {name: analysis.table(name) for name in ANALYSIS_TABLES}


def comparison_tables(comparison: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The KPIs, path differences and variant changes of ``comparison.json``."""
    import pandas as pd

    diff = comparison["dfg_diff"]
    return {
        "kpis": pd.json_normalize(comparison["kpis"]),
        "paths_removed": pd.json_normalize(diff["removed"]),
        "paths_added": pd.json_normalize(diff["added"]),
        "paths_changed": pd.json_normalize(diff["changed"]),
        "variants_appeared": pd.json_normalize(comparison["variants"]["appeared"]),
        "variants_disappeared": pd.json_normalize(comparison["variants"]["disappeared"]),
    }
