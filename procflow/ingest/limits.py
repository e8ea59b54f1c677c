"""Caps on what reading one file may cost, set by environment variables.

``PROCFLOW_MAX_BYTES`` (decompressed bytes, default 2 GiB) and ``PROCFLOW_MAX_RATIO``
(compression ratio, default 200) apply to gzip streams and to the members of an Excel
workbook; ``PROCFLOW_MAX_MEMBERS`` (default 10,000) to the number of files inside a workbook;
``PROCFLOW_MAX_COLUMNS`` (default 2,000) to the columns of every format. The variables are
read when a :class:`Limits` is made, so a running process sees changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from procflow.errors import InputError, UnsafeInputError

DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_MAX_RATIO = 200.0
DEFAULT_MAX_MEMBERS = 10_000
DEFAULT_MAX_COLUMNS = 2_000


def env_number(name: str, default: float) -> float:
    """A positive number from the environment variable ``name``, else ``default``."""
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise InputError(f"the environment variable {name} is {text!r}, not a positive number.",
                         fix=f"set {name} to a number such as {default:g}, or unset it.")
    return value


def _bytes() -> int:
    return int(env_number("PROCFLOW_MAX_BYTES", DEFAULT_MAX_BYTES))


def _ratio() -> float:
    return env_number("PROCFLOW_MAX_RATIO", DEFAULT_MAX_RATIO)


def _members() -> int:
    return int(env_number("PROCFLOW_MAX_MEMBERS", DEFAULT_MAX_MEMBERS))


def _columns() -> int:
    return int(env_number("PROCFLOW_MAX_COLUMNS", DEFAULT_MAX_COLUMNS))


@dataclass(frozen=True)
class Limits:
    """Caps on decompressed size, compression ratio, archive members and columns."""

    max_bytes: int = field(default_factory=_bytes)
    max_ratio: float = field(default_factory=_ratio)
    ratio_grace: int = 16 * 1024**2  # the ratio is only judged past this many output bytes
    max_members: int = field(default_factory=_members)
    max_columns: int = field(default_factory=_columns)


def check_columns(count: int, source: str, limits: Limits | None = None, *,
                  what: str = "columns") -> None:
    """Refuse a file with more than ``limits.max_columns`` columns (``what`` names them)."""
    cap = (limits or Limits()).max_columns
    if count > cap:
        raise UnsafeInputError(
            f"the file has {count:,} {what}, more than the limit of {cap:,}; reading stopped.",
            source=source,
            fix="export only the columns the log needs (case, activity, times, resource, …), "
                "or raise PROCFLOW_MAX_COLUMNS if the file is genuine.",
            code="too_many_columns", params={"count": count, "limit": cap})


__all__ = ["Limits", "check_columns", "env_number"]
