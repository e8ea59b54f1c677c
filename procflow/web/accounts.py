"""Accounts of the web app: users, workspaces, memberships, sessions, setup tokens, uploads,
and the index of stored results (comparisons and conformance checks).

Stored in ``DATA/procflow-web.sqlite`` (stdlib sqlite3, WAL journal). Passwords are argon2
hashes; session and setup tokens are stored as SHA-256 digests, never as given. Each call
opens its own connection, so the store is safe to use from any thread.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from procflow.errors import ProcflowError

Role = Literal["admin", "analyst", "viewer"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")
DB_NAME = "procflow-web.sqlite"
SESSION_SECONDS = 12 * 3600
UPLOAD_SECONDS = 24 * 3600
MIN_PASSWORD = 8
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
    PRIMARY KEY (user_id, workspace_id));
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS setup_tokens (token_hash TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    original_name TEXT NOT NULL, size INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY, workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('comparison', 'conformance')), title TEXT NOT NULL,
    log TEXT, user_id INTEGER REFERENCES users(id) ON DELETE SET NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS results_by_workspace ON results (workspace, created);
"""
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("procflow-dummy-password")


class AccountError(ProcflowError):
    """An account operation cannot be done (unknown user, name taken, weak password)."""


class LastAdminError(AccountError):
    """Removing this member would leave the workspace without an admin."""


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str, what: str = "name") -> str:
    """A user or workspace name: letters, digits, ``. _ - @``, at most 64 characters."""
    if not NAME_PATTERN.match(name or ""):
        raise AccountError(f"invalid {what} {name!r}: use 1–64 letters, digits, '.', '_', '-'"
                           " or '@'.")
    return name


def check_password(password: str) -> str:
    """Passwords need at least :data:`MIN_PASSWORD` characters."""
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters.")
    return password


