"""One path from a file to canonical events: read, map, validate, org chart."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from procflow.core import db
from procflow.errors import FormatError
from procflow.ingest import FormatChoice, Limits, read_source
from procflow.ingest.instances import lifecycle_summary
from procflow.ingest.orgchart import apply_orgchart, read_orgchart
from procflow.ingest.privacy import columns_to_pseudonymize
from procflow.ingest.schema import FIELDS, ROW, ColumnMapping, suggest_mapping
from procflow.ingest.sniff import ProgressFn
from procflow.ingest.timeparse import DayOrder
from procflow.ingest.validate import ImportReport, canonicalize
from procflow.ingest.window import TimeWindow


@dataclass(frozen=True)
class ImportOptions:
    """Everything that decides how a file becomes events (recorded with the log)."""

    format: FormatChoice = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    tz: str | None = None
    order: DayOrder = "auto"
    orgchart: Path | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    #: Replace resource names by keyed codes (and keep no raw file) when stored.
    pseudonymize: bool = False
    #: Other columns (source headers) whose names get the same codes; implies pseudonymize.
    pseudonymize_columns: tuple[str, ...] = ()
    #: Plausible event times; rows outside are rejected (default: 1970–2100).
    time_window: TimeWindow | None = None

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown column fields: {sorted(unknown)}; known: {FIELDS}")
        if isinstance(self.pseudonymize_columns, str):
            raise TypeError("pseudonymize_columns is a tuple of column names, not a string.")
        named = tuple(c.strip() for c in self.pseudonymize_columns if c.strip())
        object.__setattr__(self, "pseudonymize_columns", named)
        if named:
            object.__setattr__(self, "pseudonymize", True)

    @property
    def zone(self) -> str | None:
        """The stated zone, else the configured default (``PROCFLOW_TZ``)."""
        return self.tz or os.environ.get("PROCFLOW_TZ") or None

    @property
    def window(self) -> TimeWindow:
        """The stated time window, else the configured one (``PROCFLOW_TIME_WINDOW``), else
        1970–2100."""
        return self.time_window or TimeWindow.configured()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"format": self.format, "columns": self.columns, "tz": self.zone,
                "order": self.order, "orgchart": str(self.orgchart) if self.orgchart else None,
                "sheet": self.sheet, "delimiter": self.delimiter, "encoding": self.encoding,
                "pseudonymize": self.pseudonymize,
                "pseudonymize_columns": list(self.pseudonymize_columns),
                "time_window": str(self.window)}


def load_events(
    path: Path,
    options: ImportOptions,
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> tuple[pa.Table, ImportReport]:
    """Read ``path`` and return its canonical events with the import report; a file that
    gives no event is refused."""
    path = Path(path)
    window = options.window
    source = read_source(
        path, format=options.format, limits=limits, progress=progress, sheet=options.sheet,
        delimiter=options.delimiter, encoding=options.encoding,
    )
    headers = [c for c in source.table.column_names if c != ROW]
    mapping: ColumnMapping = suggest_mapping(headers, **options.columns)
    events, report = canonicalize(
        source.table, mapping, tz=options.zone, order=options.order, source=str(path),
        file_format=source.format, window=window,
    )
    if not report.accepted:
        raise _all_rejected(path, report)
    report.details.update(source.details)
    report.notes.extend(source.notes)
    if options.orgchart:
        chart = read_orgchart(options.orgchart, tz=options.zone)
        events, notes = apply_orgchart(events, chart)
        report.notes.extend(notes)
    if options.pseudonymize_columns:
        columns_to_pseudonymize(events.column_names, report.mapping,
                                options.pseudonymize_columns)
    report.details["lifecycle"] = summarize_lifecycle(events)
    if report.details["lifecycle"]["mode"] == "attribute":
        report.notes.append("lifecycle: the column's values are not XES lifecycle transitions; "
                            "every event is taken as one completed activity instance.")
    return events, report


def _all_rejected(path: Path, report: ImportReport) -> FormatError:
    """The refusal of a file all of whose rows were rejected, with the first rows and reasons."""
    counts = "; ".join(f"{reason}: {n:,}" for reason, n in report.rejected.items())
    first = report.rejects.slice(0, 3).to_pylist()
    examples = ", ".join(f"row {r['row']} {r['reason']} ({r['value']!r})" for r in first)
    return FormatError(
        f"no events in {path}: all {report.rows:,} rows were rejected ({counts}), e.g. "
        f"{examples}.",
        fix="correct those values, map other columns (--case, --activity, --timestamp), or "
            "widen --time-window if the times are genuine.",
        code="all_rejected",
        params={"file": str(path), "rows": report.rows, "rejected": dict(report.rejected)})


def summarize_lifecycle(events: pa.Table) -> dict[str, Any]:
    """Lifecycle pairing counts of an Arrow table of canonical events."""
    con = db.connect()
    try:
        con.register("events", events)
        return lifecycle_summary(con, "events")
    finally:
        con.close()
