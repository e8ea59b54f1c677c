"""Map source columns onto the canonical event log and check every row.

Rows that cannot be events are rejected with one reason each (the first that applies, in
the order of :data:`REASONS`), kept with their row number and value for the import report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procflow.errors import MappingError, TimestampError
from procflow.ingest.notes import Note
from procflow.ingest.schema import ATTRIBUTE_PREFIX, EVENT_ID, FIELDS, ROW, ColumnMapping
from procflow.ingest.timeparse import DayOrder, ParsedTimes, parse_time_columns
from procflow.ingest.timerules import FAMILY_NAMES
from procflow.ingest.window import TimeWindow

#: (reason, the field it concerns), in the order reasons are tried; ``{window}`` is the label
#: of the import's time window.
REASON_RULES: tuple[tuple[str, str], ...] = (
    ("empty case id", "case_id"),
    ("empty activity", "activity"),
    ("empty timestamp", "timestamp"),
    ("unparseable timestamp", "timestamp"),
    ("timestamp outside {window}", "timestamp"),
    ("unparseable start time", "start_timestamp"),
    ("start time outside {window}", "start_timestamp"),
    ("start after complete", "start_timestamp"),
)


def reasons(window: TimeWindow | None = None) -> tuple[str, ...]:
    """The reject reasons of an import with ``window``, in the order they are tried."""
    label = (window or TimeWindow()).label
    return tuple(text.format(window=label) for text, _ in REASON_RULES)


REASONS = reasons()
TIMESTAMP = pa.timestamp("us", tz="UTC")
CANONICAL_TYPES: dict[str, pa.DataType] = {
    EVENT_ID: pa.int64(), "case_id": pa.string(), "activity": pa.string(),
    "timestamp": TIMESTAMP, "start_timestamp": TIMESTAMP, "resource": pa.string(),
    "role": pa.string(), "unit": pa.string(), "level": pa.int32(), "lifecycle": pa.string(),
}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8}


@dataclass
class ImportReport:
    """What an import accepted, rejected and decided."""

    source: str
    format: str
    mapping: dict[str, str | None]
    rows: int
    accepted: int
    rejected: dict[str, int]
    rejects: pa.Table
    time_formats: dict[str, str] = field(default_factory=dict)
    #: How many values of each time column carried each UTC offset (minutes), most common
    #: first; a column whose values carry no zone is absent.
    time_offsets: dict[str, dict[int, int]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self, sample: int = 20) -> dict[str, Any]:
        """JSON-ready form; ``rejected_rows`` holds the first ``sample`` rejects."""
        return {
            "source": self.source,
            "format": self.format,
            "mapping": self.mapping,
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rejected_rows": self.rejects.slice(0, sample).to_pylist(),
            "time_formats": self.time_formats,
            "time_offsets": self.time_offsets,
            "details": self.details,
            "notes": [str(n) for n in self.notes],
            "note_codes": [{"code": n.code, "params": n.params} if isinstance(n, Note) else None
                           for n in self.notes],
        }


def canonicalize(
    table: pa.Table,
    mapping: ColumnMapping,
    *,
    tz: str | None,
    order: DayOrder = "auto",
    source: str = "",
    file_format: str = "",
    window: TimeWindow | None = None,
) -> tuple[pa.Table, ImportReport]:
    """Turn a source table into canonical events and an import report; times outside
    ``window`` (default 1970–2100) are rejected rows."""
    canon = Canonicalizer(mapping, tz=tz, order=order, source=source, file_format=file_format,
                          window=window)
    events = canon.batch(table)
    return events, canon.report()


RejectSink = Callable[[pa.Table], None]


class Canonicalizer:
    """Canonical events of a source read part by part (one table, or a file's batches in
    order): each :meth:`batch` gives that part's accepted events, :meth:`report` the import
    report of all parts so far. Rejected rows go to ``rejects`` (a side table) when given,
    else they are kept for the report."""

    def __init__(self, mapping: ColumnMapping, *, tz: str | None, order: DayOrder = "auto",
                 source: str = "", file_format: str = "", window: TimeWindow | None = None,
                 dayfirst: bool | None = None, rejects: RejectSink | None = None) -> None:
        self.mapping, self.tz, self.order, self.source = mapping, tz, order, source
        self.file_format = file_format
        self.window = window or TimeWindow()
        self.labels = reasons(self.window)
        #: The day order found in the file so far (None: not told yet).
        self.dayfirst = dayfirst
        self.sink = rejects
        self.kept: list[pa.Table] = []
        self.rows = self.accepted = 0
        self.counts = np.zeros(len(self.labels), np.int64)
        self.formats: dict[str, str] = {}
        self.offsets: dict[str, Counter[int]] = {}
        self.families: dict[str, int] = {}
        self.unknown_levels: dict[str, int] = {}

    def batch(self, table: pa.Table) -> pa.Table:
        """The accepted canonical events of the next part of the source."""
        mapping, used = self.mapping, self.mapping.used()
        check_mapping(table, mapping, self.source)
        times = parse_time_columns(
            {used[f]: table[used[f]].combine_chunks() for f in ("timestamp", "start_timestamp")
             if f in used},
            tz=self.tz, order=self.order, source=self.source, decided=self.dayfirst,
        )
        self._note_times(times)
        cols: dict[str, pa.Array] = {EVENT_ID: table[ROW].combine_chunks()}
        for name in FIELDS:
            if name in ("timestamp", "start_timestamp"):
                cols[name] = times[used[name]].values if name in used else _nulls(name, table)
            elif name == "level":
                cols[name] = (_levels(table[used[name]], self.unknown_levels) if name in used
                              else _nulls(name, table))
            elif name in used:
                cols[name] = _text(table[used[name]])
            else:
                cols[name] = _nulls(name, table)
        if "lifecycle" in used:
            cols["lifecycle"] = pc.utf8_lower(cols["lifecycle"])
        masks = _reason_masks(cols, times, used, self.window)
        reason = _first_reason(masks, table.num_rows)
        rejects = _rejects_table(table, reason, used, self.labels)
        if self.sink is not None and rejects.num_rows:
            self.sink(rejects)
        elif self.sink is None:
            self.kept.append(rejects)
        keep = pa.array(reason < 0)
        events = _with_attributes(pa.table(cols), table, set(used.values())).filter(keep)
        self.counts += np.bincount(reason[reason >= 0], minlength=len(self.labels))
        self.rows += table.num_rows
        self.accepted += events.num_rows
        return events

    def _note_times(self, times: dict[str, ParsedTimes]) -> None:
        """Keep each column's rule; refuse a column whose parts follow different families."""
        for column, parsed in times.items():
            before = self.families.setdefault(column, parsed.family)
            if before and parsed.family and before != parsed.family:
                raise TimestampError(
                    f"column {column!r} mixes date formats: {FAMILY_NAMES[before]} in earlier "
                    f"rows, {FAMILY_NAMES[parsed.family]} in later ones.",
                    source=self.source or None,
                    fix="make every value of the column use one format (re-export or convert "
                        "it); procflow does not guess which rule a value follows.",
                    code="mixed_dates", params={"column": column, "examples": ""})
            self.families[column] = before or parsed.family
            if self.formats.get(column, "empty") == "empty":
                self.formats[column] = parsed.description
            if parsed.offsets:
                self.offsets.setdefault(column, Counter()).update(parsed.offsets)

    def report(self) -> ImportReport:
        """The import report of the parts read so far."""
        notes: list[str] = []
        if self.unknown_levels:
            unknown = list(self.unknown_levels)
            n = sum(self.unknown_levels.values())
            notes.append(Note(f"level: {n} value(s) not understood "
                              f"({', '.join(map(repr, unknown[:5]))}) were left empty; give "
                              "levels for them with --orgchart.", "levels_unknown", count=n,
                              values=[str(v) for v in unknown[:5]]))
        kept = pa.concat_tables(self.kept) if self.kept else no_rejects()
        return ImportReport(
            source=self.source, format=self.file_format, mapping=self.mapping.as_dict(),
            rows=self.rows, accepted=self.accepted,
            rejected={self.labels[i]: int(n) for i, n in enumerate(self.counts) if n},
            rejects=kept, time_formats=dict(self.formats), notes=notes,
            time_offsets={column: dict(seen.most_common())
                          for column, seen in self.offsets.items()},
        )


