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
from procflow.engine.instances import mode_of
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
    """Measure ``log``: an EventLog, or a file path read with ``read_options``.

    With ``engine="spark"``, a path to canonical Parquet (``procflow export NAME --to
    x.parquet``, or a folder or cluster URL of such files) is read by Spark directly.
    """
    settings = Settings(decisions, tuple(decision_activities) if decision_activities else None,
                        handoff_by, top_variants)
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
class _Run:
    """One computation: the backend, code → name dictionaries and what the log holds."""

    backend: Backend
    names: dict[str, dict[int, str]]
    present: dict[str, int]

    @property
    def has_start(self) -> bool:
        return self.present["start"] > 0

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.backend.rows(sql)

    def name(self, column: str, code: int | None) -> Any:
        """The text behind ``code`` (levels are numbers already)."""
        return code if code is None or column == "level" else self.names[column][code]


def compute(backend: Backend, name: str, settings: Settings) -> dict[str, Any]:
    """All figures of METRICS.md §3–8 from ``pf_events`` on ``backend``."""
    names = {}
    for column in q.DICT_COLUMNS:
        backend.create(f"pf_dict_{column}", q.dictionary(column))
        if column != "case_id":
            names[column] = {r["code"]: r["name"] for r in backend.rows(
                f"SELECT code, name FROM pf_dict_{column}")}
    backend.create("pf_coded", q.coded())
    events = backend.rows(q.EVENTS)[0]
    mode = mode_of({r["lifecycle"] for r in backend.rows(
        "SELECT DISTINCT lifecycle FROM pf_coded WHERE lifecycle IS NOT NULL")})
    backend.create("pf_inst", q.instances(mode))
    chosen = select_decisions(sorted(names["activity"].values()), pattern=settings.decisions,
                              names=list(settings.decision_activities)
                              if settings.decision_activities else None)
    codes = {v: k for k, v in names["activity"].items()}
    present = backend.rows("SELECT count(resource) AS resource, count(role) AS role, "
                           "count(unit) AS unit, count(level) AS level, "
                           "count(start_us) AS start FROM pf_inst")[0]
    granularity = _granularity(settings, present)
    backend.create("pf_steps", q.steps([codes[a] for a in chosen], granularity))
    backend.drop("pf_inst")
    backend.drop("pf_coded")
    backend.create("pf_cases", q.CASES)
    run = _Run(backend, names, present)
    return {
        "log": _log_block(events, name, run.has_start),
        "cycle_time": _stats(run.rows(q.CYCLE_TIME)[0], "x"),
        "dfg": _dfg(run),
        "activities": _activities(run),
        "decisions": _decisions(run, chosen),
        "handoffs": _handoffs(run, granularity),
        "layers": _layers(run, chosen),
        "bottlenecks": _bottlenecks(run),
        "variants": _variants(run, settings.top_variants),
        "settings": {"decision_pattern": None if settings.decision_activities
                     else settings.decisions or DEFAULT_PATTERN,
                     "lifecycle": mode, "engine": backend.name},
    }


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


def _dfg(run: _Run) -> dict[str, Any]:
    edges = [{"source": run.name("activity", r["source"]),
              "target": run.name("activity", r["target"]), "count": r["count"],
              "elapsed": _stats(r, "elapsed"),
              "wait": _stats(r, "wait") if run.has_start else None}
             for r in run.rows(q.DFG_EDGES)]
    edges.sort(key=lambda e: (-e["count"], e["source"], e["target"]))
    ends: dict[str, dict[str, int]] = {"start": {}, "end": {}}
    named = [(r["side"], run.name("activity", r["activity"]), r["count"])
             for r in run.rows(q.DFG_ENDS)]
    for side, activity, count in sorted(named, key=lambda r: (-r[2], r[1])):
        ends[side][activity] = count
    return {"edges": edges, **ends}


def _activities(run: _Run) -> list[dict[str, Any]]:
    out = [{"activity": run.name("activity", r["activity"]), "count": r["count"],
            "cases": r["cases"],
            "processing": _stats(r, "processing") if run.has_start else None,
            "wait": _stats(r, "wait") if run.has_start else None}
           for r in run.rows(q.ACTIVITIES)]
    return sorted(out, key=lambda a: (-a["count"], a["activity"]))


def _decision_entry(r: dict[str, Any], has_start: bool) -> dict[str, Any]:
    return {**_stats(r, "latency"),
            "waiting": _stats(r, "waiting") if has_start else None,
            "processing": _stats(r, "processing") if has_start else None}


