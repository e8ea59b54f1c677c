"""Every figure of ``analysis.json`` (METRICS.md §3–8) from a prepared log."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from procflow.measure import queries as q
from procflow.measure.backends import Backend
from procflow.measure.decision_hints import suggest_decisions
from procflow.measure.decisions import DEFAULT_PATTERN, decision_warnings
from procflow.measure.prepare import (
    CACHED_GROUPINGS,
    Prepared,
    Settings,
    decision_keys,
    prepare,
    ranks_quantiles,
    stored_by_activity,
    stored_decisions,
    stored_pairs,
)
from procflow.measure.sla import parse_sla, sla_block

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: the figures make many small dictionaries (one per
    handoff pair) and no cycles, and its passes over the growing heap would cost as much as
    making them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute(backend: Backend, name: str, settings: Settings) -> dict[str, Any]:
    """All figures of METRICS.md §3–8 from ``pf_events`` on ``backend``."""
    with _collector_paused():
        return _compute(backend, name, settings)


def _compute(backend: Backend, name: str, settings: Settings) -> dict[str, Any]:
    run = prepare(backend, settings)
    totals = run.rows(q.case_totals(run.clock is not None))[0]
    groupings = {kind: _grouping(run, kind) for kind in q.GROUPING_KINDS}
    variants = _variant_rows(run)
    activities = _activities(run, groupings["activity"])
    default = settings.decisions is None and settings.decision_activities is None
    out: dict[str, Any] = {
        "log": _log_block(run.log, name, run.has_start),
        "cycle_time": _st(run, totals, "cycle"),
        "dfg": _dfg(run, groupings["edge"], variants),
        "activities": activities,
        "decisions": {**_decisions(run, groupings["activity"]),
                      "suggestions": _suggestions(variants, activities)},
        "handoffs": _handoffs(run, totals),
        "layers": _layers(run),
        "bottlenecks": _bottlenecks(run, totals, groupings),
        "variants": _variants(variants, settings.top_variants),
        "settings": {"decision_pattern": None if settings.decision_activities is not None
                     else settings.decisions or DEFAULT_PATTERN,
                     "lifecycle": run.mode, "engine": backend.name},
        "warnings": decision_warnings(run.chosen, len(run.names["activity"]))
        if default else [],
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
    stored = stored_by_activity(run) if kind == "activity" else None
    if run.cache is not None and kind in CACHED_GROUPINGS:
        run.backend.view(f"pf_by_{kind}", f"SELECT * FROM {run.cache}_by_{kind}")
    elif stored is not None:
        run.backend.view(f"pf_by_{kind}", stored)
    else:
        run.backend.create(f"pf_by_{kind}", q.groupings(
            run.clock is not None, ranked=ranks_quantiles(run.backend))[kind])
    return run.rows(f"SELECT * FROM pf_by_{kind}")


class _NoRows(dict[str, Any]):
    """The row of aggregates over no values: counts 0, everything else null."""

    def __missing__(self, key: str) -> Any:
        return 0 if key.endswith("_n") else None


_NO_ROWS = _NoRows()


_SUFFIXES = ("_n", "_mean", "_q", "_max", "_total")


def _one(row: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, list[Any]]:
    """The aggregates of ``prefixes`` in ``row`` as columns of one value."""
    return {f"{p}{s}": [row[f"{p}{s}"]] for p in prefixes for s in _SUFFIXES}


def _floats(values: Iterable[Any]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _stat_list(cols: dict[str, list[Any]], prefix: str) -> list[dict[str, Any]]:
    """STATS of ``prefix`` for each row of ``cols`` (columns as from :func:`stats`): counts
    as integers, figures as floats, a total of 0 over no values."""
    n = [int(v or 0) for v in cols[f"{prefix}_n"]]
    quantiles = [v or (None, None) for v in cols[f"{prefix}_q"]]
    total = [t if k else 0.0 for t, k in zip(_floats(cols[f"{prefix}_total"]), n, strict=True)]
    return [{"n": k, "mean": mean, "median": median, "p90": p90, "max": top, "total": sum_}
            for k, mean, median, p90, top, sum_ in zip(
                n, _floats(cols[f"{prefix}_mean"]), _floats(q[0] for q in quantiles),
                _floats(q[1] for q in quantiles), _floats(cols[f"{prefix}_max"]), total,
                strict=True)]


def _st_list(run: Prepared, cols: dict[str, list[Any]], prefix: str) -> list[dict[str, Any]]:
    """:func:`_st` for each row of ``cols``."""
    out = _stat_list(cols, prefix)
    if run.clock is not None:
        day = run.clock.day_seconds
        for entry, working in zip(out, _stat_list(cols, f"w_{prefix}"), strict=True):
            entry["working"] = working
            entry["working_days"] = {k: v if k == "n" or v is None else v / day
                                     for k, v in working.items()}
    return out


def _stats(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """STATS of ``prefix`` in ``row``."""
    return _stat_list(_one(row, (prefix,)), prefix)[0]


def _st(run: Prepared, row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """STATS of ``prefix`` in ``row``; with a calendar, plus its twins ``working`` (working
    seconds, prefix ``w_<prefix>``) and ``working_days`` (those divided by the calendar's
    day_seconds, n unchanged)."""
    prefixes = (prefix,) if run.clock is None else (prefix, f"w_{prefix}")
    return _st_list(run, _one(row, prefixes), prefix)[0]


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
    keys = decision_keys(run.present)
    stored = stored_decisions(run, keys)
    rows = run.rows(f"SELECT * FROM {stored}" if stored
                    else q.decisions(keys, working=run.clock is not None,
                                     ranked=ranks_quantiles(run.backend)))
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
          "cases": int(r["elapsed_cases"]),
          "waiting": _st(run, r, "wait") if run.has_start else None,
          "processing": _st(run, r, "decision_processing") if run.has_start else None}
         for r in by_activity if r["activity"] in codes and r["elapsed_n"]),
        key=lambda e: (-e["total"], e["key"]))
    for key in q.DECISION_KEYS[1:]:
        entries = [{"key": run.name(key, r[key]), **_decision_entry(run, r)}
                   for r in rows if key in keys and r[f"g_{key}"] == 0 and r[key] is not None]
        out[f"by_{key}"] = sorted(entries, key=lambda e: (-e["total"], e["key"]))
    return out


def _suggestions(variants: list[tuple[list[str], int]],
                 activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps that look like decisions by the log's structure (:mod:`.decision_hints`)."""
    levels = {a["activity"]: a["lanes"]["level"] for a in activities}
    return suggest_decisions({tuple(v): n for v, n in variants}, levels)


