"""A log's activity instances and cases as SQL tables (METRICS §2), the settings they are
built with, and the derived tables a workspace stores with each log to skip rebuilding them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from procflow.calendar import Calendar
from procflow.core import db
from procflow.errors import InputError
from procflow.eventlog import CaseSubset, EventLog
from procflow.ingest.instances import LifecycleMode, mode_of
from procflow.measure import queries as q
from procflow.measure.backends import Backend, DuckDBBackend
from procflow.measure.decisions import select_decisions
from procflow.measure.working_clock import Clock, load_clock

HandoffBy = Literal["resource", "role", "unit"]


@dataclass(frozen=True)
class Settings:
    """The choices an analysis was made with (reported with it)."""

    decisions: str | None = None
    decision_activities: tuple[str, ...] | None = None
    handoff_by: HandoffBy | None = None
    top_variants: int = 20
    calendar: str | Calendar | None = None
    calendar_zone: str | None = None
    sla: tuple[str, ...] | None = None
    pause: tuple[str, ...] | None = None


@dataclass
class Prepared:
    """A log's activity instances, ready for SQL: the tables of one computation.

    ``pf_steps`` has one row per activity instance, in case order, with these columns (codes
    are integers; ``name()`` turns them back into text):

    - ``case_id`` (code; ``pf_dict_case_id`` maps it to the case name), ``seq`` (1, 2, … in
      case order), ``activity`` (code), ``ts_us`` (completion) and ``start_us`` (start, null
      if unknown), in microseconds since 1970-01-01 UTC;
    - ``resource``, ``role``, ``unit`` (codes) and ``level`` (a number), null if unknown;
    - ``elapsed`` (seconds from the previous instance's completion to this completion),
      ``wait`` (from that completion to this start, never negative) and ``processing``
      (start to completion), null where they cannot be computed (``elapsed`` and ``wait``
      on the first instance of a case, ``seq = 1``);
    - ``is_decision`` (the activity is one of ``chosen``);
    - ``prev_activity``, ``prev_resource``, ``prev_role``, ``prev_unit``, ``prev_level``:
      the previous instance's (null on the first one), and ``prev2_<g>`` (the one before
      that) for the handoff granularity ``granularity`` when there is one.

    ``pf_cases`` has one row per case: ``case_id``, ``arrival_us`` (earliest start or
    completion), ``completion_us`` (latest completion), ``first_us`` (earliest completion),
    ``instances``, ``cycle_time`` and ``span`` (seconds: completion − arrival, and latest −
    earliest completion), ``variant`` (the activity codes in case order, comma-separated),
    ``handoffs`` and ``ping_pongs`` (at ``granularity``, null without one) and
    ``decision_path`` (``layers_by`` codes of the decision instances in case order,
    ``→``-separated; null without any).

    With a calendar (``clock``; its day table is ``pf_calendar``), ``pf_steps`` also has the
    working clock readings ``w_ts`` and ``w_start`` (µs) and the working twins ``w_elapsed``,
    ``w_wait`` and ``w_processing`` (seconds), and ``pf_cases`` has ``w_cycle_time`` (less
    the working elapsed time into paused activities) and ``w_span``.

    ``names`` maps each of activity, resource, role and unit to ``{code: name}``;
    ``present`` counts the instances that have a resource, role, unit, level and start time.
    """

    backend: Backend
    names: dict[str, dict[int, str]]
    present: dict[str, int]
    chosen: list[str]
    mode: LifecycleMode
    granularity: HandoffBy | None
    layers_by: str | None
    log: dict[str, Any]
    clock: Clock | None = None
    cache: str | None = None

    @property
    def has_start(self) -> bool:
        return self.present["start"] > 0

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The rows of ``sql`` (DuckDB dialect) as dictionaries."""
        return self.backend.rows(sql)

    def name(self, column: str, code: int | None) -> Any:
        """The text behind ``code`` (levels are numbers already)."""
        return code if code is None or column == "level" else self.names[column][code]


