"""XES read speed of procflow's reader beside ``pm4py.read_xes``.

    python bench/xes_speed.py [--events 1000000] [--skip-pm4py] [--imports]

Logs: a synthetic XES written by ``write_xes`` into a temporary folder (case id, activity,
timestamp, resource, role, lifecycle and three extra attributes per event, one case
attribute), and ../shared/data/BPIC15_1.xes.gz when present. MB/s is measured on the
uncompressed XML size.

``--imports`` also imports the synthetic log (gzip-compressed) into a workspace in a child
process, read in batches and read whole, under a 1 GB DuckDB limit, and reads it with
``pm4py.read_xes`` in another child; it prints the time and peak memory (VmHWM) of each.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from common import quiet_pm4py, timed, uncompressed_size  # noqa: E402

from procflow.ingest.xes import read_xes  # noqa: E402
from procflow.store.export_xes import write_xes  # noqa: E402

ACTIVITIES = [
    "Submit application", "Check completeness", "Request missing documents",
    "Receive documents", "Assess application", "Consult department", "Site visit",
    "Draft decision", "Approve decision (head of unit)", "Approve decision (director)",
    "Send decision", "Archive case", "Publish notice", "Handle objection",
]
ROLES = ["CLERK", "CASE OFFICER", "HEAD OF UNIT", "DIRECTOR", "LEGAL", "SYSTEM"]
CHANNELS = ["web portal", "counter", "e-mail", "post"]


def synthetic_table(events: int, seed: int = 7) -> pa.Table:
    """A permit-like log: about ten events per case, ordered in time within each case."""
    rng = np.random.default_rng(seed)
    case = np.repeat(np.arange(events // 10 + 1), 10)[:events]
    start = np.datetime64("2021-01-04T08:00:00", "ms") + (case * 3_600_000).astype("m8[ms]")
    step = np.cumsum(rng.integers(60_000, 5 * 86_400_000, events)).astype("m8[ms]")
    times = start + step - np.repeat(step[::10], 10)[:events]
    resource = rng.integers(1, 250, events)
    return pa.table({
        "case:concept:name": pa.array(np.char.add("case-", case.astype(str))),
        "concept:name": pa.array(np.array(ACTIVITIES)[rng.integers(0, len(ACTIVITIES), events)]),
        "time:timestamp": pa.array(times, pa.timestamp("ms")).cast(pa.timestamp("ms", "UTC")),
        "org:resource": pa.array(np.char.add("user", resource.astype(str))),
        "org:role": pa.array(np.array(ROLES)[resource % len(ROLES)]),
        "lifecycle:transition": pa.array(np.full(events, "complete")),
        "channel": pa.array(np.array(CHANNELS)[rng.integers(0, len(CHANNELS), events)]),
        "cost": pa.array(np.round(rng.gamma(2.0, 40.0, events), 2)),
        "document_id": pa.array(np.char.add("DOC-", rng.integers(10**6, 10**7, events)
                                            .astype(str))),
        "case:district": pa.array(np.array(["North", "South", "East", "West"])[case % 4]),
    })


def pm4py_reader() -> Callable[[Path], int]:
    pm4py = quiet_pm4py()
    warnings.filterwarnings("ignore")

    def run(path: Path) -> int:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return len(pm4py.read_xes(str(path), return_legacy_log_object=False))
    return run


def count_rows(path: Path) -> int:
    return int(read_xes(path).num_rows)


def best_of(runs: int, func: Callable[[], int]) -> tuple[float, int]:
    """Fastest of ``runs`` timings: the machine is shared, so slower runs are mostly noise."""
    return min(timed(func) for _ in range(runs))


def measure(logs: list[tuple[str, Path]], skip_pm4py: bool,
            runs: int) -> list[tuple[str, str, float, int, int]]:
    sizes = {label: uncompressed_size(path) for label, path in logs}
    rows = []
    for label, path in logs:
        seconds, events = best_of(runs, partial(count_rows, path))
        rows.append((label, f"procflow (best of {runs})", seconds, events, sizes[label]))
    if not skip_pm4py:
        reader = pm4py_reader()
        for label, path in logs:
            seconds, events = timed(partial(reader, path))
            rows.append((label, "pm4py.read_xes", seconds, events, sizes[label]))
    return sorted(rows, key=lambda row: [label for label, _ in logs].index(row[0]))


def report(rows: list[tuple[str, str, float, int, int]]) -> None:
    print(f"{'log':28} {'reader':20} {'MB':>7} {'events':>10} {'s':>7} {'MB/s':>7} "
          f"{'events/s':>10} {'ratio':>6}")
    best: dict[str, float] = {}
    for log, reader, seconds, events, size in rows:
        best.setdefault(log, seconds)
        print(f"{log:28} {reader:20} {size / 1e6:7.1f} {events:10,} {seconds:7.2f} "
              f"{size / 1e6 / seconds:7.1f} {events / seconds:10,.0f} "
              f"{seconds / best[log]:6.1f}x")
    print("ratio = seconds / procflow's seconds on the same log")


IMPORT = ("import re, sys, time; from pathlib import Path; t = time.perf_counter(); "
          "from procflow import Workspace; Workspace(sys.argv[1]).import_file(sys.argv[2]); "
          "print(time.perf_counter() - t, "
          "re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1])")
PM4PY = ("import re, sys, time; from pathlib import Path; t = time.perf_counter(); "
         "import pm4py; pm4py.read_xes(sys.argv[2], return_legacy_log_object=False); "
         "print(time.perf_counter() - t, "
         "re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1])")


def imports(path: Path, tmp: Path, skip_pm4py: bool) -> None:
    """Time and peak memory of importing ``path`` in batches, whole, and of pm4py's reader."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROCFLOW_MEMORY_LIMIT": "1GB"}
    runs = [("procflow import, in batches", IMPORT, {"PROCFLOW_STREAM_BYTES": "0"}),
            ("procflow import, whole file", IMPORT, {"PROCFLOW_STREAM_BYTES": str(1 << 50)})]
    if not skip_pm4py:
        runs.append(("pm4py.read_xes (no storing)", PM4PY, {}))
    print(f"{'import of ' + path.name:36} {'s':>8} {'peak MB':>8}")
    for i, (label, code, extra) in enumerate(runs):
        out = subprocess.run([sys.executable, "-c", code, str(tmp / f"w{i}.duckdb"), str(path)],
                             env={**env, **extra}, capture_output=True, text=True, check=True)
        seconds, kib = out.stdout.split()[-2:]
        print(f"{label:36} {float(seconds):8.1f} {int(kib) / 1024:8.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="procflow runs per log (best kept)")
    parser.add_argument("--skip-pm4py", action="store_true")
    parser.add_argument("--imports", action="store_true",
                        help="also time imports in batches and whole, with peak memory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.xes"
        table = synthetic_table(args.events)
        start = time.perf_counter()
        write_xes(table, path)
        seconds = time.perf_counter() - start
        size = path.stat().st_size
        print(f"write_xes: {args.events:,} events, {size / 1e6:.1f} MB in {seconds:.2f} s "
              f"({size / 1e6 / seconds:.1f} MB/s)")
        del table
        logs = [(f"synthetic ({args.events:,} ev)", path)]
        real = SHARED / "BPIC15_1.xes.gz"
        if real.exists():
            logs.append(("BPIC15_1.xes.gz", real))
        else:
            print(f"({real} not found: real-log row skipped)")
        report(measure(logs, args.skip_pm4py, args.runs))
        if args.imports:
            packed = Path(tmp) / "synthetic.xes.gz"
            with path.open("rb") as raw, gzip.open(packed, "wb", compresslevel=1) as out:
                shutil.copyfileobj(raw, out)
            path.unlink()
            imports(packed, Path(tmp), args.skip_pm4py)


if __name__ == "__main__":
    main()
