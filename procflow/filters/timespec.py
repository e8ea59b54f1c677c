"""Times and durations as filters write them: ``2024-01-01`` or an ISO instant, ``2d``."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procflow.errors import InputError

PERIOD_EXAMPLE = "--period 2024-01-01..2024-03-31 (either end may be empty: 2024-01-01..)"
DURATION_EXAMPLE = "--duration 2d..30d (units s m h d w; either end may be empty: ..12h)"
#: Seconds of each duration unit.
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_ZONE_NAMES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


def split_range(text: str, option: str, example: str) -> tuple[str | None, str | None]:
    """``A..B`` → (A, B), an empty end → None."""
    if text.count("..") != 1:
        raise InputError(f"{option} {text!r}: write a range as FROM..TO.", fix=f"e.g. {example}.")
    low, high = (part.strip() or None for part in text.split(".."))
    return low, high


def check_bound(text: str, option: str = "--period") -> None:
    """Raise an error naming ``option`` unless ``text`` is a date or an ISO instant."""
    if _DATE.fullmatch(text):
        try:
            dt.date.fromisoformat(text)
            return
        except ValueError:
            pass
    else:
        try:
            dt.datetime.fromisoformat(text)
            return
        except ValueError:
            pass
    raise InputError(f"{option}: cannot read {text!r} as a date (YYYY-MM-DD) or an ISO time "
                     "(2024-01-01T08:00, with +08:00 or Z for a zone).",
                     fix=f"write it as in {PERIOD_EXAMPLE}.")


def zone_info(name: str, option: str = "--tz") -> ZoneInfo:
    """The zone called ``name`` (an IANA name, or WIB, WITA, WIT)."""
    try:
        return ZoneInfo(_ZONE_NAMES.get(name.upper(), name))
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InputError(f"{option}: unknown time zone {name!r}.",
                         fix="use Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT) "
                             "or another IANA zone.") from err


def instant(text: str, zone: str, *, end: bool) -> dt.datetime:
    """The UTC instant of a bound: a date is the start of that day in ``zone`` (or, for the
    ``end`` of a range, the last microsecond of it); a time without an offset is in ``zone``."""
    check_bound(text)
    place = zone_info(zone)
    if _DATE.fullmatch(text):
        day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if end else 0)
        start = dt.datetime.combine(day, dt.time(), place).astimezone(dt.UTC)
        return start - dt.timedelta(microseconds=1) if end else start
    value = dt.datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=place)).astimezone(dt.UTC)


def epoch_us(value: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC (as the metric SQL's ``epoch_us``)."""
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def seconds(text: str, option: str = "--duration") -> float:
    """``2d`` → 172800.0; ``1.5h`` → 5400.0."""
    found = _DURATION.fullmatch(text.strip().lower())
    if not found:
        raise InputError(f"{option}: cannot read {text!r} as a duration (a number and a unit).",
                         fix=f"write it as in {DURATION_EXAMPLE}.")
    return float(found.group(1)) * UNITS[found.group(2)]


def duration_text(value: float) -> str:
    """Seconds in the largest unit that divides them: 172800 → ``2d``, 5400 → ``90m``."""
    for unit in ("w", "d", "h", "m"):
        count = value / UNITS[unit]
        if count >= 1 and count.is_integer():
            return f"{int(count)}{unit}"
    return f"{value:g}s"
