"""Every figure of METRICS.md §2–8 as SQL, written once (DuckDB dialect).

The Spark backend runs the same text through SQLGlot. Rules that keep it portable: times are
integer microseconds (``ts_us``, ``start_us``) made by the backend, window orders name their
NULLS placement, ordered lists use ``string_agg(x, sep ORDER BY k)``, and no DuckDB-only star
modifiers are used.

Tables built in order: ``pf_events`` (canonical events, by the backend) → ``pf_dict_<col>``
(integer codes of case ids, activities, resources, roles, units: windows and groups run on
integers) → ``pf_coded`` → ``pf_inst`` (instances; both only views unless lifecycle pairs are
joined) → ``pf_steps`` (instances in case order with the previous ones' attributes: the one
window pass) → ``pf_cases`` (one aggregation per case: times, variant, handoffs, decision
path). The figures are then groupings of these two tables: by activity, by edge and by
resource (materialised, for the bottleneck medians), decisions in one GROUPING SETS pass, and
small queries on ``pf_cases``. Results carry codes; the caller maps them back to names with
the dictionaries.
"""

from __future__ import annotations

from procflow.calendar.clock import cumulative_sql
from procflow.calendar.core import MAX_PERIODS
from procflow.ingest.instances import LifecycleMode, instances_sql

US = 1_000_000.0
STAT_KEYS = ("n", "mean", "median", "p90", "max", "total")
CASE_ORDER = "PARTITION BY case_id ORDER BY ts_us, start_us NULLS LAST, event_id"


QUANTILES = (0.5, 0.9)


def stats(expr: str, prefix: str) -> str:
    """SQL aggregates of ``expr`` named ``{prefix}_n``, ``_mean``, ``_q`` ([median, p90],
    one sort for both), ``_max`` and ``_total``."""
    return (f"count({expr}) AS {prefix}_n, avg({expr}) AS {prefix}_mean, "
            f"quantile_cont({expr}, {list(QUANTILES)}) AS {prefix}_q, max({expr}) AS {prefix}_max, "
            f"sum({expr}) AS {prefix}_total")


#: A column of :func:`grouped`: its name and either an aggregate or, for a quantile column,
#: the expression whose [median, p90] it holds.
Column = tuple[str, str, bool]

#: The aggregate of a grouping's distinct cases. Ranked groupings count the first row of each
#: (key, case) partition of a window instead, which DuckDB sorts in bounded memory: a distinct
#: aggregate (or a DISTINCT) hashes every (key, case) pair, and for 100 million events that
#: hash table asks for more memory at once than a 2 GB limit leaves.
DISTINCT_CASES = "count(DISTINCT case_id)"


def stat_columns(expr: str, prefix: str) -> list[Column]:
    """The columns of :func:`stats` for :func:`grouped`."""
    return [(f"{prefix}_n", f"count({expr})", False),
            (f"{prefix}_mean", f"avg({expr})", False), (f"{prefix}_q", expr, True),
            (f"{prefix}_max", f"max({expr})", False), (f"{prefix}_total", f"sum({expr})", False)]


