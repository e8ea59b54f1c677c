"""The count beside each decision-step and bottleneck link of the log page is the number of
rows of the case list it opens, on a real ``procflow serve``: exact on a tiny log whose
decision step repeats and sometimes starts its case, and against pandas on a real log.

The tiny log (UTC, 2024-03-01 unless said; Approve is the decision step):
    c1  Submit 09:00 · Approve 12:00 · Fix 03-02 10:00 · Approve 03-02 14:00
    c2  Approve 08:00 · Submit 09:00 · Approve 10:00
    c3  Approve 08:00 · Close 09:00
    c4  Submit 08:00 · Close 09:00
Approve: 5 occurrences in 3 cases, of which 3 decisions (latencies 3 h, 4 h, 1 h; the two
that start c2 and c3 have none) in 2 cases (c1, c2). Time before each step: Submit in c2
only, Approve in c1 and c2, Fix in c1, Close in c3 and c4.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlencode

import httpx
import pandas as pd
import pytest

from procflow.ingest.importer import ImportOptions
from procflow.store.workspace import Workspace
from procflow.web.accounts import Accounts
from tests.conftest import SHARED_DATA, shared_file
from tests.webserver import PW, Server

TINY = """\
case,activity,end
c1,Submit,2024-03-01T09:00:00Z
c1,Approve,2024-03-01T12:00:00Z
c1,Fix,2024-03-02T10:00:00Z
c1,Approve,2024-03-02T14:00:00Z
c2,Approve,2024-03-01T08:00:00Z
c2,Submit,2024-03-01T09:00:00Z
c2,Approve,2024-03-01T10:00:00Z
c3,Approve,2024-03-01T08:00:00Z
c3,Close,2024-03-01T09:00:00Z
c4,Submit,2024-03-01T08:00:00Z
c4,Close,2024-03-01T09:00:00Z
"""
#: Decision steps chosen on the real log: lab tests repeated within a case.
SEPSIS_DECISIONS = ("CRP", "Leucocytes")
DECISION_ROW = re.compile(r'<tr><td>([^<]+)</td><td class="num">([0-9.,]+)</td>'
                          r'<td class="num"><a href="([^"]+)" title="([^"]+)">([0-9.,]+)</a>')
BOTTLENECK_ROW = re.compile(r'<tr><td>([^<]+)</td>(?:<td class="num">[^<]*</td>){4}'
                            r'<td class="num"><a href="([^"]+)">([0-9.,]+)</a></td></tr>')


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    tmp = tmp_path_factory.mktemp("count-links")
    tiny = tmp / "tiny.csv"
    tiny.write_text(TINY, encoding="utf-8")
    accounts = Accounts(tmp / "data")
    accounts.add_user("andi", PW)
    wid = accounts.add_workspace("dinas-a")
    accounts.grant(wid, "andi", "analyst")
    with Workspace(accounts.workspace_file(wid)) as ws:
        ws.import_file(tiny, name="tiny", options=ImportOptions(tz="UTC"))
        if (SHARED_DATA / "sepsis.csv").exists():
            ws.import_file(SHARED_DATA / "sepsis.csv", name="sepsis",
                           options=ImportOptions(tz="UTC"))
    server = Server(tmp / "data", tmp / "server.log").start()
    client = server.client("andi")
    try:
        yield client, f"/w/{wid}/logs"
    finally:
        client.close()
        server.stop()


def number(text: str) -> int:
    return int(text.replace(",", "").replace(".", ""))


def section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}">')[1].split("</section>")[0]


def decision_rows(page: str) -> dict[str, tuple[int, int, str, str]]:
    """Each decision step's decisions, cases, case-list link and the link's title."""
    return {unescape(step): (number(n), number(cases), unescape(href), unescape(title))
            for step, n, href, title, cases in DECISION_ROW.findall(section(page, "decisions"))}


def bottleneck_rows(page: str) -> dict[str, tuple[int, str]]:
    """Each activity bottleneck's cases and case-list link."""
    return {unescape(step): (number(cases), unescape(href))
            for step, href, cases in BOTTLENECK_ROW.findall(section(page, "bottlenecks"))}


def listed(client: httpx.Client, href: str) -> list[str]:
    """The case ids of the case list at ``href``, all pages."""
    ids: list[str] = []
    page = 1
    while True:
        r = client.get(f"/api{href}&page={page}")
        assert r.status_code == 200, r.text
        data = r.json()
        ids += [row["case_id"] for row in data["rows"]]
        if page >= data["pages"]:
            return ids
        page += 1


