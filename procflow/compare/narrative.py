"""Plain-language sentences about a comparison, in the report's language."""

from __future__ import annotations

from typing import Any

from procflow.core.i18n import DurationUnit, Texts, duration_unit

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


def kpi_name(kpi: dict[str, Any], t: Texts) -> str:
    """The KPI's name in the report's language (``(working time)`` on a calendar's clock)."""
    message = KPI_NAMES[(kpi["name"], kpi["by"])]
    name = t(message, key=kpi["key"]) if kpi["key"] is not None else t(message)
    return t("{name} (working time)", name=name) if "day_seconds" in kpi else name


def value(kpi: dict[str, Any], seconds_or_count: float | None, t: Texts) -> str:
    """A KPI value: a duration for times (in one unit for the whole KPI), working days on a
    calendar's clock, a number otherwise."""
    if "day_seconds" in kpi:
        if seconds_or_count is None:
            return "–"
        return t("{n} working days", n=t.number(seconds_or_count / kpi["day_seconds"], 1))
    if kpi["unit"] == "seconds":
        return t.duration(seconds_or_count, kpi_unit(kpi))
    return t.number(seconds_or_count, 1)


def kpi_unit(kpi: dict[str, Any]) -> DurationUnit:
    """The duration unit of a KPI's figures: the one that suits the larger median."""
    medians = [kpi[side]["median"] or 0.0 for side in ("before", "after")]
    return duration_unit(max(abs(m) for m in medians))


def kpi_sentence(kpi: dict[str, Any], t: Texts) -> str:
    """``Decision latency at X fell from 3.2 to 0.9 days (median; 95% CI …; adjusted p …).``"""
    before, after = kpi["before"]["median"], kpi["after"]["median"]
    ci = kpi["ci95"]
    values = {"what": kpi_name(kpi, t), "before": value(kpi, before, t),
              "after": value(kpi, after, t),
              "lo": value(kpi, ci[0], t) if ci else "–", "hi": value(kpi, ci[1], t) if ci else "–",
              "p": p_text(kpi["p_adjusted"], t)}
    if kpi["verdict"] == "unchanged":
        return t("{what} did not change significantly (median {before} before, {after} after; "
                 "adjusted p {p}).", **values)
    rose = (after or 0) > (before or 0) or (after == before and kpi["verdict"] == "worsened")
    message = ("{what} rose from {before} to {after} (median; 95% CI of the change {lo} to {hi}; "
               "adjusted p {p})." if rose else
               "{what} fell from {before} to {after} (median; 95% CI of the change {lo} to {hi}; "
               "adjusted p {p}).")
    return t(message, **values)


def p_text(p: float | None, t: Texts) -> str:
    """``< 0.001`` or ``= 0.023`` in the locale's digits."""
    if p is None:
        return "–"
    return "< " + t.number(0.001, 3) if p < 0.001 else "= " + t.number(p, 3)


def summary(data: dict[str, Any], t: Texts, top: int = 6) -> list[tuple[str, str]]:
    """Headline sentences as ``(kind, text)``: significant changes first (largest effect,
    kind ``finding``), then ``warning``s."""
    kpis = [k for k in data["kpis"] if k["name"] != "path_elapsed"]
    changed = sorted((k for k in kpis if k["verdict"] != "unchanged"),
                     key=lambda k: -abs(k["cliffs_delta"] or 0))
    lines: list[tuple[str, str]] = []
    said: set[tuple[Any, ...]] = set()
    for k in changed:
        figures = (k["before"]["n"], k["before"]["median"], k["after"]["n"], k["after"]["median"])
        if figures in said:  # the same decisions seen by step, role and level
            continue
        said.add(figures)
        lines.append(("finding", kpi_sentence(k, t)))
        if len(lines) == top:
            break
    if not changed:
        lines.append(("finding", t("No measure changed significantly.")))
    lines += [("warning", warning_text(w, t)) for w in data["warnings"]]
    return lines


def warning_text(warning: dict[str, Any], t: Texts) -> str:
    """A comparison warning in the report's language."""
    side = t("before") if warning.get("side") == "before" else t("after")
    if warning["kind"] == "small_sample":
        return t("Warning: only {cases} cases {side}; differences are uncertain.",
                 cases=t.integer(warning["cases"]), side=side)
    if warning["kind"] == "open_cases":
        return t("Warning: {share} of cases {side} end at a step that rarely closes a case "
                 "(still open?); cycle times may be biased. Compare completed cases only "
                 "(--completed-only).", share=t.percent(warning["share"]), side=side)
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
