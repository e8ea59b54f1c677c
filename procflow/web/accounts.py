"""Accounts of the web app: users, workspaces, memberships, sessions, setup tokens, uploads,
and the index of stored results (comparisons and conformance checks).

Stored in ``DATA/procflow-web.sqlite`` (stdlib sqlite3, WAL journal). Passwords are argon2
hashes; session and setup tokens are stored as SHA-256 digests, never as given. User names are
unique in their NFKC, case-folded form (``Admin``, ``admin`` and ``Ａdmin`` are one user). Each
call opens its own connection, so the store is safe to use from any thread.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from procflow.core.i18n import Texts
from procflow.errors import ProcflowError
from procflow.web.passwords import weakness

Role = Literal["admin", "analyst", "viewer"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")
DB_NAME = "procflow-web.sqlite"
SESSION_SECONDS = 12 * 3600
UPLOAD_SECONDS = 24 * 3600
SETUP_SECONDS = 24 * 3600
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, name_key TEXT);
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
CREATE TABLE IF NOT EXISTS saved_views (
    workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, name TEXT NOT NULL,
    filters TEXT NOT NULL, user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created REAL NOT NULL, PRIMARY KEY (workspace, name));
CREATE TABLE IF NOT EXISTS last_settings (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, log TEXT NOT NULL,
    query TEXT NOT NULL, updated REAL NOT NULL, PRIMARY KEY (user_id, workspace, log));
"""
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("procflow-dummy-password")
LOG = logging.getLogger("procflow.web")


class AccountError(ProcflowError):
    """An account operation cannot be done (unknown user, name taken, weak password).

    ``message`` may hold ``{placeholders}`` filled from ``values``; pages show it translated
    (:meth:`translated`)."""

    def __init__(self, message: str, **values: Any):
        self.template = message
        self.values = values
        super().__init__(message.format(**values) if values else message)

    def translated(self, t: Texts) -> str:
        """The message in the language of ``t`` (English when it has no translation)."""
        return t(self.template, **self.values)


SETUP_GONE = ("this setup link is not valid: it was used, it is older than 24 hours, or the "
              "site has an administrator already; sign in, or ask an administrator for an "
              "account.")


class LastAdminError(AccountError):
    """Removing this member would leave the workspace without an admin."""


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def name_key(name: str) -> str:
    """The form in which user names are compared: NFKC, case-folded (``Ａdmin`` → ``admin``)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def check_name(name: str, what: str = "name") -> str:
    """A user or workspace name in NFKC form: letters, digits, ``. _ - @``, at most 64
    characters."""
    normal = unicodedata.normalize("NFKC", name or "")
    if not NAME_PATTERN.match(normal):
        raise AccountError(f"invalid {what} {name!r}: use 1–64 letters, digits, '.', '_', '-'"
                           " or '@'.")
    return normal


WORKSPACE_PATTERN = re.compile(r"^\w[\w .@()&,'-]{0,63}$")


def check_workspace_name(name: str) -> str:
    """A workspace's display name in NFKC form with single spaces: letters, digits, spaces and
    ``. _ - @ ( ) & , '``, at most 64 characters (``DPMPTSP Kota Makassar``)."""
    normal = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not WORKSPACE_PATTERN.match(normal):
        raise AccountError(f"invalid workspace name {name!r}: use 1–64 letters, digits, spaces "
                           "and . _ - @ ( ) & , ' (starting with a letter or digit).")
    return normal


