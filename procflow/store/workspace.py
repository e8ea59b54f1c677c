"""The workspace: one DuckDB file holding a registry of logs, their raw files and events.

Each import is one transaction: the raw bytes, the events table and the registry row are
committed together or not at all, so a killed import leaves the workspace as it was. Removing
or replacing a log rewrites the file (:mod:`procflow.store.rewrite`), so that the deleted
events, names and raw file leave its bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from procflow.core import db
from procflow.errors import WorkspaceError
from procflow.eventlog import EventLog
from procflow.ingest.schema import FIELDS
from procflow.ingest.sniff import Limits, ProgressFn
from procflow.store import pseudonyms, rewrite

if TYPE_CHECKING:
    from procflow.ingest.importer import ImportOptions
    from procflow.ingest.validate import ImportReport

DEFAULT_PATH = Path("procflow.duckdb")
RAW_PART = 8 * 1024 * 1024
#: How the raw file's parts are stored: each a zstd frame (level 1). DuckDB compressing
#: large blobs itself when the import commits took as long as the rest of a CSV import and
#: more memory than its limit; parts of workspaces made before have no codec (stored plain).
RAW_CODEC = "zstd"
SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS log_ids START 1;
CREATE TABLE IF NOT EXISTS logs (
    log_id INTEGER PRIMARY KEY, name VARCHAR UNIQUE NOT NULL, source_name VARCHAR,
    sha256 VARCHAR, format VARCHAR, mapping VARCHAR, options VARCHAR,
    imported_at TIMESTAMPTZ, cases BIGINT, events BIGINT, activities BIGINT,
    report VARCHAR, raw_kept BOOLEAN);
CREATE TABLE IF NOT EXISTS raw_files (sha256 VARCHAR, part INTEGER, data BLOB, codec VARCHAR);
ALTER TABLE raw_files ADD COLUMN IF NOT EXISTS codec VARCHAR;
CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR);
"""


