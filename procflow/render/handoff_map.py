"""Handoff maps: who passes work to whom (resources, roles or units), as a network and a drawing.

:func:`handoff_graph` turns ``analysis["handoffs"]["pairs"]`` into a ``networkx.DiGraph``;
:func:`centrality` ranks its nodes; :func:`handoff_map` draws it as a ``graphviz.Digraph`` (no
I/O); :func:`handoff_summary` is the JSON-ready summary. All output is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import graphviz
import networkx as nx

from procflow.core.i18n import Texts
from procflow.render import scale
from procflow.render.process_map import FONT
from procflow.render.text import label

PLURAL = {"resource": "resources", "role": "roles", "unit": "units"}
#: Words passed to ``Texts`` as values (translated in the catalog).
WORDS = (*PLURAL.values(), "performers")


def handoff_graph(analysis: Mapping[str, Any]) -> nx.DiGraph:
    """Performers as nodes, handoffs as edges with ``count``, ``median`` (delay, seconds or
    ``None``) and ``distance`` = 1 / count (strong links are short)."""
    handoffs = analysis.get("handoffs") or {}
    g = nx.DiGraph(granularity=handoffs.get("granularity"))
    pairs = sorted(handoffs.get("pairs") or [], key=lambda p: (str(p["from"]), str(p["to"])))
    for p in pairs:
        source, target, count = str(p["from"]), str(p["to"]), int(p["count"])
        if count <= 0 or source == target:
            continue
        median = (p.get("elapsed") or {}).get("median")
        g.add_edge(source, target, count=count, median=median, distance=1.0 / count)
    return g


def _handoffs(n: int, t: Texts) -> str:
    return t("{n} handoff", n=t.integer(n)) if n == 1 else t("{n} handoffs", n=t.integer(n))


def _volume(g: nx.DiGraph, node: str) -> int:
    return int(g.in_degree(node, weight="count") + g.out_degree(node, weight="count"))


def centrality(g: nx.DiGraph) -> list[dict[str, Any]]:
    """Per node: handoffs in and out (by count), degree centrality, betweenness (shortest paths
    by distance = 1/count) and weighted PageRank, rounded to 6 places; sorted by betweenness
    (largest first), then name."""
    if g.number_of_nodes() == 0:
        return []
    degree = nx.degree_centrality(g)
    between = nx.betweenness_centrality(g, weight="distance", normalized=True)
    rank = nx.pagerank(g, weight="count")
    rows = [{"name": n,
             "handoffs_in": int(g.in_degree(n, weight="count")),
             "handoffs_out": int(g.out_degree(n, weight="count")),
             "degree": round(float(degree[n]), 6),
             "betweenness": round(float(between[n]), 6),
             "pagerank": round(float(rank[n]), 6)} for n in g.nodes]
    return sorted(rows, key=lambda r: (-r["betweenness"], r["name"]))


def _links(g: nx.DiGraph, kept: set[str], links: int | None) -> list[tuple[str, str]]:
    """The ``links`` strongest edges among ``kept`` nodes, plus each node's strongest incoming
    and outgoing edge (so no shown node floats), sorted by name."""
    among = sorted(((s, t) for s, t in g.edges if s in kept and t in kept),
                   key=lambda e: (-g.edges[e]["count"], e))
    chosen = set(among if links is None else among[:max(0, links)])
    seen_in: set[str] = set()
    seen_out: set[str] = set()
    for s, t in among:
        if t not in seen_in or s not in seen_out:
            chosen.add((s, t))
        seen_in.add(t)
        seen_out.add(s)
    return sorted(chosen)


def _among(g: nx.DiGraph, kept: set[str]) -> int:
    return sum(1 for s, t in g.edges if s in kept and t in kept)


def handoff_map(g: nx.DiGraph, *, top: int | None = 40, links: int | None = 30,
                texts: Texts | None = None) -> graphviz.Digraph:
    """The handoff network drawn: node shade and size by handoff volume, edges labelled
    ``count · median delay`` and as thick as their count. Only the ``top`` busiest nodes and
    the ``links`` strongest handoff links between them (plus each node's strongest in and
    out) are drawn; ``None`` draws all. ``texts`` sets the language (English by default)."""
    t = texts or Texts("en")
    names = sorted(g.nodes)
    ids = {name: f"r{i}" for i, name in enumerate(names, 1)}
    busiest = sorted(names, key=lambda n: (-_volume(g, n), n))
    kept = set(busiest if top is None else busiest[:max(0, top)])
    edges = _links(g, kept, links)
    node_scale = scale.Scale(_volume(g, n) for n in kept)
    edge_scale = scale.Scale(g.edges[e]["count"] for e in edges)
    graph = graphviz.Digraph("handoff_map")
    graph.attr(rankdir="LR", fontname=FONT, fontsize="11", labelloc="b", nodesep="0.3",
               ranksep="0.6", outputorder="edgesfirst", pad="0.25",
               label=label(*_caption(g, kept, edges, links, t), limit=200))
    graph.attr("node", shape="box", style="rounded,filled", fontname=FONT, color="#54278f")
    graph.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.7", fontcolor="#333333")
    for name in names:
        if name in kept:
            fraction = node_scale.fraction(_volume(g, name))
            fill = scale.pick(scale.PURPLES, fraction, 1, 7)
            graph.node(ids[name], label=label(name, _handoffs(_volume(g, name), t)),
                       fillcolor=fill, fontsize=f"{10 + 4 * fraction:.1f}",
                       fontcolor="#ffffff" if scale.is_dark(fill) else "#000000")
    for source, target in edges:
        data = g.edges[source, target]
        fraction = edge_scale.fraction(data["count"])
        graph.edge(ids[source], ids[target],
                   label=label(f"{t.integer(data['count'])} · {t.duration(data['median'])}"),
                   penwidth=scale.width(fraction, 0.8, 5.0),
                   color=scale.pick(scale.GREYS, fraction, 2, 6))
    return graph


def _caption(g: nx.DiGraph, kept: set[str], edges: list[tuple[str, str]],
             links: int | None, t: Texts) -> list[str]:
    what = t(PLURAL.get(str(g.graph.get("granularity")), "performers"))
    total = sum(c for _, _, c in g.edges(data="count"))
    shown = sum(g.edges[e]["count"] for e in edges)
    nodes = g.number_of_nodes()
    if len(kept) == nodes:
        first = t("Handoffs between all {nodes} {what}", nodes=t.integer(nodes), what=what)
    else:
        first = t("Handoffs between the {kept} busiest of {nodes} {what} ({hidden} hidden)",
                  kept=t.integer(len(kept)), nodes=t.integer(nodes), what=what,
                  hidden=t.integer(nodes - len(kept)))
    share = shown / total if total else 0.0
    if len(edges) == g.number_of_edges():
        first += t(": all {links} links, {total} handoffs", links=t.integer(len(edges)),
                   total=t.integer(total))
    else:
        first += t(": {shown} of {links} links ({share} of {total} handoffs)",
                   shown=t.integer(len(edges)), links=t.integer(g.number_of_edges()),
                   share=t.percent(share, 1), total=t.integer(total))
    lines = [first]
    if len(edges) < _among(g, kept):
        lines.append(t("Links shown: the {links} strongest, and each one's busiest in and out.",
                       links=t.integer(links or 0)))
    return [*lines, t("Links: number of handoffs · median time between the two steps; "
                      "darker and larger = more handoffs.")]


def handoff_summary(analysis: Mapping[str, Any]) -> dict[str, Any]:
    """``{"granularity", "nodes", "edges", "centrality"}`` for a JSON file; ``nodes`` are the
    performer names (sorted), ``edges`` ``{from, to, count, median}`` sorted by count (largest
    first), then names."""
    g = handoff_graph(analysis)
    edges = sorted(g.edges(data=True), key=lambda e: (-e[2]["count"], e[0], e[1]))
    return {"granularity": g.graph.get("granularity"),
            "nodes": sorted(g.nodes),
            "edges": [{"from": s, "to": t, "count": d["count"], "median": d["median"]}
                      for s, t, d in edges],
            "centrality": centrality(g)}
