"""Process maps: the directly-follows graph of an analysis as a ``graphviz.Digraph`` (no I/O).

The map is built from ``analysis.json`` (``procflow.analyze(...).to_dict()``): ``dfg``,
``activities``, ``decisions`` and ``bottlenecks``. Its look comes from :class:`MapOptions`:

- ``frequency`` profile: steps and paths labelled and shaded by how often they occur;
- ``performance`` profile: paths labelled and shaded by a duration (median, mean or p90 of the
  elapsed or waiting time), steps by the time before the step (for a decision: its latency).

Large logs are abstracted (:func:`abstraction`): only the most frequent activities and paths
are drawn, and the map's caption says how much is shown. Output is deterministic: node ids
follow the sorted activity names and everything is emitted in sorted order, so the same
analysis always gives byte-identical DOT source.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import graphviz

from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.filters.words import kept_text
from procflow.render import scale
from procflow.render.layout_cost import QUICK
from procflow.render.text import label

Profile = Literal["frequency", "performance"]
Measure = Literal["median", "mean", "p90"]
Timing = Literal["elapsed", "wait"]

AUTO_ACTIVITIES = 25
AUTO_EDGES = 60
FONT = "Helvetica,Arial,sans-serif"
UNKNOWN_LANE = "(unknown)"
#: Words passed to ``Texts`` as values (translated in the catalog).
WORDS = ("median", "mean", "p90", "waiting", "elapsed", "orange", "blue", "lane")
HIGHLIGHT = {"frequency": ("#e6550d", "orange"), "performance": ("#1f78b4", "blue")}
PALETTE = {"frequency": scale.BLUES, "performance": scale.REDS}
WRAP = 26
MARKER_SHARE = 0.01  # abstracted maps: start/end links under 1% of cases are left out


#: The address of the cases of a step (``link(step, None)``) or a path (``link(a, b)``).
MapLink = Callable[[str, str | None], str]


@dataclass(frozen=True)
class MapOptions:
    """How a process map looks and how much of the process it shows."""

    profile: Profile = "frequency"
    measure: Measure = "median"
    timing: Timing = "elapsed"
    activities: float | None = None  # percent of activities kept (by frequency); None = auto
    edges: float | None = None  # percent of edges kept among kept activities; None = auto
    lanes: Mapping[str, str] | None = None  # activity -> lane (role/unit/level) for swimlanes
    lane_title: str | None = None  # what the lanes are, e.g. "role"
    highlight: int = 3  # top-N bottleneck activities and edges highlighted
    quick: bool = False  # dot's quicker layout with straight lines (for large maps)
    texts: Texts = field(default_factory=lambda: Texts("en"))  # language of labels and caption
    link: MapLink | None = None  # the address of a step's (path's) cases, as SVG links


@dataclass(frozen=True)
class Abstraction:
    """Which activities and paths a map shows, and how much of the log that covers."""

    activities: tuple[str, ...]  # kept activities, sorted by name
    edges: tuple[tuple[str, str], ...]  # kept (source, target) pairs, sorted
    total_activities: int
    total_edges: int
    instances_shown: int
    instances_total: int
    transitions_shown: int
    transitions_total: int

    @property
    def hidden_activities(self) -> int:
        return self.total_activities - len(self.activities)

    @property
    def hidden_edges(self) -> int:
        return self.total_edges - len(self.edges)

    def describe(self, t: Texts | None = None) -> str:
        """``Showing 25 of 398 activities (91.3% of instances) and 64 of 4,699 paths (…)``."""
        t = t or Texts("en")
        if len(self.activities) == self.total_activities:
            acts = t("all {total} activities", total=t.integer(self.total_activities))
        else:
            acts = t("{shown} of {total} activities ({share} of instances)",
                     shown=t.integer(len(self.activities)),
                     total=t.integer(self.total_activities),
                     share=t.percent(_share(self.instances_shown, self.instances_total), 1))
        if len(self.edges) == self.total_edges:
            paths = t("all {total} paths", total=t.integer(self.total_edges))
        else:
            paths = t("{shown} of {total} paths ({share} of transitions)",
                      shown=t.integer(len(self.edges)), total=t.integer(self.total_edges),
                      share=t.percent(_share(self.transitions_shown, self.transitions_total), 1))
        return t("Showing {activities} and {paths}", activities=acts, paths=paths)


def _share(covered: int, of: int) -> float:
    return covered / of if of else 0.0


def _percent(value: float | None, what: str) -> None:
    if value is not None and not (0 < value <= 100):
        raise InputError(f"The share of {what} to show must be above 0 and at most 100 percent, "
                         f"not {value}.", fix=f"Give --{what} a percentage such as 50.")


def _keep(n: int, percent: float | None, auto: int) -> int:
    if percent is None:
        return min(n, auto)
    return min(n, max(1, math.ceil(percent * n / 100))) if n else 0


def activity_counts(analysis: Mapping[str, Any]) -> dict[str, int]:
    """Instances per activity; activities only seen in the DFG count 0."""
    counts = {str(a["activity"]): int(a["count"]) for a in analysis.get("activities", [])}
    dfg = analysis.get("dfg", {})
    names = [name for e in dfg.get("edges", []) for name in (e["source"], e["target"])]
    for name in [*names, *dfg.get("start", {}), *dfg.get("end", {})]:
        counts.setdefault(str(name), 0)
    return counts


def abstraction(analysis: Mapping[str, Any], options: MapOptions = MapOptions()) -> Abstraction:
    """The activities and paths kept: the top activities by count, then the top paths between
    them by count, plus each kept activity's strongest incoming and outgoing path."""
    _percent(options.activities, "activities")
    _percent(options.edges, "edges")
    counts = activity_counts(analysis)
    ranked = sorted(counts, key=lambda a: (-counts[a], a))
    kept = set(ranked[:_keep(len(ranked), options.activities, AUTO_ACTIVITIES)])
    edges = {(str(e["source"]), str(e["target"])): int(e["count"])
             for e in analysis.get("dfg", {}).get("edges", [])}
    among = sorted((p for p in edges if p[0] in kept and p[1] in kept),
                   key=lambda p: (-edges[p], p))
    chosen = set(among[:_keep(len(among), options.edges, AUTO_EDGES)])
    seen_in: set[str] = set()
    seen_out: set[str] = set()
    for source, target in among:  # strongest first: the first path met per node is its best
        if source == target:
            continue
        if target not in seen_in or source not in seen_out:
            chosen.add((source, target))
        seen_in.add(target)
        seen_out.add(source)
    return Abstraction(
        activities=tuple(sorted(kept)), edges=tuple(sorted(chosen)),
        total_activities=len(counts), total_edges=len(edges),
        instances_shown=sum(counts[a] for a in kept), instances_total=sum(counts.values()),
        transitions_shown=sum(edges[p] for p in chosen), transitions_total=sum(edges.values()))


