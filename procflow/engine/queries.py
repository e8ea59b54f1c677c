"""Every figure of METRICS.md §2–8 as SQL, written once (DuckDB dialect).

The Spark backend runs the same text through SQLGlot. Rules that keep it portable: times are
integer microseconds (``ts_us``, ``start_us``) made by the backend, window orders name their
NULLS placement, ordered lists use ``string_agg(x, sep ORDER BY k)``, and no DuckDB-only star
modifiers are used.

Tables built in order: ``pf_events`` (by the backend) → ``pf_inst`` (instances) →
``pf_steps`` (instances in case order with the previous ones' attributes) → ``pf_cases``.
"""

from __future__ import annotations

from procflow.engine.instances import LifecycleMode

SEP = "\x1f"
CANONICAL = ("event_id", "case_id", "activity", "timestamp", "start_timestamp", "resource",
             "role", "unit", "level", "lifecycle")
US = 1_000_000.0
STAT_KEYS = ("n", "mean", "median", "p90", "max", "total")
CASE_ORDER = "PARTITION BY case_id ORDER BY ts_us, start_us NULLS LAST, event_id"


def stats(expr: str, prefix: str) -> str:
    """SQL aggregates of ``expr`` named ``{prefix}_n``, ``_mean``, ``_median``, …"""
    return (f"count({expr}) AS {prefix}_n, avg({expr}) AS {prefix}_mean, "
            f"quantile_cont({expr}, 0.5) AS {prefix}_median, "
            f"quantile_cont({expr}, 0.9) AS {prefix}_p90, max({expr}) AS {prefix}_max, "
            f"sum({expr}) AS {prefix}_total")


def instances(mode: LifecycleMode) -> str:
    """Activity instances from ``pf_events`` (lifecycle pairs joined, METRICS §2)."""
    cols = ", ".join(f"e.{c}" for c in CANONICAL if c not in ("start_timestamp",))
    if mode != "standard":
        return f"SELECT {cols}, e.start_timestamp FROM pf_events e"
    window = "ORDER BY timestamp, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    return f"""
    WITH ev AS (SELECT *, coalesce(lifecycle, 'complete') AS lc FROM pf_events),
    sc AS (
        SELECT event_id, case_id, activity, timestamp, lc,
            sum(CASE WHEN lc = 'start' THEN 1 ELSE 0 END) OVER w AS n_start,
            sum(CASE WHEN lc = 'complete' THEN 1 ELSE 0 END) OVER w AS n_complete
        FROM ev WHERE lc IN ('start', 'complete')
        WINDOW w AS (PARTITION BY case_id, activity {window})),
    comp AS (
        SELECT event_id, case_id, activity, n_complete,
            greatest(0, max(n_complete - n_start) OVER (
                PARTITION BY case_id, activity {window})) AS orphans
        FROM sc WHERE lc = 'complete'),
    matched AS (
        SELECT event_id, case_id, activity,
            CASE WHEN orphans > coalesce(lag(orphans) OVER (
                    PARTITION BY case_id, activity ORDER BY n_complete), 0)
                 THEN NULL ELSE n_complete - orphans END AS match_no
        FROM comp),
    starts AS (
        SELECT case_id, activity, n_start AS match_no, timestamp AS start_ts
        FROM sc WHERE lc = 'start')
    SELECT {cols}, coalesce(s.start_ts, e.start_timestamp) AS start_timestamp
    FROM ev e
    JOIN matched m ON m.event_id = e.event_id
    LEFT JOIN starts s ON s.case_id = m.case_id AND s.activity = m.activity
                      AND s.match_no = m.match_no
    """


def steps(decisions: list[str]) -> str:
    """Instances in case order with the previous instance's attributes (transitions)."""
    is_decision = ("activity IN (" + ", ".join(_quote(a) for a in decisions) + ")"
                   if decisions else "FALSE")
    lags = ", ".join(f"lag({c}) OVER w AS prev_{c}" for c in
                     ("activity", "ts_us", "resource", "role", "unit", "level"))
    lags2 = ", ".join(f"lag({c}, 2) OVER w AS prev2_{c}" for c in ("resource", "role", "unit"))
    return f"""
    SELECT *,
        (ts_us - prev_ts_us) / {US} AS elapsed,
        CASE WHEN start_us IS NOT NULL AND prev_ts_us IS NOT NULL
             THEN greatest(0, start_us - prev_ts_us) / {US} END AS wait,
        (ts_us - start_us) / {US} AS processing
    FROM (
        SELECT *, row_number() OVER w AS seq, count(*) OVER (PARTITION BY case_id) AS case_len,
            {is_decision} AS is_decision, {lags}, {lags2}
        FROM pf_inst
        WINDOW w AS ({CASE_ORDER})
    ) t
    """


