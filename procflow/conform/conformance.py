"""Check a log against a to-be model: fitness, deviations by kind, steps over their norm.

The reference is a BPMN 2.0 or PNML file, or an SOP table (:mod:`procflow.conform.sop`).
Fitness comes
from pm4py (token-based replay, or alignments on request) run once per variant; deviations are
procflow's own (:mod:`procflow.conform.deviations`), counted in cases and occurrences.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from procflow import mine
from procflow.conform.deviations import KINDS, Deviation, Reference, deviations
from procflow.conform.sop import Sop, is_sop_file, read_sop
from procflow.eventlog import EventLog
from procflow.measure.prepare import Prepared, Settings, prepared
from procflow.measure.variants import CaseVariants, case_variants
from procflow.result import JsonResult

Method = Literal["token", "alignments"]
Found = dict[tuple[str, ...], list[Deviation]]
EXAMPLES = 5
#: More example ids than any variant has cases: every case id (for the case sets).
ALL_CASES = 1 << 62
TOP_VARIANTS = 20
#: ``progress(done)`` of :func:`conform` counts in thousandths of the variants.
PROGRESS_STEPS = 1000
#: The groups of :func:`_outcomes`, each case in one.
OUTCOMES = ("fitting", "deviating", "not_fitting_other", "unchecked")
#: Each deviation kind in words (messages of the catalog).
KIND_WORDS = {"extra_approval_layer": "extra decision step", "extra_step": "extra step",
              "skipped_step": "skipped mandatory step", "wrong_order": "wrong order",
              "rework": "rework (went back)"}


@dataclass
class Conformance(JsonResult):
    """The result of one check; ``to_dict()`` is ``conformance.json``."""

    FILENAME: ClassVar[str] = "conformance.json"
    #: With ``conform(..., case_sets=True)``: the case ids behind each count, by key
    #: (:func:`case_set_keys`); not part of ``conformance.json``.
    case_sets: dict[str, list[str]] | None = None


def load_reference(path: Path) -> tuple[mine.Model, Sop | None]:
    """A model from a BPMN/PNML file, or from an SOP table (with the table)."""
    if is_sop_file(path):
        sop = read_sop(path)
        return mine.sequence_model(sop.sequence, name=Path(path).stem), sop
    return mine.read_model(path), None


def conform(
    log: EventLog,
    reference: Path,
    *,
    method: Method = "token",
    decisions: str | None = None,
    decision_activities: list[str] | None = None,
    time_limit: float = 120.0,
    progress: Callable[[int], None] | None = None,
    model_name: str | None = None,
    case_sets: bool = False,
) -> Conformance:
    """Check ``log`` against the model or SOP table in ``reference``; ``progress(done)`` gets
    the thousandths of variants replayed so far. ``model_name`` is the model's name as the
    user knows it (an uploaded file's own name), else the file's stem; ``case_sets`` keeps
    the case ids behind each count (``Conformance.case_sets``)."""
    model, sop = load_reference(Path(reference))
    settings = Settings(decisions,
                        None if decision_activities is None else tuple(decision_activities))
    with prepared(log, settings) as prep:
        cases = case_variants(prep, examples=ALL_CASES if case_sets else EXAMPLES)
        chosen = list(prep.chosen)
        norms = _norms(prep, sop) if sop else None
    shape = mine.profile(model)
    logged = {a for variant in cases.counts for a in variant}
    shared = logged & shape.activities
    fit = (mine.fitness(cases.counts, model, method=method, time_limit=time_limit,
                        progress=_scaled(progress, len(cases.counts))) if shared else None)
    ref = Reference.of(shape.activities, shape.mandatory, shape.follows, shape.starts,
                       shape.ends)
    found = {v: deviations(v, ref, set(chosen)) for v in cases.counts}
    total = sum(cases.counts.values())
    deviating = sum(n for v, n in cases.counts.items() if found[v])
    shadow = _kind_cases(cases, found, "extra_approval_layer")
    missing = sorted(logged - shape.activities)
    summary = _summarise(cases, found)
    return Conformance({
        "log": log.name,
        "model": {"name": model_name or model.name, "source": _source(model, model_name),
                  "activities": sorted(shape.activities), "mandatory": sorted(shape.mandatory)},
        "cases": total,
        "fitness": {"method": method,
                    "log_fitness": fit.log_fitness if fit and fit.per_variant else None,
                    "fitting_share": fit.fitting_share if fit else 0.0,
                    "unchecked_variants": fit.unchecked if fit else 0,
                    "seconds": round(fit.seconds, 3) if fit else 0.0},
        "deviating_cases": deviating,
        "deviating_share": deviating / total if total else None,
        "outcomes": _outcomes(cases, found, fit),
        "not_in_model": {"activities": missing, "count": len(missing),
                         "log_activities": len(logged),
                         "cases": sum(n for v, n in cases.counts.items()
                                      if not shape.activities.issuperset(v))},
        "warnings": [] if shared else [{
            "code": "no_shared_activities", "log_activities": len(logged),
            "model_activities": len(shape.activities),
            "message": "the model shares no activity with the log, so fitness cannot be "
                       "measured; check that the model is of this process and names its "
                       "steps as the log does."}],
        "deviations": summary,
        "shadow_layer": {"cases": shadow, "share": shadow / total if total else None,
                         "activities": sorted({d.subject for ds in found.values() for d in ds
                                               if d.kind == "extra_approval_layer"})},
        "decision_activities": chosen,
        "norms": norms,
        "variants": _top_variants(cases, found, fit),
        **({"filter": log.selection} if log.selection else {}),
    }, _case_sets(cases, found, summary["items"]) if case_sets else None)


def _source(model: mine.Model, name: str | None) -> str:
    """Where the model came from, naming the file as the user knows it."""
    kind, sep, _ = model.source.partition(":")
    return f"{kind}:{name}" if name and sep else model.source


def _outcomes(cases: CaseVariants, found: Found, fit: mine.Fitness | None) -> dict[str, Any]:
    """Every case in exactly one group, so that the shares add up to 1: ``fitting`` (replays
    on the model and has no deviation), ``deviating`` (at least one deviation, whatever the
    replay), ``not_fitting_other`` (does not replay, yet has none of the deviation kinds) and
    ``unchecked`` (not replayed within the time limit, no deviation)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    per_variant = fit.per_variant if fit else {}
    for variant, n in cases.counts.items():
        replay = per_variant.get(variant)
        if found[variant]:
            counts["deviating"] += n
        elif replay is None:
            counts["unchecked" if fit else "not_fitting_other"] += n
        else:
            counts["fitting" if replay.fits else "not_fitting_other"] += n
    total = sum(counts.values())
    return {"cases": counts,
            "shares": {k: v / total if total else None for k, v in counts.items()}}


def _kind_cases(cases: CaseVariants, found: Found, kind: str) -> int:
    return sum(n for v, n in cases.counts.items() if any(d.kind == kind for d in found[v]))


def _summarise(cases: CaseVariants, found: Found) -> dict[str, Any]:
    """Deviations by kind and by (kind, subject): cases, occurrences and example cases."""
    items: dict[Deviation, dict[str, Any]] = defaultdict(
        lambda: {"cases": 0, "occurrences": 0, "examples": []})
    for variant, n in cases.counts.items():
        for dev, times in Counter(found[variant]).items():
            item = items[dev]
            item["cases"] += n
            item["occurrences"] += n * times
            room = EXAMPLES - len(item["examples"])
            item["examples"] += cases.examples[variant][:room]
    listed = [{"kind": d.kind, "subject": d.subject, **v, "examples": sorted(v["examples"])}
              for d, v in items.items()]
    listed.sort(key=lambda i: (-i["cases"], KINDS.index(i["kind"]), i["subject"]))
    by_kind = {k: {"cases": _kind_cases(cases, found, k),
                   "occurrences": sum(i["occurrences"] for i in listed if i["kind"] == k)}
               for k in KINDS}
    return {"by_kind": by_kind, "items": listed}


def _top_variants(cases: CaseVariants, found: Found,
                  fit: mine.Fitness | None) -> list[dict[str, Any]]:
    """The most frequent deviating variants with their deviations and fitness."""
    deviating = sorted((v for v in cases.counts if found[v]),
                       key=lambda v: (-cases.counts[v], v))[:TOP_VARIANTS]
    out = []
    for v in deviating:
        replay = fit.per_variant.get(v) if fit else None
        out.append({"activities": list(v), "cases": cases.counts[v],
                    "fitness": replay.fitness if replay else None,
                    "deviations": [{"kind": d.kind, "subject": d.subject}
                                   for d in sorted(set(found[v]))],
                    "examples": cases.examples[v][:EXAMPLES]})
    return out


def case_set_keys(kind: str | None = None, item: int | None = None) -> str:
    """The key of a case set: all deviating cases, those with a deviation ``kind``, or those
    of the deviation numbered ``item`` (from 0) in ``deviations.items``."""
    return f"kind-{kind}" if kind else f"item-{item}" if item is not None else "deviating"


def _case_sets(cases: CaseVariants, found: Found,
               items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The case ids of every deviating case, of each deviation kind and of each deviation
    (``cases.examples`` holds every case of a variant)."""
    def ids(kind: str | None = None, subject: str | None = None) -> list[str]:
        return sorted(c for v, members in cases.examples.items()
                      if any(kind in (None, d.kind) and subject in (None, d.subject)
                             for d in found[v]) for c in members)

    out = {case_set_keys(): ids()}
    out.update({case_set_keys(kind=k): ids(k) for k in KINDS})
    out.update({case_set_keys(item=i): ids(item["kind"], item["subject"])
                for i, item in enumerate(items)})
    return out


def _norms(prep: Prepared, sop: Sop) -> list[dict[str, Any]]:
    """Per SOP step with a norm: instances timed, how many took longer, the median."""
    codes = {name: code for code, name in prep.names["activity"].items()}
    out = []
    for step in sop.steps:
        if step.norm_seconds is None:
            continue
        row: dict[str, Any] = {"n": 0, "over": 0, "median": None}
        if step.name in codes:
            row = prep.rows(
                f"SELECT count(elapsed) AS n, "
                f"coalesce(sum(CASE WHEN elapsed > {float(step.norm_seconds)} THEN 1 ELSE 0 END),"
                f" 0) AS over, quantile_cont(elapsed, 0.5) AS median "
                f"FROM pf_steps WHERE activity = {int(codes[step.name])}")[0]
        n = int(row["n"])
        out.append({"step": step.name, "actor": step.actor, "norm_seconds": step.norm_seconds,
                    "timed": n, "over": int(row["over"]),
                    "share_over": int(row["over"]) / n if n else None,
                    "median": None if row["median"] is None else float(row["median"])})
    return out


def _scaled(progress: Callable[[int], None] | None, total: int
            ) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(done * PROGRESS_STEPS // max(total, 1))
