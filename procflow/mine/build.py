"""Models built by hand rather than discovered: SOP sequences, process trees, state machines.

:func:`sequence_model` turns an SOP's steps (some optional) into a sequence,
:func:`tree_model` reads a pm4py process-tree string and :func:`flow_model` builds a state
machine from ``(state, activity, next state)`` steps. Each model carries its BPMN graph so it
can be written as BPMN with a diagram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from procflow.errors import InputError
from procflow.mine.model import Model, fuse_silent, net_to_bpmn, quiet_pm4py


def sequence_model(steps: Sequence[tuple[str, bool]], *, name: str = "sop") -> Model:
    """A model doing ``steps`` in order; a step whose flag is False may be skipped."""
    if not steps:
        raise InputError("the SOP has no steps.", fix="list at least one step.")
    quiet_pm4py()
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    root = ProcessTree(operator=Operator.SEQUENCE)
    for activity, mandatory in steps:
        leaf = ProcessTree(label=str(activity))
        if mandatory:
            _attach(root, leaf)
        else:
            choice = ProcessTree(operator=Operator.XOR)
            _attach(choice, leaf)
            _attach(choice, ProcessTree())
            _attach(root, choice)
    return _from_tree(root, name, "sequence")


def _attach(parent: Any, child: Any) -> None:
    child.parent = parent
    parent.children.append(child)


def tree_model(text: str, *, name: str) -> Model:
    """A model from a pm4py process-tree string, e.g. ``->('A', *('B', 'C'), X('D', tau))``."""
    quiet_pm4py()
    from pm4py.objects.process_tree.utils.generic import parse

    try:
        tree = parse(text)
    except Exception as err:  # pm4py's parser raises bare exceptions of several types
        raise InputError(f"cannot read the process tree {text[:60]!r} ({err!r}).",
                         fix="write it as pm4py prints process trees, e.g. "
                         "->('A', X('B', tau), *('C', 'D')).") from None
    return _from_tree(tree, name, "tree")


def flow_model(steps: Sequence[tuple[str, str, str]], *, name: str) -> Model:
    """A model from ``(state, activity, next state)`` steps, from ``"start"`` to ``"end"``.

    Each step is a visible transition between two places (a state machine without silent
    steps). An activity may appear in several steps, e.g. a check redone after a return. Unlike
    a process tree, such a net needs no silent transitions, so pm4py's token replay (which
    picks among equally labelled transitions by what is enabled) replays it exactly.
    """
    states = [s for step in steps for s in (step[0], step[2])]
    if "start" not in states or "end" not in states:
        raise InputError("the steps must lead from the state 'start' to the state 'end'.",
                         fix="name the first state 'start' and the last one 'end'.")
    quiet_pm4py()
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet(name)
    places = {s: PetriNet.Place(s) for s in dict.fromkeys(states)}
    net.places.update(places.values())
    for i, (state, activity, nxt) in enumerate(steps, 1):
        trans = PetriNet.Transition(f"step{i}", str(activity))
        net.transitions.add(trans)
        add_arc_from_to(places[state], trans, net)
        add_arc_from_to(trans, places[nxt], net)
    model = Model(net, Marking({places["start"]: 1}), Marking({places["end"]: 1}), name, "flow")
    return Model(model.net, model.initial, model.final, name, "flow", net_to_bpmn(model))


def _from_tree(tree: Any, name: str, source: str) -> Model:
    pm4py = quiet_pm4py()
    net, initial, final = pm4py.convert_to_petri_net(tree)
    fuse_silent(net, initial, final)
    return Model(net, initial, final, name, source, pm4py.convert_to_bpmn(tree))