def _wrapped(name: str) -> list[str]:
    """A long activity name on at most two lines (the rest cut with an ellipsis)."""
    flat = " ".join(str(name).split())[:400]
    return textwrap.wrap(flat, WRAP, max_lines=2, placeholder=" …") or [""]


def _ranks(analysis: Mapping[str, Any], kind: str, top: int) -> dict[str, int]:
    """Bottleneck names of ``kind`` → rank 1..top, by total time (ties by name)."""
    entries = [b for b in analysis.get("bottlenecks", []) if b.get("kind") == kind]
    entries.sort(key=lambda b: (-(b.get("total") or 0), str(b["name"])))
    return {str(b["name"]): i for i, b in enumerate(entries[:max(0, top)], 1)}


def _node_times(analysis: Mapping[str, Any], measure: Measure) -> dict[str, float | None]:
    """Time before each activity (its ``activity`` bottleneck entry) in ``measure``."""
    times: dict[str, float | None] = {}
    for b in analysis.get("bottlenecks", []):
        if b.get("kind") != "activity":
            continue
        if measure == "mean":
            times[str(b["name"])] = b["total"] / b["count"] if b.get("count") else None
        else:
            times[str(b["name"])] = b.get(measure)
    return times


def _edge_time(edge: Mapping[str, Any], options: MapOptions) -> tuple[float | None, bool]:
    """The edge's duration in the chosen measure, and whether it fell back to elapsed time."""
    if options.timing == "wait":
        wait = edge.get("wait")
        if wait and wait.get(options.measure) is not None:
            return wait[options.measure], False
        return (edge.get("elapsed") or {}).get(options.measure), True
    return (edge.get("elapsed") or {}).get(options.measure), False


