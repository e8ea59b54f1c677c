"""The web app in process: every route, and SECURITY.md's web cases (12–16) with exact codes."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import lxml.html
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from fastapi import FastAPI
from lxml import etree

from procflow.cli import main
from procflow.web import accounts as accounts_module
from procflow.web import create_app
from procflow.web.accounts import Accounts

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
PW = "correct horse battery"
LIMIT = 64 * 1024


class Site:
    """An app with users ana (site admin; admin of A), vera (viewer of A), budi (analyst of
    B only) and andi (analyst of A). A comparison posted from its pages answers with its
    result (or its form) whenever it ends within a minute, however loaded the machine; the
    progress page has its own tests (test_web_comparing.py)."""

    def __init__(self, data: Path, limit: int = LIMIT):
        self.data = data
        self.app: FastAPI = create_app(data, max_upload_bytes=limit, answer_within=60.0)
        self.accounts: Accounts = self.app.state.accounts
        for name in ("ana", "vera", "budi", "andi"):
            self.accounts.add_user(name, PW, admin=name == "ana")
        ana = self.accounts.user("ana")
        assert ana is not None
        self.a = self.accounts.add_workspace("dinas-a", admin_user_id=int(ana["id"]))
        self.b = self.accounts.add_workspace("dinas-b")
        self.accounts.grant(self.a, "vera", "viewer")
        self.accounts.grant(self.a, "andi", "analyst")
        self.accounts.grant(self.b, "budi", "analyst")

    def client(self, user: str | None = None, *, https: bool = False) -> TestClient:
        client = TestClient(self.app, base_url="https://testserver" if https
                            else "http://testserver", follow_redirects=False)
        if user:
            r = client.post("/api/login", json={"username": user, "password": PW})
            assert r.status_code == 200, r.text
            client.headers["X-CSRF-Token"] = r.json()["csrf"]
        return client


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs, so that tests making many users stay fast."""
    monkeypatch.setattr(accounts_module, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "data")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, TestClient]]:
    """A site where andi has uploaded and imported the permit sample into workspace A."""
    site = Site(tmp_path_factory.mktemp("web") / "data", limit=8 * 1024 * 1024)
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
    site.import_result = r.json()  # type: ignore[attr-defined]
    site.preview = preview  # type: ignore[attr-defined]
    yield site, client


def multipart(filename: bytes, content: bytes, csrf: str | None = None) -> tuple[bytes, str]:
    """A multipart body written by hand (to send names httpx would clean up)."""
    boundary = "procflowtestboundary"
    parts = b""
    if csrf is not None:
        parts += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"
                  f"{csrf}\r\n").encode()
    parts += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
              f"filename=\"").encode() + filename + b"\"\r\nContent-Type: text/csv\r\n\r\n"
    parts += content + f"\r\n--{boundary}--\r\n".encode()
    return parts, f"multipart/form-data; boundary={boundary}"


def small_csv(prefix: str, cases: int) -> bytes:
    lines = ["case;activity;timestamp"]
    for c in range(cases):
        for step, act in enumerate(("Terima", "Periksa", "Setujui")):
            day = 1 + c % 28
            lines.append(f"{prefix}-{c};{prefix} {act};2024-03-{day:02d}T0{step}:00:00+07:00")
    return ("\n".join(lines) + "\n").encode()


def upload_and_import(client: TestClient, wid: str, name: str, data: bytes
                      ) -> dict[str, Any]:
    up = client.post(f"/api/w/{wid}/upload", files={"file": (f"{name}.csv", data, "text/csv")})
    assert up.status_code == 201, up.text
    r = client.post(f"/api/w/{wid}/uploads/{up.json()['upload']['id']}/import",
                    json={"name": name})
    assert r.status_code == 200, r.text
    return dict(r.json())


