"""Write a large seeded event log (Parquet, optionally CSV) in bounded memory.

    python bench/big_log.py OUT.parquet [--events 100_000_000] [--seed 7] [--csv OUT.csv]

See :mod:`procflow.simulate.bulk` for the process. Data goes where you point it: keep it out
of the repository (``/tmp``); the free disk space is checked first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from procflow.simulate.bulk import write  # noqa: E402


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
