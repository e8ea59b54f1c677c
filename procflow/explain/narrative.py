"""An explanation in plain words, in the reader's language: numbers, not adjectives."""

from __future__ import annotations

from typing import Any

from procflow.compare.narrative import p_text, signed
from procflow.core.i18n import DurationUnit, Texts, duration_unit
from procflow.explain.bins import range_edges
from procflow.explain.factors import OTHER, is_significant
from procflow.explain.targets import MISSING, WEEKDAYS

#: Sentences about single factors in the summary.
TOP_SENTENCES = 5
#: Each field's name (``attr:`` fields are named by their attribute).
FIELD_NAMES = {"resource": "resource", "role": "role", "unit": "unit", "level": "level",
               "arrival_month": "arrival month", "arrival_weekday": "arrival weekday",
               "variant": "variant", "has_rework": "rework", "has_ping_pong": "ping-pong",
               "layers": "approval layers"}
#: Each target's name (``{activity}`` for the step's).
TARGET_NAMES = {"cycle_time": "Cycle time", "decision": "Decision latency at {activity}",
                "wait": "Waiting before {activity}", "handoffs": "Handoffs per case",
                "layers": "Approval layers per case"}
#: Conditions said in words for yes/no fields, and for fields whose value fits in a phrase.
CONDITIONS = {("has_rework", "yes"): "the case has rework",
              ("has_rework", "no"): "the case has no rework",
              ("has_ping_pong", "yes"): "work goes back and forth (ping-pong)",
              ("has_ping_pong", "no"): "work never goes back and forth"}
VALUE_CONDITIONS = {"variant": "the case follows variant {value}",
                    "layers": "the case passes {value} approval layers",
                    "arrival_month": "the case arrived in {value}",
                    "arrival_weekday": "the case arrived on a {value}",
                    "level": "the step is done at level {value}"}


def target_name(target: dict[str, Any], t: Texts) -> str:
    """``Decision latency at X``, ``Cycle time``, … (``(working time)`` on a calendar)."""
    kind, activity = target["kind"], target["activity"]
    if kind == "sla":
        sla = target["sla"]
        of = t("the case") if sla["of"] == "case" else sla["of"]
        return t("Breach of the service standard for {of} ({n} working days)", of=of,
                 n=t.number(sla["limit_days"], 0))
    if kind == "decision" and target.get("decision_step") is False:
        name = t("Time before {activity}", activity=activity)  # not a chosen decision step
    else:
        name = (t(TARGET_NAMES[kind], activity=activity) if activity
                else t(TARGET_NAMES[kind]))
    if target["working_time"] and target["unit"] == "seconds":
        name = t("{name} (working time)", name=name)
    return name


def field_name(field: str, t: Texts) -> str:
    """The field in words: an attribute's own name, else the translated field name."""
    if field.startswith("attr:"):
        return field[len("attr:"):]
    return t(FIELD_NAMES.get(field, field))


def value_name(field: str, value: str, t: Texts) -> str:
    """A value in words (weekdays, yes/no, the pooled and missing groups translated)."""
    if value == OTHER:
        return t("other values")
    if value == MISSING:
        return t("no value")
    if field == "arrival_weekday" and value in WEEKDAYS:
        return t(value)
    if field in ("has_rework", "has_ping_pong"):
        return t("yes") if value == "yes" else t("no")
    return value


def condition(field: str, value: str, t: Texts) -> str:
    """``kecamatan is Samarinda Ulu``, ``the case has rework``, … ."""
    if value == OTHER:
        return t("{field} is one of the rarer values", field=field_name(field, t))
    if value == MISSING:
        return t("{field} is empty", field=field_name(field, t))
    if (field, value) in CONDITIONS:
        return t(CONDITIONS[(field, value)])
    edges = range_edges(value) if field.startswith("attr:") else None
    if edges is not None:
        low, high = edges
        name = field_name(field, t)
        if low is None:
            return t("{field} is at most {high}", field=name, high=high)
        if high is None:
            return t("{field} is above {low}", field=name, low=low)
        return t("{field} is above {low} and at most {high}", field=name, low=low, high=high)
    if field == "layers" and value.isdigit():
        return t.plural(int(value), "the case passes {n} approval layer",
                        "the case passes {n} approval layers")
    if field in VALUE_CONDITIONS:
        return t(VALUE_CONDITIONS[field], value=value_name(field, value, t))
    return t("{field} is {value}", field=field_name(field, t), value=value)


def unit_of(target: dict[str, Any]) -> DurationUnit:
    """The duration unit for a target's figures: the one that suits its median."""
    return duration_unit(abs(target.get("median") or 0.0) or 1.0)


def amount(target: dict[str, Any], value: float | None, t: Texts, *,
           change: bool = False) -> str:
    """A target figure: a duration (working days on a calendar's clock), a count, or a share
    (percentage points when ``change``)."""
    if value is None:
        return "–"
    if target["unit"] == "share":
        return (t("{n} percentage points", n=t.number(value * 100, 1)) if change
                else t.percent(value, 1))
    if target["unit"] == "count":
        return t.number(value, 1)
    if target.get("day_seconds"):
        return t("{n} working days", n=t.number(value / target["day_seconds"], 1))
    return t.duration(value, unit_of(target))