def finish_import(client: TestClient, started: httpx.Response, timeout: float = 120
                  ) -> httpx.Response:
    """The page an import from the form ends on: follows its progress page (which reloads
    itself every second) until it shows the import report or the form again."""
    assert started.status_code == 303, started.text
    url = started.headers["location"]
    assert re.fullmatch(r"/w/[0-9a-f]{16}/imports/[0-9a-f]{32}", url)
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(url)
        if '<meta http-equiv="refresh"' not in page.text:
            return page
        assert page.status_code == 200 and "<progress" in page.text
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.1)


def assert_error(response: httpx.Response, code: int) -> None:
    assert response.status_code == code, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)


# 12: authentication and isolation -------------------------------------------------------------
def test_every_route_needs_a_session(site: Site) -> None:
    anon = site.client()
    wid, upload = site.a, "0" * 32
    api = [("GET", "/api/me"), ("GET", "/api/workspaces"), ("POST", "/api/workspaces"),
           ("GET", f"/api/w/{wid}"), ("POST", f"/api/w/{wid}/members"),
           ("POST", f"/api/w/{wid}/upload"), ("GET", f"/api/w/{wid}/uploads/{upload}"),
           ("POST", f"/api/w/{wid}/uploads/{upload}/import"), ("GET", f"/api/w/{wid}/logs/x"),
           ("GET", f"/api/w/{wid}/logs/x/analysis"), ("POST", "/api/logout")]
    for method, path in api:
        assert_error(anon.request(method, path, json={}), 401)
    pages = [("GET", "/workspaces"), ("GET", f"/w/{wid}"), ("GET", f"/w/{wid}/uploads/{upload}"),
             ("GET", f"/w/{wid}/logs/x"), ("GET", f"/w/{wid}/logs/x/report.html"),
             ("GET", f"/w/{wid}/logs/x/analysis.json"), ("POST", f"/w/{wid}/upload"),
             ("POST", f"/w/{wid}/members"), ("POST", "/workspaces"), ("POST", "/logout"),
             ("POST", f"/w/{wid}/uploads/{upload}/import")]
    for method, path in pages:
        r = anon.request(method, path)
        assert r.status_code == 303, (method, path, r.status_code)
        assert r.headers["location"].startswith("/login?next=")
    assert anon.get("/").headers["location"] == "/workspaces"
    assert anon.get("/login").status_code == 200


OPEN = {"/", "/login", "/api/login", "/setup/{token}", "/api/setup/{token}", "/static/style.css",
        "/static/map.js"}
PARAMS = {"wid": "0123456789abcdef", "upload_id": "0" * 32, "name": "x", "rid": "0" * 32,
          "what": "map.svg", "token": "t", "username": "x", "job_id": "0" * 32, "which": "time"}


def test_every_registered_route_needs_a_session(site: Site) -> None:
    """Every route of every router, found by walking them (so a new route cannot be left
    out): the API answers 401, pages send to the sign-in page."""
    from procflow.web import routes_logs, routes_results, routes_session, routes_workspaces

    anon = site.client()
    checked = 0
    for module in (routes_session, routes_workspaces, routes_logs, routes_results):
        for route in module.router.routes:
            path = getattr(route, "path", "")
            if path in OPEN:
                continue
            url = path.format(**PARAMS)
            for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
                r = anon.request(method, url)
                checked += 1
                if path.startswith("/api/"):
                    assert_error(r, 401)
                else:
                    assert r.status_code == 303, (method, path, r.status_code)
                    assert r.headers["location"].startswith("/login?next=")
    assert checked >= 40


