"""Speed of a filtered log page on the web app at about a million events.

    python bench/web_slice_speed.py [--cases 110000] [--repeat 3]

Simulates a permit log (as ``bench/filter_speed.py``), imports it into a workspace, starts
``procflow serve`` on it and times, for a slice of three filters (``period`` contained,
``with resource=…``, ``top_variants 10``) given in the ``f`` parameter:

- the log page with the slice, the first time (the filters applied, the analysis, the map
  and the sections' tables made) and again (from the cache), and the same for the
  unfiltered page;
- each drawing the page loads after it (its charts, the handoff map, the "Over time"
  section), the first time and again, one after the other as a browser asks for them;
- the case list of the slice (first time and again) and its CSV download;
- the JSON values the filter panel offers (resources containing "a").

Targets: the filtered page's first view at most 1 s, the case list's at most 1 s. Each
"again" time is the fastest of ``--repeat`` requests. The load average is printed with the
figures (the machine may be shared), and beside each first time the processor time the
server spent on it (Linux), which the load changes less than the wall time.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import load  # noqa: E402
from filter_speed import case_filters  # noqa: E402
from web_load import PW, free_port, login, start_server  # noqa: E402

from procflow import ImportOptions, Workspace  # noqa: E402
from procflow.simulate.permits import simulate  # noqa: E402
from procflow.web.accounts import Accounts  # noqa: E402

SERVER: list[int] = []  # the server's process id, once started


def server_cpu() -> float:
    """Processor seconds the server has used so far (all its threads, and the drawing
    programs it waited for; Linux's /proc)."""
    fields = Path(f"/proc/{SERVER[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def timed(client: httpx.Client, path: str) -> tuple[float, str, float]:
    """Seconds for one request of ``path``, the answer's text and the server's processor
    seconds for it (a figure that the machine's load changes less)."""
    cpu = server_cpu()
    start = time.perf_counter()
    r = client.get(path)
    took = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
    return took, r.text, server_cpu() - cpu


def line(label: str, first: tuple[float, str, float], again: float,
         target: float | None = None) -> str:
    verdict = "" if target is None else (
        f"  target <= {target:.2f} s: {'met' if first[0] <= target else 'MISSED'}")
    return (f"{label:<34} first {first[0]:6.2f} s (server processor {first[2]:5.2f} s)   "
            f"again {again:6.2f} s{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=110_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sim = simulate(tmp / "sim", cases=args.cases, seed=11)
        accounts = Accounts(tmp / "data")
        accounts.add_user("andi", PW)
        wid = accounts.add_workspace("dinas-a")
        accounts.grant(wid, "andi", "analyst")
        with Workspace(accounts.workspace_file(wid)) as ws:
            log = ws.log(ws.import_file(sim.before, name="izin",
                                        options=ImportOptions(tz="Asia/Makassar")).name)
            events = log.summary()["events"]
            resource = ws.con.execute(
                f"SELECT resource FROM {log.table} WHERE resource IS NOT NULL GROUP BY "
                "resource ORDER BY count(*) DESC, resource LIMIT 1 OFFSET 3").fetchall()[0][0]
        port = free_port()
        proc = start_server(tmp / "data", port, tmp / "server.log")
        SERVER[:] = [proc.pid]
        try:
            client = login(f"http://127.0.0.1:{port}", "andi")
            client.timeout = httpx.Timeout(600)
            f = quote(json.dumps(case_filters(resource)))
            page = f"/w/{wid}/logs/izin"
            print(f"simulated permit log: {events:,} events; filters: "
                  f"{case_filters(resource)}\n{load()}\n")
            targets = {"log page, 3 filters": 1.0, "case list, 3 filters": 1.0}
            paths = {"log page, unfiltered": page, "log page, 3 filters": f"{page}?f={f}"}
            drawings: dict[str, str] = {}
            for label, path in paths.items():
                first = timed(client, path)
                text = first[1]
                again = min(timed(client, path)[0] for _ in range(args.repeat))
                print(line(label, first, again, targets.get(label)), flush=True)
                if label == "log page, 3 filters":
                    drawings = {re.search(r"/drawings/([^?]+)", a).group(1): a  # type: ignore[union-attr]
                                for a in map(html.unescape,
                                             re.findall(r'data-drawing="([^"]+)"', text))}
            total = [0.0, 0.0]
            for label, path in drawings.items():
                first = timed(client, path)
                total = [total[0] + first[0], total[1] + first[2]]
                again = min(timed(client, path)[0] for _ in range(args.repeat))
                print(line(f"  then drawing '{label}'", first, again), flush=True)
            print(f"{'  all drawings, one after another':<34} first {total[0]:6.2f} s "
                  f"(server processor {total[1]:5.2f} s)", flush=True)
            more = {"case list, 3 filters": f"{page}/cases?f={f}",
                    "cases.csv, 3 filters": f"{page}/cases.csv?f={f}",
                    "panel values (JSON)": f"/api/w/{wid}/logs/izin/values?field=resource&q=a"}
            for label, path in more.items():
                first = timed(client, path)
                again = min(timed(client, path)[0] for _ in range(args.repeat))
                print(line(label, first, again, targets.get(label)), flush=True)
            print(f"\n{load()}")
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
