"""Every variant of a log with its cases (for discovery and conformance)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from procflow.measure.prepare import Prepared

EXAMPLES = 5


@dataclass
class CaseVariants:
    """Each activity sequence with its number of cases and a few of their case ids."""

    counts: Counter[tuple[str, ...]] = field(default_factory=Counter)
    examples: dict[tuple[str, ...], list[str]] = field(default_factory=dict)


def case_variants(prep: Prepared, *, examples: int = EXAMPLES) -> CaseVariants:
    """Variants of the prepared log, in the engine's case order (METRICS §2–3)."""
    rows = prep.rows(
        "SELECT d.name AS case_name, string_agg(CAST(s.activity AS VARCHAR), ',' ORDER BY s.seq)"
        " AS codes FROM pf_steps s JOIN pf_dict_case_id d ON d.code = s.case_id "
        "GROUP BY d.name ORDER BY d.name")
    out = CaseVariants()
    for r in rows:
        variant = tuple(str(prep.name("activity", int(c))) for c in r["codes"].split(","))
        out.counts[variant] += 1
        kept = out.examples.setdefault(variant, [])
        if len(kept) < examples:
            kept.append(str(r["case_name"]))
    return out
