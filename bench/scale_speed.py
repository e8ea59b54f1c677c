"""Import and analysis at scale, each beside its floor, measured in one run.

    python bench/scale_speed.py [--events 1_000_000] [--dir /tmp] [--skip-csv] [--skip-pm4py]
                                [--parquet FILE]

Writes a seeded log of ``--events`` events (``procflow.simulate.bulk``) as Parquet and CSV in
``--dir`` (not in the repository), then runs each step as its own process and prints its wall
time and peak memory (the process's own, from ``wait4``):

- the floor: DuckDB storing the same Parquet with typed times plus one case-ordered window
  (``lead(timestamp) OVER (PARTITION BY case_id ORDER BY timestamp)``), in a new database file;
- ``procflow import`` of the Parquet and of the CSV file, with their ratios to the floor;
- ``procflow analyze`` of the stored log, the whole process (start-up included), beside pm4py's
  equivalent figures on the same events (``format_dataframe``, DFG, performance DFG, handover,
  case durations, variants; the frame already in memory).

``--parquet FILE`` uses an existing file instead (e.g. 100 million events from
``bench/big_log.py``). Set ``PROCFLOW_MEMORY_LIMIT`` to bound DuckDB's share of the peak.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak memory (GiB) and standard output of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        err = proc.stderr.read() if proc.stderr else ""
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024 ** 2, out


def line(label: str, seconds: float, peak: float, extra: str = "") -> None:
    print(f"{label:<44} {seconds:>8.2f} s  peak {peak:>5.2f} GiB  {extra}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--parquet", type=Path, default=None)
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-pm4py", action="store_true")
    args = parser.parse_args()
    limit = os.environ.get("PROCFLOW_MEMORY_LIMIT", "2GB")
    script = Path(sys.executable).parent / "procflow"
    procflow = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from procflow.cli import main; sys.exit(main())"]
    work = Path(tempfile.mkdtemp(dir=args.dir, prefix="procflow-scale-"))
    try:
        parquet = args.parquet
        csv = None if args.skip_csv or parquet else work / "log.csv"
        if parquet is None:
            parquet = work / "log.parquet"
            n = write(parquet, args.events, seed=7, csv=csv, quiet=True)
            print(f"{n:,} events written to {work}", flush=True)
        floor, peak, _ = run([sys.executable, "-c", FLOOR, str(work / "floor.duckdb"),
                              str(parquet), limit])
        line("floor: DuckDB stores the Parquet + 1 window", floor, peak)
        (work / "floor.duckdb").unlink()
        env = {"PYTHONPATH": str(ROOT)}
        ws = work / "w.duckdb"
        sources = [("parquet", parquet)] + ([("csv", csv)] if csv else [])
        for kind, path in sources:
            seconds, peak, _ = run([*procflow, "import", str(path), "--workspace", str(ws),
                                    "--name", kind, "--json"], env)
            line(f"procflow import ({kind})", seconds, peak,
                 f"{seconds / floor:.2f}x the floor")
        seconds, peak, _ = run([*procflow, "analyze", "parquet", "--workspace", str(ws),
                                "--out", str(work / "analysis")], env)
        extra = ""
        if not args.skip_pm4py:
            theirs = float(run([sys.executable, "-c", PM4PY, str(parquet)])[2].split()[-1])
            extra = f"pm4py {theirs:.2f} s: procflow is {theirs / seconds:.1f}x faster"
        line("procflow analyze (whole process)", seconds, peak, extra)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
