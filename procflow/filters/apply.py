"""Apply filters to a log, in order, as SQL over its events and its step and case tables.

Filters of whole cases select case codes from the step and case tables that
:mod:`procflow.measure.prepare` builds (stored with a workspace log, made once otherwise), so
arrival, cycle time and variants are the very figures ``analysis.json`` reports. Filters of
events write the events kept to a temporary table; the next filter of cases then builds that
table's step and case tables. The result is an :class:`EventLog` whose table is the filtered
events (a temporary view), whose ``subset`` points analyses at the step and case tables already
made, and whose ``selection`` is the ``filter`` block of every result made from it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from procflow.core import db
from procflow.errors import InputError
from procflow.eventlog import CaseSubset, EventLog
from procflow.filters import checks
from procflow.filters.spec import (
    OPTIONS,
    CaseIds,
    Duration,
    Ends,
    Filter,
    Handoff,
    Layers,
    Order,
    Period,
    Split,
    TopVariants,
    Values,
    cuts_events,
    from_json,
    from_list,
)
from procflow.filters.timespec import epoch_us, instant
from procflow.ingest.instances import mode_of
from procflow.measure import queries as q
from procflow.measure.decisions import select_decisions
from procflow.measure.prepare import build_case_tables, cut_case_tables, has_cache

FilterInput = str | Sequence[Filter | dict[str, Any]]
_runs = itertools.count(1)


def parse(filters: FilterInput) -> list[Filter]:
    """Filters from JSON text, a list of filter objects (dictionaries) or filters."""
    return from_json(filters) if isinstance(filters, str) else from_list(list(filters))


def filter_log(log: EventLog, filters: FilterInput, *, check: bool = True,
               allow_empty: bool = False, name: str | None = None) -> EventLog:
    """``log`` with ``filters`` applied in order (all must hold), named ``name`` (default:
    as ``log``); ``check`` first makes sure their fields and values are in the log, and a
    filter that leaves no case is an error unless ``allow_empty``. A filtered log filtered
    again keeps one ``filter`` block."""
    items = parse(filters)
    if not items:
        return log
    if check:
        checks.check(items, [log])
    run = _Run(log, allow_empty)
    totals = None if log.selection else run.totals()
    steps = [run.apply(item) for item in items]
    table, subset = run.result()
    before = log.selection
    cases, events = steps[-1]["cases"], steps[-1]["events"]
    total_cases, total_events = ((before["cases"]["total"], before["events"]["total"])
                                 if before else totals or (0, 0))
    selection = {
        "filters": [*(before["filters"] if before else []), *(f.to_dict() for f in items)],
        "cases": _share(cases, total_cases), "events": _share(events, total_events),
        "steps": [*(before["steps"] if before else []), *steps],
    }
    return EventLog(name or log.name, log.con, table, log.report, zone=log.zone,
                    selection=selection, subset=subset)


@dataclass(frozen=True)
class Slice:
    """What filtering a log kept, to open the slice again on another connection to the
    same workspace without filtering again (:func:`reopen`): its ``filter`` block and the
    codes of the cases kept (column ``case_id``; None when the filters cut events or the
    log has no stored tables: then it is filtered again)."""

    selection: dict[str, Any]
    codes: pa.Table | None

    @property
    def cases(self) -> int:
        """The number of cases kept."""
        return int(self.selection["cases"]["kept"])


def slice_of(log: EventLog) -> Slice:
    """The slice of ``log``, a log returned by :func:`filter_log`."""
    assert log.selection is not None, "a filtered log"
    subset = log.subset
    reusable = (subset is not None and subset.cases is not None
                and has_cache(log.con, subset.prefix))
    codes = (log.con.sql(f"SELECT case_id FROM {subset.cases} ORDER BY case_id")
             .to_arrow_table() if reusable and subset is not None else None)
    return Slice(log.selection, codes)


def reopen(log: EventLog, kept: Slice) -> EventLog:
    """``log`` (the workspace log the slice was cut from, on any connection to its
    workspace) cut to the cases of ``kept`` again, as :func:`filter_log` cut it."""
    assert kept.codes is not None and kept.cases, "a slice of cases, not empty"
    run = _Run(log)
    table = run.name("kept")
    log.con.register(f"{table}_arrow", kept.codes)
    try:
        db.run(log.con, f"CREATE TEMP TABLE {table} AS SELECT case_id FROM {table}_arrow")
    finally:
        log.con.unregister(f"{table}_arrow")
    run.kept = table
    events, subset = run.result()
    return EventLog(log.name, log.con, events, log.report, zone=log.zone,
                    selection=kept.selection, subset=subset)


def _share(kept: int, total: int) -> dict[str, Any]:
    return {"kept": kept, "total": total, "share": kept / total if total else None}


class _Run:
    """The state of one application: the current events, their step and case tables
    (``prefix``, once made) and the table of the case codes kept so far (None: all)."""

    def __init__(self, log: EventLog, allow_empty: bool = False):
        self.con = log.con
        self.allow_empty = allow_empty
        self.zone = log.zone or "UTC"
        self.number = next(_runs)
        self.made = 0
        self.events = log.table
        self.prefix: str | None = None
        self.kept: str | None = None
        self.view: tuple[str, str] | None = None
        self.instances: bool | None = None
        if log.subset is not None:
            self.prefix, self.kept = log.subset.prefix, log.subset.cases
        elif has_cache(self.con, log.table):
            self.prefix = log.table

    def totals(self) -> tuple[int, int]:
        """Cases and events before filtering."""
        if self.prefix is not None and self.kept is None:
            return (int(db.scalar(self.con, f"SELECT count(*) FROM {self.prefix}_dict_case_id")),
                    int(db.scalar(self.con, f"SELECT count(*) FROM {self.events}")))
        return self.count(self.current())

    def name(self, part: str) -> str:
        self.made += 1
        return f"pf_filter_{self.number}_{self.made}_{part}"

    # --- the log as it stands ----------------------------------------------------------------

    def case_tables(self) -> str:
        """The prefix of the current events' step and case tables (made if needed)."""
        if self.prefix is None:
            self.prefix = self.name("base")
            build_case_tables(self.con, self.events, self.prefix)
        return self.prefix

    def current(self) -> str:
        """The current events as a table or view name."""
        if self.kept is None:
            return self.events
        if self.view is None or self.view[0] != self.kept:
            names, view = self.name("names"), self.name("events")
            db.run(self.con, f"CREATE TEMP TABLE {names} AS SELECT name FROM "
                             f"{self.prefix}_dict_case_id WHERE code IN "
                             f"(SELECT case_id FROM {self.kept})")
            db.run(self.con, f"CREATE TEMP VIEW {view} AS SELECT * FROM {self.events} "
                             f"WHERE case_id IN (SELECT name FROM {names})")
            self.view = (self.kept, view)
        return self.view[1]

    def count(self, table: str) -> tuple[int, int]:
        """Cases and events of the events ``table``."""
        cases, events = db.one(self.con, f"SELECT count(DISTINCT case_id), count(*) "
                                         f"FROM {table}") or (0, 0)
        return int(cases), int(events)

    def result(self) -> tuple[str, CaseSubset]:
        """The filtered events and where their step and case tables are."""
        prefix = self.case_tables()
        return self.current(), CaseSubset(prefix, self.kept)

    # --- one filter --------------------------------------------------------------------------

    def apply(self, item: Filter) -> dict[str, Any]:
        """Apply ``item``; its step entry: kind, cases and events left (and what it read)."""
        before = self.kept_cases()
        extra: dict[str, Any] = {}
        if cuts_events(item):
            self.keep_events(item, extra)
        else:
            self.keep_cases(*self.case_test(item, extra))
        if self.prefix is None:
            cases, events = self.count(self.events)
        else:
            cases, events = self.kept_cases(), self.kept_events()
        if cases == 0 and not self.allow_empty:
            raise InputError(f"{OPTIONS[item.kind]}: no case is left (there were {before:,} "
                             "before this filter).",
                             fix="loosen this filter or those before it.")
        return {"kind": item.kind, "cases": cases, "events": events, **extra}

    def kept_cases(self) -> int:
        if self.kept is not None:
            return int(db.scalar(self.con, f"SELECT count(*) FROM {self.kept}"))
        if self.prefix is not None:
            return int(db.scalar(self.con, f"SELECT count(*) FROM {self.prefix}_dict_case_id"))
        return self.count(self.events)[0]

    def kept_events(self) -> int:
        if self.prefix is not None and self.rows_are_instances():
            where = f" WHERE case_id IN (SELECT case_id FROM {self.kept})" if self.kept else ""
            return int(db.scalar(self.con, f"SELECT coalesce(sum(instances), 0) FROM "
                                           f"{self.prefix}_cases{where}"))
        return int(db.scalar(self.con, f"SELECT count(*) FROM {self.current()}"))

    def keep_cases(self, sql: str, params: list[Any]) -> None:
        """Keep the cases (codes of the current case tables) that ``sql`` selects."""
        table = self.name("kept")
        within = f" WHERE case_id IN (SELECT case_id FROM {self.kept})" if self.kept else ""
        db.run(self.con, f"CREATE TEMP TABLE {table} AS SELECT DISTINCT case_id FROM ({sql}) s"
                         f"{within}", params)
        self.kept = table

    def keep_events(self, item: Filter, extra: dict[str, Any]) -> None:
        """Keep the current events that ``item`` (a filter of events) keeps. Where every
        event is an instance and the filter reads what the step table holds, the new step
        and case tables are cut from the current ones; else they are built again when
        needed."""
        source = self.current()
        predicate = self.event_test(item, extra)
        step_test = self.step_test(item) if self.prefix is not None else None
        if step_test is not None and self.rows_are_instances():
            prefix, kept, view = self.name("base"), self.name("kept"), self.name("cut")
            cut_case_tables(self.con, self.case_tables(), step_test, prefix, self.kept)
            # The cut's dictionaries are the whole log's: its cases are those left.
            db.run(self.con, f"CREATE TEMP TABLE {kept} AS SELECT case_id FROM {prefix}_cases")
            db.run(self.con, f"CREATE TEMP VIEW {view} AS SELECT * FROM {source} "
                             f"WHERE {predicate}")
            self.events, self.prefix, self.kept = view, prefix, kept
            return
        table = self.name("cut")
        db.run(self.con, f"CREATE TEMP TABLE {table} AS SELECT * FROM {source} "
                         f"WHERE {predicate}")
        self.events, self.prefix, self.kept = table, None, None

    def rows_are_instances(self) -> bool:
        """Whether every event is an activity instance (no start and complete rows to
        pair): then the step table has a row for each event. Asked once: filters never
        change it."""
        if self.instances is None:
            found = {v for (v,) in db.rows(self.con, f"SELECT DISTINCT lifecycle FROM "
                                                     f"{self.events} WHERE lifecycle IS NOT NULL")}
            self.instances = mode_of(found) != "standard"
        return self.instances

    # --- the SQL of each kind ----------------------------------------------------------------

    def event_test(self, item: Filter, extra: dict[str, Any]) -> str:
        """The condition on an event of a filter of events."""
        if isinstance(item, Period):
            low, high = self.bounds(item, extra)
            return self.between("epoch_us(timestamp)", low, high)
        assert isinstance(item, Values)
        value, _ = self.values_sql(item.field, item.values, OPTIONS[item.kind])
        found = f"{value} IN ({_literals(item.values)})"
        return found if item.kind == "keep_events" else f"NOT coalesce({found}, FALSE)"

    def step_test(self, item: Filter) -> str | None:
        """The same condition on a row of the step table, if it holds what the filter reads
        (times, activities, performers, levels)."""
        if isinstance(item, Period):
            low, high = self.bounds(item, {})
            return self.between("ts_us", low, high)
        assert isinstance(item, Values)
        if item.field in ("activity", "resource", "role", "unit"):
            found = (f"{item.field} IN (SELECT code FROM {self.prefix}_dict_{item.field} "
                     f"WHERE name IN ({_literals(item.values)}))")
        elif item.field == "level":
            found = f"CAST(level AS VARCHAR) IN ({_literals(item.values)})"
        else:
            return None
        return found if item.kind == "keep_events" else f"NOT coalesce({found}, FALSE)"

    def case_test(self, item: Filter, extra: dict[str, Any]) -> tuple[str, list[Any]]:
        """A query of the codes of the cases a filter of whole cases keeps."""
        p = self.case_tables()
        if isinstance(item, Period):
            low, high = self.bounds(item, extra)
            column = {"started": "arrival_us", "completed": "completion_us"}.get(item.mode)
            if column is not None:
                where = self.between(column, low, high)
            elif item.mode == "contained":
                where = " AND ".join([*([f"arrival_us >= {low}"] if low is not None else []),
                                      *([f"completion_us <= {high}"] if high is not None
                                        else [])])
            else:
                where = " AND ".join([*([f"completion_us >= {low}"] if low is not None else []),
                                      *([f"arrival_us <= {high}"] if high is not None else [])])
            return f"SELECT case_id FROM {p}_cases WHERE {where}", []
        if isinstance(item, Split):
            at = epoch_us(instant(item.at, self.zone, end=False))
            extra["at"] = _iso(at)
            sign = "<" if item.side == "before" else ">="
            return f"SELECT case_id FROM {p}_cases WHERE arrival_us {sign} {at}", []
        if isinstance(item, Duration):
            return (f"SELECT case_id FROM {p}_cases WHERE "
                    f"{self.between('cycle_time', item.low, item.high)}", [])
        if isinstance(item, TopVariants):
            kept = (f"(SELECT * FROM {p}_cases WHERE case_id IN (SELECT case_id FROM "
                    f"{self.kept}))" if self.kept else f"{p}_cases")
            return (f"SELECT c.case_id FROM {kept} c JOIN ({q.variant_ranks(kept)}) r "
                    f"ON r.variant = c.variant WHERE r.rank <= {int(item.n)}", [])
        if isinstance(item, Ends):
            codes = self.activity_codes(item.activities)
            first = ("CAST(split_part(variant, ',', 1) AS INTEGER)" if item.kind == "starts_with"
                     else "CAST(string_split(variant, ',')[-1] AS INTEGER)")
            return f"SELECT case_id FROM {p}_cases WHERE {first} IN ({codes})", []
        if isinstance(item, Order):
            b = self.activity_codes([item.target])
            if item.source is None:  # after any step: the same cases for both kinds
                return (f"SELECT case_id FROM {p}_steps WHERE seq > 1 AND activity IN ({b})",
                        [])
            a = self.activity_codes([item.source])
            if item.kind == "directly_follows":
                return (f"SELECT case_id FROM {p}_steps WHERE prev_activity IN ({a}) "
                        f"AND activity IN ({b})", [])
            return (f"SELECT case_id FROM {p}_steps WHERE activity IN ({a}, {b}) "
                    f"GROUP BY case_id HAVING min(CASE WHEN activity IN ({a}) THEN seq END) "
                    f"< max(CASE WHEN activity IN ({b}) THEN seq END)", [])
        if isinstance(item, CaseIds):
            return self.case_ids(item, extra), []
        if isinstance(item, Handoff):
            return self.handoff(item, extra), []
        if isinstance(item, Layers):
            return self.layers(item, extra)
        assert isinstance(item, Values)
        value, marks = self.values_sql(item.field, item.values, OPTIONS[item.kind])
        has = "IN" if item.kind == "with" else "NOT IN"
        return (f"SELECT code AS case_id FROM {p}_dict_case_id WHERE name {has} "
                f"(SELECT case_id FROM {self.events} WHERE {value} IN ({marks}))",
                list(item.values))

    def bounds(self, item: Period, extra: dict[str, Any]) -> tuple[int | None, int | None]:
        """The period's bounds in microseconds (inclusive), read in its zone."""
        zone = item.tz or self.zone
        low = epoch_us(instant(item.start, zone, end=False)) if item.start else None
        high = epoch_us(instant(item.end, zone, end=True)) if item.end else None
        extra.update({"from": _iso(low), "to": _iso(high), "zone": zone})
        return low, high

    @staticmethod
    def between(column: str, low: float | None, high: float | None) -> str:
        terms = [*([f"{column} >= {low!r}"] if low is not None else []),
                 *([f"{column} <= {high!r}"] if high is not None else [])]
        return " AND ".join(terms) or "TRUE"

    def values_sql(self, field: str, values: Sequence[str], option: str) -> tuple[str, str]:
        columns = [c[0] for c in db.rows(self.con, f"DESCRIBE {self.events}")]
        return checks.field_sql(field, columns, option), ", ".join("?" for _ in values)

    def activity_codes(self, names: Sequence[str]) -> str:
        """The codes of activities ``names``, as a SQL list (NULL if none)."""
        return self.codes("activity", names)

    def kept_steps(self) -> str:
        """The current step table's rows of the cases kept so far."""
        p = self.case_tables()
        return (f"(SELECT * FROM {p}_steps WHERE case_id IN (SELECT case_id FROM {self.kept}))"
                if self.kept else f"{p}_steps")

    def first_known(self, columns: Sequence[str]) -> str | None:
        """The first of ``columns`` that some kept step fills (None: none does)."""
        counts = db.one(self.con, "SELECT " + ", ".join(f"count({c})" for c in columns)
                        + f" FROM {self.kept_steps()}") or ()
        return next((c for c, n in zip(columns, counts, strict=True) if n), None)

    def codes(self, column: str, names: Sequence[str]) -> str:
        """The codes of ``names`` in the current ``column`` dictionary, as a SQL list (NULL if
        none)."""
        found = db.rows(self.con, f"SELECT code FROM {self.case_tables()}_dict_{column} WHERE "
                                  f"name IN ({', '.join('?' for _ in names)})", list(names))
        return ", ".join(str(int(c)) for (c,) in found) or "NULL"

    def handoff(self, item: Handoff, extra: dict[str, Any]) -> str:
        """Cases with a step by ``target`` right after a step by ``source`` (both at the
        filter's granularity, as the analysis counts handoffs)."""
        g = item.by or self.first_known(("resource", "role", "unit"))
        extra["by"] = g
        if g is None:
            return "SELECT case_id FROM (SELECT NULL AS case_id) s WHERE FALSE"
        a, b = self.codes(g, [item.source]), self.codes(g, [item.target])
        return (f"SELECT case_id FROM {self.case_tables()}_steps "
                f"WHERE prev_{g} IN ({a}) AND {g} IN ({b})")

    def layers(self, item: Layers, extra: dict[str, Any]) -> tuple[str, list[Any]]:
        """Cases whose decision performers' ``by`` values, in case order with a value
        repeated at once counted once, are the filter's sequence."""
        by = item.by or self.first_known(("level", "role"))
        activities = sorted(n for (n,) in db.rows(
            self.con, f"SELECT name FROM {self.case_tables()}_dict_activity"))
        chosen = select_decisions(activities, names=None if item.decisions is None
                                  else list(item.decisions))
        extra.update({"by": by, "decisions": chosen})
        if by is None or not chosen:
            return "SELECT case_id FROM (SELECT NULL AS case_id) s WHERE FALSE", []
        paths = layer_paths(self.case_tables(), self.kept_steps(), by,
                            self.codes("activity", chosen))
        marks = ", ".join("?" for _ in item.sequence)
        return f"SELECT case_id FROM ({paths}) p WHERE path = [{marks}]", list(item.sequence)

    def case_ids(self, item: CaseIds, extra: dict[str, Any]) -> str:
        table = self.name("ids")
        self.con.register(f"{table}_arrow", pa.table({"name": pa.array(item.ids, pa.string())}))
        try:
            db.run(self.con, f"CREATE TEMP TABLE {table} AS SELECT DISTINCT name "
                             f"FROM {table}_arrow")
        finally:
            self.con.unregister(f"{table}_arrow")
        sql = (f"SELECT code AS case_id FROM {self.case_tables()}_dict_case_id "
               f"WHERE name IN (SELECT name FROM {table})")
        found = int(db.scalar(self.con, f"SELECT count(*) FROM ({sql}) s" + (
            f" WHERE case_id IN (SELECT case_id FROM {self.kept})" if self.kept else "")))
        extra.update({"listed": len(item.ids), "found": found})
        if not found and not self.allow_empty:
            example = db.scalar(self.con, f"SELECT min(case_id) FROM {self.events}")
            raise InputError(f"--cases {item.file or ''}: none of the {len(item.ids):,} ids is a "
                             f"case of the log (e.g. {item.ids[0]!r}).".replace("  ", " "),
                             fix=f"list case ids as the log writes them, e.g. {example!r}.")
        return sql


