"""Import and analysis at scale, each beside its floor and its target, measured in one run.

    python bench/scale_speed.py [--sizes 1_000_000,10_000_000] [--dir /tmp] [--skip-csv]
                                [--skip-pm4py] [--phases] [--parquet FILE ...] [--csv FILE ...]

For each size, writes a seeded log of that many events (``procflow.simulate.bulk``) as Parquet
and CSV in ``--dir`` (not in the repository), or reads the files given (``--parquet`` and
``--csv`` repeated, one of each per size, smallest first), then runs each step as its own
process and prints its wall time, processor time (user + system, steadier than wall time on a
shared machine), peak memory (the process's own, from ``wait4``) and the load average:

- the floor: DuckDB storing the same Parquet with typed times plus one case-ordered window
  (``lead(timestamp) OVER (PARTITION BY case_id ORDER BY timestamp)``), in a new database file;
- ``procflow import`` of the Parquet and of the CSV file, with their ratios to the floor (wall
  and processor) beside the targets: Parquet ≤ 1.5× the floor with a peak ≤ 2.5 GiB, CSV ≤ 2×;
- ``procflow analyze`` of the stored log, the whole process (start-up included), beside its
  target (≤ 1.5 s up to about a million events, ≤ 10 s up to about ten million) and pm4py's
  equivalent figures on the same events (``format_dataframe``, DFG, performance DFG, handover,
  case durations, variants; the frame already in memory).

With ``--phases``, the Parquet import is run again in one process with its phases timed:
reading and checking into the events table, the derived tables (their largest statements)
and the commit.

With two sizes or more, the ratio of the largest size's import peak to the smallest's is
printed beside its target (≤ 1.3×: an import's memory does not grow with the log). Set
``PROCFLOW_MEMORY_LIMIT`` to bound DuckDB's share of the peak (the floor gets the same limit).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import load  # noqa: E402
from procflow.simulate.bulk import write  # noqa: E402

FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], config={"memory_limit": sys.argv[3]})
con.execute("SET TimeZone = 'UTC'")
con.execute("CREATE TABLE events AS SELECT *, lead(timestamp) OVER "
            "(PARTITION BY case_id ORDER BY timestamp) AS next_time "
            "FROM read_parquet(?)", [sys.argv[2]]).fetchall()
"""

PM4PY = """
import contextlib, io, sys, time
import pandas as pd
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import pm4py
df = pd.read_parquet(sys.argv[1], columns=["case_id", "activity", "timestamp", "resource"])
df = df.rename(columns={"case_id": "case:concept:name", "activity": "concept:name",
                        "timestamp": "time:timestamp", "resource": "org:resource"})
start = time.perf_counter()
df = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                            timestamp_key="time:timestamp")
pm4py.discover_dfg(df)
pm4py.discover_performance_dfg(df)
pm4py.discover_handover_of_work_network(df)
pm4py.get_all_case_durations(df)
pm4py.get_variants(df)
print(time.perf_counter() - start)
"""

PHASES = """
import json, sys, time
from pathlib import Path
import procflow.core.db as db
from procflow.ingest.importer import ImportOptions, stream_events
from procflow.measure.prepare import build_cache
statements, run = [], db.run
def timed(con, sql, *args, **kwargs):
    start = time.perf_counter()
    try:
        return run(con, sql, *args, **kwargs)
    finally:
        statements.append((time.perf_counter() - start, sql.split(" AS ")[0].split()[-1]))
con = db.connect(sys.argv[1])
con.begin()
start = time.perf_counter()
stream_events(con, "events_1", Path(sys.argv[2]), ImportOptions())
read = time.perf_counter() - start
db.run = timed
start = time.perf_counter()
build_cache(con, "events_1")
derived = time.perf_counter() - start
db.run = run
start = time.perf_counter()
con.commit()
print(json.dumps({"read": read, "derived": derived, "commit": time.perf_counter() - start,
                  "largest": sorted(statements, reverse=True)[:5]}))
"""

#: Import targets: the most times the floor's wall time, and the peak (GiB, Parquet only).
IMPORT_TARGETS = {"parquet": (1.5, 2.5), "csv": (2.0, None)}
#: The most the largest size's import peak may be of the smallest's.
PEAK_RATIO = 1.3


@dataclass(frozen=True)
class Run:
    """One process: wall seconds, processor seconds (user + system), peak GiB, its output."""

    wall: float
    cpu: float
    peak: float
    out: str


def run(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run one process to its end and measure it (its output goes through files, so a
    chatty process cannot block on a full pipe)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if status != 0:
            raise SystemExit(f"{' '.join(args[:3])} failed:\n{err.read()[-2000:]}")
        return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024 ** 2,
                   out.read())


def line(label: str, done: Run, extra: str = "") -> None:
    """One figure: wall, processor, peak, what it is compared with, the load average."""
    print(f"{label:<40} {done.wall:>8.2f} s  cpu {done.cpu:>7.2f} s  peak {done.peak:>5.2f} GiB"
          f"  {extra}  ({load()})", flush=True)


def verdict(value: float, target: float, unit: str = "x") -> str:
    """``target <= <target><unit>: met`` (or ``MISSED``)."""
    return f"target <= {target:g}{unit}: {'met' if value <= target else 'MISSED'}"


