"""Load on the web app: browsing users and uploading users at once, against a real server.

    python bench/web_load.py [--seconds 60] [--browsers 20] [--uploaders 4]

Builds a temporary data folder (an administrator, one workspace, one viewer per browsing user,
one analyst per uploading user), starts ``procflow serve`` on a free loopback port in a
subprocess, imports logs/permit-delayering/after.csv as ``after`` through the API, then for
``--seconds``:

* each browsing user (its own session) loops over the workspace page, the log overview page,
  their JSON twins, ``analysis.json`` and the API analysis;
* each uploading user loops over upload → preview → import (a new log name every time) of the
  same sample (Asia/Makassar, day first).

It prints requests per route, errors (any status ≥ 400 or exception counts as one; there must
be none: the exit code is 1 otherwise), page latency percentiles and the import durations.
Imports into one workspace take turns storing (one writer per DuckDB file); reads do not wait
for them (see docs/web.md, "Limits and protections").
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from procflow.web.accounts import Accounts  # noqa: E402

SAMPLE = ROOT / "logs" / "permit-delayering" / "after.csv"
PW = "load-test-password"
IMPORT_BODY = {"tz": "Asia/Makassar", "order": "dayfirst"}


@dataclass
class Stats:
    """Latencies per route, errors, and import durations, shared by all worker threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    cycles: list[float] = field(default_factory=list)

    def call(self, client: httpx.Client, route: str, method: str, url: str,
             **kwargs: Any) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as err:
            with self.lock:
                self.errors.append(f"{route}: {type(err).__name__}: {err}")
            return None
        took = time.perf_counter() - start
        with self.lock:
            self.latency[route].append(took)
            if response.status_code >= 400:
                self.errors.append(f"{route}: {response.status_code} {response.text[:200]}")
        return response if response.status_code < 400 else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data: Path, browsers: int, uploaders: int) -> str:
    """The accounts: admin (site admin, workspace admin), b01… viewers, u01… analysts."""
    accounts = Accounts(data)
    accounts.add_user("admin", PW, admin=True)
    admin = accounts.user("admin")
    assert admin is not None
    wid = accounts.add_workspace("load-test", admin_user_id=int(admin["id"]))
    for i in range(1, browsers + 1):
        accounts.add_user(f"b{i:02d}", PW)
        accounts.grant(wid, f"b{i:02d}", "viewer")
    for i in range(1, uploaders + 1):
        accounts.add_user(f"u{i:02d}", PW)
        accounts.grant(wid, f"u{i:02d}", "analyst")
    return wid


def start_server(data: Path, port: int, log: Path, wait: float = 180
                 ) -> subprocess.Popen[bytes]:
    """``procflow serve`` in a subprocess, once it answers (within ``wait`` seconds: a
    shared machine may be slow to start it)."""
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-c", "from procflow.cli import main; main()", "serve",
         "--data", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    out.close()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log}:\n"
                             + log.read_text(errors="replace")[-2000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start within {wait:.0f} s")


def login(base: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=300, follow_redirects=False)
    r = client.post("/api/login", json={"username": user, "password": PW})
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.json()["csrf"]
    return client


def upload_and_import(stats: Stats, client: httpx.Client, wid: str, name: str,
                      data: bytes) -> bool:
    up = stats.call(client, "POST /api/w/{wid}/upload", "POST", f"/api/w/{wid}/upload",
                    files={"file": ("after.csv", data, "text/csv")})
    if up is None:
        return False
    upload_id = up.json()["upload"]["id"]
    preview = stats.call(client, "GET /api/w/{wid}/uploads/{id}", "GET",
                         f"/api/w/{wid}/uploads/{upload_id}")
    if preview is None:
        return False
    start = time.perf_counter()
    done = stats.call(client, "POST /api/w/{wid}/uploads/{id}/import", "POST",
                      f"/api/w/{wid}/uploads/{upload_id}/import",
                      json={**IMPORT_BODY, "name": name})
    if done is None:
        return False
    took = time.perf_counter() - start
    body = done.json()
    if (body["cases"], body["events"]) != (2000, 13273):
        with stats.lock:
            stats.errors.append(f"import {name}: {body['cases']} cases, {body['events']} events")
        return False
    with stats.lock:
        stats.imports.append(took)
    return True


BROWSE = [
    ("GET /w/{wid}", "/w/{wid}"),
    ("GET /api/w/{wid}", "/api/w/{wid}"),
    ("GET /w/{wid}/logs/after", "/w/{wid}/logs/after"),
    ("GET /api/w/{wid}/logs/after", "/api/w/{wid}/logs/after"),
    ("GET /w/{wid}/logs/after/analysis.json", "/w/{wid}/logs/after/analysis.json"),
    ("GET /api/w/{wid}/logs/after/analysis", "/api/w/{wid}/logs/after/analysis"),
]


def browser(stats: Stats, client: httpx.Client, wid: str, until: float, offset: int) -> None:
    i = offset  # users start at different pages
    while time.monotonic() < until:
        route, url = BROWSE[i % len(BROWSE)]
        stats.call(client, route, "GET", url.format(wid=wid))
        i += 1


def uploader(stats: Stats, client: httpx.Client, wid: str, until: float, who: str,
             data: bytes) -> None:
    n = 0
    while time.monotonic() < until:
        n += 1
        start = time.perf_counter()
        if upload_and_import(stats, client, wid, f"{who}-{n:04d}", data):
            with stats.lock:
                stats.cycles.append(time.perf_counter() - start)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f}"