@contextmanager
def prepared(log: EventLog, settings: Settings = Settings()) -> Iterator[Prepared]:
    """DuckDB: build pf_steps and pf_cases for `log` and drop them afterwards."""
    backend = DuckDBBackend(log.con, log.table, log.subset)
    try:
        yield prepare(backend, settings)
    finally:
        backend.close()


def prepare(backend: Backend, settings: Settings) -> Prepared:
    """Build ``pf_steps`` and ``pf_cases`` from ``pf_events`` on ``backend`` (METRICS §2).

    A workspace log's stored dictionaries and step table (:func:`build_cache`) are read
    instead of being rebuilt, except with a calendar (whose clock joins the instances); so
    are those of the log a filtered log was cut from (its ``subset``), restricted to its
    cases."""
    subset = (backend.subset if isinstance(backend, DuckDBBackend)
              and settings.calendar is None else None)
    cache = _cache(backend) if settings.calendar is None and subset is None else None
    if subset is not None:
        mode = _restrict(backend, subset)
        names, mode, log, present = _base(backend, SUBSET, mode)
    else:
        names, mode, log, present = _base(backend, cache)
    chosen = _decisions(backend, names, settings)
    codes = {v: k for k, v in names["activity"].items()}
    unknown = [a for a in settings.pause or () if a not in codes]
    if unknown:
        raise InputError(f"cannot pause the clock for {', '.join(map(repr, unknown))}: no "
                         "such activity in the log.",
                         fix="give activity names exactly as in the log (procflow info).")
    clock = load_clock(backend, settings.calendar, settings.calendar_zone, log, mode)
    granularity = _granularity(settings, present)
    decisions = [codes[a] for a in chosen]
    if subset is not None:
        backend.view("pf_steps", q.cached_steps(f"{SUBSET}_steps", decisions, granularity))
    elif cache is not None:
        backend.view("pf_steps", q.cached_steps(f"{cache}_steps", decisions, granularity))
    else:
        _instances(backend, mode)
        backend.create("pf_steps", q.steps(decisions, granularity,
                                           {c for c, n in present.items() if n},
                                           clock.offset_us if clock else None,
                                           clock.max_periods if clock else q.MAX_PERIODS,
                                           clock.starts if clock else True))
        backend.drop("pf_inst")
        backend.drop("pf_coded")
    present["start"] = int(backend.rows("SELECT count(start_us) AS n FROM pf_steps")[0]["n"])
    layers_by = _layers_by(present)
    stored = subset.prefix if subset is not None else cache
    if stored is not None:
        backend.create("pf_cases", q.cached_cases(
            f"{SUBSET if subset is not None else cache}_cases", granularity,
            layers_by if chosen else None,
            _stored_paths(backend, stored, decisions, layers_by if chosen else None)))
    else:
        backend.create("pf_cases", q.cases(granularity, layers_by if chosen else None,
                                           working=clock is not None,
                                           paused=[codes[a] for a in settings.pause or ()]))
    return Prepared(backend, names, present, chosen, mode, granularity, layers_by, log, clock,
                    cache)


#: Prefix of the step, case and dictionary tables of a filtered log's cases (:func:`_restrict`).
SUBSET = "pf_part"