def analyze_target(events: int) -> float | None:
    """The whole-process ``analyze`` target in seconds for a log of ``events`` (None beyond
    about ten million)."""
    if events <= 1_100_000:
        return 1.5
    return 10.0 if events <= 11_000_000 else None


def inputs(args: argparse.Namespace, work: Path) -> list[tuple[int, Path, Path | None]]:
    """(events, Parquet file, CSV file or None) per size, smallest first."""
    import pyarrow.parquet as pq

    if args.parquet:
        csvs = args.csv or [None] * len(args.parquet)
        if len(csvs) != len(args.parquet):
            raise SystemExit("give one --csv per --parquet (or none).")
        found = [(pq.ParquetFile(p).metadata.num_rows, p, None if args.skip_csv else c)
                 for p, c in zip(args.parquet, csvs, strict=True)]
        return sorted(found, key=lambda f: f[0])
    made = []
    for size in sorted(args.sizes):
        parquet, csv = work / f"log{size}.parquet", work / f"log{size}.csv"
        n = write(parquet, size, seed=7, csv=None if args.skip_csv else csv, quiet=True)
        print(f"{n:,} events written to {work}", flush=True)
        made.append((n, parquet, None if args.skip_csv else csv))
    return made


def phases(parquet: Path, work: Path, env: dict[str, str]) -> None:
    """Where an import of ``parquet`` goes (in one process, the raw file not kept): reading
    and checking into the events table, the derived tables (their five largest statements),
    the commit."""
    done = run([sys.executable, "-c", PHASES, str(work / "phases.duckdb"), str(parquet)], env)
    (work / "phases.duckdb").unlink()
    found = json.loads(done.out.strip().splitlines()[-1])
    largest = ", ".join(f"{name} {seconds:.1f}" for seconds, name in found["largest"])
    print(f"  where it goes: reading and checking {found['read']:.1f} s, derived tables "
          f"{found['derived']:.1f} s (largest: {largest}), commit {found['commit']:.1f} s",
          flush=True)


def measure(events: int, parquet: Path, csv: Path | None, work: Path, procflow: list[str],
            limit: str, pm4py: bool, show_phases: bool = False) -> dict[str, float]:
    """Every figure of one size, printed; returns the import peaks by kind."""
    print(f"\n{events:,} events (DuckDB memory limit {limit})", flush=True)
    floor = run([sys.executable, "-c", FLOOR, str(work / "floor.duckdb"), str(parquet), limit])
    line("floor: DuckDB stores the Parquet + 1 window", floor)
    (work / "floor.duckdb").unlink()
    env = {"PYTHONPATH": str(ROOT)}
    ws = work / "w.duckdb"
    peaks = {}
    for kind, path in [("parquet", parquet)] + ([("csv", csv)] if csv else []):
        done = run([*procflow, "import", str(path), "--workspace", str(ws), "--name", kind,
                    "--json"], env)
        most, peak = IMPORT_TARGETS[kind]
        ratio = done.wall / floor.wall
        extra = (f"{ratio:.2f}x the floor ({done.cpu / floor.cpu:.2f}x its cpu), "
                 f"{verdict(ratio, most)}")
        if peak is not None:
            extra += f"; peak {verdict(done.peak, peak, ' GiB')}"
        line(f"procflow import ({kind})", done, extra)
        peaks[kind] = done.peak
        if kind == "parquet" and show_phases:
            phases(parquet, work, env)
    done = run([*procflow, "analyze", "parquet", "--workspace", str(ws),
                "--out", str(work / "analysis")], env)
    target = analyze_target(events)
    extra = verdict(done.wall, target, " s") if target else ""
    if pm4py:
        theirs = float(run([sys.executable, "-c", PM4PY, str(parquet)]).out.split()[-1])
        extra += f"; pm4py {theirs:.2f} s: procflow is {theirs / done.wall:.1f}x faster"
    line("procflow analyze (whole process)", done, extra)
    ws.unlink()
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = lambda s: int(s.replace("_", ""))  # noqa: E731
    parser.add_argument("--sizes", type=lambda s: [size(x) for x in s.split(",")],
                        default=[1_000_000])
    parser.add_argument("--events", type=size, default=None, help="one size (as --sizes N)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--parquet", type=Path, action="append", default=[])
    parser.add_argument("--csv", type=Path, action="append", default=[])
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-pm4py", action="store_true")
    parser.add_argument("--phases", action="store_true",
                        help="also time the Parquet import's phases in one process")
    args = parser.parse_args()
    if args.events is not None:
        args.sizes = [args.events]
    limit = os.environ.get("PROCFLOW_MEMORY_LIMIT", "2GB")
    script = Path(sys.executable).parent / "procflow"
    procflow = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from procflow.cli import main; sys.exit(main())"]
    work = Path(tempfile.mkdtemp(dir=args.dir, prefix="procflow-scale-"))
    try:
        peaks = [measure(n, parquet, csv, work, procflow, limit, not args.skip_pm4py,
                         args.phases) for n, parquet, csv in inputs(args, work)]
        if len(peaks) > 1:
            print()
            for kind in peaks[-1]:
                ratio = peaks[-1][kind] / peaks[0][kind]
                print(f"import peak ({kind}), largest size / smallest: {peaks[-1][kind]:.2f} / "
                      f"{peaks[0][kind]:.2f} GiB = {ratio:.2f}x, "
                      f"{verdict(ratio, PEAK_RATIO)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