CASES = """
SELECT case_id, min(coalesce(start_us, ts_us)) AS arrival_us, max(ts_us) AS completion_us,
       min(ts_us) AS first_us, count(*) AS instances,
       (max(ts_us) - min(coalesce(start_us, ts_us))) / 1000000.0 AS cycle_time,
       (max(ts_us) - min(ts_us)) / 1000000.0 AS span
FROM pf_steps GROUP BY case_id
"""

LOG = """
SELECT count(*) AS cases, sum(instances) AS instances, sum(span) AS total_span,
       min(first_us) AS first_us, max(completion_us) AS last_us
FROM pf_cases
"""

CYCLE_TIME = f"SELECT {stats('cycle_time', 'x')} FROM pf_cases"

DFG_EDGES = f"""
SELECT prev_activity AS source, activity AS target, count(*) AS count,
       {stats('elapsed', 'elapsed')}, {stats('wait', 'wait')}
FROM pf_steps WHERE seq > 1 GROUP BY prev_activity, activity
ORDER BY count DESC, source, target
"""

DFG_ENDS = """
SELECT 'start' AS side, activity, count(*) AS count FROM pf_steps WHERE seq = 1 GROUP BY activity
UNION ALL
SELECT 'end' AS side, activity, count(*) AS count FROM pf_steps WHERE seq = case_len
GROUP BY activity
"""

ACTIVITIES = f"""
SELECT activity, count(*) AS count, count(DISTINCT case_id) AS cases,
       {stats('processing', 'processing')}, {stats('wait', 'wait')}
FROM pf_steps GROUP BY activity ORDER BY count DESC, activity
"""


def decisions_by(key: str | None) -> str:
    """Decision latency, waiting and processing, overall (key None) or grouped by ``key``."""
    select = f"{key} AS key, " if key else ""
    group = f"GROUP BY {key} ORDER BY latency_total DESC, key" if key else ""
    return f"""
    SELECT {select}{stats('elapsed', 'latency')}, {stats('wait', 'waiting')},
           {stats('processing', 'processing')}
    FROM pf_steps WHERE is_decision AND seq > 1 {group}
    """


DECISIONS_EXCLUDED = "SELECT count(*) AS n FROM pf_steps WHERE is_decision AND seq = 1"