def check_password(password: str, user_name: str = "") -> str:
    """A password that is long enough and not common (:func:`procflow.web.passwords.weakness`);
    else an :class:`AccountError` saying why and what to choose instead."""
    found = weakness(password or "", user_name)
    if found is not None:
        message, values = found
        raise AccountError(message, **values)
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
        self._key_names()

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

    def _key_names(self) -> None:
        """Give every user its name key (databases made before keys existed) and index them;
        the index is unique unless older rows already share a key."""
        with self._tx() as con:
            if "name_key" not in {r["name"] for r in con.execute("PRAGMA table_info(users)")}:
                con.execute("ALTER TABLE users ADD COLUMN name_key TEXT")
            for row in con.execute("SELECT id, name FROM users WHERE name_key IS NULL"
                                   ).fetchall():
                con.execute("UPDATE users SET name_key = ? WHERE id = ?",
                            [name_key(row["name"]), row["id"]])
        with self._db() as con:
            try:
                con.execute("CREATE UNIQUE INDEX IF NOT EXISTS users_by_key ON users (name_key)")
            except sqlite3.IntegrityError:
                LOG.warning("some user names differ only in case or width; new names are "
                            "still checked against all of them")
                con.execute("CREATE INDEX IF NOT EXISTS users_by_key_shared ON users (name_key)")

    # users ---------------------------------------------------------------------------------
    def user_count(self) -> int:
        with self._db() as con:
            return int(con.execute("SELECT count(*) FROM users").fetchone()[0])

    def admin_count(self) -> int:
        """How many users are site administrators."""
        with self._db() as con:
            return int(con.execute("SELECT count(*) FROM users WHERE is_admin").fetchone()[0])

    def add_user(self, name: str, password: str, *, admin: bool = False) -> int:
        """A new user; a new administrator also revokes every setup link."""
        name = check_name(name, "user name")
        hashed = _hasher.hash(check_password(password, name))
        with self._tx() as con:
            return self._insert_user(con, name, hashed, admin)

    @staticmethod
    def _insert_user(con: sqlite3.Connection, name: str, hashed: str, admin: bool) -> int:
        taken = con.execute("SELECT name FROM users WHERE name_key = ?",
                            [name_key(name)]).fetchone()
        if taken:
            message = ("A user named {existing} already exists, and the user name {name} "
                       "counts as the same name (names are compared without regard to case or "
                       "character width); choose another name.")
            raise AccountError(message, name=repr(name), existing=repr(taken["name"]))
        cur = con.execute("INSERT INTO users (name, password_hash, is_admin, created, name_key) "
                          "VALUES (?, ?, ?, ?, ?)",
                          [name, hashed, int(admin), time.time(), name_key(name)])
        if admin:
            con.execute("DELETE FROM setup_tokens")
        return int(cur.lastrowid or 0)

    def user(self, name: str) -> dict[str, Any] | None:
        """The user called ``name`` (compared by :func:`name_key`; where older names share a
        key, only the exact name finds its user)."""
        with self._db() as con:
            rows = con.execute("SELECT * FROM users WHERE name_key = ? ORDER BY id",
                               [name_key(name or "")]).fetchall()
        exact = [r for r in rows if r["name"] == unicodedata.normalize("NFKC", name or "")]
        found = exact[0] if exact else (rows[0] if len(rows) == 1 else None)
        return dict(found) if found else None

    def _known(self, name: str) -> dict[str, Any]:
        found = self.user(name)
        if found is None:
            raise AccountError(f"no user named {name!r}; check the name (procflow user add "
                               "creates one).")
        return found

    def set_password(self, name: str, password: str) -> None:
        """A new password for the user; their sessions end."""
        found = self._known(name)
        hashed = _hasher.hash(check_password(password, str(found["name"])))
        with self._tx() as con:
            con.execute("UPDATE users SET password_hash = ? WHERE id = ?", [hashed, found["id"]])
            con.execute("DELETE FROM sessions WHERE user_id = ?", [found["id"]])

    def remove_user(self, name: str) -> None:
        found = self._known(name)
        with self._tx() as con:
            con.execute("DELETE FROM users WHERE id = ?", [found["id"]])

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
        """A one-time token that lets whoever holds it create the first admin: it works for
        :data:`SETUP_SECONDS` and only while the site has no administrator."""
        token = secrets.token_urlsafe(24)
        with self._tx() as con:
            con.execute("INSERT INTO setup_tokens VALUES (?, ?)", [digest(token), time.time()])
        return token

    @staticmethod
    def _setup_open(con: sqlite3.Connection, token: str) -> bool:
        """Whether ``token`` may still create the first admin (and drop expired tokens)."""
        con.execute("DELETE FROM setup_tokens WHERE created < ?", [time.time() - SETUP_SECONDS])
        if con.execute("SELECT 1 FROM users WHERE is_admin").fetchone() is not None:
            con.execute("DELETE FROM setup_tokens")
            return False
        return con.execute("SELECT 1 FROM setup_tokens WHERE token_hash = ?",
                           [digest(token)]).fetchone() is not None

    def setup_token_valid(self, token: str) -> bool:
        with self._tx() as con:
            return self._setup_open(con, token)

    def use_setup_token(self, token: str, name: str, password: str) -> int:
        """Create the first admin with ``token``; the token (and all others) then expire."""
        name = check_name(name, "user name")
        hashed = _hasher.hash(check_password(password, name))
        with self._tx() as con:
            if not self._setup_open(con, token):
                raise AccountError(SETUP_GONE)
            return self._insert_user(con, name, hashed, True)

    # workspaces ----------------------------------------------------------------------------
    def add_workspace(self, name: str, *, admin_user_id: int | None = None) -> str:
        name = check_workspace_name(name)
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
        """The id of the workspace called ``name`` (spaces and width as when it was made)."""
        normal = " ".join(unicodedata.normalize("NFKC", name or "").split())
        with self._db() as con:
            row = con.execute("SELECT id FROM workspaces WHERE name = ?", [normal]).fetchone()
        if row is None:
            raise AccountError(f"no workspace named {name!r}.")
        return str(row["id"])

    def workspace_names(self) -> list[str]:
        """The names of every workspace on the server, sorted."""
        with self._db() as con:
            return [str(r[0]) for r in con.execute("SELECT name FROM workspaces ORDER BY name")]

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
        user = self.user(user_name)
        if user is None:
            return False
        with self._tx() as con:
            row = con.execute("SELECT user_id FROM memberships WHERE workspace_id = ? "
                              "AND user_id = ?", [wid, user["id"]]).fetchone()
            if row is None:
                return False
            self._keep_an_admin(con, wid, int(row["user_id"]), str(user["name"]))
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

    # saved views: named filters of a workspace --------------------------------------------
    def save_view(self, wid: str, name: str, filters: str, user_id: int | None) -> None:
        """Store (or replace) the view ``name`` of workspace ``wid``: filters as JSON."""
        with self._tx() as con:
            con.execute("INSERT OR REPLACE INTO saved_views VALUES (?, ?, ?, ?, ?)",
                        [wid, name, filters, user_id, time.time()])

    def saved_views(self, wid: str) -> list[dict[str, Any]]:
        """The saved views of a workspace by name, with who saved each."""
        with self._db() as con:
            rows = con.execute(
                "SELECT v.name, v.filters, u.name AS user, v.created FROM saved_views v "
                "LEFT JOIN users u ON u.id = v.user_id WHERE v.workspace = ? ORDER BY v.name",
                [wid])
            return [dict(r) for r in rows]

    def remove_view(self, wid: str, name: str) -> bool:
        """Forget a saved view; False when the workspace has none of that name."""
        with self._tx() as con:
            return con.execute("DELETE FROM saved_views WHERE workspace = ? AND name = ?",
                               [wid, name]).rowcount > 0

    # the last settings of each user on each log page -----------------------------------------
    def keep_settings(self, user_id: int, wid: str, log: str, query: str) -> None:
        """Remember the query string of ``user_id``'s last view of ``log`` ("" forgets it)."""
        with self._tx() as con:
            if query:
                con.execute("INSERT OR REPLACE INTO last_settings VALUES (?, ?, ?, ?, ?)",
                            [user_id, wid, log, query, time.time()])
            else:
                con.execute("DELETE FROM last_settings WHERE user_id = ? AND workspace = ? "
                            "AND log = ?", [user_id, wid, log])

    def last_settings(self, user_id: int, wid: str, log: str) -> str:
        """The query string ``user_id`` last viewed ``log`` with ("" for none)."""
        with self._db() as con:
            row = con.execute("SELECT query FROM last_settings WHERE user_id = ? AND "
                              "workspace = ? AND log = ?", [user_id, wid, log]).fetchone()
            return str(row["query"]) if row else ""

    def forget_settings(self, wid: str, log: str) -> None:
        """Forget every user's settings of ``log`` (removed or replaced)."""
        with self._tx() as con:
            con.execute("DELETE FROM last_settings WHERE workspace = ? AND log = ?", [wid, log])

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

    def forget_stale_uploads(self, max_age: float = UPLOAD_SECONDS, *, grace: float = 0.0,
                             keep: frozenset[str] = frozenset()) -> list[str]:
        """Delete uploads not imported within ``max_age`` seconds (file and record), except the
        ids in ``keep`` (imports waiting or running), and files of no upload (half-written
        uploads, org charts of imports that never ended) older than ``grace`` seconds.
        Returns the ids of the uploads deleted."""
        folder = self.data_dir / "uploads"
        now = time.time()

        def untracked_and_old(path: Path) -> bool:
            try:
                return path.stat().st_mtime <= now - grace
            except FileNotFoundError:
                return False

        with self._tx() as con:
            stale = [str(r["id"]) for r in con.execute(
                "SELECT id FROM uploads WHERE created < ?", [now - max_age]) if r["id"] not in keep]
            con.executemany("DELETE FROM uploads WHERE id = ?", [[i] for i in stale])
        known = {r["id"] for r in self._all_uploads()} | keep
        for path in folder.iterdir():
            stale_upload = path.suffix == ".upload" and path.stem in stale
            untracked = path.stem not in known and untracked_and_old(path)
            if path.is_file() and (stale_upload or untracked):
                path.unlink(missing_ok=True)
        return stale

    def _all_uploads(self) -> list[dict[str, Any]]:
        with self._db() as con:
            return [dict(r) for r in con.execute("SELECT id FROM uploads")]

    def remove_upload(self, upload_id: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM uploads WHERE id = ?", [upload_id])
        self.upload_path(upload_id).unlink(missing_ok=True)
