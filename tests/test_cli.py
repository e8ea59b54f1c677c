"""The command line: every command documented, JSON shapes, one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from procflow.cli import main

CSV = "No. Permohonan;Tahapan;Waktu;Petugas\nA-1;Daftar;03/04/2024 08.00;Ayu\n" \
      "A-1;Verifikasi;13/04/2024 09.00;Budi\nA-2;Daftar;;Ayu\n"


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "izin.csv"
    path.write_text(CSV)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_every_command_has_help() -> None:
    assert set(main.commands) >= {"import", "logs", "info", "export", "remove", "simulate",
                                  "analyze"}
    for name, command in main.commands.items():
        code, out = run(name, "--help")
        assert code == 0, name
        assert command.help and command.help.split("\n")[0] in " ".join(out.split())


def test_import_json_and_rejects(log_file: Path, tmp_path: Path) -> None:
    ws = str(tmp_path / "ws.duckdb")
    rejects = tmp_path / "rejects.csv"
    code, out = run("import", str(log_file), "--tz", "Asia/Makassar", "--workspace", ws,
                    "--json", "--rejects", str(rejects))
    assert code == 0, out
    data = json.loads(out)
    assert {k: data[k] for k in ("name", "cases", "events", "activities", "rejected")} == {
        "name": "izin", "cases": 1, "events": 2, "activities": 2,
        "rejected": {"empty timestamp": 1}}
    assert rejects.read_text().splitlines() == ['"row","reason","column","value"',
                                                '3,"empty timestamp","Waktu",""']


def test_import_text_lists_mapping_and_report(log_file: Path, tmp_path: Path) -> None:
    ws = str(tmp_path / "ws.duckdb")
    code, out = run("import", str(log_file), "--tz", "Asia/Makassar", "--workspace", ws)
    assert code == 0, out
    assert "case_id          ← No. Permohonan" in out
    assert "rejected – empty timestamp: 1" in out
    code, again = run("import", str(log_file), "--tz", "Asia/Makassar", "--workspace", ws)
    assert code == 0 and "nothing changed" in again
    code, listing = run("logs", "--workspace", ws)
    assert "izin" in listing and "2 events" in listing
    code, info = run("info", "izin", "--workspace", ws, "--json")
    assert json.loads(info)["cases"] == 1
    out_csv = tmp_path / "out.csv"
    assert run("export", "izin", "--to", str(out_csv), "--workspace", ws)[0] == 0
    assert "2024-04-03T00:00:00.000000Z" in out_csv.read_text()
    assert run("remove", "izin", "--workspace", ws)[0] == 0
    code, out = run("info", "izin", "--workspace", ws)
    assert code == 1 and "no log named 'izin'" in out


def test_user_mistakes_exit_2_with_one_line(tmp_path: Path, log_file: Path) -> None:
    ws = str(tmp_path / "ws.duckdb")
    cases = [
        (["import", str(log_file), "--workspace", ws], "--tz"),
        (["import", str(log_file), "--tz", "Mars/Olympus", "--workspace", ws], "Mars/Olympus"),
        (["import", str(log_file), "--tz", "UTC", "--case", "Nomor", "--workspace", ws],
         "'Nomor'"),
    ]
    for args, needle in cases:
        code, out = run(*args)
        assert code == 2, out
        assert out.startswith("error: ") and needle in out
        assert "Traceback" not in out


def test_console_script_runs(tmp_path: Path, log_file: Path) -> None:
    exe = Path(sys.executable).with_name("procflow")
    proc = subprocess.run([str(exe), "import", str(log_file), "--workspace",
                           str(tmp_path / "w.duckdb")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_analyze_file_and_workspace_log(log_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = run("analyze", str(log_file), "--tz", "Asia/Makassar", "--out", str(out),
                     "--decision-activities", "Verifikasi")
    assert code == 0, text
    data = json.loads((out / "analysis.json").read_text())
    assert set(data) >= {"log", "cycle_time", "dfg", "activities", "decisions", "handoffs",
                         "layers", "bottlenecks", "variants"}
    assert data["decisions"]["activities"] == ["Verifikasi"]
    assert data["dfg"]["edges"][0]["source"] == "Daftar"
    assert "Top 5 bottlenecks" in text
    ws = str(tmp_path / "ws.duckdb")
    run("import", str(log_file), "--tz", "Asia/Makassar", "--workspace", ws)
    code, text = run("analyze", "izin", "--workspace", ws, "--out", str(out), "--json")
    assert code == 0 and json.loads(text)["log"]["cases"] == 1
    code, text = run("analyze", "izin", "--workspace", ws, "--out", str(out),
                     "--decisions", "[", "--json")
    assert code == 2 and "not a valid regular expression" in text
