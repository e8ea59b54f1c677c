"""Every figure of METRICS.md §2–8 as SQL, written once (DuckDB dialect).

The Spark backend runs the same text through SQLGlot. Rules that keep it portable: times are
integer microseconds (``ts_us``, ``start_us``) made by the backend, window orders name their
NULLS placement, ordered lists use ``string_agg(x, sep ORDER BY k)``, and no DuckDB-only star
modifiers are used.

Tables built in order: ``pf_events`` (canonical events, by the backend) → ``pf_dict_<col>``
(integer codes of case ids, activities, resources, roles, units: windows and groups run on
integers) → ``pf_coded`` → ``pf_inst`` (instances) → ``pf_steps`` (instances in case order
with the previous ones' attributes) → ``pf_cases``. Results carry codes; the caller maps them
back to names with the dictionaries.
"""

from __future__ import annotations

from procflow.engine.instances import LifecycleMode, instances_sql

US = 1_000_000.0
STAT_KEYS = ("n", "mean", "median", "p90", "max", "total")
CASE_ORDER = "PARTITION BY case_id ORDER BY ts_us, start_us NULLS LAST, event_id"


def stats(expr: str, prefix: str) -> str:
    """SQL aggregates of ``expr`` named ``{prefix}_n``, ``_mean``, ``_q`` ([median, p90],
    one sort for both), ``_max`` and ``_total``."""
    return (f"count({expr}) AS {prefix}_n, avg({expr}) AS {prefix}_mean, "
            f"quantile_cont({expr}, [0.5, 0.9]) AS {prefix}_q, max({expr}) AS {prefix}_max, "
            f"sum({expr}) AS {prefix}_total")


DICT_COLUMNS = ("case_id", "activity", "resource", "role", "unit")
CODED = ("event_id", "case_id", "activity", "ts_us", "resource", "role", "unit", "level",
         "lifecycle")


def dictionary(column: str) -> str:
    """Codes 1..n for the distinct values of ``column`` in ``pf_events`` (``pf_dict_<col>``)."""
    return (f"SELECT name, CAST(row_number() OVER (ORDER BY name) AS INTEGER) AS code "
            f"FROM (SELECT DISTINCT {column} AS name FROM pf_events "
            f"WHERE {column} IS NOT NULL) t")


def coded() -> str:
    """``pf_events`` with text replaced by integer codes and times in microseconds."""
    joins = "\n".join(
        f"LEFT JOIN pf_dict_{c} d_{c} ON d_{c}.name = e.{c}" for c in DICT_COLUMNS)
    codes = ", ".join(f"d_{c}.code AS {c}" for c in DICT_COLUMNS)
    return f"""
    SELECT e.event_id, {codes}, CAST(e.level AS INTEGER) AS level, e.lifecycle,
           epoch_us(e.timestamp) AS ts_us, epoch_us(e.start_timestamp) AS start_us
    FROM pf_events e
    {joins}
    """


def instances(mode: LifecycleMode) -> str:
    """Activity instances of ``pf_coded`` (lifecycle pairs joined, METRICS §2)."""
    return instances_sql("pf_coded", mode, columns=CODED, time="ts_us", start="start_us")


def steps(decisions: list[int], granularity: str | None) -> str:
    """Instances in case order with the previous instance's attributes (transitions);
    ``decisions`` are activity codes."""
    is_decision = ("activity IN (" + ", ".join(str(int(c)) for c in decisions) + ")"
                   if decisions else "FALSE")
    lags = ", ".join(f"lag({c}) OVER w AS prev_{c}" for c in
                     ("activity", "ts_us", "resource", "role", "unit", "level"))
    lags2 = f", lag({granularity}, 2) OVER w AS prev2_{granularity}" if granularity else ""
    return f"""
    SELECT *,
        (ts_us - prev_ts_us) / {US} AS elapsed,
        CASE WHEN start_us IS NOT NULL AND prev_ts_us IS NOT NULL
             THEN greatest(0, start_us - prev_ts_us) / {US} END AS wait,
        (ts_us - start_us) / {US} AS processing
    FROM (
        SELECT *, row_number() OVER w AS seq, lead(ts_us) OVER w IS NULL AS is_last,
            {is_decision} AS is_decision, {lags}{lags2}
        FROM pf_inst
        WINDOW w AS ({CASE_ORDER})
    ) t
    """


EVENTS = """
SELECT count(DISTINCT case_id) AS cases, count(*) AS events,
       count(DISTINCT activity) AS activities, count(DISTINCT resource) AS resources,
       min(ts_us) AS start_us, max(ts_us) AS end_us
FROM pf_coded
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
SELECT 'end' AS side, activity, count(*) AS count FROM pf_steps WHERE is_last
GROUP BY activity
"""

ACTIVITIES = f"""
SELECT activity, count(*) AS count, count(DISTINCT case_id) AS cases,
       {stats('processing', 'processing')}, {stats('wait', 'wait')}
FROM pf_steps GROUP BY activity ORDER BY count DESC, activity
"""


DECISION_KEYS = ("activity", "role", "unit", "level", "resource")


def decisions() -> str:
    """Decision latency, waiting and processing: overall and by each of DECISION_KEYS in one
    pass; ``g_<key>`` is 0 on the rows grouped by that key."""
    keys = ", ".join(DECISION_KEYS)
    flags = ", ".join(f"grouping({k}) AS g_{k}" for k in DECISION_KEYS)
    sets = ", ".join(f"({k})" for k in DECISION_KEYS)
    return f"""
    SELECT {keys}, {flags}, {stats('elapsed', 'latency')}, {stats('wait', 'waiting')},
           {stats('processing', 'processing')}
    FROM pf_steps WHERE is_decision AND seq > 1
    GROUP BY GROUPING SETS ((), {sets})
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
                     "ORDER BY cases DESC, sequence",
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


BOTTLENECK_KEYS = {
    "activity": ("activity",),
    "edge": ("prev_activity", "activity"),
    "resource": ("resource",),
}


def bottlenecks(kind: str) -> str:
    """Time spent before each step (elapsed into it), with median and impact (METRICS §8).

    Groups are keyed ``k0`` (and ``k1`` for edges)."""
    cols = BOTTLENECK_KEYS[kind]
    keys = ", ".join(f"{c} AS k{i}" for i, c in enumerate(cols))
    names = ", ".join(f"k{i}" for i in range(len(cols)))
    on = " AND ".join(f"m.k{i} = v.k{i}" for i in range(len(cols)))
    vkeys = ", ".join(f"v.k{i}" for i in range(len(cols)))
    return f"""
    WITH v AS (SELECT {keys}, case_id, elapsed FROM pf_steps
               WHERE seq > 1 AND {cols[-1]} IS NOT NULL),
    m AS (SELECT {names}, quantile_cont(elapsed, 0.5) AS median,
                 quantile_cont(elapsed, 0.9) AS p90
          FROM v GROUP BY {names})
    SELECT {vkeys}, count(*) AS count, count(DISTINCT v.case_id) AS cases,
           sum(v.elapsed) AS total, max(m.median) AS median, max(m.p90) AS p90,
           sum(greatest(0, v.elapsed - m.median)) AS excess
    FROM v JOIN m ON {on} GROUP BY {vkeys}
    ORDER BY total DESC, {vkeys}
    """


VARIANTS = """
SELECT sequence, count(*) AS cases FROM (
    SELECT case_id, string_agg(CAST(activity AS VARCHAR), ',' ORDER BY seq) AS sequence
    FROM pf_steps GROUP BY case_id) t
GROUP BY sequence ORDER BY cases DESC, sequence
"""

