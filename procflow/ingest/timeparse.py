"""Vectorised timestamp parsing by explicit rules: ambiguous, mixed or zone-less columns are
refused with examples and the fix, never guessed.

Text values follow one of three rule families (see :mod:`procflow.ingest.timerules`): year-first
(``2024-08-17 14:05:00+07:00``), numeric day/month/year (``17/08/2024 14.05``) or month names
(``Senin, 17 Agustus 2024 14.05 WITA``). The day order of numeric dates is decided jointly for
all columns of a call from values that only fit one order, or given by ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, NoReturn, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procflow.errors import InputError, TimestampError
from procflow.ingest.timerules import (
    ANY_RULE,
    DMY,
    FAMILY_NAMES,
    ISO,
    NAMES,
    NUMERIC,
    Layout,
    LayoutTable,
    days_from_civil,
    layout_of,
    read_micros,
    read_number,
    skeleton_bytes,
    valid_date,
)

DayOrder = Literal["auto", "dayfirst", "monthfirst"]
UTC_US = pa.timestamp("us", tz="UTC")
_US = 1_000_000
_TZ_ALIASES = {"WIB": "Etc/GMT-7", "WITA": "Etc/GMT-8", "WIT": "Etc/GMT-9"}
_ONE = "\x00value"
_PAD = np.zeros(8, dtype=np.uint8)
_TZ_FIX = ("pass --tz ZONE (e.g. Asia/Jakarta for WIB, Asia/Makassar for WITA, Asia/Jayapura "
           "for WIT) or set PROCFLOW_TZ.")
_FORMATS = ("use one supported format: 2024-08-17 14:05[:00], 17/08/2024 14.05 or "
            "17 Agustus 2024 14.05, optionally with a zone (Z, +07:00, WIB, WITA, WIT).")


@dataclass(frozen=True)
class ParsedTimes:
    """One parsed column: UTC instants, the rows that could not be read, and the rule used."""

    values: pa.TimestampArray
    invalid: np.ndarray
    description: str
    #: The rule family of a text column (0 for typed or empty columns).
    family: int = 0
    #: How many rows carry each UTC offset (minutes); empty when none carries its own zone.
    offsets: dict[int, int] = field(default_factory=dict)


@dataclass
class _Scan:
    """A text column read by the rules; ``rows`` are the rows matching a rule."""

    name: str
    text: pa.Array
    present: np.ndarray
    family: np.ndarray
    rows: np.ndarray
    codes: np.ndarray
    table: LayoutTable
    fields: dict[str, np.ndarray]
    index: np.ndarray | None = None
    single: bool = field(init=False)

    def __post_init__(self) -> None:
        self.single = bool(len(self.codes)) and self.codes.min() == self.codes.max()

    def per_row(self, column: np.ndarray) -> np.ndarray:
        """A layout property for each matching row (a 0-d array if all share one layout)."""
        return np.asarray(column[self.codes[0]]) if self.single else column[self.codes]


def parse_time_columns(
    columns: dict[str, pa.Array], *, tz: str | None, order: DayOrder = "auto", source: str = "",
    decided: bool | None = None,
) -> dict[str, ParsedTimes]:
    """Parse time columns of one file into UTC; refuse ambiguous, mixed or zone-less input.

    ``decided`` is the day order (day-first or not) found in other parts of the same file:
    values that fit only the other order are then refused as a contradiction, and values
    that fit both follow it."""
    if order not in ("auto", "dayfirst", "monthfirst"):
        raise ValueError(f"order must be 'auto', 'dayfirst' or 'monthfirst', not {order!r}")
    zone = _zone(tz, source)
    out: dict[str, ParsedTimes] = {}
    scans = _scans(columns, source, typed=lambda n, a: out.__setitem__(n, _typed(n, a, zone,
                                                                                 source)))
    dayfirst = _day_order(scans, order, source, decided)
    for scan in scans:
        out[scan.name] = _finish(scan, dayfirst, zone, source)
    return {name: out[name] for name in columns}


def missing_zone(name: str, values: pa.Array, *, rows: int = 1000) -> str | None:
    """Examples of the first ``rows`` of ``values`` that are times without a zone (which an
    import with no default zone refuses), or None when they state one or are not such times.
    Dates whose day order the rows leave open are read either way: the zone does not hang on it."""
    first: pa.Array = values.slice(0, rows)
    for order in get_args(DayOrder):
        try:
            parse_time_columns({name: first}, tz=None, order=order)
            return None
        except InputError as err:
            if err.code == "no_zone":
                return str(err.params["examples"])
    return None


def _scans(columns: dict[str, pa.Array], source: str,
           typed: Callable[[str, pa.Array], None]) -> list[_Scan]:
    """Scans of the text columns (checked for one rule family each); typed columns go to
    ``typed``."""
    scans: list[_Scan] = []
    for name, column in columns.items():
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if _is_text(array.type):
            scans.append(_scan(name, array))
        else:
            typed(name, array)
    for scan in scans:
        _check_families(scan, source)
    return scans


def day_order_evidence(columns: dict[str, pa.Array], *, source: str = ""
                       ) -> tuple[bool, bool | None]:
    """What these columns (a part of a file) tell of the day order: ``(settled, dayfirst)``;
    settled with ``dayfirst`` True or False when some numeric date fits only one order,
    settled with None when no column holds numeric dates; refused when values contradict."""
    scans = _scans(columns, source, typed=lambda n, a: None)
    hits = _hits(scans)
    if hits["day"] or hits["month"]:
        return True, _day_order(scans, "auto", source)
    numeric = any((scan.family == DMY).any() for scan in scans)
    return not numeric, None


def parse_one(text: str, *, tz: str | None, order: DayOrder = "auto") -> datetime:
    """Parse a single date/time (e.g. a CLI option) by the same rules, as an aware UTC datetime."""
    if not text.strip():
        raise TimestampError("the date/time is empty.", fix=_FORMATS)
    got = parse_time_columns({_ONE: pa.array([text])}, tz=tz, order=order)[_ONE]
    micros = got.values.cast(pa.int64())[0].as_py()
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    except OverflowError:
        raise TimestampError(f"{text!r} lies outside the years 1-9999 in UTC.",
                             fix="correct the date.") from None


def _label(name: str) -> str:
    """How messages name a column."""
    return "the value" if name == _ONE else f"column {name!r}"


def _zone(tz: str | None, source: str) -> ZoneInfo | None:
    """The default zone for naive values (IANA name, or WIB/WITA/WIT as fixed offsets)."""
    if tz is None:
        return None
    key = _TZ_ALIASES.get(tz.strip().upper(), tz.strip())
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimestampError(
            f"unknown time zone {tz!r}.", source=source or None,
            fix="use an IANA zone name such as Asia/Jakarta (WIB), Asia/Makassar (WITA) or "
                "Asia/Jayapura (WIT).", code="unknown_zone", params={"zone": tz},
        ) from None


def _is_text(kind: pa.DataType) -> bool:
    """Whether a column holds text (possibly dictionary-encoded)."""
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or pa.types.is_string_view(kind))


def _examples(text: pa.Array, index: np.ndarray, limit: int = 5) -> str:
    """Up to ``limit`` distinct quoted values at the given row positions."""
    seen: list[str] = []
    for value in text.take(pa.array(index[:500], type=pa.int64())).to_pylist():
        if value not in seen:
            seen.append(value)
        if len(seen) == limit:
            break
    return ", ".join(repr(v if len(v) <= 40 else v[:39] + "…") for v in seen)


def _scan(name: str, array: pa.Array) -> _Scan:
    """Trim the text, match each distinct skeleton to a rule and read every row's digits."""
    if pa.types.is_dictionary(array.type):
        return _restrict(_scan(name, array.dictionary), array.indices)
    if pa.types.is_string_view(array.type):
        array = array.cast(pa.large_string())
    if _repetitive(array):
        return _scan(name, pc.dictionary_encode(array))
    text = pc.utf8_trim_whitespace(array)
    n = len(text)
    validity, offsets_buf, data_buf = text.buffers()
    kind = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=kind)[text.offset:text.offset + n + 1]
    offsets = offsets.astype(np.int64)
    data = np.frombuffer(data_buf or b"", dtype=np.uint8)
    present = (np.diff(offsets) > 0) & ~text.is_null().to_numpy(zero_copy_only=False)
    skeleton = pa.Array.from_buffers(
        text.type, n, [validity, offsets_buf, pa.py_buffer(skeleton_bytes(data))],
        offset=text.offset,
    )
    codes, table = _layouts(skeleton)
    family = np.where(present, table.family[codes], 0).astype(np.int8)
    rows = np.flatnonzero(family > 0)
    sub = codes if len(rows) == n else codes[rows]
    padded = np.concatenate((_PAD, data, _PAD))
    fields = _read_fields(padded, offsets[:-1][rows] + len(_PAD), sub, table)
    return _Scan(name, text, present, family, rows, sub, table, fields)