def test_other_workspaces_are_404_like_missing_ones(site: Site) -> None:
    budi = site.client("budi")
    missing = "0123456789abcdef"
    for wid in (site.a, missing, "ABCDEF0123456789", "..%2F..%2Fetc"):
        assert_error(budi.get(f"/api/w/{wid}"), 404)
        assert_error(budi.get(f"/api/w/{wid}/logs/after"), 404)
        assert_error(budi.get(f"/api/w/{wid}/logs/after/analysis"), 404)
        assert_error(budi.post(f"/api/w/{wid}/upload",
                               files={"file": ("a.csv", b"x", "text/csv")}), 404)
        assert_error(budi.post(f"/api/w/{wid}/members",
                               json={"username": "budi", "role": "admin"}), 404)
        assert budi.get(f"/w/{wid}").status_code == 404
    assert budi.get(f"/api/w/{site.a}").json() == budi.get(f"/api/w/{missing}").json()
    assert [w["name"] for w in budi.get("/api/workspaces").json()["workspaces"]] == ["dinas-b"]
    assert "dinas-a" not in budi.get("/workspaces").text


def test_roles(site: Site) -> None:
    vera = site.client("vera")
    assert vera.get(f"/api/w/{site.a}").status_code == 200
    assert_error(vera.post(f"/api/w/{site.a}/upload",
                           files={"file": ("a.csv", b"case;activity\n", "text/csv")}), 403)
    assert_error(vera.post(f"/api/w/{site.a}/members",
                           json={"username": "budi", "role": "viewer"}), 403)
    assert_error(vera.post("/api/workspaces", json={"name": "mine"}), 403)
    andi = site.client("andi")
    assert_error(andi.post(f"/api/w/{site.a}/members",
                           json={"username": "budi", "role": "admin"}), 403)
    ana = site.client("ana")
    r = ana.post(f"/api/w/{site.a}/members", json={"username": "budi", "role": "viewer"})
    assert r.status_code == 200 and {"name": "budi", "role": "viewer"} in r.json()["members"]
    assert site.client("budi").get(f"/api/w/{site.a}").json()["workspace"]["role"] == "viewer"
    assert_error(ana.post(f"/api/w/{site.a}/members",
                          json={"username": "nobody", "role": "viewer"}), 400)
    assert_error(ana.post(f"/api/w/{site.a}/members",
                          json={"username": "budi", "role": "owner"}), 400)
    made = ana.post("/api/workspaces", json={"name": "dinas-c"})
    assert made.status_code == 201 and made.json()["workspace"]["role"] == "admin"
    assert_error(ana.post("/api/workspaces", json={"name": "dinas-c"}), 400)
    page = ana.post("/workspaces", data={"name": "dinas-d", "csrf": ana.headers["X-CSRF-Token"]})
    assert page.status_code == 303 and page.headers["location"].startswith("/w/")
    grant = ana.post(f"/w/{site.a}/members", data={
        "username": "vera", "role": "analyst", "csrf": ana.headers["X-CSRF-Token"]})
    assert grant.status_code == 303
    assert site.client("vera").get(f"/api/w/{site.a}").json()["workspace"]["role"] == "analyst"



# 15: sessions, CSRF, passwords, rate limits ---------------------------------------------------
def test_login_page_sets_safe_cookies(site: Site) -> None:
    for https in (False, True):
        client = site.client(https=https)
        form = client.get("/login?next=/w/x")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        assert_error_page = client.post("/login", data={"username": "ana", "password": PW})
        assert assert_error_page.status_code == 403  # no login form token
        r = client.post("/login", data={"username": "ana", "password": PW,
                                        "csrf": token.group(1), "next": "//evil.example"})
        assert r.status_code == 303 and r.headers["location"] == "/workspaces"
        cookie = next(c for c in r.headers.get_list("set-cookie")
                      if c.startswith("procflow_session="))
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "httponly" in flags and "samesite=lax" in flags
        assert ("secure" in flags) is https
        assert client.get("/api/me").json()["user"] == {"name": "ana", "is_admin": True}
    client = site.client()
    form = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found is not None
    wrong = client.post("/login", data={"username": "ana", "password": "nope-nope",
                                        "csrf": found.group(1)})
    assert wrong.status_code == 401 and "procflow_session" not in wrong.headers.get(
        "set-cookie", "")