def _restrict(backend: Backend, subset: CaseSubset) -> LifecycleMode:
    """``pf_part_steps``, ``_cases`` and ``_dict_<column>``: the tables of ``subset.prefix``
    for the cases of ``subset.cases``, the dictionaries keeping the names that the events of
    ``pf_events`` use (their codes unchanged, so still in name order)."""
    prefix = subset.prefix
    mode = mode_of({r["lifecycle"] for r in backend.rows(q.LIFECYCLES)})
    if subset.cases is None:
        for part in ("steps", "cases", *(f"dict_{c}" for c in q.DICT_COLUMNS)):
            backend.view(f"{SUBSET}_{part}", f"SELECT * FROM {prefix}_{part}")
        return mode
    kept = f"SELECT case_id FROM {subset.cases}"
    backend.create(f"{SUBSET}_steps", f"SELECT * FROM {prefix}_steps WHERE case_id IN ({kept})")
    backend.view(f"{SUBSET}_cases", f"SELECT * FROM {prefix}_cases WHERE case_id IN ({kept})")
    backend.view(f"{SUBSET}_dict_case_id",
                 f"SELECT name, code FROM {prefix}_dict_case_id WHERE code IN ({kept})")
    # Every row is an instance unless start and complete rows are paired; then rows that are
    # not instances (starts, other transitions) may name other activities and performers.
    pairs = mode == "standard"
    for column in q.DICT_COLUMNS[1:]:
        used = (f"name IN (SELECT {column} FROM pf_events)" if pairs
                else f"code IN (SELECT DISTINCT {column} FROM {SUBSET}_steps)")
        backend.create(f"{SUBSET}_dict_{column}",
                       f"SELECT name, code FROM {prefix}_dict_{column} WHERE {used}")
    return mode


def _base(backend: Backend, cache: str | None = None, mode: LifecycleMode | None = None
          ) -> tuple[dict[str, dict[int, str]], LifecycleMode, dict[str, Any], dict[str, int]]:
    """The dictionaries (read from ``cache`` if given), the lifecycle mode (unless given:
    then ``cache`` is a filtered log's, whose log block comes from its steps when every
    event is an instance), the log block and how many instances carry each attribute."""
    names = _dictionaries(backend, cache)
    if mode is None:
        mode = mode_of({r["lifecycle"] for r in backend.rows(q.LIFECYCLES)})
        log = backend.rows(q.events(mode))[0]
    else:
        log = backend.rows(q.events(mode) if mode == "standard"
                           else q.events_of_steps(f"{cache}_steps"))[0]
    present = {c: int(log[c]) for c in q.ATTRIBUTES}
    return names, mode, log, present


def _instances(backend: Backend, mode: LifecycleMode) -> None:
    """Build ``pf_coded`` and ``pf_inst`` (the caller drops them)."""
    # Pairing reads the coded events twice, so it gets a table; otherwise the window of
    # pf_steps reads the events through the dictionaries directly.
    make = backend.create if mode == "standard" else backend.view
    make("pf_coded", q.coded())
    make("pf_inst", q.instances(mode))


CACHED_GROUPINGS = ("edge", "resource")
CACHE_PARTS = (*(f"dict_{c}" for c in q.DICT_COLUMNS), "steps", "cases",
               *(f"by_{kind}" for kind in CACHED_GROUPINGS), "excess", "lanes")


def _cache(backend: Backend) -> str | None:
    """The prefix of the stored derived tables of a workspace log, if it has them."""
    if not isinstance(backend, DuckDBBackend):
        return None
    return backend.source if has_cache(backend.con, backend.source) else None


def has_cache(con: Any, table: str) -> bool:
    """Whether the events table ``table`` has its derived tables stored beside it."""
    found = db.scalar(
        con, "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND table_name IN ("
        + ", ".join(f"'{table}_{part}'" for part in CACHE_PARTS) + ")")
    return bool(found == len(CACHE_PARTS))


def build_case_tables(con: Any, table: str, prefix: str) -> None:
    """The dictionaries, step table and case times of the events ``table`` as temporary
    tables ``<prefix>_dict_<column>``, ``<prefix>_steps`` and ``<prefix>_cases`` (as
    :func:`build_cache` stores them), for a :class:`CaseSubset` of its cases."""
    backend = DuckDBBackend(con, table)
    try:
        _case_tables(backend, prefix, "TEMP TABLE")
    finally:
        backend.close()