def _decisions(run: _Run, chosen: list[str]) -> dict[str, Any]:
    rows = run.rows(q.decisions())
    grouped = [r for r in rows if all(r[f"g_{k}"] for k in q.DECISION_KEYS)]
    # Spark returns no row for the empty grouping set when no decision has a latency.
    overall = _decision_entry(grouped[0] if grouped else _NO_ROWS, run.has_start)
    out: dict[str, Any] = {
        "activities": chosen,
        "excluded": run.rows(q.DECISIONS_EXCLUDED)[0]["n"],
        "overall": {k: overall[k] for k in q.STAT_KEYS},
        "waiting": overall["waiting"], "processing": overall["processing"],
    }
    for key in q.DECISION_KEYS:
        entries = [{"key": run.name(key, r[key]), **_decision_entry(r, run.has_start)}
                   for r in rows if r[f"g_{key}"] == 0 and r[key] is not None]
        out[f"by_{key}"] = sorted(entries, key=lambda e: (-e["total"], e["key"]))
    return out


def _granularity(settings: Settings, present: dict[str, int]) -> HandoffBy | None:
    if settings.handoff_by:
        return settings.handoff_by
    for g in ("resource", "role", "unit"):
        if present[g]:
            return g
    return None


def _handoffs(run: _Run, g: HandoffBy | None) -> dict[str, Any]:
    if g is None:
        return {"granularity": None, "total": 0, "unknown": None, "per_case": None, "pairs": [],
                "ping_pong": None, "cross_unit": None, "direction": None}
    sql = q.handoffs(g)
    t = run.rows(sql["totals"])[0]
    cases = run.rows("SELECT count(*) AS n FROM pf_cases")[0]["n"]
    pairs = [{"from": run.name(g, r["source"]), "to": run.name(g, r["target"]),
              "count": r["count"], "elapsed": _stats(r, "elapsed")}
             for r in run.rows(sql["pairs"])]
    return {
        "granularity": g, "total": int(t["total"] or 0), "unknown": int(t["unknown"] or 0),
        "per_case": _stats(run.rows(sql["per_case"])[0], "x"),
        "pairs": sorted(pairs, key=lambda p: (-p["count"], p["from"], p["to"])),
        "ping_pong": {"total": int(t["ping_pong"] or 0), "cases": int(t["ping_pong_cases"]),
                      "share": (t["ping_pong_cases"] / cases) if cases else None},
        "cross_unit": int(t["cross_unit"] or 0) if t["units_known"] else None,
        "direction": {k: int(t[k] or 0) for k in ("up", "down", "lateral")}
        if t["levels_known"] else None,
    }


def _layers(run: _Run, chosen: list[str]) -> dict[str, Any] | None:
    by = "level" if run.present["level"] else "role" if run.present["role"] else None
    if by is None or not chosen:
        return None
    sql = q.layers(by)
    run.backend.create("pf_layers", sql["per_case"])
    sequences = [{"levels": "→".join(str(run.name(by, int(c))) for c in r["sequence"].split("→")),
                  "cases": r["cases"]} for r in run.rows(sql["sequences"])]
    return {
        "by": by,
        "per_case": _stats(run.rows(sql["stats"])[0], "x"),
        "histogram": {str(r["layers"]): r["cases"] for r in run.rows(sql["histogram"])},
        "sequences": sorted(sequences, key=lambda s: (-s["cases"], s["levels"]))[:20],
    }


def _bottlenecks(run: _Run) -> list[dict[str, Any]]:
    totals = run.rows(q.LOG)[0]
    span = float(totals["total_span"] or 0)
    cases = int(totals["cases"] or 0)
    window = ((totals["last_us"] or 0) - (totals["first_us"] or 0)) / q.US
    out = []
    for kind in ("activity", "edge", "resource"):
        entries = []
        for r in run.rows(q.bottlenecks(kind)):
            column = "resource" if kind == "resource" else "activity"
            name = " → ".join(str(run.name(column, r[k])) for k in ("k0", "k1") if k in r)
            entry = {"kind": kind, "name": name, "count": r["count"], "cases": r["cases"],
                     "total": float(r["total"]), "share": float(r["total"]) / span if span
                     else None, "median": float(r["median"]), "p90": float(r["p90"]),
                     "impact": float(r["excess"]) / cases if cases else None}
            if kind == "resource":
                entry["wip"] = float(r["total"]) / window if window else None
            entries.append(entry)
        out += sorted(entries, key=lambda e: (-e["total"], e["name"]))
    return out


def _variants(run: _Run, top: int) -> dict[str, Any]:
    rows = run.rows(q.VARIANTS)
    named = [{"activities": [run.name("activity", int(c)) for c in r["sequence"].split(",")],
              "cases": r["cases"]} for r in rows]
    named.sort(key=lambda v: (-v["cases"], v["activities"]))
    return {"count": len(rows), "top": named[:top]}
