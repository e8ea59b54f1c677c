"""Keyed pseudonymisation of people's names (UU 27/2022): the same name gets the same code
under one key, in the resource column and in any other column named for it.

The key is kept in the workspace, or outside it in the file named by
``PROCFLOW_PSEUDONYM_KEY_FILE`` (read if it exists, created with 0600 permissions if not); a
workspace then holds no key, so its file alone cannot tie a code back to a name.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa

from procflow.errors import InputError
from procflow.ingest.schema import ATTRIBUTE_PREFIX, FIELDS

KEY_FILE_ENV = "PROCFLOW_PSEUDONYM_KEY_FILE"
KEY_BYTES = 32
_HEX_KEY = re.compile(rf"^[0-9a-f]{{{2 * KEY_BYTES}}}$")


def pseudonym(name: str, key: bytes) -> str:
    """A short stable code for ``name`` under ``key`` (HMAC-SHA256)."""
    return "P-" + hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def key_id(key: bytes) -> str:
    """A name for ``key`` that does not reveal it: which key made a log's codes."""
    return hmac.new(key, b"procflow pseudonym key id", hashlib.sha256).hexdigest()[:16]


def new_key() -> bytes:
    """A fresh random key."""
    return secrets.token_bytes(KEY_BYTES)


def key_file() -> Path | None:
    """The key file named by ``PROCFLOW_PSEUDONYM_KEY_FILE``, if set."""
    named = os.environ.get(KEY_FILE_ENV, "").strip()
    return Path(named).expanduser() if named else None


def read_key_file(path: Path) -> bytes:
    """The key in ``path`` (64 hexadecimal digits); the file is created with a new key and
    0600 permissions when it does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError as err:
        raise InputError(f"cannot create the pseudonym key file ({err.strerror}).",
                         source=str(path),
                         fix=f"point {KEY_FILE_ENV} at a writable place.") from err
    key = new_key()
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (key.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip().lower()
    except OSError as err:
        raise InputError(f"cannot read the pseudonym key file ({err.strerror}).",
                         source=str(path), fix="give procflow read access to it.") from err
    if not _HEX_KEY.match(text):
        raise InputError(f"the pseudonym key file does not hold a key ({2 * KEY_BYTES} "
                         "hexadecimal digits).", source=str(path),
                         fix=f"point {KEY_FILE_ENV} at the key file procflow made, or at a "
                             "path that does not exist yet to make a new one.")
    return bytes.fromhex(text)


def columns_to_pseudonymize(columns: Iterable[str], mapping: Mapping[str, str | None],
                            named: Iterable[str]) -> list[str]:
    """The event columns to pseudonymise: ``resource`` and the columns ``named`` (source
    headers, or canonical field names); an InputError names a column the log does not have."""
    present = list(columns)
    source_of = {v: k for k, v in mapping.items() if v}
    out = ["resource"]
    for name in named:
        column = source_of.get(name) or (name if name in FIELDS else ATTRIBUTE_PREFIX + name)
        if column not in present:
            shown = sorted(source_of) + [c[len(ATTRIBUTE_PREFIX):] for c in present
                                         if c.startswith(ATTRIBUTE_PREFIX)]
            raise InputError(f"cannot pseudonymise column {name!r}: the file has no such "
                             "column.", fix=f"name columns as in the file's header "
                                            f"({', '.join(map(repr, shown)) or 'none'}).")
        if column not in out:
            out.append(column)
    return out


def pseudonymize(events: pa.Table, key: bytes, columns: Iterable[str] = ("resource",)
                 ) -> tuple[pa.Table, dict[str, str]]:
    """Replace every value of each of ``columns`` by its pseudonym; returns the table and the
    codes given ({name: code})."""
    import pyarrow.compute as pc  # here: `analyze` reaches this module and needs none of it

    codes: dict[str, str] = {}
    for column in columns:
        values = pc.cast(events[column].combine_chunks(), pa.string())
        names = pc.unique(values).drop_null()
        for name in names.to_pylist():
            codes.setdefault(name, pseudonym(name, key))
        replaced = pc.take(pa.array([codes[n] for n in names.to_pylist()], pa.string()),
                           pc.index_in(values, names))
        events = events.set_column(events.schema.get_field_index(column), column, replaced)
    return events, codes


def pseudonymize_text(text: str, codes: Mapping[str, str]) -> str:
    """``text`` (a note of the import report) with each quoted name (``'Budi'``) replaced by
    its quoted code."""
    quoted = {repr(name): repr(code) for name, code in codes.items()}
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"",
                  lambda m: quoted.get(m.group(0), m.group(0)), text)