def test_logout_ends_the_session(site: Site) -> None:
    client = site.client("ana")
    assert_error(client.post("/api/logout", headers={"X-CSRF-Token": "wrong"}), 403)
    assert client.post("/api/logout").json() == {"signed_out": True}
    assert_error(client.get("/api/me"), 401)
    page = site.client("ana")
    csrf = page.headers.pop("X-CSRF-Token")
    assert page.post("/logout", data={}).status_code == 403
    assert page.post("/logout", data={"csrf": csrf}).headers["location"] == "/login"
    assert page.get("/workspaces").status_code == 303


def test_csrf_required_on_state_changes(site: Site) -> None:
    ana = site.client("ana")
    csrf = ana.headers.pop("X-CSRF-Token")
    assert_error(ana.post("/api/workspaces", json={"name": "x"}), 403)
    assert_error(ana.post(f"/api/w/{site.a}/members", json={"username": "vera",
                                                            "role": "admin"}), 403)
    assert_error(ana.post(f"/api/w/{site.a}/upload",
                          files={"file": ("a.csv", b"a;b\n1;2\n", "text/csv")}), 403)
    assert_error(ana.post(f"/api/w/{site.a}/uploads/{'0' * 32}/import", json={}), 403)
    assert ana.post("/workspaces", data={"name": "x"}).status_code == 403
    assert ana.post(f"/w/{site.a}/members", data={"username": "vera",
                                                  "role": "admin"}).status_code == 403
    body, ctype = multipart(b"a.csv", b"a;b\n1;2\n", csrf="wrong")
    assert_error(ana.post(f"/api/w/{site.a}/upload", content=body,
                          headers={"content-type": ctype}), 403)
    assert not list((site.data / "uploads").iterdir())
    body, ctype = multipart(b"a.csv", b"a;b\n1;2\n", csrf=csrf)
    assert ana.post(f"/api/w/{site.a}/upload", content=body,
                    headers={"content-type": ctype}).status_code == 201


def test_passwords_are_argon2_hashes(site: Site) -> None:
    db = site.data / "procflow-web.sqlite"
    with sqlite3.connect(db) as con:
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM users")]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    site.client("ana")
    for path in site.data.glob("*.sqlite*"):
        assert PW.encode() not in path.read_bytes()


def test_login_rate_limit(site: Site) -> None:
    client = site.client()
    for _ in range(5):
        assert_error(client.post("/api/login", json={"username": "vera", "password": "bad"}),
                     401)
    assert_error(client.post("/api/login", json={"username": "vera", "password": PW}), 429)
    assert client.post("/api/login", json={"username": "ana", "password": PW}).status_code == 200
    assert_error(client.post("/api/login", json={"username": "nobody", "password": "x"}), 401)
    assert_error(client.post("/api/login", content=b"username=ana",
                             headers={"content-type": "application/x-www-form-urlencoded"}),
                 422)


def test_error_shape_and_openapi(site: Site) -> None:
    ana = site.client("ana")
    assert_error(ana.get("/api/w/0123456789abcdef"), 404)
    assert_error(ana.get("/api/nothing-here"), 404)
    assert_error(ana.post("/api/workspaces", content=b"not json",
                          headers={"content-type": "application/json"}), 422)
    spec = site.client().get("/openapi.json").json()
    assert {"/api/workspaces", "/api/w/{wid}/upload", "/api/w/{wid}/logs/{name}",
            "/api/login"} <= set(spec["paths"])
    page = ana.get("/w/0123456789abcdef")
    assert page.status_code == 404 and "<html" in page.text


