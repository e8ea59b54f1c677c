"""Plain-language sentences about a comparison, in the report's language."""

from __future__ import annotations

import re
from typing import Any

from procflow.core.i18n import DurationUnit, Texts, duration_unit
from procflow.measure.decisions import warning_text as decision_warning_text

#: Each KPI's name by ``(name, by)``; ``{key}`` is the activity, role, level or path.
KPI_NAMES = {
    ("cycle_time", None): "Cycle time",
    ("decision_latency", None): "Decision latency",
    ("decision_latency", "activity"): "Decision latency at {key}",
    ("decision_latency", "role"): "Decision latency of {key}",
    ("decision_latency", "level"): "Decision latency at level {key}",
    ("handoffs_per_case", None): "Handoffs per case",
    ("ping_pong_rate", None): "Ping-pongs per case",
    ("approval_layers", None): "Approval layers per case",
    ("path_elapsed", "path"): "Time on the path {key}",
}


#: Rows of a KPI table shown before the rest is folded away.
TABLE_TOP = 12


def kpi_name(kpi: dict[str, Any], t: Texts) -> str:
    """The KPI's name in the report's language (``(working time)`` on a calendar's clock)."""
    message = KPI_NAMES[(kpi["name"], kpi["by"])]
    name = t(message, key=kpi["key"]) if kpi["key"] is not None else t(message)
    return t("{name} (working time)", name=name) if "day_seconds" in kpi else name


def value(kpi: dict[str, Any], seconds_or_count: float | None, t: Texts,
          extra_digits: int = 0) -> str:
    """A KPI value: a duration for times (in one unit for the whole KPI), working days on a
    calendar's clock, a number otherwise; ``extra_digits`` more decimals than usual."""
    if "day_seconds" in kpi:
        if seconds_or_count is None:
            return "–"
        days = t.number(seconds_or_count / kpi["day_seconds"], 1 + extra_digits)
        return t("{n} working days", n=days)
    if kpi["unit"] == "seconds":
        return t.duration(seconds_or_count, kpi_unit(kpi), extra_digits=extra_digits)
    return t.number(seconds_or_count, 1 + extra_digits)


def extra_digits(kpi: dict[str, Any], t: Texts) -> int:
    """How many more decimals than usual the KPI's figures need so that different medians
    before and after read differently and their change reads as more than zero (``0 min`` →
    ``0 min`` never stands for 20 s → 10 s)."""
    before, after = kpi["before"]["median"], kpi["after"]["median"]
    change = abs(kpi["diff_median"] or 0)
    for extra in range(3):
        if before == after or (value(kpi, before, t, extra) != value(kpi, after, t, extra)
                               and value(kpi, change, t, extra) != value(kpi, 0, t, extra)):
            return extra
    return 3


def kpi_unit(kpi: dict[str, Any]) -> DurationUnit:
    """The duration unit of a KPI's figures: the one that suits the larger median."""
    medians = [kpi[side]["median"] or 0.0 for side in ("before", "after")]
    return duration_unit(max(abs(m) for m in medians))


def kpi_sentence(kpi: dict[str, Any], t: Texts) -> str:
    """One KPI in words, by its verdict (METRICS §9): ``Decision latency at X fell from 3.2 to
    0.9 days (median; 95% CI …; adjusted p …).``; an ``unclear`` one says why."""
    before, after = kpi["before"]["median"], kpi["after"]["median"]
    ci, diff = kpi["ci95"], kpi["diff_median"] or 0
    extra = extra_digits(kpi, t)
    values = {"what": kpi_name(kpi, t), "before": value(kpi, before, t, extra),
              "after": value(kpi, after, t, extra),
              "lo": value(kpi, ci[0], t, extra) if ci else "–",
              "hi": value(kpi, ci[1], t, extra) if ci else "–",
              "p": p_text(kpi["p_adjusted"], t), "delta": signed(kpi["cliffs_delta"], t)}
    verdict, reason = kpi["verdict"], kpi.get("verdict_reason")
    significant = kpi["p_adjusted"] is not None and kpi["p_adjusted"] < 0.05
    if verdict == "unchanged" and not significant:
        return t("{what} did not change significantly (median {before} before, {after} after; "
                 "adjusted p {p}).", **values)
    if verdict == "unchanged":
        return t("{what} changed only negligibly (median {before} before, {after} after; "
                 "Cliff's delta {delta}).", **values)
    if verdict == "unclear" and reason == "median_flat":
        return t("{what}: the median stayed at {before}, but most values rose (Cliff's delta "
                 "{delta}; adjusted p {p}); look at the distributions before concluding."
                 if (kpi["cliffs_delta"] or 0) > 0 else
                 "{what}: the median stayed at {before}, but most values fell (Cliff's delta "
                 "{delta}; adjusted p {p}); look at the distributions before concluding.",
                 **values)
    if verdict == "unclear" and reason == "median_without_effect":
        return t("{what}: the median rose from {before} to {after}, but most values barely "
                 "moved (Cliff's delta {delta}; adjusted p {p}); look at the distributions "
                 "before concluding." if diff > 0 else
                 "{what}: the median fell from {before} to {after}, but most values barely "
                 "moved (Cliff's delta {delta}; adjusted p {p}); look at the distributions "
                 "before concluding.", **values)
    if verdict == "unclear" and reason == "interval_spans_zero":
        return t("{what}: most values rose (Cliff's delta {delta}; adjusted p {p}), but the "
                 "95% CI of the median's change, {lo} to {hi}, includes no change; the change "
                 "is unclear." if diff > 0 else
                 "{what}: most values fell (Cliff's delta {delta}; adjusted p {p}), but the "
                 "95% CI of the median's change, {lo} to {hi}, includes no change; the change "
                 "is unclear.", **values)
    if verdict == "unclear":
        return t("{what}: the median rose from {before} to {after}, but most values fell "
                 "(Cliff's delta {delta}; adjusted p {p}); the change is unclear."
                 if diff > 0 else
                 "{what}: the median fell from {before} to {after}, but most values rose "
                 "(Cliff's delta {delta}; adjusted p {p}); the change is unclear.", **values)
    return t("{what} rose from {before} to {after} (median; 95% CI of the change {lo} to {hi}; "
             "adjusted p {p})." if diff > 0 else
             "{what} fell from {before} to {after} (median; 95% CI of the change {lo} to {hi}; "
             "adjusted p {p}).", **values)