def _layouts(skeleton: pa.Array) -> tuple[np.ndarray, LayoutTable]:
    """Match each distinct skeleton once; return every row's layout code and the layouts."""
    encoded = pc.dictionary_encode(skeleton)
    hopeful = pc.match_substring_regex(encoded.dictionary, ANY_RULE)
    layouts = [layout_of(s) for s in encoded.dictionary.filter(hopeful).to_pylist()]
    remap = np.full(len(encoded.dictionary) + 1, len(layouts), dtype=np.int64)
    remap[np.flatnonzero(hopeful.to_numpy(zero_copy_only=False))] = np.arange(len(layouts))
    codes = remap[encoded.indices.fill_null(-1).to_numpy()]
    return codes, LayoutTable.build([*layouts, Layout()])


def _read_fields(data: np.ndarray, starts: np.ndarray, codes: np.ndarray,
                 table: LayoutTable) -> dict[str, np.ndarray]:
    """Read the numeric fields of the matching rows from the raw UTF-8 bytes."""
    fields: dict[str, np.ndarray] = {}
    single = len(codes) > 0 and codes.min() == codes.max()
    for name in NUMERIC:
        pos: int | np.ndarray
        length: int | np.ndarray
        if single or not len(codes):
            code = int(codes[0]) if single else 0
            width = int(table.length[name][code])
            pos, length = int(table.pos[name][code]), width
        else:
            lengths = table.length[name][codes]
            width = int(lengths.max())
            pos, length = table.pos[name][codes], lengths
        if name == "F":
            fields[name] = read_micros(data, starts + pos, length)
        elif width == 0:
            fields[name] = np.zeros(len(codes), dtype=np.int32)
        else:
            fields[name] = read_number(data, starts + pos + length, length, width)
    return fields


