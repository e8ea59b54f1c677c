"""The plausible time window: event times outside it become rejected rows.

A window is written ``FROM..TO`` with years (``1970..2100``) or days (``2019-07-01..2024-06-30``);
both ends are inclusive, in UTC. The default, 1970–2100, catches the year-1 and year-9999
placeholders some systems write for "no date"; ``--time-window``, the import option
``time_window`` or ``PROCFLOW_TIME_WINDOW`` set another.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from procflow.errors import InputError

_PART = re.compile(r"\s*(\d{4})(?:-(\d{2})-(\d{2}))?\s*")
_FIX = "write the window as FROM..TO with years or days, e.g. 1970..2100 or 2019-07-01..2024-06-30."
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TimeWindow:
    """First and last day (inclusive, UTC) an event time may fall on."""

    first: dt.date = dt.date(1970, 1, 1)
    last: dt.date = dt.date(2100, 12, 31)

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InputError(f"the time window {self} ends before it starts.", fix=_FIX)

    @classmethod
    def parse(cls, text: str, *, what: str = "the time window") -> TimeWindow:
        """A window from ``FROM..TO`` text (years or ``YYYY-MM-DD`` days)."""
        start, sep, end = text.partition("..")
        first, last = _day(start, text, what, end=False), _day(end, text, what, end=True)
        if not sep or first is None or last is None:
            raise InputError(f"{what} {text!r} is not FROM..TO.", fix=_FIX)
        return cls(first, last)

    @classmethod
    def configured(cls) -> TimeWindow:
        """``PROCFLOW_TIME_WINDOW`` if set, else the default 1970–2100."""
        text = os.environ.get("PROCFLOW_TIME_WINDOW", "").strip()
        return cls.parse(text, what="PROCFLOW_TIME_WINDOW") if text else cls()

    @property
    def label(self) -> str:
        """``1970–2100`` for whole years, else ``2019-07-01–2024-06-30``."""
        if (self.first.month, self.first.day, self.last.month, self.last.day) == (1, 1, 12, 31):
            return f"{self.first.year}–{self.last.year}"
        return f"{self.first.isoformat()}–{self.last.isoformat()}"

    def bounds_us(self) -> tuple[int, int]:
        """Microseconds since 1970 (UTC) of the window's start and of the day after its end."""
        start = dt.datetime.combine(self.first, dt.time(), dt.UTC)
        last = dt.datetime.combine(self.last, dt.time(), dt.UTC)
        return _micros(start), _micros(last) + 86_400_000_000

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def _day(part: str, text: str, what: str, *, end: bool) -> dt.date | None:
    m = _PART.fullmatch(part)
    if m is None:
        return None
    year = int(m.group(1))
    try:
        if m.group(2) is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        return dt.date(year, int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise InputError(f"{what} {text!r} names a day that does not exist.", fix=_FIX) from None


def _micros(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


__all__ = ["TimeWindow"]
