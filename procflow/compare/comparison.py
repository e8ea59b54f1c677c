"""Before/after comparison of two logs (METRICS.md §9): KPIs with honest statistics.

Each KPI is a set of values per side, each belonging to a case: cycle times, decision latencies
(overall and by decision activity, role and level), handoffs, approval layers and ping-pongs per
case, and the elapsed time of each common path. Sides are compared by the median difference with
a case-resampling bootstrap interval, the Mann–Whitney U test, Cliff's delta and
Benjamini–Hochberg adjusted p-values (:mod:`procflow.compare.stats`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np

from procflow.calendar import Calendar
from procflow.compare import stats
from procflow.core import db
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.measure import queries as q
from procflow.measure.analysis import analyze
from procflow.measure.ends import frequent_ends, open_cases
from procflow.measure.prepare import HandoffBy, Prepared, Settings, prepared
from procflow.result import JsonResult

if TYPE_CHECKING:
    import pandas as pd

ALPHA = 0.05
#: Unit of the KPIs measured on a working calendar.
WORKING = "working seconds"
MIN_CASES = 30
#: Paths compared as KPIs: at least this many transitions on each side, the most frequent first.
MIN_PATH_COUNT = 10
MAX_PATHS = 50
PROGRESS_STEPS = 1000
Stage = Literal["figures", "statistics", "drawing"]
_views = itertools.count(1)


@dataclass
class Comparison(JsonResult):
    """The result; ``to_dict()`` is ``comparison.json``."""

    FILENAME: ClassVar[str] = "comparison.json"


@dataclass(frozen=True)
class Kpi:
    """One KPI's values on one side, with what it measures."""

    name: str
    by: str | None
    key: str | None
    unit: str
    sample: stats.Sample
    lower_is_better: bool = True


def subset(log: EventLog, cases_sql: str, name: str) -> EventLog:
    """``log`` restricted to the cases ``cases_sql`` selects (a query over ``{events}``)."""
    view = f"pf_subset_{next(_views)}"
    log.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {log.table} "
                    f"WHERE case_id IN ({cases_sql.format(events=log.table)})").fetchall()
    return EventLog(name, log.con, view, log.report, zone=log.zone)


ARRIVAL = "min(least(coalesce(start_timestamp, timestamp), timestamp))"


def split(log: EventLog, at: dt.datetime) -> tuple[EventLog, EventLog]:
    """Cases arriving before ``at`` (an aware time) and from ``at`` on (METRICS §9); an
    InputError naming the empty side and the dates that would split the log when a side has
    no case."""
    arrivals = f"SELECT case_id FROM {{events}} GROUP BY case_id HAVING {ARRIVAL} "
    stamp = f"TIMESTAMPTZ '{at.astimezone(dt.UTC).isoformat()}'"
    sides = (subset(log, arrivals + f"< {stamp}", f"{log.name} before {at:%Y-%m-%d}"),
             subset(log, arrivals + f">= {stamp}", f"{log.name} from {at:%Y-%m-%d}"))
    empty = [side for side, part in zip(("before", "after"), sides, strict=True)
             if not case_count(part)]
    if empty:
        raise split_error(log, at, empty)
    return sides


def case_count(log: EventLog) -> int:
    """How many cases ``log`` has."""
    found = log.con.execute(f"SELECT count(DISTINCT case_id) FROM {log.table}").fetchall()
    return int(found[0][0])


def split_error(log: EventLog, at: dt.datetime, empty: list[str]) -> InputError:
    """Why splitting ``log`` at ``at`` leaves the ``empty`` side(s) without cases, and which
    split dates would not."""
    first, last = log.con.execute(
        f"SELECT min(arrival), max(arrival) FROM (SELECT {ARRIVAL} AS arrival FROM {log.table} "
        "GROUP BY case_id)").fetchall()[0]
    if first is None:
        return InputError(f"log {log.name!r} has no cases to split.",
                          fix="import a log with cases (procflow logs lists the counts).")
    zone = at.tzinfo
    first, last = first.astimezone(zone), last.astimezone(zone)
    side = ("before" if empty == ["before"] else "after")
    where = (f"before {at:%Y-%m-%d}" if side == "before" else f"on or after {at:%Y-%m-%d}")
    arrive = (f"its cases arrive from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} "
              f"({at:%Z})")
    lo, hi = first.date() + dt.timedelta(days=1), last.date()
    fix = (f"split at a date from {lo} to {hi}." if lo <= hi else
           f"every case arrives on {first:%Y-%m-%d}: compare two logs instead of splitting one.")
    return InputError(f"no case of {log.name!r} arrives {where}, so the {side} side of the "
                      f"comparison is empty; {arrive}.", fix=fix, code="split_empty",
                      params={"log": log.name, "side": side, "at": f"{at:%Y-%m-%d}",
                              "first": f"{first:%Y-%m-%d %H:%M}",
                              "last": f"{last:%Y-%m-%d %H:%M}",
                              "from": str(lo) if lo <= hi else None, "to": str(hi)})