def handoffs(g: str) -> dict[str, str]:
    """Handoff queries at granularity column ``g`` (resource, role or unit)."""
    known = f"prev_{g} IS NOT NULL AND {g} IS NOT NULL"
    handoff = f"{known} AND prev_{g} <> {g}"
    pingpong = (f"prev2_{g} IS NOT NULL AND {known} AND {g} = prev2_{g} AND {g} <> prev_{g}")
    return {
        "totals": f"""
            SELECT sum(CASE WHEN {handoff} THEN 1 ELSE 0 END) AS total,
                   sum(CASE WHEN seq > 1 AND NOT ({known}) THEN 1 ELSE 0 END) AS unknown,
                   sum(CASE WHEN {pingpong} THEN 1 ELSE 0 END) AS ping_pong,
                   count(DISTINCT CASE WHEN {pingpong} THEN case_id END) AS ping_pong_cases,
                   sum(CASE WHEN prev_unit IS NOT NULL AND unit IS NOT NULL
                            AND prev_unit <> unit THEN 1 ELSE 0 END) AS cross_unit,
                   count(unit) AS units_known,
                   sum(CASE WHEN {handoff} AND prev_level IS NOT NULL AND level IS NOT NULL
                            AND level < prev_level THEN 1 ELSE 0 END) AS up,
                   sum(CASE WHEN {handoff} AND prev_level IS NOT NULL AND level IS NOT NULL
                            AND level > prev_level THEN 1 ELSE 0 END) AS down,
                   sum(CASE WHEN {handoff} AND prev_level IS NOT NULL AND level IS NOT NULL
                            AND level = prev_level THEN 1 ELSE 0 END) AS lateral,
                   count(level) AS levels_known
            FROM pf_steps""",
        "per_case": f"""
            SELECT {stats('h', 'x')} FROM (
                SELECT case_id, sum(CASE WHEN {handoff} THEN 1 ELSE 0 END) AS h
                FROM pf_steps GROUP BY case_id) t""",
        "pairs": f"""
            SELECT prev_{g} AS source, {g} AS target, count(*) AS count,
                   {stats('elapsed', 'elapsed')}, {stats('wait', 'wait')}
            FROM pf_steps WHERE {handoff} GROUP BY prev_{g}, {g}
            ORDER BY count DESC, source, target""",
    }


def layers(by: str) -> dict[str, str]:
    """Approval layers per case: distinct ``by`` (level or role) among decision performers.

    ``per_case`` is materialised as ``pf_layers``; the other queries read it.
    """
    return {
        "stats": f"SELECT {stats('layers', 'x')} FROM pf_layers",
        "histogram": "SELECT layers, count(*) AS cases FROM pf_layers GROUP BY layers "
                     "ORDER BY layers",
        "sequences": "SELECT sequence, count(*) AS cases FROM pf_layers "
                     "WHERE sequence IS NOT NULL GROUP BY sequence "
                     "ORDER BY cases DESC, sequence LIMIT 20",
        "per_case": f"""
            SELECT c.case_id, coalesce(d.layers, 0) AS layers, d.sequence
            FROM pf_cases c LEFT JOIN (
                SELECT case_id, count(DISTINCT {by}) AS layers,
                       string_agg(CASE WHEN changed THEN CAST({by} AS VARCHAR) END, '→'
                                  ORDER BY seq) AS sequence
                FROM (
                    SELECT case_id, seq, {by},
                        coalesce(lag({by}) OVER (PARTITION BY case_id ORDER BY seq) <> {by},
                                 TRUE) AS changed
                    FROM pf_steps WHERE is_decision AND {by} IS NOT NULL) t
                GROUP BY case_id) d ON d.case_id = c.case_id""",
    }


def bottleneck_groups() -> dict[str, tuple[str, str]]:
    """Name expression and filter for each bottleneck kind."""
    return {
        "activity": ("activity", "seq > 1"),
        "edge": ("prev_activity || ' → ' || activity", "seq > 1"),
        "resource": ("resource", "seq > 1 AND resource IS NOT NULL"),
    }


def bottlenecks(kind: str) -> str:
    """Time spent before each step (elapsed into it), with median and impact (METRICS §8)."""
    name, where = bottleneck_groups()[kind]
    return f"""
    WITH v AS (SELECT {name} AS name, case_id, elapsed FROM pf_steps WHERE {where}),
    m AS (SELECT name, quantile_cont(elapsed, 0.5) AS median,
                 quantile_cont(elapsed, 0.9) AS p90
          FROM v GROUP BY name)
    SELECT v.name, count(*) AS count, count(DISTINCT v.case_id) AS cases,
           sum(v.elapsed) AS total, max(m.median) AS median, max(m.p90) AS p90,
           sum(greatest(0, v.elapsed - m.median)) AS excess
    FROM v JOIN m ON m.name = v.name GROUP BY v.name
    ORDER BY total DESC, v.name
    """


VARIANTS = f"""
SELECT sequence, count(*) AS cases FROM (
    SELECT case_id, string_agg(activity, '{SEP}' ORDER BY seq) AS sequence
    FROM pf_steps GROUP BY case_id) t
GROUP BY sequence ORDER BY cases DESC, sequence
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
