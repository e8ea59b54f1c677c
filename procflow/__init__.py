"""procflow: process mining for public-service simplification.

Read event logs (CSV, Excel, XES, Parquet) into canonical events, keep them in a DuckDB
workspace, and measure where decisions wait and how many hands a case passes.

The names below are imported on first use, so that ``import procflow`` (and the command line,
which needs only some of them) starts quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from procflow.errors import (
    FormatError,
    InputError,
    MappingError,
    OrgChartError,
    ProcflowError,
    TimestampError,
    UnsafeInputError,
    WorkspaceError,
)

if TYPE_CHECKING:
    from procflow.api import read
    from procflow.eventlog import EventLog
    from procflow.explain import Explanation, explain
    from procflow.filters import filter_log
    from procflow.ingest.importer import ImportOptions
    from procflow.ingest.schema import ColumnMapping, suggest_mapping
    from procflow.ingest.window import TimeWindow
    from procflow.measure.analysis import Analysis, analyze
    from procflow.measure.cases import case_table
    from procflow.measure.timeline import case_timeline
    from procflow.store.workspace import ImportResult, Workspace

_LAZY = {
    "read": "procflow.api", "EventLog": "procflow.eventlog", "Explanation": "procflow.explain",
    "explain": "procflow.explain", "filter_log": "procflow.filters",
    "ImportOptions": "procflow.ingest.importer", "ColumnMapping": "procflow.ingest.schema",
    "suggest_mapping": "procflow.ingest.schema", "TimeWindow": "procflow.ingest.window",
    "Analysis": "procflow.measure.analysis", "analyze": "procflow.measure.analysis",
    "case_table": "procflow.measure.cases", "case_timeline": "procflow.measure.timeline",
    "ImportResult": "procflow.store.workspace", "Workspace": "procflow.store.workspace",
}


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'procflow' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__version__ = "0.1.0"
__all__ = [
    "Analysis",
    "ColumnMapping",
    "EventLog",
    "Explanation",
    "FormatError",
    "ImportOptions",
    "ImportResult",
    "InputError",
    "MappingError",
    "OrgChartError",
    "ProcflowError",
    "TimeWindow",
    "TimestampError",
    "UnsafeInputError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "analyze",
    "case_table",
    "case_timeline",
    "explain",
    "filter_log",
    "read",
    "suggest_mapping",
]
