"""One path from a file to canonical events: read, map, validate, org chart."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from procflow.core import db
from procflow.errors import FormatError
from procflow.ingest import _EMPTY, FormatChoice, Limits, read_source
from procflow.ingest.batches import BatchSource, FallBack, batch_format, open_batches
from procflow.ingest.instances import lifecycle_summary
from procflow.ingest.notes import Note
from procflow.ingest.orgchart import apply_orgchart, apply_orgchart_in, read_orgchart
from procflow.ingest.privacy import columns_to_pseudonymize
from procflow.ingest.schema import (
    ATTRIBUTE_PREFIX,
    EVENT_ID,
    FIELDS,
    ROW,
    ColumnMapping,
    suggest_mapping,
)
from procflow.ingest.sniff import ProgressFn
from procflow.ingest.timeparse import DayOrder, day_order_evidence
from procflow.ingest.validate import (
    Canonicalizer,
    ImportReport,
    canonicalize,
    check_mapping,
    no_rejects,
)
from procflow.ingest.window import TimeWindow

#: Rejected rows kept for the import report (and ``--rejects``); all are counted.
REJECTS_KEPT = 1_000_000


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
    _lifecycle_note(report)
    return events, report


def stream_events(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    options: ImportOptions,
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Read ``path`` into the new DuckDB table ``table`` of ``con`` and return the import
    report, as :func:`load_events` does: a large CSV or Parquet file in batches (rejected rows
    go to a side table; memory stays bounded), any other file whole."""
    path = Path(path)
    fmt = None if options.pseudonymize else batch_format(path, options.format, limits)
    source = None
    if fmt is not None:
        try:
            source = open_batches(path, fmt, limits=limits, progress=progress,
                                  delimiter=options.delimiter, encoding=options.encoding,
                                  sheet=options.sheet)
            report = _stream(con, table, path, source, options, progress=progress)
        except FallBack:
            db.run(con, f"DROP TABLE IF EXISTS {table}")
            source = None
    if source is None:
        events, report = load_events(path, options, limits=limits, progress=progress)
        append(con, table, events, create=True)
        return report
    report.details.update(source.details)
    report.notes.extend(source.notes)
    _finish(con, table, report, options)
    return report


def _stream(con: duckdb.DuckDBPyConnection, table: str, path: Path, source: BatchSource,
            options: ImportOptions, headers: list[str] | None = None,
            progress: ProgressFn | None = None) -> ImportReport:
    """Check ``source`` batch by batch into ``table``; rejected rows into a side table.

    A source whose columns show while reading (XES) is mapped by the columns of its first
    batch, later columns added as they come; when the columns of the whole file would be
    mapped otherwise, it is read again with all of them (``headers``)."""
    batches = source.batches()
    first = next(batches)
    known = headers or source.headers or [c for c in first.column_names if c != ROW]
    if not first.num_rows and not source.headers:
        raise _no_rows(path, source.format)
    mapping = suggest_mapping(known, **options.columns)
    sink = RejectTable(con)
    canon = Canonicalizer(mapping, tz=options.zone, order=options.order, source=str(path),
                          file_format=source.format, window=options.window,
                          dayfirst=_day_order(path, source, mapping, options, first),
                          rejects=sink.add)
    # Named columns not met yet (XES keys may show late) are empty until they show.
    late = [] if headers or source.headers else [
        c for c in mapping.used().values() if c not in known]
    stored: list[str] = []
    tell_rows = getattr(progress, "rows", None)  # a progress bar that shows rows/s
    for batch in itertools.chain([first], batches):
        known = [c for c in batch.column_names if c != ROW]
        if headers or late:
            batch = _padded(batch, headers or [*known, *(c for c in late if c not in known)])
        stored = _store(con, table, canon.batch(batch), stored)
        if tell_rows is not None:
            tell_rows(canon.rows)
    if any(c not in known for c in late):
        check_mapping(_padded(first.slice(0, 0), known), mapping, str(path))
    if suggest_mapping(known, **options.columns).as_dict() != mapping.as_dict():
        db.run(con, f"DROP TABLE {table}")
        return _stream(con, table, path, source, options, known, progress)
    used = set(mapping.used().values())
    wanted = [EVENT_ID, *FIELDS, *(ATTRIBUTE_PREFIX + c for c in known if c not in used)]
    if stored != wanted:
        _reorder(con, table, wanted)
    report = canon.report()
    report.rejects = sink.collect()
    if not report.rows:
        raise _no_rows(path, source.format)
    if not report.accepted:
        raise _all_rejected(path, report)
    return report


def _no_rows(path: Path, fmt: str) -> FormatError:
    return FormatError(f"no events in {path}: {_EMPTY[fmt]}.",  # type: ignore[index]
                       fix="export the log again with its rows (check the export's filters "
                           "and dates).", code="no_rows", params={"file": str(path)})


