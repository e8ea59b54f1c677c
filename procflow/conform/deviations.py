"""Deviations of one case's activity sequence from a reference model's profile.

Kinds, in the words an SOP owner uses:

``extra_step``
    an activity the model does not have;
``extra_approval_layer``
    an extra step that is a decision activity: an approval the to-be process removed or never
    had (the shadow-layer signal after delayering);
``skipped_step``
    a mandatory step of the model that the case never reached;
``wrong_order``
    two consecutive modelled steps (extra steps set aside) that the model does not allow in
    that order, and that no skipped mandatory step explains;
``rework``
    the same, when the later step had already been done: the case went back.

The order check works on the model's profile (which visible step may directly follow which),
so it applies alike to SOP tables, BPMN and Petri nets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

KINDS = ("extra_approval_layer", "extra_step", "skipped_step", "wrong_order", "rework")
START, END = "(start)", "(end)"


@dataclass(frozen=True)
class Reference:
    """What the order check needs from a model: its steps, the mandatory ones, and which step
    may directly follow which (``START``/``END`` stand for the case's start and end)."""

    activities: frozenset[str]
    mandatory: frozenset[str]
    follows: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, activities: Iterable[str], mandatory: Iterable[str],
           follows: Iterable[tuple[str, str]], starts: Iterable[str],
           ends: Iterable[str]) -> Reference:
        """Build from a model profile's parts."""
        pairs = {*follows, *((START, s) for s in starts), *((e, END) for e in ends)}
        return cls(frozenset(activities), frozenset(mandatory), frozenset(pairs))


@dataclass(frozen=True, order=True)
class Deviation:
    """One deviation: its kind and what it concerns (a step, or ``"A → B"``)."""

    kind: str
    subject: str


def deviations(trace: tuple[str, ...], ref: Reference,
               decisions: Collection[str]) -> list[Deviation]:
    """Every deviation of ``trace`` from ``ref``, one entry per occurrence."""
    out = [Deviation("extra_approval_layer" if a in decisions else "extra_step", a)
           for a in trace if a not in ref.activities]
    present = set(trace)
    skipped = ref.mandatory - present
    out += [Deviation("skipped_step", m) for m in sorted(skipped)]
    seen: set[str] = set()
    previous = START
    for step in (*(a for a in trace if a in ref.activities), END):
        if not _allowed(previous, step, ref, skipped):
            kind = "rework" if step in seen else "wrong_order"
            out.append(Deviation(kind, f"{previous} → {step}"))
        seen.add(step)
        previous = step
    return out


def _allowed(a: str, b: str, ref: Reference, skipped: Collection[str]) -> bool:
    """``b`` may follow ``a`` directly, or through mandatory steps the case skipped."""
    if (a, b) in ref.follows:
        return True
    frontier = [m for m in skipped if (a, m) in ref.follows]
    reached = set(frontier)
    while frontier:
        m = frontier.pop()
        if (m, b) in ref.follows:
            return True
        for n in skipped:
            if n not in reached and (m, n) in ref.follows:
                reached.add(n)
                frontier.append(n)
    return False