def _repetitive(array: pa.Array, sample: int = 2048) -> bool:
    """Whether a long column repeats its values enough to parse only the distinct ones."""
    if len(array) < 16 * sample:
        return False
    picks = np.linspace(0, len(array) - 1, sample).astype(np.int64)
    return len(pc.unique(array.take(pa.array(picks)))) <= sample * 9 // 10


def _restrict(inner: _Scan, indices: pa.Array) -> _Scan:
    """Make a scan of dictionary values stand for the rows that use them."""
    index = indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    used = np.zeros(len(inner.present), dtype=np.bool_)
    used[index[index >= 0]] = True
    inner.present &= used
    inner.family[~used] = 0
    inner.index = index
    return inner


def _check_families(scan: _Scan, source: str) -> None:
    """Refuse a column mixing rule families, or one whose values match no rule at all."""
    counts = np.bincount(scan.family[scan.present], minlength=4)
    found = [f for f in (ISO, DMY, NAMES) if counts[f]]
    if len(found) > 1:
        kinds = "; ".join(
            f"{FAMILY_NAMES[f]} such as {_examples(scan.text, np.flatnonzero(scan.family == f))}"
            for f in found
        )
        raise TimestampError(
            f"{_label(scan.name)} mixes date formats: {kinds}.", source=source or None,
            fix="make every value of the column use one format (re-export or convert it); "
                "procflow does not guess which rule a value follows.",
            code="mixed_dates", params={"column": scan.name, "examples": kinds},
        )
    if not found and scan.present.any():
        _refuse_unreadable(scan, "", source)


