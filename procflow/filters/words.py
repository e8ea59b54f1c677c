"""Filters in words, for reports and the terminal: "cases that started from … to …"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from procflow.core.i18n import Texts
from procflow.filters.spec import (
    CaseIds,
    Duration,
    Ends,
    Filter,
    Handoff,
    Layers,
    Order,
    Period,
    Split,
    TopVariants,
    Values,
    from_list,
)


def describe(item: Filter, t: Texts, zone: str | None = None) -> str:
    """One filter as a phrase; ``zone`` is the zone its dates were read in."""
    if isinstance(item, Period):
        return _period(item, t, zone)
    if isinstance(item, Values):
        return _values(item, t)
    if isinstance(item, TopVariants):
        return (t("cases of the most frequent variant") if item.n == 1 else
                t("cases of the {n} most frequent variants", n=t.integer(item.n)))
    if isinstance(item, Duration):
        return t("cases whose cycle time is {span}", span=_duration_span(item, t))
    if isinstance(item, Ends):
        activities = either(item.activities, t)
        return (t("cases starting with {activities}", activities=activities)
                if item.kind == "starts_with"
                else t("cases ending with {activities}", activities=activities))
    if isinstance(item, Order):
        if item.source is None:
            return t("cases where {b} comes after an earlier step", b=_quoted(item.target))
        a, b = _quoted(item.source), _quoted(item.target)
        return (t("cases where {b} comes right after {a}", a=a, b=b)
                if item.kind == "directly_follows"
                else t("cases where {a} is followed, at any later point, by {b}", a=a, b=b))
    if isinstance(item, CaseIds):
        n = t.integer(len(item.ids))
        return (t("the {n} cases listed in {file}", n=n, file=item.file) if item.file
                else t("the {n} cases listed", n=n))
    if isinstance(item, Handoff):
        a, b = _quoted(item.source), _quoted(item.target)
        return (t("cases where the work passes directly from {a} to {b}", a=a, b=b)
                if item.by is None else
                t("cases where the work passes directly from {by} {a} to {b}",
                  by=t(item.by), a=a, b=b))
    if isinstance(item, Layers):
        sequence = " → ".join(item.sequence)
        return (t("cases whose approval layers are {sequence}", sequence=sequence)
                if item.by is None else
                t("cases whose approval layers ({by}) are {sequence}", by=t(item.by),
                  sequence=sequence))
    assert isinstance(item, Split)
    return (t("cases arriving before {at}", at=item.at) if item.side == "before"
            else t("cases arriving from {at} on", at=item.at))


def _period(item: Period, t: Texts, zone: str | None) -> str:
    span = _span(item.start, item.end, t)
    if zone and any(b and not _has_offset(b) for b in (item.start, item.end)):
        span = t("{span} ({zone} time)", span=span, zone=zone)
    if item.mode == "started":
        return t("cases that started {span}", span=span)
    if item.mode == "completed":
        return t("cases that were completed {span}", span=span)
    if item.mode == "contained":
        return t("cases that ran entirely {span}", span=span)
    if item.mode == "intersecting":
        return t("cases that were open at some time {span}", span=span)
    return t("only the events {span} (the others cut)", span=span)


def _values(item: Values, t: Texts) -> str:
    field, values = field_word(item.field, t), either(item.values, t)
    if item.kind == "with":
        return t("cases with an event whose {field} is {values}", field=field, values=values)
    if item.kind == "without":
        return t("cases without any event whose {field} is {values}", field=field,
                 values=values)
    if item.kind == "keep_events":
        return t("only the events whose {field} is {values}", field=field, values=values)
    return t("all events but those whose {field} is {values}", field=field, values=values)


def field_word(field: str, t: Texts) -> str:
    """A canonical field's name in words (an attribute by its own name, as the log has it)."""
    words = {"activity": t("activity"), "case_id": t("case id"), "resource": t("resource"),
             "role": t("role"), "unit": t("unit"), "level": t("level"),
             "lifecycle": t("lifecycle")}
    return words.get(field, field.removeprefix("attr:"))


def describe_block(block: dict[str, Any], t: Texts) -> list[str]:
    """The filters of a ``filter`` block in words, in the order applied."""
    steps = block.get("steps") or []
    return [describe(item, t, steps[i].get("zone") if i < len(steps) else None)
            for i, item in enumerate(from_list(block["filters"]))]


def kept_text(block: dict[str, Any], t: Texts) -> str:
    """"x of y cases (z%), u of v events"."""
    cases, events = block["cases"], block["events"]
    return t("{kept} of {total} cases ({share}), {events} of {all_events} events",
             kept=t.integer(cases["kept"]), total=t.integer(cases["total"]),
             share=t.percent(cases["share"], 1), events=t.integer(events["kept"]),
             all_events=t.integer(events["total"]))


def summary_lines(block: dict[str, Any] | None, t: Texts | None = None) -> list[str]:
    """The terminal's lines on a filtered log: what was kept, and each filter."""
    if not block:
        return []
    t = t or Texts("en")
    lines = [t("Filtered: {kept}", kept=kept_text(block, t))]
    lines += [f"  {i}. {text}" for i, text in enumerate(describe_block(block, t), 1)]
    return lines


def either(values: Sequence[str], t: Texts) -> str:
    """“A”, “B” or “C”."""
    quoted = [_quoted(v) for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return t("{items} or {last}", items=", ".join(quoted[:-1]), last=quoted[-1])


def _quoted(value: str) -> str:
    return f"“{value}”"


def _span(start: str | None, end: str | None, t: Texts) -> str:
    if start and end:
        return t("from {start} to {end}", start=start, end=end)
    if start:
        return t("from {start} on", start=start)
    return t("up to {end}", end=end)


def _duration_span(item: Duration, t: Texts) -> str:
    if item.low is not None and item.high is not None:
        return t("between {low} and {high}", low=t.duration(item.low),
                 high=t.duration(item.high))
    if item.low is not None:
        return t("at least {low}", low=t.duration(item.low))
    return t("at most {high}", high=t.duration(item.high))


def _has_offset(text: str) -> bool:
    """Whether an ISO time names its zone (``Z`` or ``+08:00``); dates do not."""
    try:
        return len(text) > 10 and dt.datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
