"""Process maps that ``dot`` can lay out within a time budget and a reader can follow, or a
refusal that says which setting does.

:func:`plan` builds the map and checks it before ``dot`` draws it: at most
:func:`readable_paths` paths (more lines than anyone can follow), and a layout that
:mod:`procflow.render.layout_cost` predicts to finish within :data:`BUDGET` processor seconds:
dot's own layout when it does, else the quicker one (straight lines). Otherwise
:class:`MapTooLarge` refuses and names the largest share of activities (with the paths asked
for) and of paths (with the activities asked for) that fits. :func:`draw` and :func:`write` plan
and draw; the time-out of :mod:`procflow.render.files` stays as the last resort and ends in the
same refusal.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import graphviz

from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.render import layout_cost
from procflow.render.files import TIMEOUT, DrawingTimeout, graph_bytes, write_graph
from procflow.render.process_map import Abstraction, MapOptions, abstraction, process_map

#: Processor seconds ``dot`` may be expected to take for one map.
BUDGET = 5.0
#: A readable map shows at most this many paths per activity, or MIN_PATHS in all.
PATHS_PER_ACTIVITY = 3
MIN_PATHS = 150
#: The shares (percent) offered for activities and paths, largest first.
SHARES = (100, 80, 60, 40, 20, 10)
#: How a refusal names the settings: command-line options or the web page's choices.
Shell = Literal["cli", "web"]


@dataclass(frozen=True)
class Plan:
    """A map ready for ``dot``: its graph, the options it was built with (``quick`` says which
    layout), what it shows and the predicted processor seconds."""

    graph: graphviz.Digraph
    options: MapOptions
    view: Abstraction
    seconds: float


@dataclass(frozen=True)
class Over:
    """A map that does not fit: what it shows and its predicted seconds in the quicker layout
    (None when it has too many paths to be worth predicting)."""

    view: Abstraction
    seconds: float | None


@dataclass(frozen=True)
class Fit:
    """A setting that fits: the shares of activities and paths (percent; None keeps the share
    asked for) and how many activities and paths the map then shows."""

    activities: int | None
    paths: int | None
    shown: int
    shown_paths: int


class MapTooLarge(InputError):
    """The map asked for has too many paths, cannot be laid out within the budget, or ``dot``
    timed out; :meth:`explain` says which settings fit (``fits``, best first)."""

    def __init__(self, over: Over, budget: float, fits: tuple[Fit, ...], *, texts: Texts,
                 timed_out: float | None = None):
        self.over = over
        self.budget = budget
        self.fits = fits
        self.timed_out = timed_out
        super().__init__(self.explain(texts, "cli"))

    def __str__(self) -> str:
        return self.message

    def explain(self, t: Texts, shell: Shell = "web") -> str:
        """Why the map is refused and which setting to choose, in the language of ``t``."""
        asked = self.over.view
        shown = {"activities": t.integer(len(asked.activities)),
                 "paths": t.integer(len(asked.edges))}
        if self.timed_out is not None:
            why = t("Graphviz did not finish this map of {activities} activities and {paths} "
                    "paths within {limit}.", **shown, limit=_seconds(t, self.timed_out))
        elif self.over.seconds is None:
            why = t("This map would show {activities} activities and {paths} paths: more lines "
                    "than anyone can follow (a readable map of {activities} activities has at "
                    "most {most} paths).", **shown,
                    most=t.integer(readable_paths(len(asked.activities))))
        else:
            why = t("This map is too large to draw: {activities} activities and {paths} paths "
                    "would take Graphviz about {time} to lay out (the limit is {limit}).",
                    **shown, time=_seconds(t, self.over.seconds),
                    limit=_seconds(t, self.budget))
        total = t.integer(asked.total_activities)
        parts = [why]
        for i, fit in enumerate(self.fits):
            counts = {"setting": _choice(t, shell, fit), "n": t.integer(fit.shown),
                      "total": total, "m": t.integer(fit.shown_paths)}
            parts.append(t("Or choose {setting}: the map then shows {n} of the log's {total} "
                           "activities and {m} paths.", **counts) if i else
                         t("Choose {setting}: the map then shows {n} of the log's {total} "
                           "activities and {m} paths.", **counts))
        if not self.fits:
            parts.append(t("This log has {total} activities; choose {setting}.", total=total,
                           setting=_automatic(t, shell)))
        return " ".join(parts)


def _seconds(t: Texts, value: float) -> str:
    if value < 90:
        return t("{n} s", n=t.integer(max(1, round(value))))
    if value < 5400:
        return t("{n} min", n=t.integer(round(value / 60)))
    return t("{n} h", n=t.integer(round(value / 3600)))


def _setting(t: Texts, shell: Shell, what: str, share: int | None) -> str:
    if shell == "cli":
        return f"--{'activities' if what == 'activities' else 'edges'} {share}"
    if what == "activities":
        return t("“Activities shown” {share} or less", share=t.percent((share or 0) / 100))
    return t("“Paths shown” {share} or less", share=t.percent((share or 0) / 100))


def _choice(t: Texts, shell: Shell, fit: Fit) -> str:
    """The settings of ``fit`` as the shell names them."""
    chosen = [_setting(t, shell, what, share) for what, share in
              (("activities", fit.activities), ("paths", fit.paths)) if share is not None]
    if shell == "cli" or len(chosen) == 1:
        return " ".join(chosen)
    return t("{first} and {second}", first=chosen[0], second=chosen[1])


def _automatic(t: Texts, shell: Shell) -> str:
    if shell == "cli":
        return t("the automatic map (leave out --activities and --edges)")
    return t("the automatic map (“automatic” activities and paths)")


def readable_paths(activities: int) -> int:
    """The most paths a readable map of ``activities`` activities shows."""
    return max(MIN_PATHS, PATHS_PER_ACTIVITY * activities)


def _fitting(analysis: Mapping[str, Any], options: MapOptions, budget: float) -> Plan | Over:
    """The plan for ``options`` in the layout that fits, or what does not fit."""
    view = abstraction(analysis, options)
    if len(view.edges) > readable_paths(len(view.activities)):
        return Over(view, None)
    full = replace(options, quick=False)
    graph = process_map(analysis, full)
    seconds = layout_cost.seconds(layout_cost.shape(graph), layout_cost.FULL)
    if seconds <= budget:
        return Plan(graph, full, view, seconds)
    quick = replace(options, quick=True)
    graph = process_map(analysis, quick)
    seconds = layout_cost.seconds(layout_cost.shape(graph), layout_cost.QUICK)
    if seconds <= budget:
        return Plan(graph, quick, view, seconds)
    return Over(view, seconds)


def _fits(analysis: Mapping[str, Any], options: MapOptions, activities: float | None,
          paths: float | None, budget: float) -> bool:
    trial = replace(options, activities=activities, edges=paths)
    return isinstance(_fitting(analysis, trial, budget), Plan)


def suggestions(analysis: Mapping[str, Any], options: MapOptions, view: Abstraction,
                budget: float = BUDGET) -> tuple[Fit, ...]:
    """The largest settings that fit, showing less than ``view``: fewer activities with the
    paths asked for, and fewer paths with the activities asked for; when neither fits, fewer
    of both. Empty when only the automatic map fits."""
    def shown(activities: float | None, paths: float | None) -> Abstraction:
        return abstraction(analysis, replace(options, activities=activities, edges=paths))

    found: list[Fit] = []
    for share in SHARES:
        smaller = shown(share, options.edges)
        if len(smaller.activities) < len(view.activities) and _fits(
                analysis, options, share, options.edges, budget):
            found.append(Fit(share, None, len(smaller.activities), len(smaller.edges)))
            break
    for share in SHARES:
        smaller = shown(options.activities, share)
        if len(smaller.edges) < len(view.edges) and _fits(
                analysis, options, options.activities, share, budget):
            found.append(Fit(None, share, len(smaller.activities), len(smaller.edges)))
            break
    if found:
        return tuple(found)
    for activities in SHARES:
        for paths in SHARES:
            smaller = shown(activities, paths)
            if (len(smaller.activities) < len(view.activities) and
                    _fits(analysis, options, activities, paths, budget)):
                return (Fit(activities, paths, len(smaller.activities), len(smaller.edges)),)
    return ()


def refusal(analysis: Mapping[str, Any], options: MapOptions, over: Over,
            budget: float = BUDGET, *, timed_out: float | None = None) -> MapTooLarge:
    """The refusal of the map of ``options``, naming the largest settings that fit."""
    return MapTooLarge(over, budget, suggestions(analysis, options, over.view, budget),
                       texts=options.texts, timed_out=timed_out)


def plan(analysis: Mapping[str, Any], options: MapOptions, *, budget: float = BUDGET) -> Plan:
    """The map of ``options`` in the layout that fits ``budget``; :class:`MapTooLarge` when
    none does. Without Graphviz the map is planned as it is (drawing it says what to install)."""
    if shutil.which("dot") is None:
        return Plan(process_map(analysis, options), options, abstraction(analysis, options), 0.0)
    found = _fitting(analysis, options, budget)
    if isinstance(found, Over):
        raise refusal(analysis, options, found, budget)
    return found


def draw(analysis: Mapping[str, Any], options: MapOptions, fmt: str, *,
         budget: float = BUDGET, timeout: float = TIMEOUT) -> bytes:
    """The map of ``options`` drawn as ``fmt`` (svg, png, pdf), or :class:`MapTooLarge`."""
    chosen = plan(analysis, options, budget=budget)
    try:
        return graph_bytes(chosen.graph, fmt, timeout=timeout)
    except DrawingTimeout as err:
        over = Over(chosen.view, chosen.seconds)
        raise refusal(analysis, options, over, budget, timed_out=timeout) from err


def write(analysis: Mapping[str, Any], options: MapOptions, out: Path, *,
          budget: float = BUDGET, timeout: float = TIMEOUT) -> Path:
    """Write the map of ``options`` to ``out`` (see :func:`procflow.render.files.write_graph`):
    DOT source as it is, drawings only when they fit, else :class:`MapTooLarge`."""
    if Path(out).suffix.lower() in (".dot", ".gv"):
        return write_graph(process_map(analysis, options), out)
    chosen = plan(analysis, options, budget=budget)
    try:
        return write_graph(chosen.graph, out, timeout=timeout)
    except DrawingTimeout as err:
        over = Over(chosen.view, chosen.seconds)
        raise refusal(analysis, options, over, budget, timed_out=timeout) from err
