"""Filters as data: one class per shape, each to and from a JSON object.

A filter list is JSON as ``[{"kind": "period", ...}, {"kind": "with", ...}]``; :func:`to_json`
of :func:`from_json` gives the same text back for what :func:`to_json` wrote.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from procflow.errors import InputError
from procflow.filters.timespec import (
    DURATION_EXAMPLE,
    PERIOD_EXAMPLE,
    check_bound,
    instant,
    seconds,
    zone_info,
)

PeriodMode = Literal["started", "completed", "contained", "intersecting", "trim"]
PERIOD_MODES: tuple[PeriodMode, ...] = get_args(PeriodMode)
ValueKind = Literal["with", "without", "keep_events", "drop_events"]
EndKind = Literal["starts_with", "ends_with"]
OrderKind = Literal["follows", "directly_follows"]
Side = Literal["before", "after"]
Granularity = Literal["resource", "role", "unit"]
GRANULARITIES: tuple[Granularity, ...] = get_args(Granularity)
LayerBy = Literal["level", "role"]
LAYER_BYS: tuple[LayerBy, ...] = get_args(LayerBy)
#: The command-line option of each kind (messages name it).
OPTIONS = {"period": "--period", "with": "--with", "without": "--without",
           "keep_events": "--keep-events", "drop_events": "--drop-events",
           "top_variants": "--top-variants", "duration": "--duration",
           "starts_with": "--starts-with", "ends_with": "--ends-with", "follows": "--follows",
           "directly_follows": "--directly-follows", "cases": "--cases", "split": "--split",
           "handoff": "--handoff", "layers": "--layer-sequence"}


@dataclass(frozen=True)
class Period:
    """Cases by when they ran (``mode``), or, with ``trim``, only the events in the period.

    ``start``/``end`` are dates or ISO instants (None: open); a date is the start (end) of
    that day in ``tz``, else the log's import zone, else UTC."""

    start: str | None = None
    end: str | None = None
    mode: PeriodMode = "started"
    tz: str | None = None
    kind: ClassVar[str] = "period"

    def __post_init__(self) -> None:
        if self.mode not in PERIOD_MODES:
            raise InputError(f"--period-mode {self.mode!r} is not a mode.",
                             fix=f"use one of {', '.join(PERIOD_MODES)}.")
        if self.start is None and self.end is None:
            raise InputError("--period needs a start, an end or both.",
                             fix=f"e.g. {PERIOD_EXAMPLE}.")
        for bound in (self.start, self.end):
            if bound is not None:
                check_bound(bound)
        if self.tz is not None:
            zone_info(self.tz)
        if self.start is not None and self.end is not None:
            zone = self.tz or "UTC"
            if instant(self.start, zone, end=False) > instant(self.end, zone, end=True):
                raise InputError(f"--period {self.start}..{self.end}: the start is after the "
                                 "end.", fix=f"give FROM..TO in that order, e.g. {PERIOD_EXAMPLE}.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "from": self.start, "to": self.end, "mode": self.mode,
                "tz": self.tz}