def grouped(keys: dict[str, str], table: str, where: str, columns: list[Column],
            ranked: bool = True) -> str:
    """``SELECT <keys>, <columns> FROM <table> WHERE <where> GROUP BY <keys>`` (``keys``
    maps each output name to its expression), where each quantile column holds
    ``quantile_cont(expr, [0.5, 0.9])`` of its group: the same figures, read off a ranking
    window per group and interpolated as DuckDB does (``pf_interpolate``, see
    :func:`procflow.core.db.interpolate`; the rank of ``lo`` and ``d`` are the whole and
    fractional parts of ``(n − 1) × q`` in doubles). A window sorts in bounded memory,
    spilling to disk; the holistic aggregate holds every value of every group in memory.
    Without ``ranked``, one aggregation with ``quantile_cont`` (faster while it fits)."""
    if not ranked:
        return _aggregated(keys, table, where, columns)
    key_sql = ", ".join(f"{e} AS {k}" for k, e in keys.items())
    names = ", ".join(keys)
    aggs = "".join(f", {sql} AS {name}" for name, sql, quantile in columns
                   if not quantile and sql != DISTINCT_CASES)
    parts = [f"(SELECT {key_sql}{aggs} FROM {table} WHERE {where} "
             f"GROUP BY {', '.join(keys.values())}) a"]
    out = [f"a.{k}" for k in keys]
    for i, (name, expr, quantile) in enumerate(columns):
        if quantile:
            joined = _ranked_quantiles(key_sql, list(keys), table, where, expr, name)
        elif expr == DISTINCT_CASES:
            joined = (f"SELECT {names}, count(*) AS {name} FROM (SELECT {key_sql}, "
                      f"row_number() OVER (PARTITION BY {', '.join(keys.values())}, case_id) "
                      f"AS k FROM {table} WHERE {where}) d WHERE k = 1 GROUP BY {names}")
        else:
            out.append(f"a.{name}")
            continue
        parts.append(f"LEFT JOIN ({joined}) q{i} ON "
                     + " AND ".join(f"q{i}.{k} IS NOT DISTINCT FROM a.{k}" for k in keys))
        out.append(f"q{i}.{name}")
    return f"SELECT {', '.join(out)}\nFROM " + "\n".join(parts)


def _ranked_quantiles(key_sql: str, keys: list[str], table: str, where: str, expr: str,
                      name: str) -> str:
    """``<keys>, <name>``: [median, p90] of ``expr`` per group (see :func:`grouped`)."""
    names = ", ".join(keys)
    ranked = (f"SELECT {names}, v, row_number() OVER w - 1 AS r, count(*) OVER (w ROWS "
              f"BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n FROM ("
              f"SELECT {key_sql}, {expr} AS v FROM {table} WHERE ({where}) "
              f"AND ({expr}) IS NOT NULL) s "
              f"WINDOW w AS (PARTITION BY {names} ORDER BY v ASC NULLS LAST)")
    values, picks = [], []
    for q in QUANTILES:
        rn = f"(CAST(n - 1 AS DOUBLE) * CAST({q} AS DOUBLE))"
        lo = f"max(CASE WHEN r = floor({rn}) THEN v END)"
        hi = f"max(CASE WHEN r = ceil({rn}) THEN v END)"
        d = f"(max({rn}) - floor(max({rn})))"
        values.append(f"CASE WHEN floor(max({rn})) = ceil(max({rn})) THEN {lo} "
                      f"ELSE pf_interpolate({lo}, {hi}, {d}) END")
        picks += [f"r = floor({rn})", f"r = ceil({rn})"]
    return (f"SELECT {names}, [{', '.join(values)}] AS {name} FROM ({ranked}) t "
            f"WHERE {' OR '.join(picks)} GROUP BY {names}")


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


LIFECYCLES = "SELECT DISTINCT lifecycle FROM pf_events WHERE lifecycle IS NOT NULL"
ATTRIBUTES = ("resource", "role", "unit", "level")


def events(mode: LifecycleMode) -> str:
    """The log block (§3) in one scan of ``pf_events``, with how many instances carry each of
    ATTRIBUTES (in ``standard`` mode the instances are the ``complete`` rows)."""
    sizes = ", ".join(f"(SELECT count(*) FROM pf_dict_{c}) AS {alias}" for c, alias in
                      (("case_id", "cases"), ("activity", "activities"),
                       ("resource", "resources")))
    instance = "coalesce(lifecycle, 'complete') = 'complete'" if mode == "standard" else "TRUE"
    known = ", ".join(f"count(CASE WHEN {instance} THEN {c} END) AS {c}" for c in ATTRIBUTES)
    return (f"SELECT {sizes}, count(*) AS events, min(epoch_us(timestamp)) AS start_us, "
            f"max(epoch_us(timestamp)) AS end_us, {known} FROM pf_events")


