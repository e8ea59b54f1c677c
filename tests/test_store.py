"""The DuckDB workspace: registry, raw bytes, idempotent and atomic imports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from procflow import ImportOptions, Workspace
from procflow.errors import WorkspaceError

CSV = ("case;activity;time;resource\n1;A;2024-01-01T08:00Z;Ayu\n1;B;2024-01-01T09:00Z;Budi\n"
       "2;A;2024-01-02T08:00Z;Ayu\n")


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "izin.csv"
    path.write_text(CSV)
    return path


def test_import_registers_and_keeps_raw_bytes(workspace_path: Path, log_file: Path) -> None:
    with Workspace(workspace_path) as ws:
        result = ws.import_file(log_file)
        assert (result.name, result.cases, result.events, result.activities) == ("izin", 2, 3, 2)
        assert [r["name"] for r in ws.logs()] == ["izin"]
        assert ws.raw_bytes("izin") == log_file.read_bytes()
        info = ws.info("izin")
        assert info["mapping"]["resource"] == "resource"
        assert info["start"] == "2024-01-01T08:00:00+00:00"
    with Workspace(workspace_path) as ws:  # persisted
        assert ws.log("izin").to_pandas()["resource"].tolist() == ["Ayu", "Budi", "Ayu"]


def test_reimport_same_bytes_is_a_noop(workspace_path: Path, log_file: Path) -> None:
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file)
        again = ws.import_file(log_file)
        assert again.unchanged
        assert len(ws.logs()) == 1


def test_name_clash_needs_replace(workspace_path: Path, log_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text(CSV + "3;C;2024-01-03T08:00Z;Citra\n")
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file)
        with pytest.raises(WorkspaceError, match="--replace"):
            ws.import_file(other, name="izin")
        assert ws.import_file(other, name="izin", replace=True).events == 4
        assert ws.raw_bytes("izin") == other.read_bytes()
        assert ws.con.execute("SELECT count(DISTINCT sha256) FROM raw_files").fetchone() == (1,)


def test_failed_import_changes_nothing(workspace_path: Path, log_file: Path,
                                       tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n")
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file)
        before = ws.con.execute("SELECT * FROM logs").fetchall()
        with pytest.raises(Exception, match="no column found"):
            ws.import_file(bad, name="izin", replace=True)
        assert ws.con.execute("SELECT * FROM logs").fetchall() == before
        assert ws.log("izin").to_pandas().shape[0] == 3


def test_remove(workspace_path: Path, log_file: Path) -> None:
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file)
        ws.remove("izin")
        assert ws.logs() == []
        assert ws.con.execute("SELECT count(*) FROM raw_files").fetchone() == (0,)
        with pytest.raises(WorkspaceError, match="no log named 'izin'"):
            ws.log("izin")


def test_pseudonyms_are_stable_within_a_workspace(workspace_path: Path, log_file: Path,
                                                 tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    copy.write_text(CSV.replace("Budi", "Eka"))
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file, pseudonymize_resources=True)
        ws.import_file(copy, pseudonymize_resources=True)
        a = ws.log("izin").to_pandas()["resource"].tolist()
        b = ws.log("copy").to_pandas()["resource"].tolist()
        assert a[0] == a[2] == b[0] and a[0].startswith("P-") and "Ayu" not in a
        assert a[1] != b[1]
        with pytest.raises(WorkspaceError, match="not kept"):
            ws.raw_bytes("izin")
    with Workspace(tmp_path / "other.duckdb") as ws:
        ws.import_file(log_file, pseudonymize_resources=True)
        assert ws.log("izin").to_pandas()["resource"][0] != a[0]


def test_import_options_are_recorded(workspace_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "naive.csv"
    path.write_text("Nomor Surat,Aktivitas,Tanggal\nS-1,Disposisi,03/04/2024 08.00\n")
    with Workspace(workspace_path) as ws:
        ws.import_file(path, options=ImportOptions(tz="Asia/Jakarta", order="dayfirst"))
        info = ws.info("naive")
        assert info["options"]["tz"] == "Asia/Jakarta"
        assert info["start"] == "2024-04-03T01:00:00+00:00"


def _big_csv(path: Path, rows: int) -> Path:
    ids = pa.array(range(rows))
    table = pa.table({
        "case": pa.compute.cast(pa.compute.divide(ids, 8), pa.string()),
        "activity": pa.compute.cast(pa.compute.bit_wise_and(ids, 7), pa.string()),
        "time": pa.array(["2024-01-01T08:00:00+07:00"] * rows),
    })
    pacsv.write_csv(table, path)
    return path


@pytest.mark.slow
def test_killed_import_leaves_workspace_as_before(workspace_path: Path, log_file: Path,
                                                  tmp_path: Path) -> None:
    big = _big_csv(tmp_path / "big.csv", 1_500_000)
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file)
        before = {t for (t,) in ws.con.execute("SELECT table_name FROM duckdb_tables()"
                                               ).fetchall()}
    assert {"logs", "raw_files", "settings", "events_1"} <= before
    script = ("import sys; from procflow import Workspace; "
              "Workspace(sys.argv[1]).import_file(sys.argv[2], name='big')")
    for delay in (0.8, 2.0, 3.5, 5.0):
        proc = subprocess.Popen([sys.executable, "-c", script, str(workspace_path), str(big)])
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Workspace(workspace_path) as ws:
            names = {r["name"]: r["events"] for r in ws.logs()}
            assert names.get("izin") == 3
            if "big" in names:  # finished before the kill: complete, never partial
                assert names["big"] == 1_500_000
                assert ws.log("big").to_pandas().shape[0] == 1_500_000
                ws.remove("big")
            tables = {t for (t,) in ws.con.execute("SELECT table_name FROM duckdb_tables()"
                                               ).fetchall()}
            assert tables == before


def test_raw_file_kept_in_compressed_parts(workspace_path: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from procflow.store import workspace

    monkeypatch.setattr(workspace, "RAW_PART", 1024)
    log = tmp_path / "big.csv"
    rows = "".join(f"{i % 97};A{i % 5};2024-01-01T{i % 24:02d}:00Z;Ayu\n" for i in range(2000))
    log.write_text(CSV + rows)
    size = log.stat().st_size
    with Workspace(workspace_path) as ws:
        ws.import_file(log)
        parts, stored, codecs = ws.con.execute(
            "SELECT count(*), sum(octet_length(data)), list(DISTINCT codec) FROM raw_files"
        ).fetchone()
        assert parts == -(-size // 1024) and codecs == ["zstd"]
        assert stored < size / 2  # the repetitive text compresses
        assert ws.raw_bytes("big") == log.read_bytes()


def test_raw_parts_of_an_older_workspace_are_read_plain(workspace_path: Path, log_file: Path,
                                                        tmp_path: Path) -> None:
    with Workspace(workspace_path) as ws:
        ws.import_file(log_file)
        digest = ws.entry("izin")["sha256"]
        # The table as workspaces made before parts were compressed hold it.
        ws.con.execute("DELETE FROM raw_files")
        ws.con.execute("ALTER TABLE raw_files DROP COLUMN codec")
        ws.con.execute("INSERT INTO raw_files VALUES (?, 0, ?)", [digest, log_file.read_bytes()])
    other = tmp_path / "other.csv"
    other.write_text(CSV + "3;C;2024-01-03T08:00Z;Citra\n")
    with Workspace(workspace_path) as ws:
        ws.import_file(other)
        assert ws.raw_bytes("izin") == log_file.read_bytes()
        assert ws.raw_bytes("other") == other.read_bytes()
        assert ws.con.execute("SELECT list(codec ORDER BY codec NULLS FIRST) FROM raw_files"
                              ).fetchone() == ([None, "zstd"],)
