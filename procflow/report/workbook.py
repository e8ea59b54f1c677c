"""The Excel workbook of an analysis or a comparison: a headline sheet first (the key
figures, the log, the filters and the settings), one sheet per table of ``analysis.json`` or
``comparison.json`` and, for an analysis, one row per case; sheet names and headers in the
run's language (written by :mod:`procflow.report.xlsx`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from procflow.compare.narrative import kpi_name
from procflow.core.i18n import Texts
from procflow.filters.words import describe_block, kept_text
from procflow.measure.analysis import Analysis
from procflow.measure.cases import CaseTable
from procflow.measure.decisions import warning_text
from procflow.report.xlsx import Kind, Sheet, Typed


@dataclass(frozen=True)
class Column:
    """A column of a table: the record's field (dotted for nested ones), its English header
    and its kind."""

    key: str
    header: str
    kind: Kind = "text"
    words: tuple[tuple[str, str], ...] = ()  # values shown as localized words


def _stats(prefix: str, label: str) -> list[Column]:
    """Median, 90th percentile and mean of a duration (``prefix.median`` …)."""
    dot = f"{prefix}." if prefix else ""
    return [Column(f"{dot}median", f"{label}: median", "duration"),
            Column(f"{dot}p90", f"{label}: 90th percentile", "duration"),
            Column(f"{dot}mean", f"{label}: mean", "duration")]


def _decisions(key: str, header: str) -> tuple[str, str, list[Column]]:
    return (f"decisions_by_{key}", f"Decisions by {key}",
            [Column("key", header), Column("n", "Decisions", "count"),
             *_stats("", "Decision latency"), Column("max", "Decision latency: max", "duration"),
             Column("waiting.median", "Waiting: median", "duration"),
             Column("processing.median", "Processing: median", "duration")])


#: The analysis tables: (table of :meth:`Analysis.table`, English sheet name, columns).
ANALYSIS_SHEETS: list[tuple[str, str, list[Column]]] = [
    ("activities", "Activities",
     [Column("activity", "Activity"), Column("count", "Instances", "count"),
      Column("cases", "Cases", "count"), *_stats("processing", "Processing"),
      *_stats("wait", "Waiting"), Column("lanes.role", "Role"), Column("lanes.unit", "Unit"),
      Column("lanes.level", "Level", "count")]),
    ("dfg", "Paths",
     [Column("source", "From"), Column("target", "To"), Column("count", "Transitions", "count"),
      *_stats("elapsed", "Time between"), *_stats("wait", "Waiting")]),
    ("bottlenecks", "Bottlenecks",
     [Column("kind", "Kind", words=(("activity", "Activity"), ("edge", "Path"),
                                    ("resource", "Resource"))),
      Column("name", "Name"), Column("count", "Instances", "count"),
      Column("cases", "Cases", "count"), Column("total", "Total time", "duration"),
      Column("share", "Share of all time", "share"), Column("median", "Median", "duration"),
      Column("p90", "90th percentile", "duration"),
      Column("impact", "Impact per case", "duration")]),
    _decisions("activity", "Activity"), _decisions("role", "Role"),
    _decisions("level", "Level"), _decisions("unit", "Unit"),
    _decisions("resource", "Resource"),
    ("handoff_pairs", "Handoffs",
     [Column("from", "From"), Column("to", "To"), Column("count", "Handoffs", "count"),
      *_stats("elapsed", "Time between")]),
    ("layer_sequences", "Approval layers",
     [Column("levels", "Approval layers in order"), Column("cases", "Cases", "count")]),
    ("variants", "Variants",
     [Column("rank", "Variant", "count"), Column("cases", "Cases", "count"),
      Column("share", "Share of cases", "share"), Column("activities", "Steps")]),
]

#: The case table's columns (others, the case attributes, keep their names).
CASE_COLUMNS = [
    Column("case_id", "Case"), Column("arrival", "Arrival (UTC)", "time"),
    Column("completion", "Completion (UTC)", "time"),
    Column("cycle_time", "Cycle time", "duration"), Column("events", "Events", "count"),
    Column("variant", "Variant", "count"), Column("handoffs", "Handoffs", "count"),
    Column("layers", "Approval layers", "count"), Column("ping_pongs", "Ping-pongs", "count"),
    Column("decision_latency", "Decision latency", "duration"),
    Column("working_cycle_time", "Cycle time in working time", "duration")]

#: The comparison's KPI figures per side: (field, header, kind unless a duration).
KPI_SIDE: list[tuple[str, str, Kind]] = [("n", "cases", "count"), ("median", "median", "number"),
                                         ("p90", "90th percentile", "number"),
                                         ("mean", "mean", "number")]
PATH_COLUMNS = [Column("source", "From"), Column("target", "To"),
                Column("count", "Transitions", "count"),
                Column("per_case", "Per case", "number"),
                Column("median", "Time between: median", "duration")]
#: Steps in the settings listed by name; above, their number.
LISTED_STEPS = 10


def messages() -> set[str]:
    """Every sheet name, header and word of the tables (to check their translations)."""
    found = {"Cases"}
    for _, title, columns in [*ANALYSIS_SHEETS, ("", "", CASE_COLUMNS), ("", "", PATH_COLUMNS)]:
        found |= {title} | {c.header for c in columns} | {w for c in columns for _, w in c.words}
    return (found | {label for _, label, _ in KPI_SIDE}) - {""}


def _field(record: dict[str, Any], key: str) -> Any:
    """``record``'s value at the dotted ``key`` (None where absent)."""
    value: Any = record
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def table_sheet(title: str, columns: list[Column], records: list[dict[str, Any]],
                t: Texts, note: str = "") -> Sheet:
    """Records as a sheet with the columns' localized headers (``note``: why it is empty)."""
    words = [{value: t(word) for value, word in c.words} for c in columns]
    rows = [[w.get(v, v) if w and isinstance(v, str) else v
             for w, v in zip(words, (_field(r, c.key) for c in columns), strict=True)]
            for r in records]
    return Sheet(t(title), [t(c.header) for c in columns], [c.kind for c in columns], rows,
                 t("seconds"), note=note)