def events_of_steps(steps: str) -> str:
    """:func:`events` from the step table ``steps`` of a log whose every event is an
    instance (no start and complete rows to pair): the same figures without reading the
    events."""
    sizes = ", ".join(f"(SELECT count(*) FROM pf_dict_{c}) AS {alias}" for c, alias in
                      (("case_id", "cases"), ("activity", "activities"),
                       ("resource", "resources")))
    known = ", ".join(f"count({c}) AS {c}" for c in ATTRIBUTES)
    return (f"SELECT {sizes}, count(*) AS events, min(ts_us) AS start_us, "
            f"max(ts_us) AS end_us, {known} FROM {steps}")


PREV2 = ("resource", "role", "unit")


def _is_decision(decisions: list[int]) -> str:
    return ("activity IN (" + ", ".join(str(int(c)) for c in decisions) + ")"
            if decisions else "FALSE")


def steps(decisions: list[int] | None, granularity: str | None, known: set[str],
          offset_us: int | None = None, max_periods: int = MAX_PERIODS,
          starts: bool = True, instances: str = "pf_inst") -> str:
    """Instances in case order with the previous instance's attributes (transitions);
    ``decisions`` are activity codes, ``known`` the ATTRIBUTES that have values (the others'
    ``prev_`` columns are null without a window).

    With ``offset_us`` (a working calendar registered as ``pf_calendar``, see
    :func:`procflow.calendar.cumulative_sql`), each row also carries the working clock at its
    completion and start (``w_ts``, ``w_start``, µs) and the working twins ``w_elapsed``,
    ``w_wait`` and ``w_processing`` (seconds), all differences of clock readings.
    ``max_periods`` is the day table's number of periods; without ``starts`` (no start
    times in the log) ``w_start`` is null without a join.

    With ``decisions=None`` the rows are the settings-independent step table stored beside
    a workspace log (:func:`cached_steps` reads it): no ``is_decision`` column, and
    ``prev2_<g>`` for every g of PREV2 (``granularity`` is then ignored).

    ``instances`` names the table of instances (columns as ``pf_inst``'s)."""
    lags = ", ".join(f"lag({c}) OVER w AS prev_{c}" if c in known or c == "activity"
                     else f"CAST(NULL AS INTEGER) AS prev_{c}" for c in ("activity", *ATTRIBUTES))
    prev = ", ".join(f"prev_{c}" for c in ("activity", *ATTRIBUTES))
    if decisions is None:
        decision_inner, decision_outer = "", ""
        lag2 = "".join(f", lag({g}, 2) OVER w AS prev2_{g}" if g in known
                       else f", CAST(NULL AS INTEGER) AS prev2_{g}" for g in PREV2)
        prev2 = "".join(f", prev2_{g}" for g in PREV2)
    else:
        decision_inner = f"{_is_decision(decisions)} AS is_decision, "
        decision_outer = "is_decision, "
        lag2 = f", lag({granularity}, 2) OVER w AS prev2_{granularity}" if granularity else ""
        prev2 = f", prev2_{granularity}" if granularity else ""
    source, w_inner, w_outer = instances, "", ""
    if offset_us is not None:
        j1, w_ts = cumulative_sql("i.ts_us", offset_us=offset_us, alias="cal_ts",
                                  max_periods=max_periods)
        j2, w_start = (cumulative_sql("i.start_us", offset_us=offset_us, alias="cal_start",
                                      max_periods=max_periods) if starts
                       else ("", "CAST(NULL AS BIGINT)"))
        source = (f"(SELECT i.*, {w_ts} AS w_ts, {w_start} AS w_start FROM {instances} i "
                  f"{j1} {j2}) p")
        w_inner = ", w_ts, w_start, lag(w_ts) OVER w AS prev_w_ts"
        w_outer = (f", w_ts, w_start, (w_ts - prev_w_ts) / {US} AS w_elapsed, "
                   f"CASE WHEN w_start IS NOT NULL AND prev_w_ts IS NOT NULL "
                   f"THEN greatest(0, w_start - prev_w_ts) / {US} END AS w_wait, "
                   f"(w_ts - w_start) / {US} AS w_processing")
    return f"""
    SELECT case_id, seq, activity, ts_us, start_us, resource, role, unit, level,
        (ts_us - prev_ts_us) / {US} AS elapsed,
        CASE WHEN start_us IS NOT NULL AND prev_ts_us IS NOT NULL
             THEN greatest(0, start_us - prev_ts_us) / {US} END AS wait,
        (ts_us - start_us) / {US} AS processing, {decision_outer}{prev}{prev2}{w_outer}
    FROM (
        SELECT case_id, activity, ts_us, start_us, resource, role, unit, level,
            row_number() OVER w AS seq, {decision_inner}
            lag(ts_us) OVER w AS prev_ts_us, {lags}{lag2}{w_inner}
        FROM {source}
        WINDOW w AS ({CASE_ORDER})
    ) t
    """


