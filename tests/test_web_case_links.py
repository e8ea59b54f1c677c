"""The cases behind a number on a real ``procflow serve``: each handoff pair and each approval
layer sequence of the log page links to its case list, and the count shown is the number of
cases the list holds (also with a slice and with other settings); a bad value in the filter
panel shows the log page again, panel open, with the message beside the field in the page's
language, the log as it was before that filter (or whole, for a wrong address)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pandas as pd
import pytest

from procflow.ingest.importer import ImportOptions
from procflow.store.workspace import Workspace
from procflow.web.accounts import Accounts
from tests.webserver import PW, Server

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
FIX = "Perbaikan Berkas oleh Pemohon"
WITH_FIX = {"kind": "with", "field": "activity", "values": [FIX]}
LINK = re.compile(r'<a href="([^"]*/cases\?[^"]*)">([0-9.,]+)</a>')


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    tmp = tmp_path_factory.mktemp("case-links")
    accounts = Accounts(tmp / "data")
    accounts.add_user("andi", PW)
    wid = accounts.add_workspace("dinas-a")
    accounts.grant(wid, "andi", "analyst")
    with Workspace(accounts.workspace_file(wid)) as ws:
        ws.import_file(SAMPLE, name="after", options=ImportOptions(tz="Asia/Makassar",
                                                                   order="dayfirst"))
    server = Server(tmp / "data", tmp / "server.log").start()
    client = server.client("andi")
    try:
        yield client, f"/w/{wid}/logs/after"
    finally:
        client.close()
        server.stop()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str)
    data["end"] = pd.to_datetime(data["Waktu Selesai"], format="%d/%m/%Y %H.%M")
    return data.sort_values(["No. Permohonan", "end"], kind="stable")


def links_of(page: str, kind: str) -> list[tuple[str, int]]:
    """The case-list links of ``page`` whose last filter is of ``kind``, with their count."""
    out = []
    for href, text in LINK.findall(page):
        href = unescape(href)
        query = parse_qs(urlsplit(href).query)
        filters = json.loads(query["f"][0]) if "f" in query else []
        if filters and filters[-1]["kind"] == kind:
            out.append((href, int(text.replace(",", "").replace(".", ""))))
    return out


def listed(client: httpx.Client, href: str) -> int:
    r = client.get("/api" + href)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


@pytest.mark.parametrize("query", ["", f"?f={quote(json.dumps([WITH_FIX]))}",
                                   "?handoff=role"])
def test_handoff_pairs_link_to_their_cases(served: tuple[httpx.Client, str],
                                           query: str) -> None:
    client, here = served
    page = client.get(f"{here}{query}&lang=en" if query else f"{here}?lang=en").text
    found = links_of(page, "handoff")
    pairs = client.get(f"/api{here}/analysis{query}").json()["handoffs"]["pairs"]
    assert [c for _, c in found] == [p["cases"] for p in pairs[:15]]  # the table's rows
    for href, count in found:
        assert listed(client, href) == count, href
    if "handoff=role" in query:
        assert all('"by": "role"' in unquote_f(h) for h, _ in found)


def unquote_f(href: str) -> str:
    return parse_qs(urlsplit(href).query)["f"][0]


def test_handoff_counts_against_pandas(served: tuple[httpx.Client, str],
                                       frame: pd.DataFrame) -> None:
    client, here = served
    page = client.get(f"{here}?lang=en").text
    prev = frame.groupby("No. Permohonan")["Petugas"].shift(1)
    moved = frame[prev.notna() & (prev != frame["Petugas"])]
    cases = moved.assign(prev=prev).groupby(["prev", "Petugas"])["No. Permohonan"].nunique()
    for href, count in links_of(page, "handoff"):
        last = json.loads(unquote_f(href))[-1]
        assert cases[(last["from"], last["to"])] == count


def test_layer_sequences_link_to_their_cases(served: tuple[httpx.Client, str]) -> None:
    client, here = served
    for query in ("", f"&f={quote(json.dumps([WITH_FIX]))}"):
        page = client.get(f"{here}?lang=en{query}").text
        found = links_of(page, "layers")
        assert found, "the sample has approval layers by role"
        for href, count in found:
            assert listed(client, href) == count, href
        analysis = client.get(f"/api{here}/analysis?{query.lstrip('&')}").json()
        assert [c for _, c in found] == [s["cases"] for s in
                                         analysis["layers"]["sequences"][:10]]
        last = json.loads(unquote_f(found[0][0]))[-1]
        assert last["decisions"] == analysis["decisions"]["activities"]
        assert last["by"] == analysis["layers"]["by"] == "role"


@pytest.mark.parametrize(("lang", "query", "field", "words"), [
    ("en", "add=duration&d_min=abc", "d_min", "“abc” is not a duration"),
    ("id", "add=duration&d_min=abc", "d_min", "“abc”"),
    ("en", "add=period&p_from=2020-13-45", "p_from", "“2020-13-45” is not a date"),
    ("id", "add=period&p_from=2020-13-45", "p_from", "bukan tanggal"),
    ("en", "add=values&v_how=with&v_field=activity", "v_value", "tick at least one value"),
    ("en", "add=values&v_how=with&v_field=", "v_field", "choose a field"),
    ("en", "add=duration&d_min=100w", "f", "no case is left after filter 2"),
])
def test_a_bad_panel_value_shows_the_page_with_the_message(
        served: tuple[httpx.Client, str], lang: str, query: str, field: str,
        words: str) -> None:
    client, here = served
    good = quote(json.dumps([WITH_FIX]))
    r = client.get(f"{here}?f={good}&{query}&lang={lang}")
    assert r.status_code == 422
    page = r.text
    assert '<details class="forms" open>' in page
    assert 'id="panel-error"' in page
    if field != "f":
        beside = re.search(rf'id="error-{field}">([^<]*)<', page)
        assert beside is not None and words in unescape(beside.group(1)), page[:500]
    else:
        assert words in unescape(page.split('id="panel-error"')[1].split("</div>")[0])
    # the log as it was: the good filter stays, and the page says the new one was not added
    assert ("This filter was not added" if lang == "en" else "Filter ini tidak ditambahkan") \
        in page
    kept = re.search(r'<p class="kept"[^>]*><strong>([^<]*)</strong>', page)
    assert kept is not None and (" of " if lang == "en" else " dari ") in kept.group(1)
    if "d_min=abc" in query:
        assert 'name="d_min" placeholder' in page and 'value="abc"' in page


def test_a_wrong_address_shows_the_whole_log_saying_so(served: tuple[httpx.Client, str]
                                                        ) -> None:
    client, here = served
    nope = quote(json.dumps([{"kind": "nope"}]))
    for lang, words in (("en", "the page shows the whole log"),
                        ("id", "menampilkan seluruh log")):
        r = client.get(f"{here}?f={nope}&lang={lang}")
        assert r.status_code == 422
        assert words in r.text and '<p class="kept"' not in r.text
        missing = client.get(f"{here}?f={quote(json.dumps([{**WITH_FIX, 'values': ['X']}]))}"
                             f"&lang={lang}")
        assert missing.status_code == 422 and 'id="error-v_value"' in missing.text
    # other settings are still refused as before
    assert client.get(f"{here}?calendar=nope").status_code == 422
    assert "panel-error" not in client.get(f"{here}?calendar=nope").text


def test_browser_shows_a_bad_duration_beside_its_field(served: tuple[httpx.Client, str]
                                                       ) -> None:
    """In a real browser: a slice, then "abc" typed as the least cycle time; the page comes
    back with the panel open, the message beside the field and the slice kept."""
    from tests.browser import artifact, browser_page, sign_in

    client, here = served
    base = str(client.base_url).rstrip("/")
    with browser_page() as page:
        sign_in(page, base)
        page.goto(f"{base}{here}?lang=en&f={quote(json.dumps([WITH_FIX]))}")
        before = page.inner_text("#filters .kept")
        page.click("#filters summary")
        form = page.locator("#filter-duration")
        form.locator("input[name=d_min]").fill("abc")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#error-d_min")
        assert page.inner_text("#error-d_min") == (
            "“abc” is not a duration; write e.g. 90m, 12h, 2d or 1w.")
        assert page.locator("#error-d_min").is_visible()
        assert "This filter was not added" in page.inner_text("#panel-error")
        assert page.inner_text("#filters .kept") == before
        assert page.input_value("#filter-duration input[name=d_min]") == "abc"
        page.locator("#filter-duration").scroll_into_view_if_needed()
        page.screenshot(path=str(artifact("panel-error.png")))
        # the handoff table's counts open their cases
        link = page.locator("#handoffs table a").first
        count = link.inner_text()
        link.click()
        page.wait_for_url(re.compile(r".*/cases\?.*"))
        assert f"{count} cases" in page.inner_text("main")


TO_BE = Path(__file__).resolve().parents[1] / "models" / "permit-to-be.bpmn"
SET_LINK = re.compile(r'<a href="([^"]*/cases\?[^"]*set=[^"]*)">([0-9.,]+)</a>')


@pytest.mark.parametrize("query", ["", f"?f={quote(json.dumps([WITH_FIX]))}"])
def test_deviation_counts_link_to_their_cases(served: tuple[httpx.Client, str],
                                              query: str) -> None:
    """Every count of a conformance check (deviating cases, the extra approval layer, each
    kind and each deviation) opens a case list of exactly that many cases, within the
    check's slice; example case ids open their case page."""
    client, here = served
    r = client.post(f"/api{here}/conform{query}",
                    files={"file": ("permit-to-be.bpmn", TO_BE.read_bytes(),
                                    "application/xml")})
    assert r.status_code == 200, r.text
    check = r.json()
    page = client.get(f"{here}/conform/{r.headers['x-procflow-result']}?lang=en").text
    found = [(unescape(h), int(n.replace(",", ""))) for h, n in SET_LINK.findall(page)]
    items = check["deviations"]["items"][:10]
    kinds = [k for k, v in check["deviations"]["by_kind"].items() if v["cases"]]
    assert [n for _, n in found] == [check["deviating_cases"]] + [
        check["shadow_layer"]["cases"]] * bool(
        check["shadow_layer"]["cases"]) + [i["cases"] for i in items] + [
        check["deviations"]["by_kind"][k]["cases"] for k in kinds]
    assert len(found) > 3
    for href, count in found:
        got = client.get("/api" + href)
        assert got.status_code == 200, got.text
        assert got.json()["total"] == count, href
        if query:
            assert got.json()["filter"]["filters"][0] == WITH_FIX
    example = items[0]["examples"][0]
    case_link = re.search(rf'<a href="([^"]*/cases/{re.escape(quote(example, safe=""))}'
                          rf'[^"]*)">{re.escape(example)}</a>', page)
    assert case_link is not None
    assert client.get(unescape(case_link.group(1))).status_code == 200
    # a set that does not exist is said, not an empty list
    missing = re.sub(r"set=[0-9a-f]{32}", "set=" + "0" * 32, found[0][0])
    assert client.get(missing).status_code == 404


