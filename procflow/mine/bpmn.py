"""BPMN 2.0 XML: writing a model with a Graphviz-laid-out diagram, and reading BPMN files.

Writing uses the model's BPMN graph (or pm4py's conversion of its Petri net), orders nodes and
flows by structure (:mod:`procflow.mine.order`) and adds a ``bpmndi`` diagram whose shapes and
waypoints come from a Graphviz ``dot`` layout. Reading goes through pm4py and converts the
graph to a workflow net, fusing away the silent transitions pm4py adds for sequence flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from procflow.errors import FormatError, ProcflowError
from procflow.mine.model import (
    MODEL_FORMATS,
    Model,
    fuse_silent,
    net_to_bpmn,
    quiet_pm4py,
    xml_bytes,
)
from procflow.mine.order import bpmn_kind, bpmn_order

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"


def bpmn_xml(model: Model) -> bytes:
    """The model as BPMN 2.0 XML with a BPMNDI diagram (shapes and edges with coordinates).

    A model without a BPMN graph is converted from its Petri net by pm4py first.
    """
    bpmn = model.bpmn if model.bpmn is not None else net_to_bpmn(model)
    nodes, flows = bpmn_order(bpmn)
    ids = {n: f"{bpmn_kind(n)}_{i}" for i, n in enumerate(nodes, 1)}
    flow_ids = {f: f"flow_{i}" for i, f in enumerate(flows, 1)}
    nsmap = {None: BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
    root = etree.Element(f"{{{BPMN_NS}}}definitions", nsmap=nsmap, id="definitions_1",
                         targetNamespace="https://procflow.invalid/bpmn",
                         exporter="procflow", exporterVersion="1")
    process = etree.SubElement(root, f"{{{BPMN_NS}}}process", id="process_1",
                               name=model.name, isExecutable="false")
    for node in nodes:
        _bpmn_node(process, node, ids[node], flows, flow_ids)
    for flow in flows:
        etree.SubElement(process, f"{{{BPMN_NS}}}sequenceFlow", id=flow_ids[flow],
                         sourceRef=ids[flow.get_source()], targetRef=ids[flow.get_target()])
    _bpmn_diagram(root, nodes, flows, ids, flow_ids)
    return xml_bytes(root)


def _bpmn_node(process: etree._Element, node: Any, node_id: str, flows: list[Any],
               flow_ids: Mapping[Any, str]) -> None:
    kind = bpmn_kind(node)
    element = etree.SubElement(process, f"{{{BPMN_NS}}}{kind}", id=node_id)
    if node.get_name() and kind not in ("startEvent", "endEvent") and "Gateway" not in kind:
        element.set("name", str(node.get_name()))
    if "Gateway" in kind:
        element.set("gatewayDirection", _direction(node, flows))
    for flow in flows:
        if flow.get_target() is node:
            etree.SubElement(element, f"{{{BPMN_NS}}}incoming").text = flow_ids[flow]
    for flow in flows:
        if flow.get_source() is node:
            etree.SubElement(element, f"{{{BPMN_NS}}}outgoing").text = flow_ids[flow]


def _direction(node: Any, flows: list[Any]) -> str:
    ins = sum(1 for f in flows if f.get_target() is node)
    outs = sum(1 for f in flows if f.get_source() is node)
    if ins > 1 and outs > 1:
        return "Mixed"
    if outs > 1:
        return "Diverging"
    return "Converging" if ins > 1 else "Unspecified"


#: BPMN shape sizes in pixels (bpmn.io's defaults).
_SIZES = {"task": (100, 80), "startEvent": (36, 36), "endEvent": (36, 36),
          "intermediateThrowEvent": (36, 36)}


_GATEWAY = (50, 50)
_DPI = 72


def _bpmn_diagram(root: etree._Element, nodes: list[Any], flows: list[Any],
                  ids: Mapping[Any, str], flow_ids: Mapping[Any, str]) -> None:
    """Append ``bpmndi:BPMNDiagram`` with coordinates from a Graphviz layout."""
    boxes, paths = _layout(nodes, flows, ids)
    diagram = etree.SubElement(root, f"{{{BPMNDI_NS}}}BPMNDiagram", id="diagram_1")
    plane = etree.SubElement(diagram, f"{{{BPMNDI_NS}}}BPMNPlane", id="plane_1",
                             bpmnElement="process_1")
    for node in nodes:
        shape = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{ids[node]}_di",
                                 bpmnElement=ids[node])
        x, y, w, h = boxes[ids[node]]
        etree.SubElement(shape, f"{{{DC_NS}}}Bounds", x=_num(x), y=_num(y), width=_num(w),
                         height=_num(h))
    for flow in flows:
        edge = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{flow_ids[flow]}_di",
                                bpmnElement=flow_ids[flow])
        for x, y in paths[flow_ids[flow]]:
            etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=_num(x), y=_num(y))


def _num(value: float) -> str:
    return str(round(value))


def _size(kind: str) -> tuple[int, int]:
    return _SIZES.get(kind, _GATEWAY)


def _layout(nodes: list[Any], flows: list[Any], ids: Mapping[Any, str]
            ) -> tuple[dict[str, tuple[float, float, float, float]],
                       dict[str, list[tuple[float, float]]]]:
    """Boxes (x, y, w, h) by node id and waypoints by flow id, in pixels, y downwards."""
    import graphviz

    graph = graphviz.Digraph(graph_attr={"rankdir": "LR", "splines": "polyline",
                                         "nodesep": "0.5", "ranksep": "0.6"})
    for node in nodes:
        w, h = _size(bpmn_kind(node))
        graph.node(ids[node], label="", shape="box", fixedsize="true",
                   width=str(w / _DPI), height=str(h / _DPI))
    for i, flow in enumerate(flows, 1):
        graph.edge(ids[flow.get_source()], ids[flow.get_target()], id=f"flow_{i}")
    try:
        plain = graph.pipe(format="plain", engine="dot").decode("utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as err:
        raise ProcflowError(f"Graphviz could not lay out the BPMN diagram ({err}).",
                            fix="install Graphviz (Debian/Ubuntu: sudo apt-get install "
                            "graphviz) and run the command again.") from None
    return _parse_plain(plain, flows, ids)


def _parse_plain(plain: str, flows: list[Any], ids: Mapping[Any, str]
                 ) -> tuple[dict[str, tuple[float, float, float, float]],
                            dict[str, list[tuple[float, float]]]]:
    """Read Graphviz ``plain`` output (inches, y upwards) into pixels with y downwards."""
    margin, height = 20.0, 0.0
    boxes: dict[str, tuple[float, float, float, float]] = {}
    edges: dict[tuple[str, str], list[list[tuple[float, float]]]] = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts[:1] == ["graph"]:
            height = float(parts[3]) * _DPI
        elif parts[:1] == ["node"]:
            cx, cy, w, h = (float(v) * _DPI for v in parts[2:6])
            boxes[parts[1]] = (cx - w / 2 + margin, height - cy - h / 2 + margin, w, h)
        elif parts[:1] == ["edge"]:
            count = int(parts[3])
            points = [(float(parts[4 + 2 * i]) * _DPI + margin,
                       height - float(parts[5 + 2 * i]) * _DPI + margin) for i in range(count)]
            edges.setdefault((parts[1], parts[2]), []).append(points[::3] or points)
    paths = {}
    for i, flow in enumerate(flows, 1):
        found = edges.get((ids[flow.get_source()], ids[flow.get_target()]))
        points = found.pop(0) if found else []
        paths[f"flow_{i}"] = _clip(points, boxes[ids[flow.get_source()]],
                                   boxes[ids[flow.get_target()]])
    return boxes, paths


def _clip(points: list[tuple[float, float]], source: tuple[float, float, float, float],
          target: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """Waypoints from the source's border to the target's border (at least two)."""
    if len(points) < 2:
        return [_centre(source), _centre(target)]
    return [_border(source, points[1]), *points[1:-1], _border(target, points[-2])]


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _border(box: tuple[float, float, float, float], towards: tuple[float, float]
            ) -> tuple[float, float]:
    """Where the line from the box's centre to ``towards`` leaves the box."""
    cx, cy = _centre(box)
    dx, dy = towards[0] - cx, towards[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(box[2] / 2 / abs(dx) if dx else float("inf"),
                box[3] / 2 / abs(dy) if dy else float("inf"), 1.0)
    return cx + dx * scale, cy + dy * scale


def read_bpmn(path: Path) -> Model:
    pm4py = quiet_pm4py()
    try:
        bpmn = pm4py.read_bpmn(str(path))
        net, initial, final = pm4py.convert_to_petri_net(bpmn)
    except Exception as err:  # pm4py raises bare exceptions on unusual BPMN
        raise FormatError(f"cannot read the BPMN model ({err!r}).", source=path.name,
                          fix=f"the file must be {MODEL_FORMATS}; export it again as "
                          "BPMN 2.0 XML.", code="bad_model", params={"kind": "BPMN"}) from None
    fuse_silent(net, initial, final)
    return Model(net, initial, final, path.stem, f"bpmn:{path.name}", bpmn)
