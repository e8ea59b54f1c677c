"""Run every measure on a backend and assemble ``analysis.json`` (METRICS.md §11)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from procflow.engine import queries as q
from procflow.engine.backends import Backend, DuckDBBackend, SparkBackend
from procflow.eventlog import EventLog
from procflow.measure.decisions import DEFAULT_PATTERN, select_decisions

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


@dataclass
class Analysis:
    """The figures of one log; ``to_dict()`` is the JSON contract."""

    data: dict[str, Any]
    settings: Settings = field(default_factory=Settings)

    def to_dict(self) -> dict[str, Any]:
        """The ``analysis.json`` object."""
        return self.data

    def write(self, out: Path) -> Path:
        """Write ``out/analysis.json``."""
        out.mkdir(parents=True, exist_ok=True)
        path = out / "analysis.json"
        path.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
        return path

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
    **read_options: Any,
) -> Analysis:
    """Measure ``log`` (an EventLog or a file path read with ``read_options``)."""
    if not isinstance(log, EventLog):
        from procflow.api import read

        log = read(log, **read_options)
    settings = Settings(decisions, tuple(decision_activities) if decision_activities else None,
                        handoff_by, top_variants)
    if engine == "duckdb":
        backend: Backend = DuckDBBackend(log.con, log.table)
        try:
            return Analysis(compute(backend, log.name, settings), settings)
        finally:
            backend.close()
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "events.parquet"
        log.relation.write_parquet(str(parquet))
        backend = SparkBackend(parquet, spark_master)
        try:
            return Analysis(compute(backend, log.name, settings), settings)
        finally:
            backend.close()


def compute(backend: Backend, name: str, settings: Settings) -> dict[str, Any]:
    """All figures of METRICS.md §3–8 from ``pf_events`` on ``backend``."""
    mode = _lifecycle_mode(backend)
    backend.create("pf_inst", "SELECT *, epoch_us(timestamp) AS ts_us, "
                   f"epoch_us(start_timestamp) AS start_us FROM ({q.instances(mode)}) i")
    activities = sorted(r["activity"] for r in backend.rows(
        "SELECT DISTINCT activity FROM pf_inst"))
    chosen = select_decisions(activities, pattern=settings.decisions,
                              names=list(settings.decision_activities)
                              if settings.decision_activities else None)
    backend.create("pf_steps", q.steps(chosen))
    backend.create("pf_cases", q.CASES)
    present = backend.rows("SELECT count(resource) AS resource, count(role) AS role, "
                           "count(unit) AS unit, count(level) AS level, "
                           "count(start_us) AS start FROM pf_steps")[0]
    has_start = present["start"] > 0
    totals = backend.rows(q.LOG)[0]
    return {
        "log": _log_block(backend, name, has_start),
        "cycle_time": _stats(backend.rows(q.CYCLE_TIME)[0], "x"),
        "dfg": _dfg(backend, has_start),
        "activities": _activities(backend, has_start),
        "decisions": _decisions(backend, chosen, settings, present, has_start),
        "handoffs": _handoffs(backend, settings, present),
        "layers": _layers(backend, chosen, present),
        "bottlenecks": _bottlenecks(backend, totals),
        "variants": _variants(backend, settings.top_variants),
        "settings": {"decision_pattern": None if settings.decision_activities
                     else settings.decisions or DEFAULT_PATTERN,
                     "lifecycle": mode, "engine": backend.name},
    }


def _lifecycle_mode(backend: Backend) -> q.LifecycleMode:
    from procflow.engine.instances import XES_TRANSITIONS

    values = {r["lifecycle"] for r in backend.rows(
        "SELECT DISTINCT lifecycle FROM pf_events WHERE lifecycle IS NOT NULL")}
    if not values:
        return "none"
    return "standard" if values <= XES_TRANSITIONS else "attribute"


def _stats(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    n = int(row[f"{prefix}_n"] or 0)
    out: dict[str, Any] = {"n": n}
    for key in q.STAT_KEYS[1:]:
        value = row[f"{prefix}_{key}"]
        out[key] = None if value is None else float(value)
    if n == 0:
        out["total"] = 0.0
    return out


def _log_block(backend: Backend, name: str, has_start: bool) -> dict[str, Any]:
    row = backend.rows("SELECT count(DISTINCT case_id) AS cases, count(*) AS events, "
                       "count(DISTINCT activity) AS activities, "
                       "count(DISTINCT resource) AS resources, "
                       "min(epoch_us(timestamp)) AS start_us, "
                       "max(epoch_us(timestamp)) AS end_us FROM pf_events")[0]
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


def _dfg(backend: Backend, has_start: bool) -> dict[str, Any]:
    edges = [{"source": r["source"], "target": r["target"], "count": r["count"],
              "elapsed": _stats(r, "elapsed"),
              "wait": _stats(r, "wait") if has_start else None}
             for r in backend.rows(q.DFG_EDGES)]
    ends: dict[str, dict[str, int]] = {"start": {}, "end": {}}
    for r in sorted(backend.rows(q.DFG_ENDS), key=lambda r: (-r["count"], r["activity"])):
        ends[r["side"]][r["activity"]] = r["count"]
    return {"edges": edges, **ends}


def _activities(backend: Backend, has_start: bool) -> list[dict[str, Any]]:
    return [{"activity": r["activity"], "count": r["count"], "cases": r["cases"],
             "processing": _stats(r, "processing") if has_start else None,
             "wait": _stats(r, "wait") if has_start else None}
            for r in backend.rows(q.ACTIVITIES)]


def _decision_entry(r: dict[str, Any], has_start: bool) -> dict[str, Any]:
    return {**_stats(r, "latency"),
            "waiting": _stats(r, "waiting") if has_start else None,
            "processing": _stats(r, "processing") if has_start else None}


def _decisions(backend: Backend, chosen: list[str], settings: Settings,
               present: dict[str, int], has_start: bool) -> dict[str, Any]:
    overall = _decision_entry(backend.rows(q.decisions_by(None))[0], has_start)
    out: dict[str, Any] = {
        "activities": chosen,
        "excluded": backend.rows(q.DECISIONS_EXCLUDED)[0]["n"],
        "overall": {k: overall[k] for k in q.STAT_KEYS},
        "waiting": overall["waiting"], "processing": overall["processing"],
    }
    keys = {"activity": "activity", "role": "role", "unit": "unit", "level": "level",
            "resource": "resource"}
    for label, column in keys.items():
        rows = backend.rows(q.decisions_by(column)) if (
            label == "activity" or present[column]) else []
        out[f"by_{label}"] = [{"key": r["key"], **_decision_entry(r, has_start)} for r in rows
                              if r["key"] is not None]
    return out


def _granularity(settings: Settings, present: dict[str, int]) -> HandoffBy | None:
    if settings.handoff_by:
        return settings.handoff_by
    for g in ("resource", "role", "unit"):
        if present[g]:
            return g
    return None


def _handoffs(backend: Backend, settings: Settings, present: dict[str, int]) -> dict[str, Any]:
    g = _granularity(settings, present)
    if g is None:
        return {"granularity": None, "total": 0, "unknown": None, "per_case": None, "pairs": [],
                "ping_pong": None, "cross_unit": None, "direction": None}
    sql = q.handoffs(g)
    t = backend.rows(sql["totals"])[0]
    cases = backend.rows("SELECT count(*) AS n FROM pf_cases")[0]["n"]
    return {
        "granularity": g, "total": int(t["total"] or 0), "unknown": int(t["unknown"] or 0),
        "per_case": _stats(backend.rows(sql["per_case"])[0], "x"),
        "pairs": [{"from": r["source"], "to": r["target"], "count": r["count"],
                   "elapsed": _stats(r, "elapsed")} for r in backend.rows(sql["pairs"])],
        "ping_pong": {"total": int(t["ping_pong"] or 0), "cases": int(t["ping_pong_cases"]),
                      "share": (t["ping_pong_cases"] / cases) if cases else None},
        "cross_unit": int(t["cross_unit"] or 0) if t["units_known"] else None,
        "direction": {k: int(t[k] or 0) for k in ("up", "down", "lateral")}
        if t["levels_known"] else None,
    }


def _layers(backend: Backend, chosen: list[str], present: dict[str, int]
            ) -> dict[str, Any] | None:
    by = "level" if present["level"] else "role" if present["role"] else None
    if by is None or not chosen:
        return None
    sql = q.layers(by)
    backend.create("pf_layers", sql["per_case"])
    return {
        "by": by,
        "per_case": _stats(backend.rows(sql["stats"])[0], "x"),
        "histogram": {str(r["layers"]): r["cases"] for r in backend.rows(sql["histogram"])},
        "sequences": [{"levels": r["sequence"], "cases": r["cases"]}
                      for r in backend.rows(sql["sequences"])],
    }


def _bottlenecks(backend: Backend, totals: dict[str, Any]) -> list[dict[str, Any]]:
    span = float(totals["total_span"] or 0)
    cases = int(totals["cases"] or 0)
    window = ((totals["last_us"] or 0) - (totals["first_us"] or 0)) / q.US
    out = []
    for kind in ("activity", "edge", "resource"):
        for r in backend.rows(q.bottlenecks(kind)):
            entry = {"kind": kind, "name": r["name"], "count": r["count"], "cases": r["cases"],
                     "total": float(r["total"]), "share": float(r["total"]) / span if span
                     else None, "median": float(r["median"]), "p90": float(r["p90"]),
                     "impact": float(r["excess"]) / cases if cases else None}
            if kind == "resource":
                entry["wip"] = float(r["total"]) / window if window else None
            out.append(entry)
    return out


def _variants(backend: Backend, top: int) -> dict[str, Any]:
    rows = backend.rows(q.VARIANTS)
    return {"count": len(rows),
            "top": [{"activities": r["sequence"].split(q.SEP), "cases": r["cases"]}
                    for r in rows[:top]]}
