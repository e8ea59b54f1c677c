"""Service standards: the share of cases or steps within N working days (METRICS §10)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from procflow.calendar import EPOCH_DATE, local_day_sql
from procflow.errors import InputError

if TYPE_CHECKING:
    from procflow.measure.prepare import Prepared

_SLA = re.compile(r"^\s*(?P<target>.+?)\s*=\s*(?P<days>\d+(?:\.\d+)?)\s*"
                  r"(?:working\s+days?|hari\s+kerja)?\s*$", re.IGNORECASE)


def parse_sla(spec: str) -> tuple[str, float]:
    """``"case=20 working days"`` → ``("case", 20.0)``; ``"ACTIVITY=3 working days"`` →
    ``("ACTIVITY", 3.0)`` (the unit words are optional; InputError if malformed)."""
    found = _SLA.match(spec)
    if not found:
        raise InputError(f"cannot read the service standard {spec!r}.",
                         fix='write TARGET=N working days, e.g. "case=20 working days" or '
                             '"Verifikasi Berkas=3 working days".')
    target = found["target"]
    return ("case" if target.lower() == "case" else target), float(found["days"])


def sla_block(run: Prepared, sla: tuple[str, float]) -> dict[str, Any]:
    """Share of cases (``case``: the working cycle time, paused activities left out) or of an
    activity's instances (their working elapsed time, the decision latency) within
    ``limit_days`` working days; the 10 worst; by month of arrival or completion (local)."""
    assert run.clock is not None
    target, limit = sla
    if target == "case":
        source = "SELECT case_id, arrival_us AS t, w_cycle_time AS w FROM pf_cases"
    else:
        codes = {v: k for k, v in run.names["activity"].items()}
        if target not in codes:
            raise InputError(f"service standard for {target!r}: no such activity in the log.",
                             fix="give 'case' or an activity name exactly as in the log.")
        source = (f"SELECT case_id, ts_us AS t, w_elapsed AS w FROM pf_steps "
                  f"WHERE activity = {codes[target]} AND seq > 1")
    bound = limit * run.clock.day_seconds
    days = run.rows(
        f"SELECT day, count(*) AS n, count(CASE WHEN w <= {bound!r} THEN 1 END) AS within "
        f"FROM (SELECT {local_day_sql('t', run.clock.offset_us)} AS day, w FROM ({source}) s) d "
        f"GROUP BY day")
    worst = run.rows(f"SELECT k.name AS name, s.w AS w FROM ({source}) s "
                     f"JOIN pf_dict_case_id k ON k.code = s.case_id "
                     f"ORDER BY s.w DESC, k.name LIMIT 10")
    months: dict[str, list[int]] = {}
    for r in days:
        month = (EPOCH_DATE + dt.timedelta(days=int(r["day"]))).strftime("%Y-%m")
        counts = months.setdefault(month, [0, 0])
        counts[0] += int(r["n"])
        counts[1] += int(r["within"])
    n = sum(c[0] for c in months.values())
    within = sum(c[1] for c in months.values())
    return {"target": target, "limit_days": limit, "n": n, "within": within,
            "share_within": within / n if n else None,
            "worst": [{"case": r["name"], "working_days": float(r["w"]) / run.clock.day_seconds}
                      for r in worst],
            "by_month": [{"month": m, "n": c[0], "share_within": c[1] / c[0]}
                         for m, c in sorted(months.items())]}
