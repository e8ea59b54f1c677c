"""The log page's process map on a real log of ~400 activities (BPIC15_1) in headless
Chromium, served by a real server on loopback with Graphviz's real ``dot``.

Every share of activities and paths the page offers, in both profiles, answers with a map or
with the message that says which setting fits (never an error page, never minutes). The map
pans, zooms (100% is the drawing's natural size) and finds a step; without script the zoom
links still work. Screenshots go to test-artifacts/maps-*.png; the time of every setting is
printed (run with -s to see it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procflow.store.workspace import Workspace
from procflow.web import create_app, views
from tests.browser import artifact, browser_page, serving
from tests.conftest import shared_file

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

PW = "correct horse battery"
LOG = "bpic15"
#: Seconds one setting may take on a busy two-core machine (analysis cached, map not).
SECONDS_PER_SETTING = 90


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server whose workspace holds BPIC15_1, imported once through the workspace API."""
    path = shared_file("BPIC15_1.xes.gz")
    app = create_app(tmp_path_factory.mktemp("maps") / "data")
    accounts = app.state.accounts
    accounts.add_user("sari", PW)
    wid = accounts.add_workspace("dpmptsp")
    accounts.grant(wid, "sari", "analyst")
    with Workspace(accounts.workspace_file(wid)) as ws:
        ws.import_file(path, name=LOG)
    with serving(app) as base:
        yield base, wid


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login?lang=en")
    page.fill("input[name=username]", "sari")
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_url("**/workspaces")


def query(profile: str, activities: int | None, paths: int | None) -> str:
    pairs = [("profile", profile), ("activities", activities), ("paths", paths)]
    return "&".join(f"{k}={v}" for k, v in pairs if v is not None)


def test_every_offered_setting_gives_a_map_or_says_what_fits(site: tuple[str, str]) -> None:
    base, wid = site
    url = f"{base}/w/{wid}/logs/{LOG}"
    seen: dict[tuple[str, str, str], tuple[float, str]] = {}
    suggested: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    with browser_page() as page:
        page.set_default_timeout(SECONDS_PER_SETTING * 1000)
        sign_in(page, base)
        page.goto(url)  # the first view computes the analysis and the report's sections
        for profile in views.PROFILES:
            for activities in views.PERCENTS:
                for paths in views.PERCENTS:
                    key = (profile, str(activities or "auto"), str(paths or "auto"))
                    started = time.perf_counter()
                    response = page.goto(f"{url}?{query(profile, activities, paths)}")
                    seconds = time.perf_counter() - started
                    assert response is not None and response.status == 200, key
                    drawn = page.locator("figure.map svg g.node").count()
                    refused = page.locator(".map-refused").count()
                    assert (drawn > 0) != (refused > 0), key
                    if refused:
                        message = page.inner_text(".map-refused p")
                        assert message.startswith(("This map would show", "This map is too "
                                                   "large", "Graphviz did not finish")), message
                        assert "of the log's 398 activities" in message, message
                        assert page.locator("a[href*='/download/map.']").count() == 0
                        href = page.locator(".map-refused a.button").first.get_attribute("href")
                        asked = dict(re.findall(r"(\w+)=(\w+)", href or ""))
                        suggested[key] = (asked.get("profile", "performance"),
                                          asked.get("activities", "auto"),
                                          asked.get("paths", "auto"))
                    else:
                        assert page.locator(".maptools:not([hidden])").count() == 1
                        assert page.locator("a[href*='/download/map.']").count() == 2
                    assert seconds < SECONDS_PER_SETTING, (key, seconds)
                    seen[key] = (seconds, "map" if drawn else "refused")
                    name = f"maps-{profile}-a{key[1]}-p{key[2]}.png"
                    page.locator("section#map").screenshot(path=artifact(name))
    print("\nprofile      activities paths  seconds  answer")
    for (profile, activities, paths), (seconds, what) in seen.items():
        print(f"{profile:12} {activities:>10} {paths:>5} {seconds:8.1f}  {what}"
              + (f" -> activities {suggested[profile, activities, paths][1]}, paths "
                 f"{suggested[profile, activities, paths][2]}" if what == "refused" else ""))
    assert len(seen) == len(views.PROFILES) * len(views.PERCENTS) ** 2
    for profile in views.PROFILES:
        assert seen[profile, "auto", "auto"][1] == "map"
        assert seen[profile, "100", "auto"][1] == "map"  # all 398 steps, with pan and search
    for key, target in suggested.items():  # what a refusal suggests is drawn
        assert seen[target][1] == "map", (key, target)


