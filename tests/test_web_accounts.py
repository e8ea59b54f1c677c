"""Accounts and sign-in hardening: the setup link's life, password strength (page, API and
CLI, in English and Bahasa Indonesia), user names unique without regard to case or width,
sign-in limits per address and trusted proxies, and no address built from the Host header."""

from __future__ import annotations

import re
import sqlite3
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from procflow.cli import main
from procflow.web import create_app
from procflow.web.accounts import AccountError, Accounts
from tests.test_web_api import assert_error, cheap_hashes
from tests.webserver import PW, Server, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["cheap_hashes"]

WEAK = {  # password → what the English message says
    "short": "too short",
    "Secret-1": "too short",
    "password123456": "most common passwords",
    "123456789012": "most common passwords",
    "qwertyuiopas": "most common passwords",
    "aaaaaaaaaaaaaaaa": "most common passwords",
    "P@ssw0rd2024!": "most common passwords",
    "bismillah12345": "most common passwords",
    "root-root-2024": "too close to the user name",
}
STRONG = ("correct horse battery", "kopi tubruk di pagi hari", "my ox is up",
          "Tr0ub4dor&3-sapi")


def setup_form(client: TestClient, token: str) -> str:
    page = client.get(f"/setup/{token}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def run_cli(*args: str, password: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"PROCFLOW_PASSWORD": password})


# 4: the setup link ---------------------------------------------------------------------------
def test_setup_link_is_revoked_once_an_admin_exists(tmp_path: Path) -> None:
    """The link printed by ``procflow serve`` stops working once ``procflow user add NAME
    --admin`` has made an administrator (a user without the flag leaves it open)."""
    data = tmp_path / "data"
    server = Server(data, tmp_path / "server.log").start()
    try:
        found = re.search(r"(http://\S+)/setup/(\S+)", server.output())
        assert found is not None, server.output()
        assert found.group(1) == server.base  # the configured host and port
        link = f"/api/setup/{found.group(2)}"
        with httpx.Client(base_url=server.base, timeout=30) as client:
            assert client.get(link).json() == {"valid": True}
            made = run_cli("user", "add", "sari", "--data", str(data), password=PW)
            assert made.exit_code == 0, made.output
            assert client.get(link).json() == {"valid": True}
            made = run_cli("user", "add", "boss", "--admin", "--data", str(data), password=PW)
            assert made.exit_code == 0, made.output
            assert_error(client.get(link), 404)
            assert client.get(link.replace("/api", "")).status_code == 404
            assert_error(client.post(link, json={"username": "intruder", "password": PW}), 404)
        assert Accounts(data).user("intruder") is None
    finally:
        server.stop()


def test_setup_link_expires_after_a_day(tmp_path: Path) -> None:
    app = create_app(tmp_path / "data")
    accounts: Accounts = app.state.accounts
    old, fresh = accounts.new_setup_token(), accounts.new_setup_token()
    with sqlite3.connect(accounts.path) as con:  # printed 25 and 23 hours ago
        rows = con.execute("SELECT token_hash FROM setup_tokens ORDER BY rowid").fetchall()
        con.execute("UPDATE setup_tokens SET created = ? WHERE token_hash = ?",
                    [time.time() - 25 * 3600, rows[0][0]])
        con.execute("UPDATE setup_tokens SET created = ? WHERE token_hash = ?",
                    [time.time() - 23 * 3600, rows[1][0]])
    client = TestClient(app, follow_redirects=False)
    assert_error(client.get(f"/api/setup/{old}"), 404)
    assert client.get(f"/setup/{old}").status_code == 404
    assert_error(client.post(f"/api/setup/{old}", json={"username": "late", "password": PW}),
                 404)
    assert accounts.user_count() == 0
    assert client.get(f"/api/setup/{fresh}").json() == {"valid": True}
    made = client.post(f"/api/setup/{fresh}", json={"username": "root", "password": PW})
    assert made.status_code == 201 and accounts.user_count() == 1


# 8: passwords --------------------------------------------------------------------------------
def test_weak_passwords_are_refused_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = create_app(data)
    accounts: Accounts = app.state.accounts
    token = accounts.new_setup_token()
    client = TestClient(app, follow_redirects=False)
    csrf = setup_form(client, token)
    for password, reason in WEAK.items():
        form = {"username": "root", "password": password, "password2": password, "csrf": csrf}
        english = client.post(f"/setup/{token}?lang=en", data=form)
        assert english.status_code == 400 and reason in english.text, (password, english.text)
        assert 'role="alert"' in english.text
        api = client.post(f"/api/setup/{token}", json={"username": "root",
                                                        "password": password})
        assert_error(api, 400)
        assert reason in api.json()["error"]["message"]
        assert accounts.user_count() == 0
    indonesian = client.post(f"/setup/{token}?lang=id", data={
        "username": "root", "password": "short", "password2": "short", "csrf": csrf})
    assert indonesian.status_code == 400
    assert "Kata sandi terlalu pendek: gunakan paling sedikit 12 karakter" in indonesian.text
    common = client.post(f"/setup/{token}?lang=id", data={
        "username": "root", "password": "password123456", "password2": "password123456",
        "csrf": csrf})
    assert "termasuk kata sandi yang paling umum" in common.text
    differ = client.post(f"/setup/{token}?lang=id", data={
        "username": "root", "password": PW, "password2": PW + "!", "csrf": csrf})
    assert "Kedua kata sandi berbeda" in differ.text
    ok = client.post(f"/setup/{token}", data={"username": "root", "password": STRONG[1],
                                              "password2": STRONG[1], "csrf": csrf})
    assert ok.status_code == 303 and accounts.user_count() == 1

    folder = str(data)
    for password, reason in WEAK.items():
        added = run_cli("user", "add", "root2", "--data", folder, password=password)
        assert added.exit_code == 1 and reason in added.output, (password, added.output)
        changed = run_cli("user", "passwd", "root", "--data", folder,
                          password=password.replace("root", "ROOT"))
        assert changed.exit_code == 1 and reason in changed.output, (password, changed.output)
    assert accounts.user("root2") is None
    assert accounts.verify("root", STRONG[1]) is not None
    for n, password in enumerate(STRONG):
        added = run_cli("user", "add", f"user{n}", "--data", folder, password=password)
        assert added.exit_code == 0, (password, added.output)
    changed = run_cli("user", "passwd", "root", "--data", folder, password=STRONG[0])
    assert changed.exit_code == 0 and accounts.verify("root", STRONG[0]) is not None


# 8: user names -------------------------------------------------------------------------------
def test_user_names_are_one_without_regard_to_case_or_width(tmp_path: Path) -> None:
    data = tmp_path / "data"
    accounts = Accounts(data)
    accounts.add_user("admin", PW, admin=True)
    for spelled in ("Admin", "ADMIN", "Ａdmin", "ａｄｍｉｎ"):
        with pytest.raises(AccountError, match="already exists"):
            accounts.add_user(spelled, PW, admin=True)
    added = run_cli("user", "add", "ＡＤＭＩＮ", "--admin", "--data", str(data), password=PW)
    assert added.exit_code == 1 and "already exists" in added.output, added.output
    assert accounts.user_count() == 1
    client = TestClient(create_app(data))
    for spelled in ("admin", "Admin", "Ａdmin", " ADMIN "):
        signed_in = client.post("/api/login", json={"username": spelled, "password": PW})
        assert signed_in.status_code == 200, (spelled, signed_in.text)
        assert signed_in.json()["user"] == {"name": "admin", "is_admin": True}
    accounts.add_user("Ｓari", PW)  # stored in its NFKC form
    sari = accounts.user("SARI")
    assert sari is not None and sari["name"] == "Sari"


def test_existing_accounts_keep_signing_in(tmp_path: Path) -> None:
    """A database made before names were compared this way: every user still signs in with
    their name as stored; two older names differing only in case each keep their account,
    and no new name may join them."""
    data = tmp_path / "data"
    data.mkdir()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PW)
    with sqlite3.connect(data / "procflow-web.sqlite") as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, "
                    "password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0, "
                    "created REAL NOT NULL)")
        con.executemany("INSERT INTO users (name, password_hash, is_admin, created) "
                        "VALUES (?, ?, ?, ?)", [("Budi", hashed, 1, 0.0),
                                                ("Sari", hashed, 0, 0.0),
                                                ("sari", hashed, 0, 0.0)])
    client = TestClient(create_app(data))
    for name, as_stored in (("Budi", "Budi"), ("budi", "Budi"), ("Sari", "Sari"),
                            ("sari", "sari")):
        signed_in = client.post("/api/login", json={"username": name, "password": PW})
        assert signed_in.status_code == 200, (name, signed_in.text)
        assert signed_in.json()["user"]["name"] == as_stored
    assert_error(client.post("/api/login", json={"username": "SARI", "password": PW}), 401)
    with pytest.raises(AccountError, match="already exists"):
        Accounts(data).add_user("SaRi", PW)