def cut_case_tables(con: Any, prefix: str, keep: str, new: str,
                    cases: str | None = None) -> None:
    """``<new>_steps``, ``_cases`` and ``_dict_<column>`` (temporary): the step and case
    tables of ``prefix`` for the cases in the table ``cases`` (column ``case_id``; None: all)
    and the instances for which ``keep`` (a condition on a row of the step table) holds. The
    cases that lose an instance are numbered, linked and summed again in their order; the
    others are read as they are (the steps through a view: read them through a
    :class:`CaseSubset` with a table of the cases, which copies them once). The dictionaries
    are ``prefix``'s (the same codes; names of vanished events included).

    When every event is an instance (no start and complete rows to pair) and ``keep``
    selects the instances of the events kept, these are the tables :func:`build_case_tables`
    would build from the events kept."""
    within = f"case_id IN (SELECT case_id FROM {cases})" if cases else "TRUE"
    touched = f"(SELECT case_id FROM {new}_touched)"
    db.run(con, f"CREATE TEMP TABLE {new}_touched AS SELECT DISTINCT case_id FROM "
                f"{prefix}_steps WHERE {within} AND NOT coalesce(({keep}), FALSE)")
    db.run(con, f"CREATE TEMP VIEW {new}_inst AS SELECT case_id, activity, ts_us, start_us, "
                f"resource, role, unit, level, seq AS event_id FROM {prefix}_steps "
                f"WHERE case_id IN {touched} AND ({keep})")
    db.run(con, f"CREATE TEMP TABLE {new}_redone AS "
                + q.steps(None, None, set(q.ATTRIBUTES), instances=f"{new}_inst"))
    db.run(con, f"CREATE TEMP VIEW {new}_steps AS SELECT * FROM {prefix}_steps "
                f"WHERE {within} AND case_id NOT IN {touched} "
                f"UNION ALL BY NAME SELECT * FROM {new}_redone")
    db.run(con, f"CREATE TEMP TABLE {new}_cases AS SELECT * FROM {prefix}_cases "
                f"WHERE {within} AND case_id NOT IN {touched} UNION ALL BY NAME "
                + q.cases(None, None, part="times", steps=f"{new}_redone"))
    for column in q.DICT_COLUMNS:
        db.run(con, f"CREATE TEMP VIEW {new}_dict_{column} AS SELECT name, code FROM "
                    f"{prefix}_dict_{column}")


def _case_tables(backend: DuckDBBackend, prefix: str, kind: str
                 ) -> tuple[dict[str, dict[int, str]], dict[str, int]]:
    """Create the dictionaries, ``<prefix>_steps`` and ``<prefix>_cases`` (``kind`` is
    ``TABLE`` or ``TEMP TABLE``); ``pf_steps`` is then a view of the steps. Returns the
    names by code and the attribute counts."""
    con = backend.con
    names, mode, _, present = _base(backend)
    _instances(backend, mode)
    for column in q.DICT_COLUMNS:
        db.run(con, f"CREATE {kind} {prefix}_dict_{column} AS SELECT * FROM pf_dict_{column}")
    db.run(con, f"CREATE {kind} {prefix}_steps AS "
                + q.steps(None, None, {c for c, n in present.items() if n}))
    backend.view("pf_steps", f"SELECT * FROM {prefix}_steps")
    db.run(con, f"CREATE {kind} {prefix}_cases AS " + q.cases(None, None, part="times"))
    return names, present


