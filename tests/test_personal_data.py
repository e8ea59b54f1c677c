"""Personal data (UU 27/2022): removed or replaced logs leave the workspace file's bytes, named
columns get the resource's keyed codes, and the key can live outside the workspace.

The byte searches read the DuckDB file and its write-ahead log the way ``strings`` would."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from procflow import ImportOptions, Workspace
from procflow.cli import main
from procflow.core import db
from procflow.errors import InputError, WorkspaceError
from procflow.ingest.privacy import pseudonym
from procflow.simulate.permits import simulate

KEY_FILE_ENV = "PROCFLOW_PSEUDONYM_KEY_FILE"
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "permit-delayering" / "after.csv"
SAMPLE_OPTIONS = ("--tz", "Asia/Makassar", "--dayfirst")
KEEP = ("case;activity;time;resource\nK-1;Daftar;2024-01-01T08:00Z;Kirana Wulandari\n"
        "K-1;Setuju;2024-01-01T09:00Z;Yohanes Rumbiak\n")
APPROVALS = ("No. Permohonan;Tahapan;Waktu;Petugas;Disetujui oleh;Paraf;Catatan\n"
             "1;Daftar;2024-01-01T08:00Z;Ayu Lestari;Bonifasius Tandi;BT;ok\n"
             "1;Setuju;2024-01-01T09:00Z;Bonifasius Tandi;Bonifasius Tandi;Ayu Lestari;ok\n")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def names_in(path: Path) -> set[str]:
    """The distinct resource names of a CSV export (column ``Petugas`` or ``resource``)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = csv.DictReader(f, delimiter=";")
        return {r.get("Petugas") or r["resource"] for r in rows}


def wal(path: Path) -> Path:
    """DuckDB's write-ahead log of the database file ``path``."""
    return path.with_name(path.name + ".wal")


def temp(path: Path) -> Path:
    """Where a rewrite writes the new file."""
    return path.with_name(path.name + ".rewrite")


def pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the workspace is marked for a rewrite it has not finished."""
    return bool(con.execute("SELECT count(*) FROM settings WHERE key = 'rewrite_pending'"
                            ).fetchall()[0][0])


def stored_key(ws: Workspace) -> bytes | None:
    """The pseudonym key kept in the workspace, if any."""
    found = ws.con.execute("SELECT value FROM settings WHERE key = 'pseudonym_key'").fetchall()
    return bytes.fromhex(found[0][0]) if found else None


def found_in_file(path: Path, names: set[str]) -> set[str]:
    """The names whose UTF-8 bytes are in the workspace file or its write-ahead log."""
    data = b"".join(p.read_bytes() for p in (path, wal(path)) if p.exists())
    return {n for n in names if n.encode("utf-8") in data}


@pytest.fixture
def keep_file(tmp_path: Path) -> Path:
    path = tmp_path / "keep.csv"
    path.write_text(KEEP, encoding="utf-8")
    return path


def test_removed_log_leaves_the_file(workspace_path: Path, keep_file: Path) -> None:
    ws = str(workspace_path)
    assert run("import", str(keep_file), "--workspace", ws)[0] == 0
    assert run("import", str(SAMPLE), *SAMPLE_OPTIONS, "--workspace", ws)[0] == 0
    names = names_in(SAMPLE)
    assert found_in_file(workspace_path, names) == names
    code, out = run("remove", "after", "--workspace", ws)
    assert code == 0, out
    assert found_in_file(workspace_path, names) == set()
    assert found_in_file(workspace_path, names_in(keep_file)) == names_in(keep_file)
    assert not temp(workspace_path).exists()
    with Workspace(workspace_path) as w:
        assert [log["name"] for log in w.logs()] == ["keep"]
        assert not pending(w.con)


def test_replacing_with_pseudonyms_leaves_no_names(workspace_path: Path) -> None:
    ws = str(workspace_path)
    assert run("import", str(SAMPLE), *SAMPLE_OPTIONS, "--workspace", ws)[0] == 0
    names = names_in(SAMPLE)
    code, out = run("import", str(SAMPLE), *SAMPLE_OPTIONS, "--workspace", ws, "--replace",
                    "--pseudonymize")
    assert code == 0, out
    assert found_in_file(workspace_path, names) == set()
    with Workspace(workspace_path) as w:
        resources = set(w.log("after").to_pandas()["resource"])
        assert len(resources) == len(names) and all(r.startswith("P-") for r in resources)
        assert w.info("after")["pseudonymized"]["columns"] == ["resource (Petugas)"]


def test_org_chart_notes_name_codes_not_people(workspace_path: Path, tmp_path: Path) -> None:
    chart = tmp_path / "chart.csv"
    chart.write_text("resource,level\nAyu Lestari,4\n", encoding="utf-8")
    log = tmp_path / "izin.csv"
    log.write_text(APPROVALS, encoding="utf-8")
    with Workspace(workspace_path) as ws:
        result = ws.import_file(log, options=ImportOptions(
            orgchart=chart, pseudonymize_columns=("Disetujui oleh", "Paraf")))
        key = stored_key(ws)
        assert key is not None and result.report is not None
        notes = " ".join(result.report.notes)
        assert "Bonifasius" not in notes
        assert repr(pseudonym("Bonifasius Tandi", key)) in notes
        assert "Bonifasius" not in str(ws.info("izin")["report"])
    assert found_in_file(workspace_path, {"Bonifasius Tandi", "Ayu Lestari"}) == set()


def test_named_columns_get_the_resource_codes(workspace_path: Path, tmp_path: Path) -> None:
    log = tmp_path / "izin.csv"
    log.write_text(APPROVALS, encoding="utf-8")
    ws = str(workspace_path)
    code, out = run("import", str(log), "--workspace", ws, "--pseudonymize-columns",
                    "Disetujui oleh, Paraf")
    assert code == 0, out
    assert found_in_file(workspace_path, {"Ayu Lestari", "Bonifasius Tandi"}) == set()
    with Workspace(workspace_path) as w:
        rows = w.log("izin").to_pandas()
        key = stored_key(w)
        assert key is not None
        bonifasius, ayu = pseudonym("Bonifasius Tandi", key), pseudonym("Ayu Lestari", key)
        assert rows["resource"].tolist() == [ayu, bonifasius]
        assert rows["attr:Disetujui oleh"].tolist() == [bonifasius, bonifasius]
        assert rows["attr:Paraf"].tolist() == [pseudonym("BT", key), ayu]
        assert rows["attr:Catatan"].tolist() == ["ok", "ok"]
        assert w.info("izin")["pseudonymized"]["columns"] == [
            "resource (Petugas)", "Disetujui oleh", "Paraf"]
    code, out = run("info", "izin", "--workspace", ws)
    assert "pseudonymised: resource (Petugas), Disetujui oleh, Paraf" in out
    assert "(keyed codes; key stored in this workspace; key id " in out
    code, out = run("import", str(log), "--name", "other", "--workspace", ws,
                    "--pseudonymize-columns", "Disetujui")
    assert code == 2
    assert "cannot pseudonymise column 'Disetujui'" in out and "'Disetujui oleh'" in out


def test_python_api_pseudonymises_named_columns(workspace_path: Path, tmp_path: Path) -> None:
    log = tmp_path / "izin.csv"
    log.write_text(APPROVALS, encoding="utf-8")
    options = ImportOptions(pseudonymize_columns=("Disetujui oleh",))
    assert options.pseudonymize
    with Workspace(workspace_path) as ws:
        ws.import_file(log, options=options)
        rows = ws.log("izin").to_pandas()
        assert rows["attr:Disetujui oleh"].tolist() == rows["resource"].tolist()[1:] * 2
        assert ws.info("izin")["options"]["pseudonymize_columns"] == ["Disetujui oleh"]
        with pytest.raises(WorkspaceError, match="not kept"):
            ws.raw_bytes("izin")
    with Workspace(workspace_path) as ws, pytest.raises(InputError, match="no such column"):
        ws.import_file(log, name="x", options=ImportOptions(pseudonymize_columns=("Nama",)))


def test_key_file_outside_the_workspace(workspace_path: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "izin.csv"
    log.write_text(APPROVALS, encoding="utf-8")
    key_file = tmp_path / "secret" / "pseudonym.key"
    key_file.parent.mkdir()
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    ws = str(workspace_path)
    code, out = run("import", str(log), "--workspace", ws, "--pseudonymize")
    assert code == 0, out
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = bytes.fromhex(key_file.read_text().strip())
    with Workspace(workspace_path) as w:
        assert w.log("izin").to_pandas()["resource"].tolist() == [
            pseudonym("Ayu Lestari", key), pseudonym("Bonifasius Tandi", key)]
        settings = dict(w.con.execute("SELECT key, value FROM settings").fetchall())
        assert "pseudonym_key" not in settings
        assert w.info("izin")["pseudonymized"]["key"] == "file"
    assert key.hex().encode() not in workspace_path.read_bytes()
    code, out = run("info", "izin", "--workspace", ws)
    assert "key from an outside key file, not stored in this workspace" in out
    # another workspace with the same key file gives the same person the same code
    other = tmp_path / "other.duckdb"
    assert run("import", str(log), "--workspace", str(other), "--pseudonymize")[0] == 0
    with Workspace(other) as w:
        assert w.log("izin").to_pandas()["resource"][0] == pseudonym("Ayu Lestari", key)
    # a different key (another file, or the workspace's own) is refused: two codes per person
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "secret" / "another.key"))
    code, out = run("import", str(log), "--name", "again", "--workspace", ws, "--pseudonymize")
    assert code == 1 and "made with another key" in out and KEY_FILE_ENV in out
    monkeypatch.delenv(KEY_FILE_ENV)
    code, out = run("import", str(log), "--name", "again", "--workspace", ws, "--pseudonymize")
    assert code == 1 and "kept outside this workspace" in out and KEY_FILE_ENV in out
    with Workspace(workspace_path) as w:
        assert [log["name"] for log in w.logs()] == ["izin"]
        assert stored_key(w) is None


def test_bad_key_file_is_a_clear_error(workspace_path: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "izin.csv"
    log.write_text(APPROVALS, encoding="utf-8")
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(bad))
    code, out = run("import", str(log), "--workspace", str(workspace_path), "--pseudonymize")
    assert code == 2 and str(bad) in out and "64 hexadecimal digits" in out


def catalog(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Tables with their column types, constraints and sequences of the open database."""
    db = con.execute("SELECT current_database()").fetchall()[0][0]
    return {
        "columns": con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = ? ORDER BY ALL", [db]).fetchall(),
        "constraints": con.execute(
            "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints() "
            "WHERE database_name = ? ORDER BY ALL", [db]).fetchall(),
        "sequences": con.execute("SELECT sequence_name, last_value FROM duckdb_sequences() "
                                 "WHERE database_name = ?", [db]).fetchall(),
    }


