"""A short human summary of an analysis, for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from procflow.core.i18n import Texts
from procflow.measure.decisions import warning_text

if TYPE_CHECKING:
    import pandas as pd


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


def table_lines(header: Sequence[str], rows: Sequence[Sequence[str]],
                right: Sequence[bool]) -> list[str]:
    """Rows of text cells in columns as wide as their widest cell (``right``: aligned right)."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    return ["  ".join(str(c).rjust(w) if r else str(c).ljust(w)
                      for c, w, r in zip(cells, widths, right, strict=True)).rstrip()
            for cells in (header, *rows)]


def case_lines(frame: pd.DataFrame, top: int = 20) -> list[str]:
    """The first ``top`` rows of a case table (``procflow.measure.cases``) for the terminal."""
    import pandas as pd

    def number(value: Any) -> str:
        return "–" if value is None or pd.isna(value) else f"{int(value):,}"

    def duration(value: Any) -> str:
        return human_duration(None if value is None or pd.isna(value) else float(value))

    rows = [[str(r["case_id"]), f"{r['arrival']:%Y-%m-%d %H:%M}", duration(r["cycle_time"]),
             number(r["events"]), number(r["variant"]), number(r["handoffs"]),
             number(r["layers"]), number(r["ping_pongs"]), duration(r["decision_latency"])]
            for r in frame.head(top).to_dict(orient="records")]
    header = ["case", "arrival (UTC)", "cycle", "events", "variant", "handoffs", "layers",
              "ping-pongs", "decision latency"]
    lines = table_lines(header, rows, [False, False, *([True] * 7)])
    if len(frame) > top:
        lines.append(f"… {len(frame) - top:,} more cases (write them all with --out "
                     "cases.csv, .xlsx or .json)")
    return lines


def timeline_lines(steps: Sequence[dict[str, Any]]) -> list[str]:
    """A case's instances (``procflow.measure.timeline``) for the terminal."""
    def text(value: Any) -> str:
        return "–" if value is None else str(value)

    rows = [[str(s["seq"]), s["activity"] + (" *" if s["decision"] else ""),
             text(s["resource"]), text(s["role"]), text(s["level"]),
             f"{s['start']:%Y-%m-%d %H:%M}" if s["start"] else "–",
             f"{s['completion']:%Y-%m-%d %H:%M}", human_duration(s["waiting"]),
             human_duration(s["processing"]), human_duration(s["elapsed"])]
            for s in steps]
    header = ["#", "activity", "resource", "role", "level", "start (UTC)", "completed (UTC)",
              "waiting", "processing", "elapsed"]
    return [*table_lines(header, rows, [True, False, False, False, True, False, False, True,
                                        True, True]),
            "(* decision step; elapsed = from the previous step's completion)"]
