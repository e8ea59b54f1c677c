"""How the web app draws a log's process map: profile, abstraction and zoom, read from the
page's query string (``?profile=frequency&activities=50&paths=40&zoom=150``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import cast
from urllib.parse import urlencode

from procflow.i18n import Texts
from procflow.render.process_map import MapOptions, Profile

SIZE = re.compile(r'\b(width|height)="([0-9.]+)(pt|px)?"')
PROFILES: tuple[Profile, ...] = ("performance", "frequency")
ZOOMS = (100, 150, 200, 300)
#: Choices offered for the share of activities and paths shown (percent; None: automatic).
PERCENTS = (None, 100, 80, 60, 40, 20, 10)


@dataclass(frozen=True)
class MapView:
    """A map's profile, the percent of activities and paths shown (None: automatic, at most
    25 steps and 60 paths) and the zoom in percent."""

    profile: Profile = "performance"
    activities: int | None = None
    paths: int | None = None
    zoom: int = 100

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MapView:
        """The view asked for; ValueError names a wrong parameter and the accepted values."""
        profile = query.get("profile") or "performance"
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}.")
        zoom = _whole(query, "zoom") or 100
        if zoom not in ZOOMS:
            raise ValueError(f"zoom must be one of {', '.join(map(str, ZOOMS))}.")
        return cls(cast(Profile, profile), _percent(query, "activities"),
                   _percent(query, "paths"), zoom)

    def options(self, t: Texts) -> MapOptions:
        """The drawing options of this view, labelled in the language of ``t``."""
        return MapOptions(profile=self.profile, activities=self.activities, edges=self.paths,
                          texts=t)

    @property
    def drawing(self) -> tuple[str, int | None, int | None]:
        """What changes the drawing (zoom only changes how it is shown): a cache key part."""
        return (self.profile, self.activities, self.paths)

    def zoomed(self, zoom: int) -> MapView:
        """This view at another zoom."""
        return replace(self, zoom=zoom)

    def sized(self, svg: str) -> str:
        """``svg`` (a drawing whose root has ``width``/``height`` in pt) at this view's zoom
        of its natural size; at 100 the page fits it to the width available."""
        svg = str(svg)  # plain text: joining parts of Markup would escape them
        if self.zoom == 100:
            return svg
        head_end = svg.find(">")

        def scale(found: re.Match[str]) -> str:
            size = float(found.group(2)) * self.zoom / 100
            return f'{found.group(1)}="{size:.0f}{found.group(3)}"'

        head = SIZE.sub(scale, svg[:head_end])
        return head + svg[head_end:]

    def query(self) -> str:
        """The query string of this view ("" for the default view)."""
        given = {"profile": self.profile if self.profile != "performance" else None,
                 "activities": self.activities, "paths": self.paths,
                 "zoom": self.zoom if self.zoom != 100 else None}
        pairs = {k: v for k, v in given.items() if v is not None}
        return "?" + urlencode(pairs) if pairs else ""


def _whole(query: Mapping[str, str], key: str) -> int | None:
    text = (query.get(key) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{key} must be a whole number, not {text[:20]!r}.")
    return int(text)


def _percent(query: Mapping[str, str], key: str) -> int | None:
    value = _whole(query, key)
    if value is not None and not 1 <= value <= 100:
        raise ValueError(f"{key} is a percent: write a whole number from 1 to 100.")
    return value


DEFAULT_VIEW = MapView()