def test_rewrite_keeps_types_constraints_sequences_and_derived_tables(
        workspace_path: Path, keep_file: Path) -> None:
    with Workspace(workspace_path) as ws:
        ws.import_file(keep_file)
        before = catalog(ws.con)
        figures = ws.log("keep").summary()
        ws.import_file(SAMPLE, options=ImportOptions(tz="Asia/Makassar", order="dayfirst"))
        ws.remove("after")
        assert catalog(ws.con)["columns"] == before["columns"]
        assert catalog(ws.con)["constraints"] == before["constraints"]
        assert catalog(ws.con)["sequences"] == [("log_ids", 2)]
        assert {t for (t,) in ws.con.execute("SELECT table_name FROM duckdb_tables()"
                                             ).fetchall()} >= {"events_1_steps", "events_1_cases"}
        assert ws.log("keep").summary() == figures
        with pytest.raises(duckdb.ConstraintException):
            ws.con.execute("INSERT INTO logs (log_id, name) VALUES (1, 'dup')")
        assert ws.import_file(SAMPLE, options=ImportOptions(
            tz="Asia/Makassar", order="dayfirst")).events == 13273
        assert ws.entry("after")["log_id"] == 3


def test_a_rewrite_waits_for_other_connections(workspace_path: Path, keep_file: Path) -> None:
    """A second connection to the file in this process keeps the old file in place (marked);
    the next open rewrites it."""
    with Workspace(workspace_path) as ws:
        ws.import_file(keep_file)
        ws.import_file(SAMPLE, options=ImportOptions(tz="Asia/Makassar", order="dayfirst"))
    names = names_in(SAMPLE)
    ws = Workspace(workspace_path)
    other = db.connect(str(workspace_path))  # the same database, as a second user would
    try:
        with pytest.raises(WorkspaceError, match="still in the file's bytes"):
            ws.remove("after")
        assert [log["name"] for log in ws.logs()] == ["keep"]
        assert pending(ws.con)
    finally:
        other.close()
        ws.close()
    with Workspace(workspace_path) as again:
        assert not pending(again.con)
    assert found_in_file(workspace_path, names) == set()


