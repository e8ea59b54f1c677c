"""A decision tree drawn as a graphviz graph (no I/O): each split a question, each leaf the
rows and the median that end there; every text escaped through :func:`label`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import graphviz

from procflow.render.process_map import FONT
from procflow.render.text import label


def tree_graph(nodes: Sequence[Mapping[str, Any]], question: Callable[[Mapping[str, Any]], str],
               summary: Callable[[Mapping[str, Any]], str], yes: str, no: str,
               slow: float | None = None) -> graphviz.Digraph:
    """Nodes as ``explain.json``'s tree gives them (``id``, ``yes``, ``no``, ``rows``,
    ``median``): split nodes show ``question(node)`` above ``summary(node)``, leaves only the
    summary; the edges are labelled ``yes`` and ``no``. Leaves whose median is at least
    ``slow`` are shaded."""
    graph = graphviz.Digraph("tree")
    graph.attr(rankdir="TB", fontname=FONT, fontsize="11", nodesep="0.25", ranksep="0.45",
               pad="0.2")
    graph.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="10",
               color="#486581", fillcolor="#f0f4f8")
    graph.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.6", color="#829ab1")
    for node in nodes:
        leaf = node["yes"] is None
        lines = [summary(node)] if leaf else [question(node), summary(node)]
        fill = "#fde2e1" if leaf and slow is not None and node["median"] >= slow else \
            "#ffffff" if leaf else "#f0f4f8"
        graph.node(f"n{node['id']}", label(*lines, limit=60), fillcolor=fill)
    for node in nodes:
        if node["yes"] is not None:
            graph.edge(f"n{node['id']}", f"n{node['yes']}", label(yes))
            graph.edge(f"n{node['id']}", f"n{node['no']}", label(no))
    return graph
