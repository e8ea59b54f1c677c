"""Write a large seeded event log (Parquet or CSV) in bounded memory, for the scale benchmarks.

    python bench/big_log.py OUT.parquet --events 100_000_000 [--seed 7] [--csv OUT.csv]

Cases of 4–14 events follow a permit-like process (register, check, optional revision loop,
approve or reject, notify); times increase within a case, cases start over five years. The
Parquet file has a ``timestamp`` column typed as UTC timestamps and row groups of one chunk of
cases; ``--csv`` also writes the same events as CSV with ISO times and a zone. The same seed
and size always give the same file. Data goes where you point it: keep it out of the repo.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ACTIVITIES = np.array(["Daftar", "Verifikasi berkas", "Minta perbaikan", "Perbaikan berkas",
                       "Survei lapangan", "Setujui", "Tolak", "Terbitkan izin", "Beritahu"])
RESOURCES = np.array([f"petugas_{i:03d}" for i in range(240)])
UNITS = np.array(["DPMPTSP", "Dinas PU", "Dinas LH", "Bappeda"])
CHUNK_CASES = 200_000
START_US = 1_577_836_800_000_000  # 2020-01-01 UTC
SPAN_US = 5 * 365 * 86_400 * 1_000_000


def _case_paths(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Activity codes of ``n`` cases: register, check, 0–3 revision loops, end."""
    loops = rng.choice(4, size=n, p=[0.55, 0.25, 0.15, 0.05])
    survey = rng.random(n) < 0.4
    approve = rng.random(n) < 0.85
    paths = []
    for k in range(4):
        for s in (False, True):
            for a in (False, True):
                body = [0, 1, *([2, 3, 1] * k), *([4] if s else []),
                        *([5, 7] if a else [6]), 8]
                paths.append(np.array(body, np.int8))
    return [paths[(k * 2 + s) * 2 + a] for k, s, a in zip(loops, survey, approve, strict=True)]


def chunk(rng: np.random.Generator, first_case: int, cases: int) -> pa.Table:
    """Events of ``cases`` cases numbered from ``first_case``."""
    paths = _case_paths(rng, cases)
    sizes = np.fromiter((len(p) for p in paths), np.int64, cases)
    acts = np.concatenate(paths)
    case = np.repeat(np.arange(first_case, first_case + cases), sizes)
    starts = START_US + rng.integers(0, SPAN_US, cases)
    gaps = rng.exponential(2 * 86_400e6, len(acts)).astype(np.int64) + 60_000_000
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    steps = np.cumsum(gaps)
    steps -= np.repeat(steps[first] - gaps[first], sizes)
    stamps = np.repeat(starts, sizes) + steps
    return pa.table({
        "case_id": pa.array(np.char.add("P-", case.astype("U12"))),
        "activity": pa.array(ACTIVITIES[acts]),
        "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        "resource": pa.array(RESOURCES[rng.integers(0, len(RESOURCES), len(acts))]),
        "unit": pa.array(UNITS[rng.integers(0, len(UNITS), len(acts))]),
    })


def write(out: Path, events: int, seed: int, csv: Path | None = None) -> int:
    """Write about ``events`` events to ``out`` (and ``csv``); return the exact count."""
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
            print(f"\r{total:,} events", end="", file=sys.stderr, flush=True)
    finally:
        if writer is not None:
            writer.close()
        if text is not None:
            text.close()
    print(file=sys.stderr)
    return total


def _as_text(table: pa.Table) -> pa.Table:
    """The chunk with ISO times (``2024-08-17 14:05:00.123456+00:00``)."""
    import pyarrow.compute as pc

    stamps = pc.strftime(table["timestamp"], "%Y-%m-%d %H:%M:%S+00:00")
    return table.set_column(2, "timestamp", stamps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--events", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    free = shutil.disk_usage(args.out.parent).free
    need = args.events * (30 if args.csv else 8)
    if free < need * 2:
        sys.exit(f"only {free / 1e9:.0f} GB free in {args.out.parent}; about "
                 f"{need / 1e9:.0f} GB are needed (twice that to be safe).")
    n = write(args.out, args.events, args.seed, args.csv)
    print(f"{n:,} events in {args.out}" + (f" and {args.csv}" if args.csv else ""))


if __name__ == "__main__":
    main()