def _store(con: duckdb.DuckDBPyConnection, table: str, events: pa.Table,
           stored: list[str]) -> list[str]:
    """Add ``events`` to ``table`` (made from them at first), adding the columns it lacks;
    return the table's columns."""
    if not stored:
        append(con, table, events, create=True)
        return events.column_names
    new = [c for c in events.column_names if c not in stored]
    for column in new:
        kind = con.from_arrow(events.select([column])).types[0]
        db.run(con, f"ALTER TABLE {table} ADD COLUMN {db.ident(column)} {kind}")
    if events.column_names == stored + new:
        append(con, table, events, create=False)
    else:
        con.register("import_batch", events)
        try:
            db.run(con, f"INSERT INTO {table} BY NAME SELECT * FROM import_batch")
        finally:
            con.unregister("import_batch")
    return stored + new


def _reorder(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> None:
    """Put the columns of ``table`` in the order ``columns``."""
    listed = ", ".join(db.ident(c) for c in columns)
    db.run(con, f"CREATE TABLE {table}_ordered AS SELECT {listed} FROM {table}")
    db.run(con, f"DROP TABLE {table}")
    db.run(con, f"ALTER TABLE {table}_ordered RENAME TO {table}")


def _padded(batch: pa.Table, headers: list[str]) -> pa.Table:
    """``batch`` with the columns ``headers`` (text, empty where missing) and ``__row``."""
    present = set(batch.column_names)
    return pa.table({**{h: batch[h] if h in present else pa.nulls(batch.num_rows, pa.string())
                        for h in headers}, ROW: batch[ROW]})


def _day_order(path: Path, source: BatchSource, mapping: ColumnMapping, options: ImportOptions,
               first: pa.Table) -> bool | None:
    """The day order of the file's numeric dates, from its first batches that tell it (None
    when the order is given, or no batch tells it)."""
    used = mapping.used()
    columns = [used[f] for f in ("timestamp", "start_timestamp") if f in used]
    if options.order != "auto" or not columns:
        return None
    for batch in _again(source, first):
        if not all(c in batch.column_names for c in columns):
            return None  # the mapping error comes with the first batch
        settled, dayfirst = day_order_evidence({c: batch[c] for c in columns},
                                               source=str(path))
        if settled:
            return dayfirst
    return None


def _again(source: BatchSource, first: pa.Table) -> Iterator[pa.Table]:
    """The batches of ``source``, the first one as already read."""
    yield first
    rest = source.batches()
    next(rest, None)
    yield from rest


def _finish(con: duckdb.DuckDBPyConnection, table: str, report: ImportReport,
            options: ImportOptions) -> None:
    """Org chart, named columns and lifecycle summary of the stored events."""
    if options.orgchart:
        chart = read_orgchart(options.orgchart, tz=options.zone)
        report.notes.extend(apply_orgchart_in(con, table, chart))
    if options.pseudonymize_columns:
        columns = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
        columns_to_pseudonymize(columns, report.mapping, options.pseudonymize_columns)
    report.details["lifecycle"] = lifecycle_summary(con, table)
    _lifecycle_note(report)


def _lifecycle_note(report: ImportReport) -> None:
    if report.details["lifecycle"]["mode"] == "attribute":
        report.notes.append(Note("lifecycle: the column's values are not XES lifecycle "
                                 "transitions; every event is taken as one completed activity "
                                 "instance.", "lifecycle_not_transitions"))


def append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, *, create: bool) -> None:
    """Add ``rows`` to ``table`` (made from them when ``create``). DuckDB copies them: no
    reference to the Arrow data is kept until the transaction ends."""
    relation = con.from_arrow(rows)
    if create:
        relation.create(table)
    else:
        relation.insert_into(table)


class RejectTable:
    """Rejected rows kept in a temporary DuckDB table instead of in memory; the report gets
    the first :data:`REJECTS_KEPT` of them."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.name = con, "import_rejects"
        db.run(con, f"DROP TABLE IF EXISTS temp.{self.name}")
        self.created = False

    def add(self, rejects: pa.Table) -> None:
        """Keep these rejected rows."""
        if not self.created:
            db.run(self.con, f"CREATE TEMP TABLE {self.name} (row BIGINT, reason VARCHAR, "
                   "\"column\" VARCHAR, value VARCHAR)")
            self.created = True
        append(self.con, f"temp.{self.name}", rejects, create=False)

    def collect(self) -> pa.Table:
        """The first rejected rows, by row number; the side table is dropped."""
        if not self.created:
            return no_rejects()
        kept = self.con.sql(f"SELECT * FROM temp.{self.name} ORDER BY row "
                            f"LIMIT {REJECTS_KEPT}").to_arrow_table()
        db.run(self.con, f"DROP TABLE temp.{self.name}")
        return kept


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