def _hits(scans: list[_Scan]) -> dict[str, list[str]]:
    """Examples of numeric dates that fit only day-first, only month-first, or either."""
    hits: dict[str, list[str]] = {"day": [], "month": [], "either": []}
    for scan in scans:
        numeric = (scan.family[scan.rows] == DMY) & scan.table.ok[scan.codes]
        first, second = scan.fields["d"], scan.fields["mo"]
        small1, small2 = (first >= 1) & (first <= 12), (second >= 1) & (second <= 12)
        masks = {"day": numeric & (first > 12) & small2, "month": numeric & (second > 12) & small1,
                 "either": numeric & small1 & small2 & (first != second)}
        for key, mask in masks.items():
            if mask.any():
                hits[key].append(_examples(scan.text, scan.rows[mask]))
    return hits


def _day_order(scans: list[_Scan], order: DayOrder, source: str,
               decided: bool | None = None) -> bool:
    """Whether numeric dates are day-first, from ``order``, or from the values of all columns
    and the order ``decided`` from the rest of the file."""
    if order != "auto":
        return order == "dayfirst"
    hits = _hits(scans)
    if decided is not None:
        mine, other = ("day", "month") if decided else ("month", "day")
        if hits[other] and not hits[mine]:
            hits[mine].append("earlier rows of the file")
    columns = [s.name for s in scans if (s.family == DMY).any()]
    names = ", ".join(_label(name) for name in columns)
    if hits["day"] and hits["month"]:
        raise TimestampError(
            f"numeric dates in {names} fit only day-first in some values "
            f"({'; '.join(hits['day'])}) and only month-first in others "
            f"({'; '.join(hits['month'])}).", source=source or None,
            fix="correct the data so one day order is used throughout, or pass --dayfirst or "
                "--monthfirst (values impossible under it become rejected rows).",
            code="day_order_conflict",
            params={"columns": columns, "examples": [*hits["day"], *hits["month"]]},
        )
    if hits["day"] or hits["month"]:
        return bool(hits["day"])
    if decided is not None:
        return decided
    if hits["either"]:
        raise TimestampError(
            f"numeric dates in {names} are ambiguous: every day and month is 12 or "
            f"less, so DD/MM and MM/DD both fit (e.g. {'; '.join(hits['either'])}).",
            source=source or None, fix="pass --dayfirst or --monthfirst to say which it is.",
            code="day_order_ambiguous", params={"columns": columns, "examples": hits["either"]},
        )
    return True


