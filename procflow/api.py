"""The Python entry points: read a file into an :class:`EventLog` without a workspace."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from procflow.core import db
from procflow.eventlog import EventLog
from procflow.ingest import FormatChoice
from procflow.ingest.importer import ImportOptions, load_events, stream_events
from procflow.ingest.timeparse import DayOrder
from procflow.ingest.window import TimeWindow


def read(
    path: Path | str,
    *,
    format: FormatChoice = "auto",
    tz: str | None = None,
    order: DayOrder = "auto",
    orgchart: Path | str | None = None,
    sheet: str | None = None,
    time_window: TimeWindow | str | None = None,
    **columns: str,
) -> EventLog:
    """Read an event log file into memory; ``columns`` maps fields to source columns;
    ``time_window`` (``"1990..2030"`` or a :class:`TimeWindow`) bounds plausible times.

    Example: ``procflow.read("izin.csv", case_id="No. Permohonan", tz="Asia/Makassar")``.
    """
    window = TimeWindow.parse(time_window) if isinstance(time_window, str) else time_window
    options = ImportOptions(format=format, columns=columns, tz=tz, order=order,
                            orgchart=Path(orgchart) if orgchart else None, sheet=sheet,
                            time_window=window)
    return read_with(Path(path), options)


def read_with(path: Path, options: ImportOptions) -> EventLog:
    """Read ``path`` as :func:`read` does, with ready-made options: into an in-memory DuckDB
    database that spills to a temporary folder beyond its memory limit (a large CSV or Parquet
    file is read in batches)."""
    con = db.connect()
    spill = Path(tempfile.gettempdir()) / f"procflow-{os.getpid()}-{id(con)}.tmp"
    db.run(con, f"SET temp_directory = '{spill}'")
    report = stream_events(con, "events", Path(path), options)
    return EventLog(Path(path).name.split(".")[0], con, "events", report, zone=options.zone)


__all__ = ["load_events", "read", "read_with"]
