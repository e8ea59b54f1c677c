"""Where the metric SQL runs: DuckDB (default) or Apache Spark, from the same text.

A backend loads canonical events as ``pf_events``, materialises derived tables and returns
query rows as dictionaries. Spark receives the DuckDB-dialect SQL transpiled by SQLGlot, with
two adjustments: ``quantile_cont(x, q)`` becomes Spark's exact ``percentile(x, q)`` (both use
linear interpolation) and ``epoch_us(t)`` becomes ``unix_micros(t)``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pyarrow as pa

from procflow.core import db
from procflow.errors import InputError, ProcflowError
from procflow.eventlog import CaseSubset
from procflow.ingest.schema import CANONICAL


class Backend(Protocol):
    """The operations the metrics need from an engine."""

    name: str

    def create(self, table: str, sql: str) -> None:
        """Materialise ``sql`` as ``table`` (replacing it)."""

    def view(self, table: str, sql: str) -> None:
        """Name ``sql`` as ``table`` without materialising it (read once, where it is used)."""

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` and return its rows."""

    def columns(self, sql: str) -> dict[str, list[Any]]:
        """Run ``sql`` and return its columns (faster than :meth:`rows` for many rows)."""

    def register(self, table: str, data: pa.Table) -> None:
        """Make the Arrow table ``data`` readable as ``table`` (e.g. the calendar's day
        table ``pf_calendar``)."""

    def drop(self, table: str) -> None:
        """Free ``table`` once nothing reads it any more."""

    def close(self) -> None:
        """Drop what the backend created."""


class DuckDBBackend:
    """Runs on a DuckDB connection (a workspace or an in-memory log) in temporary tables;
    ``subset`` says where the step and case tables of the events ``source`` already are
    (a filtered log's)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str,
                 subset: CaseSubset | None = None):
        self.con = con
        self.source = source
        self.subset = subset
        self._made: list[str] = []
        self._views: list[str] = []
        # Every result is ordered explicitly, so DuckDB may materialise rows in any order.
        self._order = db.scalar(con, "SELECT current_setting('preserve_insertion_order')")
        db.run(con, "SET preserve_insertion_order = false")
        db.run(con, f"CREATE OR REPLACE TEMP VIEW pf_events AS "
                    f"SELECT {', '.join(CANONICAL)} FROM {source}")

    def create(self, table: str, sql: str) -> None:
        db.run(self.con, f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")
        self._made.append(table)

    def view(self, table: str, sql: str) -> None:
        db.run(self.con, f"CREATE OR REPLACE TEMP VIEW {table} AS {sql}")
        self._views.append(table)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cur = self.con.execute(sql)
        found = cur.fetchall()
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in found]

    def columns(self, sql: str) -> dict[str, list[Any]]:
        table = self.con.sql(sql).to_arrow_table()
        return {name: python_values(table.column(name)) for name in table.column_names}

    def register(self, table: str, data: pa.Table) -> None:
        self.con.register(f"{table}_arrow", data)
        try:
            self.create(table, f"SELECT * FROM {table}_arrow")
        finally:
            self.con.unregister(f"{table}_arrow")

    def drop(self, table: str) -> None:
        if table in self._views:
            db.run(self.con, f"DROP VIEW IF EXISTS {table}")
            self._views.remove(table)
        else:
            db.run(self.con, f"DROP TABLE IF EXISTS {table}")
            self._made.remove(table)

    def close(self) -> None:
        # After a failed statement inside a transaction nothing more runs: what the backend
        # made goes with the rollback, and the failure itself is what the caller reports.
        with contextlib.suppress(duckdb.TransactionException):
            for view in reversed(self._views):
                db.run(self.con, f"DROP VIEW IF EXISTS {view}")
            for table in reversed(self._made):
                db.run(self.con, f"DROP TABLE IF EXISTS {table}")
            db.run(self.con, "DROP VIEW IF EXISTS pf_events")
            db.run(self.con, f"SET preserve_insertion_order = {bool(self._order)}")
        self._made.clear()
        self._views.clear()


def python_values(column: pa.ChunkedArray) -> list[Any]:
    """The values of an Arrow column as Python objects, as ``to_pylist`` gives them, read
    through NumPy for numbers and lists of numbers without nulls (many times faster)."""
    if column.null_count == 0 and _numeric(column.type):
        return _numbers(column.combine_chunks()).tolist()
    if column.null_count == 0 and pa.types.is_list(column.type) \
            and _numeric(column.type.value_type):
        lists = column.combine_chunks()
        if lists.values.null_count == 0:
            flat = _numbers(lists.values).tolist()
            ends = _numbers(lists.offsets).tolist()
            return [flat[a:b] for a, b in itertools.pairwise(ends)]
    return column.to_pylist()


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _numbers(values: pa.Array) -> np.ndarray[Any, Any]:
    """A numeric array without nulls as NumPy, from its data buffer (``to_numpy`` would
    import pandas)."""
    kind = values.type
    code = "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
    found = np.frombuffer(values.buffers()[1], dtype=f"{code}{kind.bit_width // 8}")
    return found[values.offset:values.offset + len(values)]


def to_spark_sql(sql: str) -> str:
    """Transpile procflow's DuckDB-dialect SQL to Spark SQL."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Quantile | exp.PercentileCont):
            fraction = node.args.get("quantile") or node.args["expression"]
            return exp.Anonymous(this="percentile", expressions=[node.this, fraction])
        if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us":
            return exp.Anonymous(this="unix_micros", expressions=node.expressions)
        return node

    return tree.transform(fix).sql(dialect="spark")


