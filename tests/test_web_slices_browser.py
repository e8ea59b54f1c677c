"""Slicing a log in a real browser against a real ``procflow serve``: set a filter in the
panel (the counts drop, the address keeps it, a reload too), open a case from a path of the
map, save two views and compare them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from procflow.ingest.importer import ImportOptions
from procflow.store.workspace import Workspace
from procflow.web.accounts import Accounts
from tests.browser import artifact, browser_page, sign_in
from tests.webserver import PW, Server

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
FIX = "Perbaikan Berkas oleh Pemohon"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``procflow serve`` on a data folder where analyst andi's workspace holds the sample."""
    tmp = tmp_path_factory.mktemp("slices-browser")
    accounts = Accounts(tmp / "data")
    accounts.add_user("andi", PW)
    wid = accounts.add_workspace("dinas-a")
    accounts.grant(wid, "andi", "analyst")
    with Workspace(accounts.workspace_file(wid)) as ws:
        ws.import_file(SAMPLE, name="after", options=ImportOptions(tz="Asia/Makassar",
                                                                   order="dayfirst"))
    server = Server(tmp / "data", tmp / "server.log").start()
    try:
        yield server.base, wid
    finally:
        server.stop()


@pytest.fixture(scope="module")
def counts() -> tuple[int, int]:
    """Cases with a fix by the applicant, and all cases (pandas)."""
    data = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str)
    return (data.loc[data["Tahapan"] == FIX, "No. Permohonan"].nunique(),
            data["No. Permohonan"].nunique())


def test_slice_drill_down_save_and_compare(served: tuple[str, str],
                                          counts: tuple[int, int]) -> None:
    base, wid = served
    with_fix, total = counts
    with browser_page() as page:
        errors: list[str] = []
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        sign_in(page, base)
        page.goto(f"{base}/w/{wid}/logs/after?lang=en")
        assert f"List the {total:,} cases" in page.inner_text("#filters")
        # slice: keep the cases with a fix by the applicant
        page.click("#filters summary")
        form = page.locator("#filter-values form").nth(1)
        form.locator("select[name=v_how]").select_option("with")
        form.locator("label", has_text=FIX).locator("input").check()
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r".*[?&]f=.*"))
        kept = page.inner_text("#filters .kept")
        assert kept.startswith(f"{with_fix:,} of {total:,} cases")
        assert f"{with_fix:,}" in page.inner_text("dl.headline")
        address = page.url
        page.screenshot(path=str(artifact("slices-log-page.png")), full_page=False)
        page.reload()
        assert page.url == address
        assert page.inner_text("#filters .kept") == kept
        # a path of the map opens its cases, a case id the case's timeline
        edge = page.locator("figure.map g.edge a").first
        href = edge.get_attribute("href") or edge.get_attribute("xlink:href")
        assert href and "directly_follows" in href
        page.locator("figure.map g.edge a text").first.click()  # a path's label, as a user does
        page.wait_for_selector("table.cases")
        assert "directly_follows" in page.url
        listed = int(re.search(r"([\d,]+) cases", page.inner_text("#case-count"))
                     .group(1).replace(",", ""))
        assert 0 < listed <= with_fix
        page.screenshot(path=str(artifact("slices-case-list.png")))
        page.locator("table.cases tbody tr td a").first.click()
        page.wait_for_selector("figure.drawing svg")
        assert page.locator("table.timeline tbody tr").count() >= 2
        page.screenshot(path=str(artifact("slices-case-page.png")))
        # save this slice and its complement as views, then compare the two
        page.goto(address)
        page.fill("#view-name", "with fixes")
        page.click("text=Save the view")
        page.wait_for_selector("ul.saved >> text=with fixes")
        page.locator("ol.filters a.remove").first.click()
        page.wait_for_url(re.compile(r".*/logs/after(\?lang=en)?(#filters)?$"))
        page.click("#filters summary")
        form = page.locator("#filter-values form").nth(1)
        form.locator("select[name=v_how]").select_option("without")
        form.locator("label", has_text=FIX).locator("input").check()
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r".*[?&]f=.*"))
        assert page.inner_text("#filters .kept").startswith(
            f"{total - with_fix:,} of {total:,} cases")
        page.fill("#view-name", "without fixes")
        page.click("text=Save the view")
        page.wait_for_selector("ul.saved >> text=without fixes")
        page.goto(f"{base}/w/{wid}/compare?lang=en")
        page.select_option("select[name=before]", "after")
        page.select_option("select[name=after]", "after")
        page.select_option("select[name=before_view]", "with fixes")
        page.select_option("select[name=after_view]", "without fixes")
        page.check("input[name=decisions][value=none]")
        page.screenshot(path=str(artifact("slices-compare-form.png")))
        page.click("button[value=compare]")
        page.wait_for_url(re.compile(r".*/compare/[0-9a-f]{32}.*"), timeout=120_000)
        heading = page.inner_text("h1")
        assert "view with fixes" in heading and "view without fixes" in heading
        assert (f"{with_fix:,} cases before, {total - with_fix:,} cases after"
                in page.inner_text("main"))
        assert errors == []


def test_the_drawings_come_after_the_filtered_page(served: tuple[str, str],
                                                   counts: tuple[int, int]) -> None:
    """The page comes with its figures, tables and map; its charts, handoff map and "Over
    time" section replace their "drawing…" placeholders once loaded; without script each
    placeholder links to its drawing."""
    base, wid = served
    with_fix, _ = counts
    address = (f"{base}/w/{wid}/logs/after?lang=en&f=" + quote(json.dumps(
        [{"kind": "with", "field": "activity", "values": [FIX]}])))
    with browser_page() as page:
        errors: list[str] = []
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and "favicon" not in (m.location or {}).get("url", "") else None)
        sign_in(page, base)
        page.goto(address)
        assert f"{with_fix:,}" in page.inner_text("dl.headline")
        assert page.locator("figure.map svg g.node").count() > 0  # the map is on the page
        page.wait_for_function("() => !document.querySelector('div.deferred')")
        assert page.locator("#time svg").count() == 4
        assert "Cases per week" in page.inner_text("#time")
        for section in ("decisions", "handoffs", "layers", "bottlenecks"):
            assert page.locator(f"#{section} .drawing svg").count() >= 1, section
        assert page.locator("figure.map svg g.node").count() > 0
        page.screenshot(path=str(artifact("drawings-after-load.png")), full_page=True)
        assert errors == []
    with browser_page(java_script_enabled=False) as page:
        sign_in(page, base)
        page.goto(address)
        waiting = page.locator("div.deferred")
        assert waiting.count() == 6 and "Drawing…" in waiting.first.inner_text()
        link = page.locator("#time div.deferred noscript a, #time div.deferred a").first
        href = link.get_attribute("href")
        assert href is not None and "/drawings/time?" in href
        page.goto(base + href)
        assert "Cases per week" in page.content()

