"""How the web app shows a log, read from the page's query string: the analysis settings
(``calendar``, ``standard``, ``decisions`` and ``decision``, ``handoff``), the process map's
view (``profile``, ``activities``, ``paths``, ``zoom``), the search in the list of steps
(``find``) and the slice of the log (``f``: the filters as JSON, :mod:`procflow.filters`),
e.g. ``?calendar=id&standard=15&handoff=role&profile=frequency``."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast
from urllib.parse import quote, urlencode

from starlette.datastructures import QueryParams

from procflow.conform.conformance import case_set_keys
from procflow.core.i18n import Texts
from procflow.filters import (
    CaseIds,
    Filter,
    Handoff,
    Layers,
    Order,
    Values,
    from_json,
    from_list,
    to_json,
)
from procflow.render.map_budget import SHARES
from procflow.render.process_map import MapOptions, Profile
from procflow.web import slices

SIZE = re.compile(r'\b(width|height)="([0-9.]+)(pt|px)?"')
PROFILES: tuple[Profile, ...] = ("performance", "frequency")
#: Zooms offered, in percent of the drawing's natural size; None fits the map to the page.
ZOOMS: tuple[int | None, ...] = (None, 100, 150, 200, 300)
FIT = "fit"
#: Choices offered for the share of activities and paths shown (percent; None: automatic).
PERCENTS: tuple[int | None, ...] = (None, *SHARES)
CALENDARS = ("id", "id-sat")
#: How the decision steps are chosen: found by the default pattern, ticked, or none.
DecisionMode = Literal["pattern", "chosen", "none"]
DECISION_MODES: tuple[DecisionMode, ...] = ("pattern", "chosen", "none")
#: Who hands over to whom (None: resource, else role, else unit).
HANDOFFS = ("resource", "role", "unit")
MAX_FIND = 100
#: A stored set of cases: a conformance check's id and the set's key (conform's
#: ``case_set_keys``).
CASE_SET = re.compile(r"[0-9a-f]{32}/(deviating|kind-[a-z_]{1,40}|item-[0-9]{1,4})")
DEFAULT_ZONE = "Asia/Jakarta"
MAX_STANDARD_DAYS = 365
#: The query parameter of a log page opened with the user's last settings.
RESTORED = "restored"
#: The query parameters that are settings of a log page (kept per user and log).
SETTING_KEYS = frozenset({"calendar", "standard", "decisions", "decision", "handoff",
                          "profile", "activities", "paths", "zoom", "f"})


@dataclass(frozen=True)
class LogView:
    """What a log page shows.

    The analysis: a working ``calendar`` (None: calendar time only), a service ``standard``
    for whole cases in working days (needs the calendar), the ``decisions`` (None: the steps
    the default pattern finds by name; empty: none) and the ``handoff`` granularity (None:
    resource, else role, else unit). The map: its ``profile``, the percent of ``activities``
    and ``paths`` shown (None: automatic, at most 25 steps and 60 paths) and the ``zoom`` in
    percent of the drawing's natural size (None: fitted to the page's width). ``find``
    filters the list of steps offered as decision steps; ``filters`` is the slice of the
    log, as the canonical JSON of :func:`procflow.filters.to_json` ("" for the whole log);
    ``case_set`` names a stored set of cases (:data:`CASE_SET`, e.g. those of one deviation
    of a conformance check) that narrows the slice, its ids in ``set_ids`` once read."""

    calendar: str | None = None
    standard: int | None = None
    decisions: tuple[str, ...] | None = None
    profile: Profile = "performance"
    activities: int | None = None
    paths: int | None = None
    zoom: int | None = 100
    handoff: str | None = None
    find: str = ""
    filters: str = ""
    case_set: str = ""
    set_ids: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: QueryParams, t: Texts | None = None) -> LogView:
        """The view asked for; ValueError names a wrong parameter and the accepted values."""
        t = t or Texts("en")
        calendar = query.get("calendar") or None
        if calendar is not None and calendar not in CALENDARS:
            raise ValueError(f"calendar must be one of {', '.join(CALENDARS)}, or left out.")
        standard = _whole(query, "standard")
        if standard is not None and not 1 <= standard <= MAX_STANDARD_DAYS:
            raise ValueError(f"standard is a number of working days from 1 to "
                             f"{MAX_STANDARD_DAYS}.")
        if standard is not None and calendar is None:
            raise ValueError("a service standard is counted in working days: choose a "
                             "working calendar too.")
        profile = query.get("profile") or "performance"
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}.")
        zoom = None if query.get("zoom") == FIT else _whole(query, "zoom") or 100
        if zoom not in ZOOMS:
            raise ValueError(f"zoom must be {FIT} or one of "
                             f"{', '.join(str(z) for z in ZOOMS if z)}.")
        decisions = decision_choice(query.get("decisions") or None, query.getlist("decision"),
                                    t)
        handoff = query.get("handoff") or None
        if handoff is not None and handoff not in HANDOFFS:
            raise ValueError(t("Handoffs between: choose {choices}, or leave it empty.",
                               choices=", ".join(HANDOFFS)))
        case_set = query.get("set") or ""
        if case_set and not CASE_SET.fullmatch(case_set):
            raise ValueError(t("{field}: no such set of cases.", field=t("Filters")))
        return cls(calendar, standard, decisions, cast(Profile, profile),
                   _percent(query, "activities"), _percent(query, "paths"), zoom, handoff,
                   (query.get("find") or "").strip()[:MAX_FIND],
                   slices.canonical(query.get("f") or "", t), case_set)

    @property
    def decision_mode(self) -> DecisionMode:
        """``pattern`` (found by name), ``chosen`` or ``none``."""
        return "pattern" if self.decisions is None else "chosen" if self.decisions else "none"

    # the analysis ------------------------------------------------------------------------
    @property
    def analysis(self) -> tuple[Any, ...]:
        """What changes the analysis: a cache key part."""
        return (self.calendar, self.standard, self.decisions, self.handoff, self.filters,
                self.case_set)

    def keywords(self, zone: str | None) -> dict[str, Any]:
        """Keyword arguments of :func:`procflow.measure.analysis.analyze` for this view; ``zone`` is
        the time zone the log was imported with (the calendar's days are local days)."""
        out: dict[str, Any] = {}
        if self.decisions is not None:
            out["decision_activities"] = list(self.decisions)
        if self.handoff:
            out["handoff_by"] = self.handoff
        if self.calendar:
            out["calendar"] = self.calendar
            out["calendar_zone"] = zone or DEFAULT_ZONE
        if self.standard:
            out["sla"] = [f"case={self.standard} working days"]
        return out

    # the map -----------------------------------------------------------------------------
    @property
    def drawing(self) -> tuple[Any, ...]:
        """What changes the drawing (zoom only changes how it is shown): a cache key part."""
        return (*self.analysis, self.profile, self.activities, self.paths)

    def options(self, t: Texts) -> MapOptions:
        """The drawing options of this view, labelled in the language of ``t``."""
        return MapOptions(profile=self.profile, activities=self.activities, edges=self.paths,
                          texts=t)

    def zoomed(self, zoom: int | None) -> LogView:
        """This view at another zoom."""
        return replace(self, zoom=zoom)

    def shares(self, activities: int | None, paths: int | None) -> LogView:
        """This view with other shares of activities and paths."""
        return replace(self, activities=activities, paths=paths)

    def sized(self, svg: str) -> str:
        """``svg`` (a drawing whose root has ``width``/``height`` in pt) at this view's zoom
        of its natural size (unchanged at 100, and when the page fits it to its width)."""
        svg = str(svg)  # plain text: joining parts of Markup would escape them
        zoom = self.zoom
        if zoom is None or zoom == 100:
            return svg
        head_end = svg.find(">")

        def scale(found: re.Match[str]) -> str:
            size = float(found.group(2)) * zoom / 100
            return f'{found.group(1)}="{size:.0f}{found.group(3)}"'

        return SIZE.sub(scale, svg[:head_end]) + svg[head_end:]

    # links -------------------------------------------------------------------------------
    def checked(self, steps: Collection[str], granularities: Collection[str],
                t: Texts) -> LogView:
        """This view if its decision steps are steps of the log and its handoff granularity
        one the log has; else ValueError naming the setting."""
        unknown = sorted(set(self.decisions or ()) - set(steps))
        if unknown:
            raise ValueError(t("Decision steps: not steps of this log: {names}. Choose steps "
                               "from the list.", names=", ".join(unknown[:5])))
        if self.handoff and self.handoff not in granularities:
            raise ValueError(t("Handoffs between: this log has no {field}; choose one it has: "
                               "{choices}.", field=t(self.handoff),
                               choices=", ".join(t(g) for g in granularities) or "–"))
        return self

    def pairs(self, *, only: str | None = None) -> list[tuple[str, str]]:
        """The query parameters that differ from the defaults; ``only="analysis"`` or
        ``"map"`` keeps those of one part (for hidden fields of the other part's form),
        ``only="settings"`` the analysis without the decision steps, ``only="decisions"``
        the decision steps alone."""
        settings: list[tuple[str, Any]] = [("calendar", self.calendar),
                                           ("standard", self.standard),
                                           ("handoff", self.handoff),
                                           ("f", self.filters or None),
                                           ("set", self.case_set or None)]
        analysis = settings + decision_pairs(self.decisions)
        drawing: list[tuple[str, Any]] = [
            ("profile", self.profile if self.profile != "performance" else None),
            ("activities", self.activities), ("paths", self.paths),
            ("zoom", FIT if self.zoom is None else self.zoom if self.zoom != 100 else None)]
        chosen = {"analysis": analysis, "map": drawing, "settings": settings,
                  "decisions": decision_pairs(self.decisions)}.get(only or "",
                                                                   analysis + drawing)
        return [(k, str(v)) for k, v in chosen if v is not None]

    def query(self) -> str:
        """The query string of this view ("" for the default view)."""
        pairs = self.pairs()
        return "?" + urlencode(pairs) if pairs else ""

    def sliced(self, filters: Sequence[Filter]) -> LogView:
        """This view with other filters."""
        return replace(self, filters=to_json(filters) if filters else "")

    def cases_query(self, extra: Sequence[Filter] = (), **params: Any) -> str:
        """The query string of the case list of this view's slice narrowed by ``extra``
        filters, with the analysis settings and ``params`` (e.g. ``sort``, ``variant``)."""
        view = self.sliced([*self.filter_list, *extra]) if extra else self
        pairs = view.pairs(only="analysis") + [(k, str(v)) for k, v in params.items()
                                                if v is not None]
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def filter_list(self) -> list[Filter]:
        """The filters of this view, in order."""
        return from_json(self.filters) if self.filters else []

    @property
    def applied(self) -> list[Filter]:
        """The filters of this view, then its set of cases."""
        return [*self.filter_list, *([CaseIds(self.set_ids)] if self.set_ids else [])]

    def with_decisions(self, decisions: tuple[str, ...] | None) -> LogView:
        """This view with other decision steps (None: found by name; empty: none)."""
        return replace(self, decisions=decisions)

    def compare_query(self, log: str) -> str:
        """The query string of the comparison form for ``log`` with this view's analysis
        settings (those a comparison takes: calendar, handoffs, decision steps)."""
        kept = [(k, v) for k, v in self.pairs(only="analysis") if k not in ("standard", "f", "set")]
        return "?" + urlencode([("before", log), *kept])


@dataclass(frozen=True)
class CaseLinks:
    """The addresses of the cases behind a log page's figures, in the page's slice (the log
    page's address is ``here``)."""

    here: str
    view: LogView

    def step(self, activity: str) -> str:
        """The cases with an event of ``activity``."""
        return self.cases(Values("with", "activity", (activity,)))

    def reached(self, activity: str) -> str:
        """The cases where ``activity`` comes after an earlier step: those with a wait before
        it (its bottleneck) or a decision latency at it."""
        return self.cases(Order("follows", None, activity))

    def path(self, source: str, target: str) -> str:
        """The cases where ``target`` comes right after ``source``."""
        return self.cases(Order("directly_follows", source, target))

    def handoff(self, source: str, target: str, by: str) -> str:
        """The cases where the work passes directly from ``source`` to ``target`` (performers
        at granularity ``by``)."""
        return self.cases(Handoff(source, target, by))  # type: ignore[arg-type]

    def layers(self, levels: str, by: str, decisions: Sequence[str]) -> str:
        """The cases whose approval layers (``by`` values of the performers of the
        ``decisions`` steps, repeats collapsed) are ``levels`` (joined by →)."""
        return self.cases(Layers(tuple(levels.split("→")), by,  # type: ignore[arg-type]
                                 tuple(decisions)))

    def variant(self, rank: int) -> str:
        """The cases of the variant of rank ``rank`` (1: the most frequent)."""
        return f"{self.here}/cases{self.view.cases_query(variant=rank)}"

    def case(self, case_id: str) -> str:
        """One case's page."""
        return f"{self.here}/cases/{quote(case_id, safe='')}{self.view.cases_query()}"

    def cases(self, extra: Filter) -> str:
        return f"{self.here}/cases{self.view.cases_query([extra])}"

    def drawing(self, name: str, lang: str) -> str:
        """The address of one of the page's drawings that load after it (a name of
        :func:`procflow.report.html.drawing_names`), in the page's language."""
        pairs = [*self.view.pairs(only="analysis"), ("lang", lang)]
        return f"{self.here}/drawings/{quote(name, safe='')}?{urlencode(pairs)}"

    def map_link(self, a: str, b: str | None) -> str:
        """A process map's link (:data:`procflow.render.process_map.MapLink`)."""
        return self.step(a) if b is None else self.path(a, b)


@dataclass(frozen=True)
class CheckLinks(CaseLinks):
    """The addresses of the cases behind a conformance check's counts: ``view`` is the
    check's slice and decision steps, ``rid`` the check (its case sets are stored)."""

    rid: str = ""

    def deviating(self, kind: str | None = None, item: int | None = None) -> str:
        """The deviating cases: all, those with a deviation ``kind``, or those of the
        deviation numbered ``item`` (from 0)."""
        key = case_set_keys(kind=kind, item=item)
        return (f"{self.here}/cases"
                f"{replace(self.view, case_set=f'{self.rid}/{key}').cases_query()}")

    @classmethod
    def of_check(cls, here: str, rid: str, data: dict[str, Any]) -> CheckLinks:
        """The links of the stored check ``data`` (conformance.json) of the log at ``here``."""
        filters = ((data.get("filter") or {}).get("filters")) or []
        chosen = data.get("decision_activities")
        return cls(here, LogView(decisions=None if chosen is None else tuple(chosen),
                                 filters=to_json(from_list(filters)) if filters else ""), rid)


def decision_choice(mode: str | None, names: Iterable[str],
                    t: Texts | None = None) -> tuple[str, ...] | None:
    """The decision steps of a form or query: ``mode`` ``pattern`` (None: found by name),
    ``none`` (an empty tuple) or ``chosen`` (the ``names``, none ticked meaning none); without
    a mode, names given are chosen and no names mean the pattern. ValueError for another
    mode."""
    ticked = tuple(sorted({n for n in names if n}))
    if mode is not None and mode not in DECISION_MODES:
        t = t or Texts("en")
        raise ValueError(t("Decision steps: choose {choices}.",
                           choices=", ".join(DECISION_MODES)))
    if mode == "none":
        return ()
    if mode == "pattern" or (mode is None and not ticked):
        return None
    return ticked


def decision_pairs(decisions: tuple[str, ...] | None) -> list[tuple[str, Any]]:
    """The query parameters of a choice of decision steps (none for the default pattern)."""
    if decisions is None:
        return []
    return [("decision", d) for d in decisions] if decisions else [("decisions", "none")]


def _whole(query: QueryParams, key: str) -> int | None:
    text = (query.get(key) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{key} must be a whole number, not {text[:20]!r}.")
    return int(text)


def _percent(query: QueryParams, key: str) -> int | None:
    value = _whole(query, key)
    if value is not None and not 1 <= value <= 100:
        raise ValueError(f"{key} is a percent: write a whole number from 1 to 100.")
    return value


DEFAULT_VIEW = LogView()
