"""Filters checked against the logs they apply to: fields that exist, values that occur.

A misspelt field or value would quietly select nothing, so each is an error that names the
option and offers the log's fields or the closest values.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from procflow.core import db
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters.spec import OPTIONS, Ends, Filter, Order, Values
from procflow.ingest.schema import ATTRIBUTE_PREFIX

#: Canonical fields a filter may compare (times have --period, event ids no meaning).
FIELDS = ("activity", "case_id", "resource", "role", "unit", "level", "lifecycle")
TIME_FIELDS = ("timestamp", "start_timestamp", "event_id")
#: Closest values offered for a value not in the log, and how close they must be.
SUGGESTIONS = 3
SIMILARITY = 0.8


def quote(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def field_sql(field: str, columns: Sequence[str], option: str) -> str:
    """The text of ``field`` (a canonical field or ``attr:NAME``) as SQL, for a log with
    ``columns``."""
    if field in FIELDS or (field.startswith(ATTRIBUTE_PREFIX) and field in columns):
        return f"CAST({quote(field)} AS VARCHAR)"
    if field in TIME_FIELDS:
        raise InputError(f"{option} {field}=…: times are filtered with --period.",
                         fix="use --period FROM..TO (with --period-mode) instead.")
    known = [*FIELDS, *(c for c in columns if c.startswith(ATTRIBUTE_PREFIX))]
    close = difflib.get_close_matches(field, known, n=1) or difflib.get_close_matches(
        f"{ATTRIBUTE_PREFIX}{field}", known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"{option}: the log has no field {field!r}{hint}.",
                     fix=f"use one of {', '.join(known)}; other columns of the file are "
                         "attr:NAME.")


def check(filters: Sequence[Filter], logs: Sequence[EventLog]) -> None:
    """Raise an error for a field missing from any of ``logs`` or a value found in none."""
    for item in filters:
        option = OPTIONS[item.kind]
        if isinstance(item, Values):
            for log in logs:
                field_sql(item.field, log.columns(), option)
            _check_values(logs, item.field, item.values, option)
        elif isinstance(item, Ends):
            _check_values(logs, "activity", item.activities, option)
        elif isinstance(item, Order):
            _check_values(logs, "activity", tuple(a for a in (item.source, item.target) if a),
                          option)


def _check_values(logs: Sequence[EventLog], field: str, values: Sequence[str],
                  option: str) -> None:
    found: set[str] = set()
    for log in logs:
        sql = field_sql(field, log.columns(), option)
        found |= {v for (v,) in db.rows(
            log.con, f"SELECT DISTINCT {sql} FROM {log.table} WHERE {sql} IN "
                     f"({', '.join('?' for _ in values)})", list(values))}
    for value in values:
        if value not in found:
            close = closest(logs, field, value, option)
            fix = ("did you mean " + ", ".join(repr(c) for c in close) + "? Names must match "
                   "exactly, capitals included." if close else
                   "values must match the log exactly, capitals included; list them with "
                   "`procflow analyze` (activities) or `procflow info`.")
            where = "any of the logs" if len(logs) > 1 else "the log"
            raise InputError(f"{option}: no {field} {value!r} in {where}.", fix=fix)


def closest(logs: Sequence[EventLog], field: str, value: str, option: str) -> list[str]:
    """Up to SUGGESTIONS values of ``field`` most like ``value`` (Jaro–Winkler similarity of
    the lower-cased texts at least SIMILARITY)."""
    scored: dict[str, float] = {}
    for log in logs:
        sql = field_sql(field, log.columns(), option)
        for name, score in db.rows(
                log.con, f"SELECT v, jaro_winkler_similarity(lower(v), lower(?)) AS s FROM "
                         f"(SELECT DISTINCT {sql} AS v FROM {log.table} WHERE {sql} IS NOT NULL)"
                         f" WHERE s >= ? ORDER BY s DESC, v LIMIT ?",
                [value, SIMILARITY, SUGGESTIONS]):
            scored[name] = max(score, scored.get(name, 0.0))
    return [n for n, _ in sorted(scored.items(), key=lambda x: (-x[1], x[0]))][:SUGGESTIONS]
