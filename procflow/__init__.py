"""procflow: process mining for public-service simplification.

Read event logs (CSV, Excel, XES, Parquet) into canonical events, keep them in a DuckDB
workspace, and measure where decisions wait and how many hands a case passes.
"""

from procflow.api import read
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
