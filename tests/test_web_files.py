"""The web app's workspace files (``procflow.web.service.WorkspaceFiles``): reads go on while an
import is being stored, readers never see a half-stored log, writers take turns, and a missing
result is computed once however many requests ask for it at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from procflow import ImportOptions
from procflow.store.workspace import load_file
from procflow.web import service

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "permit-delayering" / "after.csv"
OPTIONS = ImportOptions(tz="Asia/Makassar", order="dayfirst")


@pytest.fixture
def files() -> service.WorkspaceFiles:
    return service.WorkspaceFiles()


def test_reads_go_on_while_an_import_is_stored_and_see_no_half_log(
        files: service.WorkspaceFiles, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    service.import_upload(files, path, SAMPLE, "after", OPTIONS)
    loaded = load_file(SAMPLE, OPTIONS)
    with files.write(path) as ws:
        ws.con.begin()  # an import in the middle of its transaction
        ws._store("second", SAMPLE, loaded.digest, OPTIONS, loaded.events, loaded.report,
                  keep_raw=True)
        with ThreadPoolExecutor(1) as pool:  # another request, while the write lock is held
            seen = pool.submit(service.list_logs, files, path).result(timeout=30)
            info, analysis = pool.submit(service.analysis_of, files, path, "w1",
                                         "after").result(timeout=60)
        assert [log["name"] for log in seen] == ["after"]
        assert info["cases"] == analysis.to_dict()["log"]["cases"] == 2000
        ws.con.commit()
    assert [log["name"] for log in service.list_logs(files, path)] == ["after", "second"]
    files.close()


def test_writers_take_turns(files: service.WorkspaceFiles, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    inside = 0
    most = 0
    guard = threading.Lock()

    def write(_: int) -> None:
        nonlocal inside, most
        with files.write(path):
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with guard:
                inside -= 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(8)))
    assert most == 1


def test_concurrent_imports_of_one_workspace_all_land(files: service.WorkspaceFiles,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda n: service.import_upload(
            files, path, SAMPLE, f"copy-{n}", OPTIONS), range(3)))
    assert [(r.cases, r.events) for r in results] == [(2000, 13273)] * 3
    assert [log["name"] for log in service.list_logs(files, path)] == [
        "copy-0", "copy-1", "copy-2"]


def test_a_missing_result_is_made_once(files: service.WorkspaceFiles) -> None:
    made = []

    def make() -> str:
        made.append(1)
        time.sleep(0.2)
        return "result"

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: files.memo(("key",), make), range(8)))
    assert got == ["result"] * 8
    assert len(made) == 1


def test_the_cache_keeps_the_most_recently_used(files: service.WorkspaceFiles) -> None:
    for i in range(service.CACHE_SIZE + 1):
        files.memo(("k", i), lambda i=i: i)
    assert files.memo(("k", 0), lambda: "made again") == "made again"
    assert files.memo(("k", service.CACHE_SIZE), lambda: "made again") == service.CACHE_SIZE


def test_removing_a_log_rewrites_the_file_while_reads_go_on(
        files: service.WorkspaceFiles, tmp_path: Path) -> None:
    """The removal's rewrite swaps the file under the app's shared connection: reads before,
    during and after it all answer (with or without the log), the connection is opened again
    on the new file, and the removed log's names are no longer in the file's bytes."""
    path = tmp_path / "w.duckdb"
    keep = tmp_path / "keep.csv"
    keep.write_text("case;activity;time;resource\nK-1;Daftar;2024-01-01T08:00Z;Kirana\n"
                    "K-1;Setuju;2024-01-01T09:00Z;Yohanes\n")
    service.import_upload(files, path, keep, "keep", ImportOptions())
    service.import_upload(files, path, SAMPLE, "after", OPTIONS)
    names = [b"Sitti Aisyah", b"Syamsul Bahri", b"Dewi Kartika Sari"]

    def stored() -> bytes:  # the file and its write-ahead log
        return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + ".wal"))
                        if p.exists())

    assert all(n in stored() for n in names)
    inode = path.stat().st_ino
    stop = threading.Event()
    seen: list[tuple[str, ...]] = []
    errors: list[BaseException] = []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(tuple(log["name"] for log in service.list_logs(files, path)))
                info, _ = service.analysis_of(files, path, "w1", "keep")
                assert info["events"] == 2
            except BaseException as err:  # every failure is a test failure
                errors.append(err)
                return

    with ThreadPoolExecutor(3) as pool:
        readers = [pool.submit(read) for _ in range(3)]
        time.sleep(0.3)
        service.remove_log(files, path, "after")
        time.sleep(0.3)
        stop.set()
        for reader in readers:
            reader.result(timeout=60)
    assert not errors, errors
    assert set(seen) == {("after", "keep"), ("keep",)}
    assert seen[-1] == ("keep",)
    assert path.stat().st_ino != inode
    assert not any(n in stored() for n in names)
    assert [log["name"] for log in service.list_logs(files, path)] == ["keep"]
    service.import_upload(files, path, SAMPLE, "again", OPTIONS)  # writes go on too
    assert [log["name"] for log in service.list_logs(files, path)] == ["again", "keep"]
    files.close()
