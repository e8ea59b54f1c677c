"""Slices of a log on the web: the filters of a page's query string (``f``, the filters as
JSON) and of the filter panel's forms (``add=period`` with ``p_from`` …), checked with
errors in the page's language that name the field of the panel at fault.

The panel's fields, by form: ``add=period`` (``p_from``, ``p_to``: dates or ISO times;
``p_mode``), ``add=values`` (``v_how``: with, without, keep_events, drop_events; ``v_field``;
``v_value`` repeated), ``add=top`` (``t_n``), ``add=duration`` (``d_min``, ``d_max``: e.g.
``2d``), ``add=ends`` (``e_how``: starts_with, ends_with; ``e_act`` repeated) and
``add=order`` (``o_how``: follows, directly_follows; ``o_a``, ``o_b``), ``add=handoff``
(``h_by``: resource, role, unit; ``h_pair``: the pair as a JSON list ``["A", "B"]``) and
``add=layers`` (``l_by``: level, role; ``l_seq``: the layers as a JSON list; ``l_dec``
repeated: the decision steps).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import QueryParams

from procflow.core import db
from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import (
    PERIOD_MODES,
    Duration,
    Ends,
    Filter,
    Handoff,
    Layers,
    Order,
    Period,
    TopVariants,
    Values,
    describe,
    from_json,
    to_json,
)
from procflow.filters.checks import FIELDS, closest, field_sql
from procflow.filters.timespec import check_bound, seconds
from procflow.ingest.schema import ATTRIBUTE_PREFIX

#: The panel's forms (the ``add`` parameter).
FORMS = ("period", "values", "top", "duration", "ends", "order", "handoff", "layers")
HANDOFF_BYS = ("resource", "role", "unit")
LAYER_BYS = ("level", "role")
VALUE_KINDS = ("with", "without", "keep_events", "drop_events")
MAX_FILTERS = 20
MAX_TEXT = 4000
#: Most values offered for a field in the panel.
MAX_VALUES = 200


def field_labels(t: Texts) -> dict[str, str]:
    """The visible name of each field of the filter panel (errors name them)."""
    return {"f": t("Filters"), "p_from": t("Period: from"), "p_to": t("Period: to"),
            "p_mode": t("Period: which cases"), "v_field": t("Field"),
            "v_value": t("Values"), "v_how": t("Keep or drop"),
            "t_n": t("Most frequent variants"), "d_min": t("Cycle time: at least"),
            "d_max": t("Cycle time: at most"), "e_how": t("Starts or ends"),
            "e_act": t("Activities"), "o_how": t("Order"), "o_a": t("First activity"),
            "o_b": t("Then activity"), "h_by": t("Handoffs between"),
            "h_pair": t("From and to"), "l_by": t("Layers by"),
            "l_seq": t("Approval layers, in order")}


class PanelError(ValueError):
    """A filter the panel cannot apply: the panel's ``field`` (a key of :func:`field_labels`)
    and the ``problem`` in words; its text names the field's label first."""

    def __init__(self, field: str, problem: str, t: Texts):
        super().__init__(t("{field}: {problem}", field=field_labels(t)[field], problem=problem))
        self.field = field
        self.problem = problem


def field_error(field: str, problem: str, t: Texts) -> PanelError:
    """An error naming the panel's ``field``."""
    return PanelError(field, problem, t)


def canonical(text: str, t: Texts) -> str:
    """The filters of an ``f`` parameter as canonical JSON ("" for none); ValueError naming
    the parameter."""
    text = text.strip()
    if not text or text == "[]":
        return ""
    if len(text) > MAX_TEXT:
        raise field_error("f", t("too long; remove some filters."), t)
    try:
        items = from_json(text, "f")
    except InputError as err:
        raise field_error("f", t("not a list of filters ({reason}); remove them and set "
                                 "them again in the filter panel.", reason=err.message),
                          t) from err
    if len(items) > MAX_FILTERS:
        raise field_error("f", t("at most {n} filters.", n=MAX_FILTERS), t)
    return to_json(items)


