"""PNML: writing a model's Petri net deterministically, and reading PNML files with pm4py.

The written dialect is pm4py's and ProM's (silent transitions marked ``$invisible$``, final
marking under ``finalmarkings``), with node ids from the structure-based order of
:mod:`procflow.mine.order`. A net read without a final marking gets one token in its only sink
place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from procflow.errors import FormatError
from procflow.mine.model import MODEL_FORMATS, Model, quiet_pm4py, xml_bytes
from procflow.mine.order import net_order

PNML_TYPE = "http://www.pnml.org/version-2009/grammar/pnmlcoremodel"


def pnml_xml(model: Model) -> bytes:
    """The model as PNML (pm4py/ProM dialect: silent transitions marked ``$invisible$``)."""
    places, transitions = net_order(model)
    ids = {p: f"p{i}" for i, p in enumerate(places, 1)}
    ids.update({t: f"t{i}" for i, t in enumerate(transitions, 1)})
    root = etree.Element("pnml")
    net = etree.SubElement(root, "net", id="net1", type=PNML_TYPE)
    _text(etree.SubElement(net, "name"), model.name)
    page = etree.SubElement(net, "page", id="n0")
    for place in places:
        node = etree.SubElement(page, "place", id=ids[place])
        _text(etree.SubElement(node, "name"), ids[place])
        if model.initial.get(place, 0):
            _text(etree.SubElement(node, "initialMarking"), str(model.initial[place]))
    for trans in transitions:
        node = etree.SubElement(page, "transition", id=ids[trans])
        _text(etree.SubElement(node, "name"), trans.label if trans.label else "tau")
        if trans.label is None:
            etree.SubElement(node, "toolspecific", tool="ProM", version="6.4",
                             activity="$invisible$", localNodeID=ids[trans])
    _pnml_arcs(page, model, ids)
    marking = etree.SubElement(etree.SubElement(net, "finalmarkings"), "marking")
    for place in places:
        if model.final.get(place, 0):
            _text(etree.SubElement(marking, "place", idref=ids[place]), str(model.final[place]))
    return xml_bytes(root)


def _pnml_arcs(page: etree._Element, model: Model, ids: Mapping[Any, str]) -> None:
    arcs = sorted(model.net.arcs, key=lambda a: _id_key(ids, a))
    for i, arc in enumerate(arcs, 1):
        node = etree.SubElement(page, "arc", id=f"a{i}", source=ids[arc.source],
                                target=ids[arc.target])
        if arc.weight != 1:
            _text(etree.SubElement(node, "inscription"), str(arc.weight))


def _id_key(ids: Mapping[Any, str], arc: Any) -> tuple[str, int, str, int]:
    source, target = ids[arc.source], ids[arc.target]
    return source[0], int(source[1:]), target[0], int(target[1:])


def _text(parent: etree._Element, value: str) -> None:
    etree.SubElement(parent, "text").text = value


def read_pnml(path: Path) -> Model:
    pm4py = quiet_pm4py()
    try:
        net, initial, final = pm4py.read_pnml(str(path))
    except Exception as err:  # pm4py raises bare exceptions on malformed PNML
        raise FormatError(f"cannot read the PNML net ({err!r}).", source=path.name,
                          fix=f"the file must be {MODEL_FORMATS}.", code="bad_model",
                          params={"kind": "PNML"}) from None
    if not net.places:
        raise FormatError("the Petri net has no places.", source=path.name,
                          fix="export the net again with its places, transitions and arcs.",
                          code="pnml_no_places")
    if not initial:
        raise FormatError("the Petri net has no initial marking.", source=path.name,
                          fix="mark the start place with one token.",
                          code="pnml_no_initial")
    if not final:
        final = _sink_marking(net, path.name)
    return Model(net, initial, final, path.stem, f"pnml:{path.name}")


def _sink_marking(net: Any, source: str) -> Any:
    """The final marking of a net saved without one: one token in its only sink place."""
    from pm4py.objects.petri_net.obj import Marking

    sinks = [p for p in net.places if not p.out_arcs]
    if len(sinks) != 1:
        raise FormatError("the Petri net has no final marking and no single end place.",
                          source=source, fix="save the net with its final marking.",
                          code="pnml_no_final")
    return Marking({sinks[0]: 1})