def completed_only(log: EventLog, ends: set[str]) -> EventLog:
    """``log`` without the cases whose last event is not one of ``ends``."""
    names = ", ".join("'" + e.replace("'", "''") + "'" for e in sorted(ends)) or "NULL"
    cases = ("SELECT case_id FROM (SELECT case_id, arg_max(activity, (timestamp, event_id)) AS "
             "last FROM {events} GROUP BY case_id) t WHERE last IN (" + names + ")")
    return subset(log, cases, log.name)


def compare(
    before: EventLog,
    after: EventLog,
    *,
    decisions: str | None = None,
    decision_activities: list[str] | None = None,
    handoff_by: HandoffBy | None = None,
    completed: bool = False,
    calendar: str | Calendar | None = None,
    calendar_zone: str | None = None,
    resamples: int = 2000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    stage: Callable[[Stage], None] | None = None,
) -> Comparison:
    """Compare ``before`` with ``after``; ``completed`` keeps only cases that reached an end
    step that closes at least 5% of the cases of either log; ``progress(done)`` gets the
    thousandths of KPIs tested so far (the bootstrap is the slow part), ``stage(name)`` the
    start of each phase ("figures", "statistics", "drawing": the path and variant
    differences). Chosen ``decision_activities`` (an empty list: none) must be in at least one
    log; each side takes those it has. With a ``calendar``
    the timed KPIs are compared again in working time (METRICS §10)."""
    settings = Settings(decisions,
                        None if decision_activities is None else tuple(decision_activities),
                        handoff_by, top_variants=1_000_000, calendar=calendar,
                        calendar_zone=calendar_zone)
    logs = (before, after)
    _require_cases(logs)
    _check_decisions(settings, logs)
    said = stage or (lambda _: None)
    said("figures")
    analyses = [analyze(log, **_keywords(s)).to_dict()
                for log, s in zip(logs, _per_side(settings, logs), strict=True)]
    ends = _end_steps(analyses)
    warnings = [w for w in _warnings(analyses)
                if not (completed and w["kind"] == "open_cases")]
    if completed:
        logs = (completed_only(before, ends), completed_only(after, ends))
        _require_cases(logs, ends)
        analyses = [analyze(log, **_keywords(s)).to_dict()
                    for log, s in zip(logs, _per_side(settings, logs), strict=True)]
    granularity, handoff_warning = _handoff_basis(analyses)
    layers_by, basis_warning = _layers_basis(analyses)
    warnings += handoff_warning + basis_warning + [
        {"kind": "decision_pattern", "side": side, **w, "text": w["message"]}
        for side, a in zip(("before", "after"), analyses, strict=True) for w in a["warnings"]]
    sides = []
    for log, side in zip(logs, _per_side(settings, logs), strict=True):
        with prepared(log, replace(side, handoff_by=granularity)) as prep:
            sides.append(kpis(prep, granularity, layers_by, working=calendar is not None))
    calendar_settings = analyses[0]["settings"].get("calendar")
    said("statistics")
    tested = _compare_kpis(sides[0], sides[1], resamples, seed, progress)
    if calendar_settings:
        _working_days(tested, float(calendar_settings["day_seconds"]))
    said("drawing")
    selection = ({"filter": {"before": before.selection, "after": after.selection}}
                 if before.selection or after.selection else {})
    return Comparison({
        "before": analyses[0]["log"], "after": analyses[1]["log"],
        "kpis": tested,
        "dfg_diff": dfg_diff(analyses[0], analyses[1]),
        "variants": variant_diff(analyses[0], analyses[1]),
        "distributions": {"layers": [(a["layers"] or {}).get("histogram")
                                     if (a["layers"] or {}).get("by") == layers_by else None
                                     for a in analyses],
                          "handoffs_per_case": [_histogram(s, "handoffs_per_case")
                                                for s in sides]},
        "decisions": {"before": analyses[0]["decisions"]["activities"],
                      "after": analyses[1]["decisions"]["activities"]},
        "warnings": warnings,
        "settings": {"alpha": ALPHA, "resamples": resamples, "completed_only": completed,
                     "end_steps": sorted(ends), "handoff_by": granularity,
                     "layers_by": layers_by,
                     "decision_pattern": analyses[0]["settings"]["decision_pattern"],
                     "decision_activities": None if settings.decision_activities is None
                     else sorted(settings.decision_activities),
                     "calendar": calendar_settings},
        "seed": seed,
        **selection,
    })