def from_panel(query: QueryParams, t: Texts) -> Filter:
    """The filter one of the panel's forms asks for (``add`` names the form)."""
    form = query.get("add") or ""
    if form == "period":
        return _period(query, t)
    if form == "values":
        how = _choice(query, "v_how", VALUE_KINDS, t)
        field = (query.get("v_field") or "").strip()
        if not field:
            raise field_error("v_field", t("choose a field."), t)
        values = tuple(v for v in query.getlist("v_value") if v)
        if not values:
            raise field_error("v_value", t("tick at least one value."), t)
        return Values(how, field, values)  # type: ignore[arg-type]
    if form == "top":
        text = (query.get("t_n") or "").strip()
        if not text.isdigit() or int(text) < 1:
            raise field_error("t_n", t("write a whole number of at least 1."), t)
        return TopVariants(int(text))
    if form == "duration":
        low, high = (_duration(query, key, t) for key in ("d_min", "d_max"))
        if low is None and high is None:
            raise field_error("d_min", t("give a minimum, a maximum or both."), t)
        if low is not None and high is not None and low > high:
            raise field_error("d_max", t("the maximum is below the minimum."), t)
        return Duration(low, high)
    if form == "ends":
        how = _choice(query, "e_how", ("starts_with", "ends_with"), t)
        names = tuple(a for a in query.getlist("e_act") if a)
        if not names:
            raise field_error("e_act", t("choose at least one activity."), t)
        return Ends(how, names)  # type: ignore[arg-type]
    if form == "order":
        how = _choice(query, "o_how", ("follows", "directly_follows"), t)
        a, b = ((query.get(k) or "").strip() for k in ("o_a", "o_b"))
        for key, value in (("o_a", a), ("o_b", b)):
            if not value:
                raise field_error(key, t("choose an activity."), t)
        return Order(how, a, b)  # type: ignore[arg-type]
    if form == "handoff":
        by = _choice(query, "h_by", HANDOFF_BYS, t)
        pair = _names(query, "h_pair", t("choose a pair of performers."), t)
        if len(pair) != 2 or pair[0] == pair[1]:
            raise field_error("h_pair", t("choose a pair of performers."), t)
        return Handoff(pair[0], pair[1], by)  # type: ignore[arg-type]
    if form == "layers":
        by = _choice(query, "l_by", LAYER_BYS, t)
        sequence = _names(query, "l_seq", t("choose a sequence of layers."), t)
        decisions = tuple(d for d in query.getlist("l_dec") if d)
        return Layers(sequence, by, decisions or None)  # type: ignore[arg-type]
    raise field_error("f", t("unknown form {form!r}; choose one of {choices}.", form=form,
                             choices=", ".join(FORMS)), t)


def _choice(query: QueryParams, key: str, choices: Sequence[str], t: Texts) -> str:
    value = query.get(key) or choices[0]
    if value not in choices:
        raise field_error(key, t("choose one of {choices}.", choices=", ".join(choices)), t)
    return value


def _names(query: QueryParams, key: str, missing: str, t: Texts) -> tuple[str, ...]:
    """The names of a choice whose value is a JSON list of texts."""
    text = (query.get(key) or "").strip()
    try:
        names = json.loads(text) if text else []
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, list) or not names or not all(
            isinstance(n, str) and n for n in names):
        raise field_error(key, missing, t)
    return tuple(names)


def _period(query: QueryParams, t: Texts) -> Period:
    bounds: list[str | None] = []
    for key in ("p_from", "p_to"):
        text = (query.get(key) or "").strip() or None
        if text is not None:
            try:
                check_bound(text)
            except InputError as err:
                raise field_error(key, t("“{value}” is not a date; write YYYY-MM-DD or an "
                                         "ISO time such as 2024-03-01T08:00.", value=text[:40]),
                                  t) from err
        bounds.append(text)
    if bounds == [None, None]:
        raise field_error("p_from", t("give a start date, an end date or both."), t)
    mode = _choice(query, "p_mode", PERIOD_MODES, t)
    try:
        return Period(bounds[0], bounds[1], mode)  # type: ignore[arg-type]
    except InputError as err:
        raise field_error("p_to", t("the end is before the start."), t) from err


