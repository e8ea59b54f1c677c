"""Large seeded event logs written in bounded memory (Parquet, optionally CSV too), for
measuring imports at scale.

Cases of 4–17 events follow a permit-like process (register, check, 0–3 revision loops, an
optional survey, approve and issue or reject, notify); times increase within a case and cases
start over five years from 2020. The Parquet file types ``timestamp`` as UTC timestamps; the
CSV holds the same events with ISO times and a zone. The same seed and size give the same
files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ACTIVITIES = ["Daftar", "Verifikasi berkas", "Minta perbaikan", "Perbaikan berkas",
              "Survei lapangan", "Setujui", "Tolak", "Terbitkan izin", "Beritahu"]
RESOURCES = [f"petugas_{i:03d}" for i in range(240)]
UNITS = ["DPMPTSP", "Dinas PU", "Dinas LH", "Bappeda"]
CHUNK_CASES = 200_000
START_US = 1_577_836_800_000_000  # 2020-01-01 UTC
SPAN_US = 5 * 365 * 86_400 * 1_000_000


def _variants() -> tuple[np.ndarray, np.ndarray]:
    """The 16 activity sequences (loops × survey × approval), padded, and their lengths."""
    paths = [[0, 1, *([2, 3, 1] * k), *([4] if s else []), *([5, 7] if a else [6]), 8]
             for k in range(4) for s in (False, True) for a in (False, True)]
    width = max(map(len, paths))
    table = np.zeros((len(paths), width), np.int64)
    for i, path in enumerate(paths):
        table[i, :len(path)] = path
    return table, np.array([len(p) for p in paths])


VARIANTS, LENGTHS = _variants()


def chunk(rng: np.random.Generator, first_case: int, cases: int) -> pa.Table:
    """Events of ``cases`` cases numbered from ``first_case``."""
    loops = rng.choice(4, size=cases, p=[0.55, 0.25, 0.15, 0.05])
    variant = (loops * 2 + (rng.random(cases) < 0.4)) * 2 + (rng.random(cases) < 0.85)
    sizes = LENGTHS[variant]
    acts = VARIANTS[variant][np.arange(VARIANTS.shape[1]) < sizes[:, None]]
    case = np.repeat(np.arange(first_case, first_case + cases), sizes)
    starts = START_US + rng.integers(0, SPAN_US, cases)
    gaps = rng.exponential(2 * 86_400e6, len(acts)).astype(np.int64) + 60_000_000
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    steps = np.cumsum(gaps)
    steps -= np.repeat(steps[first] - gaps[first], sizes)
    stamps = np.repeat(starts, sizes) + steps
    return pa.table({
        "case_id": pc.binary_join_element_wise(
            "P-", pc.cast(pa.array(case), pa.string()), ""),
        "activity": _names(ACTIVITIES, acts),
        "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        "resource": _names(RESOURCES, rng.integers(0, len(RESOURCES), len(acts))),
        "unit": _names(UNITS, rng.integers(0, len(UNITS), len(acts))),
    })


def _names(names: list[str], codes: np.ndarray) -> pa.Array:
    return pc.take(pa.array(names, pa.string()), pa.array(codes))


def write(out: Path, events: int, seed: int, csv: Path | None = None, *,
          quiet: bool = False) -> int:
    """Write at least ``events`` events (whole cases) to the Parquet file ``out`` and, if
    given, to ``csv``; return the exact count."""
    rng = np.random.default_rng(seed)
    total, case = 0, 1
    writer: pq.ParquetWriter | None = None
    text: pacsv.CSVWriter | None = None
    try:
        while total < events:
            want = min(CHUNK_CASES, max(1, (events - total) // 7))
            table = chunk(rng, case, want)
            case += want
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema)
                if csv is not None:
                    text = pacsv.CSVWriter(csv, _as_text(table).schema)
            writer.write_table(table)
            if text is not None:
                text.write_table(_as_text(table))
            total += table.num_rows
            if not quiet:
                print(f"\r{total:,} events", end="", file=sys.stderr, flush=True)
    finally:
        if writer is not None:
            writer.close()
        if text is not None:
            text.close()
    if not quiet:
        print(file=sys.stderr)
    return total


def _as_text(table: pa.Table) -> pa.Table:
    """The chunk with ISO times (``2024-08-17 14:05:00.123456+00:00``)."""
    stamps = pc.strftime(table["timestamp"], "%Y-%m-%d %H:%M:%S+00:00")
    return table.set_column(2, "timestamp", stamps)
