"""Speed of ``procflow.analyze`` beside the pm4py equivalent, measured in one run.

    python bench/analyze_speed.py [--cases 110000] [--skip-pm4py] [--ten-million] [--profile]
                                  [--calendar [SPEC]] [--big] [--parquet FILE] [--only-extra]

procflow: ``analyze`` on a log already in a workspace (every figure of analysis.json), which
reads the dictionaries, step table and case times stored at import; the import time is printed.
pm4py: ``format_dataframe`` + ``discover_dfg`` + ``discover_performance_dfg`` +
``discover_handover_of_work_network`` + case durations + variants on the same events.
Then ``procflow analyze NAME --workspace W --out DIR`` runs as a child process (best of two):
its wall time is the whole process, start-up and writing analysis.json included; it is printed
beside the in-process time, pm4py's time and the ratio, against the targets (whole process at
most 1.5 s at a million events, pm4py at least 15 times slower than procflow in process).
``--ten-million`` also analyses a ~10M-event log in a child process and reports its peak memory.
``--profile`` prints the fastest time of each query (every ``create`` and ``rows`` call).
``--big`` also measures a log of the shape of ``bench/big_log.py`` (``procflow.simulate.bulk``,
seed 7: about 1.05M events, 143k cases, 9 activities, 240 resources, so some 57,000 handoff
pairs, each a row of analysis.json); ``--parquet FILE`` (repeatable) measures an existing file;
``--only-extra`` leaves out the simulated permit log and the road traffic fines.
``--calendar`` (default spec ``id``) also times ``analyze(log, calendar=SPEC)`` (every working-time
twin) on each log and prints both times and their ratio (the target is at most +50%).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from common import quiet_pm4py  # noqa: E402

from procflow import ImportOptions, Workspace, analyze  # noqa: E402
from procflow.eventlog import EventLog  # noqa: E402
from procflow.measure.backends import DuckDBBackend  # noqa: E402
from procflow.simulate.bulk import write  # noqa: E402
from procflow.simulate.permits import simulate  # noqa: E402


def pm4py_equivalent(log: EventLog) -> float:
    """Seconds pm4py takes for the same figures, from a canonical pandas frame."""
    pm4py = quiet_pm4py()
    # Canonical columns only: pm4py's case durations fail when a start_timestamp is present.
    df = log.to_pandas()[["case_id", "activity", "timestamp", "resource"]].rename(columns={
        "case_id": "case:concept:name", "activity": "concept:name",
        "timestamp": "time:timestamp", "resource": "org:resource"})
    # pm4py's handover network fails on missing performers; give them one placeholder name.
    df["org:resource"] = df["org:resource"].fillna("(unknown)")
    start = time.perf_counter()
    df = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                                timestamp_key="time:timestamp")
    pm4py.discover_dfg(df)
    pm4py.discover_performance_dfg(df)
    if df["org:resource"].notna().any():
        pm4py.discover_handover_of_work_network(df)
    pm4py.get_all_case_durations(df)
    pm4py.get_variants(df)
    return time.perf_counter() - start


def timed_analyze(log: EventLog, **kwargs: Any) -> float:
    start = time.perf_counter()
    analyze(log, **kwargs)
    return time.perf_counter() - start


def profile_queries() -> dict[str, list[float]]:
    """Time every DuckDB ``create`` and ``rows`` call from now on: {label: [seconds, ...]}."""
    times: dict[str, list[float]] = {}

    def timed(method: Any, label: Any) -> Any:
        def run(self: DuckDBBackend, *args: str) -> Any:
            start = time.perf_counter()
            try:
                return method(self, *args)
            finally:
                times.setdefault(label(args), []).append(time.perf_counter() - start)
        return run

    DuckDBBackend.create = timed(DuckDBBackend.create,  # type: ignore[method-assign]
                                 lambda a: f"create {a[0]}")
    DuckDBBackend.rows = timed(DuckDBBackend.rows,  # type: ignore[method-assign]
                               lambda a: "rows " + " ".join(a[0].split())[:60])
    return times


def print_profile(times: dict[str, list[float]]) -> None:
    for label, seconds in times.items():
        print(f"  {min(seconds):7.3f} s  {label}")
    print(f"  {sum(min(s) for s in times.values()):7.3f} s  (sum of the fastest)", flush=True)


#: Targets: whole process seconds per million events, and pm4py's time over procflow's.
WHOLE_PER_MILLION, RATIO = 1.5, 15.0


def cli_seconds(workspace: Path, name: str, out: Path) -> tuple[float, float]:
    """Wall and processor time of ``procflow analyze NAME`` as a child process (best of
    two each); the processor time (user + system) is what a busy machine changes least."""
    command = [sys.executable, "-c", "from procflow.cli import main; main()", "analyze", name,
               "--workspace", str(workspace), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    walls, cpus = [], []
    for _ in range(2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def report_whole(label: str, events: int, whole: tuple[float, float], ours: float,
                 theirs: float | None) -> None:
    target = WHOLE_PER_MILLION * max(events, 1_000_000) / 1e6
    wall, cpu = whole
    text = (f"{label:<34} {events:>11,} events | whole process (CLI) {wall:>6.2f} s wall, "
            f"{cpu:.2f} s processor (target <= {target:.1f} s: "
            f"{'met' if wall <= target else 'NOT met'}) | in process {ours:.2f} s")
    if theirs is not None:
        ratio = theirs / ours
        text += (f" | pm4py {theirs:.2f} s | ratio {ratio:.1f}x (target >= {RATIO:.0f}x: "
                 f"{'met' if ratio >= RATIO else 'NOT met'})")
    print(text, flush=True)


def report(label: str, events: int, ours: float, theirs: float | None) -> None:
    text = (f"{label:<34} {events:>11,} events | procflow {ours:>6.2f} s "
            f"({events / ours:>10,.0f} ev/s)")
    if theirs is not None:
        text += f" | pm4py {theirs:>7.2f} s | procflow is {theirs / ours:.1f}x faster"
    print(text, flush=True)


def ten_million(tmp: Path) -> None:
    """Build a ~10M-event log and analyse it in a child process; print time and peak RSS."""
    sim = simulate(tmp / "big", cases=640_000, seed=5)
    ws_path = tmp / "big.duckdb"
    with Workspace(ws_path) as ws:
        for path in (sim.before, sim.after):
            ws.import_file(path, options=ImportOptions(tz="Asia/Makassar"))
        ws.con.execute("CREATE TABLE big AS SELECT * FROM events_1 UNION ALL "
                       "SELECT * FROM events_2").fetchall()
    # The child's own peak: VmHWM is reset by exec, whereas ru_maxrss also counts the parent's
    # memory at the moment of the fork.
    child = (
        "import re, sys, time; from pathlib import Path; from procflow import Workspace, "
        "analyze; from procflow.eventlog import EventLog; ws = Workspace(sys.argv[1]); "
        "n = ws.con.execute('SELECT count(*) FROM big').fetchall()[0][0]; "
        "t = time.perf_counter(); analyze(EventLog('big', ws.con, 'big')); "
        "kb = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()); "
        "print(n, time.perf_counter() - t, int(kb.group(1)) / 1024 ** 2)"
    )
    out = subprocess.run([sys.executable, "-c", child, str(ws_path)], capture_output=True,
                         text=True, check=True).stdout.splitlines()[-1].split()
    events, seconds, peak_gb = int(out[0]), float(out[1]), float(out[2])
    print(f"{'10M-event log (child process)':<34} {events:>11,} events | procflow "
          f"{seconds:>6.2f} s | peak memory {peak_gb:.2f} GB (limit 6 GB)", flush=True)


def default_logs(tmp: Path, cases: int) -> list[tuple[str, Path, ImportOptions]]:
    """The simulated permit log and, when present, the road traffic fines."""
    sim = simulate(tmp / "sim", cases=cases, seed=11)
    logs = [("simulated permit log", sim.before, ImportOptions(tz="Asia/Makassar"))]
    fines = SHARED / "road_traffic_fines_full.csv.gz"
    if fines.exists():
        logs.append(("road_traffic_fines_full", fines, ImportOptions()))
    else:
        print(f"(skipping road traffic fines: {fines} not found)")
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=110_000)
    parser.add_argument("--skip-pm4py", action="store_true")
    parser.add_argument("--ten-million", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--calendar", nargs="?", const="id", default=None, metavar="SPEC",
                        help="also time analyze(calendar=SPEC) (default spec: id)")
    parser.add_argument("--big", action="store_true",
                        help="also a 1M-event log of bench/big_log.py's shape (many handoff pairs)")
    parser.add_argument("--parquet", type=Path, action="append", default=[], metavar="FILE",
                        help="also this Parquet file of events (repeatable)")
    parser.add_argument("--only-extra", action="store_true",
                        help="only the logs of --big and --parquet")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        logs = [] if args.only_extra else default_logs(tmp, args.cases)
        if args.big:
            write(tmp / "big.parquet", 1_000_000, seed=7, quiet=True)
            logs.append(("bulk log (big_log shape)", tmp / "big.parquet", ImportOptions()))
        logs += [(path.name, path, ImportOptions()) for path in args.parquet]
        times = profile_queries() if args.profile else None
        measured: list[tuple[str, str, int, float, float | None]] = []
        with Workspace(tmp / "w.duckdb") as ws:
            for label, path, options in logs:
                start = time.perf_counter()
                name = ws.import_file(path, options=options).name
                print(f"{label}: import (events and derived tables) "
                      f"{time.perf_counter() - start:.2f} s", flush=True)
                log = ws.log(name)
                events = log.summary()["events"]
                timed_analyze(log)  # warm-up: file pages and DuckDB caches
                if times is not None:
                    times.clear()
                ours = min(timed_analyze(log) for _ in range(3))
                if times is not None:
                    print_profile(times)
                theirs = None if args.skip_pm4py else pm4py_equivalent(log)
                report(label, events, ours, theirs)
                measured.append((label, name, events, ours, theirs))
                if args.calendar:
                    # The first call loads the holidays and builds the day table (cached per
                    # process for built-in calendars); then runs with and without the calendar
                    # alternate, so that load on the machine affects both alike.
                    start = time.perf_counter()
                    analyze(log, calendar=args.calendar)
                    first_call = time.perf_counter() - start
                    if times is not None:
                        times.clear()
                    plain, working = [], []
                    for _ in range(3):
                        plain.append(timed_analyze(log))
                        working.append(timed_analyze(log, calendar=args.calendar))
                    if times is not None:
                        print_profile(times)
                    ours, best = min(plain), min(working)
                    print(f"{label + ' calendar ' + args.calendar:<34} {events:>11,} events | "
                          f"without {ours:.2f} s | with {best:.2f} s | ratio "
                          f"{best / ours:.2f} ({(best / ours - 1) * 100:+.0f}%, target <= +50%) "
                          f"| first call {first_call:.2f} s", flush=True)
        print(f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        for label, name, events, ours, theirs in measured:
            whole = cli_seconds(tmp / "w.duckdb", name, tmp / "out")
            report_whole(label, events, whole, ours, theirs)
        if args.ten_million:
            ten_million(tmp)
    print(f"(this process: peak memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GB)")


if __name__ == "__main__":
    main()