def _require_cases(logs: tuple[EventLog, EventLog], ends: set[str] | None = None) -> None:
    """An InputError naming the side without cases (``ends``: the end steps that completed
    cases reach, when only those are kept)."""
    for side, log in zip(("before", "after"), logs, strict=True):
        if case_count(log):
            continue
        if ends is not None:
            raise InputError(
                f"no case of the {side} log {log.name!r} ends at a common end step "
                f"({', '.join(sorted(ends)) or 'none'}), so with completed cases only the "
                f"{side} side of the comparison is empty.",
                fix="compare all cases (leave out --completed-only / 'completed cases only').",
                code="no_completed_cases",
                params={"side": side, "log": log.name, "ends": sorted(ends)})
        raise InputError(f"the {side} log {log.name!r} has no cases, so the {side} side of the "
                         "comparison is empty.",
                         fix="compare logs that hold cases (procflow logs lists the counts).",
                         code="no_cases", params={"side": side, "log": log.name})


def _working_days(tested: list[dict[str, Any]], day_seconds: float) -> None:
    """Give each working-time KPI its figures in working days too (``working_days``)."""
    for k in tested:
        if k["unit"] != WORKING:
            continue
        k["day_seconds"] = day_seconds
        for side in ("before", "after"):
            k[side]["working_days"] = {key: v if v is None or key == "n" else v / day_seconds
                                       for key, v in k[side].items()}
        k["diff_median_days"] = (None if k["diff_median"] is None
                                 else k["diff_median"] / day_seconds)


def _activities(log: EventLog) -> set[str]:
    return {r[0] for r in db.rows(log.con, f"SELECT DISTINCT activity FROM {log.table}")}


def _check_decisions(settings: Settings, logs: tuple[EventLog, EventLog]) -> None:
    """Chosen decision steps must be in at least one of the logs."""
    if settings.decision_activities is None:
        return
    unknown = sorted(set(settings.decision_activities) - _activities(logs[0])
                     - _activities(logs[1]))
    if unknown:
        raise InputError(f"decision activities in neither log: {', '.join(unknown)}.",
                         fix="check the spelling against `procflow info LOG`.")


def _per_side(settings: Settings, logs: tuple[EventLog, EventLog]) -> list[Settings]:
    """Each side's settings: chosen decision steps kept where the side has them (a step the
    reform removed is a decision before and absent after)."""
    if settings.decision_activities is None:
        return [settings, settings]
    return [replace(settings, decision_activities=tuple(
        a for a in settings.decision_activities if a in _activities(log))) for log in logs]


def _keywords(settings: Settings) -> dict[str, Any]:
    return {"decisions": settings.decisions,
            "decision_activities": None if settings.decision_activities is None
            else list(settings.decision_activities),
            "handoff_by": settings.handoff_by, "top_variants": settings.top_variants,
            "calendar": settings.calendar, "calendar_zone": settings.calendar_zone}


def _frame(prep: Prepared, sql: str) -> pd.DataFrame:
    import pandas as pd

    rows = prep.rows(sql)
    return pd.DataFrame(rows) if rows else pd.DataFrame()


def kpis(prep: Prepared, granularity: str | None, layers_by: str | None, *,
         working: bool = False) -> list[Kpi]:
    """Every KPI's values for one side, cases numbered 0..n-1; with ``working`` the timed KPIs
    again in working seconds (``prep`` built with a calendar)."""
    cases = _frame(prep, "SELECT * FROM pf_cases ORDER BY case_id")
    index = {int(c): i for i, c in enumerate(cases["case_id"])}
    n = len(index)

    def sample(frame: pd.DataFrame, column: str) -> stats.Sample:
        if frame.empty:
            return stats.Sample(np.zeros(0), np.zeros(0, dtype=np.int64), n)
        kept = frame[frame[column].notna()]
        return stats.Sample(np.asarray(kept[column], dtype=float),
                            np.asarray(kept["case_id"].map(index), dtype=np.int64), n)

    out = _timed(prep, cases, sample, "cycle_time", "elapsed", "seconds")
    if working:
        out += _timed(prep, cases, sample, "w_cycle_time", "w_elapsed", WORKING)
    if granularity:
        per_case = _frame(prep, q.handoff_counts(granularity))
        out.append(Kpi("handoffs_per_case", None, None, "handoffs", sample(per_case, "handoffs")))
        out.append(Kpi("ping_pong_rate", None, None, "ping-pongs per case",
                       sample(per_case, "ping_pongs")))
    if layers_by:
        layers = _frame(prep, q.layers(layers_by)["per_case"])
        out.append(Kpi("approval_layers", None, None, "layers", sample(layers, "layers")))
    return out