def report(stats: Stats, seconds: float, logs_after: int) -> None:
    print(f"\n{'route':44} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for route in sorted(stats.latency):
        values = stats.latency[route]
        print(f"{route:44} {len(values):8d} {ms(pct(values, .5))} {ms(pct(values, .95))} "
              f"{ms(max(values))}")
    browsing = [v for route, _ in BROWSE for v in stats.latency.get(route, [])]
    total = sum(len(v) for v in stats.latency.values())
    print(f"\nrequests: {total} in {seconds:.1f} s ({total / seconds:.1f}/s); "
          f"browsing: {len(browsing)} ({len(browsing) / seconds:.1f}/s)")
    print(f"browsing latency: p50 {pct(browsing, .5) * 1000:.0f} ms, "
          f"p95 {pct(browsing, .95) * 1000:.0f} ms, max {max(browsing, default=0) * 1000:.0f} ms")
    imports = stats.imports
    print(f"imports: {len(imports)} done; duration p50 {pct(imports, .5):.2f} s, "
          f"p95 {pct(imports, .95):.2f} s, min {min(imports, default=0):.2f} s, "
          f"max {max(imports, default=0):.2f} s")
    print("  each (s): " + " ".join(f"{v:.2f}" for v in imports))
    if stats.cycles:
        print(f"upload → preview → import cycle: p50 {pct(stats.cycles, .5):.2f} s, "
              f"max {max(stats.cycles):.2f} s")
    print(f"logs in the workspace afterwards: {logs_after} (1 + imports)")
    print(f"errors: {len(stats.errors)}")
    for line in stats.errors[:20]:
        print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--browsers", type=int, default=20)
    parser.add_argument("--uploaders", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="procflow-web-load-"))
    data = tmp / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"data {data}; server {base}; {args.browsers} browsing, {args.uploaders} uploading "
          f"users for {args.seconds:.0f} s; {os.cpu_count()} CPUs")
    wid = prepare(data, args.browsers, args.uploaders)
    proc = start_server(data, port, tmp / "server.log")
    try:
        sample = SAMPLE.read_bytes()
        stats = Stats()
        with closing(login(base, "admin")) as admin:
            if not upload_and_import(stats, admin, wid, "after", sample):
                raise SystemExit(f"importing the sample failed: {stats.errors}")
        print(f"sample imported as 'after' in {stats.imports[0]:.2f} s")
        stats = Stats()
        browsing = [login(base, f"b{i:02d}") for i in range(1, args.browsers + 1)]
        uploading = [login(base, f"u{i:02d}") for i in range(1, args.uploaders + 1)]
        start = time.monotonic()
        until = start + args.seconds
        threads = [threading.Thread(target=browser, args=(stats, c, wid, until, i))
                   for i, c in enumerate(browsing)]
        threads += [threading.Thread(target=uploader, args=(stats, c, wid, until,
                                                            f"u{i + 1:02d}", sample))
                    for i, c in enumerate(uploading)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        for client in browsing + uploading:
            client.close()
        with closing(login(base, "admin")) as admin:
            logs_after = len(admin.get(f"/api/w/{wid}").json()["logs"])
        report(stats, elapsed, logs_after)
        ok = not stats.errors and logs_after == 1 + len(stats.imports)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
