"""The log page keeps each user's last settings of each log (server-side): leaving the page for
the workspace and coming back shows them again, says so, and offers a reset to the defaults;
another user, or another log, keeps its own. In a real browser on a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from procflow.web.accounts import Accounts
from tests.browser import artifact, browser_page
from tests.webserver import PW, Server, seed

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
NOTE = {"en": "Shown with your last settings of this log.",
        "id": "Ditampilkan dengan pengaturan terakhir Anda untuk log ini."}
RESET = {"en": "Reset to defaults", "id": "Kembalikan ke bawaan"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    base = tmp_path_factory.mktemp("kept")
    wid = seed(base / "data")
    Accounts(base / "data").grant(wid, "ana", "analyst")
    srv = Server(base / "data", base / "server.log").start()
    try:
        http = srv.client("andi")
        for name in ("izin-en", "izin-id", "other"):
            up = http.post(f"/api/w/{wid}/upload",
                           files={"file": ("after.csv", SAMPLE.read_bytes(), "text/csv")})
            done = http.post(f"/api/w/{wid}/uploads/{up.json()['upload']['id']}/import",
                             json={"name": name, "tz": "Asia/Makassar", "order": "dayfirst"})
            assert done.status_code == 200, done.text
        http.close()
        yield srv, wid
    finally:
        srv.stop()


def _sign_in(page, srv: Server, user: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "procflow_lang", "value": lang, "url": srv.base}])
    page.goto(f"{srv.base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")


def _settings(url: str) -> dict[str, list[str]]:
    return {k: v for k, v in parse_qs(urlsplit(url).query).items() if k != "restored"}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_settings_survive_leaving_the_page(server: tuple[Server, str], lang: str) -> None:
    srv, wid = server
    log = f"izin-{lang}"
    chosen = quote(json.dumps([{"kind": "with", "field": "activity",
                                "values": ["Verifikasi Berkas"]}]))
    with browser_page() as page:
        page.set_default_timeout(120_000)
        _sign_in(page, srv, "andi", lang)
        # a filter in the address, then the settings form: calendar, standard, handoffs
        page.goto(f"{srv.base}/w/{wid}/logs/{log}?f={chosen}")
        page.click("details.settings summary")
        page.select_option("select[name=calendar]", "id")
        page.fill("input[name=standard]", "15")
        page.select_option("select[name=handoff]", "role")
        page.click("details.settings form button[type=submit]")
        page.wait_for_url("**standard=15**")
        wanted = _settings(page.url)
        assert wanted["calendar"] == ["id"] and wanted["handoff"] == ["role"], wanted
        assert "f" in wanted and page.locator("p.restored").count() == 0
        # away to the workspace and back by its link
        page.goto(f"{srv.base}/w/{wid}")
        page.click(f"a[href='/w/{wid}/logs/{log}']")
        page.wait_for_selector("p.restored")
        assert _settings(page.url) == wanted, page.url
        assert NOTE[lang] in page.inner_text("p.restored")
        summary = page.inner_text("details.settings summary")
        assert "15" in summary, summary
        assert page.input_value("select[name=handoff]") == "role"
        assert page.locator("p.sliced").count() == 1  # the slice is back too
        page.screenshot(path=artifact(f"web-settings-kept-{lang}.png"), full_page=False)
        # another log of the same user, and the same log for another user: defaults
        page.goto(f"{srv.base}/w/{wid}/logs/other")
        assert urlsplit(page.url).query == "" and page.locator("p.restored").count() == 0
        # reset: the defaults, and they stay the defaults when coming back
        page.goto(f"{srv.base}/w/{wid}/logs/{log}")
        page.click(f"p.restored >> text={RESET[lang]}")
        page.wait_for_load_state()
        assert urlsplit(page.url).query == "" and page.locator("p.restored").count() == 0
        assert page.input_value("select[name=handoff]") == ""
        page.goto(f"{srv.base}/w/{wid}")
        page.click(f"a[href='/w/{wid}/logs/{log}']")
        page.wait_for_load_state()
        assert urlsplit(page.url).query == "" and page.locator("p.restored").count() == 0


def test_each_user_keeps_their_own(server: tuple[Server, str]) -> None:
    srv, wid = server
    with closing(srv.client("andi")) as andi_http, closing(srv.client("ana")) as ana_http:
        assert andi_http.get(f"/w/{wid}/logs/other?handoff=role").status_code == 200
        # a script asking for the bare page gets the defaults; a browser its last settings
        assert andi_http.get(f"/w/{wid}/logs/other").status_code == 200
        andi_http.headers["accept"] = ana_http.headers["accept"] = "text/html"
        back = andi_http.get(f"/w/{wid}/logs/other")
        assert back.status_code == 303
        assert back.headers["location"] == f"/w/{wid}/logs/other?handoff=role&restored=1"
        # the language switch is no setting: it keeps them
        switched = andi_http.get(f"/w/{wid}/logs/other?lang=id")
        assert switched.headers["location"] == (
            f"/w/{wid}/logs/other?handoff=role&restored=1&lang=id")
        assert ana_http.get(f"/w/{wid}/logs/other").status_code == 200  # ana: defaults
        # settings that no longer fit the log are forgotten, not an error
        ana = Accounts(srv.data).user("ana")
        assert ana is not None
        Accounts(srv.data).keep_settings(int(ana["id"]), wid, "other",
                                         "decisions=chosen&decision=Nope")
        assert ana_http.get(f"/w/{wid}/logs/other").status_code == 200
        assert Accounts(srv.data).last_settings(int(ana["id"]), wid, "other") == ""
