"""Drawings of process models: the Petri net, or the BPMN diagram, as a Graphviz graph.

pm4py's own visualisers are not used: they hand activity names to Graphviz unescaped, and
activity names come from the user's data. Every user string here goes through
:func:`procflow.render.text.label`. Node ids (``p1``, ``t1``, ``n1`` …) follow the
structure-based order of :mod:`procflow.mine`, so the same model always gives the same drawing.
"""

from __future__ import annotations

import textwrap
from typing import Any

import graphviz

from procflow.mine.model import Model
from procflow.mine.order import bpmn_kind, bpmn_order, net_order
from procflow.render.text import label

#: Activity names are wrapped at this many characters per line.
WRAP = 22
FONT = "Helvetica"
_GATEWAY_MARK = {"exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "o"}


def _activity(name: str) -> str:
    """``name`` as a plain-text label, wrapped over at most three lines."""
    lines = textwrap.wrap(" ".join(str(name).split()), WRAP) or [""]
    if len(lines) > 3:
        lines = [*lines[:2], " ".join(lines[2:])]
    return label(*lines)


def _digraph(name: str) -> graphviz.Digraph:
    graph = graphviz.Digraph(
        "model",
        graph_attr={"rankdir": "LR", "fontname": FONT, "fontsize": "12", "nodesep": "0.35",
                    "ranksep": "0.45", "label": label(name), "labelloc": "t"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"arrowsize": "0.7", "color": "#555555"})
    return graph


def petri_net_graph(model: Model) -> graphviz.Digraph:
    """The workflow net: places as circles (initial marking as tokens, final place doubled),
    visible transitions as boxes with their activity, silent transitions as small black bars."""
    places, transitions = net_order(model)
    ids: dict[Any, str] = {p: f"p{i}" for i, p in enumerate(places, 1)}
    ids.update({t: f"t{i}" for i, t in enumerate(transitions, 1)})
    graph = _digraph(model.name)
    for place in places:
        tokens = int(model.initial.get(place, 0))
        graph.node(ids[place], label=label("●" if tokens == 1 else str(tokens) if tokens else ""),
                   shape="doublecircle" if model.final.get(place, 0) else "circle",
                   width="0.3", height="0.3", fixedsize="true", fontsize="10")
    for trans in transitions:
        if trans.label is None:
            graph.node(ids[trans], label="", shape="box", style="filled", fillcolor="black",
                       width="0.12", height="0.4", fixedsize="true")
        else:
            graph.node(ids[trans], label=_activity(trans.label), shape="box", style="filled",
                       fillcolor="#eef3fb", color="#4a6fa5")
    for arc in sorted(model.net.arcs, key=lambda a: (_rank(ids[a.source]), _rank(ids[a.target]))):
        weight = {"label": label(str(arc.weight))} if arc.weight != 1 else {}
        graph.edge(ids[arc.source], ids[arc.target], **weight)
    return graph


def _rank(node_id: str) -> tuple[str, int]:
    return node_id[0], int(node_id[1:])


def bpmn_graph(model: Model) -> graphviz.Digraph:
    """The BPMN diagram: tasks as rounded boxes, gateways as diamonds (× exclusive,
    + parallel), start event as a thin circle, end event as a thick one."""
    if model.bpmn is None:
        raise ValueError("the model has no BPMN graph; draw it with petri_net_graph")
    nodes, flows = bpmn_order(model.bpmn)
    ids = {n: f"n{i}" for i, n in enumerate(nodes, 1)}
    graph = _digraph(model.name)
    for node in nodes:
        _bpmn_node(graph, ids[node], bpmn_kind(node), node.get_name())
    for flow in flows:
        graph.edge(ids[flow.get_source()], ids[flow.get_target()])
    return graph


def _bpmn_node(graph: graphviz.Digraph, node_id: str, kind: str, name: Any) -> None:
    if kind == "task":
        graph.node(node_id, label=_activity(str(name or "")), shape="box",
                   style="rounded,filled", fillcolor="#eef3fb", color="#4a6fa5",
                   margin="0.15,0.08")
    elif kind in ("startEvent", "endEvent", "intermediateThrowEvent"):
        graph.node(node_id, label="", shape="circle", width="0.35", height="0.35",
                   fixedsize="true", penwidth="3" if kind == "endEvent" else "1.2",
                   color="#333333", style="filled",
                   fillcolor="#e8f5e9" if kind == "startEvent" else "#fdecea")
    else:
        graph.node(node_id, label=label(_GATEWAY_MARK.get(kind, "")), shape="diamond",
                   width="0.45", height="0.45", fixedsize="true", fontsize="16",
                   style="filled", fillcolor="#fff8e1", color="#b28704")
