"""Excel zip bombs: a workbook whose sheet would inflate past the caps is refused before any
reader inflates it (declared sizes, ratios, member count), sizes that lie are caught while
counting what actually inflates, the CLI's memory stays flat, and the web preview refuses it
the same way."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import procflow
from procflow.errors import FormatError, UnsafeInputError
from procflow.web import accounts as accounts_module
from procflow.web import create_app
from tests.xlsxbomb import row, write_xlsx

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
ROW = row("1", "A", "2024-01-01T00:00:00Z")
MiB = 1024 * 1024


def bomb(path: Path, megabytes: int, **kwargs: int) -> Path:
    """A workbook whose sheet XML is ``megabytes`` MiB of rows (about 250:1 compressed)."""
    write_xlsx(path, ROW, megabytes * MiB // (4096 * len(ROW)), **kwargs)
    return path


def test_declared_size_over_the_byte_cap_is_refused(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = bomb(tmp_path / "big.xlsx", 4)
    monkeypatch.setenv("PROCFLOW_MAX_BYTES", "2000000")
    with pytest.raises(UnsafeInputError, match=r"big\.xlsx: .*sheet1\.xml' would inflate to "
                       r"4,\d{3},\d{3} bytes, more than the limit of 2,000,000") as err:
        procflow.read(path, tz="UTC")
    assert "PROCFLOW_MAX_BYTES" in str(err.value)


def test_ratio_over_the_cap_is_refused_with_default_caps(tmp_path: Path) -> None:
    path = bomb(tmp_path / "dense.xlsx", 40)
    assert path.stat().st_size < 400_000
    started = time.perf_counter()
    with pytest.raises(UnsafeInputError, match=r"would inflate \d+ times \(limit 200:1"):
        procflow.read(path, tz="UTC")
    assert time.perf_counter() - started < 2


def test_sizes_that_lie_are_caught_while_inflating(tmp_path: Path) -> None:
    path = bomb(tmp_path / "liar.xlsx", 4, declared_size=100_000)
    with pytest.raises(UnsafeInputError, match=r"liar\.xlsx: .*sheet1\.xml' inflates to more "
                       r"than 100,000 bytes, the size its zip directory declares"):
        procflow.read(path, tz="UTC")


def test_member_count_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = tmp_path / "many.xlsx"
    write_xlsx(many, ROW, 1, chunk_rows=2, extra_members=10_001)
    with pytest.raises(UnsafeInputError, match=r"many\.xlsx: the workbook holds 10,006 files "
                       r"inside its zip container, more than the limit of 10,000"):
        procflow.read(many, tz="UTC")
    few = tmp_path / "few.xlsx"
    write_xlsx(few, ROW, 1, chunk_rows=2, extra_members=30)
    assert procflow.read(few, tz="UTC").to_arrow().num_rows == 2
    monkeypatch.setenv("PROCFLOW_MAX_MEMBERS", "20")
    with pytest.raises(UnsafeInputError, match="PROCFLOW_MAX_MEMBERS"):
        procflow.read(few, tz="UTC")


def test_a_damaged_member_is_a_format_error(tmp_path: Path) -> None:
    path = bomb(tmp_path / "damaged.xlsx", 1)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the sheet's compressed stream
    path.write_bytes(bytes(data))
    with pytest.raises((FormatError, UnsafeInputError), match=r"damaged\.xlsx: .*sheet1\.xml"):
        procflow.read(path, tz="UTC")


def _import_peak(workbook: Path, workspace: Path) -> tuple[int, str, int]:
    """Exit code, output and peak resident memory (bytes) of ``procflow import`` run in a
    child process with the default caps."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCFLOW_")}
    env["PYTHONPATH"] = str(ROOT)
    out = workspace.with_suffix(".out")
    with open(out, "wb") as sink:
        child = subprocess.Popen(
            [sys.executable, "-c", "from procflow.cli import main; main(prog_name='procflow')",
             "import", str(workbook), "--workspace", str(workspace)],
            stdout=sink, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, out.read_text(), usage.ru_maxrss * 1024


@pytest.mark.parametrize("lying", [False, True], ids=["declared", "lying"])
def test_cli_import_of_a_950_mib_sheet_is_refused_with_flat_memory(tmp_path: Path,
                                                                   lying: bool) -> None:
    small = tmp_path / "small.xlsx"
    write_xlsx(small, ROW, 1, chunk_rows=5)
    code, text, baseline = _import_peak(small, tmp_path / "a.duckdb")
    assert code == 0, text
    path = bomb(tmp_path / "bomb.xlsx", 950, declared_size=10_000_000 if lying else None)
    assert path.stat().st_size < 5 * MiB
    started = time.perf_counter()
    code, text, peak = _import_peak(path, tmp_path / "b.duckdb")
    assert code == 2, text
    assert "Traceback" not in text and "bomb.xlsx" in text and "decompression bomb" in text
    assert peak - baseline < 200 * MiB, f"peak {peak / MiB:.0f} MiB, baseline " \
                                        f"{baseline / MiB:.0f} MiB"
    assert time.perf_counter() - started < 30


def test_web_preview_and_import_refuse_the_bomb(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts_module, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(tmp_path / "data", max_upload_bytes=8 * MiB)
    accounts = app.state.accounts
    accounts.add_user("ana", "correct horse battery", admin=True)
    wid = accounts.add_workspace("dinas")
    accounts.grant(wid, "ana", "analyst")
    client = TestClient(app)
    login = client.post("/api/login", json={"username": "ana",
                                            "password": "correct horse battery"})
    client.headers["X-CSRF-Token"] = login.json()["csrf"]
    data = bomb(tmp_path / "x.xlsx", 40).read_bytes()
    up = client.post(f"/api/w/{wid}/upload", files={"file": ("laporan.xlsx", data,
                                                             "application/octet-stream")})
    assert up.status_code == 201, up.text
    upload = up.json()["upload"]["id"]
    started = time.perf_counter()
    preview = client.get(f"/api/w/{wid}/uploads/{upload}?lang=en")
    assert time.perf_counter() - started < 5
    assert preview.status_code == 422, preview.text[:300]
    assert "laporan.xlsx" in preview.text and "decompression bomb" in preview.text
    assert str(tmp_path) not in preview.text
    page = client.get(f"/w/{wid}/uploads/{upload}?lang=en")
    assert page.status_code == 422 and "decompression bomb" in page.text
    indonesian = client.get(f"/w/{wid}/uploads/{upload}?lang=id")
    assert "bom dekompresi" in indonesian.text and "decompression" not in indonesian.text
    imported = client.post(f"/api/w/{wid}/uploads/{upload}/import?lang=en", json={"tz": "UTC"})
    assert imported.status_code == 422 and "decompression bomb" in imported.text