class _Builder:
    """Collects what the map needs from the analysis, then emits nodes and edges in order."""

    def __init__(self, analysis: Mapping[str, Any], options: MapOptions):
        self.options = options
        self.t = options.texts
        self.profile: Profile = options.profile
        self.view = abstraction(analysis, options)
        self.selection = analysis.get("filter")
        self.counts = activity_counts(analysis)
        self.ids = {name: f"a{i}" for i, name in enumerate(sorted(self.counts), 1)}
        dfg = analysis.get("dfg", {})
        self.edges = {(str(e["source"]), str(e["target"])): e for e in dfg.get("edges", [])}
        self.start = {str(k): int(v) for k, v in dfg.get("start", {}).items()}
        self.end = {str(k): int(v) for k, v in dfg.get("end", {}).items()}
        self.decisions = set(map(str, (analysis.get("decisions") or {}).get("activities", [])))
        self.node_rank = _ranks(analysis, "activity", options.highlight)
        self.edge_rank = _ranks(analysis, "edge", options.highlight)
        self.node_time = _node_times(analysis, options.measure)
        self.edge_time = {p: _edge_time(self.edges[p], options) for p in self.view.edges}
        self.colour, self.colour_name = HIGHLIGHT[self.profile]
        self.palette = PALETTE[self.profile]
        kept = self.view.activities
        if self.profile == "frequency":
            self.node_scale = scale.Scale(self.counts[a] for a in kept)
            self.edge_scale = scale.Scale(self.edges[p]["count"] for p in self.view.edges)
        else:
            self.node_scale = scale.Scale(self.node_time.get(a) for a in kept)
            self.edge_scale = scale.Scale(t for t, _ in self.edge_time.values())

    def node_attrs(self, name: str) -> dict[str, str]:
        if self.profile == "frequency":
            value: float | None = self.counts[name]
            figure = self.t.integer(self.counts[name])
        else:
            value = self.node_time.get(name)
            figure = (self.t("{measure} {value}", measure=self.t(self.options.measure),
                             value=self.t.duration(value)) if value is not None
                      else self.t("no time before it"))
        fill = scale.pick(self.palette, self.node_scale.fraction(value), 0, 6) \
            if value is not None else "#ffffff"
        attrs = {"fillcolor": fill, "fontcolor": "#ffffff" if scale.is_dark(fill) else "#000000"}
        rank = self.node_rank.get(name)
        if rank is not None:
            figure += f" · #{rank}"
            attrs.update(color=self.colour, penwidth="3")
        if name in self.decisions:
            attrs.update(peripheries="2", penwidth=attrs.get("penwidth", "1.6"))
        attrs["label"] = label(*_wrapped(name), figure)
        if self.options.link is not None:
            attrs.update(URL=_url(self.options.link(name, None)), target="_top",
                         tooltip=_url(self.t("The cases with {step}", step=name)))
        return attrs

    def edge_attrs(self, pair: tuple[str, str]) -> dict[str, str]:
        count = int(self.edges[pair]["count"])
        if self.profile == "frequency":
            value: float | None = count
            text = self.t.integer(count)
        else:
            value, fell_back = self.edge_time[pair]
            text = self.t.duration(value) + (" " + self.t("(elapsed)")
                                             if fell_back and self.wait_known else "")
        fraction = self.edge_scale.fraction(value)
        colour = scale.pick(self.palette, fraction, 3, 8)
        attrs = {"color": colour, "penwidth": scale.width(fraction, 1.0, 5.0),
                 "fontcolor": "#333333"}
        rank = self.edge_rank.get(f"{pair[0]} → {pair[1]}")
        if rank is not None:
            text = f"#{rank} · {text}"
            attrs.update(color=self.colour, fontcolor=self.colour,
                         penwidth=f"{max(3.0, float(attrs['penwidth'])):.2f}")
        attrs["label"] = label(text)
        if self.options.link is not None:
            attrs.update(URL=_url(self.options.link(*pair)), target="_top",
                         tooltip=_url(self.t("The cases where {b} comes right after {a}",
                                             a=pair[0], b=pair[1])))
        return attrs

    def markers(self, counts: Mapping[str, int]) -> list[str]:
        """Kept activities to link to the start (end) marker, sorted by name. When the map is
        abstracted, links carrying under MARKER_SHARE of the cases are left out (except the
        largest): they are the thin dashed lines that would cross the whole map."""
        shown = {a: counts[a] for a in self.view.activities if counts.get(a)}
        if shown and (self.view.hidden_activities or self.view.hidden_edges):
            floor = MARKER_SHARE * sum(counts.values())
            top = min(shown, key=lambda a: (-shown[a], a))
            shown = {a: c for a, c in shown.items() if c >= floor or a == top}
        return sorted(shown)

    def weaker_of_two_way(self, pair: tuple[str, str]) -> bool:
        """Whether the reverse path is also shown and is the stronger of the two."""
        back = (pair[1], pair[0])
        if back == pair or back not in self.edge_time:
            return False
        key = (int(self.edges[pair]["count"]), back)
        return key < (int(self.edges[back]["count"]), pair)

    @property
    def wait_known(self) -> bool:
        return any(not fell_back for _, fell_back in self.edge_time.values())

    def caption(self) -> list[str]:
        opts, t = self.options, self.t
        lines = [self.view.describe(t)]
        if self.selection:
            lines.append(t("Filtered: {kept}", kept=kept_text(self.selection, t)))
        if self.profile == "frequency":
            lines.append(t("Frequency: numbers count activity instances and transitions; "
                           "darker and thicker = more frequent."))
        else:
            timing = "waiting" if opts.timing == "wait" and self.wait_known else "elapsed"
            lines.append(t("Performance: paths show the {measure} {timing} time, steps the "
                           "{measure} time before the step; darker and thicker = slower.",
                           measure=t(opts.measure), timing=t(timing)))
            fallbacks = sum(fb for _, fb in self.edge_time.values())
            if opts.timing == "wait" and not self.wait_known and self.edge_time:
                lines.append(t("No waiting times in this log (no start times): "
                               "paths show elapsed time instead."))
            elif opts.timing == "wait" and fallbacks:
                lines.append(t("1 path has no waiting time and shows elapsed time, marked "
                               "(elapsed).") if fallbacks == 1 else
                             t("{n} paths have no waiting time and show elapsed time, marked "
                               "(elapsed).", n=t.integer(fallbacks)))
        if any(a in self.decisions for a in self.view.activities):
            lines.append(t("Double border = decision step (time before it = decision latency)."))
        if self.options.highlight > 0 and (self.node_rank or self.edge_rank):
            lines.append(t("#1, #2, … in {colour} = biggest bottlenecks by total time "
                           "(steps and paths ranked separately).", colour=t(self.colour_name)))
        if self.view.hidden_activities or self.view.hidden_edges:
            lines.append(t("Start and end links carrying under {share} of cases are not drawn.",
                           share=t.percent(MARKER_SHARE)))
        if opts.lanes is not None:
            lines.append(t("Swimlanes by {lanes}.", lanes=t(opts.lane_title or "lane")))
        if opts.quick:
            lines.append(t("Large map: laid out quickly with straight lines, which may pass "
                           "behind steps."))
        return lines