def analysis_book(analysis: Analysis, t: Texts, *, cases: CaseTable | None = None,
                  source: str | None = None) -> list[Sheet]:
    """The headline, every table of ``analysis.json`` and, given ``cases``, one row per
    case, in the language of ``t``."""
    data = analysis.to_dict()
    sheets = [headline(data, t, source)]
    for table, title, columns in ANALYSIS_SHEETS:
        records = _records(data, table)
        sheets.append(table_sheet(title, columns, records, t,
                                  "" if records else empty_reason(data, table, t)))
    if cases is not None:
        sheets.append(case_sheet(cases, t))
    return sheets


def empty_reason(data: dict[str, Any], table: str, t: Texts) -> str:
    """Why the analysis table ``table`` has no rows, in the language of ``t``."""
    chosen = bool(data["decisions"]["activities"])
    if table.startswith("decisions_by_") or table == "layer_sequences":
        if not chosen:
            return t("Empty: no decision steps are chosen, so there are no decisions. Choose "
                     "the decision steps in the analysis settings.")
        if table == "layer_sequences":
            return t("Empty: the decision steps' performers have no level or role, so "
                     "approval layers cannot be counted.")
        return t("Empty: the log names no {field} for the performers of the decision steps.",
                 field=t(table.removeprefix("decisions_by_")))
    if table == "handoff_pairs":
        if data["handoffs"].get("granularity") is None:
            return t("Empty: the log names no person, role or unit, so there are no handoffs.")
        return t("Empty: no case changes hands.")
    return t("Empty: this log has no rows for this table.")