def factor_sentence(data: dict[str, Any], factor: dict[str, Any], t: Texts) -> str:
    """One factor: how much longer, with its interval, the cases and the two medians, and
    whether it holds within strata of the next strongest field."""
    target = data["target"]
    ci = factor["ci95"] or [None, None]
    values = {"what": target_name(target, t),
              "diff": amount(target, abs(factor["diff_median"]), t, change=True),
              "lo": amount(target, ci[0], t, change=True),
              "hi": amount(target, ci[1], t, change=True),
              "where": condition(factor["field"], factor["value"], t),
              "cases": t.integer(factor["cases"]),
              "with": amount(target, factor["median_with"], t),
              "without": amount(target, factor["median_without"], t)}
    longer = factor["diff_median"] > 0
    if target["unit"] == "seconds":
        text = t("{what} is {diff} longer (95% CI {lo} to {hi}) where {where} ({cases} cases): "
                 "median {with} against {without}." if longer else
                 "{what} is {diff} shorter (95% CI {lo} to {hi}) where {where} ({cases} "
                 "cases): median {with} against {without}.", **values)
    elif target["unit"] == "count":
        text = t("{what} is {diff} higher (95% CI {lo} to {hi}) where {where} ({cases} cases): "
                 "median {with} against {without}." if longer else
                 "{what} is {diff} lower (95% CI {lo} to {hi}) where {where} ({cases} cases): "
                 "median {with} against {without}.", **values)
    else:
        text = t("{what}: {diff} more often (95% CI {lo} to {hi}) where {where} ({cases} "
                 "cases): {with} against {without}." if longer else
                 "{what}: {diff} less often (95% CI {lo} to {hi}) where {where} ({cases} "
                 "cases): {with} against {without}.", **values)
    check = next((c for c in data["confounding"]
                  if c["field"] == factor["field"] and c["value"] == factor["value"]), None)
    return f"{text} {within_sentence(data, check, t)}".strip() if check else text


def within_sentence(data: dict[str, Any], check: dict[str, Any], t: Texts) -> str:
    """Whether the effect holds within each group of the next strongest field."""
    n, same = check["strata_tested"], check["same_direction"]
    if n < 2:
        return ""
    values = {"within": field_name(check["within"], t), "n": t.integer(n),
              "k": t.integer(same),
              "diff": amount(data["target"], check["diff_within"], t, change=True)}
    if same == n:
        return t("This holds in every group of {within} ({n} groups; {diff} on average "
                 "within them).", **values)
    if same == 0:
        return t("It holds in no group of {within} ({n} groups): {within} may explain it.",
                 **values)
    return t("It holds in {k} of {n} groups of {within} ({diff} on average within them).",
             **values)


def sentences(data: dict[str, Any], t: Texts) -> list[str]:
    """The summary: the target and what was tested, then the strongest factors that
    lengthen it (significant, with an interval above zero), or that none does."""
    target, settings = data["target"], data["settings"]
    factors = data["factors"]
    significant = [f for f in factors if is_significant(f, settings["alpha"])]
    values = {"what": target_name(target, t), "median": amount(target, target["median"], t),
              "share": amount(target, target["mean"], t), "rows": t.integer(target["rows"]),
              "cases": t.integer(target["cases"]), "tested": t.integer(len(factors)),
              "fields": t.integer(sum(1 for f in data["fields"] if f["tested"])),
              "found": t.integer(len(significant)), "alpha": t.number(settings["alpha"], 2)}
    lines = [t("{what}: {share} of {rows} rows ({cases} cases) in breach. {tested} values of "
               "{fields} fields were compared with the rest; {found} differ significantly "
               "(Benjamini–Hochberg, α = {alpha})." if target["unit"] == "share" else
               "{what}: median {median} over {rows} rows ({cases} cases). {tested} values of "
               "{fields} fields were compared with the rest; {found} differ significantly "
               "(Benjamini–Hochberg, α = {alpha}).", **values)]
    # Said in words: significant, longer, and an interval that excludes no difference.
    longer = [f for f in significant if f["diff_median"] > 0
              and is_clear(f, settings["alpha"])][:TOP_SENTENCES]
    lines += [factor_sentence(data, f, t) for f in longer]
    if not longer:
        lines.append(t("No value of any field goes with a significantly longer or higher "
                       "{what}.", what=target_name(target, t)))
    return lines


def factor_rows(data: dict[str, Any], t: Texts) -> list[dict[str, Any]]:
    """The factor table in the reader's language (report, web page and spreadsheet)."""
    target, alpha = data["target"], data["settings"]["alpha"]
    rows = []
    for f in data["factors"]:
        ci = f["ci95"]
        rows.append({
            "field": field_name(f["field"], t), "value": value_name(f["field"], f["value"], t),
            "cases": t.integer(f["cases"]), "with": amount(target, f["median_with"], t),
            "without": amount(target, f["median_without"], t),
            "diff": ("+" if f["diff_median"] > 0 else "")
            + amount(target, f["diff_median"], t, change=True),
            "ci": interval(target, ci, t),
            "p": p_text(f["p_adjusted"], t), "delta": signed(f["cliffs_delta"], t),
            "impact": amount(target, f["impact"], t, change=True),
            "significant": is_clear(f, alpha), "longer": f["diff_median"] > 0})
    return rows


def is_clear(factor: dict[str, Any], alpha: float) -> bool:
    """Significant, with the difference of medians, its interval and Cliff's delta all on
    the same side of zero (the rows coloured as longer or shorter)."""
    diff, ci, delta = factor["diff_median"], factor["ci95"], factor["cliffs_delta"]
    if not is_significant(factor, alpha) or diff == 0 or (delta > 0) != (diff > 0):
        return False
    return ci is None or (ci[0] > 0 if diff > 0 else ci[1] < 0)


def interval(target: dict[str, Any], ci: list[float] | None, t: Texts) -> str:
    """``3.8 … 4.4 days``: the unit said once when both ends share it."""
    if not ci:
        return "–"
    lo, hi = amount(target, ci[0], t, change=True), amount(target, ci[1], t, change=True)
    lo_number, _, lo_unit = lo.partition(" ")
    if lo_unit and hi.partition(" ")[2] == lo_unit:
        lo = lo_number
    return f"{lo} … {hi}"
