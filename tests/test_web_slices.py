"""Slices on the web: filters in the query string and the filter panel, the case list and
case page, the values the panel offers, saved views and comparisons of two views, checked
against pandas on the permit sample."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import openpyxl
import pandas as pd
import pytest

from tests.test_web_api import Site, TestClient, assert_error, cheap_hashes

__all__ = ["cheap_hashes"]

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
FIX = "Perbaikan Berkas oleh Pemohon"
VERIFY = "Verifikasi Berkas"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """The sample read by pandas alone (one row per event)."""
    data = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str)
    data["end"] = pd.to_datetime(data["Waktu Selesai"], format="%d/%m/%Y %H.%M")
    return data.sort_values(["No. Permohonan", "end"], kind="stable")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, TestClient]]:
    site = Site(tmp_path_factory.mktemp("slices") / "data", limit=8 * 1024 * 1024)
    client = site.client("andi")
    up = client.post(f"/api/w/{site.a}/upload",
                     files={"file": ("after.csv", SAMPLE.read_bytes(), "text/csv")})
    assert up.status_code == 201, up.text
    upload_id = up.json()["upload"]["id"]
    preview = client.get(f"/api/w/{site.a}/uploads/{upload_id}").json()
    form = {f"col_{k}": v or "" for k, v in preview["mapping"].items()}
    r = client.post(f"/api/w/{site.a}/uploads/{upload_id}/import",
                    json={**form, "name": "after", "tz": "Asia/Makassar", "order": "dayfirst"})
    assert r.status_code == 200, r.text
    yield site, client


def f(*filters: dict[str, object]) -> str:
    return quote(json.dumps(list(filters)))


WITH_FIX = {"kind": "with", "field": "activity", "values": [FIX]}


def test_a_filter_in_the_query_cuts_every_figure(imported: tuple[Site, TestClient],
                                                 frame: pd.DataFrame) -> None:
    site, client = imported
    cases = frame.groupby("No. Permohonan")["Tahapan"].apply(list)
    with_fix = cases[cases.map(lambda steps: FIX in steps)]
    assert 0 < len(with_fix) < len(cases)
    r = client.get(f"/api/w/{site.a}/logs/after?f={f(WITH_FIX)}")
    assert r.status_code == 200, r.text
    block = r.json()["filter"]
    assert block["cases"] == {"kept": len(with_fix), "total": len(cases),
                              "share": len(with_fix) / len(cases)}
    assert r.json()["figures"]["cases"] == len(with_fix)
    analysis = client.get(f"/api/w/{site.a}/logs/after/analysis?f={f(WITH_FIX)}").json()
    assert analysis["log"]["cases"] == len(with_fix)
    assert analysis["log"]["events"] == int(with_fix.map(len).sum())
    whole = client.get(f"/api/w/{site.a}/logs/after/analysis").json()
    assert whole["log"]["cases"] == len(cases) and "filter" not in whole
    for download in ("report.html", "download/tables.xlsx", "download/map.svg"):
        sliced = client.get(f"/w/{site.a}/logs/after/{download}?f={f(WITH_FIX)}")
        full = client.get(f"/w/{site.a}/logs/after/{download}")
        assert sliced.status_code == full.status_code == 200
        assert sliced.content != full.content, download


def test_the_page_says_what_is_kept_and_links_the_map(imported: tuple[Site, TestClient],
                                                      frame: pd.DataFrame) -> None:
    site, client = imported
    page = client.get(f"/w/{site.a}/logs/after?f={f(WITH_FIX)}&lang=en").text
    n = frame.loc[frame["Tahapan"] == FIX, "No. Permohonan"].nunique()
    total = frame["No. Permohonan"].nunique()
    assert f"{n:,} of {total:,} cases" in page
    assert "cases with an event whose activity is “Perbaikan Berkas oleh Pemohon”" in page
    # map edges and steps link to their cases; nothing else in the drawing links anywhere
    links = [h for h in _hrefs(page) if "/cases?" in h]
    assert any("directly_follows" in json.dumps(_filters(h)) for h in links)
    assert "<script" not in page.split('<figure class="map', 1)[1].split("</figure>")[0]


def _hrefs(page: str) -> list[str]:
    import re

    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)]


def _filters(href: str) -> list[dict[str, object]]:
    query = parse_qs(urlsplit(href).query)
    return json.loads(query["f"][0]) if "f" in query else []


def test_map_edge_link_lists_the_cases_of_that_path(imported: tuple[Site, TestClient],
                                                    frame: pd.DataFrame) -> None:
    site, client = imported
    page = client.get(f"/w/{site.a}/logs/after?reset=1", follow_redirects=True).text
    edge = next(h for h in _hrefs(page) if "directly_follows" in h)
    last = _filters(edge)[-1]
    a, b = last["from"], last["to"]
    pairs = frame.assign(nxt=frame.groupby("No. Permohonan")["Tahapan"].shift(-1))
    expected = pairs.loc[(pairs["Tahapan"] == a) & (pairs["nxt"] == b),
                         "No. Permohonan"].nunique()
    listed = client.get("/api" + edge.replace("/cases?", "/cases?", 1))
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == expected
    html = client.get(edge)
    assert html.status_code == 200 and f"{expected:,} cases" in client.get(edge + "&lang=en").text


def test_case_list_sorts_pages_and_downloads(imported: tuple[Site, TestClient],
                                             frame: pd.DataFrame) -> None:
    site, client = imported
    base = f"/api/w/{site.a}/logs/after/cases"
    first = client.get(f"{base}?sort=events").json()
    sizes = frame.groupby("No. Permohonan").size()
    assert first["total"] == len(sizes) and len(first["rows"]) == min(50, len(sizes))
    assert [r["events"] for r in first["rows"]][:5] == sorted(sizes, reverse=True)[:5]
    assert first["pages"] == -(-len(sizes) // 50)
    two = client.get(f"{base}?sort=events&page=2").json()["rows"]
    assert {r["case_id"] for r in two}.isdisjoint(r["case_id"] for r in first["rows"])
    csv = client.get(f"/w/{site.a}/logs/after/cases.csv?f={f(WITH_FIX)}")
    assert csv.status_code == 200
    table = pd.read_csv(io.BytesIO(csv.content))
    assert set(table["case_id"]) == set(
        frame.loc[frame["Tahapan"] == FIX, "No. Permohonan"])
    xlsx = client.get(f"/w/{site.a}/logs/after/cases.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sliced = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/w/{site.a}/logs/after/cases.xlsx?f={f(WITH_FIX)}&lang=id").content))
    assert sliced.sheetnames == ["Kasus", "Filter"]
    rows = [[c.value for c in row] for row in sliced["Kasus"].iter_rows()]
    assert len(rows) - 1 == len(table) and rows[0][0] == "Kasus"
    words = [row[0].value for row in sliced["Filter"].iter_rows()]
    assert words[1].startswith(f"{len(table)} dari 2.000 kasus (") and len(words) == 3
    variant = client.get(f"{base}?variant=1").json()
    top = client.get(f"/api/w/{site.a}/logs/after/analysis").json()["variants"]["top"][0]
    assert variant["total"] == top["cases"]
    assert_error(client.get(f"{base}?sort=nope"), 422)
    assert_error(client.get(f"{base}?page=0"), 422)


def test_case_page_shows_the_timeline(imported: tuple[Site, TestClient],
                                      frame: pd.DataFrame) -> None:
    site, client = imported
    case = frame["No. Permohonan"].iloc[0]
    r = client.get(f"/api/w/{site.a}/logs/after/cases/{case}")
    assert r.status_code == 200, r.text
    steps = r.json()["steps"]
    assert [s["activity"] for s in steps] == list(
        frame.loc[frame["No. Permohonan"] == case, "Tahapan"])
    assert r.json()["svg"].startswith("<svg") and "<script" not in r.json()["svg"]
    page = client.get(f"/w/{site.a}/logs/after/cases/{case}")
    assert page.status_code == 200 and "<svg" in page.text
    missing = client.get(f"/api/w/{site.a}/logs/after/cases/{case}X")
    assert_error(missing, 422)
    assert case in missing.json()["error"]["message"]  # the closest ids are offered


def test_values_offered_by_the_panel(imported: tuple[Site, TestClient],
                                     frame: pd.DataFrame) -> None:
    site, client = imported
    r = client.get(f"/api/w/{site.a}/logs/after/values?field=resource&q=sitti").json()
    expected = frame[frame["Petugas"].str.lower().str.contains("sitti")]
    by_cases = expected.groupby("Petugas")["No. Permohonan"].nunique()
    assert {v["value"]: v["cases"] for v in r["values"]} == by_cases.to_dict()
    assert r["total"] == len(by_cases) and "role" in r["fields"]


def test_panel_forms_redirect_to_the_filter_in_the_url(imported: tuple[Site, TestClient]
                                                       ) -> None:
    site, client = imported
    here = f"/w/{site.a}/logs/after"
    r = client.get(f"{here}?add=values&v_how=with&v_field=activity&v_value={quote(FIX)}")
    assert r.status_code == 303
    target = r.headers["location"]
    assert _filters(target) == [WITH_FIX]
    r = client.get(target.split("#")[0] + "&add=duration&d_min=2d")
    assert _filters(r.headers["location"]) == [WITH_FIX, {"kind": "duration",
                                                          "min": 172800.0, "max": None}]
    dropped = client.get(r.headers["location"].split("#")[0] + "&drop=1")
    assert _filters(dropped.headers["location"]) == [{"kind": "duration", "min": 172800.0,
                                                      "max": None}]


@pytest.mark.parametrize(("lang", "query", "words"), [
    ("en", "add=duration&d_min=zwei", ["Cycle time: at least", "“zwei” is not a duration"]),
    ("id", "add=duration&d_min=zwei", ["Waktu penyelesaian: paling singkat", "“zwei”"]),
    ("en", "add=period&p_from=2024-13-45", ["Period: from", "not a date"]),
    ("id", "add=period&p_from=2024-13-45", ["Periode: dari", "bukan tanggal"]),
    ("en", "add=values&v_field=activity&v_value=Verifikasi%20berkas",
     ["Values", "“Verifikasi Berkas”"]),
    ("id", "add=values&v_field=activity&v_value=Verifikasi%20berkas",
     ["Nilai", "“Verifikasi Berkas”"]),
    ("en", "f=%5B%7B%22kind%22%3A%22nope%22%7D%5D", ["Filters:"]),
    ("id", "f=%5B%7B%22kind%22%3A%22nope%22%7D%5D", ["Filter:"]),
    ("en", "add=top&t_n=0", ["Most frequent variants", "at least 1"]),
    ("en", "add=duration&d_min=100w", ["Filters: no case is left after filter 1 (cases "
                                       "whose cycle time is at least"]),
    ("id", "f=" + quote(json.dumps([{"kind": "duration", "min": 6e7}])),
     ["Filter: tidak ada kasus tersisa setelah filter 1"]),
])
def test_bad_filter_values_name_the_field(imported: tuple[Site, TestClient], lang: str,
                                          query: str, words: list[str]) -> None:
    site, client = imported
    bases = [f"/w/{site.a}/logs/after"] + ([] if query.startswith("add=") else [
        f"/api/w/{site.a}/logs/after", f"/w/{site.a}/logs/after/cases"])
    for base in bases:
        r = client.get(f"{base}?{query}&lang={lang}")
        assert r.status_code == 422, r.text[:300]
        text = r.json()["error"]["message"] if base.startswith("/api") else r.text
        for word in words:
            assert word in text, (lang, query, text[:300])


def test_saved_views_and_a_comparison_of_two(imported: tuple[Site, TestClient],
                                             frame: pd.DataFrame) -> None:
    site, client = imported
    without = {"kind": "without", "field": "activity", "values": [FIX]}
    for name, filters in (("with fixes", [WITH_FIX]), ("without fixes", [without])):
        r = client.post(f"/api/w/{site.a}/views", json={"name": name, "filters": filters})
        assert r.status_code == 201, r.text
    listed = client.get(f"/api/w/{site.a}/views").json()["views"]
    assert [v["name"] for v in listed] == ["with fixes", "without fixes"]
    viewer = site.client("vera")
    assert viewer.get(f"/api/w/{site.a}/views").status_code == 200
    assert_error(viewer.post(f"/api/w/{site.a}/views", json={"name": "x", "filters": []}),
                 403)
    assert_error(client.post(f"/api/w/{site.a}/views", json={"name": "a/b",
                                                             "filters": [WITH_FIX]}), 422)
    other = site.client("budi")
    assert_error(other.get(f"/api/w/{site.a}/views"), 404)
    r = client.post(f"/api/w/{site.a}/compare",
                    json={"before": "after", "after": "after", "before_view": "with fixes",
                          "after_view": "without fixes", "decisions": "none"})
    assert r.status_code == 200, r.text
    n_fix = frame.loc[frame["Tahapan"] == FIX, "No. Permohonan"].nunique()
    total = frame["No. Permohonan"].nunique()
    assert r.json()["before"]["cases"] == n_fix
    assert r.json()["after"]["cases"] == total - n_fix
    rid = r.headers["x-procflow-result"]
    page = client.get(f"/w/{site.a}/compare/{rid}?lang=en").text
    assert "view with fixes" in page and "view without fixes" in page
    assert_error(client.post(f"/api/w/{site.a}/compare",
                             json={"before": "after", "after": "after",
                                   "before_view": "nope"}), 422)
    assert client.delete(f"/api/w/{site.a}/views/with%20fixes").status_code == 200
    assert_error(client.delete(f"/api/w/{site.a}/views/with%20fixes"), 404)


def test_inlined_drawings_keep_only_links_to_this_site() -> None:
    from procflow.report.svg import inline_svg

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           '<a xlink:href="/w/1/logs/a/cases?f=1&amp;g=2" xlink:title="t" target="_top">'
           '<text>ok</text></a><a xlink:href="//evil.example/x"><text>far</text></a>'
           '<a xlink:href="javascript:alert(1)"><text>js</text></a>'
           '<a xlink:href="/w/1" onclick="x()"><text>handler</text></a></svg>')
    kept = str(inline_svg(svg, links=True))
    assert kept.count("<a ") == 1 and 'href="/w/1/logs/a/cases?f=1&amp;g=2"' in kept
    for gone in ("far", "js", "handler", "evil", "javascript", "onclick"):
        assert gone not in kept
    assert "<a " not in str(inline_svg(svg))