def no_rejects() -> pa.Table:
    """An empty table of rejected rows."""
    return pa.table({"row": pa.array([], pa.int64()), "reason": pa.array([], pa.string()),
                     "column": pa.array([], pa.string()), "value": pa.array([], pa.string())})


def _with_attributes(events: pa.Table, table: pa.Table, used: set[str]) -> pa.Table:
    """``events`` followed by the unmapped source columns, named ``attr:<column>``."""
    source = table.column_names
    at = [i for i, name in enumerate(source) if name != ROW and name not in used]
    names = [*events.column_names, *(ATTRIBUTE_PREFIX + source[i] for i in at)]
    columns = table.columns
    return pa.Table.from_arrays([*events.columns, *(columns[i] for i in at)], names=names)


def check_mapping(table: pa.Table, mapping: ColumnMapping, source: str) -> None:
    """Refuse a mapping that lacks a required field or names a column ``table`` lacks."""
    headers = [c for c in table.column_names if c != ROW]
    missing = mapping.missing_required()
    if missing:
        options = ", ".join(f"--{f.split('_')[0]} COLUMN" for f in missing)
        raise MappingError(
            f"no column found for {', '.join(missing)}; columns are: {', '.join(headers)}.",
            source=source, fix=f"name the columns with {options}.",
            code="missing_columns", params={"fields": missing, "columns": headers},
        )
    for name, column in mapping.used().items():
        if column not in table.column_names:
            raise MappingError(
                f"column {column!r} (for {name}) is not in the file; columns are: "
                f"{', '.join(headers)}.", source=source, fix="check the column name's spelling.",
                code="unknown_column", params={"column": column, "field": name},
            )


