"""Activity instances: lifecycle ``start`` rows paired with ``complete`` rows (METRICS §2).

Pairing is FIFO per case and activity: in (time, event_id) order each ``complete`` takes the
oldest waiting ``start``; a complete with none waiting is an instance without a start.
Equivalently, the m-th matched complete pairs with the m-th start, and a complete is unmatched
when the running excess of completes over starts reaches a new maximum.

A lifecycle column whose values are not XES lifecycle transitions (e.g. ``In Progress``) is
an ordinary attribute: every event is then one completed instance.

The SQL is written once; the importer runs it on timestamps, the engine on microseconds.
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb

from procflow.core import db
from procflow.ingest.schema import CANONICAL

LifecycleMode = Literal["none", "standard", "attribute"]
XES_TRANSITIONS = frozenset({
    "schedule", "assign", "reassign", "start", "suspend", "resume", "pi_abort", "ate_abort",
    "complete", "autoskip", "manualskip", "withdraw", "unknown",
})


def mode_of(values: set[str]) -> LifecycleMode:
    """How a lifecycle column with these (non-null, lower-case) values is to be read; a column
    of ``complete`` only carries nothing to pair."""
    if not values or values == {"complete"}:
        return "none"
    return "standard" if values <= XES_TRANSITIONS else "attribute"


CANONICAL_COLUMNS = tuple(c for c in CANONICAL if c != "start_timestamp")


def instances_sql(table: str, mode: LifecycleMode, *, columns: tuple[str, ...] = CANONICAL_COLUMNS,
                  time: str = "timestamp", start: str = "start_timestamp") -> str:
    """One row per activity instance of ``table``: ``columns``, ``start`` filled from pairs,
    and ``start_event_id`` (the paired start row, else null)."""
    cols = ", ".join(f"e.{c}" for c in columns)
    if mode != "standard":
        return f"SELECT {cols}, e.{start} AS {start}, CAST(NULL AS BIGINT) AS start_event_id " \
               f"FROM {table} e"
    window = f"ORDER BY {time}, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    return f"""
    WITH ev AS (SELECT *, coalesce(lifecycle, 'complete') AS lc FROM {table}),
    sc AS (
        SELECT event_id, case_id, activity, {time} AS t, lc,
            sum(CASE WHEN lc = 'start' THEN 1 ELSE 0 END) OVER w AS n_start,
            sum(CASE WHEN lc = 'complete' THEN 1 ELSE 0 END) OVER w AS n_complete
        FROM ev WHERE lc IN ('start', 'complete')
        WINDOW w AS (PARTITION BY case_id, activity {window})),
    comp AS (
        SELECT event_id, case_id, activity, n_complete,
            greatest(0, max(n_complete - n_start) OVER (
                PARTITION BY case_id, activity ORDER BY t, event_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS orphans
        FROM sc WHERE lc = 'complete'),
    matched AS (
        SELECT event_id, case_id, activity,
            CASE WHEN orphans > coalesce(lag(orphans) OVER (
                    PARTITION BY case_id, activity ORDER BY n_complete), 0)
                 THEN NULL ELSE n_complete - orphans END AS match_no
        FROM comp),
    starts AS (
        SELECT case_id, activity, n_start AS match_no, t AS start_t, event_id AS start_id
        FROM sc WHERE lc = 'start')
    SELECT {cols}, coalesce(s.start_t, e.{start}) AS {start}, s.start_id AS start_event_id
    FROM ev e
    JOIN matched m ON m.event_id = e.event_id
    LEFT JOIN starts s ON s.case_id = m.case_id AND s.activity = m.activity
                      AND s.match_no = m.match_no
    """


def lifecycle_summary(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """Counts for the import report: instances, pairs, unpaired starts, other transitions."""
    mode = mode_of({v for (v,) in db.rows(
        con, f"SELECT DISTINCT lifecycle FROM {table} WHERE lifecycle IS NOT NULL")})
    events = db.scalar(con, f"SELECT count(*) FROM {table}")
    summary: dict[str, Any] = {"mode": mode, "events": events}
    if mode != "standard":
        summary.update(instances=events, paired=0, unpaired_starts=0,
                       completes_without_start=events, other_transitions={})
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