def cached_steps(table: str, decisions: list[int], granularity: str | None) -> str:
    """``pf_steps`` (as :func:`steps` builds it without a calendar) from ``table``, the step
    table :func:`steps` made with ``decisions=None``."""
    prev = ", ".join(f"prev_{c}" for c in ("activity", *ATTRIBUTES))
    prev2 = f", prev2_{granularity}" if granularity else ""
    return (f"SELECT case_id, seq, activity, ts_us, start_us, resource, role, unit, level, "
            f"elapsed, wait, processing, {_is_decision(decisions)} AS is_decision, "
            f"{prev}{prev2} FROM {table}")


def _handoff_terms(g: str) -> tuple[str, str, str]:
    """Conditions on a pf_steps row at granularity ``g``: both performers known, a handoff, a
    ping-pong."""
    known = f"prev_{g} IS NOT NULL AND {g} IS NOT NULL"
    handoff = f"{known} AND prev_{g} <> {g}"
    pingpong = f"prev2_{g} IS NOT NULL AND {known} AND {g} = prev2_{g} AND {g} <> prev_{g}"
    return known, handoff, pingpong


def _handoff_sums(g: str | None, suffix: str = "") -> str:
    if g is None:
        return "CAST(NULL AS BIGINT) AS handoffs, CAST(NULL AS BIGINT) AS ping_pongs"
    _, handoff, pingpong = _handoff_terms(g)
    return (f"sum(CASE WHEN {handoff} THEN 1 ELSE 0 END) AS handoffs{suffix}, "
            f"sum(CASE WHEN {pingpong} THEN 1 ELSE 0 END) AS ping_pongs{suffix}")


def handoff_counts(g: str) -> str:
    """Handoffs and ping-pong instances per case (``case_id``, ``handoffs``, ``ping_pongs``);
    ``pf_steps`` must have been built with granularity ``g``."""
    return f"SELECT case_id, {_handoff_sums(g)} FROM pf_steps GROUP BY case_id"


#: A case's variant: its activity codes in step order, joined by commas.
VARIANT = "string_agg(CAST(activity AS VARCHAR), ',' ORDER BY seq)"
#: The same text on DuckDB (the stored case tables), about four times faster: each step
#: packed into one integer (``seq`` in the high 32 bits, the activity code in the low ones),
#: the list of a case's steps sorted without an ordered aggregate and unpacked.
PACKED_VARIANT = ("array_to_string(list_transform(list_sort(list((CAST(seq AS BIGINT) << 32) "
                  "| activity)), lambda x: x & 4294967295), ',')")
CASE_TIMES = ("arrival_us", "completion_us", "first_us", "instances", "cycle_time", "span",
              "variant")


