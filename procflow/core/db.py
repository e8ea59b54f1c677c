"""DuckDB connections and small query helpers used across procflow."""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from functools import cache
from typing import Any

import duckdb
from duckdb.sqltypes import DOUBLE

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
    with contextlib.suppress(duckdb.CatalogException):  # one per database, shared
        con.create_function("pf_interpolate", interpolate, [DOUBLE, DOUBLE, DOUBLE], DOUBLE,
                            side_effects=False)
    return con


def interpolate(lo: float, hi: float, d: float) -> float:
    """``lo × (1 − d) + hi × d`` rounded as DuckDB's ``quantile_cont`` rounds it (its build
    may fuse the last multiply-add into one rounding): SQL that picks a quantile's two
    neighbours itself gets the very figure of the aggregate."""
    if _fused():
        return float(Fraction(lo) * Fraction(1.0 - d) + Fraction(hi * d))
    return lo * (1.0 - d) + hi * d


@cache
def _fused() -> bool:
    """Whether this DuckDB rounds the interpolation once (a fused multiply-add): told apart
    on two neighbours whose figures differ between the two roundings."""
    lo, hi, d = 713210.690318229, 714538.981651992, 0.8000000000001819
    found = duckdb.connect().execute(
        f"SELECT list_aggregate([{lo!r}::DOUBLE, {hi!r}::DOUBLE], 'quantile_cont', {d!r})"
    ).fetchall()[0][0]
    return bool(found == float(Fraction(lo) * Fraction(1.0 - d) + Fraction(hi * d)))


def exhausted(err: BaseException) -> str | None:
    """``"memory"`` when ``err`` is DuckDB running out of memory (beyond its limit, with
    nothing left to spill), ``"disk"`` when the disk of its spill folder is full, else None."""
    if isinstance(err, duckdb.OutOfMemoryException):
        return "memory"
    text = str(err).lower()
    if isinstance(err, duckdb.Error) and any(
            s in text for s in ("no space left", "disk is full", "not enough space")):
        return "disk"
    return None


UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4, "KIB": 1 << 10,
         "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}


def memory_limit(con: duckdb.DuckDBPyConnection) -> float:
    """DuckDB's memory limit on ``con`` in bytes (e.g. ``1.8 GiB``)."""
    number, _, unit = str(scalar(con, "SELECT value FROM duckdb_settings() "
                                      "WHERE name = 'memory_limit'")).partition(" ")
    return float(number) * UNITS.get(unit.strip().upper() or "B", 1)


def temp_folder(con: duckdb.DuckDBPyConnection) -> str:
    """Where DuckDB spills what does not fit in its memory limit."""
    return str(scalar(con, "SELECT current_setting('temp_directory')") or "")


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
