"""Build the HTML report of an analysis: one offline file with inline SVG maps and charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import graphviz
import jinja2
from markupsafe import Markup

from procflow.core.i18n import Lang, Texts
from procflow.core.zones import zone_label
from procflow.eventlog import EventLog
from procflow.filters.words import describe_block, kept_text
from procflow.measure.analysis import Analysis
from procflow.measure.decisions import DEFAULT_PATTERN, Audience, warning_text
from procflow.measure.ends import open_cases, open_cases_text
from procflow.measure.precision import precision_texts, time_precision
from procflow.measure.prepare import prepared
from procflow.measure.time_views import views_of
from procflow.render import charts, time_charts
from procflow.render.files import graph_bytes
from procflow.render.handoff_map import handoff_graph, handoff_map
from procflow.render.process_map import MapOptions, process_map
from procflow.report.svg import inline_svg
from procflow.result import JsonResult

if TYPE_CHECKING:
    import pandas as pd

#: Words passed to ``t()`` as values (granularities and layer keys), kept in the catalog.
WORDS = ("resource", "role", "unit", "level", "activity", "names given")
#: How lifecycle rows were read (``settings.lifecycle`` of analysis.json), in words.
LIFECYCLE_WORDS = {
    "none": "no lifecycle column, or only completions: each row is one completed step",
    "standard": "start and complete rows paired",
    "attribute": "not XES transitions, kept as an attribute: each row is one completed step",
}
#: Why rows were rejected at import (the import report's reasons), as messages.
REJECT_WORDS = ("empty case id", "empty activity", "empty timestamp", "unparseable timestamp",
                "unparseable start time", "start after complete")
BY_TITLES = {"activity": "Decision latency by step", "role": "Decision latency by role",
             "level": "Decision latency by level"}


def environment() -> jinja2.Environment:
    """Jinja2 with autoescaping on and undefined names as errors."""
    return jinja2.Environment(loader=jinja2.PackageLoader("procflow", "report/templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def versions() -> dict[str, str]:
    """procflow's and pm4py's versions (without importing pm4py) and the time of writing."""
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    return {"procflow": version("procflow"), "pm4py": version("pm4py"),
            "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def drawing(graph: graphviz.Digraph, name: str) -> Markup:
    """A graphviz graph as inline SVG."""
    return inline_svg(graph_bytes(graph, "svg"), name)


def pattern_text(pattern: str | None, t: Texts) -> str:
    """How the decision steps were chosen, for the method section: by the default pattern
    (in words, not as a regular expression), by another pattern, or by name."""
    if pattern is None:
        return t("named in the analysis settings")
    if pattern == DEFAULT_PATTERN:
        return t("found by the default pattern: names with words such as approve, reject, "
                 "decide, sign or verify, or their Indonesian counterparts (setuju, tolak, "
                 "tanda tangan, paraf, putus, disposisi, verifikasi, validasi)")
    return t("found by the pattern {pattern}", pattern=pattern)


def analysis_report(log: EventLog, analysis: Analysis, *, lang: Lang = "id",
                    import_report: dict[str, Any] | None = None,
                    zone: str | None = None) -> str:
    """The report of ``analysis`` (made from ``log``) as one HTML document; its dates in
    ``zone`` (default: the log's import zone, else UTC), with the warnings its times and
    ends call for."""
    t = Texts(lang)
    data = analysis.to_dict()
    still = open_cases(data)
    context = {
        "zone": zone or log.zone, "zone_label": zone_label,
        "warnings": precision_texts(time_precision(log.con, log.table), t, log.zone)
        + ([open_cases_text(still, t)] if still else []),
        **section_context(log, analysis, t, "report"), "meta": versions(),
        "lifecycle_words": LIFECYCLE_WORDS,
        "import_report": import_report,
        "calendar": calendar_text(data["settings"].get("calendar"), t),
        "pattern": pattern_text(data["settings"].get("decision_pattern"), t),
        "headline": headline(data, t), "filtered": filter_context(data.get("filter"), t),
        "map_svg": drawing(process_map(data, MapOptions(profile="performance", texts=t)),
                           "process map"),
    }
    return environment().get_template("analysis.html").render(context)


class CaseLinks(Protocol):
    """Where the cases behind a figure are listed (the web app's case list and case page)."""

    def step(self, activity: str) -> str: ...  # the cases with this activity

    def reached(self, activity: str) -> str: ...  # activity after an earlier step

    def path(self, source: str, target: str) -> str: ...  # target directly after source

    def handoff(self, source: str, target: str, by: str) -> str: ...  # work A → B directly

    def layers(self, levels: str, by: str, decisions: Sequence[str]) -> str: ...  # a sequence

    def variant(self, rank: int) -> str: ...  # the cases of the variant of this rank

    def case(self, case_id: str) -> str: ...  # one case


def analysis_sections(log: EventLog | None, analysis: Analysis, t: Texts,
                      links: CaseLinks | None = None,
                      deferred: Callable[[str], Markup] | None = None) -> Markup:
    """The report's sections on decisions, handoffs, approval layers, bottlenecks, service
    standards, variants and the log over time, as one HTML fragment; with ``links`` their
    counts link to their cases. With ``deferred``, each drawing and the "Over time" section
    is ``deferred(name)`` (a placeholder loading :func:`section_drawing` of that name), and
    ``log`` is not read (it may be None)."""
    template = environment().get_template("sections.html")
    context = section_context(log, analysis, t, deferred=deferred)
    if links is not None:
        context.update(links=links, edge_ends={f"{e['source']} → {e['target']}": (
            str(e["source"]), str(e["target"])) for e in context["a"]["dfg"]["edges"]})
    return Markup(template.render(context))


def section_context(log: EventLog | None, analysis: Analysis, t: Texts,
                    audience: Audience = "web",
                    deferred: Callable[[str], Markup] | None = None) -> dict[str, Any]:
    """What ``sections.html`` shows: the analysis, its charts and the handoff map (each
    ``deferred(name)`` when given), and the decision warnings worded for the ``audience``
    (the web page or the offline report)."""
    data = analysis.to_dict()
    activity_bottlenecks = [b for b in data["bottlenecks"] if b["kind"] == "activity"]
    names = drawing_names(data)
    if deferred is not None:
        drawn: dict[str, Any] = {name: deferred(name) for name in names}
        drawn["decisions"] = [("", drawn["decisions"])]
        drawn["time"] = None
    else:
        assert log is not None, "the drawings are made from the log"
        drawn = _drawings(log, analysis, t, names)
    return {
        "a": data, "t": t, "links": None, "edge_ends": {},
        "decision_warnings": [warning_text(w, t, audience) for w in data.get("warnings") or []],
        "decision_charts": drawn["decisions"],
        "handoff_svg": drawn.get("handoff-map", Markup("")),
        "handoffs_chart": drawn["handoffs"],
        "layers_chart": drawn["layers"],
        "sla_charts": [drawn[f"sla-{i}"] for i, _ in enumerate(data.get("sla") or ())],
        "time": drawn["time"],
        "time_deferred": deferred("time") if deferred is not None else None,
        "bottlenecks": activity_bottlenecks[:15],
        "far_savings": any((b["impact"] or 0) > (b["p90"] or 0)
                           for b in activity_bottlenecks[:15]),
        "bottleneck_chart": drawn["bottlenecks"],
    }


def drawing_names(data: dict[str, Any]) -> list[str]:
    """The names of the drawings of an analysis's sections (``data``: its dictionary), as
    :func:`section_drawing` takes them; "time" is the whole "Over time" section."""
    return ["decisions", "handoffs", "layers", "bottlenecks", "time",
            *(["handoff-map"] if data["handoffs"]["granularity"] else []),
            *(f"sla-{i}" for i, _ in enumerate(data.get("sla") or ()))]


def section_drawing(log: EventLog, analysis: Analysis, t: Texts, name: str) -> Markup:
    """One drawing of the sections (a name of :func:`drawing_names`) as an HTML fragment: its
    inline SVG (all decision charts for ``decisions``), or the "Over time" section's content
    for ``time``. KeyError for a name the analysis has no drawing of."""
    if name not in drawing_names(analysis.to_dict()):
        raise KeyError(name)
    drawn = _drawings(log, analysis, t, [name])[name]
    if name == "decisions":
        return Markup("").join(svg for _, svg in drawn)
    if name == "time":
        return Markup(environment().get_template("time_section.html").render(t=t, time=drawn))
    return Markup(drawn)


def _drawings(log: EventLog, analysis: Analysis, t: Texts, names: list[str]) -> dict[str, Any]:
    """The drawings ``names`` of the sections: each chart's inline SVG, the list of
    (grouping, SVG) of the decision charts, and the context of the "Over time" section."""
    import pandas as pd

    data = analysis.to_dict()
    out: dict[str, Any] = {}
    if {"decisions", "handoffs", "time"} & set(names):
        with prepared(log, analysis.settings) as prep:
            if "decisions" in names:
                rows = prep.rows("SELECT activity, role, level, elapsed FROM pf_steps "
                                 "WHERE is_decision AND seq > 1 AND elapsed IS NOT NULL")
                out["decisions"] = _decision_charts(pd.DataFrame(
                    [{k: prep.name(k, r[k]) for k in ("activity", "role", "level")}
                     | {"elapsed": r["elapsed"]} for r in rows]), t)
            if "handoffs" in names:
                per_case = prep.rows("SELECT handoffs, count(*) AS cases FROM pf_cases WHERE "
                                     "handoffs IS NOT NULL GROUP BY handoffs ORDER BY handoffs")
                out["handoffs"] = _svg(charts.histogram(
                    {str(r["handoffs"]): int(r["cases"]) for r in per_case},
                    title=t("Handoffs per case"), xlabel=t("Handoffs"), t=t))
            if "time" in names:
                out["time"] = time_context(views_of(prep, log.zone), t,
                                           working=prep.clock is not None)
    if "handoff-map" in names:
        out["handoff-map"] = drawing(handoff_map(handoff_graph(data), texts=t), "handoff map")
    if "layers" in names:
        out["layers"] = _svg(charts.histogram(
            (data["layers"] or {}).get("histogram") or {}, title=t("Approval layers per case"),
            xlabel=t("Approval layers"), t=t))
    for i, standard in enumerate(data.get("sla") or ()):
        if f"sla-{i}" in names:
            out[f"sla-{i}"] = _svg(charts.share_by_period(
                {m["month"]: m["share_within"] for m in standard["by_month"]},
                title=t("Share within the standard by month: {target}", target=t("whole case")
                        if standard["target"] == "case" else standard["target"]),
                xlabel=t("Month the case arrived") if standard["target"] == "case"
                else t("Month the step was done"), t=t))
    if "bottlenecks" in names:
        out["bottlenecks"] = _svg(charts.bar_chart(
            {b["name"]: b["share"] or 0.0 for b in data["bottlenecks"] if b["kind"] == "activity"},
            title=t("Share of case time spent before each step"), t=t, unit="share"))
    return out


def time_context(views: dict[str, Any], t: Texts, *, working: bool) -> dict[str, Any]:
    """What the "Over time" section shows: the time views, their charts and the workload
    table (hours in working time with a calendar)."""
    weekly = views["bucket"] == "week"
    busiest = max(views["flow"], key=lambda r: r["open"], default=None)
    return {
        "v": views, "weekly": weekly, "working": working, "busiest": busiest,
        "flow_chart": _svg(time_charts.flow_chart(
            views["flow"], views["bucket"], zone=views["zone"], t=t,
            title=t("Cases arriving and completed per week") if weekly
            else t("Cases arriving and completed per month"))),
        "cycle_chart": _svg(time_charts.cycle_chart(
            views["cycle_by_month"], title=t("Cycle time by month of arrival"), t=t)),
        "dotted_chart": _svg(time_charts.dotted_chart(
            views["dots"], title=t("Events over time, one row per case"), t=t)),
        "workload_chart": _svg(time_charts.workload_heatmap(
            views["workload"], views["bucket"], t=t,
            title=t("Events per {by} and week", by=t(views["workload"]["by"] or "resource"))
            if weekly else t("Events per {by} and month",
                             by=t(views["workload"]["by"] or "resource")))),
    }


def filter_context(block: dict[str, Any] | None, t: Texts) -> dict[str, Any] | None:
    """What a report says of a filtered log: "x of y cases (z%)…" and the filters in words."""
    if not block:
        return None
    return {"kept": kept_text(block, t), "filters": describe_block(block, t)}


def calendar_text(calendar: dict[str, Any] | None, t: Texts) -> str | None:
    """The methods line on working time, or None without a calendar."""
    if not calendar:
        return None
    return t("Durations are also given in working time: calendar {name} in {zone}, "
             "{holidays} holidays and cuti bersama between {first} and {last}; a working day "
             "counts {hours} hours.", name=calendar["name"], zone=calendar["zone"],
             holidays=t.integer(calendar["holidays"]), first=t.date(calendar["first_day"]),
             last=t.date(calendar["last_day"]), hours=t.number(calendar["day_seconds"] / 3600))


def headline(data: dict[str, Any], t: Texts) -> list[tuple[str, str]]:
    """The big numbers at the top of the report."""
    out = [(t("cases"), t.integer(data["log"]["cases"])),
           (t("median cycle time"), t.duration(data["cycle_time"]["median"])),
           (t("cycle time, 90th percentile"), t.duration(data["cycle_time"]["p90"])),
           (t("median decision latency"), t.duration(data["decisions"]["overall"]["median"]))]
    working = data["cycle_time"].get("working_days")
    if working and working["median"] is not None:
        out.append((t("median cycle time in working time"),
                    t("{n} working days", n=t.number(working["median"], 1))))
    for standard in data.get("sla") or ():
        if standard["target"] == "case" and standard["share_within"] is not None:
            limit = float(standard["limit_days"])
            out.append((t("cases within {n} working days",
                          n=t.number(limit, 0 if limit.is_integer() else 1)),
                        t.percent(standard["share_within"], 1)))
    handoffs = data["handoffs"]
    if handoffs["per_case"]:
        out.append((t("handoffs per case (mean)"), t.number(handoffs["per_case"]["mean"])))
        out.append((t("cases with ping-pong"), t.percent(handoffs["ping_pong"]["share"])))
    if data["layers"]:
        out.append((t("approval layers per case (mean)"),
                    t.number(data["layers"]["per_case"]["mean"], 2)))
    return out


def _svg(text: str) -> Markup:
    return inline_svg(text, "chart")


def _decision_charts(latencies: pd.DataFrame, t: Texts) -> list[tuple[str, Markup]]:
    out: list[tuple[str, Markup]] = []
    if latencies.empty:
        return out
    for by, title in BY_TITLES.items():
        known = latencies[latencies[by].notna()]
        if known.empty:
            continue
        groups = {str(k): g["elapsed"].to_numpy(float) for k, g in known.groupby(by)}
        if by == "level":
            groups = {t("level {n}", n=k): v for k, v in groups.items()}
        out.append((by, _svg(charts.box_plot(groups, title=t(title), t=t))))
    return out


def write_report(out: Path, html: str, result: JsonResult) -> Path:
    """Write ``out/report.html`` beside the result's JSON (``analysis.json``,
    ``comparison.json``, ``explain.json``); returns the report's path."""
    result.write(out)
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path