def cases(granularity: str | None, layers_by: str | None, working: bool = False,
          paused: list[int] | None = None, part: str = "all", steps: str = "pf_steps") -> str:
    """One row per case (``pf_cases``): times, the variant (activity codes in case order),
    handoffs and ping-pongs at ``granularity``, and the ``layers_by`` codes of its decision
    instances in case order (``decision_path``).

    ``working`` (pf_steps has the working clock) adds ``w_cycle_time`` and ``w_span`` (working
    seconds); ``w_cycle_time`` leaves out the working elapsed time into each instance of the
    ``paused`` activity codes (the clock stops while the case waits for them).

    ``part="times"`` (DuckDB only) gives ``case_id``, CASE_TIMES and ``handoffs_<g>``,
    ``ping_pongs_<g>`` for every g of PREV2 (they do not depend on the settings: stored beside
    a workspace log from a step table with every ``prev2_<g>``), ``part="path"`` ``case_id`` and
    ``decision_path`` of the cases with decisions; :func:`cached_cases` joins the two.
    ``steps`` names the step table (``pf_steps``)."""
    path = (f"string_agg(CAST({layers_by} AS VARCHAR), '→' ORDER BY seq) "
            f"FILTER (WHERE is_decision AND {layers_by} IS NOT NULL)" if layers_by
            else "CAST(NULL AS VARCHAR)")
    working_sql = ""
    if working:
        pause = ""
        if paused:
            codes = ", ".join(str(int(c)) for c in paused)
            pause = (f" - coalesce(sum(CASE WHEN seq > 1 AND activity IN ({codes}) "
                     f"THEN w_elapsed END), 0)")
        working_sql = (f",\n       (max(w_ts) - min(coalesce(w_start, w_ts))) / {US}{pause} "
                       f"AS w_cycle_time, (max(w_ts) - min(w_ts)) / {US} AS w_span")
    times = f"""min(coalesce(start_us, ts_us)) AS arrival_us, max(ts_us) AS completion_us,
       min(ts_us) AS first_us, count(*) AS instances,
       (max(ts_us) - min(coalesce(start_us, ts_us))) / {US} AS cycle_time,
       (max(ts_us) - min(ts_us)) / {US} AS span,
       {PACKED_VARIANT if part == "times" else VARIANT} AS variant"""
    if part == "times":
        sums = ", ".join(_handoff_sums(g, f"_{g}") for g in PREV2)
        return f"SELECT case_id, {times}, {sums} FROM {steps} GROUP BY case_id"
    if part == "path":
        return (f"SELECT case_id, {path} AS decision_path FROM {steps} WHERE is_decision "
                f"GROUP BY case_id")
    return f"""
    SELECT case_id, {times},
       {_handoff_sums(granularity)}, {path} AS decision_path{working_sql}
    FROM {steps} GROUP BY case_id
    """


def cached_cases(table: str, granularity: str | None, layers_by: str | None,
                 paths: str | None = None) -> str:
    """``pf_cases`` (as :func:`cases` builds it without a calendar) from ``table`` (its
    ``part="times"``) and the settings' part computed from ``pf_steps``."""
    times = ", ".join(f"t.{c}" for c in CASE_TIMES)
    sums = (f"t.handoffs_{granularity} AS handoffs, t.ping_pongs_{granularity} AS ping_pongs"
            if granularity else _handoff_sums(None))
    if layers_by is None:
        return (f"SELECT t.case_id, {times}, {sums}, "
                f"CAST(NULL AS VARCHAR) AS decision_path FROM {table} t")
    return (f"SELECT t.case_id, {times}, {sums}, p.decision_path "
            f"FROM {table} t LEFT JOIN ({paths or cases(None, layers_by, part='path')}) p "
            f"ON p.case_id = t.case_id")


CASE_TOTALS = f"""
SELECT count(*) AS cases, sum(instances) AS instances, sum(span) AS total_span,
       min(first_us) AS first_us, max(completion_us) AS last_us,
       {stats('cycle_time', 'cycle')}, {stats('handoffs', 'handoffs')},
       sum(ping_pongs) AS ping_pongs, count(CASE WHEN ping_pongs > 0 THEN 1 END) AS ping_pong_cases
FROM pf_cases
"""


def case_totals(working: bool = False) -> str:
    """CASE_TOTALS, with the working cycle time (``w_cycle``) and span when ``working``."""
    if not working:
        return CASE_TOTALS
    return CASE_TOTALS.replace(
        "FROM pf_cases", f", {stats('w_cycle_time', 'w_cycle')}, sum(w_span) AS w_total_span\n"
                         "FROM pf_cases")