# 8: sign-in limits and proxies ---------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A real server; ``@pytest.mark.parametrize("served", [{env}], indirect=True)``."""
    data = tmp_path / "data"
    seed(data)
    server = Server(data, tmp_path / "server.log", env=getattr(request, "param", {}))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sign_in(client: httpx.Client, name: str, password: str, forwarded: str | None = None
            ) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/api/login", json={"username": name, "password": password},
                       headers=headers)


def test_failed_sign_ins_are_limited_per_address_across_names(served: Server) -> None:
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for n in range(20):
            assert_error(sign_in(client, f"guess{n}", "wrong password"), 401)
        assert_error(sign_in(client, "vera", PW), 429)  # even with the right password
        assert "dari alamat ini" in sign_in(client, "ana", PW).json()["error"]["message"]
        client.cookies.set("procflow_lang", "en")
        assert "this address" in sign_in(client, "ana", PW).json()["error"]["message"]


def test_forwarded_for_is_ignored_without_a_trusted_proxy(served: Server) -> None:
    """Without --trusted-proxy the socket's address is the client: a new X-Forwarded-For on
    every try does not reset the count."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for n in range(5):
            assert_error(sign_in(client, "vera", "wrong password", f"203.0.113.{n}"), 401)
        assert_error(sign_in(client, "vera", PW, "203.0.113.99"), 429)
        login = sign_in(client, "ana", PW, "203.0.113.99")
        assert login.status_code == 200
        assert "secure" not in login.headers["set-cookie"].lower()
        proto = client.post("/api/login", json={"username": "ana", "password": PW},
                            headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in proto.headers["set-cookie"].lower()


@pytest.mark.parametrize("served", [{"PROCFLOW_TRUSTED_PROXIES": "127.0.0.1"}], indirect=True)
def test_forwarded_for_is_believed_from_a_trusted_proxy(served: Server) -> None:
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for _ in range(5):
            assert_error(sign_in(client, "vera", "wrong password", "203.0.113.7"), 401)
        assert_error(sign_in(client, "vera", PW, "203.0.113.7"), 429)
        assert sign_in(client, "vera", PW, "203.0.113.8").status_code == 200
        assert sign_in(client, "vera", PW).status_code == 200  # the proxy itself
        proto = client.post("/api/login", json={"username": "ana", "password": PW},
                            headers={"X-Forwarded-Proto": "https"})
        assert "secure" in proto.headers["set-cookie"].lower()


# 8: the Host header --------------------------------------------------------------------------
def test_no_address_is_built_from_the_host_header(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wid = seed(data)
    app = create_app(data)
    token = app.state.accounts.new_setup_token()  # (refused: an admin exists) still a page
    client = TestClient(app, base_url="http://evil.example", follow_redirects=False)
    anonymous = ["/", "/login", "/login?next=/w/x", "/workspaces", f"/w/{wid}",
                 "/workspaces/", f"/setup/{token}", "/api/me", "/api/nothing",
                 "/static/style.css", "/login?lang=en"]
    seen = [client.get(path) for path in anonymous]
    doubled = client.get(httpx.URL("http://evil.example/").copy_with(
        raw_path=b"//other.example/login?lang=en"))
    seen.append(doubled)
    client.post("/api/login", json={"username": "andi", "password": PW})
    signed_in = ["/workspaces", "/workspaces?lang=en", f"/w/{wid}", f"/w/{wid}/",
                 f"/w/{wid}?lang=id", "/w/0123456789abcdef", f"/w/{wid}/logs/nope",
                 f"/w/{wid}/compare"]
    seen += [client.get(path) for path in signed_in]
    seen.append(client.post("/login", data={}))
    for response in seen:
        where = f"{response.request.method} {response.request.url.path}"
        assert "evil.example" not in response.text, where
        for name, value in response.headers.items():
            assert "evil.example" not in value, (where, name, value)
        location = response.headers.get("location", "")
        assert not location or (location.startswith("/") and not location.startswith("//")), (
            where, location)
    page = client.get("/workspaces?lang=en")
    assert 'href="/workspaces?lang=id"' in page.text
    # a path starting with two slashes gives links on this site, not to another host
    assert 'href="//' not in doubled.text
    assert 'href="/other.example/login?lang=id"' in doubled.text


def test_workspace_names_may_have_spaces_as_in_the_readme(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path)]
    runner = CliRunner()
    made = runner.invoke(main, ["workspace", "add", "DPMPTSP Kota Makassar", *data])
    assert made.exit_code == 0, made.output
    accounts = Accounts(tmp_path)
    assert accounts.workspace_id("DPMPTSP  Kota Makassar") == accounts.workspace_id(
        "DPMPTSP Kota Makassar")
    for bad in ("", " ", "../x", "<b>x</b>", "x" * 65):
        bad_made = runner.invoke(main, ["workspace", "add", bad, *data])
        assert bad_made.exit_code != 0 and "invalid workspace name" in bad_made.output


def test_a_site_admin_is_told_of_workspaces_they_are_not_in(tmp_path: Path) -> None:
    """ana (site admin) is in dinas-a only: the page lists dinas-b as another workspace;
    removed from dinas-a, the page no longer says there is no workspace at all."""
    from tests.test_web_api import Site

    site = Site(tmp_path / "data")
    ana = site.client("ana")
    page = ana.get("/workspaces?lang=en").text
    assert ("1 other workspace on this server, which you are not a member of: dinas-b. Its "
            "administrators can add you.") in page
    site.accounts.grant(site.a, "vera", "admin")
    site.accounts.revoke(site.a, "ana")
    alone = ana.get("/workspaces?lang=id").text
    assert "There is no workspace yet" not in alone and "Belum ada ruang kerja" not in alone
    assert "Anda belum menjadi anggota ruang kerja mana pun." in alone
    assert "2 ruang kerja lain di server ini, yang Anda bukan anggotanya: dinas-a, dinas-b" \
        in alone
    assert "other-workspaces" not in site.client("vera").get("/workspaces?lang=en").text