def test_tiny_log_counts_decisions_and_cases_and_lists_the_cases(
        served: tuple[httpx.Client, str]) -> None:
    client, logs = served
    page = client.get(f"{logs}/tiny?lang=en&decision=Approve").text
    rows = decision_rows(page)
    assert list(rows) == ["Approve"]
    n, cases, href, title = rows["Approve"]
    assert (n, cases, title) == (3, 2, "3 decisions in 2 cases")
    assert sorted(listed(client, href)) == ["c1", "c2"]
    assert "a step can occur several times in a case" in page
    bottlenecks = bottleneck_rows(page)
    expected = {"Submit": ["c2"], "Approve": ["c1", "c2"], "Fix": ["c1"],
                "Close": ["c3", "c4"]}
    assert {k: v[0] for k, v in bottlenecks.items()} == {k: len(v) for k, v in
                                                          expected.items()}
    for step, (_, link) in bottlenecks.items():
        assert sorted(listed(client, link)) == expected[step], step


def test_tiny_log_in_indonesian(served: tuple[httpx.Client, str]) -> None:
    client, logs = served
    page = client.get(f"{logs}/tiny?lang=id&decision=Approve").text
    n, cases, _, title = decision_rows(page)["Approve"]
    assert (n, cases, title) == (3, 2, "3 keputusan dalam 2 kasus")
    assert "satu langkah dapat muncul beberapa kali" in page


def test_tiny_case_list_says_what_it_holds(served: tuple[httpx.Client, str]) -> None:
    client, logs = served
    _, _, href, _ = decision_rows(client.get(f"{logs}/tiny?lang=en&decision=Approve").text)[
        "Approve"]
    listing = client.get(f"{href}&lang=en").text
    assert "cases where “Approve” comes after an earlier step" in unescape(listing)


def test_real_log_links_list_the_cases_counted(served: tuple[httpx.Client, str]) -> None:
    """Sepsis, with two repeated lab tests as decision steps: every decision step's and
    activity bottleneck's count equals its list's rows and an independent pandas count."""
    shared_file("sepsis.csv")
    client, logs = served
    query = urlencode([("lang", "en"), *(("decision", d) for d in SEPSIS_DECISIONS)])
    page = client.get(f"{logs}/sepsis?{query}").text
    frame = sepsis_frame()
    later = frame[frame.groupby("case_id").cumcount() > 0]  # not the case's first step
    decisions = decision_rows(page)
    assert sorted(decisions) == sorted(SEPSIS_DECISIONS)
    for step, (n, cases, href, _) in decisions.items():
        mine = later[later["activity"] == step]
        assert (n, cases) == (len(mine), mine["case_id"].nunique()), step
        assert len(listed(client, href)) == cases, step
    bottlenecks = bottleneck_rows(page)
    assert len(bottlenecks) >= 10
    for step, (cases, href) in bottlenecks.items():
        assert cases == later.loc[later["activity"] == step, "case_id"].nunique(), step
        assert len(listed(client, href)) == cases, step
    # the old link (every case with the step) would differ where the step starts cases
    starts = frame.groupby("case_id")["activity"].first().value_counts()
    assert any(step in starts.index for step in bottlenecks)


def sepsis_frame() -> pd.DataFrame:
    """Sepsis's events in case order (completion, then file order), read by pandas."""
    data = pd.read_csv(shared_file("sepsis.csv"), sep=";", dtype=str, keep_default_na=False)
    data = data.assign(order=range(len(data)), t=pd.to_datetime(
        data["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f", utc=True))
    data = data.sort_values(["Case ID", "t", "order"], kind="stable")
    return pd.DataFrame({"case_id": data["Case ID"].to_numpy(),
                         "activity": data["Activity"].to_numpy()})


def test_browser_opens_the_cases_counted(served: tuple[httpx.Client, str]) -> None:
    """In a real browser: the decision step's case count opens a list of that many cases,
    and a bottleneck's count likewise."""
    from tests.browser import artifact, browser_page, sign_in

    client, logs = served
    base = str(client.base_url).rstrip("/")
    with browser_page() as page:
        sign_in(page, base)
        page.goto(f"{base}{logs}/tiny?lang=en&decision=Approve")
        page.locator("#decisions table").scroll_into_view_if_needed()
        page.screenshot(path=str(artifact("count-links-decisions.png")))
        page.locator("#bottlenecks table").scroll_into_view_if_needed()
        page.screenshot(path=str(artifact("count-links-bottlenecks.png")))
        link = page.locator("#decisions table a").first
        assert link.inner_text() == "2"
        assert link.get_attribute("title") == "3 decisions in 2 cases"
        link.click()
        page.wait_for_selector("table.cases")
        assert page.inner_text("#case-count").startswith("2 cases")
        assert page.locator("table.cases tbody tr").count() == 2
        page.screenshot(path=str(artifact("count-links-case-list.png")))
        page.go_back()
        close = page.locator("#bottlenecks tr", has_text="Close").locator("a")
        assert close.inner_text() == "2"
        close.click()
        page.wait_for_selector("table.cases")
        assert page.locator("table.cases tbody tr").count() == 2
