"""Parquet reader."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from procflow.errors import FormatError
from procflow.ingest.schema import ROW


def read_parquet(path: Path) -> pa.Table:
    """Read a Parquet file (or a folder of them) and number its rows."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise FormatError(f"not a readable Parquet file ({err}).", source=str(path)) from err
    return table.append_column(ROW, pa.array(range(1, table.num_rows + 1), pa.int64()))
