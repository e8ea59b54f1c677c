"""What a filter of handoffs or of approval layers can ask for in a log: its handoff pairs at
a granularity and its approval layer sequences, most cases first, as the filters count
them (:mod:`procflow.filters.apply`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from procflow.core import db
from procflow.eventlog import EventLog
from procflow.filters.apply import case_tables, layer_paths
from procflow.measure.decisions import select_decisions
from procflow.measure.prepare import stored_part

#: Most choices listed.
MAX_CHOICES = 200
LAYER_BYS = ("level", "role")


def _found(text: str, find: str) -> tuple[str, list[Any]]:
    """A condition that ``text`` (SQL) contains ``find``, case-insensitive ("TRUE" without)."""
    return (f"contains(lower({text}), lower(?))", [find]) if find else ("TRUE", [])


def handoff_pairs(log: EventLog, by: str, find: str = "", limit: int = MAX_CHOICES
                  ) -> dict[str, Any]:
    """The pairs of performers (``by``: resource, role or unit) between whom the work of some
    case passes directly, whose names contain ``find``: ``pairs`` (``from``, ``to``,
    ``cases``), most cases first, at most ``limit``; ``total`` counts all that match."""
    assert by in ("resource", "role", "unit"), by
    p = case_tables(log)
    where, params = _found("a.name || ' > ' || b.name", find)
    stored = stored_part(log.con, p, "pairs", by)  # the whole log's, counted at import
    counted = (f"SELECT source, target, cases FROM {stored}" if stored else
               f"SELECT prev_{by} AS source, {by} AS target, count(DISTINCT case_id) AS cases "
               f"FROM {p}_steps WHERE prev_{by} <> {by} GROUP BY prev_{by}, {by}")
    rows = (f"SELECT a.name AS source, b.name AS target, s.cases FROM ({counted}) s "
            f"JOIN {p}_dict_{by} a ON a.code = s.source JOIN {p}_dict_{by} b "
            f"ON b.code = s.target WHERE {where}")
    found = db.rows(log.con, f"{rows} ORDER BY cases DESC, source, target LIMIT {int(limit)}",
                    params)
    total = db.scalar(log.con, f"SELECT count(*) FROM ({rows}) r", params)
    return {"by": by, "pairs": [{"from": a, "to": b, "cases": int(n)} for a, b, n in found],
            "total": int(total or 0)}


def layer_sequences(log: EventLog, decisions: Sequence[str] | None, find: str = "",
                    limit: int = MAX_CHOICES) -> dict[str, Any]:
    """The approval layer sequences of the cases of ``log`` (the level, else role, values of
    the performers of the ``decisions`` steps, None: those the default pattern finds),
    containing ``find``: ``by``, ``decisions`` (the steps taken), ``sequences`` (``levels``,
    the values in order, and ``cases``), most cases first, at most ``limit``; ``total``."""
    p = case_tables(log)
    counts = db.one(log.con, "SELECT " + ", ".join(f"count({c})" for c in LAYER_BYS)
                    + f" FROM {p}_steps") or ()
    by = next((c for c, n in zip(LAYER_BYS, counts, strict=True) if n), None)
    names = sorted(n for (n,) in db.rows(log.con, f"SELECT name FROM {p}_dict_activity"))
    chosen = select_decisions(names, names=None if decisions is None else list(decisions))
    out: dict[str, Any] = {"by": by, "decisions": chosen, "sequences": [], "total": 0}
    if by is None or not chosen:
        return out
    codes = db.rows(log.con, f"SELECT code FROM {p}_dict_activity WHERE name IN "
                             f"({', '.join('?' for _ in chosen)})", chosen)
    paths = layer_paths(p, f"{p}_steps", by, ", ".join(str(int(c)) for (c,) in codes))
    where, params = _found("array_to_string(path, ' → ')", find)
    rows = (f"SELECT path, count(*) AS cases FROM ({paths}) x WHERE {where} GROUP BY path")
    found = db.rows(log.con, f"{rows} ORDER BY cases DESC, array_to_string(path, '→') "
                             f"LIMIT {int(limit)}", params)
    out["sequences"] = [{"levels": list(path), "cases": int(n)} for path, n in found]
    out["total"] = int(db.scalar(log.con, f"SELECT count(*) FROM ({rows}) r", params) or 0)
    return out