def _nulls(name: str, table: pa.Table) -> pa.Array:
    return pa.nulls(table.num_rows, CANONICAL_TYPES[name])


def _text(column: pa.ChunkedArray) -> pa.Array:
    """Trimmed text; empty → null. Values such as 'NA' or 'null' stay as they are."""
    arr = column.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def parse_level(value: str) -> int | None:
    """Hierarchy level from ``3``, ``3.0``, ``III``, ``III.a`` or ``Eselon IV/b``; else None."""
    text = re.sub(r"^ESELON\s*", "", value.strip().upper())
    if m := re.fullmatch(r"(\d+)(?:\.0+)?", text):
        return int(m.group(1))
    if m := re.fullmatch(r"([IVX]+)(?:[\s./-]*[AB])?", text):
        return _ROMAN.get(m.group(1))
    return None


def _levels(column: pa.ChunkedArray, unknown_rows: dict[str, int]) -> pa.Array:
    """Levels of the column; values not understood are counted in ``unknown_rows``."""
    text = _text(column)
    uniques = pc.unique(text).drop_null().to_pylist()
    lookup = {v: parse_level(v) for v in uniques}
    unknown = [v for v, lv in lookup.items() if lv is None]
    good = [v for v in uniques if lookup[v] is not None]
    idx = pc.index_in(text, pa.array(good, pa.string()))
    values = pa.array([lookup[v] for v in good], pa.int32())
    levels = pc.take(values, idx) if good else pa.nulls(len(text), pa.int32())
    if unknown:
        found = pc.value_counts(pc.filter(text, pc.is_in(text, pa.array(unknown, pa.string()))))
        counted = dict(zip(found.field("values").to_pylist(),
                           found.field("counts").to_pylist(), strict=True))
        for value in unknown:
            unknown_rows[value] = unknown_rows.get(value, 0) + counted[value]
    return levels


def _reason_masks(
    cols: dict[str, pa.Array], times: dict[str, Any], used: dict[str, str], window: TimeWindow
) -> list[np.ndarray]:
    n = len(cols[EVENT_ID])
    none = np.zeros(n, bool)
    ts_invalid = times[used["timestamp"]].invalid
    st_invalid = times[used["start_timestamp"]].invalid if "start_timestamp" in used else none
    after = pc.fill_null(pc.greater(cols["start_timestamp"], cols["timestamp"]), False)
    return [
        cols["case_id"].is_null().to_numpy(zero_copy_only=False),
        cols["activity"].is_null().to_numpy(zero_copy_only=False),
        cols["timestamp"].is_null().to_numpy(zero_copy_only=False) & ~ts_invalid,
        ts_invalid,
        _outside(cols["timestamp"], window),
        st_invalid,
        _outside(cols["start_timestamp"], window),
        after.to_numpy(zero_copy_only=False),
    ]


def _outside(stamps: pa.Array, window: TimeWindow) -> np.ndarray:
    """Rows whose time lies outside ``window`` (empty times are not outside)."""
    low, high = window.bounds_us()
    micros = pc.fill_null(stamps.cast(pa.int64()), low).to_numpy(zero_copy_only=False)
    return np.asarray((micros < low) | (micros >= high))


def _first_reason(masks: list[np.ndarray], n: int) -> np.ndarray:
    reason = np.full(n, -1, np.int64)
    for i, mask in enumerate(masks):
        reason[(reason < 0) & mask] = i
    return reason


def _rejects_table(table: pa.Table, reason: np.ndarray, used: dict[str, str],
                   labels: tuple[str, ...]) -> pa.Table:
    bad = np.flatnonzero(reason >= 0)
    field_of = np.array([f for _, f in REASON_RULES], dtype=object)
    fields = field_of[reason[bad]]
    values = np.full(len(bad), None, dtype=object)
    for name in set(fields):
        column = used.get(name)
        if column is not None:
            here = fields == name
            taken = pc.take(table[column], pa.array(bad[here], pa.int64()))
            values[here] = pc.cast(taken, pa.string()).to_numpy(zero_copy_only=False)
    return pa.table({
        "row": pc.take(table[ROW], pa.array(bad, pa.int64())),
        "reason": pa.array([labels[i] for i in reason[bad]], pa.string()),
        "column": pa.array([used.get(f) for f in fields], pa.string()),
        "value": pa.array(values, pa.string()),
    })