def case_tables(log: EventLog) -> str:
    """The prefix of the step and case tables of ``log``'s events: those stored with a
    workspace log, else made once as temporary tables."""
    return _Run(log).case_tables()


def layer_paths(prefix: str, steps: str, by: str, decisions: str) -> str:
    """A query of each case's approval layers (``case_id``, ``path``: the ``by`` values, as
    text, of the performers of its ``decisions`` steps (a SQL list of activity codes) in case
    order, a value repeated at once kept once) from the step table ``steps`` (tables
    ``prefix``)."""
    value = ("CAST(s.level AS VARCHAR)" if by == "level" else
             f"(SELECT name FROM {prefix}_dict_role r WHERE r.code = s.role)")
    decided = (f"SELECT case_id, seq, {value} AS v FROM {steps} s WHERE "
               f"s.activity IN ({decisions}) AND s.{by} IS NOT NULL")
    return (f"SELECT case_id, list(v ORDER BY seq) AS path FROM (SELECT case_id, seq, v, "
            f"lag(v) OVER (PARTITION BY case_id ORDER BY seq) AS pv FROM ({decided}) d) x "
            f"WHERE pv IS NULL OR pv <> v GROUP BY case_id")


def _literals(values: Sequence[str]) -> str:
    """SQL text literals of ``values``."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _iso(micros: int | None) -> str | None:
    """ISO 8601 UTC text of microseconds since 1970."""
    if micros is None:
        return None
    value = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
    return value.isoformat() + "Z"