def _finish(scan: _Scan, dayfirst: bool, zone: ZoneInfo | None, source: str) -> ParsedTimes:
    """Validate the fields, build UTC instants and describe the rule used."""
    t, f, row = scan.table, scan.fields, scan.per_row
    day, month = f["d"], f["mo"]
    if not dayfirst:
        swap = row(t.family) == DMY
        day, month = np.where(swap, month, day), np.where(swap, day, month)
    named = row(t.month)
    if (named > 0).any():
        month = np.where(named > 0, named, month)
    ok = row(t.ok) & scan.present[scan.rows] & valid_date(f["y"], month, day)
    ok &= (f["M"] < 60) & (f["S"] < 60)
    hour = _clock(f["H"], row(t.pm), ok)
    days = days_from_civil(f["y"], month, day).astype(np.int64)
    weekday = row(t.weekday)
    if (weekday >= 0).any():
        ok &= (weekday < 0) | ((days + 3) % 7 == weekday)
    local = (days * 86400 + hour * 3600 + f["M"] * 60 + f["S"]) * _US + f["F"]
    kind = row(t.zone_kind)
    utc = local
    offset = np.zeros_like(local)
    if (kind > 0).any():
        ok &= (kind != 2) | ((f["OH"] <= 14) & (f["OM"] < 60))
        offset = np.where(kind == 1, row(t.zone), row(t.sign) * (f["OH"] * 60 + f["OM"]))
        utc = local - offset.astype(np.int64) * (60 * _US)
    naive = (kind == 0) & ok
    if naive.any():
        if zone is None:
            _refuse_naive(scan.name, scan.text, scan.rows[naive], source)
        utc[naive], ok[naive] = _localize(local[naive], zone)
    return _result(scan, utc, ok, _describe(scan, dayfirst, zone), source,
                   (offset, ok & (np.asarray(kind) > 0)))


