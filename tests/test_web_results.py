"""Stored comparisons and checks on the workspace page, deleting them, and removing members."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procflow.core.i18n import Texts
from procflow.web import create_app, results, service
from tests.test_web_api import (
    Site,
    TestClient,
    assert_error,
    cheap_hashes,
    small_csv,
    upload_and_import,
)

__all__ = ["cheap_hashes"]

TO_BE = Path(__file__).resolve().parents[1] / "models" / "permit-to-be.bpmn"
Stored = tuple[Site, TestClient, dict[str, str]]


def _compare(client: TestClient, wid: str, body: dict[str, Any]) -> str:
    r = client.post(f"/api/w/{wid}/compare", json=body)
    assert r.status_code == 200, r.text
    return str(r.headers["x-procflow-result"])


def _check(client: TestClient, wid: str, log: str) -> str:
    r = client.post(f"/api/w/{wid}/logs/{log}/conform",
                    files={"file": ("permit-to-be.bpmn", TO_BE.read_bytes(), "application/xml")})
    assert r.status_code == 200, r.text
    return str(r.headers["x-procflow-result"])


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    """Workspace A with logs q1 and q2, two comparisons and one check run by andi."""
    site = Site(tmp_path_factory.mktemp("results") / "data")
    andi = site.client("andi")
    upload_and_import(andi, site.a, "q1", small_csv("q1", 30))
    upload_and_import(andi, site.a, "q2", small_csv("q2", 30))
    rids = {"pair": _compare(andi, site.a, {"before": "q1", "after": "q2"}),
            "split": _compare(andi, site.a, {"before": "q1", "split": "2024-03-15",
                                             "completed": True}),
            "check": _check(andi, site.a, "q2")}
    yield site, andi, rids


def test_results_are_listed_newest_first(stored: Stored) -> None:
    site, _, rids = stored
    vera = site.client("vera")
    listed = vera.get(f"/api/w/{site.a}?lang=en").json()["results"]
    own = [r for r in listed if r["id"] in rids.values()]
    assert [r["title"] for r in own] == [
        "q2 against permit-to-be.bpmn (token-based replay)",
        "q1 split at 15 March 2024 (completed cases only)", "q1 → q2"]
    indonesian = vera.get(f"/api/w/{site.a}?lang=id").json()["results"]
    assert [r["title"] for r in indonesian if r["id"] in rids.values()] == [
        "q2 terhadap permit-to-be.bpmn (pemutaran ulang token (token-based replay))",
        "q1 dibagi pada 15 Maret 2024 (hanya kasus yang sudah selesai)", "q1 → q2"]
    assert [r["id"] for r in own] == [rids["check"], rids["split"], rids["pair"]]
    check, _, pair = own
    assert set(check) == {"id", "kind", "title", "about", "log", "user", "created", "url",
                          "api"}
    assert check["about"] == {"log": "q2", "model": "permit-to-be.bpmn", "method": "token"}
    assert (check["kind"], check["log"], check["user"]) == ("conformance", "q2", "andi")
    assert check["api"] == f"/api/w/{site.a}/logs/q2/conform/{rids['check']}"
    assert check["url"] == f"/w/{site.a}/logs/q2/conform/{rids['check']}"
    assert (pair["kind"], pair["log"], pair["user"]) == ("comparison", None, "andi")
    assert pair["api"] == f"/api/w/{site.a}/compare/{rids['pair']}"
    created = dt.datetime.fromisoformat(pair["created"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 600
    for row in own:
        assert vera.get(row["api"]).status_code == 200
        assert vera.get(row["url"]).status_code == 200


def test_workspace_page_lists_results(stored: Stored) -> None:
    site, andi, rids = stored
    page = andi.get(f"/w/{site.a}?lang=en").text
    section = page.split("<h2>Comparisons and checks</h2>")[1].split("<h2>Members</h2>")[0]
    assert f'<a href="/w/{site.a}/compare/{rids["pair"]}">q1 → q2</a>' in section
    assert (f'<a href="/w/{site.a}/logs/q2/conform/{rids["check"]}">'
            "q2 against permit-to-be.bpmn (token-based replay)</a>") in section
    assert ("<td>Comparison</td>" in section and "<td>Conformance</td>" in section
            and "<td>andi</td>" in section)
    today = dt.datetime.now(dt.UTC)
    assert f"{today.day} {today:%B} {today.year}" in section
    indonesian = andi.get(f"/w/{site.a}?lang=id").text
    assert "<h2>Perbandingan dan pemeriksaan</h2>" in indonesian
    assert "<td>Perbandingan</td>" in indonesian
    budi = site.client("budi")
    assert budi.get(f"/api/w/{site.b}").json()["results"] == []
    assert "No comparisons or checks yet." in budi.get(f"/w/{site.b}?lang=en").text


def test_deleting_a_comparison_on_its_page(stored: Stored) -> None:
    site, andi, _ = stored
    rid = _compare(andi, site.a, {"before": "q2", "split": "2024-03-10"})
    page = f"/w/{site.a}/compare/{rid}"
    assert f'href="{page}/delete"' in andi.get(page).text
    vera = site.client("vera")
    assert f'href="{page}/delete"' not in vera.get(page).text
    assert vera.get(f"{page}/delete").status_code == 403
    assert vera.post(f"{page}/delete",
                     data={"csrf": vera.headers["X-CSRF-Token"]}).status_code == 403
    assert site.client("budi").get(f"{page}/delete").status_code == 404
    confirm = andi.get(f"{page}/delete?lang=en")
    assert confirm.status_code == 200
    assert "Delete the comparison q2 split at 10 March 2024" in confirm.text
    assert f'action="{page}/delete"' in confirm.text and f'href="{page}"' in confirm.text
    csrf = andi.headers.pop("X-CSRF-Token")
    try:
        assert andi.post(f"{page}/delete", data={}).status_code == 403
        assert andi.get(page).status_code == 200
        done = andi.post(f"{page}/delete", data={"csrf": csrf})
    finally:
        andi.headers["X-CSRF-Token"] = csrf
    assert done.status_code == 303 and done.headers["location"] == f"/w/{site.a}"
    assert not (site.data / "results" / site.a / f"comparison-{rid}.json").exists()
    assert andi.get(page).status_code == 404
    assert andi.get(f"{page}/delete").status_code == 404
    assert_error(andi.get(f"/api/w/{site.a}/compare/{rid}"), 404)
    assert rid not in {r["id"] for r in andi.get(f"/api/w/{site.a}").json()["results"]}
    assert rid not in andi.get(f"/w/{site.a}").text


def test_deleting_results_over_the_api(stored: Stored) -> None:
    site, andi, _ = stored
    rid = _compare(andi, site.a, {"before": "q2", "after": "q1"})
    check = _check(andi, site.a, "q1")
    url, check_url = f"/api/w/{site.a}/compare/{rid}", f"/api/w/{site.a}/logs/q1/conform/{check}"
    vera, budi = site.client("vera"), site.client("budi")
    assert_error(vera.delete(url), 403)
    assert_error(vera.delete(check_url), 403)
    assert_error(budi.delete(url), 404)
    assert_error(budi.delete(f"/api/w/{site.b}/compare/{rid}"), 404)
    assert_error(andi.delete(url, headers={"X-CSRF-Token": "wrong"}), 403)
    for bad in ("0" * 32, rid.upper(), f"{rid}%0A", "..%2F..%2Fx", check):
        assert_error(andi.delete(f"/api/w/{site.a}/compare/{bad}"), 404)
    assert_error(andi.delete(f"/api/w/{site.a}/logs/q2/conform/{check}"), 404)
    assert_error(andi.delete(f"/api/w/{site.a}/logs/q1/conform/{rid}"), 404)
    assert andi.get(url).status_code == 200 and andi.get(check_url).status_code == 200
    r = andi.delete(url)
    assert r.status_code == 200 and r.json() == {"removed": rid}
    r = andi.delete(check_url)
    assert r.status_code == 200 and r.json() == {"removed": check}
    folder = site.data / "results" / site.a
    assert not (folder / f"comparison-{rid}.json").exists()
    assert not (folder / f"conformance-{check}.json").exists()
    assert_error(andi.delete(url), 404)
    assert_error(andi.get(check_url), 404)
    assert andi.get(f"/w/{site.a}/logs/q1/conform/{check}").status_code == 404
    left = {r["id"] for r in andi.get(f"/api/w/{site.a}").json()["results"]}
    assert not left & {rid, check}


def test_deleting_a_check_on_its_page(stored: Stored) -> None:
    site, andi, _ = stored
    check = _check(andi, site.a, "q1")
    page = f"/w/{site.a}/logs/q1/conform/{check}"
    assert f'href="{page}/delete"' in andi.get(page).text
    assert andi.get(f"/w/{site.a}/logs/q2/conform/{check}/delete").status_code == 404
    confirm = andi.get(f"{page}/delete?lang=en")
    assert "Delete the check q1 against permit-to-be.bpmn (token-based replay)" in confirm.text
    done = andi.post(f"{page}/delete", data={"csrf": andi.headers["X-CSRF-Token"]})
    assert done.status_code == 303 and done.headers["location"] == f"/w/{site.a}"
    assert andi.get(page).status_code == 404


def test_results_stored_before_the_index_are_indexed_at_start(tmp_path: Path) -> None:
    site = Site(tmp_path / "data")
    data = site.data
    old = service.save_result(data, site.a, "comparison", {
        "before": {"name": "x"}, "web": {"before": "x", "after": "y", "split": None,
                                         "completed": False, "calendar": "id"}})
    check = service.save_result(data, site.a, "conformance", {
        "log": "x", "fitness": {"method": "alignments"}, "web": {"model_file": "m.bpmn"}})
    service.save_result(data, "0123456789abcdef", "comparison", {"web": {}})
    (data / "results" / site.a / f"comparison-{'1' * 32}.json").write_text("not json")
    (data / "results" / site.a / "notes.json").write_text("{}")
    assert site.accounts.results(site.a) == []
    create_app(data)
    rows = {r["id"]: r for r in results.listing(create_app(data).state.accounts, site.a,
                                                 Texts("en"))}
    assert set(rows) == {old, check}
    assert rows[old]["title"] == (
        "x → y (working time: Indonesian government week (Mon–Fri))")
    assert rows[old]["user"] is None
    assert (rows[check]["title"], rows[check]["log"]) == (
        "x against m.bpmn (alignments)", "x")
    vera = site.accounts.user("vera")
    assert vera is not None
    site.accounts.add_result("2" * 32, site.a, "comparison", "a → b", user_id=int(vera["id"]))
    assert site.accounts.results(site.a)[0]["user"] == "vera"
    site.accounts.remove_user("vera")
    assert site.accounts.results(site.a)[0]["user"] is None
    assert json.loads((data / "results" / site.a / f"comparison-{old}.json").read_text())


# members ----------------------------------------------------------------------------------
@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "data")


def test_removing_a_member(site: Site) -> None:
    ana, vera = site.client("ana"), site.client("vera")
    page = ana.get(f"/w/{site.a}").text
    assert f'action="/w/{site.a}/members/vera/remove"' in page
    assert f'action="/w/{site.a}/members/ana/remove"' not in page  # the only admin
    assert "/members/vera/remove" not in site.client("andi").get(f"/w/{site.a}").text
    assert_error(site.client("andi").delete(f"/api/w/{site.a}/members/vera"), 403)
    assert_error(site.client("budi").delete(f"/api/w/{site.a}/members/vera"), 404)
    assert_error(ana.delete(f"/api/w/{site.a}/members/vera",
                            headers={"X-CSRF-Token": "wrong"}), 403)
    csrf = ana.headers.pop("X-CSRF-Token")
    assert ana.post(f"/w/{site.a}/members/vera/remove", data={}).status_code == 403
    ana.headers["X-CSRF-Token"] = csrf
    assert_error(ana.delete(f"/api/w/{site.a}/members/nobody"), 404)
    assert_error(ana.delete(f"/api/w/{site.a}/members/budi"), 404)
    last = ana.delete(f"/api/w/{site.a}/members/ana")
    assert_error(last, 409)
    assert "last admin" in last.json()["error"]["message"]
    assert_error(ana.post(f"/api/w/{site.a}/members", json={"username": "ana",
                                                            "role": "analyst"}), 409)
    r = ana.delete(f"/api/w/{site.a}/members/vera")
    assert r.status_code == 200 and r.json() == {"removed": "vera"}
    assert_error(vera.get(f"/api/w/{site.a}"), 404)
    assert vera.get(f"/w/{site.a}").status_code == 404
    assert vera.get("/api/workspaces").json()["workspaces"] == []
    assert site.accounts.user("vera") is not None
    assert [m["name"] for m in ana.get(f"/api/w/{site.a}").json()["members"]] == ["ana", "andi"]


def test_removing_members_on_the_page(site: Site) -> None:
    ana, andi = site.client("ana"), site.client("andi")
    csrf = ana.headers["X-CSRF-Token"]
    r = ana.post(f"/w/{site.a}/members/andi/remove", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/w/{site.a}"
    assert andi.get(f"/w/{site.a}").status_code == 404
    assert ana.post(f"/w/{site.a}/members/ana/remove", data={"csrf": csrf}).status_code == 409
    assert ana.post(f"/api/w/{site.a}/members",
                    json={"username": "vera", "role": "admin"}).status_code == 200
    assert f'action="/w/{site.a}/members/ana/remove"' in ana.get(f"/w/{site.a}").text
    r = ana.post(f"/w/{site.a}/members/ana/remove", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/workspaces"
    assert ana.get(f"/w/{site.a}").status_code == 404
    vera = site.client("vera")
    assert_error(vera.delete(f"/api/w/{site.a}/members/vera"), 409)
    assert [m["name"] for m in vera.get(f"/api/w/{site.a}").json()["members"]] == ["vera"]


def test_a_comparison_with_an_empty_side_is_refused_clearly(stored: Stored) -> None:
    site, andi, _ = stored
    listed = len(andi.get(f"/api/w/{site.a}").json()["results"])
    r = andi.post(f"/api/w/{site.a}/compare?lang=en",
                  json={"before": "q1", "split": "2030-01-01"})
    assert_error(r, 422)
    assert r.json()["error"]["message"] == (
        "No case of 'q1' arrives on or after 2030-01-01, so the after side of the comparison "
        "is empty: its cases arrive from 2024-02-29 17:00 to 2024-03-27 17:00. Choose a date "
        "from 2024-03-01 to 2024-03-27 under “or split at the date”.")
    page = andi.post(f"/w/{site.a}/compare", data={
        "csrf": andi.headers["X-CSRF-Token"], "before": "q1", "split": "2000-01-01"})
    assert page.status_code == 422
    text = " ".join(page.text.split())
    assert "so the before side of the comparison is empty" in text
    assert "Choose a date from 2024-03-01 to 2024-03-27 under “or split at the date”" in text
    indonesian = andi.post(f"/w/{site.a}/compare?lang=id", data={
        "csrf": andi.headers["X-CSRF-Token"], "before": "q1", "split": "2000-01-01"})
    text = " ".join(indonesian.text.split())
    assert "sehingga sisi sebelum perbandingan kosong" in text
    assert "Pilih tanggal dari 2024-03-01 sampai 2024-03-27 pada “atau bagi pada tanggal”" in text
    up = andi.post(f"/api/w/{site.a}/upload",
                   files={"file": ("kosong.csv", b"case;activity;timestamp\n", "text/csv")})
    r = andi.post(f"/api/w/{site.a}/uploads/{up.json()['upload']['id']}/import?lang=en",
                  json={"name": "kosong"})  # a log without cases cannot even be stored
    assert_error(r, 422)
    assert r.json()["error"]["message"].startswith("No events in kosong.csv")
    assert len(andi.get(f"/api/w/{site.a}").json()["results"]) == listed


def test_downloads_are_named_after_the_logs(stored: Stored) -> None:
    site, andi, rids = stored
    base = f"/w/{site.a}/compare/{rids['pair']}"
    assert 'filename="q1-vs-q2-comparison.json"' in andi.get(
        f"{base}/comparison.json").headers["content-disposition"]
    assert 'filename="q1-vs-q2-comparison.html"' in andi.get(
        f"{base}/report.html").headers["content-disposition"]
    check = andi.get(f"/w/{site.a}/logs/q2/conform/{rids['check']}/conformance.json")
    assert 'filename="q2-conformance.json"' in check.headers["content-disposition"]


def test_the_compare_form_puts_the_older_log_before(stored: Stored) -> None:
    site, andi, _ = stored
    upload_and_import(andi, site.a, "q0", small_csv("q0", 30).replace(b"2024-03-", b"2024-01-"))
    form = " ".join(andi.get(f"/w/{site.a}/compare").text.split())
    before = form[form.index('<select name="before">'):]
    after = form[form.index('<select name="after">'):]
    assert '<option value="q0" selected>' in before[:before.index("</select>")]
    assert '<option value="q2" selected>' in after[:after.index("</select>")]
    chosen = " ".join(andi.get(f"/w/{site.a}/compare?before=q2").text.split())
    assert '<option value="q2" selected>' in chosen
    andi.delete(f"/api/w/{site.a}/logs/q0")
