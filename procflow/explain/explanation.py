"""``explain()``: the attributes behind a target's delays, as ``explain.json``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from procflow.calendar import Calendar
from procflow.core.i18n import Lang, Texts
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.explain.factors import factor_table
from procflow.explain.narrative import sentences
from procflow.explain.strata import confounding, decision_tree
from procflow.explain.targets import Target, describe_rows, parse_target, target_rows
from procflow.measure.analysis import checked_settings
from procflow.measure.prepare import HandoffBy, Settings
from procflow.result import JsonResult

#: Defaults: values with fewer cases are pooled; at most this many values per field.
MIN_CASES = 30
MAX_VALUES = 20
ALPHA = 0.05
RESAMPLES = 1000


@dataclass
class Explanation(JsonResult):
    """Why a target is slow; ``to_dict()`` is ``explain.json``."""

    FILENAME: ClassVar[str] = "explain.json"


def explain(
    log: EventLog | str | Path,
    target: str | Target = "cycle_time",
    *,
    decisions: str | None = None,
    decision_activities: Sequence[str] | None = None,
    handoff_by: HandoffBy | None = None,
    calendar: str | Calendar | None = None,
    calendar_zone: str | None = None,
    sla: Sequence[str] | None = None,
    pause: Sequence[str] | None = None,
    min_cases: int = MIN_CASES,
    max_values: int = MAX_VALUES,
    alpha: float = ALPHA,
    resamples: int = RESAMPLES,
    seed: int = 0,
    lang: Lang = "en",
    **read_options: Any,
) -> Explanation:
    """Which values of which fields go with a longer ``target`` in ``log`` (an EventLog or a
    file read with ``read_options``).

    ``target``: ``cycle_time``, ``decision:ACTIVITY`` (the decision latency of each instance
    of the activity), ``wait:ACTIVITY`` (waiting before it), ``handoffs``, ``layers`` or
    ``sla`` (breach of the first service standard of ``sla``, with a ``calendar``). Every
    (field, value) of the candidate fields with at least ``min_cases`` cases is compared
    with the rest (medians, bootstrap CI, Mann–Whitney, Cliff's delta, Benjamini–Hochberg);
    the strongest are checked within strata of the next strongest field and a tree of
    depth ≤ 3 shows their interactions; ``sentences`` say it in ``lang``.

    Example: ``procflow.explain(log, "decision:Persetujuan Kepala Bidang")``.
    """
    if min_cases < 1 or max_values < 1 or resamples < 1 or not 0 < alpha < 1:
        raise InputError("min_cases, max_values and resamples must be at least 1 and alpha "
                         "between 0 and 1.", fix="e.g. --min-cases 30 --alpha 0.05.")
    aim = parse_target(target) if isinstance(target, str) else target
    settings = checked_settings(decisions, decision_activities, handoff_by, Settings.top_variants,
                                calendar, calendar_zone, sla, pause)
    if not isinstance(log, EventLog):
        from procflow.api import read

        log = read(log, **read_options)
    rows = target_rows(log, aim, settings)
    share = aim.unit == "share"
    values = rows.frame["value"].to_numpy()
    factors, fields, groupings = factor_table(
        rows.frame, rows.fields, rows.cases, share=share, min_cases=min_cases,
        max_values=max_values, resamples=resamples, seed=seed, alpha=alpha)
    checks = confounding(factors, groupings, values, alpha=alpha, share=share)
    tree = decision_tree(factors, groupings, values, min_rows=min_cases, seed=seed)
    block: dict[str, Any] = {"name": aim.name, "kind": aim.kind, "activity": aim.activity,
                             "unit": aim.unit, "working_time": rows.working,
                             **describe_rows(rows)}
    if rows.decision_step is not None:
        block["decision_step"] = rows.decision_step
    if rows.day_seconds is not None:
        block["day_seconds"] = rows.day_seconds
    if share:
        block["sla"] = {"of": rows.sla_of, "limit_days": rows.limit_days}
    data: dict[str, Any] = {
        "log": log.name, "target": block,
        "settings": {"min_cases": min_cases, "max_values": max_values, "alpha": alpha,
                     "resamples": resamples, "seed": seed, "lang": lang},
        "fields": fields, "factors": factors, "confounding": checks, "tree": tree,
    }
    if log.selection is not None:
        data["filter"] = log.selection
    data["sentences"] = sentences(data, Texts(lang))
    return Explanation(data)