# killed while rewriting --------------------------------------------------------------------
def _state(path: Path) -> list[str]:
    """The logs a copy of the workspace file (with its WAL) holds, read by DuckDB alone."""
    scratch = path.with_name("inspect")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    for part in (path, wal(path)):
        if part.exists():
            shutil.copyfile(part, scratch / part.name)
    con = duckdb.connect(str(scratch / path.name))
    try:
        return [n for (n,) in con.execute("SELECT name FROM logs ORDER BY name").fetchall()]
    finally:
        con.close()
        shutil.rmtree(scratch)


def _until(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    while not condition() and proc.poll() is None:
        time.sleep(0.0005)


@pytest.mark.slow
def test_killed_rewrite_leaves_either_workspace(tmp_path: Path, keep_file: Path) -> None:
    big = simulate(tmp_path / "sim", cases=25_000).after
    names = names_in(big)
    pristine = tmp_path / "pristine.duckdb"
    with Workspace(pristine) as ws:
        ws.import_file(keep_file)
        ws.import_file(big, name="big", options=ImportOptions(tz="Asia/Makassar",
                                                              order="dayfirst"))
        events = ws.log("big").summary()["events"]
        tables = {t for (t,) in ws.con.execute("SELECT table_name FROM duckdb_tables()"
                                               ).fetchall()}
    path = tmp_path / "ws.duckdb"
    new = temp(path)

    points: dict[str, Callable[[int], bool] | float] = {
        "committing": lambda _: wal(path).exists(),
        "copying": lambda _: new.exists() and new.stat().st_size > 0,
        "copied": lambda _: new.exists() and not wal(new).exists()
        and new.stat().st_size > 1 << 20,
        "swapped": lambda inode: path.exists() and path.stat().st_ino != inode,
        "early": 0.3, "middle": 1.5, "late": 3.0,
    }
    seen = {}
    for point, when in points.items():
        shutil.copyfile(pristine, path)
        inode = path.stat().st_ino
        proc = subprocess.Popen([sys.executable, "-c", "from procflow.cli import main; main()",
                                 "remove", "big", "--workspace", str(path)],
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if isinstance(when, float):
            time.sleep(when)
        else:
            _until(lambda when=when, inode=inode: when(inode), proc)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        killed = proc.wait() == -signal.SIGKILL
        left = new.exists()
        # the file alone (as DuckDB finds it) holds the old or the new workspace, whole
        state = _state(path)
        assert state in (["big", "keep"], ["keep"]), (point, state)
        seen[point] = (killed, left, state)
        with Workspace(path) as ws:  # opening finishes an interrupted rewrite
            logs = {log["name"]: log["events"] for log in ws.logs()}
            assert logs.get("keep") == 2, point
            now = {t for (t,) in ws.con.execute("SELECT table_name FROM duckdb_tables()"
                                                ).fetchall()}
            if "big" in logs:
                assert logs["big"] == events and now == tables, point
                assert ws.log("big").summary()["events"] == events
            else:
                assert now == {t for t in tables if not t.startswith("events_2")}, point
                assert not pending(ws.con)
        if "big" not in logs:
            assert found_in_file(path, names) == set(), point
        assert not new.exists() and not wal(new).exists(), point
    print(seen)
    # the kills hit the removal before its commit, during the copy and around the swap
    assert seen["committing"][0] and seen["copying"][:2] == (True, True)
    assert {tuple(s) for _, _, s in seen.values()} == {("big", "keep"), ("keep",)}