def _url(text: str) -> str:
    """Text for Graphviz's URL and tooltip attributes, which it copies into SVG as they are:
    XML-escaped (a bare ``&`` or ``<`` would break the SVG; entities pass through)."""
    return html.escape(text, quote=True).replace("\\", "&#92;")


def _graph(caption: list[str]) -> graphviz.Digraph:
    graph = graphviz.Digraph("process_map")
    graph.attr(rankdir="TB", fontname=FONT, fontsize="11", labelloc="b", labeljust="c",
               nodesep="0.35", ranksep="0.45", newrank="true", outputorder="edgesfirst",
               pad="0.25", label=label(*caption, limit=200))
    graph.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="11",
               margin="0.14,0.06", color="#4d4d4d", penwidth="1")
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7", color="#636363")
    return graph


def _lanes(names: Iterable[str], lanes: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for name in names:
        lane = lanes.get(name)
        groups.setdefault(UNKNOWN_LANE if lane is None else str(lane), []).append(name)
    order = sorted(groups, key=lambda lane: (lane == UNKNOWN_LANE, lane))
    return [(lane, sorted(groups[lane])) for lane in order]


def process_map(analysis: Mapping[str, Any],
                options: MapOptions = MapOptions()) -> graphviz.Digraph:
    """The process map of ``analysis`` as a graphviz graph (nothing is written or rendered)."""
    b = _Builder(analysis, options)
    graph = _graph(b.caption())
    if options.quick:
        graph.attr(**QUICK.attrs)
    kept = b.view.activities
    graph.node("start", label="", shape="circle", style="filled", fillcolor="#31a354",
               color="#31a354", width="0.22", height="0.22", fixedsize="true")
    graph.node("end", label="", shape="doublecircle", style="filled", fillcolor="#525252",
               color="#525252", width="0.16", height="0.16", fixedsize="true")
    if options.lanes is None:
        for name in kept:
            graph.node(b.ids[name], **b.node_attrs(name))
    else:
        for i, (lane, names) in enumerate(_lanes(kept, options.lanes), 1):
            with graph.subgraph(name=f"cluster_{i}") as sub:
                sub.attr(label=label(lane), style="rounded,filled", fillcolor="#f4f4f4",
                         color="#c8c8c8", fontsize="12", fontcolor="#444444", labeljust="l",
                         labelloc="t")
                for name in names:
                    sub.node(b.ids[name], **b.node_attrs(name))
    marker = {"color": "#9e9e9e", "fontcolor": "#555555", "style": "dashed", "penwidth": "1"}
    # the quicker layout places path labels beside the drawn lines (xlabel): as ordinary
    # labels dot would rank them as nodes of their own, and straight lines would miss them
    key = "xlabel" if options.quick else "label"
    starts, ends = b.markers(b.start), b.markers(b.end)
    for name in starts:
        graph.edge("start", b.ids[name], **{key: label(b.t.integer(b.start[name]))}, **marker)
    for pair in b.view.edges:
        attrs = b.edge_attrs(pair)
        if options.lanes is not None and b.weaker_of_two_way(pair):
            # between clusters dot draws both directions on one line; route one on the side
            attrs.update(tailport="e", headport="e")
        attrs[key] = attrs.pop("label")
        graph.edge(b.ids[pair[0]], b.ids[pair[1]], **attrs)
    for name in ends:
        graph.edge(b.ids[name], "end", **{key: label(b.t.integer(b.end[name]))}, **marker)
    return graph
