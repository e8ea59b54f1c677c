"""Fitness of a log on a model: pm4py's token-based replay or its alignments, per variant.

Each variant is replayed once and the results weighted by its number of cases. Token replay
goes in batches of variants and alignments one variant at a time, most frequent first, both
within a time limit, and report the variants left unchecked.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from procflow.errors import InputError
from procflow.mine.model import Model, checked_variants, quiet_pm4py

Method = Literal["token", "alignments"]
#: Variants handed to pm4py's token replay at once, between checks of the time limit.
TOKEN_BATCH = 20
#: pm4py's cost of one log or model move in an alignment.
MOVE_COST = 10000


@dataclass(frozen=True)
class VariantFit:
    """How one variant replays: fitness 0..1, whether it fits, alignment cost (moves)."""

    fitness: float
    fits: bool
    cost: float | None


@dataclass(frozen=True)
class Fitness:
    """Fitness of a log on a model, from one replay per variant weighted by case counts."""

    method: Method
    log_fitness: float
    fitting_share: float
    per_variant: dict[tuple[str, ...], VariantFit]
    unchecked: int
    seconds: float


def fitness(variants: Mapping[tuple[str, ...], int], model: Model, *, method: Method = "token",
            time_limit: float = 120.0, progress: Callable[[int], None] | None = None) -> Fitness:
    """Replay each variant once on ``model`` and weight the results by the case counts.

    Both methods go most frequent variant first within ``time_limit`` seconds in all; variants
    not replayed in time are counted in ``unchecked`` and left out of the figures.

    ``token``: pm4py's token-based replay, in batches of :data:`TOKEN_BATCH` variants;
    ``log_fitness`` is its log fitness (from missing, consumed, remaining and produced
    tokens). pm4py's replay skips activities the model does not have, so they do not lower
    the figures, but a variant with one never counts as fitting (pm4py's own switch for
    that, ``consider_activities_not_in_model_in_fitness``, leaks between traces in pm4py 2.7
    and is not used).

    ``alignments``: pm4py's alignments, one variant at a time; ``log_fitness`` is pm4py's
    ``1 - cost / best-worst cost`` over the log. ``progress(done)`` gets the number of
    variants replayed so far.
    """
    counts = checked_variants(variants)
    started = time.perf_counter()
    if method == "token":
        per_variant, log_fitness = _token_replay(counts, model, time_limit, progress)
    elif method == "alignments":
        per_variant, log_fitness = _alignments(counts, model, time_limit, progress)
    else:
        raise InputError(f"unknown fitness method {method!r}.",
                         fix="use 'token' or 'alignments'.")
    unchecked = len(counts) - len(per_variant)
    checked = sum(counts[v] for v in per_variant)
    fitting = sum(counts[v] for v, fit in per_variant.items() if fit.fits)
    return Fitness(method, log_fitness, fitting / checked if checked else 0.0, per_variant,
                   unchecked, time.perf_counter() - started)


def _event_log(variants: Iterable[tuple[str, ...]]) -> Any:
    from pm4py.objects.log.obj import EventLog

    return EventLog([_trace(v) for v in variants])


def _trace(variant: tuple[str, ...]) -> Any:
    from pm4py.objects.log.obj import Event, Trace

    return Trace([Event({"concept:name": a}) for a in variant])


def _token_replay(counts: Counter[tuple[str, ...]], model: Model, time_limit: float,
                  progress: Callable[[int], None] | None
                  ) -> tuple[dict[tuple[str, ...], VariantFit], float]:
    """Token replay in batches of variants, most frequent first, until ``time_limit``."""
    quiet_pm4py()
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay

    known = {t.label for t in model.net.transitions if t.label is not None}
    deadline = time.perf_counter() + time_limit
    ordered = sorted(counts, key=lambda v: (-counts[v], v))
    per_variant, totals = {}, Counter[str]()
    for start in range(0, len(ordered), TOKEN_BATCH):
        if time.perf_counter() >= deadline:
            break
        batch = ordered[start:start + TOKEN_BATCH]
        results = token_replay.apply(_event_log(batch), model.net, model.initial, model.final,
                                     parameters={"show_progress_bar": False})
        for variant, result in zip(batch, results, strict=True):
            fits = bool(result["trace_is_fit"]) and known.issuperset(variant)
            per_variant[variant] = VariantFit(float(result["trace_fitness"]), fits, None)
            for key in ("missing_tokens", "consumed_tokens", "remaining_tokens",
                        "produced_tokens"):
                totals[key] += counts[variant] * result[key]
        if progress is not None:
            progress(len(per_variant))
    if not totals["consumed_tokens"] or not totals["produced_tokens"]:
        return per_variant, 0.0
    return per_variant, (0.5 * (1 - totals["missing_tokens"] / totals["consumed_tokens"])
                         + 0.5 * (1 - totals["remaining_tokens"] / totals["produced_tokens"]))


def _alignments(counts: Counter[tuple[str, ...]], model: Model, time_limit: float,
                progress: Callable[[int], None] | None
                ) -> tuple[dict[tuple[str, ...], VariantFit], float]:
    quiet_pm4py()
    from pm4py.algo.conformance.alignments.petri_net import algorithm as align
    from pm4py.util import exec_utils

    variant = align.DEFAULT_VARIANT
    params: dict[Any, Any] = {"show_progress_bar": False}
    with _quiet_numpy():
        params[align.Parameters.BEST_WORST_COST_INTERNAL] = exec_utils.get_variant(
            variant).get_best_worst_cost(model.net, model.initial, model.final, parameters={})
    deadline = time.perf_counter() + time_limit
    per_variant: dict[tuple[str, ...], VariantFit] = {}
    cost = bwc = 0.0
    for done, trace in enumerate(sorted(counts, key=lambda v: (-counts[v], v)), 1):
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        params[align.Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = left
        with _quiet_numpy():
            result = align.apply_trace(_trace(trace), model.net, model.initial, model.final,
                                       parameters=dict(params), variant=variant)
        if result is not None and "fitness" in result:
            per_variant[trace] = VariantFit(float(result["fitness"]), result["fitness"] == 1.0,
                                            float(result["cost"] // MOVE_COST))
            cost += counts[trace] * result["cost"]
            bwc += counts[trace] * result["bwc"]
        if progress is not None:
            progress(done)
    return per_variant, (1.0 - cost / bwc if bwc > 0 else 0.0)


@contextlib.contextmanager
def _quiet_numpy() -> Iterator[None]:
    """Silence numpy's PendingDeprecationWarning about ``numpy.matrix``, raised by pm4py's A*
    alignments on every call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        yield