def _timed(prep: Prepared, cases: pd.DataFrame, sample: Callable[[pd.DataFrame, str], Any],
           cycle: str, elapsed: str, unit: str) -> list[Kpi]:
    """Cycle time, decision latency (overall and by step, role, level) and path times, from
    the columns ``cycle`` (of pf_cases) and ``elapsed`` (of pf_steps)."""
    out = [Kpi("cycle_time", None, None, unit, sample(cases, cycle))]
    latency = _frame(prep, f"SELECT case_id, activity, role, level, {elapsed} FROM pf_steps "
                           "WHERE is_decision AND seq > 1")
    out.append(Kpi("decision_latency", None, None, unit, sample(latency, elapsed)))
    for by in ("activity", "role", "level"):
        if latency.empty:
            break
        for code, group in latency[latency[by].notna()].groupby(by):
            out.append(Kpi("decision_latency", by, str(prep.name(by, cast(int, code))), unit,
                           sample(group, elapsed)))
    paths = _frame(prep, f"SELECT case_id, prev_activity, activity, {elapsed} FROM pf_steps "
                         "WHERE seq > 1")
    if not paths.empty:
        for keys, group in paths.groupby(["prev_activity", "activity"]):
            a, b = cast(tuple[int, int], keys)
            label = f"{prep.name('activity', a)} → {prep.name('activity', b)}"
            out.append(Kpi("path_elapsed", "path", label, unit, sample(group, elapsed)))
    return out


