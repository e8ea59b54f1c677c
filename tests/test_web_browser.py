"""The web app in headless Chromium: sign in, upload, map columns, read the map and the
sections, redraw and zoom the map, download the report, compare two logs, delete a log, switch
language, and be refused another workspace. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procflow.web import create_app
from tests.browser import artifact, browser_page, serving

LOGS = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering"
SAMPLE = LOGS / "after.csv"
PW = "correct horse battery"


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
    with serving(app) as base:
        yield base, ids


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
        import_sample(page, SAMPLE, fix_mapping=True)
        page.click("text=Lihat analisis")
        page.wait_for_selector("figure.map svg")
        assert page.locator("dl.headline div").count() >= 4
        page.wait_for_function("() => !document.querySelector('div.deferred')")  # the charts
        for section in ("decisions", "handoffs", "layers", "bottlenecks"):
            assert page.locator(f"section#{section} svg").count() >= 1, section
        assert "Persetujuan dan TTE Kepala Dinas" in page.inner_text("section#decisions")
        page.screenshot(path=artifact("web-4-overview-id.png"), full_page=True)
        page.locator("section#decisions").screenshot(path=artifact("web-4b-decisions.png"))
        page.locator("section#bottlenecks").screenshot(path=artifact("web-4c-bottlenecks.png"))
        steps = page.locator("figure.map svg g.node").count()
        page.select_option("select[name=profile]", "frequency")
        page.select_option("select[name=activities]", "40")
        page.click("form.mapview button[type=submit]")
        page.wait_for_url("**profile=frequency**")
        page.wait_for_selector("select[name=profile] option[value=frequency][selected]",
                               state="attached")
        assert page.locator("figure.map svg g.node").count() < steps
        page.click("p.zoom >> text=200%")
        page.wait_for_selector("figure.map.zoomed[data-zoom='200'] svg")
        page.screenshot(path=artifact("web-5-map-frequency-zoom.png"))
        if page.locator("details.settings[open]").count() == 0:  # open while unconfirmed
            page.click("details.settings summary")
        page.select_option("details.settings select[name=calendar]", "id")
        page.fill("input[name=standard]", "15")
        page.click("details.settings button[type=submit]")
        page.wait_for_selector("section#sla")
        assert "zoom=200" in page.url and "standard=15" in page.url
        assert "hari kerja" in page.inner_text("dl.headline")
        page.screenshot(path=artifact("web-5b-working-time.png"))
        page.locator("section#sla").screenshot(path=artifact("web-5c-service-standard.png"))
        with page.expect_download() as got:
            page.click("text=Unduh laporan lengkap (HTML)")
        report = Path(got.value.path()).read_text(encoding="utf-8")
        assert "<html" in report and "Latensi keputusan" in report
        assert "Standar pelayanan" in report
        page.click("text=English")
        page.wait_for_selector("text=Process map")
        assert "cases" in page.inner_text("dl.headline")
        assert "Decision latency" in page.inner_text("section#decisions h2")
        page.screenshot(path=artifact("web-6-overview-en.png"))
        # a second log, then a comparison with its report
        page.click(f"a[href='/w/{ids['mine']}']")
        import_sample(page, LOGS / "before.csv", fix_mapping=False)
        page.goto(f"{base}/w/{ids['mine']}/compare")
        page.select_option("select[name=before]", "before")
        page.select_option("select[name=after]", "after")
        page.screenshot(path=artifact("web-7a-compare-form.png"))
        page.click("form.card button[value=compare]")
        page.wait_for_url("**/compare/*")
        assert "Approval layers per case" in page.inner_text("main")
        page.screenshot(path=artifact("web-7-comparison.png"), full_page=True)
        with page.expect_download() as got:
            page.click("a[href$='report.html']")
        assert "<html" in Path(got.value.path()).read_text(encoding="utf-8")
        # deleting a log asks first, then removes it
        page.goto(f"{base}/w/{ids['mine']}/logs/before")
        page.click("text=Delete this log")
        page.screenshot(path=artifact("web-8-delete.png"))
        page.click("button.danger")
        page.wait_for_url(f"**/w/{ids['mine']}")
        assert page.locator("a[href$='/logs/before']").count() == 0
        assert page.locator("a[href$='/logs/after']").count() == 1
        assert page.locator("table.results a", has_text="before → after").count() == 1
        page.screenshot(path=artifact("web-8b-workspace.png"), full_page=True)
        response = page.goto(f"{base}/w/{ids['other']}")
        assert response is not None and response.status == 404
        assert "Not found" in page.inner_text("h1")
        page.screenshot(path=artifact("web-9-other-workspace-404.png"))


def import_sample(page: Any, path: Path, *, fix_mapping: bool) -> None:
    """Upload ``path`` from the workspace page and import it (WITA, day first); with
    ``fix_mapping``, check the suggestion and change two columns first."""
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#col_case")
    if fix_mapping:
        assert page.input_value("#col_case") == "No. Permohonan"
        assert page.input_value("#col_timestamp") == "Waktu Selesai"
        page.select_option("#col_level", "")  # keep level unmapped
        page.select_option("#col_unit", "Unit Kerja")
    page.select_option("#tz", "Asia/Makassar")
    page.select_option("#order", "dayfirst")
    if fix_mapping:
        page.screenshot(path=artifact("web-2-mapping.png"), full_page=True)
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/imports/*")  # the progress page, until the report is ready
    page.wait_for_selector("table.figures")
    body = page.inner_text("main")
    assert "2.000" in body or "2,000" in body
    if fix_mapping:
        assert "13.273" in body
        page.screenshot(path=artifact("web-3-import-report.png"), full_page=True)
