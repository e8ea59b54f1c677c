"""Hostile files against a real server (``procflow serve`` on 127.0.0.1): a 950 MiB-sheet
workbook squeezed into a few MiB, a CSV with 100,000 columns and one with 2,000 identical
column names (the most the 2,000-column cap allows) are previewed and imported while another
user reads her workspace. Each is refused (or read) quickly, the server's memory grows by less
than 200 MiB, and the other user is served throughout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.webserver import MemoryWatch, MiB, Reader, Server, seed
from tests.xlsxbomb import row, write_xlsx

MAX_GROWTH = 200 * MiB
ROW = row("1", "A", "2024-01-01T00:00:00Z")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    base = tmp_path_factory.mktemp("hostile-files")
    wid = seed(base / "data")
    srv = Server(base / "data", base / "server.log", args=["--max-upload-mb", "16"])
    srv.start()
    try:
        yield srv, wid
    finally:
        srv.stop()


def bomb(path: Path) -> Path:
    """A valid workbook whose sheet XML is 950 MiB (about 250:1 compressed)."""
    write_xlsx(path, ROW, 950 * MiB // (4096 * len(ROW)))
    return path


def wide(path: Path, columns: int, *, same: bool = False) -> Path:
    names = ["x"] * columns if same else [f"c{i}" for i in range(columns)]
    names[:3] = ["case", "activity", "timestamp"]
    values = ["1", "A", "2024-01-01T00:00:00Z"] + ["v"] * (columns - 3)
    path.write_text(",".join(names) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    return path


def attempt(server: Server, wid: str, path: Path) -> tuple[list[httpx.Response], int, int,
                                                           list[tuple[float, int]]]:
    """andi uploads ``path``, previews it and imports it while vera reads her workspace;
    returns andi's responses, the server's RSS before and at its peak, and vera's requests."""
    andi, vera = server.client("andi", timeout=120), server.client("vera", timeout=30)
    for _ in range(3):
        assert vera.get(f"/api/w/{wid}").status_code == 200
    baseline = server.rss()
    with MemoryWatch(server) as watch, Reader(vera, [f"/api/w/{wid}", f"/w/{wid}"]) as reader:
        up = andi.post(f"/api/w/{wid}/upload",
                       files={"file": (path.name, path.read_bytes(), "application/octet-stream")})
        answers = [up]
        if up.status_code == 201:
            upload = up.json()["upload"]["id"]
            answers.append(andi.get(f"/api/w/{wid}/uploads/{upload}?lang=en"))
            answers.append(andi.post(f"/api/w/{wid}/uploads/{upload}/import?lang=en",
                                     json={"name": path.stem.replace(".", "_"), "tz": "UTC"}))
    andi.close()
    vera.close()
    return answers, baseline, watch.peak, reader.times


def calm(baseline: int, peak: int, others: list[tuple[float, int]]) -> None:
    assert peak - baseline < MAX_GROWTH, f"RSS {baseline / MiB:.0f} → {peak / MiB:.0f} MiB"
    assert others and all(status == 200 for _, status in others), others[:5]
    assert max(seconds for seconds, _ in others) < 10


def test_a_workbook_bomb_is_refused_with_flat_memory(server: tuple[Server, str],
                                                     tmp_path: Path) -> None:
    srv, wid = server
    path = bomb(tmp_path / "izin.xlsx")
    assert path.stat().st_size < 5 * MiB
    answers, baseline, peak, others = attempt(srv, wid, path)
    upload, preview, imported = answers
    assert upload.status_code == 201
    for refused in (preview, imported):
        assert refused.status_code == 422, refused.text
        message = refused.json()["error"]["message"]
        assert "izin.xlsx" in message and "decompression bomb" in message
        assert str(srv.data) not in message
    calm(baseline, peak, others)


def test_a_hundred_thousand_columns_are_refused_with_flat_memory(server: tuple[Server, str],
                                                                 tmp_path: Path) -> None:
    srv, wid = server
    started = time.monotonic()
    answers, baseline, peak, others = attempt(srv, wid, wide(tmp_path / "lebar.csv", 100_000))
    assert time.monotonic() - started < 60
    for refused in answers[1:]:
        assert refused.status_code == 422, refused.text
        assert "100,000 columns" in refused.json()["error"]["message"]
    calm(baseline, peak, others)


def test_two_thousand_identical_names_are_read_fast(server: tuple[Server, str],
                                                      tmp_path: Path) -> None:
    srv, wid = server
    started = time.monotonic()
    answers, baseline, peak, others = attempt(srv, wid, wide(tmp_path / "sama.csv", 2000,
                                                             same=True))
    assert time.monotonic() - started < 60
    assert [a.status_code for a in answers] == [201, 200, 200], answers[-1].text
    calm(baseline, peak, others)