def test_a_suggested_setting_is_drawn(site: tuple[str, str]) -> None:
    base, wid = site
    with browser_page() as page:
        page.set_default_timeout(SECONDS_PER_SETTING * 1000)
        sign_in(page, base)
        page.goto(f"{base}/w/{wid}/logs/{LOG}?profile=frequency&activities=100&paths=100")
        message = page.inner_text(".map-refused p")
        assert re.search(r"Choose .+ or less: the map then shows [\d,]+ of the log's [\d,]+ "
                         r"activities and [\d,]+ paths", message), message
        page.screenshot(path=artifact("maps-refused-page.png"), full_page=False)
        page.locator(".map-refused a.button").first.click()
        page.wait_for_selector("figure.map svg g.node")
        assert "activities=" in page.url or "paths=" in page.url
        page.locator("section#map").screenshot(path=artifact("maps-suggestion-followed.png"))


@pytest.mark.parametrize(("size", "activities"), [((1280, 900), None), ((1280, 900), 40),
                                                  ((1600, 1000), 100)])
def test_the_map_opens_fitted_to_the_width_and_readable(
        site: tuple[str, str], size: tuple[int, int], activities: int | None) -> None:
    """Opened without a zoom, the map fits the window's width if it is wider, is never
    enlarged, and never shrinks below 75% of its natural size (11 pt labels stay at least
    11 px); then it scrolls."""
    base, wid = site
    with browser_page() as page:
        page.set_default_timeout(SECONDS_PER_SETTING * 1000)
        page.set_viewport_size({"width": size[0], "height": size[1]})
        sign_in(page, base)
        extra = f"?activities={activities}" if activities else ""
        page.goto(f"{base}/w/{wid}/logs/{LOG}{extra}")
        page.wait_for_selector(".maptools:not([hidden])")
        figure = page.locator("figure.map")
        natural, room = page.evaluate("""() => {
            const f = document.querySelector('figure.map');
            return [f.querySelector('svg').viewBox.baseVal.width * 4 / 3, f.clientWidth]; }""")
        expected = max(0.75, min(1.0, (room - 16) / natural))
        box = figure.locator("svg").bounding_box()
        assert box is not None and abs(box["width"] - natural * expected) < 2, (box, natural)
        shown = page.inner_text(".maptools output.scale")
        assert shown == f"{round(expected * 100)}%", shown
        if expected > 0.75:  # fitted: no sideways scrolling
            assert box["width"] <= room
        figure.evaluate("f => f.scrollIntoView({block: 'start'})")
        page.screenshot(path=artifact(f"maps-open-{activities or 'auto'}.png"))


