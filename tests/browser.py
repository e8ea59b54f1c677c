"""Headless Chromium through Playwright for browser tests (Debian's chromium, no download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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
def browser_page() -> Iterator[Any]:
    """A fresh headless page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def artifact(name: str) -> Path:
    """Where a screenshot of a test goes (``test-artifacts/``, kept out of git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
