"""An event log held in DuckDB: its events as a relation, Arrow table or pandas frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from procflow.core import db

if TYPE_CHECKING:
    import pandas as pd

    from procflow.ingest.validate import ImportReport


@dataclass(frozen=True)
class CaseSubset:
    """Where the step and case tables of a log cut from another one are: ``prefix`` names
    the tables ``<prefix>_dict_<column>``, ``<prefix>_steps`` and ``<prefix>_cases`` that
    ``procflow.measure.prepare`` builds (case ids coded), and ``cases`` a table whose column
    ``case_id`` holds the codes of the cases the log keeps (None: every case)."""

    prefix: str
    cases: str | None = None


@dataclass
class EventLog:
    """Canonical events of one log (see METRICS.md §1), stored in a DuckDB table.

    ``zone`` is the zone its naive times were read in (the import zone), ``selection`` the
    ``filter`` block of a filtered log (its filters and what they kept) and ``subset`` where
    the step and case tables of its whole cases already are."""

    name: str
    con: duckdb.DuckDBPyConnection
    table: str
    report: ImportReport | None = None
    zone: str | None = None
    selection: dict[str, Any] | None = None
    subset: CaseSubset | None = None

    @property
    def relation(self) -> duckdb.DuckDBPyRelation:
        """The events as a DuckDB relation, in source order."""
        return self.con.sql(f"SELECT * FROM {self.table} ORDER BY event_id")

    def to_arrow(self) -> pa.Table:
        """The events as an Arrow table."""
        return self.relation.to_arrow_table()

    def to_pandas(self) -> pd.DataFrame:
        """The events as a pandas DataFrame (timestamps tz-aware, UTC)."""
        return self.relation.df()

    def summary(self) -> dict[str, Any]:
        """Counts and time span: cases, events, activities, resources, start, end."""
        row = db.one(self.con, f"""
            SELECT count(DISTINCT case_id), count(*), count(DISTINCT activity),
                   count(DISTINCT resource), min(timestamp), max(timestamp),
                   count(start_timestamp) > 0
            FROM {self.table}""")
        assert row is not None
        keys = ("cases", "events", "activities", "resources", "start", "end", "has_start_times")
        out = dict(zip(keys, row, strict=True))
        for key in ("start", "end"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return {"name": self.name, **out}

    def columns(self) -> list[str]:
        """Column names present in the events table."""
        return [c[0] for c in db.rows(self.con, f"DESCRIBE {self.table}")]
