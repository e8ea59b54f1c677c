"""The HTML reports open in headless Chromium with no console errors and no network requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from procflow.cli import main
from tests.browser import artifact, browser_page
from tests.conftest import SAMPLE

SECTIONS = {"analysis": ("figures", "map", "decisions", "handoffs", "layers", "bottlenecks",
                         "variants", "time", "import", "methods"),
            "comparison": ("summary", "measures", "diff", "distributions", "variants",
                           "methods")}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    common = ["--tz", "Asia/Makassar", "--orgchart", str(SAMPLE / "orgchart.csv")]
    runner = CliRunner()
    done = runner.invoke(main, ["report", str(SAMPLE / "after.csv"), "--out",
                                str(out / "analysis"), *common])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["compare", str(SAMPLE / "before.csv"), str(SAMPLE / "after.csv"),
                                "--out", str(out / "comparison"), *common])
    assert done.exit_code == 0, done.output
    return {"analysis": out / "analysis" / "report.html",
            "comparison": out / "comparison" / "report.html"}


@pytest.mark.parametrize("kind", ["analysis", "comparison"])
def test_report_is_offline_and_error_free(reports: dict[str, Path], kind: str) -> None:
    url = reports[kind].as_uri()
    with browser_page() as page:
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if r.url != url else None)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert errors == []
        assert requests == []
        assert page.locator("svg").count() >= 3
        for section in SECTIONS[kind]:
            target = page.locator(f"section#{section}")
            assert target.count() == 1, section
            target.screenshot(path=str(artifact(f"report-{kind}-{section}.png")))