def build_cache(con: Any, table: str) -> None:
    """Store the settings-independent tables of the events table ``table`` beside it:
    ``<table>_dict_<column>``, ``<table>_steps`` (:func:`q.steps` with no decisions) and
    ``<table>_cases`` (the settings-independent part of :func:`q.cases`), the groupings
    by activity (every step counted as a decision: :func:`q.cached_by_activity`), edge and
    resource, the bottleneck excess and the lanes, and the figures of the default settings
    (:data:`KEYED_PARTS`), built by the same queries as :func:`prepare`. :func:`drop_cache`
    removes them."""
    backend = DuckDBBackend(con, table)
    try:
        names, present = _case_tables(backend, table, "TABLE")
        steps = f"{table}_steps"
        ranked = ranks_quantiles(backend)
        made = q.groupings(ranked=ranked)
        backend.view("pf_steps", q.cached_steps(steps, sorted(names["activity"]), None))
        db.run(con, f"CREATE TABLE {table}_by_activity AS {made['activity']}")
        backend.view("pf_by_activity", f"SELECT * FROM {table}_by_activity")
        backend.view("pf_steps", q.cached_steps(steps, [], None))
        for kind in CACHED_GROUPINGS:
            db.run(con, f"CREATE TABLE {table}_by_{kind} AS {made[kind]}")
            backend.view(f"pf_by_{kind}", f"SELECT * FROM {table}_by_{kind}")
        db.run(con, f"CREATE TABLE {table}_excess AS {q.excess()}")
        db.run(con, f"CREATE TABLE {table}_lanes AS {q.LANES}")
        # The figures of the default settings: decisions, their paths, the handoff pairs.
        codes = {v: k for k, v in names["activity"].items()}
        chosen = [codes[a] for a in select_decisions(sorted(codes))]
        granularity = _granularity(Settings(), present)
        backend.view("pf_steps", q.cached_steps(steps, chosen, granularity))
        layers_by = _layers_by(present)
        if chosen:
            keys = decision_keys(present)
            _store_part(con, table, "decisions", q.decisions(keys, ranked=ranked),
                        _decisions_key(chosen, keys))
        if chosen and layers_by:
            _store_part(con, table, "paths", q.cases(None, layers_by, part="path"),
                        _paths_key(chosen, layers_by))
        if granularity:
            _store_part(con, table, "pairs", q.handoff_pairs(granularity, ranked=ranked),
                        granularity)
    finally:
        backend.close()


#: Figures stored for the default settings only, each with the key of its settings in
#: ``<table>_<part>_key``: read when an analysis has the same settings.
KEYED_PARTS = ("decisions", "paths", "pairs")


def _store_part(con: Any, table: str, part: str, sql: str, key: str) -> None:
    db.run(con, f"CREATE TABLE {table}_{part} AS {sql}")
    db.run(con, f"CREATE TABLE {table}_{part}_key AS SELECT ? AS key", [key])


def stored_part(con: Any, cache: str | None, part: str, key: str) -> str | None:
    """``<cache>_<part>`` when it was stored for the settings ``key`` (else None); ``con`` is
    the DuckDB connection of the stored tables."""
    if cache is None or not db.scalar(
            con, f"SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND "
            f"table_name = '{cache}_{part}_key'"):
        return None
    if db.scalar(con, f"SELECT key FROM {cache}_{part}_key") != key:
        return None
    return f"{cache}_{part}"


def decision_keys(present: dict[str, int]) -> tuple[str, ...]:
    """The keys decisions are grouped by: those of ``q.DECISION_KEYS`` the log has."""
    return tuple(k for k in q.DECISION_KEYS[1:] if present[k])


def _decisions_key(decisions: list[int], keys: tuple[str, ...]) -> str:
    return ",".join(map(str, sorted(decisions))) + "|" + ",".join(keys)


def stored_decisions(run: Prepared, keys: tuple[str, ...]) -> str | None:
    """The stored decision figures of ``run``'s log if they were made for its decisions."""
    if not isinstance(run.backend, DuckDBBackend):
        return None
    codes = {v: k for k, v in run.names["activity"].items()}
    return stored_part(run.backend.con, run.cache, "decisions",
                       _decisions_key([codes[a] for a in run.chosen], keys))


def stored_pairs(run: Prepared, granularity: str) -> str | None:
    """The stored handoff pairs of ``run``'s log if they were made at ``granularity``."""
    if not isinstance(run.backend, DuckDBBackend):
        return None
    return stored_part(run.backend.con, run.cache, "pairs", granularity)