@dataclass(frozen=True)
class Values:
    """``with``/``without``: whole cases having (not having) an event whose ``field`` is one
    of ``values``; ``keep_events``/``drop_events``: only (all but) such events."""

    kind: ValueKind
    field: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.field:
            raise InputError(f"{OPTIONS[self.kind]}: no field given.",
                             fix=f"write FIELD=V1,V2, e.g. {OPTIONS[self.kind]} activity=Approve.")
        if not self.values:
            raise InputError(f"{OPTIONS[self.kind]} {self.field}=: no value given.",
                             fix=f"write FIELD=V1,V2, e.g. {OPTIONS[self.kind]} "
                                 f"{self.field}=VALUE.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "field": self.field, "values": list(self.values)}


@dataclass(frozen=True)
class TopVariants:
    """The cases of the ``n`` most frequent variants (ties in activity-name order)."""

    n: int
    kind: ClassVar[str] = "top_variants"

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise InputError(f"--top-variants {self.n!r}: give a whole number of at least 1.",
                             fix="e.g. --top-variants 5.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n": self.n}


@dataclass(frozen=True)
class Duration:
    """Cases whose cycle time is between ``low`` and ``high`` seconds (inclusive; None:
    open)."""

    low: float | None = None
    high: float | None = None
    kind: ClassVar[str] = "duration"

    def __post_init__(self) -> None:
        for value in (self.low, self.high):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise InputError(f"--duration: {value!r} is not a duration.",
                                 fix=f"write it as in {DURATION_EXAMPLE}.")
        if self.low is None and self.high is None:
            raise InputError("--duration needs a minimum, a maximum or both.",
                             fix=f"e.g. {DURATION_EXAMPLE}.")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise InputError("--duration: the minimum is above the maximum.",
                             fix=f"give MIN..MAX in that order, e.g. {DURATION_EXAMPLE}.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "min": self.low, "max": self.high}


@dataclass(frozen=True)
class Ends:
    """Cases whose first (``starts_with``) or last (``ends_with``) activity is one of
    ``activities``."""

    kind: EndKind
    activities: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.activities:
            raise InputError(f"{OPTIONS[self.kind]}: no activity given.",
                             fix=f"e.g. {OPTIONS[self.kind]} 'Pendaftaran,Registrasi'.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "activities": list(self.activities)}


@dataclass(frozen=True)
class Order:
    """Cases where ``source`` is followed by ``target``: at any later point (``follows``) or
    as the very next activity (``directly_follows``). Without a ``source`` (None), cases
    where ``target`` comes after any earlier step: an instance of it that is not the case's
    first step (the cases behind its waiting time and decision latency)."""

    kind: OrderKind
    source: str | None
    target: str

    def __post_init__(self) -> None:
        if self.source == "" or not self.target:
            raise InputError(f"{OPTIONS[self.kind]}: give two activities.",
                             fix=f'write it as {OPTIONS[self.kind]} "A>B" (or ">B": B after '
                                 'any step).')

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "from": self.source, "to": self.target}


@dataclass(frozen=True)
class CaseIds:
    """The cases named in ``ids`` (read from ``file``, if given, one id per line)."""

    ids: tuple[str, ...]
    file: str | None = None
    kind: ClassVar[str] = "cases"

    def __post_init__(self) -> None:
        if not self.ids:
            raise InputError(f"--cases {self.file or ''}: no case id given.".replace("  ", " "),
                             fix="list one case id per line.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ids": list(self.ids), "file": self.file}


@dataclass(frozen=True)
class Split:
    """The cases arriving before ``at`` (an ISO instant), or from it on (METRICS §9)."""

    at: str
    side: Side
    kind: ClassVar[str] = "split"

    def __post_init__(self) -> None:
        check_bound(self.at, "--split")
        if self.side not in get_args(Side):
            raise InputError(f"split side {self.side!r}: use before or after.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "side": self.side}


@dataclass(frozen=True)
class Handoff:
    """Cases where the work passes directly from performer ``source`` to ``target`` (two
    consecutive steps, METRICS' handoffs) at granularity ``by`` (None: resource, else role,
    else unit, as the analysis chooses)."""

    source: str
    target: str
    by: Granularity | None = None
    kind: ClassVar[str] = "handoff"

    def __post_init__(self) -> None:
        if not self.source or not self.target:
            raise InputError("--handoff: give two performers.",
                             fix='write it as --handoff "A>B" or --handoff "role:A>B".')
        if self.source == self.target:
            raise InputError(f"--handoff {self.source}>{self.target}: a handoff passes between "
                             "two different performers.", fix='give two names, e.g. "A>B".')
        if self.by is not None and self.by not in GRANULARITIES:
            raise InputError(f"--handoff: {self.by!r} is not a granularity.",
                             fix=f"use one of {', '.join(GRANULARITIES)}.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "from": self.source, "to": self.target, "by": self.by}


@dataclass(frozen=True)
class Layers:
    """Cases whose approval layers, in order, are ``sequence``: the ``by`` values (level or
    role; None: level, else role) of the performers of the case's decision steps in case
    order, a value repeated at once counted once (the analysis' layer sequences). ``decisions``
    are the decision steps (None: those the default pattern finds by name)."""

    sequence: tuple[str, ...]
    by: LayerBy | None = None
    decisions: tuple[str, ...] | None = None
    kind: ClassVar[str] = "layers"

    def __post_init__(self) -> None:
        if not self.sequence or any(not v for v in self.sequence):
            raise InputError("--layer-sequence: give the layers in order.",
                             fix='e.g. --layer-sequence "3>2>1" or "role:Kasi>Kabid".')
        if any(a == b for a, b in zip(self.sequence, self.sequence[1:], strict=False)):
            raise InputError(f"--layer-sequence {'>'.join(self.sequence)}: a layer repeated at "
                             "once is counted once.", fix="write each such layer once.")
        if self.by is not None and self.by not in LAYER_BYS:
            raise InputError(f"--layer-sequence: {self.by!r} is not level or role.",
                             fix="use level or role.")
        if self.decisions is not None and not self.decisions:
            raise InputError("--layer-sequence: without decision steps no case has layers.",
                             fix="name the decision steps, or leave them to the pattern.")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sequence": list(self.sequence), "by": self.by,
                "decisions": None if self.decisions is None else list(self.decisions)}


Filter = (Period | Values | TopVariants | Duration | Ends | Order | CaseIds | Split | Handoff
          | Layers)
KINDS = tuple(OPTIONS)


def cuts_events(item: Filter) -> bool:
    """Whether the filter removes events from the cases it keeps (not only whole cases)."""
    return (isinstance(item, Values) and item.kind in ("keep_events", "drop_events")) or (
        isinstance(item, Period) and item.mode == "trim")


def to_json(filters: Sequence[Filter]) -> str:
    """The filters as a JSON list (the canonical text)."""
    return json.dumps([f.to_dict() for f in filters], ensure_ascii=False)


def from_json(text: str, option: str = "--filter") -> list[Filter]:
    """Filters from a JSON list of filter objects."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{option}: not JSON ({err.msg} at character {err.pos}).",
                         fix='give a list such as [{"kind": "top_variants", "n": 5}].') from err
    return from_list(data, option)


def from_list(data: Any, option: str = "--filter") -> list[Filter]:
    """Filters from a list of filter objects (dictionaries) or filters."""
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list | tuple):
        raise InputError(f"{option}: expected a list of filter objects.",
                         fix='e.g. [{"kind": "with", "field": "activity", "values": ["A"]}].')
    return [item if isinstance(item, Filter) else from_dict(item, option, i + 1)
            for i, item in enumerate(data)]


def from_dict(item: Any, option: str = "--filter", number: int = 1) -> Filter:
    """One filter from its JSON object."""
    where = f"{option} (filter {number})"
    if not isinstance(item, Mapping) or item.get("kind") not in KINDS:
        kind = item.get("kind") if isinstance(item, Mapping) else None
        raise InputError(f"{where}: unknown filter kind {kind!r}.",
                         fix=f"use one of {', '.join(KINDS)}.")
    kind = item["kind"]
    allowed = {"period": {"from", "to", "mode", "tz"}, "top_variants": {"n"},
               "duration": {"min", "max"}, "cases": {"ids", "file"}, "split": {"at", "side"},
               "follows": {"from", "to"}, "directly_follows": {"from", "to"},
               "starts_with": {"activities"}, "ends_with": {"activities"},
               "handoff": {"from", "to", "by"}, "layers": {"sequence", "by", "decisions"}}.get(
        kind, {"field", "values"})
    extra = set(item) - allowed - {"kind"}
    if extra:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(extra))} for {kind!r}.",
                         fix=f"its keys are kind, {', '.join(sorted(allowed))}.")
    get = _Getter(item, where)
    if kind == "period":
        return Period(get.text("from", True), get.text("to", True),
                      get.text("mode", True) or "started",
                      get.text("tz", True))
    if kind in ("with", "without", "keep_events", "drop_events"):
        return Values(kind, get.text("field"), get.texts("values"))
    if kind == "top_variants":
        return TopVariants(item.get("n"))  # type: ignore[arg-type]
    if kind == "duration":
        return Duration(get.seconds("min"), get.seconds("max"))
    if kind in ("starts_with", "ends_with"):
        return Ends(kind, get.texts("activities"))
    if kind in ("follows", "directly_follows"):
        return Order(kind, get.text("from", True), get.text("to"))
    if kind == "cases":
        return CaseIds(get.texts("ids"), get.text("file", True))
    if kind == "handoff":
        return Handoff(get.text("from"), get.text("to"), get.text("by", True))
    if kind == "layers":
        decisions = None if item.get("decisions") is None else get.texts("decisions")
        return Layers(get.texts("sequence"), get.text("by", True), decisions)
    return Split(get.text("at"), get.text("side"))


@dataclass
class _Getter:
    """Typed reads of a filter object's keys, with errors naming the filter."""

    item: Mapping[str, Any]
    where: str

    def text(self, key: str, optional: bool = False) -> Any:
        value = self.item.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise InputError(f"{self.where}: {key!r} must be text.")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.item.get(key)
        if not isinstance(value, list | tuple) or not all(
                isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            raise InputError(f"{self.where}: {key!r} must be a list of text values.")
        return tuple(str(v) for v in value)

    def seconds(self, key: str) -> float | None:
        value = self.item.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return seconds(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{self.where}: {key!r} must be seconds or a duration like '2d'.")
        return float(value)
