"""Keyed pseudonymisation of resources (UU 27/2022): stable within a workspace."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pyarrow.compute as pc


def pseudonym(name: str, key: bytes) -> str:
    """A short stable code for ``name`` under ``key`` (HMAC-SHA256)."""
    return "P-" + hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def pseudonymize(events: pa.Table, key: bytes, column: str = "resource") -> pa.Table:
    """Replace every value of ``column`` by its pseudonym."""
    values = events[column].combine_chunks()
    names = pc.unique(values).drop_null()
    codes = pa.array([pseudonym(n, key) for n in names.to_pylist()], pa.string())
    replaced = pc.take(codes, pc.index_in(values, names))
    return events.set_column(events.schema.get_field_index(column), column, replaced)