def _compare_kpis(before: list[Kpi], after: list[Kpi], resamples: int, seed: int,
                  progress: Callable[[int], None] | None) -> list[dict[str, Any]]:
    """Pair the KPIs present on both sides, test them, adjust and give verdicts."""
    ours = {(k.name, k.by, k.key, k.unit): k for k in after}
    pairs = [(k, ours[(k.name, k.by, k.key, k.unit)]) for k in before
             if (k.name, k.by, k.key, k.unit) in ours and k.sample.values.size and
             ours[(k.name, k.by, k.key, k.unit)].sample.values.size]
    paths = [p for p in pairs if p[0].name == "path_elapsed"
             and min(p[0].sample.values.size, p[1].sample.values.size) >= MIN_PATH_COUNT]
    paths.sort(key=lambda p: (-(p[0].sample.values.size + p[1].sample.values.size), p[0].key,
                              p[0].unit))
    pairs = [p for p in pairs if p[0].name != "path_elapsed"] + paths[:MAX_PATHS * (
        2 if any(p[0].unit == WORKING for p in paths) else 1)]
    out = []
    for i, (b, a) in enumerate(pairs):
        result = stats.compare_samples(b.sample, a.sample, resamples=resamples, seed=seed + i)
        out.append({"name": b.name, "by": b.by, "key": b.key, "unit": b.unit, **result})
        if progress:
            progress((i + 1) * PROGRESS_STEPS // len(pairs))
    adjusted = stats.benjamini_hochberg([k["p_value"] for k in out])
    for entry, p in zip(out, adjusted, strict=True):
        entry["p_adjusted"] = p
        entry["verdict"], entry["verdict_reason"] = stats.verdict(
            p, entry["diff_median"], entry["cliffs_delta"], ci=entry["ci95"],
            before_median=entry["before"]["median"], alpha=ALPHA)
    return out


def _histogram(kpis_: list[Kpi], name: str) -> dict[str, int] | None:
    """Cases per value of a one-value-per-case KPI."""
    kpi = next((k for k in kpis_ if k.name == name and k.by is None), None)
    if kpi is None:
        return None
    values, freq = np.unique(kpi.sample.values.astype(int), return_counts=True)
    return {str(int(v)): int(f) for v, f in zip(values, freq, strict=True)}


def dfg_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Paths only before (removed), only after (added), and in both (changed)."""
    def edges(a: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        cases = a["log"]["cases"] or 1
        return {(e["source"], e["target"]): {"count": e["count"],
                                             "per_case": e["count"] / cases,
                                             "median": e["elapsed"]["median"]}
                for e in a["dfg"]["edges"]}

    old, new = edges(before), edges(after)

    def listed(keys: set[tuple[str, str]], side: dict[tuple[str, str], Any]) -> list[Any]:
        return [{"source": s, "target": t, **side[(s, t)]}
                for s, t in sorted(keys, key=lambda k: (-side[k]["count"], k))]

    changed = [{"source": s, "target": t, "before": old[(s, t)], "after": new[(s, t)]}
               for s, t in sorted(old.keys() & new.keys(),
                                  key=lambda k: (-old[k]["count"] - new[k]["count"], k))]
    return {"removed": listed(old.keys() - new.keys(), old),
            "added": listed(new.keys() - old.keys(), new), "changed": changed}


def variant_diff(before: dict[str, Any], after: dict[str, Any], top: int = 10
                 ) -> dict[str, Any]:
    """Variant counts, the share of the top variants, and variants that appeared or vanished."""
    def shares(a: dict[str, Any]) -> dict[tuple[str, ...], float]:
        cases = a["log"]["cases"] or 1
        return {tuple(v["activities"]): v["cases"] / cases for v in a["variants"]["top"]}

    old, new = shares(before), shares(after)

    def listed(keys: set[tuple[str, ...]], side: dict[tuple[str, ...], float]) -> list[Any]:
        ranked = sorted(keys, key=lambda k: (-side[k], k))[:top]
        return [{"activities": list(k), "share": side[k]} for k in ranked]

    return {"before": before["variants"]["count"], "after": after["variants"]["count"],
            "top_share_before": sum(sorted(old.values(), reverse=True)[:top]),
            "top_share_after": sum(sorted(new.values(), reverse=True)[:top]),
            "appeared": listed(new.keys() - old.keys(), new),
            "disappeared": listed(old.keys() - new.keys(), old)}


def _end_steps(analyses: list[dict[str, Any]]) -> set[str]:
    """End steps that close at least 5% of the cases on either side."""
    return frequent_ends(analyses[0]) | frequent_ends(analyses[1])


def _warnings(analyses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Small sides, different case mixes, and cases still open at the end of a log (judged
    by each side's own end steps, as its log page does, and only where they are clear: its
    frequent ones close most cases)."""
    out: list[dict[str, Any]] = []
    for side, a in zip(("before", "after"), analyses, strict=True):
        cases = a["log"]["cases"]
        if cases < MIN_CASES:
            out.append({"kind": "small_sample", "side": side, "cases": cases,
                        "text": f"only {cases} cases {side}: differences are uncertain"})
        still = open_cases(a)
        if still:
            out.append({"kind": "open_cases", "side": side, "cases": still["cases"],
                        "share": still["share"],
                        "text": f"{still['share']:.0%} of cases {side} end at a step that "
                                "rarely closes a case (still open?): cycle times may be biased; "
                                "compare completed cases only"})
    starts = [_shares(a["dfg"]["start"]) for a in analyses]
    distance = 0.5 * sum(abs(starts[0].get(k, 0) - starts[1].get(k, 0))
                         for k in starts[0].keys() | starts[1].keys())
    if distance > 0.2:
        out.append({"kind": "case_mix", "distance": distance,
                    "text": f"cases start differently before and after (start steps differ by "
                            f"{distance:.0%}): the logs may hold different kinds of cases"})
    return out


def _handoff_basis(analyses: list[dict[str, Any]]
                   ) -> tuple[HandoffBy | None, list[dict[str, Any]]]:
    """What handoffs are counted between on both sides: what each log's analysis used when
    they agree; else nothing, with a warning (a log without that field would count none)."""
    used = [a["handoffs"]["granularity"] for a in analyses]
    if used[0] == used[1]:
        return used[0], []
    return None, [{"kind": "handoff_basis", "before": used[0], "after": used[1],
                   "text": f"handoffs are counted between each {used[0] or 'nothing'} before "
                           f"and each {used[1] or 'nothing'} after, so they are not compared "
                           "(choose a field both logs have)"}]


def _layers_basis(analyses: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """What approval layers are counted by on both sides: what each log's analysis used when
    they agree; else roles where both logs name them, with a warning; else nothing."""
    used = [(a["layers"] or {}).get("by") for a in analyses]
    if used[0] == used[1]:
        return used[0], []
    has_roles = all(a["decisions"]["by_role"] for a in analyses)
    common = "role" if has_roles else None
    return common, [{"kind": "layers_basis", "before": used[0], "after": used[1],
                     "common": common,
                     "text": f"approval layers are counted by {used[0] or 'nothing'} before and "
                             f"by {used[1] or 'nothing'} after; compared by "
                             f"{common or 'nothing'} on both sides (import both logs with the "
                             "same columns or org chart)"}]


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}
