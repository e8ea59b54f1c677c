"""A workspace's pseudonyms: which key makes them, and what each log's registry row records.

The key is the file named by ``PROCFLOW_PSEUDONYM_KEY_FILE`` when it is set, else one stored
in the workspace (made on first use). Every pseudonymised log of a workspace must use the same
key, or the same person would get two codes; a log records the columns pseudonymised, where
its key is kept and the key's id (:func:`procflow.ingest.privacy.key_id`), never the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from procflow.core import db
from procflow.errors import WorkspaceError
from procflow.ingest import privacy
from procflow.ingest.notes import Note
from procflow.ingest.schema import ATTRIBUTE_PREFIX

if TYPE_CHECKING:
    from procflow.ingest.importer import ImportOptions
    from procflow.ingest.validate import ImportReport

#: Where the key of a log's pseudonyms is kept, in words.
KEY_WORDS = {"file": "key from an outside key file, not stored in this workspace",
             "workspace": "key stored in this workspace"}


def pseudonymize_log(con: duckdb.DuckDBPyConnection, name: str, events: pa.Table,
                     report: ImportReport, options: ImportOptions
                     ) -> tuple[pa.Table, dict[str, Any]]:
    """Give the resource and ``options.pseudonymize_columns`` of log ``name`` keyed codes
    (names quoted in the report's notes too); returns the events and what the registry
    records about them."""
    columns = privacy.columns_to_pseudonymize(events.column_names, report.mapping,
                                              options.pseudonymize_columns)
    key, where = choose_key(con, name)
    events, codes = privacy.pseudonymize(events, key, columns)
    report.notes[:] = [_pseudonymized(n, codes) for n in report.notes]
    shown = [_column_label(c, report.mapping) for c in columns]
    report.notes.append(Note(f"{', '.join(shown)} pseudonymised ({KEY_WORDS[where]}); the raw "
                             "file was not kept.", "pseudonymised", columns=shown, key=where))
    return events, {"columns": shown, "key": where, "key_id": privacy.key_id(key)}


def choose_key(con: duckdb.DuckDBPyConnection, name: str) -> tuple[bytes, str]:
    """The key for the pseudonyms of log ``name`` and where it is kept (``file`` or
    ``workspace``); a WorkspaceError when the workspace's other pseudonymised logs were made
    with another key."""
    used = used_keys(con, excluding=name)
    outside = privacy.key_file()
    if outside is not None:
        key, where = privacy.read_key_file(outside), "file"
    else:
        stored = stored_key(con)
        if stored is None and used:
            kid, logs = next(iter(used.items()))
            raise WorkspaceError(
                f"the pseudonyms of {', '.join(map(repr, logs))} were made with a key kept "
                f"outside this workspace (key id {kid}).",
                fix=f"set {privacy.KEY_FILE_ENV} to that key file and import again.")
        key, where = stored or _new_stored_key(con), "workspace"
    kid = privacy.key_id(key)
    others = {k: logs for k, logs in used.items() if k != kid}
    if others:
        kid_other, logs = next(iter(others.items()))
        raise WorkspaceError(
            f"the pseudonyms of {', '.join(map(repr, logs))} in this workspace were made with "
            f"another key (key id {kid_other}; this one is {kid}): the same person would get "
            "two codes.",
            fix=f"set {privacy.KEY_FILE_ENV} to the key file used for them (or unset it if "
                "they used the workspace's key), or import into another workspace.")
    return key, where


def used_keys(con: duckdb.DuckDBPyConnection, *, excluding: str) -> dict[str, list[str]]:
    """The key ids of the workspace's pseudonymised logs (but ``excluding``), with their
    names."""
    stored = stored_key(con)
    found: dict[str, list[str]] = {}
    for log_name, options, raw_kept in db.rows(
            con, "SELECT name, options, raw_kept FROM logs WHERE name <> ? ORDER BY name",
            [excluding]):
        kid = recorded(options, raw_kept, stored).get("key_id")
        if kid:
            found.setdefault(kid, []).append(log_name)
    return found


def recorded(options: str | dict[str, Any], raw_kept: bool, stored: bytes | None
             ) -> dict[str, Any]:
    """What a log's registry row (its options and raw_kept) says about its pseudonyms:
    columns, where the key is kept and its id; empty for a log in clear. A log pseudonymised
    before these were recorded used the workspace's key on the resource."""
    found = json.loads(options) if isinstance(options, str) else options
    if "pseudonymized" in found:
        return dict(found["pseudonymized"])
    if raw_kept or "pseudonymize" in found:
        return {}
    return {"columns": ["resource"], "key": "workspace",
            "key_id": privacy.key_id(stored) if stored else None}


def stored_key(con: duckdb.DuckDBPyConnection) -> bytes | None:
    """The key stored in the workspace, if any."""
    stored = db.scalar(con, "SELECT value FROM settings WHERE key = 'pseudonym_key'")
    return bytes.fromhex(stored) if stored else None


def _new_stored_key(con: duckdb.DuckDBPyConnection) -> bytes:
    key = privacy.new_key()
    db.run(con, "INSERT INTO settings VALUES ('pseudonym_key', ?)", [key.hex()])
    return key


def _column_label(column: str, mapping: dict[str, str | None]) -> str:
    """How a pseudonymised event column is named to the user: with its source header."""
    if column.startswith(ATTRIBUTE_PREFIX):
        return column[len(ATTRIBUTE_PREFIX):]
    source = mapping.get(column)
    return f"{column} ({source})" if source and source != column else column


def _pseudonymized(note: str, codes: Mapping[str, str]) -> str:
    """A note with the names in ``codes`` replaced by their codes, in its text and values."""
    text = privacy.pseudonymize_text(note, codes)
    if not isinstance(note, Note):
        return text
    params = {k: [codes.get(v, v) for v in value] if isinstance(value, list) else value
              for k, value in note.params.items()}
    return Note(text, note.code, **params)
