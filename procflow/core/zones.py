"""Time zones as pages show them: an IANA name, or a fixed offset kept from the file's own
values (``UTC+07:00``); Indonesia's three zones by their names (WIB, WITA, WIT)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

#: Indonesia's zones by their everyday names.
NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
_OFFSET = re.compile(r"UTC([+-])(\d\d):(\d\d)")


def offset_zone(minutes: int) -> str:
    """The fixed zone of an offset from UTC in minutes: ``UTC+07:00``, ``UTC-03:30``, and
    ``UTC`` itself for 0."""
    if minutes == 0:
        return "UTC"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def tzinfo(zone: str | None) -> dt.tzinfo:
    """The tzinfo of an IANA name or a ``UTC±HH:MM`` offset (None: UTC)."""
    if not zone:
        return dt.UTC
    fixed = _OFFSET.fullmatch(zone)
    if fixed:
        sign, hours, minutes = fixed.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        return dt.timezone(-delta if sign == "-" else delta)
    return ZoneInfo(zone)


def zone_label(zone: str | None) -> str:
    """How a page names the zone: WIB, WITA, WIT, UTC, ``UTC+07:00`` or the IANA name."""
    return NAMES.get(zone or "UTC", zone or "UTC")
