"""A conformance check in words: the summary for the terminal and the web page, in English or
Bahasa Indonesia, with the groups of cases as percentages that add up to 100."""

from __future__ import annotations

from typing import Any

from procflow.conform.conformance import KIND_WORDS, OUTCOMES
from procflow.core.i18n import Texts

#: The fitness methods in words (messages of the catalog).
METHOD_WORDS = {"token": "token-based replay", "alignments": "alignments"}
NAMES_SHOWN = 5


def summary_lines(data: dict[str, Any], t: Texts | None = None, top: int = 8) -> list[str]:
    """A short human summary of a conformance check in the language of ``t`` (English by
    default), for the terminal and the web page."""
    t = t or Texts("en")
    fit, cases = data["fitness"], data["cases"]
    lines = [t("{log} against {model}: {cases} cases", log=data["log"],
               model=data["model"]["name"], cases=t.integer(cases))]
    if data.get("warnings"):
        lines.append(t("Warning: the model shares no activity with the log, so fitness cannot "
                       "be measured. Check that the model is of this process and names its "
                       "steps as the log does."))
    else:
        lines.append(t("Fitness ({method}): {fitness}",
                       method=t(METHOD_WORDS.get(fit["method"], fit["method"])),
                       fitness=t.number(fit["log_fitness"], 3)))
    lines += _not_in_model_lines(data, t)
    if fit["unchecked_variants"]:
        lines.append(t.plural(fit["unchecked_variants"], "{n} variant was not checked within "
                              "the time limit; the fitness leaves it out.", "{n} variants were "
                              "not checked within the time limit; the fitness leaves them out."))
    rows = outcome_rows(data, t)
    if rows:
        lines.append(t("Every case in one group (the shares add up to 100%):"))
    else:
        lines.append(t("Deviating cases: {n} ({share})", n=t.integer(data["deviating_cases"]),
                       share=t.percent(data["deviating_share"], 1)))
    lines += [f"  {label}: {t.integer(n)} ({t.number(share, 1)}%)" for label, n, share in rows]
    shadow = data["shadow_layer"]
    if shadow["cases"]:
        lines.append(t("Extra decision steps the model lacks (a possible shadow layer): {cases} "
                       "cases ({share}) at {steps}", cases=t.integer(shadow["cases"]),
                       share=t.percent(shadow["share"], 1),
                       steps=", ".join(shadow["activities"])))
    items = data["deviations"]["items"][:top]
    if items:
        lines.append(t("Most frequent deviations:"))
    for item in items:
        lines.append("  " + t("{kind}: {step} — {cases} cases, e.g. {examples}",
                              kind=t(KIND_WORDS[item["kind"]]), step=item["subject"],
                              cases=t.integer(item["cases"]),
                              examples=", ".join(item["examples"][:3])))
    for norm in data["norms"] or []:
        if norm["share_over"]:
            lines.append(t("Over norm: {step} {share} of {timed} timed steps (norm {norm}, "
                           "median {median})", step=norm["step"],
                           share=t.percent(norm["share_over"]), timed=t.integer(norm["timed"]),
                           norm=t.duration(norm["norm_seconds"]),
                           median=t.duration(norm["median"])))
    return lines


def _not_in_model_lines(data: dict[str, Any], t: Texts) -> list[str]:
    """The activities of the log that the model does not have, when there are any."""
    missing = data.get("not_in_model") or {}
    if not missing.get("count"):
        return []
    names = missing["activities"][:NAMES_SHOWN]
    more = missing["count"] - len(names)
    listed = ", ".join(names) + (t(" and {n} more", n=t.integer(more)) if more else "")
    lines = [t.plural(missing["count"], "{n} of the log's {total} activities is not in the "
                      "model ({cases} cases have it): {names}.", "{n} of the log's {total} "
                      "activities are not in the model ({cases} cases have at least one): "
                      "{names}.",
                      total=t.integer(missing["log_activities"]), cases=t.integer(missing["cases"]),
               names=listed)]
    if data["fitness"]["method"] == "token" and not data.get("warnings"):
        lines.append(t("Token-based replay skips them, so the fitness does not count them; "
                       "those cases never fit the model."))
    return lines


def outcome_rows(data: dict[str, Any], t: Texts) -> list[tuple[str, int, float]]:
    """Each group of cases (:data:`OUTCOMES`) that has cases: its label, cases and percent,
    the percents adding up to exactly 100. Results stored without ``outcomes`` give the fitting
    and deviating cases."""
    labels = {"fitting": t("Cases that fit the model"), "deviating": t("Deviating cases"),
              "not_fitting_other": t("Cases that do not fit, without a named deviation"),
              "unchecked": t("Cases not checked in time")}
    counts = (data.get("outcomes") or {}).get("cases")
    if counts is None:  # stored before outcomes existed: two figures, not parts of one whole
        return []
    shown = [k for k in OUTCOMES if counts.get(k)]
    shares = rounded_shares([counts[k] for k in shown])
    return [(labels[k], counts[k], share) for k, share in zip(shown, shares, strict=True)]


def rounded_shares(counts: list[int], digits: int = 1) -> list[float]:
    """Percentages of ``counts`` rounded to ``digits`` decimals that add up to exactly 100
    (largest remainders get the rounding), all 0 for no counts."""
    total = sum(counts)
    if not total:
        return [0.0] * len(counts)
    unit = 10 ** digits
    raw = [100 * unit * c / total for c in counts]
    floors = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:100 * unit - sum(floors)]:
        floors[i] += 1
    return [f / unit for f in floors]
