"""A comparison of a large real log started from the web page, followed on its progress page.

    python bench/web_compare_job.py [--log road_traffic_fines_full.csv.gz] [--split 2007-01-01]
    python bench/web_compare_job.py --log BPIC15_1.xes.gz --after BPIC15_2.xes.gz

Imports the log(s) from ../shared/data into a workspace, starts ``procflow serve`` and posts
the comparison form as a browser does: prints when the answer (the progress page) came, each
phase the progress page showed and when, and when it sent the browser to the stored result,
then how long that result page takes to open again (read, not computed). The load average is
printed with the figures (the machine may be shared).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import load  # noqa: E402

from procflow.store.workspace import Workspace  # noqa: E402
from procflow.web.accounts import Accounts  # noqa: E402
from tests.webserver import Server, seed  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PHASE = re.compile(r'data-phase="([a-z]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", default="road_traffic_fines_full.csv.gz")
    parser.add_argument("--after", default=None, help="a second log (else --split)")
    parser.add_argument("--split", default="2007-01-01")
    args = parser.parse_args()
    files = [DATA / args.log] + ([DATA / args.after] if args.after else [])
    for path in files:
        if not path.exists():
            sys.exit(f"{path} not found (the shared data folder is not beside this checkout)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wid = seed(tmp / "data")
        with Workspace(Accounts(tmp / "data").workspace_file(wid)) as ws:
            for name, path in zip(("before", "after"), files, strict=False):
                start = time.perf_counter()
                ws.import_file(path, name=name)
                print(f"imported {path.name} as {name}: {time.perf_counter() - start:.1f} s")
        server = Server(tmp / "data", tmp / "server.log").start()
        try:
            client = server.client("andi")
            client.timeout = 600
            form = {"csrf": client.headers["X-CSRF-Token"], "before": "before",
                    **({"after": "after"} if args.after else {"split": args.split})}
            print(load())
            start = time.perf_counter()
            r = client.post(f"/w/{wid}/compare?lang=en", data=form)
            print(f"{time.perf_counter() - start:6.1f} s  answer {r.status_code} → "
                  f"{r.headers.get('location')}")
            where, seen = r.headers.get("location", ""), ""
            while "/comparing/" in where:
                page = client.get(where)
                if page.status_code != 200:
                    where = page.headers.get("location", "")
                    print(f"{time.perf_counter() - start:6.1f} s  {page.status_code} → {where}")
                    break
                found = PHASE.search(page.text)
                phase = found.group(1) if found else "?"
                if phase != seen:
                    print(f"{time.perf_counter() - start:6.1f} s  phase {phase}")
                    seen = phase
                time.sleep(0.5)
            again = time.perf_counter()
            shown = client.get(where)
            print(f"result page again: {shown.status_code} in "
                  f"{time.perf_counter() - again:.2f} s\n{load()}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
