"""Import speed of procflow beside pm4py/pandas, measured side by side in one run.

    python bench/import_speed.py [--cases 110000] [--skip-pm4py]

Logs: ../shared/data/road_traffic_fines_full.csv.gz (when present) and a simulated permit log of
about a million events (CSV as exported, and the same events as XES). procflow's figure is a
full workspace import (read, map, parse times, validate, store in DuckDB); pm4py's is
``pandas.read_csv`` + ``pm4py.format_dataframe`` for CSV and ``pm4py.read_xes`` for XES.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from common import quiet_pm4py, timed, uncompressed_size  # noqa: E402

from procflow import ImportOptions, Workspace  # noqa: E402
from procflow.simulate.permits import simulate  # noqa: E402
from procflow.store.export import export_log  # noqa: E402


def procflow_import(path: Path, options: ImportOptions) -> Callable[[], int]:
    def run() -> int:
        with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "w.duckdb") as ws:
            return ws.import_file(path, options=options).events
    return run


def pandas_pm4py_csv(path: Path, sep: str, case: str, act: str, ts: str,
                     fmt: str | None) -> Callable[[], int]:
    def run() -> int:
        import pandas as pd

        df = pd.read_csv(path, sep=sep, keep_default_na=False, dtype=str)
        df = quiet_pm4py().format_dataframe(df, case_id=case, activity_key=act,
                                             timestamp_key=ts, timest_format=fmt)
        return len(df)
    return run


def pm4py_xes(path: Path) -> Callable[[], int]:
    def run() -> int:
        return len(quiet_pm4py().read_xes(str(path), return_legacy_log_object=False))
    return run


def row(label: str, size: int, ours: tuple[float, int], theirs: tuple[float, int] | None) -> str:
    mb = size / 1e6
    text = (f"{label:<34} {mb:>8.1f} MB {ours[1]:>10,} ev | procflow {ours[0]:>7.2f} s "
            f"{mb / ours[0]:>7.1f} MB/s {ours[1] / ours[0]:>10,.0f} ev/s")
    if theirs is None:
        return text + " | pm4py skipped"
    return (text + f" | pm4py {theirs[0]:>7.2f} s {mb / theirs[0]:>6.1f} MB/s "
            f"| procflow is {theirs[0] / ours[0]:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=110_000,
                        help="simulated cases (before side; ~9.4 events each)")
    parser.add_argument("--skip-pm4py", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        print(f"Simulating {args.cases:,} cases …", flush=True)
        sim = simulate(out / "sim", cases=args.cases, seed=11)
        xes = out / "sim.xes"
        with tempfile.TemporaryDirectory() as wtmp, Workspace(Path(wtmp) / "w.duckdb") as ws:
            ws.import_file(sim.before, options=ImportOptions(tz="Asia/Makassar"))
            export_log(ws.log("before"), xes)
        cases = [
            ("simulated permit log (CSV)", sim.before, ImportOptions(tz="Asia/Makassar"),
             pandas_pm4py_csv(sim.before, ";", "No. Permohonan", "Tahapan", "Waktu Selesai",
                              "%d/%m/%Y %H.%M")),
            ("simulated permit log (XES)", xes, ImportOptions(), pm4py_xes(xes)),
        ]
        fines = SHARED / "road_traffic_fines_full.csv.gz"
        if fines.exists():
            cases.append(("road_traffic_fines_full.csv.gz", fines, ImportOptions(),
                          pandas_pm4py_csv(fines, ",", "case:concept:name", "concept:name",
                                           "time:timestamp", None)))
        else:
            print(f"(skipping road traffic fines: {fines} not found)")
        print("sizes are uncompressed content; ev = events")
        for label, path, options, theirs in cases:
            ours = timed(procflow_import(path, options))
            other = None if args.skip_pm4py else timed(theirs)
            print(row(label, uncompressed_size(path), ours, other), flush=True)


if __name__ == "__main__":
    main()