def test_the_map_pans_zooms_and_finds_a_step(site: tuple[str, str]) -> None:
    base, wid = site
    with browser_page() as page:
        page.set_default_timeout(SECONDS_PER_SETTING * 1000)
        sign_in(page, base)
        page.goto(f"{base}/w/{wid}/logs/{LOG}?profile=frequency&activities=40&zoom=100")
        page.wait_for_selector(".maptools:not([hidden])")
        assert page.locator(".maptools-note:not([hidden])").count() == 1
        figure = page.locator("figure.map")
        natural = page.evaluate("""() => {
            const b = document.querySelector('figure.map svg').viewBox.baseVal;
            return [b.width * 4 / 3, b.height * 4 / 3]; }""")

        def width() -> float:
            box = figure.locator("svg").bounding_box()
            assert box is not None
            return float(box["width"])

        assert abs(width() - natural[0]) < 2  # 100% is the drawing's natural size
        assert page.inner_text(".maptools output.scale") == "100%"
        page.screenshot(path=artifact("maps-viewer-100.png"))
        page.click(".maptools button[data-zoom=in]")
        page.click(".maptools button[data-zoom=in]")
        assert page.inner_text(".maptools output.scale") == "156%"
        assert abs(width() - natural[0] * 1.5625) < 2
        page.click(".maptools button[data-zoom=out]")
        assert page.inner_text(".maptools output.scale") == "125%"
        figure.evaluate("f => f.scrollIntoView({block: 'start'})")
        box = figure.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 300, box["y"] + 200)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        page.wait_for_function("() => document.querySelector('figure.map').dataset.scale > 125")

        page.click("p.zoom >> text=100%")
        page.wait_for_selector("figure.map[data-zoom='100'] svg")
        figure.evaluate("f => f.scrollIntoView({block: 'start'})")
        box = figure.bounding_box()
        assert box is not None
        before = page.evaluate("() => document.querySelector('figure.map').scrollTop")
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 40)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 40, steps=8)
        page.mouse.up()
        after = page.evaluate("() => document.querySelector('figure.map').scrollTop")
        assert after > before + 100  # dragged up: the view moved down the drawing

        step = page.evaluate("""() => Array.from(document.querySelectorAll('#map-steps option'))
                                .map(o => o.value).sort().pop()""")
        page.fill(".maptools input[type=search]", step)
        page.press(".maptools input[type=search]", "Enter")
        page.wait_for_selector("figure.map svg g.node.current")
        found = page.locator("figure.map svg g.node.current")
        assert step.split()[0] in (found.text_content() or "")
        hit, view = found.bounding_box(), figure.bounding_box()
        assert hit is not None and view is not None
        assert view["x"] <= hit["x"] and hit["x"] + hit["width"] <= view["x"] + view["width"]
        assert view["y"] <= hit["y"] and hit["y"] + hit["height"] <= view["y"] + view["height"]
        assert page.inner_text(".maptools .found").startswith("1 of ")
        page.screenshot(path=artifact("maps-viewer-found.png"))
        page.fill(".maptools input[type=search]", "no such step at all")
        page.press(".maptools input[type=search]", "Enter")
        assert "No step on this map matches" in page.inner_text(".maptools .found")

        page.click("p.zoom >> text=fit to page")
        page.wait_for_selector("figure.map[data-zoom='fit'] svg")
        fitted, frame = figure.locator("svg").bounding_box(), figure.bounding_box()
        assert fitted is not None and frame is not None
        assert fitted["width"] <= frame["width"] and fitted["width"] < natural[0]
        page.screenshot(path=artifact("maps-viewer-fit.png"))


def test_without_script_the_zoom_links_still_work(site: tuple[str, str]) -> None:
    base, wid = site
    with browser_page(java_script_enabled=False) as page:
        page.set_default_timeout(SECONDS_PER_SETTING * 1000)
        sign_in(page, base)
        page.goto(f"{base}/w/{wid}/logs/{LOG}?profile=frequency")
        assert page.locator(".maptools[hidden]").count() == 1
        page.click("p.zoom >> text=200%")
        page.wait_for_selector("figure.map.zoomed[data-zoom='200'] svg")
        svg = page.locator("figure.map svg")
        width = svg.get_attribute("width")
        box = page.evaluate("() => document.querySelector('figure.map svg').viewBox.baseVal.width")
        assert width is not None and abs(float(width.rstrip("pt")) - 2 * box) <= 1
        page.screenshot(path=artifact("maps-noscript-200.png"))


def test_map_downloads_refuse_with_the_message(site: tuple[str, str]) -> None:
    base, wid = site
    with browser_page() as page:
        sign_in(page, base)
        for ext in ("svg", "png"):
            answer = page.request.get(f"{base}/api/w/{wid}/logs/{LOG}/download/map.{ext}"
                                      "?activities=100&paths=100")
            assert answer.status == 422
            assert "of the log's 398 activities" in answer.json()["error"]["message"]
        drawn = page.request.get(f"{base}/api/w/{wid}/logs/{LOG}/download/map.png"
                                 "?activities=40")
        assert drawn.status == 200 and drawn.body().startswith(b"\x89PNG")
        Path(artifact("maps-download-a40.png")).write_bytes(drawn.body())
