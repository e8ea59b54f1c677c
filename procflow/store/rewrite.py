"""Rewriting a workspace file so that deleted data leaves its bytes.

DuckDB reuses the blocks of deleted rows but does not clear them, so a removed or replaced log
(its names, its raw file) can still be read from the file, even after CHECKPOINT or VACUUM. A
rewrite copies what is live (every table with its types and constraints, the sequences, the
derived tables) into a new file beside the workspace and puts it in the workspace's place:

1. the change that deletes data commits together with a mark (:func:`mark`);
2. :func:`copy_live` copies the live contents into ``<file>.rewrite`` without the mark, and
   closes that file (checkpointed, synced);
3. :func:`swap_in` closes the workspace (checkpointed: no write-ahead log is left), checks that
   nothing else has it open, and renames the new file over it (``os.replace``; the folder is
   synced), then opens it again.

Killed before the rename, the old file is whole and still marked, and the next open of the
workspace does the rewrite again; killed after, the new file is whole. While swapping, the
folder is locked (:func:`folder_lock`), which :func:`connect` honours, so no other process
opens the old file in between.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from procflow.core import db
from procflow.errors import WorkspaceError

#: The settings key marking a workspace whose file still holds deleted data.
PENDING = "rewrite_pending"
_ALIAS = "pf_rewrite"


def temp_path(path: Path) -> Path:
    """Where the new file is written before it replaces ``path``."""
    return path.with_name(path.name + ".rewrite")


def wal_path(path: Path) -> Path:
    """DuckDB's write-ahead log of the database file ``path``."""
    return path.with_name(path.name + ".wal")


@contextlib.contextmanager
def folder_lock(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Lock the folder of ``path``: shared to open a workspace file, exclusive to swap one."""
    fd = os.open(path.resolve().parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the workspace file ``path``, never the old file of a swap under way."""
    with folder_lock(path, exclusive=False):
        return db.connect(str(path))


def mark(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the workspace for a rewrite (in the transaction that deletes data)."""
    db.run(con, "INSERT OR REPLACE INTO settings VALUES (?, '1')", [PENDING])


def pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the workspace of ``con`` is marked for a rewrite."""
    return db.one(con, "SELECT 1 FROM settings WHERE key = ?", [PENDING]) is not None


def discard(path: Path) -> None:
    """Delete what an interrupted rewrite of ``path`` left beside it."""
    for leftover in (temp_path(path), wal_path(temp_path(path))):
        leftover.unlink(missing_ok=True)


def copy_live(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Copy the live contents of the workspace ``path`` (open on ``con``, in no transaction)
    into a new file beside it, without the rewrite mark; returns that file, closed and
    synced."""
    target = temp_path(path)
    discard(path)
    source = str(db.scalar(con, "SELECT current_database()")).replace('"', '""')
    try:
        db.run(con, f"ATTACH '{_quoted(target)}' AS {_ALIAS}")
        try:
            db.run(con, f'COPY FROM DATABASE "{source}" TO {_ALIAS}')
            db.run(con, f"DELETE FROM {_ALIAS}.settings WHERE key = ?", [PENDING])
        finally:
            db.run(con, f"DETACH {_ALIAS}")
        _sync(target)
    except (duckdb.Error, OSError) as err:
        discard(path)
        raise WorkspaceError(f"cannot rewrite the workspace ({err}).", source=str(path),
                             fix="free disk space beside it; the rewrite is done again when "
                                 "the workspace is next opened.") from err
    if wal_path(target).exists():
        discard(path)
        raise WorkspaceError("the rewritten workspace was not closed cleanly.",
                             source=str(path), fix="open the workspace again to retry.")
    return target


class Postponed(WorkspaceError):
    """The new file could not replace the workspace now; ``con`` is a connection to the
    workspace (the old file, still marked for a rewrite)."""

    def __init__(self, message: str, *, source: str, fix: str,
                 con: duckdb.DuckDBPyConnection):
        super().__init__(message, source=source, fix=fix)
        self.con = con


def swap_in(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyConnection:
    """Close ``con`` (the only connection to ``path``), put the file :func:`copy_live` wrote
    in its place, and return a connection to it. When something else still has ``path``
    open, :class:`Postponed` carries a connection to the old file, still marked."""
    target = temp_path(path)
    with folder_lock(path, exclusive=True):
        db.run(con, "CHECKPOINT")
        con.close()
        problem = _still_open(path)
        if problem is None and wal_path(path).exists() and wal_path(path).stat().st_size:
            problem = "its write-ahead log was not merged into it"
        if problem is None:
            os.replace(target, path)
            _sync(path.parent)
        reopened = db.connect(str(path))
    if problem is not None:
        discard(path)
        raise Postponed(f"the deleted data is still in the file's bytes: it cannot be "
                        f"rewritten now, {problem}.", source=str(path),
                        fix="close other procflow processes or connections using it; the "
                            "rewrite is done when the workspace is next opened.",
                        con=reopened)
    return reopened


def rewrite(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyConnection:
    """:func:`copy_live` then :func:`swap_in`: returns the connection to the new file."""
    copy_live(con, path)
    return swap_in(con, path)


def _still_open(path: Path) -> str | None:
    """Why ``path`` cannot be replaced now (another connection or process has it open)."""
    try:
        probe = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        return f"it is still open elsewhere ({err})"
    probe.close()
    return None


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
