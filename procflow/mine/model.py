"""The :class:`Model` that the rest of :mod:`procflow.mine` passes around, and shared helpers.

A model is a workflow net (Petri net with initial and final marking) with its name, where it
came from, and the BPMN graph it came from when known. The helpers here are used by several
modules of the package: importing pm4py without its banner (always inside functions, since
importing it takes over a second), checking variant counts, fusing away silent transitions
that only pass a token on, converting a net to BPMN, and serializing XML.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

from lxml import etree

from procflow.errors import InputError, ProcflowError

MODEL_FORMATS = "a BPMN 2.0 XML file or a PNML Petri net"


@dataclass(frozen=True)
class Search:
    """How the inductive miner searched: the log's distinct ``activities``, the ``limit`` above
    which pm4py's fall-through search is skipped unless asked for, whether the model comes
    from a search with ``fall_throughs``, whether a ``full_search`` was asked for within
    ``time_limit`` seconds, whether it ``timed_out`` (the model is then the fast one) and how
    many ``seconds`` it took."""

    activities: int
    limit: int
    fall_throughs: bool
    full_search: bool = False
    timed_out: bool = False
    time_limit: float | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The search as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class Model:
    """A workflow net with its name, where it came from and its BPMN graph when known.

    ``source``: ``inductive``, ``heuristics``, ``sequence`` (SOP), ``tree``, ``flow``
    (:func:`flow_model`), ``bpmn:<file name>`` or ``pnml:<file name>``; ``search``: how the
    inductive miner searched (None for other models).
    """

    net: Any
    initial: Any
    final: Any
    name: str
    source: str
    bpmn: Any | None = None
    search: Search | None = None


def quiet_pm4py() -> ModuleType:
    """pm4py, imported without its banner."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    return pm4py


def checked_variants(variants: Mapping[tuple[str, ...], int]) -> Counter[tuple[str, ...]]:
    """The variants as a Counter of tuples, refusing an empty log and non-positive counts."""
    counts: Counter[tuple[str, ...]] = Counter()
    for variant, n in variants.items():
        if int(n) <= 0:
            raise InputError(f"variant {list(variant)} has {n} cases.",
                             fix="give each variant a positive number of cases.")
        counts[tuple(str(a) for a in variant)] += int(n)
    if not counts:
        raise InputError("the log has no cases, so there is no process to discover.",
                         fix="import a log with at least one case.")
    return counts


def fuse_silent(net: Any, initial: Any, final: Any) -> None:
    """Remove silent transitions that only pass a token from one place to the next.

    pm4py turns every sequence flow and gateway of a BPMN model into silent transitions; when
    an activity occurs twice in the model, its token replay then often guesses the wrong one.
    A silent transition ``p → t → q`` is fused away when ``p`` feeds only ``t`` (or ``q`` is
    fed only by ``t``) and the removed place is in neither marking: the language is the same.
    """
    from pm4py.objects.petri_net.utils.petri_utils import (
        add_arc_from_to,
        remove_place,
        remove_transition,
    )

    changed = True
    while changed:
        changed = False
        for trans in sorted((t for t in net.transitions if t.label is None), key=lambda t: t.name):
            fused = _fusable(trans, initial, final)
            if fused is None:
                continue
            gone, kept = fused
            for arc in list(gone.in_arcs):
                if arc.source is not trans:
                    add_arc_from_to(arc.source, kept, net)
            for arc in list(gone.out_arcs):
                if arc.target is not trans:
                    add_arc_from_to(kept, arc.target, net)
            remove_transition(net, trans)
            remove_place(net, gone)
            changed = True
            break


def _fusable(trans: Any, initial: Any, final: Any) -> tuple[Any, Any] | None:
    """(place to remove, place to keep) if ``trans`` can be fused away, else None."""
    if len(trans.in_arcs) != 1 or len(trans.out_arcs) != 1:
        return None
    (arc_in,), (arc_out,) = trans.in_arcs, trans.out_arcs
    p, q = arc_in.source, arc_out.target
    if p is q or arc_in.weight != 1 or arc_out.weight != 1:
        return None
    producers, consumers = {a.source for a in q.in_arcs}, {a.target for a in p.out_arcs}
    if len(p.out_arcs) == 1 and p not in initial and p not in final \
            and not producers & {a.source for a in p.in_arcs}:
        return p, q
    if len(q.in_arcs) == 1 and q not in initial and q not in final \
            and not consumers & {a.target for a in q.out_arcs}:
        return q, p
    return None


def net_to_bpmn(model: Model) -> Any:
    pm4py = quiet_pm4py()
    try:
        return pm4py.convert_to_bpmn(model.net, model.initial, model.final)
    except Exception as err:  # pm4py raises bare exceptions for nets it cannot convert
        raise ProcflowError(f"pm4py cannot convert the Petri net {model.name!r} to BPMN "
                            f"({err!r}).", fix="write it as .pnml instead, or discover it "
                            "with the inductive miner.") from None


def xml_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