def signed(delta: float | None, t: Texts) -> str:
    """Cliff's delta with its sign: ``+0.21`` / ``−0.35``."""
    if delta is None:
        return "–"
    return ("+" if delta > 0 else "−" if delta < 0 else "") + t.number(abs(delta), 2)


def p_text(p: float | None, t: Texts) -> str:
    """``< 0.001`` or ``= 0.023`` in the locale's digits."""
    if p is None:
        return "–"
    return "< " + t.number(0.001, 3) if p < 0.001 else "= " + t.number(p, 3)


def _is_headline(kpi: dict[str, Any]) -> bool:
    return kpi["by"] is None and kpi["name"] != "path_elapsed"


def ordered(kpis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Headline KPIs (cycle time, overall decision latency, handoffs, ping-pongs, layers) in
    their order, then the others by the size of their effect (|Cliff's delta|)."""
    rest = sorted((k for k in kpis if not _is_headline(k)),
                  key=lambda k: -abs(k["cliffs_delta"] or 0))
    return [k for k in kpis if _is_headline(k)] + rest


def summary(data: dict[str, Any], t: Texts, top: int = 6) -> list[tuple[str, str]]:
    """Headline sentences as ``(kind, text)``: cycle time first, then the changes (improved,
    worsened or unclear) with the largest effect, then how many paths changed (kind
    ``finding``), then ``warning``s."""
    kpis = [k for k in data["kpis"] if k["name"] != "path_elapsed"]
    lead = [k for k in kpis if k["name"] == "cycle_time" and "day_seconds" not in k][:1]
    floor = _small_change(lead[0]) if lead else 0.0
    moving = [k for k in kpis if k["verdict"] != "unchanged" and k not in lead]
    small = [k for k in moving if k["unit"] in ("seconds", "working seconds")
             and abs(k["diff_median"] or 0) < floor]
    changed = sorted((k for k in moving if k not in small),
                     key=lambda k: -abs(k["cliffs_delta"] or 0))
    lines: list[tuple[str, str]] = []
    said: set[tuple[Any, ...]] = set()
    for k in lead + changed:
        figures = (k["before"]["n"], k["before"]["median"], k["after"]["n"], k["after"]["median"],
                   "day_seconds" in k)
        if figures in said:  # the same decisions seen by step, role and level
            continue
        said.add(figures)
        lines.append(("finding", kpi_sentence(k, t)))
        if len(lines) == top:
            break
    if small:
        lines.append(("finding", t.plural(
            len(small), "{n} other change of a median by less than {floor} is in the table of "
            "measures only.", "{n} other changes of a median by less than {floor} are in the "
            "table of measures only.", floor=t.duration(floor))))
    paths = [k for k in data["kpis"] if k["name"] == "path_elapsed"]
    moved = sum(k["verdict"] != "unchanged" for k in paths)
    if not changed and moved:
        lines.append(("finding", t("No other measure changed meaningfully, apart from times on "
                                   "paths between steps.") if lead
                      else t("No measure changed significantly, apart from times on paths "
                             "between steps.")))
    elif not changed:
        lines.append(("finding", t("No other measure changed meaningfully.") if lead
                      else t("No measure changed significantly.")))
    if moved:
        lines.append(("finding", t("The time on {n} of {m} paths between steps changed (improved, "
                                   "worsened or unclear); see the table of measures.",
                                   n=t.integer(moved), m=t.integer(len(paths)))))
    lines += [("warning", warning_text(w, t)) for w in data["warnings"]]
    return lines


#: Changes of a median smaller than this share of the median cycle time (and than an hour)
#: are left out of the summary's sentences (the table keeps them).
SMALL_SHARE = 0.01


def _small_change(cycle: dict[str, Any]) -> float:
    """Seconds under which a change of a median is too small to lead a summary: 1% of the
    larger median cycle time, at most an hour."""
    scale = max(abs(cycle[side]["median"] or 0.0) for side in ("before", "after"))
    return min(SMALL_SHARE * scale, 3600.0)


#: Why a verdict is ``unclear``, in a few words for the table.
REASONS = {"median_flat": "the median did not move",
           "median_against_delta": "the median moved against most values",
           "interval_spans_zero": "the median's interval includes no change",
           "median_without_effect": "the median moved, most values barely did"}


def kpi_rows(data: dict[str, Any], t: Texts) -> list[dict[str, str]]:
    """The KPI table of a comparison in the reader's language, in :func:`ordered` order:
    medians (with the mean beside those of counts, whose medians are coarse), the change of
    the median, and the verdict with the reason of an ``unclear`` one."""
    rows = []
    for k in ordered(data["kpis"]):
        ci, extra = k["ci95"], extra_digits(k, t)
        reason = k.get("verdict_reason")
        negligible = (k["verdict"] == "unchanged" and k["p_adjusted"] is not None
                      and k["p_adjusted"] < 0.05)
        rows.append({"label": kpi_name(k, t), "before": _median_text(k, "before", t, extra),
                     "after": _median_text(k, "after", t, extra),
                     "reason": t(REASONS[reason]) if reason else t(
                         "significant, but most values barely moved") if negligible else "",
                     "diff": value(k, k["diff_median"], t, extra),
                     "ci": f"{value(k, ci[0], t, extra)} … {value(k, ci[1], t, extra)}"
                     if ci else "–",
                     "p": p_text(k["p_adjusted"], t), "delta": signed(k["cliffs_delta"], t),
                     "verdict": k["verdict"],
                     "n": f"{t.integer(k['before']['n'])} / {t.integer(k['after']['n'])}"})
    return rows


def _median_text(kpi: dict[str, Any], side: str, t: Texts, extra: int) -> str:
    """A side's median; a count's with its mean where that reads otherwise: ``2.0 (mean
    2.6)``."""
    median = value(kpi, kpi[side]["median"], t, extra)
    mean = kpi[side].get("mean")
    if kpi["unit"] in ("seconds", "working seconds") or mean is None:
        return median
    mean_text = t.number(mean, 1)
    if mean_text == value(kpi, kpi[side]["median"], t):
        return median
    return t("{median} (mean {mean})", median=median, mean=mean_text)


def warning_text(warning: dict[str, Any], t: Texts) -> str:
    """A comparison warning in the report's language."""
    side = t("before") if warning.get("side") == "before" else t("after")
    if warning["kind"] == "decision_pattern":
        return t("Warning ({side}): {text}", side=side,
                 text=decision_warning_text(warning, t, "compare"))
    if warning["kind"] == "small_sample":
        return t("Warning: only {cases} cases {side}; differences are uncertain.",
                 cases=t.integer(warning["cases"]), side=side)
    if warning["kind"] == "open_cases":
        return t("Warning: {share} of cases {side} end at a step that rarely closes a case "
                 "(still open?); cycle times may be biased. Compare completed cases only.",
                 share=t.percent(warning["share"]), side=side)
    if warning["kind"] == "handoff_basis":
        if warning["before"] is None or warning["after"] is None:
            return t("Warning: one log names no person, role or unit, so handoffs are not "
                     "compared.")
        return t("Warning: handoffs are counted between each {before} before and each {after} "
                 "after, so they are not compared. Choose handoffs between a field that both "
                 "logs have (person, role or unit).",
                 before=t(warning["before"]), after=t(warning["after"]))
    if warning["kind"] == "layers_basis":
        if warning["common"] is None:
            return t("Warning: approval layers are counted by different fields before and after, "
                     "and not both logs name roles, so they are not compared. Import both logs "
                     "with the same columns or org chart.")
        return t("Warning: only one log gives hierarchy levels, so approval layers are compared "
                 "by role on both sides. Import both logs with the same org chart to compare "
                 "them by level.")
    return t("Warning: cases start differently before and after (start steps differ by "
             "{distance}); the logs may hold different kinds of cases.",
             distance=t.percent(warning["distance"]))


SPLIT_SIDE = re.compile(r"^(?P<log>.+) (?P<side>before|from) (?P<date>\d{4}-\d{2}-\d{2})$")


def side_name(name: str, t: Texts) -> str:
    """A side's name in the reader's language: ``izin before 2024-01-01`` (one log split at a
    date) becomes ``izin sebelum 2024-01-01``; other names as they are."""
    split = SPLIT_SIDE.match(name)
    if split is None:
        return name
    when = (t("before {date}", date=split["date"]) if split["side"] == "before"
            else t("on or after {date}", date=split["date"]))
    return f"{split['log']} {when}"