VARIANTS = "SELECT variant AS sequence, count(*) AS cases FROM pf_cases GROUP BY variant"


def variant_ranks(cases: str) -> str:
    """Each ``variant`` of the table ``cases`` with its ``cases`` and its ``rank``: 1 for the
    most cases, ties in the order of the activity names (codes are in name order), as
    ``variants.top`` lists them."""
    return (f"SELECT variant, count(*) AS cases, row_number() OVER (ORDER BY count(*) DESC, "
            f"CAST(string_split(variant, ',') AS INTEGER[])) AS rank "
            f"FROM {cases} GROUP BY variant")

# Groupings materialised as pf_by_activity, pf_by_edge and pf_by_resource: they give the
# activities, the DFG edges and the bottlenecks, whose excess (below) needs their medians.
GROUPING_KINDS = ("activity", "edge", "resource")
_DECISION_PROCESSING = "CASE WHEN is_decision AND seq > 1 THEN {}processing END"

_ACTIVITY_CASES = """
JOIN (
    SELECT activity, count(*) AS cases, count(CASE WHEN last_seq > 1 THEN 1 END) AS elapsed_cases
    FROM (SELECT activity, case_id, max(seq) AS last_seq FROM pf_steps
          GROUP BY activity, case_id) t
    GROUP BY activity) c ON c.activity = s.activity
"""


def _grouping_columns(kind: str, working: bool) -> tuple[dict[str, str], str, list[Column]]:
    """The keys, condition and columns of the grouping ``kind`` (working twins included when
    ``working``)."""
    if kind == "activity":
        columns = [("count", "count(*)", False), *stat_columns("processing", "processing"),
                   *stat_columns("wait", "wait"), *stat_columns("elapsed", "elapsed")]
        if working:
            columns += [*stat_columns("w_processing", "w_processing"),
                        *stat_columns("w_wait", "w_wait"), *stat_columns("w_elapsed", "w_elapsed"),
                        *stat_columns(_DECISION_PROCESSING.format("w_"), "w_decision_processing")]
        columns += stat_columns(_DECISION_PROCESSING.format(""), "decision_processing")
        return {"activity": "activity"}, "TRUE", columns
    common = [("count", "count(*)", False), ("cases", DISTINCT_CASES, False)]
    if kind == "edge":
        columns = [*common, *stat_columns("elapsed", "elapsed"), *stat_columns("wait", "wait")]
        if working:
            columns += [*stat_columns("w_elapsed", "w_elapsed"), *stat_columns("w_wait", "w_wait")]
        return {"source": "prev_activity", "target": "activity"}, "seq > 1", columns
    columns = [*common, ("elapsed_total", "sum(elapsed)", False), ("elapsed_q", "elapsed", True)]
    if working:
        columns += [("w_elapsed_total", "sum(w_elapsed)", False),
                    ("w_elapsed_q", "w_elapsed", True)]
    return {"resource": "resource"}, "seq > 1 AND resource IS NOT NULL", columns


def groupings(working: bool = False, ranked: bool = True) -> dict[str, str]:
    """The groupings by activity, edge and resource of ``pf_steps``, with the working twins
    of their figures when ``working``. ``ranked`` reads the quantiles off ranking windows
    (:func:`grouped`; DuckDB, in bounded memory); otherwise they are ``quantile_cont``
    aggregates (any SQL engine)."""
    out = {}
    for kind in GROUPING_KINDS:
        keys, where, columns = _grouping_columns(kind, working)
        sql = grouped(keys, "pf_steps", where, columns, ranked)
        out[kind] = (f"SELECT s.*, c.cases, c.elapsed_cases FROM ({sql}) s {_ACTIVITY_CASES}"
                     if kind == "activity" else sql)
    return out


