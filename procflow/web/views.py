"""How the web app shows a log, read from the page's query string: the analysis settings
(``calendar``, ``standard``, ``decision``) and the process map's view (``profile``,
``activities``, ``paths``, ``zoom``), e.g. ``?calendar=id&standard=15&profile=frequency``."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from procflow.core.i18n import Texts
from procflow.render.map_budget import SHARES
from procflow.render.process_map import MapOptions, Profile

SIZE = re.compile(r'\b(width|height)="([0-9.]+)(pt|px)?"')
PROFILES: tuple[Profile, ...] = ("performance", "frequency")
#: Zooms offered, in percent of the drawing's natural size; None fits the map to the page.
ZOOMS: tuple[int | None, ...] = (None, 100, 150, 200, 300)
FIT = "fit"
#: Choices offered for the share of activities and paths shown (percent; None: automatic).
PERCENTS: tuple[int | None, ...] = (None, *SHARES)
CALENDARS = ("id", "id-sat")
DEFAULT_ZONE = "Asia/Jakarta"
MAX_STANDARD_DAYS = 365


@dataclass(frozen=True)
class LogView:
    """What a log page shows.

    The analysis: a working ``calendar`` (None: calendar time only), a service ``standard``
    for whole cases in working days (needs the calendar) and the ``decisions`` (empty: the
    steps found by name). The map: its ``profile``, the percent of ``activities`` and
    ``paths`` shown (None: automatic, at most 25 steps and 60 paths) and the ``zoom`` in
    percent of the drawing's natural size (None: fitted to the page's width)."""

    calendar: str | None = None
    standard: int | None = None
    decisions: tuple[str, ...] = ()
    profile: Profile = "performance"
    activities: int | None = None
    paths: int | None = None
    zoom: int | None = 100

    @classmethod
    def from_query(cls, query: QueryParams) -> LogView:
        """The view asked for; ValueError names a wrong parameter and the accepted values."""
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
        decisions = tuple(sorted({d for d in query.getlist("decision") if d}))
        return cls(calendar, standard, decisions, cast(Profile, profile),
                   _percent(query, "activities"), _percent(query, "paths"), zoom)

    # the analysis ------------------------------------------------------------------------
    @property
    def analysis(self) -> tuple[Any, ...]:
        """What changes the analysis: a cache key part."""
        return (self.calendar, self.standard, self.decisions)

    def keywords(self, zone: str | None) -> dict[str, Any]:
        """Keyword arguments of :func:`procflow.measure.analysis.analyze` for this view; ``zone`` is
        the time zone the log was imported with (the calendar's days are local days)."""
        out: dict[str, Any] = {}
        if self.decisions:
            out["decision_activities"] = list(self.decisions)
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
    def pairs(self, *, only: str | None = None) -> list[tuple[str, str]]:
        """The query parameters that differ from the defaults; ``only="analysis"`` or
        ``"map"`` keeps those of one part (for hidden fields of the other part's form)."""
        analysis: list[tuple[str, Any]] = [("calendar", self.calendar),
                                           ("standard", self.standard),
                                           *(("decision", d) for d in self.decisions)]
        drawing: list[tuple[str, Any]] = [
            ("profile", self.profile if self.profile != "performance" else None),
            ("activities", self.activities), ("paths", self.paths),
            ("zoom", FIT if self.zoom is None else self.zoom if self.zoom != 100 else None)]
        chosen = analysis if only == "analysis" else drawing if only == "map" else (
            analysis + drawing)
        return [(k, str(v)) for k, v in chosen if v is not None]

    def query(self) -> str:
        """The query string of this view ("" for the default view)."""
        pairs = self.pairs()
        return "?" + urlencode(pairs) if pairs else ""


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
