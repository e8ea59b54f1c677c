"""Activity instances: lifecycle ``start`` rows paired with ``complete`` rows (METRICS §2).

Pairing is FIFO per case and activity: in (timestamp, event_id) order each ``complete`` takes
the oldest waiting ``start``; a complete with none waiting is an instance without a start.
Equivalently, the m-th matched complete pairs with the m-th start, and a complete is unmatched
when the running excess of completes over starts reaches a new maximum.

A lifecycle column whose values are not XES lifecycle transitions (e.g. ``In Progress``) is
an ordinary attribute: every event is then one completed instance.
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb

from procflow import db

LifecycleMode = Literal["none", "standard", "attribute"]
XES_TRANSITIONS = frozenset({
    "schedule", "assign", "reassign", "start", "suspend", "resume", "pi_abort", "ate_abort",
    "complete", "autoskip", "manualskip", "withdraw", "unknown",
})
_ORDER = "ORDER BY timestamp, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


def lifecycle_mode(con: duckdb.DuckDBPyConnection, table: str) -> LifecycleMode:
    """How the ``lifecycle`` column of ``table`` is to be read."""
    values = {v for (v,) in db.rows(con, f"SELECT DISTINCT lifecycle FROM {table} "
                                        "WHERE lifecycle IS NOT NULL")}
    if not values:
        return "none"
    return "standard" if values <= XES_TRANSITIONS else "attribute"


def instances_sql(table: str, mode: LifecycleMode) -> str:
    """SQL selecting one row per activity instance, ``start_timestamp`` filled from pairs."""
    if mode != "standard":
        return f"SELECT *, NULL::BIGINT AS start_event_id FROM {table}"
    return f"""
    WITH ev AS (SELECT *, coalesce(lifecycle, 'complete') AS lc FROM {table}),
    sc AS (
        SELECT event_id, case_id, activity, timestamp, lc,
            count(*) FILTER (WHERE lc = 'start') OVER w AS n_start,
            count(*) FILTER (WHERE lc = 'complete') OVER w AS n_complete
        FROM ev WHERE lc IN ('start', 'complete')
        WINDOW w AS (PARTITION BY case_id, activity {_ORDER})),
    comp AS (
        SELECT event_id, case_id, activity, n_complete,
            greatest(0, max(n_complete - n_start) OVER (
                PARTITION BY case_id, activity {_ORDER})) AS orphans
        FROM sc WHERE lc = 'complete'),
    matched AS (
        SELECT event_id, case_id, activity,
            CASE WHEN orphans > coalesce(lag(orphans) OVER (
                    PARTITION BY case_id, activity ORDER BY n_complete), 0)
                 THEN NULL ELSE n_complete - orphans END AS match_no
        FROM comp),
    starts AS (
        SELECT case_id, activity, n_start AS match_no, timestamp AS start_ts,
               event_id AS start_event_id
        FROM sc WHERE lc = 'start')
    SELECT e.* EXCLUDE (lc) REPLACE (coalesce(s.start_ts, e.start_timestamp) AS start_timestamp),
           s.start_event_id
    FROM ev e
    JOIN matched m USING (event_id)
    LEFT JOIN starts s ON s.case_id = m.case_id AND s.activity = m.activity
                      AND s.match_no = m.match_no
    """


def lifecycle_summary(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """Counts for the import report: instances, pairs, unpaired starts, other transitions."""
    mode = lifecycle_mode(con, table)
    events = db.scalar(con, f"SELECT count(*) FROM {table}")
    summary: dict[str, Any] = {"mode": mode, "events": events}
    if mode != "standard":
        summary["instances"] = events
        return summary
    instances, paired = db.one(
        con, f"SELECT count(*), count(start_event_id) FROM ({instances_sql(table, mode)})"
    ) or (0, 0)
    starts = db.scalar(con, f"SELECT count(*) FROM {table} WHERE lifecycle = 'start'")
    other = dict(db.rows(
        con, f"SELECT lifecycle, count(*) FROM {table} "
        "WHERE lifecycle NOT IN ('start', 'complete') GROUP BY ALL ORDER BY 2 DESC, 1"))
    summary.update(instances=instances, paired=paired, unpaired_starts=starts - paired,
                   completes_without_start=instances - paired, other_transitions=other)
    return summary