def cached_by_activity(table: str, decisions: list[int]) -> str:
    """``pf_by_activity`` from ``table``, the grouping by activity made with every activity a
    decision: an activity's ``decision_processing`` figures are those of its instances after
    the first of their case when it is one of ``decisions``, none otherwise."""
    chosen = _is_decision(decisions)
    kept = ", ".join(
        f"CASE WHEN {chosen} THEN decision_processing{s} ELSE {'0' if s == '_n' else 'NULL'} "
        f"END AS decision_processing{s}" for s in ("_n", "_mean", "_q", "_max", "_total"))
    return f"SELECT * REPLACE ({kept}) FROM {table}"


def _aggregated(keys: dict[str, str], table: str, where: str, columns: list[Column]) -> str:
    """:func:`grouped` as one aggregation (holistic quantiles, held in memory)."""
    out = ", ".join([*(f"{e} AS {k}" for k, e in keys.items()),
                     *(f"quantile_cont({sql}, {list(QUANTILES)}) AS {name}" if quantile
                       else f"{sql} AS {name}" for name, sql, quantile in columns)])
    return f"SELECT {out} FROM {table} WHERE {where} GROUP BY {', '.join(keys.values())}"


EXCESS_OVER_MEDIAN = "sum(greatest(0, s.elapsed - m.elapsed_q[1])) AS excess"

# Σ max(0, elapsed − median of its group) per bottleneck (METRICS §8), keyed k0 (and k1).
EXCESS = f"""
SELECT 'activity' AS kind, s.activity AS k0, CAST(NULL AS INTEGER) AS k1, {EXCESS_OVER_MEDIAN}
FROM pf_steps s JOIN pf_by_activity m ON m.activity = s.activity
WHERE s.seq > 1 GROUP BY s.activity
UNION ALL
SELECT 'edge' AS kind, s.prev_activity AS k0, s.activity AS k1, {EXCESS_OVER_MEDIAN}
FROM pf_steps s JOIN pf_by_edge m ON m.source = s.prev_activity AND m.target = s.activity
WHERE s.seq > 1 GROUP BY s.prev_activity, s.activity
UNION ALL
SELECT 'resource' AS kind, s.resource AS k0, CAST(NULL AS INTEGER) AS k1, {EXCESS_OVER_MEDIAN}
FROM pf_steps s JOIN pf_by_resource m ON m.resource = s.resource
WHERE s.seq > 1 GROUP BY s.resource
"""

WORKING_EXCESS = EXCESS.replace(
    EXCESS_OVER_MEDIAN, f"{EXCESS_OVER_MEDIAN}, "
    "sum(greatest(0, s.w_elapsed - m.w_elapsed_q[1])) AS w_excess")


def excess(working: bool = False) -> str:
    """EXCESS, with the working excess (``w_excess``) when ``working``."""
    return WORKING_EXCESS if working else EXCESS


LANE_KEYS = ("role", "unit", "level")

# How many instances of each activity each role, unit and level performed (``g_<key>`` is 0
# on the rows counted by that key).
LANES = f"""
SELECT activity, {", ".join(LANE_KEYS)}, {", ".join(f"grouping({k}) AS g_{k}" for k in LANE_KEYS)},
       count(*) AS count
FROM pf_steps GROUP BY GROUPING SETS ({", ".join(f"(activity, {k})" for k in LANE_KEYS)})
"""

DECISION_KEYS = ("activity", "role", "unit", "level", "resource")


