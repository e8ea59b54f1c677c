"""Headless Chromium through Playwright for browser tests (Debian's chromium, no download)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    """Debian's chromium; skips the test with the install command when it is absent."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium not installed (sudo apt-get install chromium; `make test` does it)")
    return path


@contextmanager
def browser_page(**options: Any) -> Iterator[Any]:
    """A fresh headless page (``options`` go to Playwright's ``new_page``, e.g.
    ``java_script_enabled=False``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900}, **options)
        finally:
            browser.close()


def artifact(name: str) -> Path:
    """Where a screenshot of a test goes (``test-artifacts/``, kept out of git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def sign_in(page: Any, base: str, lang: str = "en", user: str = "andi") -> None:
    """Sign ``user`` in (the password of tests.webserver) with pages in ``lang``."""
    from tests.webserver import PW

    page.goto(f"{base}/login?lang={lang}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_url("**/workspaces")