def stored_by_activity(run: Prepared) -> str | None:
    """The grouping by activity of ``run``'s decisions read off the stored one (which
    counts every step as a decision), when the log has it."""
    if run.cache is None or not run.rows(
            f"SELECT count(*) AS n FROM duckdb_tables() WHERE NOT temporary AND "
            f"table_name = '{run.cache}_by_activity'")[0]["n"]:
        return None
    codes = {v: k for k, v in run.names["activity"].items()}
    return q.cached_by_activity(f"{run.cache}_by_activity", [codes[a] for a in run.chosen])


#: Bytes of memory a quantile aggregate may take per step: up to eight quantile columns of
#: 8-byte values in vectors that grow by doubling.
QUANTILE_BYTES = 128


def ranks_quantiles(backend: Backend) -> bool:
    """Whether the groupings of ``pf_steps`` read their quantiles off ranking windows, which
    spill (:func:`q.grouped`): on DuckDB, when holding every value could crowd its memory
    limit; otherwise the aggregates, faster while they fit. The figures are the same."""
    if not isinstance(backend, DuckDBBackend):
        return False
    steps = int(backend.rows("SELECT count(*) AS n FROM pf_steps")[0]["n"])
    return steps * QUANTILE_BYTES > db.memory_limit(backend.con)


def _layers_by(present: dict[str, int]) -> str | None:
    return "level" if present["level"] else "role" if present["role"] else None


def _paths_key(decisions: list[int], layers_by: str) -> str:
    return ",".join(map(str, sorted(decisions))) + "|" + layers_by


def _stored_paths(backend: Backend, cache: str, decisions: list[int],
                  layers_by: str | None) -> str | None:
    """The stored decision paths of ``cache`` if they were made for these settings."""
    if not decisions or layers_by is None or not isinstance(backend, DuckDBBackend):
        return None
    table = stored_part(backend.con, cache, "paths", _paths_key(decisions, layers_by))
    return f"SELECT case_id, decision_path FROM {table}" if table else None


def drop_cache(con: Any, table: str) -> None:
    """Drop what :func:`build_cache` stored for ``table`` (if anything)."""
    for part in (*CACHE_PARTS, "by_activity", *KEYED_PARTS, *(f"{p}_key" for p in KEYED_PARTS)):
        db.run(con, f"DROP TABLE IF EXISTS {table}_{part}")


def _dictionaries(backend: Backend, cache: str | None = None) -> dict[str, dict[int, str]]:
    """Build ``pf_dict_<column>`` (views of ``cache``'s if given); return the names by code
    (all but case ids)."""
    names = {}
    for column in q.DICT_COLUMNS:
        if cache is not None:
            backend.view(f"pf_dict_{column}", f"SELECT name, code FROM {cache}_dict_{column}")
        else:
            backend.create(f"pf_dict_{column}", q.dictionary(column))
        if column != "case_id":
            names[column] = {r["code"]: r["name"] for r in backend.rows(
                f"SELECT code, name FROM pf_dict_{column}")}
    return names


def _decisions(backend: Backend, names: dict[str, dict[int, str]], settings: Settings
               ) -> list[str]:
    """The decision steps among the log's activities. The steps named for a log cut from
    another one are checked against that whole log (a slice need not reach them all), and
    those the slice never reaches are left out."""
    present = sorted(names["activity"].values())
    subset = backend.subset if isinstance(backend, DuckDBBackend) else None
    if settings.decision_activities is None or subset is None:
        return select_decisions(present, pattern=settings.decisions,
                                names=None if settings.decision_activities is None
                                else list(settings.decision_activities))
    whole = [r["name"] for r in backend.rows(f"SELECT name FROM {subset.prefix}_dict_activity")]
    kept = set(select_decisions(whole, names=list(settings.decision_activities)))
    return [a for a in present if a in kept]


def _granularity(settings: Settings, present: dict[str, int]) -> HandoffBy | None:
    if settings.handoff_by:
        return settings.handoff_by
    for g in ("resource", "role", "unit"):
        if present[g]:
            return g
    return None
