"""SECURITY.md case 17 against a real server: ``procflow serve`` killed (SIGKILL) while an import
runs leaves the workspace as it was; after a restart the committed log is intact, the killed
import left no half log, and importing the same upload again succeeds.

Case 16 (two uploads at once while a third user reads) is covered in process by
``tests/test_web_api.py::test_two_uploads_at_once_while_someone_reads`` and against a real
server by ``bench/web_load.py``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from procflow import ImportOptions, Workspace
from procflow.simulate.permits import simulate
from procflow.web import accounts as accounts_module
from procflow.web.accounts import Accounts
from tests.webserver import Server

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "permit-delayering" / "after.csv"
PW = "correct horse battery"
BIG_CASES = 25_000  # about 23 MB of CSV; parsing plus storing takes a few seconds
OPTIONS = {"tz": "Asia/Makassar", "order": "dayfirst"}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters; the server verifies with the parameters stored in the hash."""
    monkeypatch.setattr(accounts_module, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated permit log (same columns and formats as the sample), much larger."""
    out = tmp_path_factory.mktemp("big")
    return simulate(out, cases=BIG_CASES).after


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    """A data folder with analyst andi in workspace dinas-a, which already holds the sample
    as log ``after`` (committed before the server starts), and a server on it."""
    data = tmp_path / "data"
    accounts = Accounts(data)
    accounts.add_user("andi", PW)
    wid = accounts.add_workspace("dinas-a")
    accounts.grant(wid, "andi", "analyst")
    with Workspace(accounts.workspace_file(wid)) as ws:
        ws.import_file(SAMPLE, name="after", options=ImportOptions(tz="Asia/Makassar",
                                                                   order="dayfirst"))
    server = Server(data, tmp_path / "server.log")
    server.start()
    try:
        yield server, wid
    finally:
        server.stop()


def login(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.base, timeout=120)
    r = client.post("/api/login", json={"username": "andi", "password": PW})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf"]
    return client


def snapshot(client: httpx.Client, wid: str) -> dict[str, Any]:
    """What the API says about the workspace and its committed log."""
    logs = client.get(f"/api/w/{wid}")
    assert logs.status_code == 200, logs.text
    log = client.get(f"/api/w/{wid}/logs/after")
    assert log.status_code == 200, log.text
    analysis = client.get(f"/api/w/{wid}/logs/after/analysis")
    assert analysis.status_code == 200, analysis.text
    return {"logs": logs.json()["logs"], "log": log.json()["log"],
            "figures": log.json()["figures"], "import": log.json()["import"],
            "analysis_log": analysis.json()["log"]}


def file_state(path: Path) -> tuple[int, int, bool]:
    """Size and mtime of the DuckDB file, and whether its WAL exists."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, Path(f"{path}.wal").exists()


def wait_for(condition: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def start_import(client: httpx.Client, wid: str, upload_id: str
                 ) -> tuple[threading.Thread, dict[str, Any]]:
    """The import request, sent from a thread; its response or error lands in the dict."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["response"] = client.post(f"/api/w/{wid}/uploads/{upload_id}/import",
                                              json={**OPTIONS, "name": "big"})
        except httpx.HTTPError as err:
            outcome["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def check_workspace_file(db_file: Path) -> None:
    """The workspace opens and holds exactly the committed log, with no tables of another."""
    with Workspace(db_file) as ws:
        assert [log["name"] for log in ws.logs()] == ["after"]
        assert ws.log("after").summary()["events"] == 13273
        (log_id,) = ws.con.execute("SELECT log_id FROM logs").fetchone() or (None,)
        tables = {t for (t,) in ws.con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        strays = {t for t in tables - {"logs", "raw_files", "settings"}
                  if not re.fullmatch(rf"events_{log_id}(_\w+)?", t)}
        assert not strays, tables
        raw = ws.con.execute("SELECT count(DISTINCT sha256) FROM raw_files").fetchone()
        assert raw == (1,)


@pytest.mark.slow
def test_killed_import_leaves_the_workspace_as_it_was(
        served: tuple[Server, str], big_csv: Path) -> None:
    server, wid = served
    db_file = Accounts(server.data).workspace_file(wid)
    client = login(server)
    before = snapshot(client, wid)
    assert [log["name"] for log in before["logs"]] == ["after"]
    assert (before["log"]["cases"], before["log"]["events"]) == (2000, 13273)
    up = client.post(f"/api/w/{wid}/upload",
                     files={"file": ("big.csv", big_csv.read_bytes(), "text/csv")})
    assert up.status_code == 201, up.text
    upload_id = up.json()["upload"]["id"]

    for phase in ("reading", "writing"):
        untouched = file_state(db_file)
        started = time.monotonic()
        thread, outcome = start_import(client, wid, upload_id)
        if phase == "reading":
            # the file is being read and checked; nothing is written to the workspace yet
            time.sleep(0.4)
            assert file_state(db_file) == untouched, "the import reached the store too early"
        else:
            # the transaction has begun writing the events table into the DuckDB file
            def writing(was: Any = untouched, out: dict[str, Any] = outcome) -> bool:
                return file_state(db_file) != was or "response" in out

            wait_for(writing, 60, "the import to write")
        server.kill()
        thread.join(30)
        print(f"killed {time.monotonic() - started:.2f} s into the import ({phase})")
        assert "response" not in outcome, (
            f"the import finished before the kill: {outcome['response'].status_code}")
        assert isinstance(outcome.get("error"), httpx.TransportError), outcome
        check_workspace_file(db_file)
        server.start()
        client.close()
        client = login(server)
        assert snapshot(client, wid) == before, phase

    # the upload outlived the kills: its preview still works and importing it succeeds now
    preview = client.get(f"/api/w/{wid}/uploads/{upload_id}")
    assert preview.status_code == 200, preview.text
    assert preview.json()["total_rows"] > 100_000
    done = client.post(f"/api/w/{wid}/uploads/{upload_id}/import",
                       json={**OPTIONS, "name": "big"})
    assert done.status_code == 200, done.text
    assert done.json()["cases"] == BIG_CASES and not done.json()["unchanged"]
    names = [log["name"] for log in client.get(f"/api/w/{wid}").json()["logs"]]
    assert names == ["after", "big"]
    after = snapshot(client, wid)
    assert after["log"] == before["log"] and after["figures"] == before["figures"]
    assert client.get(f"/api/w/{wid}/uploads/{upload_id}").status_code == 404
    client.close()
