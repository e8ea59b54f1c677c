"""The date/time rules procflow reads, and numpy arithmetic on civil dates.

Every value is reduced to a *skeleton*: its text with each ASCII digit replaced by ``0``. All
values sharing a skeleton have their fields at the same byte positions, so the rules (regular
expressions) run once per distinct skeleton and the digits are then read for all rows at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

NONE, ISO, DMY, NAMES = 0, 1, 2, 3
FAMILY_NAMES = {
    ISO: "year-first dates (YYYY-MM-DD)",
    DMY: "numeric day/month/year dates (DD/MM/YYYY)",
    NAMES: "dates with month names (17 Agustus 2024)",
}

_MONTH_SPELLINGS = (
    ("januari january jan", 1),
    ("februari february feb pebruari peb", 2),
    ("maret march mar mrt", 3),
    ("april apr", 4),
    ("mei may", 5),
    ("juni june jun", 6),
    ("juli july jul", 7),
    ("agustus august aug agu agt ags", 8),
    ("september sep sept", 9),
    ("oktober october okt oct", 10),
    ("november nopember nov nop", 11),
    ("desember december des dec", 12),
)
MONTHS: dict[str, int] = {n: m for names, m in _MONTH_SPELLINGS for n in names.split()}

_WEEKDAY_SPELLINGS = (
    ("senin sen monday mon", 0),
    ("selasa sel tuesday tue tues", 1),
    ("rabu rab wednesday wed", 2),
    ("kamis kam thursday thu thur thurs", 3),
    ("jumat jum'at jum friday fri", 4),
    ("sabtu sab saturday sat", 5),
    ("minggu min ahad sunday sun", 6),
)
WEEKDAYS: dict[str, int] = {n: d for names, d in _WEEKDAY_SPELLINGS for n in names.split()}

#: Zone words and their offsets from UTC in minutes.
ZONE_WORDS: dict[str, int] = {"z": 0, "utc": 0, "gmt": 0, "wib": 420, "wita": 480, "wit": 540}

_SP = r"[ \t\xa0]"
_TIME = (
    r"(?P<H>[0-9]{1,2})(?P<ts>[:.])(?P<M>[0-9]{2})"
    r"(?:(?P<ts2>[:.])(?P<S>[0-9]{2})(?:[.,](?P<F>[0-9]{1,9}))?)?"
    rf"(?:{_SP}*(?P<ap>(?i:am|pm)))?"
)
_ZONE = (
    rf"(?:{_SP}*(?:(?P<zw>(?i:z|utc|gmt|wita|wib|wit))"
    r"|(?:(?i:utc|gmt))?(?P<os>[+-])(?P<OH>[0-9]{2})(?::?(?P<OM>[0-9]{2}))?))?"
)
_LEAD = rf"(?:,?{_SP}+|,)(?:(?i:pukul|jam|at){_SP}+)?"
_WEEKDAY = rf"(?:(?P<wd>[A-Za-z']+)(?:,{_SP}*|{_SP}+))?"
_RULES: tuple[tuple[int, str], ...] = (
    (ISO, r"(?P<y>[0-9]{4})(?P<s1>[-/.])(?P<mo>[0-9]{1,2})(?P<s2>[-/.])(?P<d>[0-9]{1,2})"
          rf"(?:(?:T|{_SP}+){_TIME})?{_ZONE}"),
    (DMY, r"(?P<d>[0-9]{1,2})(?P<s1>[-/.])(?P<mo>[0-9]{1,2})(?P<s2>[-/.])(?P<y>[0-9]{4})"
          rf"(?:{_LEAD}{_TIME})?{_ZONE}"),
    (NAMES, rf"{_WEEKDAY}(?P<d>[0-9]{{1,2}})(?:{_SP}+|-|/)?(?P<mon>[A-Za-z]+)\.?"
            rf"(?:{_SP}+|-|/)(?P<y>[0-9]{{4}})(?:{_LEAD}{_TIME})?{_ZONE}"),
    (NAMES, rf"{_WEEKDAY}(?P<mon>[A-Za-z]+)\.?{_SP}+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?,?"
            rf"{_SP}+(?P<y>[0-9]{{4}})(?:{_LEAD}{_TIME})?{_ZONE}"),
)
_COMPILED = tuple((fam, re.compile(rule, re.ASCII)) for fam, rule in _RULES)
#: One RE2 pattern (for ``pyarrow.compute``) matching any rule, used to skip hopeless skeletons.
ANY_RULE = "^(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", r) for _, r in _RULES) + ")$"

#: Numeric fields read from the digits: year, month, day, clock, fraction, offset.
NUMERIC = ("y", "mo", "d", "H", "M", "S", "F", "OH", "OM")
ABSENT = (0, 0)
_TOKENS = {"y": "YYYY", "mo": "MM", "d": "DD", "H": "HH", "M": "MM", "S": "SS",
           "OH": "HH", "OM": "MM", "mon": "Month", "wd": "Weekday"}


@dataclass
class Layout:
    """Where one skeleton keeps its fields, and what its letters say."""

    family: int = NONE
    ok: bool = False
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    month: int = 0
    weekday: int = -1
    zone: int | None = None
    sign: int = 0
    pm: int = -1
    shape: str = ""


def skeleton_bytes(data: np.ndarray) -> np.ndarray:
    """Replace every ASCII digit byte by ``0`` (48)."""
    shift = data - np.uint8(48)
    shift *= shift < 10
    return data - shift


def layout_of(skeleton: str) -> Layout:
    """Match a skeleton against the rules; the first rule that matches wins."""
    for family, pattern in _COMPILED:
        match = pattern.fullmatch(skeleton)
        if match:
            return _layout(family, match, skeleton)
    return Layout()


def _layout(family: int, match: re.Match[str], skeleton: str) -> Layout:
    """Byte spans of the numeric fields, and the checks and constants the letters give."""
    groups = match.groupdict()

    def byte_pos(i: int) -> int:
        return len(skeleton[:i].encode())

    out = Layout(family=family, ok=True)
    for name in NUMERIC:
        if groups.get(name) is not None:
            start, end = match.span(name)
            out.spans[name] = (byte_pos(start), byte_pos(end) - byte_pos(start))
    if family in (ISO, DMY):
        out.ok = groups["s1"] == groups["s2"]
    else:
        month = MONTHS.get(groups["mon"].lower())
        out.month = month or 0
        out.ok = month is not None
    if groups.get("wd") is not None:
        out.weekday = WEEKDAYS.get(groups["wd"].lower(), -2)
        out.ok &= out.weekday >= 0
    if groups.get("ts2") is not None:
        out.ok &= groups["ts2"] == groups["ts"]
    if groups.get("ap") is not None:
        out.pm = int(groups["ap"].lower() == "pm")
    if groups.get("zw") is not None:
        out.zone = ZONE_WORDS[groups["zw"].lower()]
    if groups.get("os") is not None:
        out.sign = 1 if groups["os"] == "+" else -1
    out.shape = _shape(match, skeleton)
    return out


def _shape(match: re.Match[str], skeleton: str) -> str:
    """Human form of a layout, e.g. ``DD/MM/YYYY HH.MM``."""
    found = match.groupdict()
    spans = sorted((match.span(n), n) for n in [*_TOKENS, "F"] if found.get(n) is not None)
    out, prev = [], 0
    for (start, end), name in spans:
        out += [skeleton[prev:start], _TOKENS.get(name, "f" * (end - start))]
        prev = end
    return ("".join(out) + skeleton[prev:]).replace("\xa0", " ").replace("\t", " ")


@dataclass
class LayoutTable:
    """Layouts of all distinct skeletons as numpy arrays indexed by skeleton code."""

    layouts: list[Layout]
    family: np.ndarray
    ok: np.ndarray
    pos: dict[str, np.ndarray]
    length: dict[str, np.ndarray]
    month: np.ndarray
    weekday: np.ndarray
    zone: np.ndarray
    zone_kind: np.ndarray
    sign: np.ndarray
    pm: np.ndarray

    @classmethod
    def build(cls, layouts: list[Layout]) -> LayoutTable:
        """Stack the per-skeleton layouts into arrays."""

        def col(get: Callable[[Layout], object], dtype: type) -> np.ndarray:
            return np.array([get(lay) for lay in layouts], dtype=dtype)

        spans = {n: np.array([lay.spans.get(n, ABSENT) for lay in layouts], dtype=np.int64)
                 for n in NUMERIC}
        return cls(
            layouts=layouts,
            family=col(lambda lay: lay.family, np.int8),
            ok=col(lambda lay: lay.ok, np.bool_),
            pos={n: s[:, 0] for n, s in spans.items()},
            length={n: s[:, 1] for n, s in spans.items()},
            month=col(lambda lay: lay.month, np.int32),
            weekday=col(lambda lay: lay.weekday, np.int32),
            zone=col(lambda lay: lay.zone or 0, np.int32),
            zone_kind=col(lambda lay: 1 if lay.zone is not None else 2 * abs(lay.sign), np.int8),
            sign=col(lambda lay: lay.sign, np.int32),
            pm=col(lambda lay: lay.pm, np.int32),
        )


def read_number(data: np.ndarray, end: np.ndarray, length: int | np.ndarray,
                width: int) -> np.ndarray:
    """Read decimal fields of ``length`` (at most ``width``) digits ending before ``end``.

    ``data`` carries 8 padding bytes on both sides, so every window ``end - width .. end``
    lies inside it.
    """
    base = end - width
    value = np.zeros(len(end), dtype=np.int32)
    if isinstance(length, int):
        for k in range(width - length, width):
            value *= 10
            value += data[k:][base]
        return value - 48 * ((10**length - 1) // 9)
    for k in range(width):
        digit = data[k:][base].astype(np.int32) - 48
        value += np.where(k >= width - length, digit * 10 ** (width - 1 - k), 0)
    return value


def read_micros(data: np.ndarray, start: np.ndarray, length: int | np.ndarray) -> np.ndarray:
    """Read a decimal fraction of up to 9 digits as microseconds (truncated)."""
    used = min(length, 6) if isinstance(length, int) else np.minimum(length, 6)
    width = used if isinstance(used, int) else int(used.max(initial=0))
    if width == 0:
        return np.zeros(len(start), dtype=np.int32)
    value = read_number(data, start + used, used, width)
    return value * (10 ** (6 - used) if isinstance(used, int) else _POWERS[6 - used])


_POWERS = 10 ** np.arange(7, dtype=np.int32)


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (vectorised)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def valid_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether each year/month/day is a real date (leap years included)."""
    year, month, day = (np.asarray(x, dtype=np.int32) for x in (year, month, day))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    good_month = (month >= 1) & (month <= 12)
    days = _DAYS_IN_MONTH[np.where(good_month, month, 0)] + (leap & (month == 2))
    return good_month & (year >= 1) & (day >= 1) & (day <= days)
