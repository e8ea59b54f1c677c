"""What a model allows: its :class:`Profile`, computed on the net's reachability graph.

The reachability graph holds every marking reachable from the initial one (up to a limit);
only markings from which the final marking can still be reached count. From it come the
mandatory labels, the labels that can directly follow each other (through silent steps), and
the possible first and last labels. This module needs no pm4py of its own: it reads the net's
places, transitions and arcs.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from procflow.errors import ProcflowError
from procflow.mine.model import Model
from procflow.mine.order import net_order


@dataclass(frozen=True)
class Profile:
    """What a model allows, in terms of its visible labels."""

    activities: frozenset[str]
    mandatory: frozenset[str]
    follows: frozenset[tuple[str, str]]
    starts: frozenset[str]
    ends: frozenset[str]


def profile(model: Model, *, state_limit: int = 100_000) -> Profile:
    """Visible labels, mandatory labels, possible next steps, first and last steps.

    Computed on the reachability graph of the workflow net (at most ``state_limit``
    markings), keeping only markings from which the final marking can still be reached.
    """
    graph = _ReachabilityGraph(model, state_limit)
    live = graph.coreachable()
    activities = frozenset(t.label for t in model.net.transitions if t.label is not None)
    if graph.final not in live:
        return Profile(activities, frozenset(), frozenset(), frozenset(), frozenset())
    mandatory = frozenset(a for a in activities if not graph.reaches_final_without(a))
    follows, starts, ends = graph.visible_steps(live)
    return Profile(activities, mandatory, follows, starts, ends)


class _ReachabilityGraph:
    """All markings of a net reachable from its initial marking, with labelled edges."""

    def __init__(self, model: Model, state_limit: int) -> None:
        places, transitions = net_order(model)
        index = {p: i for i, p in enumerate(places)}
        self.pre = [_arc_vector(t.in_arcs, index, "source") for t in transitions]
        self.post = [_arc_vector(t.out_arcs, index, "target") for t in transitions]
        self.labels: list[str | None] = [t.label for t in transitions]
        self.initial = _vector(model.initial, index, len(places))
        self.final = _vector(model.final, index, len(places))
        self.edges: dict[tuple[int, ...], list[tuple[int, tuple[int, ...]]]] = {}
        self._explore(state_limit, model.name)

    def _explore(self, state_limit: int, name: str) -> None:
        queue = deque([self.initial])
        self.edges[self.initial] = []
        while queue:
            marking = queue.popleft()
            for t, (pre, post) in enumerate(zip(self.pre, self.post, strict=True)):
                if all(marking[p] >= w for p, w in pre):
                    nxt = _fire(marking, pre, post)
                    self.edges[marking].append((t, nxt))
                    if nxt not in self.edges:
                        if len(self.edges) >= state_limit:
                            raise _too_many_states(name, state_limit)
                        self.edges[nxt] = []
                        queue.append(nxt)

    def coreachable(self) -> set[tuple[int, ...]]:
        """Markings from which the final marking can be reached."""
        back: dict[tuple[int, ...], list[tuple[int, ...]]] = {m: [] for m in self.edges}
        for marking, out in self.edges.items():
            for _, nxt in out:
                back[nxt].append(marking)
        if self.final not in back:
            return set()
        seen, queue = {self.final}, deque([self.final])
        while queue:
            for prev in back[queue.popleft()]:
                if prev not in seen:
                    seen.add(prev)
                    queue.append(prev)
        return seen

    def reaches_final_without(self, label: str) -> bool:
        """Whether the final marking is reachable without firing transitions ``label``."""
        seen, queue = {self.initial}, deque([self.initial])
        while queue:
            marking = queue.popleft()
            if marking == self.final:
                return True
            for t, nxt in self.edges[marking]:
                if self.labels[t] != label and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return False

    def _next_visible(self, marking: tuple[int, ...], live: set[tuple[int, ...]]
                      ) -> tuple[set[str], bool]:
        """Visible labels that can come next from ``marking`` (through silent steps only),
        and whether the final marking can be reached by silent steps only."""
        labels: set[str] = set()
        seen, queue, ends = {marking}, deque([marking]), False
        while queue:
            current = queue.popleft()
            ends = ends or current == self.final
            for t, nxt in self.edges[current]:
                if nxt not in live:
                    continue
                label = self.labels[t]
                if label is not None:
                    labels.add(label)
                elif nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return labels, ends

    def visible_steps(self, live: set[tuple[int, ...]]
                      ) -> tuple[frozenset[tuple[str, str]], frozenset[str], frozenset[str]]:
        """``follows`` pairs, start labels and end labels over the live markings."""
        memo: dict[tuple[int, ...], tuple[set[str], bool]] = {}

        def after(marking: tuple[int, ...]) -> tuple[set[str], bool]:
            if marking not in memo:
                memo[marking] = self._next_visible(marking, live)
            return memo[marking]

        follows: set[tuple[str, str]] = set()
        ends: set[str] = set()
        for marking in live:
            for t, nxt in self.edges[marking]:
                label = self.labels[t]
                if label is None or nxt not in live:
                    continue
                nexts, final = after(nxt)
                follows.update((label, b) for b in nexts)
                if final:
                    ends.add(label)
        return frozenset(follows), frozenset(after(self.initial)[0]), frozenset(ends)


def _arc_vector(arcs: Iterable[Any], index: Mapping[Hashable, int], end: str
                ) -> tuple[tuple[int, int], ...]:
    weights: Counter[int] = Counter()
    for arc in arcs:
        weights[index[getattr(arc, end)]] += arc.weight
    return tuple(sorted(weights.items()))


def _vector(marking: Mapping[Any, int], index: Mapping[Hashable, int], size: int
            ) -> tuple[int, ...]:
    vector = [0] * size
    for place, tokens in marking.items():
        vector[index[place]] = tokens
    return tuple(vector)


def _fire(marking: tuple[int, ...], pre: tuple[tuple[int, int], ...],
          post: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    out = list(marking)
    for p, w in pre:
        out[p] -= w
    for p, w in post:
        out[p] += w
    return tuple(out)


def _too_many_states(name: str, limit: int) -> ProcflowError:
    return ProcflowError(
        f"the model {name!r} has more than {limit:,} reachable states (much parallelism, or "
        "a net that is not a sound workflow net).",
        fix="simplify the model (fewer parallel branches), or raise state_limit.",
        code="too_many_states", params={"limit": limit})
