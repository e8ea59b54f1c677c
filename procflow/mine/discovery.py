"""Process discovery: pm4py's inductive and heuristics miners fed a log's variants.

Both miners take the variants (activity sequence → number of cases) rather than an event log:
the inductive miner through pm4py's variant data structure, the heuristics miner through the
directly-follows counts computed here, which give the same net as pm4py's own entry points on
the full log. Large logs skip the inductive miner's fall-throughs unless a full search is asked
for (see :func:`discover`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from procflow.errors import InputError
from procflow.mine.model import Model, Search, checked_variants, quiet_pm4py

Algorithm = Literal["inductive", "heuristics"]
#: Most distinct activities for which :func:`discover` runs the inductive miner's
#: fall-throughs when not told (pm4py's fall-through search gets unusably slow beyond).
FALL_THROUGH_ACTIVITIES = 60
#: Seconds a full search (:func:`discover` with ``full_search``) may take by default.
FULL_SEARCH_SECONDS = 300.0


def discover(variants: Mapping[tuple[str, ...], int], *, algorithm: Algorithm = "inductive",
             noise: float = 0.0, name: str = "discovered",
             fall_throughs: bool | None = None,
             fall_through_limit: int = FALL_THROUGH_ACTIVITIES,
             full_search: bool = False, time_limit: float | None = None) -> Model:
    """Discover a workflow net from ``variants`` (activity sequence → number of cases).

    ``inductive`` is pm4py's inductive miner (IMf with ``noise`` as its noise threshold when
    ``noise`` > 0, else IM), fed the variants directly; ``heuristics`` is pm4py's heuristics
    miner with its default thresholds, fed the directly-follows counts of the variants.
    ``fall_throughs=False`` skips the inductive miner's fall-throughs (pm4py's
    ``disable_fallthroughs``): much faster on logs with hundreds of activities (BPIC 2015
    municipality 1, 398 activities: 4 seconds instead of more than 7 minutes), at the price of
    a looser model where no cut is found. ``None`` (the default) chooses: fall-throughs when
    the variants hold at most ``fall_through_limit`` (60) distinct activities, none above.
    ``True`` or ``False`` forces the choice.

    ``full_search`` (above the limit) keeps that fast model, then runs the search with
    fall-throughs in a separate process for at most ``time_limit`` seconds (default 300) and
    takes its model if it finishes. The model's ``search`` says what happened.
    """
    counts = checked_variants(variants)
    if not 0.0 <= noise <= 1.0:
        raise InputError(f"the noise threshold {noise} is not between 0 and 1.",
                         fix="give a noise threshold from 0 (keep everything) to 1.")
    if algorithm == "inductive":
        activities = len({a for variant in counts for a in variant})
        if full_search and fall_throughs is False:
            raise InputError("a full search runs the fall-throughs that fall_throughs=False "
                             "skips.", fix="ask for one of the two.")
        if fall_throughs is None:
            fall_throughs = activities <= fall_through_limit
        search = Search(activities, fall_through_limit, fall_throughs)
        model = _inductive(counts, noise, name, search)
        if full_search and not fall_throughs:
            return _full_search(counts, noise, name, model, time_limit)
        return model
    if algorithm == "heuristics":
        if noise:
            raise InputError("the noise threshold only applies to the inductive miner.",
                             fix="leave the noise at 0 with the heuristics miner.")
        return _heuristics(counts, name)
    raise InputError(f"unknown discovery algorithm {algorithm!r}.",
                     fix="use 'inductive' or 'heuristics'.")


def skips_fall_throughs(activities: int, limit: int = FALL_THROUGH_ACTIVITIES) -> bool:
    """Whether :func:`discover` skips the fall-through search on a log with ``activities``
    distinct activities unless asked for a full search."""
    return activities > limit


def process_tree(counts: Counter[tuple[str, ...]], noise: float, fall_throughs: bool) -> Any:
    """pm4py's inductive miner on the variant collection, folded and sorted."""
    quiet_pm4py()
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util

    parameters = {"noise_threshold": noise, "multiprocessing": False,
                  "disable_fallthroughs": not fall_throughs}
    miner = IMFUVCL(parameters) if noise > 0 else IMUVCL(parameters)
    tree = pt_util.fold(miner.apply(IMDataStructureUVCL(counts), parameters))
    pt_util.tree_sort(tree)
    return tree


def _inductive(counts: Counter[tuple[str, ...]], noise: float, name: str,
               search: Search) -> Model:
    """pm4py's inductive miner on the variant collection, as ``discover_petri_net_inductive``."""
    return _from_tree(process_tree(counts, noise, search.fall_throughs), name, search)


def _from_tree(tree: Any, name: str, search: Search) -> Model:
    pm4py = quiet_pm4py()
    net, initial, final = pm4py.convert_to_petri_net(tree)
    return Model(net, initial, final, name, "inductive", pm4py.convert_to_bpmn(tree), search)


def _full_search(counts: Counter[tuple[str, ...]], noise: float, name: str, fast: Model,
                 time_limit: float | None) -> Model:
    """The model of a search with fall-throughs within ``time_limit``, else ``fast``."""
    from procflow.mine.full_search import search_with_fall_throughs

    assert fast.search is not None
    limit = FULL_SEARCH_SECONDS if time_limit is None else time_limit
    tree, seconds = search_with_fall_throughs(counts, noise, limit)
    if tree is None:
        return replace(fast, search=replace(fast.search, full_search=True, timed_out=True,
                                            time_limit=limit, seconds=round(seconds, 3)))
    return _from_tree(tree, name, replace(fast.search, fall_throughs=True, full_search=True,
                                          time_limit=limit, seconds=round(seconds, 3)))


def _heuristics(counts: Counter[tuple[str, ...]], name: str) -> Model:
    """pm4py's heuristics miner on the variants' directly-follows figures."""
    quiet_pm4py()
    from pm4py.algo.discovery.heuristics.variants import classic
    from pm4py.objects.conversion.heuristics_net import converter

    occurrences: Counter[str] = Counter()
    dfg: Counter[tuple[str, str]] = Counter()
    dfg2: Counter[tuple[str, str]] = Counter()
    triples: Counter[tuple[str, str, str]] = Counter()
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for variant, n in counts.items():
        _count_variant(variant, n, occurrences, dfg, dfg2, triples)
        if variant:
            starts[variant[0]] += n
            ends[variant[-1]] += n
    ordered = dict(sorted(occurrences.items(), key=lambda item: (-item[1], item[0])))
    heu_net = classic.apply_heu_dfg(
        dict(dfg), activities=list(ordered), activities_occurrences=ordered,
        start_activities=dict(starts), end_activities=dict(ends), dfg_window_2=dict(dfg2),
        freq_triples=dict(triples), parameters={})
    net, initial, final = converter.apply(heu_net, parameters={})
    return Model(net, initial, final, name, "heuristics")


def _count_variant(variant: tuple[str, ...], n: int, occurrences: Counter[str],
                   dfg: Counter[tuple[str, str]], dfg2: Counter[tuple[str, str]],
                   triples: Counter[tuple[str, str, str]]) -> None:
    """Add ``n`` cases of ``variant`` to the activity, pair, window-2 and triple counts."""
    for i, activity in enumerate(variant):
        occurrences[activity] += n
        if i >= 1:
            dfg[variant[i - 1], activity] += n
        if i >= 2:
            dfg2[variant[i - 2], activity] += n
            triples[variant[i - 2], variant[i - 1], activity] += n
