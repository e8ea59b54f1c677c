"""Org chart: resource or role → level, unit (and role), valid between dates.

The file is a CSV with a ``resource`` or ``role`` column (or both), ``level``, and optional
``unit``, ``valid_from`` and ``valid_to`` (``YYYY-MM-DD`` local dates; ``valid_to`` is the last
day, inclusive; empty = open-ended). A resource row wins over a role row; values already in the
log win over the chart. Two rows for the same key whose validity overlaps are refused.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from procflow.core import db
from procflow.errors import OrgChartError
from procflow.ingest.csv import read_csv
from procflow.ingest.notes import Note
from procflow.ingest.schema import ROW, normalize_header
from procflow.ingest.validate import parse_level

OPEN_START = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
OPEN_END = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class OrgChart:
    """Rows of ``(key_kind, key, role, level, unit, valid_from, valid_to)`` with UTC bounds."""

    rows: pa.Table
    source: str

    def to_pylist(self) -> list[dict[str, object]]:
        """Rows as dictionaries (for the registry)."""
        return [{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in r.items()}
                for r in self.rows.to_pylist()]


def read_orgchart(path: Path, *, tz: str | None) -> OrgChart:
    """Read and check an org chart CSV; dates are local days in ``tz`` (UTC if None)."""
    table, _ = read_csv(Path(path))
    zone = ZoneInfo(tz or "UTC")
    cols = {normalize_header(c): c for c in table.column_names if c != ROW}
    if "level" not in cols or not ({"resource", "role"} & cols.keys()):
        raise OrgChartError(
            f"needs columns 'level' and 'resource' or 'role'; found {', '.join(cols.values())}.",
            source=str(path), fix="rename the columns (see the README's org chart section).",
            code="orgchart_columns", params={"columns": list(cols.values())},
        )
    out = [_chart_row(rec, cols, zone, path) for rec in table.to_pylist()]
    _check_overlaps(out, path)
    return OrgChart(pa.Table.from_pylist(out, schema=_SCHEMA), str(path))


def _chart_row(rec: dict[str, Any], cols: dict[str, str], zone: ZoneInfo,
               path: Path) -> dict[str, Any]:
    row = rec[ROW]
    cell = {name: (rec.get(column) or "").strip() for name, column in cols.items()}
    kind = "resource" if cell.get("resource") else "role"
    key = cell.get(kind, "")
    if not key:
        raise OrgChartError(f"row {row}: neither resource nor role is given.", source=str(path),
                            code="orgchart_no_key", params={"row": row})
    level = parse_level(cell["level"]) if cell["level"] else None
    if cell["level"] and level is None:
        raise OrgChartError(f"row {row}: level {cell['level']!r} is not a number.",
                            source=str(path), fix="use 1 for the top level, 2, 3, …",
                            code="orgchart_level", params={"row": row, "value": cell["level"]})
    start = _day(cell.get("valid_from", ""), zone, row, path, 0) or OPEN_START
    end = _day(cell.get("valid_to", ""), zone, row, path, 1) or OPEN_END
    if end <= start:
        raise OrgChartError(f"row {row}: valid_to is before valid_from.", source=str(path),
                            code="orgchart_dates", params={"row": row})
    return {"kind": kind, "key": key, "role": cell.get("role") or None, "level": level,
            "unit": cell.get("unit") or None, "valid_from": start, "valid_to": end, "row": row}


_SCHEMA = pa.schema([("kind", pa.string()), ("key", pa.string()), ("role", pa.string()),
                     ("level", pa.int32()), ("unit", pa.string()),
                     ("valid_from", pa.timestamp("us", tz="UTC")),
                     ("valid_to", pa.timestamp("us", tz="UTC")), ("row", pa.int64())])


def _day(text: str, zone: ZoneInfo, row: int, path: Path, plus: int) -> dt.datetime | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text) + dt.timedelta(days=plus)
    except ValueError as err:
        raise OrgChartError(f"row {row}: date {text!r} is not YYYY-MM-DD.",
                            source=str(path), code="orgchart_date",
                            params={"row": row, "value": text}) from err
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.UTC)


def _check_overlaps(rows: list[dict[str, Any]], path: Path) -> None:
    ordered = sorted(rows, key=lambda r: (r["kind"], r["key"], r["valid_from"]))
    for a, b in itertools.pairwise(ordered):
        if (a["kind"], a["key"]) == (b["kind"], b["key"]) and b["valid_from"] < a["valid_to"]:
            raise OrgChartError(
                f"rows {a['row']} and {b['row']} give {a['kind']} {a['key']!r} overlapping "
                "validity.", source=str(path), fix="make valid_to of one end before the other.",
                code="orgchart_overlap", params={"rows": [a["row"], b["row"]], "key": a["key"]},
            )


def apply_orgchart(events: pa.Table, chart: OrgChart) -> tuple[pa.Table, list[str]]:
    """Fill empty role, level and unit of ``events`` from the chart valid at each event."""
    con = db.connect()
    try:
        con.register("incoming", events)
        db.run(con, "CREATE TABLE events AS SELECT * FROM incoming")
        notes = apply_orgchart_in(con, "events", chart)
        return con.table("events").to_arrow_table(), notes
    finally:
        con.close()


def apply_orgchart_in(con: duckdb.DuckDBPyConnection, table: str, chart: OrgChart) -> list[str]:
    """Fill empty role, level and unit of the events in ``table`` (of ``con``) from the chart
    valid at each event; returns the notes for the import report."""
    con.register("chart", chart.rows)
    try:
        db.run(con, f"""
            CREATE OR REPLACE TABLE {table} AS
            SELECT e.* REPLACE (
                coalesce(e.role, r.role) AS role,
                coalesce(e.level, r.level, o.level) AS level,
                coalesce(e.unit, r.unit, o.unit) AS unit)
            FROM {table} e
            LEFT JOIN chart r ON r.kind = 'resource' AND r.key = e.resource
                 AND e.timestamp >= r.valid_from AND e.timestamp < r.valid_to
            LEFT JOIN chart o ON o.kind = 'role' AND o.key = coalesce(e.role, r.role)
                 AND e.timestamp >= o.valid_from AND e.timestamp < o.valid_to
            ORDER BY e.event_id""")
        total, missing, examples = db.one(con, f"""
            SELECT count(*), count(*) FILTER (WHERE level IS NULL),
                   (list(DISTINCT coalesce(role, resource)) FILTER (WHERE level IS NULL))[:5]
            FROM {table}""") or (0, 0, [])
    finally:
        con.unregister("chart")
    name = Path(chart.source).name
    notes: list[str] = [Note(f"org chart {name}: level known for {total - missing:,} of "
                             f"{total:,} events.", "orgchart_levels", chart=name,
                             known=total - missing, total=total)]
    if missing:
        shown = [str(e) for e in (examples or [])[:5]]
        notes.append(Note(f"org chart: {missing} event(s) have no level (e.g. "
                          f"{', '.join(map(repr, shown))}); add them to the chart.",
                          "orgchart_missing", count=missing, examples=shown))
    return notes
