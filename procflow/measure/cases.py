"""The cases behind a number: one row per case with its part of each figure of analysis.json.

Every column comes from the same step and case tables as ``analysis.json`` (:func:`prepare`),
so the column sums, medians and counts are the log's figures: the handoffs add up to
``handoffs.total``, the median cycle time is ``cycle_time.median``, the decision latencies add
up to ``decisions.overall.total``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from procflow.eventlog import EventLog
from procflow.ingest.schema import ATTRIBUTE_PREFIX
from procflow.measure import queries as q
from procflow.measure.prepare import HandoffBy, Settings, prepared

if TYPE_CHECKING:
    import pandas as pd

CaseSort = Literal["cycle", "events", "handoffs", "layers", "latency"]
#: The column each sort orders by (largest first).
SORT_COLUMNS: dict[str, str] = {"cycle": "cycle_time", "events": "events",
                                "handoffs": "handoffs", "layers": "layers",
                                "latency": "decision_latency"}
COLUMNS = ("case_id", "arrival", "completion", "cycle_time", "events", "variant", "handoffs",
           "layers", "ping_pongs", "decision_latency")


@dataclass
class CaseTable:
    """The table (``frame``, one row per case) and what its counts were made with."""

    frame: pd.DataFrame
    handoff_by: HandoffBy | None
    layers_by: str | None
    decisions: list[str]


def case_table(log: EventLog, settings: Settings | None = None, *,
               sort: CaseSort = "cycle") -> CaseTable:
    """One row per case of ``log``: ``case_id``, ``arrival`` and ``completion`` (UTC),
    ``cycle_time`` (seconds), ``events`` (rows of the log), ``variant`` (the rank of the
    case's variant, 1 = the most frequent, as ``variants.top``), ``handoffs``, ``layers``,
    ``ping_pongs``, ``decision_latency`` (the sum over its decisions, seconds; empty without
    one), ``working_cycle_time`` with a calendar, then the case attributes (``attr:``
    columns with one value per case). Sorted by ``sort``, largest first, then by case id."""
    attributes = _case_attributes(log)
    with prepared(log, settings or Settings()) as prep:
        layers, join_layers = "CAST(NULL AS BIGINT)", ""
        if prep.layers_by is not None and prep.chosen:
            prep.backend.create("pf_layers", q.layers(prep.layers_by)["from_cases"])
            layers, join_layers = "l.layers", "LEFT JOIN pf_layers l ON l.case_id = c.case_id"
        working = ", c.w_cycle_time AS working_cycle_time" if prep.clock is not None else ""
        values = "".join(f", any_value({_quote(a)}) AS {_quote(a)}" for a in attributes)
        picked = "".join(f", e.{_quote(a)}" for a in attributes)
        sql = f"""
            SELECT d.name AS case_id, CAST(make_timestamp(c.arrival_us) AS TIMESTAMPTZ)
                   AS arrival, CAST(make_timestamp(c.completion_us) AS TIMESTAMPTZ)
                   AS completion, c.cycle_time, e.events, r.rank AS variant,
                   c.handoffs, {layers} AS layers, c.ping_pongs,
                   t.latency AS decision_latency{working}{picked}
            FROM pf_cases c
            JOIN pf_dict_case_id d ON d.code = c.case_id
            JOIN ({q.variant_ranks("pf_cases")}) r ON r.variant = c.variant
            JOIN (SELECT case_id, count(*) AS events{values} FROM {log.table}
                  GROUP BY case_id) e ON e.case_id = d.name
            {join_layers}
            LEFT JOIN (SELECT case_id, sum(elapsed) AS latency FROM pf_steps
                       WHERE is_decision AND seq > 1 GROUP BY case_id) t
                   ON t.case_id = c.case_id
            ORDER BY {SORT_COLUMNS[sort]} DESC NULLS LAST, d.name"""
        frame = log.con.execute(sql).df()
        granularity, layers_by = prep.granularity, prep.layers_by if prep.chosen else None
        chosen = list(prep.chosen)
    for name in ("events", "variant", "handoffs", "layers", "ping_pongs"):
        frame[name] = frame[name].astype("Int64")
    return CaseTable(frame, granularity, layers_by, chosen)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _case_attributes(log: EventLog) -> list[str]:
    """The ``attr:`` columns whose values never differ within a case (empty values aside)."""
    attributes = [c for c in log.columns() if c.startswith(ATTRIBUTE_PREFIX)]
    if not attributes:
        return []
    checks = ", ".join(f"bool_and(n{i} <= 1)" for i in range(len(attributes)))
    counts = ", ".join(f"count(DISTINCT {_quote(a)}) AS n{i}" for i, a in enumerate(attributes))
    found = log.con.execute(f"SELECT {checks} FROM (SELECT {counts} FROM {log.table} "
                            "GROUP BY case_id)").fetchall()[0]
    return [a for a, constant in zip(attributes, found, strict=True) if constant]