def test_first_run_setup_link_works_once(tmp_path: Path) -> None:
    app = create_app(tmp_path / "data")
    accounts: Accounts = app.state.accounts
    client = TestClient(app, follow_redirects=False)
    login = client.get("/login")
    assert "procflow serve" in login.text
    token = accounts.new_setup_token()
    second = accounts.new_setup_token()  # e.g. printed again before anyone used the first
    assert client.get(f"/api/setup/{second}").json() == {"valid": True}
    assert_error(client.get("/api/setup/not-the-token"), 404)
    page = client.get(f"/setup/{token}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    short = client.post(f"/setup/{token}", data={"username": "root", "password": "short",
                                                 "password2": "short", "csrf": csrf})
    assert short.status_code == 400 and accounts.user_count() == 0
    r = client.post(f"/setup/{token}", data={"username": "root", "password": PW,
                                             "password2": PW, "csrf": csrf})
    assert r.status_code == 303 and client.get("/api/me").json()["user"]["is_admin"]
    assert client.get(f"/setup/{token}").status_code == 404
    assert_error(client.post(f"/api/setup/{token}", json={"username": "x", "password": PW}),
                 404)
    assert_error(client.get(f"/api/setup/{second}"), 404)  # an administrator exists now
    assert_error(client.post(f"/api/setup/{second}", json={"username": "root2", "password": PW}),
                 404)
    assert accounts.user_count() == 1


# 13, 14: uploads --------------------------------------------------------------------------
@pytest.mark.parametrize("name", [b"../../x.csv", b"..", b"/etc/passwd", b"a\x00b.csv",
                                  b"..\\..\\win.csv"])
def test_upload_names_never_reach_paths(site: Site, name: bytes) -> None:
    andi = site.client("andi")
    body, ctype = multipart(name, b"case;activity;timestamp\n1;a;2024-01-01T00:00:00Z\n")
    r = andi.post(f"/api/w/{site.a}/upload", content=body, headers={"content-type": ctype})
    assert r.status_code == 201, r.text
    got = r.json()["upload"]
    assert re.fullmatch(r"[0-9a-f]{32}", got["id"]) and "\x00" not in got["name"]
    assert [p.name for p in (site.data / "uploads").iterdir()] == [f"{got['id']}.upload"]
    assert sorted(p.name for p in site.data.parent.iterdir()) == ["data"]
    assert {p.name for p in site.data.iterdir()} - {
        "procflow-web.sqlite-shm", "procflow-web.sqlite-wal"} == {
        "procflow-web.sqlite", "uploads", "workspaces"}
    assert not list((site.data / "workspaces").iterdir())
    preview = andi.get(f"/api/w/{site.a}/uploads/{got['id']}").json()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", preview["log_name"])
    assert preview["mapping"]["case"] == "case"


