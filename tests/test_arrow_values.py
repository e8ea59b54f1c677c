"""The column reader of the DuckDB backend (``python_values``, ``DuckDBBackend.columns``)
gives exactly what Arrow's ``to_pylist`` and DuckDB's own rows give, on every type the
figures read and on columns with nulls, several chunks or an offset."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.ingest.schema import CANONICAL
from procflow.measure.backends import DuckDBBackend, python_values

FAST = settings(max_examples=80, deadline=None)
KINDS = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32(), pa.uint64(),
         pa.float32(), pa.float64()]


def values_of(kind: pa.DataType) -> st.SearchStrategy[Any]:
    if pa.types.is_floating(kind):
        return st.floats(width=32 if kind == pa.float32() else 64, allow_nan=False)
    bits = kind.bit_width
    if pa.types.is_signed_integer(kind):
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return st.integers(0, 2 ** bits - 1)


@st.composite
def columns(draw: st.DrawFn) -> pa.ChunkedArray:
    """A chunked column of one numeric type, or lists of it, maybe with nulls and slices."""
    kind = draw(st.sampled_from(KINDS))
    nulls = draw(st.booleans())
    value = values_of(kind)
    if draw(st.booleans()):
        item: st.SearchStrategy[Any] = st.lists(value | st.none() if nulls else value,
                                                max_size=4)
        kind = pa.list_(kind)
    else:
        item = value
    item = item | st.none() if nulls else item
    chunks = []
    for rows in draw(st.lists(st.lists(item, max_size=12), min_size=1, max_size=3)):
        chunk = pa.array(rows, type=kind)
        start = draw(st.integers(0, len(rows)))
        chunks.append(chunk.slice(start))
    return pa.chunked_array(chunks, type=kind)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same Python types (an int stays an int, a float a float)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


@FAST
@given(columns())
def test_python_values_are_to_pylist(column: pa.ChunkedArray) -> None:
    assert same(python_values(column), column.to_pylist())


def test_numbers_without_nulls_keep_their_types() -> None:
    ints = pa.chunked_array([pa.array([1, 2], pa.int64()), pa.array([3], pa.int64())])
    floats = pa.chunked_array([pa.array([0.1, 2.0, -0.0])])
    lists = pa.chunked_array([pa.array([[1.5, 2.5], [3.0]]).slice(1)])
    assert same(python_values(ints), [1, 2, 3])
    assert same(python_values(floats), [0.1, 2.0, -0.0])
    assert same(python_values(lists), [[3.0]])
    assert same(python_values(pa.chunked_array([pa.array([1, None])])), [1, None])


@pytest.fixture
def backend() -> DuckDBBackend:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE events AS SELECT {', '.join(f'NULL AS {c}' for c in CANONICAL)}")
    return DuckDBBackend(con, "events")


def test_columns_are_the_rows_transposed(backend: DuckDBBackend) -> None:
    sql = ("SELECT i, i * 0.5 AS x, CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS gaps, "
           "[i * 1.0, i + 0.25] AS q, 'n' || i AS name FROM range(5000) r(i)")
    rows = backend.rows(sql + " ORDER BY i")
    cols = backend.columns(sql + " ORDER BY i")
    assert list(cols) == ["i", "x", "gaps", "q", "name"]
    for name, values in cols.items():
        assert same(values, [r[name] for r in rows]), name
    assert cols["gaps"][:4] == [None, 1, 2, None]
    assert cols["q"][2] == [2.0, 2.25]
    assert backend.columns("SELECT 1 AS a WHERE false") == {"a": []}
