"""DuckDB connections and small query helpers used across procflow."""

from __future__ import annotations

import os
from typing import Any

import duckdb

MEMORY_LIMIT = os.environ.get("PROCFLOW_MEMORY_LIMIT", "2GB")


def connect(path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A connection whose session time zone is UTC (timestamps come back in UTC) and whose
    memory is capped at ``PROCFLOW_MEMORY_LIMIT`` (default 2GB; DuckDB spills beyond it)."""
    return _session(duckdb.connect(path, config={"memory_limit": MEMORY_LIMIT}))


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection to the database of ``con``, with the same session settings: one per
    thread, each with its own transactions and temporary views."""
    return _session(con.cursor())


def _session(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("SET TimeZone = 'UTC'").fetchall()
    con.execute("SET enable_progress_bar = false").fetchall()  # stdout may carry JSON
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
         ) -> list[tuple[Any, ...]]:
    """All rows of ``sql`` (the result is read to its end)."""
    return con.execute(sql, params or []).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
        ) -> tuple[Any, ...] | None:
    """The first row of ``sql``, or None."""
    found = rows(con, sql, params)
    return found[0] if found else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row of ``sql``."""
    row = one(con, sql, params)
    return None if row is None else row[0]


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> None:
    """Execute a statement that returns nothing of interest."""
    con.execute(sql, params or []).fetchall()


def ident(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
