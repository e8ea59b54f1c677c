"""Write a log's canonical events to CSV, Parquet or XES."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from procflow.core.cells import safe_array, safe_names
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.ingest.schema import ATTRIBUTE_PREFIX, EVENT_ID, FIELDS, XES_KEYS

ExportFormat = Literal["csv", "parquet", "xes"]


def export_log(log: EventLog, to: Path, *, format: ExportFormat | None = None) -> Path:
    """Write ``log`` to ``to``; the format comes from the suffix unless given."""
    to = Path(to)
    fmt = format or _format_from_suffix(to)
    to.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_csv(plain_attribute_names(log.to_arrow()), to)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(plain_attribute_names(log.to_arrow()), to)
    else:
        from procflow.store.export_xes import write_xes

        write_xes(to_xes_table(log.to_arrow()), to)
    return to


PartitionBy = Literal["month"]


def export_partitioned(log: EventLog, folder: Path, *, by: PartitionBy = "month") -> Path:
    """Write ``log``'s canonical events as a folder of Parquet files, one subfolder per month
    of the (UTC) timestamp (``month=2024-08/``), as Spark and DuckDB read partitioned data.
    DuckDB writes it straight from the workspace, so memory does not grow with the log. The
    folder must be new or empty."""
    folder = Path(folder)
    if by != "month":
        raise InputError(f"cannot partition by {by!r}.", fix="use --partition-by month.")
    if folder.exists() and (not folder.is_dir() or list(folder.iterdir())):
        raise InputError(f"{folder} exists and is not an empty folder.",
                         fix="name a new folder for the partitioned export.")
    empty = pa.table({c: pa.array([], pa.null()) for c in log.columns()})
    names = plain_attribute_names(empty).column_names
    columns = ", ".join(f'"{old}" AS "{new}"' if old != new else f'"{old}"'
                        for old, new in zip(log.columns(), names, strict=True))
    target = str(folder).replace("'", "''")
    log.con.execute(
        f"COPY (SELECT {columns}, strftime(timestamp, '%Y-%m') AS month FROM {log.table} "
        f"ORDER BY event_id) TO '{target}' (FORMAT PARQUET, PARTITION_BY (month), "
        "OVERWRITE_OR_IGNORE)").fetchall()
    return folder


def canonical_parquet(log: EventLog, to: Path) -> Path:
    """Write ``log``'s events in event order without ``event_id`` (an import numbers them
    again in that order), attributes under their source names: a file that imports as the
    same log."""
    import pyarrow.parquet as pq

    events = plain_attribute_names(log.to_arrow())
    pq.write_table(events.drop_columns([EVENT_ID]), to)
    return to


def _format_from_suffix(path: Path) -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "parquet", "xes"):
        return suffix  # type: ignore[return-value]
    raise InputError(f"cannot tell the export format from {path.name!r}.",
                     fix="end the file name with .csv, .parquet or .xes.")


def write_csv(table: pa.Table, to: Path) -> None:
    """Write ``table`` as CSV: timestamps ISO 8601 UTC, formula-like cells and column names
    neutralised (:mod:`procflow.core.cells`)."""
    columns = []
    for name in table.column_names:
        col = table[name].combine_chunks()
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(safe_array(col))
    pacsv.write_csv(pa.Table.from_arrays(columns, names=safe_names(table.column_names)), to)


def plain_attribute_names(events: pa.Table) -> pa.Table:
    """Give ``attr:`` columns their source names again, unless that name is taken."""
    names = list(events.column_names)
    for i, name in enumerate(names):
        plain = name[len(ATTRIBUTE_PREFIX):]
        if name.startswith(ATTRIBUTE_PREFIX) and plain not in names:
            names[i] = plain
    return events.rename_columns(names)


def to_xes_table(events: pa.Table) -> pa.Table:
    """Rename canonical columns to XES keys; attributes keep their source names."""
    out = {}
    for name in events.column_names:
        if name in FIELDS:
            out[XES_KEYS[name]] = events[name]
    for name in events.column_names:
        if name.startswith(ATTRIBUTE_PREFIX):
            out.setdefault(name[len(ATTRIBUTE_PREFIX):], events[name])
    if "org:level" in out:
        out["org:level"] = pc.cast(out["org:level"], pa.string())
    return pa.table(out)
