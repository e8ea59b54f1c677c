"""Measure how long Graphviz's ``dot`` takes to lay out process maps of the real logs.

    python bench/dot_times.py [--out tests/data/dot_times.csv] [--max-full 10000]
                              [--max-quick 60000] [--timeout 240] [LOG ...]

For every log (default: BPIC15_1 frequency, BPIC15_2 performance, and the small logs at a
few settings), every share of activities and paths the web page offers, and both layouts of
:mod:`procflow.render.layout_cost` (dot's own, and the quick one), it writes one CSV row: the
graph's shape as ``dot`` ranks it (nodes, edges, virtual nodes, ranks, label characters) and
the processor and wall-clock seconds of ``dot -Tsvg`` (with the machine's load average then:
processor time also grows on a busy machine). Layouts are only timed up to
``--max-full`` and ``--max-quick`` virtual nodes (beyond that they take minutes); a run past
``--timeout`` seconds is written with status ``timeout`` and the processor time it had used.
The table is what the cost laws in ``layout_cost`` are fitted above (``tests/test_maps.py``
checks that they stay so).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from procflow import analyze, read  # noqa: E402
from procflow.render import layout_cost  # noqa: E402
from procflow.render.map_budget import SHARES  # noqa: E402
from procflow.render.process_map import MapOptions, process_map  # noqa: E402

LOGS = {"BPIC15_1.xes.gz": ("frequency", None), "BPIC15_2.xes.gz": ("performance", None),
        "sepsis.csv": ("performance", "UTC"), "receipt.xes.gz": ("frequency", None),
        "BPI_2020_DomesticDeclarations.xes.gz": ("performance", None)}
SMALL = ((None, None), (100, 100), (100, 40))
FIELDS = ("log", "profile", "activities", "paths", "layout", "nodes", "edges", "virtual",
          "ranks", "label_chars", "cpu_s", "wall_s", "status", "load")


def timed(source: str, timeout: float) -> tuple[float, float, str]:
    """Processor and wall seconds of ``dot -Tsvg`` on ``source``, and ok/timeout/failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
        status = "ok" if done.returncode == 0 else "failed"
    except subprocess.TimeoutExpired:
        status = "timeout"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, time.perf_counter() - started, status


def label_chars(source: str) -> int:
    """Characters of all node and path labels (quoted or not) in DOT source."""
    found = re.findall(r'\bx?label=("(?:[^"\\]|\\.)*"|[^\s\]]+)', source)
    return sum(len(text.strip('"')) for text in found)


def rows(name: str, data: dict[str, Any], profile: str, limits: dict[str, int],
         timeout: float) -> Iterator[dict[str, Any]]:
    small = len(data["activities"]) < 100
    settings = SMALL if small else [(a, p) for a in (None, *SHARES) for p in (None, *SHARES)]
    for activities, paths in settings:
        options = MapOptions(profile=profile, activities=activities, edges=paths)  # type: ignore[arg-type]
        for layout, chosen in (("full", options), ("quick", replace(options, quick=True))):
            graph = process_map(data, chosen)
            shape = layout_cost.shape(graph)
            if shape.virtual > limits[layout]:
                continue
            cpu, wall, status = timed(graph.source, timeout)
            yield {"log": name, "profile": profile, "activities": activities or "auto",
                   "paths": paths or "auto", "layout": layout, "nodes": shape.nodes,
                   "edges": shape.edges, "virtual": shape.virtual, "ranks": shape.ranks,
                   "label_chars": label_chars(graph.source), "cpu_s": f"{cpu:.2f}",
                   "wall_s": f"{wall:.2f}", "status": status,
                   "load": f"{os.getloadavg()[0]:.1f}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs", nargs="*", default=list(LOGS))
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "dot_times.csv")
    parser.add_argument("--max-full", type=int, default=10_000)
    parser.add_argument("--max-quick", type=int, default=60_000)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--append", action="store_true",
                        help="add the rows to --out (another run at another machine load)")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fresh = not (args.append and args.out.exists())
    with open(args.out, "w" if fresh else "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS, lineterminator="\n")
        if fresh:
            writer.writeheader()
        for name in args.logs:
            profile, tz = LOGS.get(name, ("frequency", None))
            data = analyze(read(SHARED / name, tz=tz)).to_dict()
            limits = {"full": args.max_full, "quick": args.max_quick}
            for row in rows(name, data, profile, limits, args.timeout):
                writer.writerow(row)
                handle.flush()
                print(" ".join(str(v) for v in row.values()), flush=True)


if __name__ == "__main__":
    main()
