"""One case step by step: each activity instance with who did it and where the time went."""

from __future__ import annotations

import datetime as dt
from typing import Any

from procflow.core import db
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.measure.prepare import Settings, prepared

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Closest case ids offered for an id not in the log.
SUGGESTIONS = 3


def check_case(log: EventLog, case_id: str) -> None:
    """Raise an error offering the closest ids if ``case_id`` is not a case of ``log``."""
    if db.one(log.con, f"SELECT 1 FROM {log.table} WHERE case_id = ? LIMIT 1", [case_id]):
        return
    close = [v for (v,) in db.rows(
        log.con, f"SELECT DISTINCT case_id FROM {log.table} "
                 f"ORDER BY jaro_winkler_similarity(case_id, ?) DESC, case_id LIMIT ?",
        [case_id, SUGGESTIONS])]
    raise InputError(f"no case {case_id!r} in {log.name}.",
                     fix="the closest ids are " + ", ".join(map(repr, close)) + "; list them "
                         "with `procflow cases`." if close else "the log has no cases.")


def case_timeline(log: EventLog, case_id: str, settings: Settings | None = None
                  ) -> list[dict[str, Any]]:
    """The activity instances of case ``case_id`` in case order (METRICS §2): ``seq``,
    ``activity``, ``start`` and ``completion`` (UTC; start None if unknown), ``resource``,
    ``role``, ``unit``, ``level``, ``elapsed`` (from the previous completion), ``waiting``
    (from the previous completion to the start), ``processing`` (start to completion), all
    seconds or None, and ``decision`` (a decision activity)."""
    check_case(log, case_id)
    literal = "'" + case_id.replace("'", "''") + "'"
    with prepared(log, settings or Settings()) as prep:
        rows = prep.rows(
            "SELECT s.seq, s.activity, s.start_us, s.ts_us, s.resource, s.role, s.unit, "
            "s.level, s.elapsed, s.wait, s.processing, s.is_decision FROM pf_steps s "
            f"JOIN pf_dict_case_id d ON d.code = s.case_id WHERE d.name = {literal} "
            "ORDER BY s.seq")
        return [{"seq": r["seq"], "activity": prep.name("activity", r["activity"]),
                 "start": _time(r["start_us"]), "completion": _time(r["ts_us"]),
                 "resource": prep.name("resource", r["resource"]),
                 "role": prep.name("role", r["role"]), "unit": prep.name("unit", r["unit"]),
                 "level": r["level"], "elapsed": r["elapsed"], "waiting": r["wait"],
                 "processing": r["processing"], "decision": bool(r["is_decision"])}
                for r in rows]


def _time(micros: int | None) -> dt.datetime | None:
    return None if micros is None else EPOCH + dt.timedelta(microseconds=int(micros))
