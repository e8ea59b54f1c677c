"""The web app in headless Chromium: sign in, upload, map columns, read the map, switch
language, and be refused another workspace. Screenshots go to test-artifacts/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from procflow.web import create_app
from tests.browser import artifact, browser_page

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
PW = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    app = create_app(tmp_path / "data")
    accounts = app.state.accounts
    accounts.add_user("sari", PW)
    sari = accounts.user("sari")
    ids = {"mine": accounts.add_workspace("dpmptsp-makassar"),
           "other": accounts.add_workspace("dinas-lain")}
    accounts.grant(ids["mine"], "sari", "analyst")
    assert sari is not None
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", ids
    finally:
        srv.should_exit = True
        thread.join(10)


def test_analyst_uploads_maps_and_reads(server: tuple[str, dict[str, str]]) -> None:
    base, ids = server
    with browser_page() as page:
        page.set_default_timeout(60_000)
        page.goto(f"{base}/workspaces")
        assert "/login" in page.url
        page.fill("input[name=username]", "sari")
        page.fill("input[name=password]", PW)
        page.screenshot(path=artifact("web-1-login.png"))
        page.click("button[type=submit]")
        page.click("text=dpmptsp-makassar")
        assert page.locator("h1").inner_text() == "dpmptsp-makassar"
        page.set_input_files("input[name=file]", str(SAMPLE))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#col_case")
        assert page.input_value("#col_case") == "No. Permohonan"
        assert page.input_value("#col_timestamp") == "Waktu Selesai"
        page.select_option("#col_level", "")  # keep level unmapped
        page.select_option("#col_unit", "Unit Kerja")
        page.select_option("#tz", "Asia/Makassar")
        page.select_option("#order", "dayfirst")
        page.screenshot(path=artifact("web-2-mapping.png"), full_page=True)
        page.click("form.card button[type=submit]")
        page.wait_for_selector("text=Laporan impor")
        body = page.inner_text("main")
        assert "2.000" in body and "13.273" in body
        page.screenshot(path=artifact("web-3-import-report.png"), full_page=True)
        page.click("text=Lihat analisis")
        page.wait_for_selector("figure.map svg")
        assert page.locator("dl.headline div").count() >= 4
        page.screenshot(path=artifact("web-4-overview-id.png"), full_page=True)
        page.click("text=English")
        page.wait_for_selector("text=Process map")
        assert "cases" in page.inner_text("dl.headline")
        page.screenshot(path=artifact("web-5-overview-en.png"))
        response = page.goto(f"{base}/w/{ids['other']}")
        assert response is not None and response.status == 404
        assert "Not found" in page.inner_text("h1")
        page.screenshot(path=artifact("web-6-other-workspace-404.png"))
