"""A short human summary of an analysis, for the terminal."""

from __future__ import annotations

from typing import Any

from procflow.core.i18n import Texts
from procflow.measure.decisions import warning_text


def human_duration(seconds: float | None) -> str:
    """``93784`` → ``1.1 d``; minutes, hours or days, whichever reads best."""
    if seconds is None:
        return "–"
    if abs(seconds) < 3600:
        return f"{seconds / 60:.0f} min"
    if abs(seconds) < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def summary_lines(data: dict[str, Any], top: int = 5) -> list[str]:
    """Cases, cycle time, slowest decisions, handoffs per case and the top bottlenecks."""
    log, cycle = data["log"], data["cycle_time"]
    lines = [f"{log['name']}: {log['cases']:,} cases, {log['events']:,} events, "
             f"{log['activities']} activities ({log['start']} → {log['end']})",
             f"Cycle time: median {human_duration(cycle['median'])}, "
             f"p90 {human_duration(cycle['p90'])}"]
    working = cycle.get("working_days")
    if working:
        lines.append(f"Cycle time in working days: median {working['median']:.1f}, "
                     f"p90 {working['p90']:.1f}")
    for sla in data.get("sla") or []:
        lines.append(f"Standard {sla['target']} within {sla['limit_days']:g} working days: "
                     f"{sla['share_within']:.0%} of {sla['n']:,}")
    decisions = data["decisions"]
    slow = sorted(decisions["by_activity"], key=lambda d: -(d["median"] or 0))[:3]
    lines.append("Slowest decisions (median latency): " + (", ".join(
        f"{d['key']} {human_duration(d['median'])}" for d in slow) or "no decision activities"))
    lines += decision_warning_lines(data, Texts("en"))
    handoffs = data["handoffs"]
    if handoffs["per_case"]:
        pp = handoffs["ping_pong"]
        lines.append(f"Handoffs per case ({handoffs['granularity']}): mean "
                     f"{handoffs['per_case']['mean']:.1f}, median "
                     f"{handoffs['per_case']['median']:.0f}; ping-pong in "
                     f"{pp['share']:.0%} of cases")
    layers = data["layers"]
    if layers:
        lines.append(f"Approval layers per case (by {layers['by']}): mean "
                     f"{layers['per_case']['mean']:.2f}; most common "
                     f"{layers['sequences'][0]['levels'] if layers['sequences'] else '–'}")
    lines.append(f"Top {top} bottlenecks (time before the step):")
    steps = [b for b in data["bottlenecks"] if b["kind"] == "activity"][:top]
    for i, b in enumerate(steps, 1):
        lines.append(f"  {i}. {b['name']}: {b['share']:.0%} of case time, median "
                     f"{human_duration(b['median'])}, p90 {human_duration(b['p90'])}, "
                     f"typical-case saving {human_duration(b['impact'])} per case")
    return lines


def decision_warning_lines(data: dict[str, Any], t: Texts, hints: int = 5) -> list[str]:
    """The decision warnings of an analysis for the terminal, each with the steps the log's
    structure suggests (``decisions.suggestions``)."""
    lines = []
    for warning in data.get("warnings") or []:
        lines.append(t("Warning: {text}", text=warning_text(warning, t, "cli")))
        suggested = (data["decisions"].get("suggestions") or [])[:hints]
        if suggested:
            lines.append("  " + t("Steps after which cases branch or go back (possible "
                                  "decisions): {steps}",
                                  steps=", ".join(s["activity"] for s in suggested)))
    return lines