def _handoffs(run: Prepared, totals: dict[str, Any]) -> dict[str, Any]:
    g = run.granularity
    if g is None:
        return {"granularity": None, "total": 0, "unknown": None, "per_case": None, "pairs": [],
                "ping_pong": None, "cross_unit": None, "direction": None}
    sql = q.handoffs(g, working=run.clock is not None, ranked=ranks_quantiles(run.backend))
    t = run.rows(sql["totals"])[0]
    cases = int(totals["cases"] or 0)
    stored = stored_pairs(run, g)
    pairs = _pairs(run, g, run.backend.columns(f"SELECT * FROM {stored}" if stored
                                               else sql["pairs"]))
    return {
        "granularity": g, "total": int(totals["handoffs_total"] or 0),
        "unknown": int(t["unknown"] or 0),
        "per_case": _stats(totals, "handoffs"),
        "pairs": pairs,
        "ping_pong": {"total": int(totals["ping_pongs"] or 0),
                      "cases": int(totals["ping_pong_cases"]),
                      "share": (totals["ping_pong_cases"] / cases) if cases else None},
        "cross_unit": int(t["cross_unit"] or 0) if t["units_known"] else None,
        "direction": {k: int(t[k] or 0) for k in ("up", "down", "lateral")}
        if t["levels_known"] else None,
    }


def _pairs(run: Prepared, g: str, cols: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The handoff pairs, most frequent first (ties: by the names), built column by column:
    a log may have tens of thousands of them."""
    names = run.names[g]
    rank = {code: i for i, code in enumerate(sorted(names, key=names.__getitem__))}
    order = np.lexsort((np.array([rank[c] for c in cols["target"]], dtype=np.int64),
                        np.array([rank[c] for c in cols["source"]], dtype=np.int64),
                        -np.array(cols["count"], dtype=np.int64)))
    pairs = [{"from": names[s], "to": names[t], "count": n, "cases": int(k), "elapsed": e}
             for s, t, n, k, e in zip(cols["source"], cols["target"], cols["count"],
                                      cols["cases"], _st_list(run, cols, "elapsed"), strict=True)]
    return [pairs[i] for i in order.tolist()]


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