def _clock(hour: np.ndarray, pm: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Check the hour (in place on ``ok``) and turn 12-hour clock values into 24-hour ones."""
    if not (pm >= 0).any():
        ok &= hour < 24
        return hour
    ok &= np.where(pm >= 0, (hour >= 1) & (hour <= 12), hour < 24)
    return np.where(pm >= 0, hour % 12 + 12 * (pm == 1), hour)


def _result(scan: _Scan, utc: np.ndarray, ok: np.ndarray, description: str,
            source: str, zoned: tuple[np.ndarray, np.ndarray]) -> ParsedTimes:
    """Spread the matching rows' instants (and the offsets of the ``zoned`` ones) over the
    column; refuse if none is valid."""
    n = len(scan.present)
    values = np.zeros(n + 1, dtype=np.int64)
    valid = np.zeros(n + 1, dtype=np.bool_)
    offset = np.zeros(n + 1, dtype=np.int64)
    carried = np.zeros(n + 1, dtype=np.bool_)
    present = np.append(scan.present, False)
    values[scan.rows], valid[scan.rows] = utc, ok
    offset[scan.rows], carried[scan.rows] = zoned
    spread = scan.index if scan.index is not None else slice(0, n)
    values, valid, present = values[spread], valid[spread], present[spread]
    minutes, rows = np.unique(offset[spread][carried[spread]], return_counts=True)
    offsets = dict(zip(minutes.tolist(), rows.tolist(), strict=True))
    if present.any() and not valid.any():
        _refuse_unreadable(scan, description, source)
    family = int(scan.family.max()) if len(scan.family) else 0
    return ParsedTimes(_timestamps(values, valid), present & ~valid, description, family,
                       offsets)


def _refuse_unreadable(scan: _Scan, rule: str, source: str) -> NoReturn:
    """Refuse a column none of whose values is a date/time (``rule``: the rule tried, if any)."""
    examples = _examples(scan.text, np.flatnonzero(scan.present))
    if scan.name == _ONE:
        what = f"{examples} is not a valid date/time ({rule})" if rule else (
            f"{examples} does not look like a date/time in a supported format")
        raise TimestampError(f"{what}.", fix=f"correct it; {_FORMATS}")
    why = f"none of its values is valid under the rule {rule}" if rule else (
        "no value matches a supported format")
    raise TimestampError(
        f"{_label(scan.name)} does not look like a date/time: {why} (e.g. {examples}).",
        source=source or None,
        fix=f"map the column that holds the times, or correct the values; {_FORMATS}",
        code="not_times", params={"column": scan.name, "examples": examples},
    )


def _timestamps(values: np.ndarray, valid: np.ndarray) -> pa.TimestampArray:
    """UTC microsecond timestamps, null where not valid."""
    return pa.array(values, type=UTC_US, mask=~valid)


def _refuse_naive(name: str, text: pa.Array, rows: np.ndarray, source: str) -> NoReturn:
    """Refuse times without a zone when no default zone is configured."""
    raise TimestampError(
        f"{_label(name)} has times without a zone (e.g. {_examples(text, rows)}), and no default "
        "zone is configured.", source=source or None, fix=_TZ_FIX,
        code="no_zone", params={"column": name, "examples": _examples(text, rows)},
    )


def _localize(local: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """Local wall-clock microseconds to UTC; nonexistent or ambiguous local times fail."""
    import pandas as pd

    index = pd.DatetimeIndex(local.view("datetime64[us]"))
    placed = index.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    good = ~np.asarray(placed.isna())
    utc = placed.tz_convert("UTC").as_unit("us").asi8
    return np.where(good, utc, 0), good


def _describe(scan: _Scan, dayfirst: bool, zone: ZoneInfo | None) -> str:
    """Human text of the rule applied, e.g. ``DD/MM/YYYY HH.MM, day-first, naive in X``."""
    codes = scan.codes[scan.present[scan.rows]]
    if not len(codes):
        return "empty"
    counts = np.bincount(codes, minlength=len(scan.table.layouts))
    layout = scan.table.layouts[int(counts.argmax())]
    shape = layout.shape
    parts = [shape]
    if layout.family == DMY:
        if not dayfirst:
            parts[0] = shape.replace("DD", "\0", 1).replace("MM", "DD", 1).replace("\0", "MM", 1)
        parts.append("day-first" if dayfirst else "month-first")
    others = int((counts > 0).sum()) - 1
    if others:
        parts[0] += f" (and {others} similar layout{'s' if others > 1 else ''})"
    zoned = scan.table.zone_kind[codes] > 0
    where = f"naive in {_zone_name(zone)}"
    parts.append("zone in the values" if zoned.all() else
                 where if not zoned.any() else f"zone in the values or {where}")
    return ", ".join(parts)


def _zone_name(zone: ZoneInfo | None) -> str:
    """The zone as descriptions show it."""
    key = str(zone.key) if zone is not None else "?"
    names = {v: k for k, v in _TZ_ALIASES.items()}
    return f"{names[key]} (UTC+{key[-1]})" if key in names else key


def _typed(name: str, array: pa.Array, zone: ZoneInfo | None, source: str) -> ParsedTimes:
    """Parse an already typed column: timestamps (with or without zone) or dates."""
    kind, n = array.type, len(array)
    valid = ~array.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_null(kind) or not valid.any():
        return ParsedTimes(_timestamps(np.zeros(n, np.int64), valid & False), valid & False,
                           "empty")
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        values = array.cast(UTC_US, safe=False)
        return ParsedTimes(values, np.zeros(n, np.bool_), f"timestamps in {kind.tz}, as UTC")
    if pa.types.is_timestamp(kind):
        local = array.cast(pa.timestamp("us"), safe=False).cast(pa.int64())
        what = "timestamps without zone"
    elif pa.types.is_date(kind):
        local = array.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
        local = pc.multiply(local, 86400 * _US)
        what = "dates at midnight"
    else:
        raise TimestampError(
            f"{_label(name)} holds {kind} values, not dates or times.", source=source or None,
            fix="map the column that holds the times, or export it as text or dates.",
            code="not_times", params={"column": name, "examples": str(kind)},
        )
    if zone is None:
        _refuse_naive(name, array.cast(pa.string()), np.flatnonzero(valid), source)
    local_us = local.fill_null(0).to_numpy()
    utc, good = _localize(local_us[valid], zone)
    values, ok = np.zeros(n, np.int64), np.zeros(n, np.bool_)
    values[valid], ok[valid] = utc, good
    return ParsedTimes(_timestamps(values, ok), valid & ~ok,
                       f"{what}, naive in {_zone_name(zone)}")