class Accounts:
    """The account database under the data folder ``data_dir``."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "workspaces").mkdir(exist_ok=True)
        (self.data_dir / "uploads").mkdir(exist_ok=True)
        self.path = self.data_dir / DB_NAME
        with self._db() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA busy_timeout=30000")
            yield con
        finally:
            con.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # users ---------------------------------------------------------------------------------
    def user_count(self) -> int:
        with self._db() as con:
            return int(con.execute("SELECT count(*) FROM users").fetchone()[0])

    def add_user(self, name: str, password: str, *, admin: bool = False) -> int:
        check_name(name, "user name")
        hashed = _hasher.hash(check_password(password))
        with self._tx() as con:
            return self._insert_user(con, name, hashed, admin)

    @staticmethod
    def _insert_user(con: sqlite3.Connection, name: str, hashed: str, admin: bool) -> int:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise AccountError(f"a user named {name!r} already exists.")
        cur = con.execute("INSERT INTO users (name, password_hash, is_admin, created) "
                          "VALUES (?, ?, ?, ?)", [name, hashed, int(admin), time.time()])
        return int(cur.lastrowid or 0)

    def user(self, name: str) -> dict[str, Any] | None:
        with self._db() as con:
            row = con.execute("SELECT * FROM users WHERE name = ?", [name]).fetchone()
        return dict(row) if row else None

    def set_password(self, name: str, password: str) -> None:
        hashed = _hasher.hash(check_password(password))
        with self._tx() as con:
            cur = con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hashed, name])
            if cur.rowcount == 0:
                raise AccountError(f"no user named {name!r}.")
            con.execute("DELETE FROM sessions WHERE user_id = "
                        "(SELECT id FROM users WHERE name = ?)", [name])

    def remove_user(self, name: str) -> None:
        with self._tx() as con:
            if con.execute("DELETE FROM users WHERE name = ?", [name]).rowcount == 0:
                raise AccountError(f"no user named {name!r}.")

    def verify(self, name: str, password: str) -> dict[str, Any] | None:
        """The user when ``password`` is right, else None (same work either way)."""
        row = self.user(name)
        try:
            _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _hasher.check_needs_rehash(row["password_hash"]):  # costs raised since: upgrade
            with self._tx() as con:
                con.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                            [_hasher.hash(password), row["id"]])
        return row

    # sessions ------------------------------------------------------------------------------
    def create_session(self, user_id: int) -> tuple[str, str]:
        """A new session: (token for the cookie, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self._tx() as con:
            con.execute("DELETE FROM sessions WHERE expires < ?", [now])
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                        [digest(token), user_id, csrf, now, now + SESSION_SECONDS])
        return token, csrf

    def session(self, token: str) -> dict[str, Any] | None:
        """The signed-in user of session ``token`` (with ``csrf``), or None."""
        with self._db() as con:
            row = con.execute(
                "SELECT u.id, u.name, u.is_admin, s.csrf FROM sessions s JOIN users u "
                "ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires > ?",
                [digest(token), time.time()]).fetchone()
        return dict(row) if row else None

    def end_session(self, token: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", [digest(token)])

    # first-run setup -----------------------------------------------------------------------
    def new_setup_token(self) -> str:
        """A one-time token that lets whoever holds it create the first admin."""
        token = secrets.token_urlsafe(24)
        with self._tx() as con:
            con.execute("INSERT INTO setup_tokens VALUES (?, ?)", [digest(token), time.time()])
        return token

    def setup_token_valid(self, token: str) -> bool:
        with self._db() as con:
            return con.execute("SELECT 1 FROM setup_tokens WHERE token_hash = ?",
                               [digest(token)]).fetchone() is not None

    def use_setup_token(self, token: str, name: str, password: str) -> int:
        """Create the first admin with ``token``; the token (and all others) then expire."""
        check_name(name, "user name")
        hashed = _hasher.hash(check_password(password))
        with self._tx() as con:
            if con.execute("SELECT 1 FROM setup_tokens WHERE token_hash = ?",
                           [digest(token)]).fetchone() is None:
                raise AccountError("this setup link is not valid (already used?).")
            con.execute("DELETE FROM setup_tokens")
            return self._insert_user(con, name, hashed, True)

    # workspaces ----------------------------------------------------------------------------
    def add_workspace(self, name: str, *, admin_user_id: int | None = None) -> str:
        check_name(name, "workspace name")
        wid = secrets.token_hex(8)
        with self._tx() as con:
            if con.execute("SELECT 1 FROM workspaces WHERE name = ?", [name]).fetchone():
                raise AccountError(f"a workspace named {name!r} already exists.")
            con.execute("INSERT INTO workspaces VALUES (?, ?, ?)", [wid, name, time.time()])
            if admin_user_id is not None:
                con.execute("INSERT INTO memberships VALUES (?, ?, 'admin')",
                            [admin_user_id, wid])
        return wid

    def workspace_file(self, wid: str) -> Path:
        """The DuckDB file of workspace ``wid`` (ids are generated hex, never user text)."""
        if not re.fullmatch(r"[0-9a-f]{16}", wid):
            raise AccountError("bad workspace id.")
        return self.data_dir / "workspaces" / f"{wid}.duckdb"

    def workspace_id(self, name: str) -> str:
        with self._db() as con:
            row = con.execute("SELECT id FROM workspaces WHERE name = ?", [name]).fetchone()
        if row is None:
            raise AccountError(f"no workspace named {name!r}.")
        return str(row["id"])

    def workspaces_of(self, user_id: int) -> list[dict[str, Any]]:
        with self._db() as con:
            rows = con.execute(
                "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w "
                "ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY w.name", [user_id])
            return [dict(r) for r in rows]

    def membership(self, user_id: int, wid: str) -> dict[str, Any] | None:
        """The workspace (id, name, role) if ``user_id`` belongs to it, else None."""
        with self._db() as con:
            row = con.execute(
                "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w "
                "ON w.id = m.workspace_id WHERE m.user_id = ? AND w.id = ?",
                [user_id, wid]).fetchone()
        return dict(row) if row else None

    def grant(self, wid: str, user_name: str, role: str) -> None:
        """Give a user a role in the workspace (replacing their role); the last admin cannot
        be given a lesser role."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}.")
        user = self.user(user_name)
        if user is None:
            raise AccountError(f"no user named {user_name!r}.")
        with self._tx() as con:
            if role != "admin":
                self._keep_an_admin(con, wid, int(user["id"]), user_name)
            con.execute("INSERT INTO memberships VALUES (?, ?, ?) ON CONFLICT "
                        "(user_id, workspace_id) DO UPDATE SET role = excluded.role",
                        [user["id"], wid, role])

    def members(self, wid: str) -> list[dict[str, Any]]:
        with self._db() as con:
            rows = con.execute(
                "SELECT u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE m.workspace_id = ? ORDER BY u.name", [wid])
            return [dict(r) for r in rows]

    @staticmethod
    def _keep_an_admin(con: sqlite3.Connection, wid: str, user_id: int, user_name: str) -> None:
        """Refuse to take the admin role from the workspace's last admin."""
        row = con.execute("SELECT role FROM memberships WHERE user_id = ? AND workspace_id = ?",
                          [user_id, wid]).fetchone()
        if row is not None and row["role"] == "admin" and con.execute(
                "SELECT count(*) FROM memberships WHERE workspace_id = ? AND role = 'admin'",
                [wid]).fetchone()[0] <= 1:
            raise LastAdminError(f"{user_name!r} is the workspace's last admin; make someone "
                                 "else admin first.")

    def revoke(self, wid: str, user_name: str) -> bool:
        """Take a user's role in the workspace away (the user stays); False when the user is
        not a member. Refuses to remove the workspace's last admin."""
        with self._tx() as con:
            row = con.execute(
                "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE m.workspace_id = ? AND u.name = ?", [wid, user_name]).fetchone()
            if row is None:
                return False
            self._keep_an_admin(con, wid, int(row["user_id"]), user_name)
            con.execute("DELETE FROM memberships WHERE user_id = ? AND workspace_id = ?",
                        [row["user_id"], wid])
        return True

    # the index of stored results -----------------------------------------------------------
    def add_result(self, rid: str, wid: str, kind: str, title: str, *, log: str | None = None,
                   user_id: int | None = None, created: float | None = None) -> None:
        """Record a stored comparison or conformance check of workspace ``wid``."""
        try:
            with self._tx() as con:
                con.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [rid, wid, kind, title, log, user_id,
                             time.time() if created is None else created])
        except sqlite3.IntegrityError as err:
            raise AccountError(f"cannot record result {rid!r}: {err}.") from err

    def results(self, wid: str) -> list[dict[str, Any]]:
        """The stored results of a workspace, newest first, with the name of who ran each."""
        with self._db() as con:
            rows = con.execute(
                "SELECT r.id, r.kind, r.title, r.log, u.name AS user, r.created FROM results r "
                "LEFT JOIN users u ON u.id = r.user_id WHERE r.workspace = ? "
                "ORDER BY r.created DESC, r.rowid DESC", [wid])
            return [dict(r) for r in rows]

    def result_ids(self) -> set[str]:
        """The ids of all recorded results."""
        with self._db() as con:
            return {str(r["id"]) for r in con.execute("SELECT id FROM results")}

    def remove_result(self, wid: str, rid: str) -> bool:
        """Forget a stored result; False when the workspace has no such result."""
        with self._tx() as con:
            return con.execute("DELETE FROM results WHERE id = ? AND workspace = ?",
                               [rid, wid]).rowcount > 0

    # uploads waiting for their column mapping ----------------------------------------------
    def upload_path(self, upload_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
            raise AccountError("bad upload id.")
        return self.data_dir / "uploads" / f"{upload_id}.upload"

    def add_upload(self, upload_id: str, wid: str, user_id: int, original_name: str,
                   size: int) -> None:
        with self._tx() as con:
            con.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?)",
                        [upload_id, wid, user_id, original_name[:255], size, time.time()])

    def upload(self, wid: str, upload_id: str) -> dict[str, Any] | None:
        with self._db() as con:
            row = con.execute("SELECT * FROM uploads WHERE id = ? AND workspace_id = ?",
                              [upload_id, wid]).fetchone()
        return dict(row) if row else None

    def forget_stale_uploads(self, max_age: float = UPLOAD_SECONDS) -> None:
        """Delete half-written uploads and uploads not imported within ``max_age`` seconds."""
        folder = self.data_dir / "uploads"
        for partial in folder.glob("*.part"):
            partial.unlink(missing_ok=True)
        with self._tx() as con:
            stale = [r["id"] for r in con.execute("SELECT id FROM uploads WHERE created < ?",
                                                  [time.time() - max_age])]
            con.execute("DELETE FROM uploads WHERE created < ?", [time.time() - max_age])
        known = {r["id"] for r in self._all_uploads()}
        for path in folder.glob("*.upload"):
            if path.stem in stale or path.stem not in known:
                path.unlink(missing_ok=True)

    def _all_uploads(self) -> list[dict[str, Any]]:
        with self._db() as con:
            return [dict(r) for r in con.execute("SELECT id FROM uploads")]

    def remove_upload(self, upload_id: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM uploads WHERE id = ?", [upload_id])
        self.upload_path(upload_id).unlink(missing_ok=True)