def test_oversized_upload_refused_before_the_body_is_read(site: Site) -> None:
    andi = site.client("andi")
    body, ctype = multipart(b"big.csv", b"x" * (LIMIT + 1))
    assert_error(andi.post(f"/api/w/{site.a}/upload", content=body,
                           headers={"content-type": ctype}), 413)
    assert andi.post(f"/w/{site.a}/upload", content=body,
                     headers={"content-type": ctype}).status_code == 413

    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        head, _ = multipart(b"big.csv", b"")
        yield head[: head.index(b"\r\n\r\n", head.index(b"filename")) + 4]
        for _ in range(100):  # 100 × 16 KiB = 25 × the limit
            sent.append(1)
            yield b"y" * 16384

    async def stream() -> httpx.Response:
        transport = httpx.ASGITransport(app=site.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            login = await c.post("/api/login", json={"username": "andi", "password": PW})
            return await c.post(f"/api/w/{site.a}/upload", content=chunks(), headers={
                "content-type": ctype, "x-csrf-token": login.json()["csrf"]})

    r = asyncio.run(stream())
    assert_error(r, 413)
    assert len(sent) <= LIMIT // 16384 + 2  # stopped right after the limit, not at the end
    assert not list((site.data / "uploads").iterdir())


def test_bad_files_and_choices_are_refused_cleanly(site: Site) -> None:
    andi = site.client("andi")
    assert_error(andi.post(f"/api/w/{site.a}/upload",
                           files={"file": ("empty.csv", b"", "text/csv")}), 400)
    assert_error(andi.post(f"/api/w/{site.a}/upload", json={"file": "x"}), 415)
    assert_error(andi.post(f"/api/w/{site.a}/upload",
                           files={"other": ("a.csv", b"1", "text/csv")}), 400)
    assert_error(andi.get(f"/api/w/{site.a}/uploads/{'f' * 32}"), 404)
    assert_error(andi.get(f"/api/w/{site.a}/uploads/..%2F..%2Fetc"), 404)
    garbage = andi.post(f"/api/w/{site.a}/upload",
                        files={"file": ("g.csv", bytes(range(256)) * 8, "text/csv")})
    gid = garbage.json()["upload"]["id"]
    r = andi.get(f"/api/w/{site.a}/uploads/{gid}")
    assert_error(r, 422)
    assert str(site.data) not in r.text
    naive = b"case;activity;timestamp\n1;a;03/04/2024 10.00\n1;b;13/04/2024 11.00\n"
    up = andi.post(f"/api/w/{site.a}/upload", files={"file": ("n.csv", naive, "text/csv")})
    uid = up.json()["upload"]["id"]
    for choice, code in (({"col_case": "nope"}, 422), ({"tz": "Mars/Olympus"}, 422),
                         ({"order": "sideways"}, 422), ({"name": "../x"}, 422),
                         ({}, 422)):  # the last: naive times need a zone
        assert_error(andi.post(f"/api/w/{site.a}/uploads/{uid}/import", json=choice), code)
    page = finish_import(andi, andi.post(f"/w/{site.a}/uploads/{uid}/import",
                     data={"csrf": andi.headers["X-CSRF-Token"], "col_case": "case",
                           "col_activity": "activity", "col_timestamp": "timestamp"}))
    assert page.status_code == 422 and 'role="alert"' in page.text
    ok = andi.post(f"/api/w/{site.a}/uploads/{uid}/import",
                   json={"tz": "Asia/Jakarta", "name": "n"})
    assert ok.status_code == 200 and ok.json()["events"] == 2
    assert_error(andi.post(f"/api/w/{site.a}/uploads/{uid}/import", json={}), 404)
    again = andi.post(f"/api/w/{site.a}/upload",
                      files={"file": ("n.csv", naive + b"2;a;01/01/2024 09.00\n", "text/csv")})
    r = andi.post(f"/api/w/{site.a}/uploads/{again.json()['upload']['id']}/import",
                  json={"tz": "Asia/Jakarta", "name": "n"})
    assert_error(r, 409)


def test_user_strings_are_escaped_on_pages(site: Site) -> None:
    andi = site.client("andi")
    hostile = (b"case;activity;timestamp\n"
               b"1;<img src=x onerror=alert(1)>;2024-01-01T08:00:00+07:00\n"
               b"1;<b>x</b> \"q\";2024-01-01T09:00:00+07:00\n")
    up = andi.post(f"/api/w/{site.a}/upload",
                   files={"file": ("<script>alert(1)</script>.csv", hostile, "text/csv")})
    uid = up.json()["upload"]["id"]
    preview = andi.get(f"/w/{site.a}/uploads/{uid}").text
    assert "<script>alert" not in preview and "&lt;script&gt;" in preview
    assert "<img src=x" not in preview and "&lt;img src=x" in preview
    assert andi.post(f"/api/w/{site.a}/uploads/{uid}/import",
                     json={"name": "hostile"}).status_code == 200
    page = andi.get(f"/w/{site.a}/logs/hostile").text
    assert "<img src=x" not in page and "<b>x</b>" not in page
    tree = lxml.html.fromstring(page)
    assert not [a for e in tree.iter() for a in e.attrib if a.lower().startswith("on")]
    assert not tree.xpath("//img|//b")
    assert [(e.get("src"), e.text) for e in tree.xpath("//script")] == [("/static/map.js", None)]
    assert 'value="&lt;img src=x onerror=alert(1)&gt;"' in page  # a decision step to tick
    figure = page.split('<figure class="map" data-zoom="100" data-open="auto" tabindex="0">')[1]
    svg = etree.fromstring(figure.split("</figure>")[0])
    names = {etree.QName(e).localname for e in svg.iter() if isinstance(e.tag, str)}
    assert not names & {"script", "image", "img", "b", "foreignObject"}
    links = [e for e in svg.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "a"]
    assert links  # steps and paths link to their cases on this site, and nowhere else
    for link in links:
        assert {etree.QName(k).localname for k in link.attrib} <= {"href", "title", "target"}
        href = link.get("{http://www.w3.org/1999/xlink}href")
        assert href.startswith(f"/w/{site.a}/logs/hostile/cases?"), href
    assert not [a for e in svg.iter() for a in e.attrib if a.lower().startswith("on")]
    assert any("onerror=alert(1)>" in (e.text or "") for e in svg.iter())  # shown as text


def test_stale_uploads_are_forgotten(site: Site) -> None:
    andi = site.client("andi")
    up = andi.post(f"/api/w/{site.a}/upload", files={"file": ("a.csv", b"a;b\n", "text/csv")})
    uid = up.json()["upload"]["id"]
    (site.data / "uploads" / "deadbeef.part").write_bytes(b"half")
    site.accounts.forget_stale_uploads()
    assert [p.name for p in (site.data / "uploads").iterdir()] == [f"{uid}.upload"]
    site.accounts.forget_stale_uploads(max_age=-1)
    assert not list((site.data / "uploads").iterdir())
    assert_error(andi.get(f"/api/w/{site.a}/uploads/{uid}"), 404)


# 16: concurrency -------------------------------------------------------------------------
def test_two_uploads_at_once_while_someone_reads(
        imported: tuple[Site, TestClient]) -> None:
    site, _ = imported
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def work(key: str, user: str, fn: Any) -> None:
        try:
            results[key] = fn(site.client(user))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [
        threading.Thread(target=work, args=("x", "andi", lambda c: upload_and_import(
            c, site.a, "alpha", small_csv("alpha", 40)))),
        threading.Thread(target=work, args=("y", "ana", lambda c: upload_and_import(
            c, site.a, "beta", small_csv("beta", 25)))),
        threading.Thread(target=work, args=("z", "vera", lambda c: c.get(
            f"/api/w/{site.a}/logs/after").json())),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert (results["x"]["cases"], results["x"]["events"]) == (40, 120)
    assert (results["y"]["cases"], results["y"]["events"]) == (25, 75)
    assert results["z"]["figures"]["cases"] == 2000
    vera = site.client("vera")
    for name, prefix in (("alpha", "alpha"), ("beta", "beta")):
        analysis = vera.get(f"/api/w/{site.a}/logs/{name}/analysis").json()
        assert {a["activity"] for a in analysis["activities"]} == {
            f"{prefix} {a}" for a in ("Terima", "Periksa", "Setujui")}


# the sample through every page ---------------------------------------------------------------
def test_sample_upload_import_and_overview(imported: tuple[Site, TestClient]) -> None:
    site, andi = imported
    preview = site.preview  # type: ignore[attr-defined]
    assert preview["mapping"] == {
        "case": "No. Permohonan", "activity": "Tahapan", "timestamp": "Waktu Selesai",
        "start": "Waktu Mulai", "resource": "Petugas", "role": "Jabatan", "unit": "Unit Kerja",
        "level": None}
    assert len(preview["rows"]) == 10 and preview["total_rows"] == 13273
    assert preview["no_zone"]["column"] == "Waktu Selesai"  # the page asks for their zone
    assert preview["no_zone"]["examples"].startswith("'")
    result = site.import_result  # type: ignore[attr-defined]
    assert (result["cases"], result["events"]) == (2000, 13273)
    assert result["report"]["rows"] == 13273 and result["rejected"] == {}
    assert result["source"] == "after.csv"
    logs = andi.get(f"/api/w/{site.a}").json()["logs"]
    assert [(log["name"], log["cases"], log["events"]) for log in logs][:1] == [
        ("after", 2000, 13273)]
    overview = andi.get(f"/api/w/{site.a}/logs/after").json()
    assert overview["figures"]["cases"] == 2000
    assert overview["map_svg"].startswith("<svg") and "<script" not in overview["map_svg"]
    page = andi.get(f"/w/{site.a}/logs/after")
    assert page.status_code == 200 and "<svg" in page.text and "kasus" in page.text
    assert "content-security-policy" in page.headers
    assert andi.get(f"/api/w/{site.a}/logs/nope").status_code == 404
    analysis = andi.get(f"/w/{site.a}/logs/after/analysis.json")
    assert analysis.json()["log"]["cases"] == 2000
    assert "attachment" in analysis.headers["content-disposition"]


def test_pages_render_and_switch_language(imported: tuple[Site, TestClient]) -> None:
    site, andi = imported
    home = andi.get("/workspaces")
    assert home.status_code == 200 and "Ruang kerja" in home.text and 'lang="id"' in home.text
    english = andi.get("/workspaces?lang=en")
    assert "Your workspaces" in english.text and "procflow_lang=en" in english.headers[
        "set-cookie"]
    andi.cookies.set("procflow_lang", "en")
    assert "Upload a log" in andi.get(f"/w/{site.a}").text
    andi.cookies.set("procflow_lang", "id")
    workspace = andi.get(f"/w/{site.a}")
    assert "Unggah" in workspace.text and "after" in workspace.text
    css = site.client().get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    body, ctype = multipart(b"after.csv", SAMPLE.read_bytes()[:4000],
                            csrf=andi.headers["X-CSRF-Token"])
    up = andi.post(f"/w/{site.a}/upload", content=body, headers={"content-type": ctype})
    assert up.status_code == 303
    preview = andi.get(up.headers["location"])
    assert preview.status_code == 200 and "No. Permohonan" in preview.text
    assert 'option value="Tahapan" selected' in preview.text
    done = finish_import(andi, andi.post(up.headers["location"] + "/import", data={
        "csrf": andi.headers["X-CSRF-Token"], "col_case": "No. Permohonan",
        "col_activity": "Tahapan", "col_timestamp": "Waktu Selesai", "col_start": "",
        "col_resource": "Petugas", "tz": "Asia/Makassar", "order": "dayfirst",
        "name": "potongan"}))
    assert done.status_code == 200 and "potongan" in done.text
    info = andi.get(f"/api/w/{site.a}/logs/potongan").json()
    assert info["log"]["events"] > 0
    report = andi.get(f"/w/{site.a}/logs/after/report.html?lang=en")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "<script" not in report.text.lower()


# CLI ----------------------------------------------------------------------------------------
def test_cli_administers_users_and_workspaces(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    runner = CliRunner()
    env = {"PROCFLOW_PASSWORD": PW}

    def run(*args: str, **kw: Any) -> str:
        r = runner.invoke(main, [*args, "--data", data], env=env, **kw)
        assert r.exit_code == 0, r.output
        return r.output

    run("user", "add", "ana", "--admin")
    run("workspace", "add", "dinas-a")
    run("user", "add", "vera")
    run("workspace", "grant", "dinas-a", "vera", "--role", "viewer")
    accounts = Accounts(Path(data))
    vera = accounts.user("vera")
    assert vera is not None and accounts.workspaces_of(int(vera["id"]))[0]["role"] == "viewer"
    r = runner.invoke(main, ["user", "passwd", "vera", "--data", data],
                      input="another secret\nanother secret\n", env={"PROCFLOW_PASSWORD": ""})
    assert r.exit_code == 0 and "another secret" not in r.output
    assert accounts.verify("vera", "another secret") is not None
    bad = runner.invoke(main, ["user", "add", "ana", "--data", data], env=env)
    assert bad.exit_code == 1 and "already exists" in bad.output
    run("user", "remove", "vera")
    assert accounts.user("vera") is None
