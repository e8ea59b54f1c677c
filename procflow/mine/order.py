"""Deterministic, structure-based order of a model's nodes, so written files never vary.

Places, transitions, BPMN nodes and flows are ordered by their place in the graph's structure
(distance from the start, then a Weisfeiler-Lehman colour of their labels and neighbours),
never by object identity, so writing the same model twice gives the same bytes and drawing it
twice gives the same picture. :mod:`procflow.mine.model_graph` uses the same order.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from procflow.mine.model import Model, quiet_pm4py


def _canonical(nodes: Sequence[Any], base: Mapping[Any, str], succ: Mapping[Any, list[Any]],
               pred: Mapping[Any, list[Any]], roots: Iterable[Any]) -> list[Any]:
    """``nodes`` in an order that depends only on the graph's structure and labels.

    Colours are refined (Weisfeiler-Lehman) from ``base`` by the colours of neighbours; nodes
    are sorted by distance from ``roots``, then colour.
    """
    colour = {n: hashlib.sha1(base[n].encode()).hexdigest() for n in nodes}
    classes = len(set(colour.values()))
    for _ in range(len(nodes)):
        colour = {n: hashlib.sha1("|".join(
            [colour[n], *sorted(colour[m] for m in pred[n]), ">",
             *sorted(colour[m] for m in succ[n])]).encode()).hexdigest() for n in nodes}
        now = len(set(colour.values()))
        if now == classes:
            break
        classes = now
    distance = _distances(succ, roots)
    far = len(nodes) + 1
    return sorted(nodes, key=lambda n: (distance.get(n, far), colour[n]))


def _distances(succ: Mapping[Any, list[Any]], roots: Iterable[Any]) -> dict[Any, int]:
    distance = {r: 0 for r in roots}
    queue = deque(distance)
    while queue:
        node = queue.popleft()
        for nxt in succ[node]:
            if nxt not in distance:
                distance[nxt] = distance[node] + 1
                queue.append(nxt)
    return distance


def net_order(model: Model) -> tuple[list[Any], list[Any]]:
    """The net's places and transitions in a deterministic, structure-based order."""
    net = model.net
    nodes = [*net.places, *net.transitions]
    base = {p: f"P{model.initial.get(p, 0)}:{model.final.get(p, 0)}" for p in net.places}
    base.update({t: "T~" if t.label is None else f"T:{t.label}" for t in net.transitions})
    succ = {n: [a.target for a in n.out_arcs] for n in nodes}
    pred = {n: [a.source for a in n.in_arcs] for n in nodes}
    order = _canonical(nodes, base, succ, pred, list(model.initial))
    places = [n for n in order if n in model.net.places]
    return places, [n for n in order if n in model.net.transitions]


def bpmn_kind(node: Any) -> str:
    """The BPMN element name written for a pm4py BPMN node."""
    from pm4py.objects.bpmn.obj import BPMN

    kinds = ((BPMN.StartEvent, "startEvent"), (BPMN.EndEvent, "endEvent"),
             (BPMN.ParallelGateway, "parallelGateway"),
             (BPMN.InclusiveGateway, "inclusiveGateway"), (BPMN.Gateway, "exclusiveGateway"),
             (BPMN.Activity, "task"), (BPMN.Event, "intermediateThrowEvent"))
    return next((kind for cls, kind in kinds if isinstance(node, cls)), "task")


def bpmn_order(bpmn: Any) -> tuple[list[Any], list[Any]]:
    """The BPMN graph's nodes and sequence flows in a deterministic, structure-based order."""
    quiet_pm4py()
    nodes = list(bpmn.get_nodes())
    flows = [f for f in bpmn.get_flows() if f.get_source() in nodes and f.get_target() in nodes]
    base = {n: f"{bpmn_kind(n)}:{n.get_name() or ''}" for n in nodes}
    succ: dict[Any, list[Any]] = {n: [] for n in nodes}
    pred: dict[Any, list[Any]] = {n: [] for n in nodes}
    for flow in flows:
        succ[flow.get_source()].append(flow.get_target())
        pred[flow.get_target()].append(flow.get_source())
    roots = [n for n in nodes if bpmn_kind(n) == "startEvent"] or [n for n in nodes
                                                                    if not pred[n]]
    order = _canonical(nodes, base, succ, pred, roots)
    rank = {n: i for i, n in enumerate(order)}
    flows.sort(key=lambda f: (rank[f.get_source()], rank[f.get_target()]))
    return order, flows