def _duration(query: QueryParams, key: str, t: Texts) -> float | None:
    text = (query.get(key) or "").strip()
    if not text:
        return None
    try:
        return seconds(text)
    except InputError as err:
        raise field_error(key, t("“{value}” is not a duration; write e.g. 90m, 12h, 2d or "
                                 "1w.", value=text[:40]), t) from err


def check(log: EventLog, filters: Sequence[Filter], t: Texts) -> None:
    """ValueError naming the panel's field when a filter names a field the log lacks or a
    value none of its events has (with the closest values)."""
    columns = log.columns()
    for item in filters:
        if isinstance(item, Values):
            try:
                sql = field_sql(item.field, columns, "f")
            except InputError as err:
                raise field_error("v_field", t("the log has no field “{field}”.",
                                               field=item.field.removeprefix("attr:")),
                                  t) from err
            _known(log, sql, item.field, item.values, "v_value", t)
        elif isinstance(item, Ends):
            _known(log, "activity", "activity", item.activities, "e_act", t)
        elif isinstance(item, Order):
            if item.source is not None:
                _known(log, "activity", "activity", (item.source,), "o_a", t)
            _known(log, "activity", "activity", (item.target,), "o_b", t)
        elif isinstance(item, Handoff) and item.by is not None:
            _known(log, field_sql(item.by, columns, "f"), item.by,
                   (item.source, item.target), "h_pair", t)
        elif isinstance(item, Layers) and item.by is not None:
            _known(log, field_sql(item.by, columns, "f"), item.by, item.sequence, "l_seq", t)


def check_kept(block: dict[str, Any], filters: Sequence[Filter], t: Texts) -> None:
    """ValueError naming the first filter after which no case is left (``block``: the
    ``filter`` block of the slice), so that an empty slice is said, not drawn."""
    for number, (step, item) in enumerate(zip(block.get("steps") or [], filters,
                                              strict=False), 1):
        if not step.get("cases"):
            raise field_error("f", t("no case is left after filter {n} ({what}); loosen it or "
                                     "remove it.", n=number, what=describe(item, t)), t)


def _known(log: EventLog, sql: str, field: str, values: Sequence[str], key: str,
           t: Texts) -> None:
    found = {v for (v,) in db.rows(log.con, f"SELECT DISTINCT {sql} FROM {log.table} WHERE "
                                            f"{sql} IN ({', '.join('?' for _ in values)})",
                                   list(values))}
    for value in values:
        if value not in found:
            close = closest([log], field, value, "f")
            problem = t("no event has “{value}”.", value=value)
            if close:
                problem += " " + t("Did you mean {names}?",
                                   names=", ".join(f"“{c}”" for c in close))
            raise field_error(key, problem, t)


def fields(log: EventLog) -> list[str]:
    """The fields a values filter may use on ``log``: canonical fields the log fills, then
    its attributes."""
    columns = log.columns()
    canonical = [f for f in FIELDS if f in columns and f != "case_id"]
    counts = db.rows(log.con, "SELECT " + ", ".join(f'count("{f}")' for f in canonical)
                     + f" FROM {log.table}")[0] if canonical else ()
    return [f for f, n in zip(canonical, counts, strict=True) if n] + sorted(
        c for c in columns if c.startswith(ATTRIBUTE_PREFIX))


def values(log: EventLog, field: str, find: str = "", limit: int = MAX_VALUES
           ) -> dict[str, Any]:
    """The values of ``field`` in ``log`` containing ``find`` (case-insensitive), most cases
    first, at most ``limit``: ``values`` (value and cases), ``total`` (all matching)."""
    sql = field_sql(field, log.columns(), "field")
    where = f"{sql} IS NOT NULL" + (f" AND contains(lower({sql}), lower(?))" if find else "")
    params: list[Any] = [find] if find else []
    rows = db.rows(log.con, f"SELECT {sql} AS v, count(DISTINCT case_id) AS n FROM "
                            f"{log.table} WHERE {where} GROUP BY v ORDER BY n DESC, v "
                            f"LIMIT {int(limit)}", params)
    total = int(db.scalar(log.con, f"SELECT count(DISTINCT {sql}) FROM {log.table} WHERE "
                                   f"{where}", params))
    return {"field": field, "values": [{"value": v, "cases": int(n)} for v, n in rows],
            "total": total}
