"""Imports take turns on a small worker pool (real server, real imports: at most
``--import-workers`` run at once, the others wait in line and the progress page says where
they are; API imports wait in the same line), and uploads never imported are deleted after a
day, at start and while the server runs."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.exceptions import HTTPException

from procflow.simulate.permits import simulate
from procflow.web import create_app
from procflow.web.accounts import Accounts
from procflow.web.jobs import ImportJob, Jobs
from tests.test_web_api import cheap_hashes
from tests.webserver import PW, Server, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["cheap_hashes"]

WORKERS = 2
PAGE_IMPORTS = 5
CASES = 3000  # about 2.8 MB of CSV; an import takes a second or two
FORM = {"tz": "Asia/Makassar", "order": "dayfirst", "col_case": "No. Permohonan",
        "col_activity": "Tahapan", "col_timestamp": "Waktu Selesai", "col_start": "Waktu Mulai",
        "col_resource": "Petugas", "col_role": "Jabatan", "col_unit": "Unit Kerja"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Six different simulated permit logs."""
    out = tmp_path_factory.mktemp("logs")
    return [simulate(out / str(n), cases=CASES, seed=n + 1).after.read_bytes()
            for n in range(PAGE_IMPORTS + 1)]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    data = tmp_path / "data"
    wid = seed(data)
    server = Server(data, tmp_path / "server.log",
                    env={"PROCFLOW_IMPORT_WORKERS": str(WORKERS)})
    server.start()
    try:
        yield server, wid
    finally:
        server.stop()


def phase_of(page: httpx.Response) -> tuple[str, int | None]:
    """What an import's page says: queued (with its place), running, or finished."""
    queued = re.search(r"Queued \(position (\d+)\)", page.text)
    if queued:
        return "queued", int(queued.group(1))
    if "Reading and checking the file" in page.text or "Storing the log" in page.text:
        return "running", None
    return "finished", None


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The largest number of the spans (start, end) that overlap at one instant."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans],
                   key=lambda e: (e[0], e[1]))
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


# 2: a small pool of import workers ------------------------------------------------------------
def test_imports_take_turns_on_a_small_pool(served: tuple[Server, str],
                                            logs: list[bytes]) -> None:
    """Five imports started from the page at once and one over the API: the pages say which
    wait in line (and where); what is seen running never exceeds the pool; all finish."""
    server, wid = served
    andi = server.client("andi", timeout=300)
    uploads = []
    for n, data in enumerate(logs):
        up = andi.post(f"/api/w/{wid}/upload", files={"file": (f"log{n}.csv", data, "text/csv")})
        assert up.status_code == 201, up.text
        uploads.append(up.json()["upload"]["id"])
    pages = []
    for n, upload_id in enumerate(uploads[:PAGE_IMPORTS]):
        started = andi.post(f"/w/{wid}/uploads/{upload_id}/import", data={
            **FORM, "csrf": andi.headers["X-CSRF-Token"], "name": f"page-{n}"})
        assert started.status_code == 303, started.text
        pages.append(started.headers["location"] + "?lang=en")

    api: dict[str, Any] = {}

    def api_import() -> None:
        client = server.client("andi", timeout=300)
        try:
            api["response"] = client.post(f"/api/w/{wid}/uploads/{uploads[-1]}/import",
                                          json={**FORM, "name": "api"})
            api["at"] = time.monotonic()
        finally:
            client.close()

    thread = threading.Thread(target=api_import)
    thread.start()
    seen: dict[int, list[tuple[float, str]]] = {n: [] for n in range(PAGE_IMPORTS)}
    places: set[int] = set()
    finals: dict[int, httpx.Response] = {}
    deadline = time.monotonic() + 240
    while len(finals) < PAGE_IMPORTS:
        assert time.monotonic() < deadline, "the imports did not finish within 240 s"
        for n, url in enumerate(pages):
            if n in finals:
                continue
            page = andi.get(url)
            phase, place = phase_of(page)
            seen[n].append((time.monotonic(), phase))
            if place is not None:
                places.add(place)
            if phase == "finished":
                finals[n] = page
        time.sleep(0.02)
    thread.join(240)

    # each import surely ran from its first to its last sighting as running
    spans = []
    for sightings in seen.values():
        running = [at for at, phase in sightings if phase == "running"]
        if running:
            spans.append((running[0], running[-1]))
    print(f"sightings per import: {[len(s) for s in seen.values()]}; queued places seen: "
          f"{sorted(places)}; most seen running at once: {most_at_once(spans)}")
    assert most_at_once(spans) <= WORKERS, spans
    assert places and max(places) >= PAGE_IMPORTS - WORKERS, places  # the line was shown
    for n, page in finals.items():
        assert page.status_code == 200 and f"page-{n}" in page.text, page.text[:500]
    assert api["response"].status_code == 200, api["response"].text
    assert api["response"].json()["cases"] == CASES
    last_queued = max(at for sightings in seen.values() for at, phase in sightings
                      if phase == "queued")
    assert api["at"] > last_queued  # the API import waited for its turn behind them
    names = sorted(log["name"] for log in andi.get(f"/api/w/{wid}").json()["logs"])
    assert names == sorted(["api", *(f"page-{n}" for n in range(PAGE_IMPORTS))])
    andi.close()


