"""What the time views add to a report, on a simulated log of about a million events.

    python bench/time_views_speed.py [--cases 110000] [--repeat 3]

The simulated permit log (as in ``bench/filter_speed.py``) is imported into a workspace;
then, each the fastest of ``--repeat`` runs after a warm-up, taking turns:

- ``analyze`` (not changed by the time views, for scale);
- the time views' SQL (``time_views``: flow, cycle by month, workload, dotted-chart sample);
- their four charts (matplotlib SVG) from those series;
- the whole HTML report (``analysis_report``, which includes them);
- the time views of a filtered log (``--with resource=…``, ``--top-variants 10``).

Wall and processor time (all threads) are printed, and the share of the report spent on
the time views.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from filter_speed import fastest  # noqa: E402

from procflow import ImportOptions, Workspace, analyze  # noqa: E402
from procflow.core.i18n import Texts  # noqa: E402
from procflow.filters import filter_log  # noqa: E402
from procflow.measure.time_views import time_views  # noqa: E402
from procflow.render import time_charts  # noqa: E402
from procflow.report.html import analysis_report  # noqa: E402
from procflow.simulate.permits import simulate  # noqa: E402


def charts(views: dict, t: Texts) -> int:
    """The four charts of the "Over time" section; returns their total size."""
    drawn = [time_charts.flow_chart(views["flow"], views["bucket"], zone=views["zone"],
                                    title="flow", t=t),
             time_charts.cycle_chart(views["cycle_by_month"], title="cycle", t=t),
             time_charts.dotted_chart(views["dots"], title="dots", t=t),
             time_charts.workload_heatmap(views["workload"], views["bucket"], title="work",
                                          t=t)]
    return sum(len(svg) for svg in drawn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=110_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = Texts("id")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sim = simulate(tmp / "sim", cases=args.cases, seed=11)
        with Workspace(tmp / "w.duckdb") as ws:
            name = ws.import_file(sim.before, options=ImportOptions(tz="Asia/Makassar")).name
            log = ws.log(name)
            events = log.summary()["events"]
            resource = ws.con.execute(
                f"SELECT resource FROM {log.table} WHERE resource IS NOT NULL GROUP BY "
                "resource ORDER BY count(*) DESC, resource LIMIT 1 OFFSET 3").fetchall()[0][0]
            kept = filter_log(log, [{"kind": "with", "field": "resource", "values": [resource]},
                                    {"kind": "top_variants", "n": 10}])
            analysis = analyze(log)
            views = time_views(log)
            size = charts(views, t)
            runs = {
                "analyze": lambda: analyze(log),
                "time views (SQL)": lambda: time_views(log),
                "time charts (SVG)": lambda: charts(views, t),
                "report (HTML, all sections)": lambda: analysis_report(log, analysis, lang="id"),
                "time views of a filtered log": lambda: time_views(kept),
            }
            best = fastest(runs, args.repeat)
            cpu = {}
            for label, run in runs.items():  # processor time, less sensitive to other load
                start = time.process_time()
                run()
                cpu[label] = time.process_time() - start
            dots = views["dots"]
            print(f"simulated permit log: {events:,} events, {dots['cases']:,} cases; "
                  f"periods: {len(views['flow'])} {views['bucket']}s; dotted chart: "
                  f"{dots['shown']:,} cases, {len(dots['row']):,} dots; charts "
                  f"{size / 1e6:.2f} MB of SVG\n")
            print(f"{'':<32} {'wall':>8} {'processor':>10}")
            for label, seconds in best.items():
                print(f"{label:<32} {seconds:6.2f} s {cpu[label]:8.2f} s")
            for name, times in (("wall", best), ("processor", cpu)):
                added = times["time views (SQL)"] + times["time charts (SVG)"]
                whole = times["report (HTML, all sections)"]
                print(f"time views in the report ({name} time): {added:.2f} s of {whole:.2f} s "
                      f"({added / whole:.0%})", flush=True)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"(bench ran {time.perf_counter() - start:.0f} s)")