ROW = re.compile(r'<tr><td>[^<]*</td>(?:<td class="num">[^<]*</td>){4}'
                 r'<td class="num"><a href="([^"]*/cases\?[^"]*)">([0-9,]+)</a></td></tr>')


def test_bottleneck_counts_open_as_many_cases_as_shown(
        served: tuple[httpx.Client, str]) -> None:
    """A bottleneck's count of cases opens those cases (the step after an earlier one)."""
    client, here = served
    page = client.get(f"{here}?lang=en").text
    section = page.split('<section id="bottlenecks">')[1].split("</section>")[0]
    rows = ROW.findall(section)
    assert len(rows) == section.count("<tr>") - 1  # every row but the heading
    for href, shown in rows:
        assert listed(client, unescape(href)) == int(shown.replace(",", "")), href


def test_a_case_set_carries_through_the_case_list_and_back(
        served: tuple[httpx.Client, str]) -> None:
    client, here = served
    r = client.post(f"/api{here}/conform", files={
        "file": ("permit-to-be.bpmn", TO_BE.read_bytes(), "application/xml")})
    rid = r.headers["x-procflow-result"]
    n = r.json()["deviating_cases"]
    cases = client.get(f"{here}/cases?set={rid}/deviating&lang=en").text
    assert f"{n:,} cases" in cases
    back = re.search(r'<a href="([^"]*)#filters">Back to the log page', cases)
    assert back is not None and f"set={rid}" in unescape(back.group(1))
    log_page = client.get(unescape(back.group(1)) + "&lang=en")
    assert log_page.status_code == 200
    kept = re.search(r'<p class="kept"[^>]*><strong>([^<]*)</strong>', log_page.text)
    assert kept is not None and kept.group(1).startswith(f"{n:,} of ")
    csv = client.get(f"{here}/cases.csv?set={rid}/deviating")
    assert csv.status_code == 200 and csv.text.count("\n") >= n
    assert client.get(f"{here}/cases?set=nope").status_code == 422
