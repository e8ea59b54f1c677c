"""The canonical event log's columns, and mapping source columns onto them.

Column names are declared here once. A :class:`ColumnMapping` says which source column feeds
each canonical field; :func:`suggest_mapping` proposes one from the headers (XES keys,
pm4py-style CSV headers, common English and Indonesian export headers), and every field can
be overridden.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

Field = Literal[
    "case_id", "activity", "timestamp", "start_timestamp",
    "resource", "role", "unit", "level", "lifecycle",
]
FIELDS: tuple[Field, ...] = (
    "case_id", "activity", "timestamp", "start_timestamp",
    "resource", "role", "unit", "level", "lifecycle",
)
REQUIRED: tuple[Field, ...] = ("case_id", "activity", "timestamp")
TEXT_FIELDS: tuple[Field, ...] = ("resource", "role", "unit")
ATTRIBUTE_PREFIX = "attr:"
EVENT_ID = "event_id"
#: Every column of a canonical events table, in stored order (attributes follow).
CANONICAL: tuple[str, ...] = (EVENT_ID, *FIELDS)
ROW = "__row"

#: XES keys of each canonical field, used by the XES export and the XES preset.
XES_KEYS: dict[Field, str] = {
    "case_id": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "start_timestamp": "start_timestamp",
    "resource": "org:resource",
    "role": "org:role",
    "unit": "org:group",
    "level": "org:level",
    "lifecycle": "lifecycle:transition",
}

#: Header spellings per field, most specific first; compared after :func:`normalize_header`.
HEADER_SYNONYMS: dict[Field, tuple[str, ...]] = {
    "case_id": (
        "case_id", "case:concept:name", "caseid", "case", "casename", "caseconceptname",
        "nopermohonan", "nomorpermohonan", "idpermohonan", "permohonan", "noregistrasi",
        "nomorregistrasi", "nomorsurat", "nosurat", "noagenda", "nomoragenda", "idkasus",
        "nomorberkas", "noberkas", "idlaporan", "nomorlaporan", "ticket", "ticketid",
    ),
    "activity": (
        "concept:name", "activity", "activityname", "task", "taskname", "eventname",
        "aktivitas", "tahapan", "tahap", "kegiatan", "langkah", "proses", "event", "status",
    ),
    "timestamp": (
        "time:timestamp", "completetimestamp", "endtimestamp", "timestamp", "completetime",
        "endtime", "end", "complete", "completed", "finish", "datetime", "time", "date",
        "waktuselesai", "tanggalselesai", "tglselesai", "selesai", "waktu", "tanggal", "tgl",
    ),
    "start_timestamp": (
        "start_timestamp", "starttimestamp", "starttime", "start", "startdate", "begin",
        "waktumulai", "tanggalmulai", "tglmulai", "mulai", "waktuterima", "tanggalterima",
    ),
    "resource": (
        "org:resource", "resource", "user", "username", "performer", "employee",
        "petugas", "pegawai", "namapegawai", "namapetugas", "pelaksana", "operator", "nama",
    ),
    "role": ("role", "org:role", "position", "jabatan", "namajabatan", "posisi", "peran"),
    "unit": (
        "org:group", "group", "unit", "department", "orgunit", "unitkerja", "bidang",
        "seksi", "bagian", "satker", "satuankerja", "opd", "organisasi",
    ),
    "level": ("level", "org:level", "hierarchylevel", "tingkat", "eselon", "tingkatjabatan"),
    "lifecycle": ("lifecycle", "lifecycle:transition", "transition", "eventtype"),
}


def unique_names(header: list[str]) -> list[str]:
    """Column names from a header row: trimmed, blanks named ``column_<n>``, repeats numbered
    (``x``, ``x_2``, ``x_3``); linear in the number of columns. ``__row`` is never given."""
    taken: set[str] = {ROW}
    next_suffix: dict[str, int] = {}
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        base = raw.strip().lstrip("\ufeff") or f"column_{i}"
        name, n = base, next_suffix.get(base, 2)
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        next_suffix[base] = n
        taken.add(name)
        names.append(name)
    return names


def normalize_header(header: str) -> str:
    """Lower-case a header and drop everything but letters, digits, ':' and '_'."""
    return re.sub(r"[^0-9a-z:_]+", "", header.strip().lower().lstrip("\ufeff"))


@dataclass(frozen=True)
class ColumnMapping:
    """Source column feeding each canonical field (``None`` = not present)."""

    case_id: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    resource: str | None = None
    role: str | None = None
    unit: str | None = None
    level: str | None = None
    lifecycle: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Field → source column, every field present."""
        return asdict(self)

    def used(self) -> dict[str, str]:
        """Only the fields that are mapped."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name))}

    def missing_required(self) -> list[Field]:
        """Required fields without a source column."""
        return [f for f in REQUIRED if getattr(self, f) is None]


def suggest_mapping(headers: list[str], **overrides: str | None) -> ColumnMapping:
    """Propose a mapping from ``headers``; explicit ``overrides`` (field=column) win.

    Each header is used for one field at most; overridden columns are never re-used.
    """
    unknown = set(overrides) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown mapping fields: {sorted(unknown)}")
    taken = {v for v in overrides.values() if v}
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalize_header(header), header)
    chosen: dict[str, str | None] = {}
    for field in FIELDS:
        if field in overrides:
            chosen[field] = overrides[field]
            continue
        chosen[field] = None
        for synonym in HEADER_SYNONYMS[field]:
            found = by_norm.get(synonym)
            if found is not None and found not in taken:
                chosen[field] = found
                taken.add(found)
                break
    return replace(ColumnMapping(), **chosen)