@dataclass(frozen=True)
class ImportResult:
    """Outcome of :meth:`Workspace.import_file`."""

    name: str
    cases: int
    events: int
    activities: int
    report: ImportReport | None
    unchanged: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape: name, counts, rejected, and the full report."""
        return {
            "name": self.name, "cases": self.cases, "events": self.events,
            "activities": self.activities, "unchanged": self.unchanged,
            "rejected": self.report.rejected if self.report else {},
            "report": self.report.to_dict() if self.report else None,
        }


class Workspace:
    """A DuckDB workspace file; use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path | str = DEFAULT_PATH,
                 con: duckdb.DuckDBPyConnection | None = None):
        """Open the file at ``path``, or use ``con``, a connection to that file already open
        (whose schema is in place): :meth:`close` then closes only ``con``."""
        self.path = Path(path)
        self.owned = con is None
        if con is not None:
            self.con = con
            return
        try:
            self.con = rewrite.connect(self.path)
        except (duckdb.Error, OSError) as err:
            raise WorkspaceError(f"cannot open the workspace ({err}).", source=str(self.path),
                                 fix="close other procflow processes using it.") from err
        db.run(self.con, SCHEMA)
        if not rewrite.pending(self.con):
            rewrite.discard(self.path)
            return
        try:
            self.con = rewrite.rewrite(self.con, self.path)
        except rewrite.Postponed as err:
            self.con = err.con  # still marked: the next open tries again

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database file."""
        self.con.close()

    def import_file(
        self,
        path: Path | str,
        *,
        name: str | None = None,
        options: ImportOptions | None = None,
        pseudonymize_resources: bool = False,
        replace: bool = False,
        limits: Limits | None = None,
        progress: ProgressFn | None = None,
    ) -> ImportResult:
        """Import a file as log ``name`` (default: the file's stem), all or nothing."""
        path = Path(path)
        name = name or path.name.split(".")[0]
        digest = _sha256(path)
        same = self._unchanged(name, digest, replace)
        if same is not None:
            return same
        from procflow.ingest.importer import ImportOptions

        options = options or ImportOptions()
        if pseudonymize_resources or options.pseudonymize:
            loaded = load_file(path, options, limits=limits, progress=progress, digest=digest)
            return self.store(loaded, name=name, pseudonymize_resources=pseudonymize_resources,
                              replace=replace)
        return self._import(path, name, digest, options, limits, progress)

    def _import(self, path: Path, name: str, digest: str, options: ImportOptions,
                limits: Limits | None, progress: ProgressFn | None) -> ImportResult:
        """Read ``path`` straight into the workspace (a large CSV or Parquet file in
        batches), all or nothing."""
        from procflow.ingest.importer import stream_events

        existing = self._row(name)
        with self._all_or_nothing(importing=name):
            if existing:
                self._drop(existing)
            log_id = db.scalar(self.con, "SELECT nextval('log_ids')")
            report = stream_events(self.con, f"events_{log_id}", path, options, limits=limits,
                                   progress=progress)
            counts = self._register(log_id, name, path, digest, options.to_dict(), report,
                                    keep_raw=True)
        return ImportResult(name, *counts, report=report)

    def store(self, loaded: LoadedFile, *, name: str, pseudonymize_resources: bool = False,
              replace: bool = False) -> ImportResult:
        """Store a file read by :func:`load_file` as log ``name``, all or nothing (replacing
        a log rewrites the file, as :meth:`remove` does)."""
        same = self._unchanged(name, loaded.digest, replace)
        if same is not None:
            return same
        existing = self._row(name)
        events, report, options = loaded.events, loaded.report, loaded.options
        hidden = pseudonymize_resources or options.pseudonymize
        recorded = options.to_dict()
        if hidden:
            events, recorded["pseudonymized"] = pseudonyms.pseudonymize_log(
                self.con, name, events, report, options)
            recorded["pseudonymize"] = True
        with self._all_or_nothing(importing=name):
            if existing:
                self._drop(existing)
            counts = self._store(name, loaded.path, loaded.digest, recorded, events,
                                 report, keep_raw=not hidden)
        return ImportResult(name, *counts, report=report)

    def store_log(self, log: EventLog, *, name: str, notes: Sequence[str] = (),
                  replace: bool = False) -> ImportResult:
        """Store the events of ``log`` (a filtered log, say) as a new log ``name`` by the
        import path: written as Parquet in event order, read back with the canonical columns
        mapped to themselves and stored with its derived tables in one transaction. The new
        log keeps ``log``'s import zone; ``notes`` go into its import report."""
        from procflow.ingest.importer import ImportOptions
        from procflow.store.export import canonical_parquet

        with tempfile.TemporaryDirectory() as tmp:
            path = canonical_parquet(log, Path(tmp) / "events.parquet")
            options = ImportOptions(format="parquet", columns={f: f for f in FIELDS},
                                    tz=log.zone)
            loaded = load_file(path, options)
            loaded.report.notes.extend(notes)
            return self.store(loaded, name=name, replace=replace)

    def _unchanged(self, name: str, digest: str, replace: bool) -> ImportResult | None:
        """The stored log when it holds this very file; an error when another file holds
        the name (and ``replace`` is off); else None."""
        existing = self._row(name)
        if existing and existing["sha256"] == digest and not replace:
            return ImportResult(name, existing["cases"], existing["events"],
                                existing["activities"], None, unchanged=True)
        if existing and not replace:
            raise WorkspaceError(f"a different log named {name!r} is already in the workspace.",
                                 fix="pass --name NEW_NAME, or --replace to overwrite it.",
                                 code="log_exists", params={"name": name})
        return None

    def _store(self, name: str, path: Path, digest: str, options: ImportOptions | dict[str, Any],
               events: pa.Table, report: ImportReport, *, keep_raw: bool) -> tuple[int, int, int]:
        log_id = db.scalar(self.con, "SELECT nextval('log_ids')")
        self.con.register("incoming", events)
        db.run(self.con, f"CREATE TABLE events_{log_id} AS SELECT * FROM incoming")
        self.con.unregister("incoming")
        return self._register(log_id, name, path, digest, options, report, keep_raw=keep_raw)

    def _register(self, log_id: int, name: str, path: Path, digest: str,
                  options: ImportOptions | dict[str, Any], report: ImportReport, *,
                  keep_raw: bool) -> tuple[int, int, int]:
        """Derived tables, raw bytes and the registry row of the stored ``events_<log_id>``."""
        from procflow.measure.prepare import build_cache

        build_cache(self.con, f"events_{log_id}")
        if keep_raw:
            self._keep_raw(path, digest)
        table = f"events_{log_id}"
        cases, n, acts = db.one(  # the dictionaries hold the distinct names
            self.con, f"SELECT (SELECT count(*) FROM {table}_dict_case_id), count(*), "
            f"(SELECT count(*) FROM {table}_dict_activity) FROM {table}") or (0, 0, 0)
        db.run(
            self.con,
            "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?)",
            [log_id, name, Path(report.source).name, digest, report.format,
             json.dumps(report.mapping),
             json.dumps(options if isinstance(options, dict) else options.to_dict()), cases, n,
             acts,
             json.dumps(report.to_dict(sample=1000), default=str), keep_raw],
        )
        return cases, n, acts

    def _keep_raw(self, path: Path, digest: str) -> None:
        if db.one(self.con, "SELECT 1 FROM raw_files WHERE sha256 = ?", [digest]):
            return
        codec = pa.Codec(RAW_CODEC, compression_level=1)
        with open(path, "rb") as f:
            for part, chunk in enumerate(iter(lambda: f.read(RAW_PART), b"")):
                db.run(self.con, "INSERT INTO raw_files (sha256, part, data, codec) "
                       "VALUES (?, ?, ?, ?)",
                       [digest, part, codec.compress(chunk, asbytes=True), RAW_CODEC])

    def _drop(self, row: dict[str, Any]) -> None:
        from procflow.measure.prepare import drop_cache

        drop_cache(self.con, f"events_{row['log_id']}")
        db.run(self.con, f"DROP TABLE IF EXISTS events_{row['log_id']}")
        db.run(self.con, "DELETE FROM logs WHERE log_id = ?", [row["log_id"]])
        db.run(self.con, "DELETE FROM raw_files WHERE sha256 = ? AND sha256 NOT IN "
               "(SELECT sha256 FROM logs)", [row["sha256"]])
        rewrite.mark(self.con)

    def _rewrite_if_marked(self) -> None:
        """Rewrite the file after a change that deleted data (a workspace on a connection it
        was given leaves that to the connection's owner: :mod:`procflow.web.service`)."""
        if self.owned and rewrite.pending(self.con):
            try:
                self.con = rewrite.rewrite(self.con, self.path)
            except rewrite.Postponed as err:
                self.con = err.con
                raise

    def _row(self, name: str) -> dict[str, Any] | None:
        cur = self.con.execute("SELECT * FROM logs WHERE name = ?", [name])
        found = cur.fetchall()
        if not found:
            return None
        return dict(zip([d[0] for d in cur.description], found[0], strict=True))

    def entry(self, name: str) -> dict[str, Any]:
        """The registry row of log ``name``; an error naming the logs there are if none."""
        row = self._row(name)
        if row is None:
            known = ", ".join(log["name"] for log in self.logs()) or "none"
            raise WorkspaceError(f"no log named {name!r} in {self.path} (logs: {known}).",
                                 fix="run `procflow logs` to list them.")
        return row

    def logs(self) -> list[dict[str, Any]]:
        """Registry rows: name, source file, counts, import time."""
        cur = self.con.execute("SELECT name, source_name, format, cases, events, activities, "
                               "imported_at, sha256 FROM logs ORDER BY name")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def log(self, name: str) -> EventLog:
        """The stored log ``name``."""
        row = self.entry(name)
        zone = json.loads(row["options"] or "{}").get("tz")
        return EventLog(name, self.con, f"events_{row['log_id']}", zone=zone)

    def info(self, name: str) -> dict[str, Any]:
        """Counts, time span, columns present, mapping and import report of ``name``."""
        row = self.entry(name)
        log = self.log(name)
        options = json.loads(row["options"])
        return {**log.summary(), "source_name": row["source_name"], "format": row["format"],
                "sha256": row["sha256"], "imported_at": row["imported_at"].isoformat(),
                "raw_kept": row["raw_kept"], "columns": log.columns(),
                "mapping": json.loads(row["mapping"]), "options": options,
                "pseudonymized": pseudonyms.recorded(options, row["raw_kept"],
                                                     pseudonyms.stored_key(self.con)) or None,
                "report": json.loads(row["report"])}

    def raw_bytes(self, name: str) -> bytes:
        """The imported file, byte for byte."""
        row = self.entry(name)
        parts = db.rows(self.con, "SELECT data, codec FROM raw_files WHERE sha256 = ? "
                        "ORDER BY part", [row["sha256"]])
        if not row["raw_kept"]:
            raise WorkspaceError(f"the raw file of {name!r} was not kept (pseudonymised import).")
        return b"".join(_unpacked(data, codec) for data, codec in parts)

    @contextlib.contextmanager
    def _all_or_nothing(self, importing: str | None = None) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back (and re-raised) on any
        error or interruption; then the file is rewritten if a removal marked it. When the
        import of log ``importing`` runs out of memory or disk, the error says which and
        what to change."""
        self.con.begin()
        try:
            yield
            self.con.commit()
        except BaseException as err:
            self.con.rollback()
            what = db.exhausted(err) if importing is not None else None
            if what is not None:
                raise _exhausted(importing or "", what, db.temp_folder(self.con),
                                 str(err).split("\n")[0]) from err
            raise
        self._rewrite_if_marked()

    def remove(self, name: str) -> None:
        """Delete log ``name`` with its events and (if unshared) its raw file, then rewrite the
        file so that they leave its bytes; logs taken from this workspace before are then
        closed (take them again with :meth:`log`)."""
        row = self.entry(name)
        with self._all_or_nothing():
            self._drop(row)


def _exhausted(name: str, what: str, folder: str, said: str) -> WorkspaceError:
    """The error of an import of log ``name`` that ran out of ``what`` (memory or disk);
    ``said`` is DuckDB's own first line."""
    if what == "memory":
        return WorkspaceError(
            f"importing {name!r} ran out of memory: DuckDB's limit of {db.MEMORY_LIMIT} was "
            f"reached by work it cannot spill to disk ({said}). The workspace is unchanged.",
            fix="set PROCFLOW_MEMORY_LIMIT higher (e.g. PROCFLOW_MEMORY_LIMIT=8GB, below the "
                "machine's free memory) and import again.",
            code="import_out_of_memory", params={"name": name, "limit": db.MEMORY_LIMIT})
    return WorkspaceError(
        f"importing {name!r} ran out of disk space in DuckDB's spill folder {folder} "
        f"({said}). The workspace is unchanged.",
        fix=f"free space on the disk of {folder} (a large import spills several times the "
            "file's size there) and import again.",
        code="import_disk_full", params={"name": name, "folder": folder})


@dataclass(frozen=True)
class LoadedFile:
    """A file read and checked, ready for :meth:`Workspace.store`."""

    path: Path
    digest: str
    options: ImportOptions
    events: pa.Table
    report: ImportReport


def load_file(path: Path | str, options: ImportOptions | None = None, *,
              limits: Limits | None = None, progress: ProgressFn | None = None,
              digest: str | None = None) -> LoadedFile:
    """Read and check ``path`` for :meth:`Workspace.store`; needs no workspace, so it can run
    while another import of the same workspace is being stored."""
    from procflow.ingest.importer import ImportOptions, load_events

    path = Path(path)
    options = options or ImportOptions()
    events, report = load_events(path, options, limits=limits, progress=progress)
    return LoadedFile(path, digest or _sha256(path), options, events, report)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unpacked(data: bytes, codec: str | None) -> bytes:
    """A stored part of a raw file as it was read (a part without a codec is stored plain)."""
    if codec is None:
        return data
    return pa.input_stream(pa.py_buffer(data), compression=codec).read()
