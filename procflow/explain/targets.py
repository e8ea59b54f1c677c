"""What is explained (the target) and the rows it is explained over, with every candidate field.

Each row is a case (``cycle_time``, ``handoffs``, ``layers``, ``sla`` of the case) or one
instance of the target activity (``decision:A``, ``wait:A``, ``sla`` of an activity), with the
target's value read from measure's own step and case tables (:func:`prepared`), so the figures
are those of ``analysis.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.ingest.schema import ATTRIBUTE_PREFIX
from procflow.measure import queries as q
from procflow.measure.prepare import Prepared, Settings, prepared
from procflow.measure.sla import parse_sla

TargetKind = Literal["cycle_time", "decision", "wait", "handoffs", "layers", "sla"]
KINDS: tuple[str, ...] = ("cycle_time", "decision", "wait", "handoffs", "layers", "sla")
#: The weekday names of ``arrival_weekday`` (ISO order), translated when shown.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MISSING = "(missing)"


@dataclass(frozen=True)
class Target:
    """``kind`` and, for ``decision`` and ``wait``, the ``activity``."""

    kind: TargetKind
    activity: str | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.activity}" if self.activity else self.kind

    @property
    def unit(self) -> str:
        """``seconds`` (durations), ``count`` (handoffs, layers) or ``share`` (SLA breaches)."""
        return {"handoffs": "count", "layers": "count", "sla": "share"}.get(self.kind,
                                                                            "seconds")


def parse_target(text: str) -> Target:
    """``cycle_time``, ``decision:ACTIVITY``, ``wait:ACTIVITY``, ``handoffs``, ``layers`` or
    ``sla`` (InputError naming the forms otherwise)."""
    kind, sep, activity = text.strip().partition(":")
    kind = kind.strip().lower()
    fix = ("give cycle_time, decision:ACTIVITY, wait:ACTIVITY, handoffs, layers or sla, "
           'e.g. --target "decision:Persetujuan Kepala Bidang".')
    if kind not in KINDS:
        raise InputError(f"unknown target {text!r}.", fix=fix)
    if kind in ("decision", "wait"):
        if not activity.strip():
            raise InputError(f"target {text!r} needs an activity after the colon.", fix=fix)
        return Target(kind, activity.strip())  # type: ignore[arg-type]
    if sep:
        raise InputError(f"target {kind!r} takes no activity ({text!r}).", fix=fix)
    return Target(kind)  # type: ignore[arg-type]


@dataclass
class TargetRows:
    """The rows: ``frame`` has ``case`` (a case number 0..cases-1), ``value`` (float) and one
    text column per candidate field (None where unknown); ``fields`` lists them in order."""

    frame: pd.DataFrame
    fields: list[str]
    working: bool
    day_seconds: float | None
    limit_days: float | None
    sla_of: str | None
    cases: int
    #: For a decision target: whether its activity is one of the chosen decision steps.
    decision_step: bool | None = None


def target_rows(log: EventLog, target: Target, settings: Settings) -> TargetRows:
    """The rows of ``target`` over ``log`` with their candidate fields."""
    with prepared(log, settings) as prep:
        codes = {v: k for k, v in prep.names["activity"].items()}
        working = prep.clock is not None
        day_seconds = prep.clock.day_seconds if prep.clock is not None else None
        limit_days, sla_of = None, None
        activity = target.activity
        if target.kind == "sla":
            if prep.clock is None or not settings.sla:
                raise InputError("the target sla (breach of the service standard) needs a "
                                 "calendar and a service standard.",
                                 fix='add --calendar id --sla "case=20 working days" (or '
                                     '"ACTIVITY=N working days").')
            sla_of, limit_days = parse_sla(settings.sla[0])
            activity = None if sla_of == "case" else sla_of
        if activity is not None and activity not in codes:
            raise InputError(f"target {target.name!r}: no activity {activity!r} in the log.",
                             fix="give the activity exactly as in the log (procflow info).")
        if target.kind == "wait" and not prep.has_start:
            raise InputError(f"target {target.name!r}: the log has no start times, so the "
                             "waiting before a step is unknown.",
                             fix=f'explain "decision:{activity}" (the whole time before it) '
                                 "instead.")
        if target.kind == "handoffs" and prep.granularity is None:
            raise InputError("target handoffs: the log has no resource, role or unit.",
                             fix="import the log with a resource column or an org chart.")
        if target.kind == "layers" and (prep.layers_by is None or not prep.chosen):
            raise InputError("target layers: no decision steps with a level or role.",
                             fix="name the decision steps (--decisions or "
                                 "--decision-activities) of a log with levels or roles.")
        frame = _frame(log, prep, target, None if activity is None else codes[activity],
                       limit_days)
        zone = (prep.clock.calendar.zone if prep.clock is not None else log.zone) or "UTC"
        decision_step = activity in set(prep.chosen) if target.kind == "decision" else None
    fields = _add_time_fields(frame, zone)
    columns = [c for c in frame.columns
               if c not in ("case", "value", "arrival_us", *fields)]
    ordered = [c for c in columns if not c.startswith(ATTRIBUTE_PREFIX)] + fields
    ordered += [c for c in columns if c.startswith(ATTRIBUTE_PREFIX)]
    if target.kind == "layers":
        ordered.remove("layers")
    ordered = [c for c in ordered if frame[c].notna().any()]
    frame = frame.drop(columns="arrival_us")
    frame["case"], _ = pd.factorize(frame["case"], sort=True)
    cases = int(frame["case"].max()) + 1 if len(frame) else 0
    return TargetRows(frame, ordered, working, day_seconds, limit_days, sla_of, cases,
                      decision_step)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _frame(log: EventLog, prep: Prepared, target: Target, activity: int | None,
           limit_days: float | None) -> pd.DataFrame:
    """The rows as a pandas frame (one SQL query)."""
    con, w = log.con, "w_" if prep.clock is not None else ""
    attributes = [c for c in log.columns() if c.startswith(ATTRIBUTE_PREFIX)]
    event_level = activity is not None
    if event_level:
        column = {"decision": "elapsed", "wait": "wait", "sla": "elapsed"}[target.kind]
        value = f"s.{w}{column}"
        if target.kind == "sla":
            assert prep.clock is not None and limit_days is not None
            value = f"CASE WHEN {value} > {limit_days * prep.clock.day_seconds!r} THEN 1.0 " \
                    f"ELSE 0.0 END"
        rows = (f"SELECT s.case_id, s.ts_us, {value} AS value, s.resource, s.role, s.unit, "
                f"s.level FROM pf_steps s WHERE s.activity = {activity} AND s.seq > 1 "
                f"AND s.{w}{column} IS NOT NULL")
    else:
        value = {"cycle_time": f"c.{w}cycle_time", "handoffs": "c.handoffs",
                 "layers": "l.layers"}.get(target.kind, "")
        if target.kind == "sla":
            assert prep.clock is not None and limit_days is not None
            value = (f"CASE WHEN c.w_cycle_time > {limit_days * prep.clock.day_seconds!r} "
                     "THEN 1.0 ELSE 0.0 END")
        rows = f"SELECT c.case_id, {value} AS value FROM pf_cases c"
    has_layers = prep.layers_by is not None and bool(prep.chosen)
    if has_layers:
        prep.backend.create("pf_layers", q.layers(prep.layers_by or "")["from_cases"])
        if not event_level:
            rows += " JOIN pf_layers l ON l.case_id = c.case_id"
    performer = ""
    if event_level:
        performer = "".join(f", {_name(prep, g, f't.{g}')} AS {g}"
                            for g in ("resource", "role", "unit"))
        performer += ", CAST(t.level AS VARCHAR) AS level"
    layers = ", CAST(l2.layers AS VARCHAR) AS layers" if has_layers else ""
    join_layers = "LEFT JOIN pf_layers l2 ON l2.case_id = t.case_id" if has_layers else ""
    ping = (", CASE WHEN c.ping_pongs > 0 THEN 'yes' ELSE 'no' END AS has_ping_pong"
            if prep.granularity is not None else "")
    attr_sql, attr_join = "", ""
    if attributes:
        attr_sql = "".join(f", a.{_quote(a)}" for a in attributes)
        names = "".join(f", nullif(trim(a.{_quote(a)}), '') AS {_quote(a)}" for a in attributes)
        if event_level:
            picked = ", ".join(_first(a) for a in attributes)
            name = prep.names["activity"][activity or 0].replace("'", "''")
            attr_join = (f"LEFT JOIN (SELECT d.code AS case_id, a.ts_us{names} FROM (SELECT "
                         f"e.case_id AS name, epoch_us(e.timestamp) AS ts_us, {picked} "
                         f"FROM {log.table} e WHERE e.activity = '{name}' GROUP BY 1, 2) a "
                         f"JOIN pf_dict_case_id d ON d.name = a.name) a "
                         f"ON a.case_id = t.case_id AND a.ts_us = t.ts_us")
        else:
            picked = ", ".join(_first(a) for a in attributes)
            attr_join = (f"LEFT JOIN (SELECT d.code AS case_id{names} FROM (SELECT e.case_id "
                         f"AS name, {picked} FROM {log.table} e GROUP BY 1) a "
                         f"JOIN pf_dict_case_id d ON d.name = a.name) a "
                         f"ON a.case_id = t.case_id")
    sql = f"""
        SELECT t.case_id AS case, t.value{performer}, c.arrival_us,
               CAST(r.rank AS VARCHAR) AS variant,
               CASE WHEN x.rework THEN 'yes' ELSE 'no' END AS has_rework{ping}{layers}{attr_sql}
        FROM ({rows}) t
        JOIN pf_cases c ON c.case_id = t.case_id
        JOIN ({q.variant_ranks("pf_cases")}) r ON r.variant = c.variant
        JOIN (SELECT variant, len(list_distinct(steps)) < len(steps) AS rework
              FROM (SELECT variant, string_split(variant, ',') AS steps
                    FROM (SELECT DISTINCT variant FROM pf_cases))) x ON x.variant = c.variant
        {join_layers}
        {attr_join}
        WHERE t.value IS NOT NULL
        ORDER BY t.case_id{", t.ts_us" if event_level else ""}"""
    # Through Arrow: text stays Arrow strings (fast to group), numbers become numpy.
    frame = con.sql(sql).to_arrow_table().to_pandas(
        types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_string(t) else None)
    frame["value"] = frame["value"].astype(np.float64)
    return frame


def _first(attribute: str) -> str:
    """SQL aggregate: the attribute's first non-empty value in the log's row order, as text
    (blank values are made missing after the aggregation, on one row per case)."""
    text = f"CAST({_quote(attribute)} AS VARCHAR)"
    return f"arg_min({text}, e.event_id) FILTER (WHERE {text} <> '') AS {_quote(attribute)}"


def _name(prep: Prepared, column: str, code: str) -> str:
    """SQL: the name behind ``code`` of ``column`` (resource, role, unit)."""
    return f"(SELECT name FROM pf_dict_{column} WHERE code = {code})"


def _add_time_fields(frame: pd.DataFrame, zone: str) -> list[str]:
    """``arrival_month`` (YYYY-MM) and ``arrival_weekday`` of each row's case, in ``zone``."""
    arrival = pd.to_datetime(frame["arrival_us"], unit="us", utc=True).dt.tz_convert(zone)
    frame["arrival_month"] = arrival.dt.strftime("%Y-%m")
    frame["arrival_weekday"] = np.array(WEEKDAYS, dtype=object)[
        arrival.dt.day_of_week.to_numpy(dtype=np.int64)]
    return ["arrival_month", "arrival_weekday"]


def field_codes(frame: pd.DataFrame, field: str) -> tuple[np.ndarray, list[str]]:
    """The field's values as codes into their texts (sorted), :data:`MISSING` where
    unknown."""
    codes, uniques = pd.factorize(frame[field], sort=True, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
    return codes.astype(np.int64), labels


def case_counts(cases: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Distinct cases per label code (rows of the same case counted once per label)."""
    if (np.diff(cases) > 0).all():  # one row per case (rows come in case order)
        return np.bincount(labels, minlength=n_labels)
    pairs = np.unique(cases.astype(np.int64) * n_labels + labels)
    return np.bincount(pairs % n_labels, minlength=n_labels)


def describe_rows(rows: TargetRows) -> dict[str, Any]:
    """The target block's counts: rows, cases and the median."""
    values = rows.frame["value"].to_numpy()
    return {"rows": int(values.size), "cases": rows.cases,
            "median": float(np.median(values)) if values.size else None,
            "mean": float(values.mean()) if values.size else None}
