"""The log page's drawings that load after the page: the page comes with a placeholder for
each chart, the handoff map and the "Over time" section; each placeholder's address gives
that drawing for the page's slice, settings and language, the same as the offline report."""

from __future__ import annotations

import html
import re

import pytest

from procflow.report.html import drawing_names
from tests.test_web_api import Site, TestClient, assert_error
from tests.test_web_slices import WITH_FIX, f, imported

__all__ = ["imported"]

SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def later(page: str) -> dict[str, str]:
    """The drawings a page loads after it: name → address."""
    found = [html.unescape(a) for a in re.findall(r'data-drawing="([^"]+)"', page)]
    return {re.search(r"/drawings/([^?]+)\?", a).group(1): a for a in found}  # type: ignore[union-attr]


def sections_of(page: str) -> str:
    return page[page.index('<div class="report-sections">'):]


def test_the_filtered_page_comes_with_placeholders(imported: tuple[Site, TestClient]) -> None:
    site, client = imported
    query = f"f={f(WITH_FIX)}&lang=en"
    page = client.get(f"/w/{site.a}/logs/after?{query}")
    assert page.status_code == 200
    body = sections_of(page.text)
    assert "<svg" not in body  # every drawing of the sections comes later
    assert body.count("Drawing…") == len(later(page.text))
    addresses = later(page.text)
    analysis = client.get(f"/api/w/{site.a}/logs/after/analysis?{query}").json()
    assert sorted(addresses) == sorted(drawing_names(analysis))
    assert sorted(addresses) == ["bottlenecks", "decisions", "handoff-map", "handoffs",
                                 "layers", "time"]
    for address in addresses.values():  # the slice and the language go with each address
        assert address.startswith(f"/w/{site.a}/logs/after/drawings/")
        assert f"f={f(WITH_FIX)}".replace("%20", "+") in address.replace("%20", "+")
        assert address.endswith("lang=en")
    # the map and every figure are on the page itself
    assert '<figure class="map' in page.text and "<svg" in page.text.split("<figure", 1)[1]


def test_each_drawing_of_a_slice(imported: tuple[Site, TestClient]) -> None:
    site, client = imported
    query = f"f={f(WITH_FIX)}&lang=en"
    addresses = later(client.get(f"/w/{site.a}/logs/after?{query}").text)
    report = client.get(f"/w/{site.a}/logs/after/report.html?{query}").text
    whole = later(client.get(f"/w/{site.a}/logs/after?lang=en").text)
    for name, address in addresses.items():
        r = client.get(address)
        assert r.status_code == 200, (name, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert "<script" not in r.text
        if name == "time":
            assert r.text.count("<svg ") == 4 and "Cases per week" in r.text
            # the same section as in the report of the slice, its drawings aside
            assert SVG.sub("", r.text).strip() in SVG.sub("", report)
        else:
            assert r.text.startswith("<svg") and r.text.rstrip().endswith("</svg>")
        assert r.text != client.get(whole[name]).text, name  # the slice's, not the log's
    decisions = client.get(addresses["decisions"]).text
    in_report = report[report.index('<section id="decisions">'):
                       report.index('<section id="handoffs">')]
    assert decisions.count("<svg ") == in_report.count("<svg ") == 2  # by step and role
    assert "Decision latency by step" in decisions
    assert "Latensi keputusan menurut tahap" in client.get(
        addresses["decisions"].replace("lang=en", "lang=id")).text


def test_service_standard_charts_load_after_the_page(imported: tuple[Site, TestClient]
                                                     ) -> None:
    site, client = imported
    page = client.get(f"/w/{site.a}/logs/after?calendar=id&standard=10&lang=en").text
    addresses = later(page)
    assert "sla-0" in addresses and "calendar=id" in addresses["sla-0"]
    chart = client.get(addresses["sla-0"])
    assert chart.status_code == 200 and chart.text.startswith("<svg")
    assert "Share within the standard by month" in chart.text


@pytest.mark.parametrize("which", ["map", "sla-0", "sla-x", "Time", "time.svg"])
def test_no_such_drawing(imported: tuple[Site, TestClient], which: str) -> None:
    site, client = imported
    r = client.get(f"/w/{site.a}/logs/after/drawings/{which}")
    assert r.status_code == 404


def test_drawings_are_checked_like_the_page(imported: tuple[Site, TestClient]) -> None:
    site, client = imported
    assert client.get(f"/w/{site.a}/logs/nothing/drawings/time").status_code == 404
    bad = f({"kind": "with", "field": "activity", "values": ["No such step"]})
    refused = client.get(f"/w/{site.a}/logs/after/drawings/time?f={bad}&lang=en")
    assert refused.status_code == 422 and "No such step" in refused.text
    stranger = site.client("budi")  # a member of workspace B only
    assert stranger.get(f"/w/{site.a}/logs/after/drawings/time").status_code in (403, 404)
    assert_error(stranger.get(f"/api/w/{site.a}/logs/after"), 404)
