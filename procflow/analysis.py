"""Run every measure on a backend and assemble ``analysis.json`` (METRICS.md §11)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd

from procflow import db
from procflow.calendar import (
    Calendar,
)
from procflow.engine import queries as q
from procflow.engine.backends import Backend, DuckDBBackend, SparkBackend
from procflow.engine.clock import Clock, load_clock
from procflow.engine.instances import LifecycleMode, mode_of
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.measure.decisions import DEFAULT_PATTERN, select_decisions
from procflow.measure.sla import parse_sla, sla_block
from procflow.result import JsonResult

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
HandoffBy = Literal["resource", "role", "unit"]
Engine = Literal["duckdb", "spark"]


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
class Analysis(JsonResult):
    """The figures of one log; ``to_dict()`` is ``analysis.json`` (the JSON contract)."""

    settings: Settings = field(default_factory=Settings)
    FILENAME: ClassVar[str] = "analysis.json"

    def table(self, name: str) -> pd.DataFrame:
        """A list in the result as a flat DataFrame: ``dfg``, ``activities``, ``bottlenecks``,
        ``handoff_pairs``, ``variants``, ``layer_sequences`` or ``decisions_by_<key>``."""
        lists = {
            "dfg": self.data["dfg"]["edges"], "activities": self.data["activities"],
            "bottlenecks": self.data["bottlenecks"], "variants": self.data["variants"]["top"],
            "handoff_pairs": self.data["handoffs"]["pairs"],
            "layer_sequences": (self.data["layers"] or {}).get("sequences", []),
        }
        for key in ("activity", "role", "unit", "level", "resource"):
            lists[f"decisions_by_{key}"] = self.data["decisions"][f"by_{key}"]
        if name not in lists:
            raise KeyError(f"no table {name!r}; tables: {', '.join(lists)}")
        return pd.json_normalize(lists[name])


def analyze(
    log: EventLog | str | Path,
    *,
    decisions: str | None = None,
    decision_activities: list[str] | None = None,
    handoff_by: HandoffBy | None = None,
    engine: Engine = "duckdb",
    spark_master: str = "local[*]",
    top_variants: int = 20,
    calendar: str | Calendar | None = None,
    calendar_zone: str | None = None,
    sla: Sequence[str] | None = None,
    pause: Sequence[str] | None = None,
    **read_options: Any,
) -> Analysis:
    """Measure ``log``: an EventLog, or a file path read with ``read_options``.

    With ``engine="spark"``, a path to canonical Parquet (``procflow export NAME --to
    x.parquet``, or a folder or cluster URL of such files) is read by Spark directly.

    ``calendar`` (``"id"``, ``"id-sat"``, an override CSV path, or a :class:`Calendar`) adds
    the working-time twins of every duration (``calendar_zone`` is the zone of a named
    calendar, default Asia/Jakarta). With a calendar, ``sla`` checks service standards
    (``"case=20 working days"``, ``"ACTIVITY=3 working days"``) and ``pause`` names
    activities whose elapsed time into them does not count as service time.
    """
    settings = Settings(decisions, tuple(decision_activities) if decision_activities else None,
                        handoff_by, top_variants, calendar, calendar_zone,
                        tuple(sla) if sla else None, tuple(pause) if pause else None)
    if calendar is None and (settings.sla or settings.pause):
        raise InputError("service standards (--sla) and pausing the clock (--pause) are "
                         "measured in working time and need a calendar.",
                         fix="add --calendar id (or id-sat, or an override file).")
    for spec in settings.sla or ():
        parse_sla(spec)
    if engine == "spark" and not isinstance(log, EventLog) and is_parquet_source(log):
        return _run(SparkBackend(log, spark_master), Path(str(log)).stem, settings)
    if not isinstance(log, EventLog):
        from procflow.api import read

        log = read(log, **read_options)
    if engine == "duckdb":
        return _run(DuckDBBackend(log.con, log.table), log.name, settings)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "events.parquet"
        log.relation.write_parquet(str(parquet))
        return _run(SparkBackend(parquet, spark_master), log.name, settings)


def is_parquet_source(source: str | Path) -> bool:
    """A cluster URL, a folder, or a file ending in ``.parquet``."""
    text = str(source)
    return "://" in text or text.endswith(".parquet") or Path(text).is_dir()


def _run(backend: Backend, name: str, settings: Settings) -> Analysis:
    try:
        return Analysis(compute(backend, name, settings), settings)
    finally:
        backend.close()


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
    backend = DuckDBBackend(log.con, log.table)
    try:
        yield prepare(backend, settings)
    finally:
        backend.close()


def prepare(backend: Backend, settings: Settings) -> Prepared:
    """Build ``pf_steps`` and ``pf_cases`` from ``pf_events`` on ``backend`` (METRICS §2).

    A workspace log's stored dictionaries and step table (:func:`build_cache`) are read
    instead of being rebuilt, except with a calendar (whose clock joins the instances)."""
    cache = _cache(backend) if settings.calendar is None else None
    names, mode, log, present = _base(backend, cache)
    chosen = select_decisions(sorted(names["activity"].values()), pattern=settings.decisions,
                              names=list(settings.decision_activities)
                              if settings.decision_activities else None)
    codes = {v: k for k, v in names["activity"].items()}
    unknown = [a for a in settings.pause or () if a not in codes]
    if unknown:
        raise InputError(f"cannot pause the clock for {', '.join(map(repr, unknown))}: no "
                         "such activity in the log.",
                         fix="give activity names exactly as in the log (procflow info).")
    clock = load_clock(backend, settings.calendar, settings.calendar_zone, log, mode)
    granularity = _granularity(settings, present)
    decisions = [codes[a] for a in chosen]
    if cache is not None:
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
    if cache is not None:
        backend.create("pf_cases", q.cached_cases(
            f"{cache}_cases", granularity, layers_by if chosen else None,
            _stored_paths(backend, cache, decisions, layers_by if chosen else None)))
    else:
        backend.create("pf_cases", q.cases(granularity, layers_by if chosen else None,
                                           working=clock is not None,
                                           paused=[codes[a] for a in settings.pause or ()]))
    return Prepared(backend, names, present, chosen, mode, granularity, layers_by, log, clock,
                    cache)


def _base(backend: Backend, cache: str | None = None
          ) -> tuple[dict[str, dict[int, str]], LifecycleMode, dict[str, Any], dict[str, int]]:
    """The dictionaries (read from ``cache`` if given), the lifecycle mode, the log block
    and how many instances carry each attribute."""
    names = _dictionaries(backend, cache)
    mode = mode_of({r["lifecycle"] for r in backend.rows(q.LIFECYCLES)})
    log = backend.rows(q.events(mode))[0]
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
    prefix = backend.source
    found = backend.rows(
        "SELECT count(*) AS n FROM duckdb_tables() WHERE NOT temporary AND table_name IN ("
        + ", ".join(f"'{prefix}_{part}'" for part in CACHE_PARTS) + ")")[0]["n"]
    return prefix if found == len(CACHE_PARTS) else None


def build_cache(con: Any, table: str) -> None:
    """Store the settings-independent tables of the events table ``table`` beside it:
    ``<table>_dict_<column>``, ``<table>_steps`` (:func:`q.steps` with no decisions) and
    ``<table>_cases`` (the settings-independent part of :func:`q.cases`), the groupings
    by edge and by resource, the bottleneck excess and the lanes,
    built by the same queries as :func:`prepare`. :func:`drop_cache` removes them."""
    backend = DuckDBBackend(con, table)
    try:
        names, mode, _, present = _base(backend)
        _instances(backend, mode)
        for column in q.DICT_COLUMNS:
            db.run(con, f"CREATE TABLE {table}_dict_{column} AS SELECT * FROM pf_dict_{column}")
        db.run(con, f"CREATE TABLE {table}_steps AS "
                    + q.steps(None, None, {c for c, n in present.items() if n}))
        backend.view("pf_steps", f"SELECT * FROM {table}_steps")
        db.run(con, f"CREATE TABLE {table}_cases AS " + q.cases(None, None, part="times"))
        backend.view("pf_steps", q.cached_steps(f"{table}_steps", [], None))
        # The groupings, excess and lanes that do not depend on the decisions.
        backend.create("pf_by_activity", q.GROUPINGS["activity"])
        for kind in CACHED_GROUPINGS:
            db.run(con, f"CREATE TABLE {table}_by_{kind} AS {q.GROUPINGS[kind]}")
            backend.view(f"pf_by_{kind}", f"SELECT * FROM {table}_by_{kind}")
        db.run(con, f"CREATE TABLE {table}_excess AS {q.excess()}")
        db.run(con, f"CREATE TABLE {table}_lanes AS {q.LANES}")
        # The decision paths of the default decisions (the usual settings).
        layers_by = _layers_by(present)
        codes = {v: k for k, v in names["activity"].items()}
        chosen = [codes[a] for a in select_decisions(sorted(codes))]
        if chosen and layers_by:
            backend.view("pf_steps", q.cached_steps(f"{table}_steps", chosen, None))
            db.run(con, f"CREATE TABLE {table}_paths AS "
                   f"{q.cases(None, layers_by, part='path')}")
            db.run(con, f"CREATE TABLE {table}_paths_key AS SELECT ? AS key",
                   [_paths_key(chosen, layers_by)])
    finally:
        backend.close()


def _layers_by(present: dict[str, int]) -> str | None:
    return "level" if present["level"] else "role" if present["role"] else None


def _paths_key(decisions: list[int], layers_by: str) -> str:
    return ",".join(map(str, sorted(decisions))) + "|" + layers_by


def _stored_paths(backend: Backend, cache: str, decisions: list[int],
                  layers_by: str | None) -> str | None:
    """The stored decision paths of ``cache`` if they were made for these settings."""
    if not decisions or layers_by is None or not backend.rows(
            f"SELECT count(*) AS n FROM duckdb_tables() WHERE NOT temporary AND "
            f"table_name = '{cache}_paths_key'")[0]["n"]:
        return None
    key = backend.rows(f"SELECT key FROM {cache}_paths_key")[0]["key"]
    if key != _paths_key(decisions, layers_by):
        return None
    return f"SELECT case_id, decision_path FROM {cache}_paths"


def drop_cache(con: Any, table: str) -> None:
    """Drop what :func:`build_cache` stored for ``table`` (if anything)."""
    for part in (*CACHE_PARTS, "paths", "paths_key"):
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


def compute(backend: Backend, name: str, settings: Settings) -> dict[str, Any]:
    """All figures of METRICS.md §3–8 from ``pf_events`` on ``backend``."""
    run = prepare(backend, settings)
    totals = run.rows(q.case_totals(run.clock is not None))[0]
    groupings = {kind: _grouping(run, kind) for kind in q.GROUPINGS}
    variants = _variant_rows(run)
    out: dict[str, Any] = {
        "log": _log_block(run.log, name, run.has_start),
        "cycle_time": _st(run, totals, "cycle"),
        "dfg": _dfg(run, groupings["edge"], variants),
        "activities": _activities(run, groupings["activity"]),
        "decisions": _decisions(run, groupings["activity"]),
        "handoffs": _handoffs(run, totals),
        "layers": _layers(run),
        "bottlenecks": _bottlenecks(run, totals, groupings),
        "variants": _variants(variants, settings.top_variants),
        "settings": {"decision_pattern": None if settings.decision_activities
                     else settings.decisions or DEFAULT_PATTERN,
                     "lifecycle": run.mode, "engine": backend.name},
    }
    if run.clock is not None:
        out["settings"]["calendar"] = run.clock.settings()
        if settings.pause:
            out["settings"]["pause"] = list(settings.pause)
        if settings.sla:
            out["sla"] = [sla_block(run, parse_sla(spec)) for spec in settings.sla]
    return out


def _grouping(run: Prepared, kind: str) -> list[dict[str, Any]]:
    """The rows of ``pf_by_<kind>``, materialised for the bottleneck excess."""
    if run.cache is not None and kind in CACHED_GROUPINGS:
        run.backend.view(f"pf_by_{kind}", f"SELECT * FROM {run.cache}_by_{kind}")
    else:
        run.backend.create(f"pf_by_{kind}", q.groupings(run.clock is not None)[kind])
    return run.rows(f"SELECT * FROM pf_by_{kind}")


class _NoRows(dict[str, Any]):
    """The row of aggregates over no values: counts 0, everything else null."""

    def __missing__(self, key: str) -> Any:
        return 0 if key.endswith("_n") else None


_NO_ROWS = _NoRows()


def _stats(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    n = int(row[f"{prefix}_n"] or 0)
    median, p90 = row[f"{prefix}_q"] or (None, None)
    values = {"mean": row[f"{prefix}_mean"], "median": median, "p90": p90,
              "max": row[f"{prefix}_max"], "total": row[f"{prefix}_total"]}
    out: dict[str, Any] = {"n": n}
    for key, value in values.items():
        out[key] = None if value is None else float(value)
    if n == 0:
        out["total"] = 0.0
    return out


def _st(run: Prepared, row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """STATS of ``prefix`` in ``row``; with a calendar, plus its twins ``working`` (working
    seconds, prefix ``w_<prefix>``) and ``working_days`` (those divided by the calendar's
    day_seconds, n unchanged)."""
    out = _stats(row, prefix)
    if run.clock is not None:
        working = _stats(row, f"w_{prefix}")
        out["working"] = working
        out["working_days"] = {k: v if k == "n" or v is None else v / run.clock.day_seconds
                               for k, v in working.items()}
    return out


def _log_block(row: dict[str, Any], name: str, has_start: bool) -> dict[str, Any]:
    return {"name": name, "cases": row["cases"], "events": row["events"],
            "activities": row["activities"], "resources": row["resources"],
            "start": _iso(row["start_us"]), "end": _iso(row["end_us"]),
            "has_start_times": has_start}


def _iso(micros: int | None) -> str | None:
    """ISO 8601 UTC text of an epoch in microseconds."""
    if micros is None:
        return None
    instant = EPOCH + dt.timedelta(microseconds=int(micros))
    return instant.replace(tzinfo=None).isoformat() + "Z"


def _dfg(run: Prepared, rows: list[dict[str, Any]],
         variants: list[tuple[list[str], int]]) -> dict[str, Any]:
    edges = [{"source": run.name("activity", r["source"]),
              "target": run.name("activity", r["target"]), "count": r["count"],
              "elapsed": _st(run, r, "elapsed"),
              "wait": _st(run, r, "wait") if run.has_start else None}
             for r in rows]
    edges.sort(key=lambda e: (-e["count"], e["source"], e["target"]))
    # Cases begin (end) with the first (last) activity of their variant.
    ends = {side: Counter[str]() for side in ("start", "end")}
    for activities, cases in variants:
        ends["start"][activities[0]] += cases
        ends["end"][activities[-1]] += cases
    return {"edges": edges} | {side: dict(sorted(counts.items(), key=lambda c: (-c[1], c[0])))
                               for side, counts in ends.items()}


def _activities(run: Prepared, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lanes = _lanes(run)
    out = [{"activity": run.name("activity", r["activity"]), "count": r["count"],
            "cases": r["cases"],
            "processing": _st(run, r, "processing") if run.has_start else None,
            "wait": _st(run, r, "wait") if run.has_start else None,
            "lanes": lanes.get(r["activity"], dict.fromkeys(q.LANE_KEYS))}
           for r in rows]
    return sorted(out, key=lambda a: (-a["count"], a["activity"]))


def _lanes(run: Prepared) -> dict[int, dict[str, Any]]:
    """Per activity code: the role, unit and level with the most instances (ties: the
    smaller name or number), None where none is known."""
    best: dict[tuple[int, str], tuple[int, Any]] = {}
    for r in run.rows(f"SELECT * FROM {run.cache}_lanes" if run.cache is not None
                      else q.LANES):
        for key in q.LANE_KEYS:
            if r[f"g_{key}"] == 0 and r[key] is not None:
                value = run.name(key, r[key])
                held = best.get((r["activity"], key))
                if held is None or (-r["count"], value) < (-held[0], held[1]):
                    best[(r["activity"], key)] = (r["count"], value)
    out: dict[int, dict[str, Any]] = {}
    for (activity, key), (_, value) in best.items():
        out.setdefault(activity, dict.fromkeys(q.LANE_KEYS))[key] = value
    return out


def _decision_entry(run: Prepared, r: dict[str, Any]) -> dict[str, Any]:
    return {**_st(run, r, "latency"),
            "waiting": _st(run, r, "waiting") if run.has_start else None,
            "processing": _st(run, r, "processing") if run.has_start else None}


def _decisions(run: Prepared, by_activity: list[dict[str, Any]]) -> dict[str, Any]:
    keys = tuple(k for k in q.DECISION_KEYS[1:] if run.present[k])
    rows = run.rows(q.decisions(keys, working=run.clock is not None))
    grouped = [r for r in rows if all(r[f"g_{k}"] for k in keys)]
    # Spark returns no row for the empty grouping set when no decision has a latency.
    overall = _decision_entry(run, grouped[0] if grouped else _NO_ROWS)
    out: dict[str, Any] = {
        "activities": run.chosen,
        "excluded": run.rows(q.DECISIONS_EXCLUDED)[0]["n"],
        "overall": {k: v for k, v in overall.items() if k not in ("waiting", "processing")},
        "waiting": overall["waiting"], "processing": overall["processing"],
    }
    # By activity: an activity's elapsed times are the latencies of its instances.
    codes = {c for c, a in run.names["activity"].items() if a in set(run.chosen)}
    out["by_activity"] = sorted(
        ({"key": run.name("activity", r["activity"]), **_st(run, r, "elapsed"),
          "waiting": _st(run, r, "wait") if run.has_start else None,
          "processing": _st(run, r, "decision_processing") if run.has_start else None}
         for r in by_activity if r["activity"] in codes and r["elapsed_n"]),
        key=lambda e: (-e["total"], e["key"]))
    for key in q.DECISION_KEYS[1:]:
        entries = [{"key": run.name(key, r[key]), **_decision_entry(run, r)}
                   for r in rows if key in keys and r[f"g_{key}"] == 0 and r[key] is not None]
        out[f"by_{key}"] = sorted(entries, key=lambda e: (-e["total"], e["key"]))
    return out


def _granularity(settings: Settings, present: dict[str, int]) -> HandoffBy | None:
    if settings.handoff_by:
        return settings.handoff_by
    for g in ("resource", "role", "unit"):
        if present[g]:
            return g
    return None


def _handoffs(run: Prepared, totals: dict[str, Any]) -> dict[str, Any]:
    g = run.granularity
    if g is None:
        return {"granularity": None, "total": 0, "unknown": None, "per_case": None, "pairs": [],
                "ping_pong": None, "cross_unit": None, "direction": None}
    sql = q.handoffs(g, working=run.clock is not None)
    t = run.rows(sql["totals"])[0]
    cases = int(totals["cases"] or 0)
    pairs = [{"from": run.name(g, r["source"]), "to": run.name(g, r["target"]),
              "count": r["count"], "elapsed": _st(run, r, "elapsed")}
             for r in run.rows(sql["pairs"])]
    return {
        "granularity": g, "total": int(totals["handoffs_total"] or 0),
        "unknown": int(t["unknown"] or 0),
        "per_case": _stats(totals, "handoffs"),
        "pairs": sorted(pairs, key=lambda p: (-p["count"], p["from"], p["to"])),
        "ping_pong": {"total": int(totals["ping_pongs"] or 0),
                      "cases": int(totals["ping_pong_cases"]),
                      "share": (totals["ping_pong_cases"] / cases) if cases else None},
        "cross_unit": int(t["cross_unit"] or 0) if t["units_known"] else None,
        "direction": {k: int(t[k] or 0) for k in ("up", "down", "lateral")}
        if t["levels_known"] else None,
    }


def _layers(run: Prepared) -> dict[str, Any] | None:
    by = run.layers_by
    if by is None or not run.chosen:
        return None
    sql = q.layers(by)
    run.backend.create("pf_layers", sql["from_cases"])
    collapsed: Counter[str] = Counter()
    for r in run.rows(sql["paths"]):
        codes = [int(c) for c in r["path"].split("→")]
        kept = [c for i, c in enumerate(codes) if i == 0 or c != codes[i - 1]]
        collapsed["→".join(str(run.name(by, c)) for c in kept)] += r["cases"]
    ranked = sorted(collapsed.items(), key=lambda s: (-s[1], s[0]))[:20]
    return {
        "by": by,
        "per_case": _stats(run.rows(sql["stats"])[0], "x"),
        "histogram": {str(r["layers"]): r["cases"]
                      for r in sorted(run.rows(sql["histogram"]), key=lambda r: r["layers"])},
        "sequences": [{"levels": levels, "cases": n} for levels, n in ranked],
    }


BOTTLENECK_NAMES = {"activity": ("activity",), "edge": ("source", "target"),
                    "resource": ("resource",)}


def _bottlenecks(run: Prepared, totals: dict[str, Any],
                 groupings: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    span = float(totals["total_span"] or 0)
    cases = int(totals["cases"] or 0)
    window = ((totals["last_us"] or 0) - (totals["first_us"] or 0)) / q.US
    excess_rows = run.rows(f"SELECT * FROM {run.cache}_excess" if run.cache is not None
                           else q.excess(run.clock is not None))
    excess = {(r["kind"], r["k0"], r["k1"]): r["excess"] for r in excess_rows}
    w_excess = {(r["kind"], r["k0"], r["k1"]): r.get("w_excess") for r in excess_rows}
    w_span = float(totals.get("w_total_span") or 0)
    out = []
    for kind, keys in BOTTLENECK_NAMES.items():
        column = "resource" if kind == "resource" else "activity"
        entries = []
        for r in groupings[kind]:
            n = r["count"] if kind != "activity" else r["elapsed_n"]
            if not n:
                continue
            codes = [r[k] for k in keys]
            total = float(r["elapsed_total"])
            median, p90 = r["elapsed_q"]
            entry = {"kind": kind, "name": " → ".join(str(run.name(column, c)) for c in codes),
                     "count": n, "cases": r["cases"] if kind != "activity"
                     else r["elapsed_cases"], "total": total,
                     "share": total / span if span else None, "median": float(median),
                     "p90": float(p90), "impact": float(excess[(kind, codes[0], codes[1] if
                     len(codes) > 1 else None)]) / cases if cases else None}
            if kind == "resource":
                entry["wip"] = total / window if window else None
            if run.clock is not None:
                w_total = float(r["w_elapsed_total"] or 0)
                w_median, w_p90 = r["w_elapsed_q"]
                w_key = (kind, codes[0], codes[1] if len(codes) > 1 else None)
                entry["working"] = {
                    "total": w_total, "share": w_total / w_span if w_span else None,
                    "median": float(w_median), "p90": float(w_p90),
                    "impact": float(w_excess[w_key] or 0) / cases if cases else None}
            entries.append(entry)
        out += sorted(entries, key=lambda e: (-e["total"], e["name"]))
    return out


def _variant_rows(run: Prepared) -> list[tuple[list[str], int]]:
    """Each variant's activity names with its number of cases."""
    return [([run.name("activity", int(c)) for c in r["sequence"].split(",")], r["cases"])
            for r in run.rows(q.VARIANTS)]


def _variants(variants: list[tuple[list[str], int]], top: int) -> dict[str, Any]:
    ranked = sorted(variants, key=lambda v: (-v[1], v[0]))[:top]
    return {"count": len(variants),
            "top": [{"activities": activities, "cases": cases} for activities, cases in ranked]}
