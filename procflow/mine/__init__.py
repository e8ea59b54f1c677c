"""Process models with pm4py: discover, build, read, write, replay and profile them.

This package is procflow's only door to pm4py: no other module of procflow imports it, and
the modules here import it only inside functions (importing it takes over a second). A
:class:`Model` is a workflow net (Petri net with initial and final marking), with the BPMN
graph it came from when known. Everything written is deterministic: nodes are ordered by their
place in the net's structure (:func:`net_order`, :func:`bpmn_order`), never by object
identity, so writing the same model twice gives the same bytes.

Modules: :mod:`~procflow.mine.model` (the model and shared helpers), :mod:`~.order`
(deterministic order), :mod:`~.discovery` (miners), :mod:`~.full_search` (the fall-through
search in a process that can be stopped), :mod:`~.build` (SOP, tree and state-machine
models), :mod:`~.bpmn` and :mod:`~.pnml` (the XML formats), :mod:`~.files` (reading and writing
model files), :mod:`~.model_graph` (models drawn with Graphviz), :mod:`~.replay` (fitness) and
:mod:`~.reach` (profiles from the reachability graph). Use the names re-exported here:
``from procflow import mine; mine.discover(...)``.
"""

from procflow.mine.bpmn import BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, bpmn_xml
from procflow.mine.build import flow_model, sequence_model, tree_model
from procflow.mine.discovery import (
    FALL_THROUGH_ACTIVITIES,
    FULL_SEARCH_SECONDS,
    Algorithm,
    discover,
    skips_fall_throughs,
)
from procflow.mine.files import DRAWING_SUFFIXES, MAX_MODEL_BYTES, read_model, write_model
from procflow.mine.model import MODEL_FORMATS, Model, Search
from procflow.mine.order import bpmn_kind, bpmn_order, net_order
from procflow.mine.pnml import PNML_TYPE, pnml_xml
from procflow.mine.reach import Profile, profile
from procflow.mine.replay import MOVE_COST, Fitness, Method, VariantFit, fitness

__all__ = [
    "BPMNDI_NS",
    "BPMN_NS",
    "DC_NS",
    "DI_NS",
    "DRAWING_SUFFIXES",
    "FALL_THROUGH_ACTIVITIES",
    "FULL_SEARCH_SECONDS",
    "MAX_MODEL_BYTES",
    "MODEL_FORMATS",
    "MOVE_COST",
    "PNML_TYPE",
    "Algorithm",
    "Fitness",
    "Method",
    "Model",
    "Profile",
    "Search",
    "VariantFit",
    "bpmn_kind",
    "bpmn_order",
    "bpmn_xml",
    "discover",
    "fitness",
    "flow_model",
    "net_order",
    "pnml_xml",
    "profile",
    "read_model",
    "sequence_model",
    "skips_fall_throughs",
    "tree_model",
    "write_model",
]