class SparkBackend:
    """Runs on a Spark session over Parquet files of canonical events."""

    name = "spark"

    def __init__(self, parquet: Path | str, master: str = "local[*]"):
        self.spark = spark_session(master)
        self._made: list[str] = []
        frame = self.spark.read.parquet(str(parquet))
        missing = [c for c in CANONICAL if c not in frame.columns]
        if missing:
            raise InputError(f"{parquet}: not canonical procflow events; missing columns "
                             f"{', '.join(missing)}.",
                             fix="write it with `procflow export NAME --to FILE.parquet`.")
        frame.createOrReplaceTempView("pf_source")
        self.create("pf_events", f"SELECT {', '.join(CANONICAL)} FROM pf_source")

    def create(self, table: str, sql: str) -> None:
        frame = self.spark.sql(to_spark_sql(sql)).localCheckpoint()
        frame.createOrReplaceTempView(table)
        self._made.append(table)

    def view(self, table: str, sql: str) -> None:
        self.spark.sql(to_spark_sql(sql)).createOrReplaceTempView(table)
        self._made.append(table)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in self.spark.sql(to_spark_sql(sql)).collect()]

    def columns(self, sql: str) -> dict[str, list[Any]]:
        frame = self.spark.sql(to_spark_sql(sql))
        found = frame.collect()
        return {name: [r[name] for r in found] for name in frame.columns}

    def register(self, table: str, data: pa.Table) -> None:
        kinds = {pa.int32(): "INT", pa.int64(): "BIGINT"}
        schema = ", ".join(f"{f.name} {kinds[f.type]}" for f in data.schema)
        rows = [tuple(r.values()) for r in data.to_pylist()]
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(table)
        self._made.append(table)

    def drop(self, table: str) -> None:
        self.spark.catalog.dropTempView(table)
        self._made.remove(table)

    def close(self) -> None:
        for table in self._made:
            self.spark.catalog.dropTempView(table)
        self._made.clear()


def spark_session(master: str = "local[*]") -> Any:
    """A Spark session in UTC with quiet logs (created once per process)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ProcflowError("the Spark engine needs pyspark, which is not installed.",
                            fix="pip install 'procflow[spark]' (and Java 17 or newer).") from err
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            spark = (SparkSession.builder.master(master).appName("procflow")
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.sql.shuffle.partitions", "8")
                     .config("spark.driver.memory", "4g")
                     .getOrCreate())
    except Exception as err:  # Spark reports a missing Java or a bad master in many types
        raise ProcflowError(f"cannot start Spark at {master!r} ({err}).",
                            fix="check that Java 17+ is installed and the master URL is right; "
                            "or use --engine duckdb.") from err
    spark.sparkContext.setLogLevel("ERROR")
    return spark