def decisions(keys: tuple[str, ...] = DECISION_KEYS, working: bool = False,
              ranked: bool = False) -> str:
    """Decision latency, waiting and processing: overall and by each of ``keys`` (some of
    DECISION_KEYS); ``g_<key>`` is 0 on the rows grouped by that key. With ``working``, also
    their working twins (prefixes ``w_latency``, ``w_waiting``, ``w_processing``).
    ``ranked``: one :func:`grouped` per grouping (bounded memory; no overall row when no
    decision has a latency), else one pass with grouping sets."""
    figures = [("elapsed", "latency"), ("wait", "waiting"), ("processing", "processing")]
    if working:
        figures += [("w_elapsed", "w_latency"), ("w_wait", "w_waiting"),
                    ("w_processing", "w_processing")]
    where = "is_decision AND seq > 1"
    if ranked:
        columns = [c for expr, prefix in figures for c in stat_columns(expr, prefix)]
        parts = []
        for key in (None, *keys):
            flags = "".join(f"{0 if k == key else 1} AS g_{k}, " for k in keys)
            made = grouped({key: key} if key else {"all_steps": "TRUE"}, "pf_steps", where,
                           columns)
            parts.append(f"SELECT {flags}* EXCLUDE (all_steps) FROM ({made})" if key is None
                         else f"SELECT {flags}* FROM ({made})")
        return "\nUNION ALL BY NAME\n".join(parts)
    select = [*keys, *(f"grouping({k}) AS g_{k}" for k in keys),
              *(stats(expr, prefix) for expr, prefix in figures)]
    sets = ", ".join(["()", *(f"({k})" for k in keys)])
    return f"""
    SELECT {", ".join(select)}
    FROM pf_steps WHERE {where}
    GROUP BY GROUPING SETS ({sets})
    """


DECISIONS_EXCLUDED = "SELECT count(*) AS n FROM pf_steps WHERE is_decision AND seq = 1"


def handoffs(g: str, working: bool = False, ranked: bool = False) -> dict[str, str]:
    """Handoff queries at granularity column ``g`` (resource, role or unit); the handoff and
    ping-pong counts per case are in ``pf_cases``. ``working`` adds the pairs' working
    elapsed times (prefix ``w_elapsed``); ``ranked`` as :func:`grouped`."""
    known, handoff, _ = _handoff_terms(g)
    return {
        "totals": f"""
            SELECT sum(CASE WHEN seq > 1 AND NOT ({known}) THEN 1 ELSE 0 END) AS unknown,
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
        "pairs": handoff_pairs(g, working, ranked),
    }


def handoff_pairs(g: str, working: bool = False, ranked: bool = False) -> str:
    """The handoffs between each pair of performers at granularity ``g``: counts, cases and
    elapsed times (working ones too when ``working``), by :func:`grouped`."""
    _, handoff, _ = _handoff_terms(g)
    columns = [("count", "count(*)", False), ("cases", DISTINCT_CASES, False),
               *stat_columns("elapsed", "elapsed")]
    if working:
        columns += stat_columns("w_elapsed", "w_elapsed")
    return grouped({"source": f"prev_{g}", "target": g}, "pf_steps", handoff, columns, ranked)


def _layer_count(path: str) -> str:
    """Distinct codes in a ``→``-separated path (0 without one)."""
    return (f"CASE WHEN {path} IS NULL THEN 0 "
            f"ELSE array_length(list_distinct(string_split({path}, '→'))) END")


def layers(by: str) -> dict[str, str]:
    """Approval layers per case: distinct ``by`` (level or role) among decision performers.

    ``from_cases`` is materialised as ``pf_layers`` from ``pf_cases`` built with
    ``layers_by=by`` (each distinct decision path is split once); ``stats`` and ``histogram``
    read it; ``paths`` gives each decision path with its cases (the caller collapses
    repeats). ``per_case`` gives the same ``case_id``, ``layers`` from ``pf_steps``, for any
    ``by``.
    """
    return {
        "from_cases": f"""
            SELECT c.case_id, coalesce(p.layers, 0) AS layers FROM pf_cases c LEFT JOIN (
                SELECT path, {_layer_count('path')} AS layers
                FROM (SELECT DISTINCT decision_path AS path FROM pf_cases) d) p
            ON p.path = c.decision_path""",
        "stats": f"SELECT {stats('layers', 'x')} FROM pf_layers",
        "histogram": "SELECT layers, count(*) AS cases FROM pf_layers GROUP BY layers",
        "paths": "SELECT decision_path AS path, count(*) AS cases FROM pf_cases "
                 "WHERE decision_path IS NOT NULL GROUP BY decision_path",
        "per_case": f"SELECT case_id, count(DISTINCT CASE WHEN is_decision THEN {by} END) "
                    f"AS layers FROM pf_steps GROUP BY case_id",
    }