def test_a_full_line_is_refused_with_retry_after() -> None:
    """The queue itself: ``workers`` jobs at once, FIFO, and 503 with Retry-After when the
    line is full; waiting for a job holds no thread."""
    jobs = Jobs(workers=1, queue_limit=2)
    release = threading.Event()
    order: list[str] = []

    def work(job: ImportJob) -> dict[str, Any]:
        order.append(job.upload_id)
        release.wait(30)
        return {"done": job.upload_id}

    first = jobs.start(ImportJob("w", 1, "a", {}, 1), work)
    deadline = time.monotonic() + 10
    while first.phase == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    waiting = [jobs.start(ImportJob("w", 1, name, {}, 1), work) for name in ("b", "c")]
    assert [jobs.position(job) for job in waiting] == [1, 2]
    with pytest.raises(HTTPException) as refused:
        jobs.start(ImportJob("w", 1, "d", {}, 1), work)
    assert refused.value.status_code == 503
    assert refused.value.headers == {"Retry-After": "60"}
    assert jobs.in_use() == frozenset({"a", "b", "c"})
    release.set()

    async def wait_all() -> None:
        await asyncio.wait_for(asyncio.gather(*(jobs.wait(j) for j in (first, *waiting))), 30)

    asyncio.run(wait_all())
    assert order == ["a", "b", "c"]
    assert [j.result for j in (first, *waiting)] == [{"done": n} for n in "abc"]
    assert jobs.in_use() == frozenset()


# 8: abandoned uploads --------------------------------------------------------------------------
def age(accounts: Accounts, upload_id: str, hours: float) -> None:
    """Make an upload ``hours`` old."""
    with sqlite3.connect(accounts.path) as con:
        con.execute("UPDATE uploads SET created = ? WHERE id = ?",
                    [time.time() - hours * 3600, upload_id])


def test_abandoned_uploads_are_deleted_after_a_day(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wid = seed(data)
    folder = data / "uploads"
    app = create_app(data, sweep_every=0.2)
    accounts: Accounts = app.state.accounts
    with TestClient(app) as client:  # the server runs: its sweeps every 0.2 s
        r = client.post("/api/login", json={"username": "andi", "password": PW})
        client.headers["X-CSRF-Token"] = r.json()["csrf"]
        ids = []
        for name in ("old", "young"):
            up = client.post(f"/api/w/{wid}/upload",
                             files={"file": (f"{name}.csv", b"a;b\n1;2\n", "text/csv")})
            assert up.status_code == 201, up.text
            ids.append(up.json()["upload"]["id"])
        old, young = ids
        writing = folder / ("f" * 32 + ".part")  # an upload arriving right now
        writing.write_bytes(b"half")
        age(accounts, old, 25)
        age(accounts, young, 23)
        deadline = time.monotonic() + 10
        while (folder / f"{old}.upload").exists():
            assert time.monotonic() < deadline, "the day-old upload was not deleted"
            time.sleep(0.05)
        assert client.get(f"/api/w/{wid}/uploads/{old}").status_code == 404
        assert client.get(f"/api/w/{wid}/uploads/{young}").status_code == 200
        assert (folder / f"{young}.upload").exists() and writing.exists()
        with sqlite3.connect(accounts.path) as con:
            assert [r[0] for r in con.execute("SELECT id FROM uploads")] == [young]
    # at start: the young one has aged meanwhile; half-written files of a stopped server go
    age(accounts, young, 24.5)
    create_app(data)
    assert sorted(p.name for p in folder.iterdir()) == []
    assert accounts.upload(wid, young) is None


def test_uploads_an_import_needs_are_kept(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "data")
    wid = accounts.add_workspace("w")
    user = accounts.add_user("andi", PW)
    folder = tmp_path / "data" / "uploads"
    for upload_id in ("a" * 32, "b" * 32):
        (folder / f"{upload_id}.upload").write_bytes(b"x")
        accounts.add_upload(upload_id, wid, user, "x.csv", 1)
        age(accounts, upload_id, 30)
    (folder / "orgchart-1.csv").write_bytes(b"resource,level\n")
    gone = accounts.forget_stale_uploads(keep=frozenset({"a" * 32, "orgchart-1"}))
    assert gone == ["b" * 32]
    assert sorted(p.name for p in folder.iterdir()) == ["a" * 32 + ".upload", "orgchart-1.csv"]