def _records(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """The list behind a table (variants with their rank and share of cases)."""
    if table == "variants":
        total = data["log"]["cases"] or 1
        return [{**v, "rank": i, "share": v["cases"] / total}
                for i, v in enumerate(data["variants"]["top"], 1)]
    lists: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "activities": lambda: data["activities"], "dfg": lambda: data["dfg"]["edges"],
        "bottlenecks": lambda: data["bottlenecks"],
        "handoff_pairs": lambda: data["handoffs"]["pairs"],
        "layer_sequences": lambda: (data["layers"] or {}).get("sequences", [])}
    if table.startswith("decisions_by_"):
        return list(data["decisions"][table.removeprefix("decisions_")])
    return list(lists[table]())


def case_sheet(table: CaseTable, t: Texts) -> Sheet:
    """One row per case (:func:`procflow.measure.cases.case_table`)."""
    known = {c.key: c for c in CASE_COLUMNS}
    columns = [known.get(name, Column(name, name)) for name in table.frame.columns]
    frame = table.frame.astype(object).where(table.frame.notna(), None)
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    return table_sheet("Cases", columns, records, t)


def _figure(label: str, value: Any, kind: Kind, t: Texts) -> list[Any]:
    """A headline row: label, value, unit."""
    units = {"duration": t("hours:minutes"), "share": "%"}
    return [label, Typed(value, kind), units.get(kind, "")]


def headline(data: dict[str, Any], t: Texts, source: str | None = None) -> Sheet:
    """The key figures with their units, the log, the filters and the settings."""
    log, cycle = data["log"], data["cycle_time"]
    decisions, handoffs = data["decisions"], data["handoffs"]
    layers = (data.get("layers") or {}).get("per_case") or {}
    rows = [_figure(t("Log"), log["name"], "text", t)]
    if source:
        rows.append(_figure(t("Source file"), source, "text", t))
    rows += [_figure(t("Cases"), log["cases"], "count", t),
             _figure(t("Events"), log["events"], "count", t),
             _figure(t("Activities"), log["activities"], "count", t),
             _figure(t("First event (UTC)"), _time(log["start"]), "time", t),
             _figure(t("Last event (UTC)"), _time(log["end"]), "time", t),
             _figure(t("Cycle time: median"), cycle["median"], "duration", t),
             _figure(t("Cycle time: 90th percentile"), cycle["p90"], "duration", t),
             _figure(t("Cycle time: mean"), cycle["mean"], "duration", t),
             _figure(t("Decisions"), decisions["overall"]["n"], "count", t),
             _figure(t("Decision latency: median"), decisions["overall"]["median"],
                     "duration", t),
             _figure(t("Handoffs per case: median"), handoffs["per_case"]["median"],
                     "number", t),
             _figure(t("Handoffs per case: mean"), handoffs["per_case"]["mean"], "number", t),
             _figure(t("Cases with ping-pong"), handoffs["ping_pong"]["share"], "share", t),
             _figure(t("Approval layers per case: median"), layers.get("median"), "number", t),
             _figure(t("Approval layers per case: mean"), layers.get("mean"), "number", t),
             _figure(t("Variants"), data["variants"]["count"], "count", t)]
    block = data.get("filter")
    if block:
        rows.append(_figure(t("Filters"), kept_text(block, t), "text", t))
        rows += [_figure("", line, "text", t) for line in describe_block(block, t)]
    rows += [_figure(label, value, "text", t) for label, value in settings_lines(data, t)]
    rows += [_figure(t("Warning"), warning_text(w, t, "report"), "text", t)
             for w in data.get("warnings") or []]
    return Sheet(t("Headline"), [t("Figure"), t("Value"), t("Unit of measure")],
                 ["text", "duration", "text"], rows, t("seconds"))


def settings_lines(data: dict[str, Any], t: Texts) -> list[tuple[str, str]]:
    """The settings the figures were made with, as (label, value)."""
    handoffs = data["handoffs"]["granularity"]
    return [(t("Decision steps"), _steps(data["decisions"]["activities"], t)),
            (t("Handoffs between"), t(handoffs) if handoffs else t("none"))]


