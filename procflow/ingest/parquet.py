"""Parquet reader: typed columns kept; lists, structs and maps kept as JSON text."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from procflow.core import db
from procflow.errors import FormatError
from procflow.ingest.limits import Limits, check_columns
from procflow.ingest.notes import Note
from procflow.ingest.schema import ROW, unique_names

_FIX = "export the Parquet file again (it may be cut off or damaged), or export the log as CSV."


def read_parquet(path: Path, *, limits: Limits | None = None,
                 notes: list[str] | None = None) -> pa.Table:
    """Read a Parquet file (or a folder of them) and number its rows.

    Nested columns (list, struct, map) and binary columns become text; ``notes`` hears which.
    """
    try:
        if Path(path).is_dir():
            check_columns(len(pq.ParquetDataset(path).schema), str(path), limits)
            table = pq.read_table(path)
        else:
            with pq.ParquetFile(path) as file:
                check_columns(len(file.schema_arrow), str(path), limits)
                table = file.read()
    except (pa.ArrowException, OSError, ValueError) as err:
        raise FormatError(f"{_describe(err)}.", source=str(path), fix=_FIX,
                          code="bad_parquet") from None
    table = table.rename_columns(unique_names(table.column_names))
    table = as_text_where_needed(table, notes if notes is not None else [])
    return table.append_column(ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))


_CUT_OFF = ("magic bytes not found", "smaller than the minimum file footer",
            "smaller than the size reported", "Unexpected end of stream", "No more data")


def _describe(err: Exception) -> str:
    """The reader's failure in words, its own text kept short in brackets."""
    detail = " ".join(str(err).split())[:160] or type(err).__name__
    if any(text in detail for text in _CUT_OFF):
        return f"not a complete Parquet file: it is cut off or not Parquet at all ({detail})"
    return f"not a readable Parquet file: its content is damaged ({detail})"


def _nested(kind: pa.DataType) -> bool:
    return bool(pa.types.is_list(kind) or pa.types.is_large_list(kind)
                or pa.types.is_fixed_size_list(kind) or pa.types.is_struct(kind)
                or pa.types.is_map(kind) or pa.types.is_union(kind)
                or getattr(pa.types, "is_list_view", lambda _: False)(kind)
                or getattr(pa.types, "is_large_list_view", lambda _: False)(kind))


def _binary(kind: pa.DataType) -> bool:
    return bool(pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
                or pa.types.is_fixed_size_binary(kind)
                or getattr(pa.types, "is_binary_view", lambda _: False)(kind))


def as_text_where_needed(table: pa.Table, notes: list[str]) -> pa.Table:
    """Nested columns as JSON text, binary columns as UTF-8 (else hex) text."""
    for i, name in enumerate(table.column_names):
        kind = table.schema.field(i).type
        if _nested(kind):
            table = table.set_column(i, name, _json_text(table.select([i])))
            notes.append(Note(f"column {name!r} ({kind}) is kept as JSON text.",
                              "column_as_json", column=name, kind=str(kind)))
        elif _binary(kind):
            table = table.set_column(i, name, _binary_text(table.column(i)))
            notes.append(Note(f"column {name!r} ({kind}) is kept as text.", "column_as_text",
                              column=name, kind=str(kind)))
    return table


def _json_text(one: pa.Table) -> pa.Array:
    """The single column of ``one`` as JSON text (null stays null)."""
    con = db.connect()
    try:
        order = pa.array(range(one.num_rows), pa.int64())
        con.register("nested", pa.table({"i": order, "value": one.column(0)}))
        found = con.sql("SELECT to_json(value)::VARCHAR AS v FROM nested ORDER BY i"
                        ).to_arrow_table()
        return found["v"].combine_chunks().cast(pa.string())
    except duckdb.Error:  # a type DuckDB cannot take: Python's own rendering
        values = one.column(0).to_pylist()
        return pa.array([None if v is None else json.dumps(v, default=str, ensure_ascii=False)
                         for v in values], pa.string())
    finally:
        con.close()


def _binary_text(column: pa.ChunkedArray) -> pa.Array:
    out: list[str | None] = []
    for value in column.to_pylist():
        if value is None:
            out.append(None)
            continue
        try:
            out.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            out.append("0x" + value.hex())
    return pa.array(out, pa.string())