def _steps(steps: list[str], t: Texts) -> str:
    """Decision steps by name, or their number when there are many."""
    if not steps:
        return t("none")
    return (", ".join(steps) if len(steps) <= LISTED_STEPS else
            t("{n} steps", n=t.integer(len(steps))))


def _time(text: str | None) -> Any:
    """An ISO time of ``analysis.json`` as a timestamp (None stays None)."""
    return None if text is None else pd.Timestamp(text)


def comparison_book(comparison: dict[str, Any], t: Texts) -> list[Sheet]:
    """The logs compared, the KPIs (before, after, change, verdict), the paths removed,
    added and changed and the variants that appeared or disappeared."""
    before, after = comparison["before"], comparison["after"]
    rows = [[t("Before"), before["name"], before["cases"], _time(before["start"]),
             _time(before["end"])],
            [t("After"), after["name"], after["cases"], _time(after["start"]),
             _time(after["end"])]]
    settings, decided = comparison["settings"], comparison.get("decisions") or {}
    rows += [[t("Decision steps"), t(side.title()),
              Typed(_steps(decided.get(side) or [], t), "text"), None, None]
             for side in ("before", "after")]
    handoffs = settings.get("handoff_by")
    rows += [[t("Handoffs between"), t(handoffs) if handoffs else t("none"), None, None, None],
             [t("Completed cases only"), t("yes") if settings.get("completed_only") else t("no"),
              None, None, None]]
    logs = Sheet(t("Headline"), [t("Side"), t("Log"), t("Cases"), t("First event (UTC)"),
                                 t("Last event (UTC)")],
                 ["text", "text", "count", "time", "time"], rows)
    variant_columns = [Column("activities", "Steps"),
                       Column("share", "Share of cases", "share")]
    diff, variants = comparison["dfg_diff"], comparison["variants"]
    return [logs, kpi_sheet(comparison["kpis"], t),
            table_sheet("Paths removed", PATH_COLUMNS, diff["removed"], t),
            table_sheet("Paths added", PATH_COLUMNS, diff["added"], t),
            table_sheet("Paths changed", PATH_COLUMNS, diff["changed"], t),
            table_sheet("Variants that appeared", variant_columns, variants["appeared"], t),
            table_sheet("Variants that disappeared", variant_columns,
                        variants["disappeared"], t)]


def kpi_sheet(kpis: list[dict[str, Any]], t: Texts) -> Sheet:
    """One row per KPI: its name, each side's figures, the change, Cliff's δ, p and the
    verdict (durations as durations, counts as numbers)."""
    headers, side_kinds = [t("Measure")], [kind for _, _, kind in KPI_SIDE]
    for side in ("Before", "After"):
        headers += [f"{t(side)}: {t(label)}" for _, label, _ in KPI_SIDE]
    headers += [t("Change in the median"), t("95% confidence interval: low"),
                t("95% confidence interval: high"), t("Cliff's delta"), t("p (adjusted)"),
                t("Verdict")]
    rows = []
    for kpi in kpis:
        kind: Kind = "duration" if kpi["unit"] == "seconds" else "number"
        row: list[Any] = [kpi_name(kpi, t)]
        for side in ("before", "after"):
            row += [Typed(kpi[side].get(k), "count" if k == "n" else kind)
                    for k, _, _ in KPI_SIDE]
        ci = kpi.get("ci95") or [None, None]
        change: Kind = "change" if kind == "duration" else "number"
        row += [Typed(kpi["diff_median"], change), Typed(ci[0], change), Typed(ci[1], change),
                kpi["cliffs_delta"], kpi["p_adjusted"], t(kpi["verdict"])]
        rows.append(row)
    # every figure but the count may be a duration: a column with room for its seconds
    per_side: list[Kind] = [k if k == "count" else "duration" for k in side_kinds]
    kinds: list[Kind] = ["text", *per_side, *per_side, "change", "change", "change", "number",
                         "plain", "text"]
    return Sheet(t("Measures"), headers, kinds, rows, t("seconds"), t("d"))
