"""SOP tables: the to-be process as analysts write it (the SOP AP layout, one row per step).

A CSV (``,`` or ``;``, any common encoding) with a step column and optional actor, norm
duration and mandatory columns; rows are in the SOP's order. Headers are matched in English or
Bahasa Indonesia::

    No;Kegiatan;Pelaksana;Waktu;Wajib
    1;Pendaftaran Permohonan;Petugas Front Office;30 menit;ya
    2;Verifikasi Berkas;Penata Perizinan Ahli Muda;1 hari;ya
    3;Survei Lapangan;Analis Teknis;2 hari;tidak

Durations: a number and a unit (``menit``/``min``, ``jam``/``h``/``hour``, ``hari``/``d``/
``day``, ``minggu``/``week``); a bare number is minutes. Days are calendar days (24 hours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procflow.errors import InputError, MappingError
from procflow.ingest.csv import read_csv
from procflow.ingest.schema import ROW, normalize_header

HEADERS: dict[str, tuple[str, ...]] = {
    "step": ("step", "kegiatan", "aktivitas", "activity", "tahapan", "langkah", "uraian"),
    "actor": ("actor", "pelaksana", "role", "jabatan", "performer"),
    "norm": ("norm", "normduration", "norm_duration", "waktu", "durasi", "duration",
             "mutubakuwaktu", "waktunorma", "norma"),
    "mandatory": ("mandatory", "wajib", "required", "harus"),
}
UNIT_SECONDS = {
    "menit": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "m": 60,
    "jam": 3600, "h": 3600, "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600,
    "hari": 86400, "d": 86400, "day": 86400, "days": 86400,
    "minggu": 604800, "pekan": 604800, "w": 604800, "week": 604800, "weeks": 604800,
}
YES = {"ya", "y", "yes", "true", "1", "wajib", "x", "v", "✓"}
NO = {"tidak", "t", "no", "n", "false", "0", "opsional", "optional"}
_DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([^\d\s]*)\s*$")


@dataclass(frozen=True)
class SopStep:
    """One SOP row: the activity, who does it, its norm duration and whether it must happen."""

    name: str
    actor: str | None
    norm_seconds: float | None
    mandatory: bool


@dataclass(frozen=True)
class Sop:
    """An SOP table in its order."""

    steps: tuple[SopStep, ...]
    source: str

    @property
    def sequence(self) -> list[tuple[str, bool]]:
        """``(activity, mandatory)`` in SOP order."""
        return [(s.name, s.mandatory) for s in self.steps]


def is_sop_file(path: Path) -> bool:
    """True when ``path`` looks like a table rather than XML (BPMN/PNML)."""
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return not head.startswith(b"<")


def read_sop(path: Path) -> Sop:
    """Read and check an SOP table."""
    table, _ = read_csv(Path(path))
    columns = _columns(table.column_names, str(path))
    steps: list[SopStep] = []
    seen: dict[str, int] = {}
    for record in table.to_pylist():
        step = _step(record, columns, str(path))
        if step is None:
            continue
        if step.name in seen:
            raise InputError(f"row {record[ROW]}: step {step.name!r} repeats row "
                             f"{seen[step.name]}.", source=str(path),
                             fix="list each step once, in the SOP's order.", code="sop_repeat",
                             params={"row": record[ROW], "step": step.name,
                                     "first": seen[step.name]})
        seen[step.name] = record[ROW]
        steps.append(step)
    if not steps:
        raise InputError("the SOP table has no steps.", source=str(path),
                         fix="add one row per step, in order.", code="sop_no_steps")
    return Sop(tuple(steps), str(path))


def _columns(names: list[str], source: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in names:
        key = normalize_header(name)
        for field, synonyms in HEADERS.items():
            if key in synonyms and field not in found:
                found[field] = name
    if "step" not in found:
        raise MappingError(
            f"no step column; found {', '.join(n for n in names if n != ROW)}.", source=source,
            fix="name the column with the activities 'step' or 'Kegiatan'.",
            code="sop_no_step_column",
            params={"columns": [n for n in names if n != ROW]})
    return found


def _step(record: dict[str, Any], columns: dict[str, str], source: str) -> SopStep | None:
    def cell(field: str) -> str | None:
        value = record.get(columns[field]) if field in columns else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    name = cell("step")
    if name is None:
        if any(cell(f) for f in columns if f != "step"):
            raise InputError(f"row {record[ROW]}: the step name is empty.", source=source,
                             fix="fill in the activity name or delete the row.",
                             code="sop_empty_step", params={"row": record[ROW]})
        return None
    return SopStep(name, cell("actor"), parse_norm(cell("norm"), record[ROW], source),
                   parse_mandatory(cell("mandatory"), record[ROW], source))


def parse_norm(text: str | None, row: int, source: str) -> float | None:
    """``"2 jam"`` → 7200.0 seconds; empty → None."""
    if text is None or text in {"-", "–"}:
        return None
    match = _DURATION.match(text.lower())
    unit = match.group(2).rstrip(".") if match else ""
    if match is None or (unit and unit not in UNIT_SECONDS):
        working = "kerja" in text.lower() or "working" in text.lower()
        raise InputError(
            f"row {row}: cannot read the norm duration {text!r}.", source=source,
            fix=("give calendar time (e.g. '3 hari' = 72 hours) until a calendar is set."
                 if working else "write a number and a unit, e.g. '30 menit', '2 jam', "
                 "'1 hari'."), code="sop_norm", params={"row": row, "value": text})
    number = float(match.group(1).replace(",", "."))
    return number * UNIT_SECONDS.get(unit, 60)


def parse_mandatory(text: str | None, row: int, source: str) -> bool:
    """``ya``/``yes`` → True, ``tidak``/``no`` → False; empty → True."""
    if text is None:
        return True
    value = text.lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise InputError(f"row {row}: mandatory must be ya/tidak (yes/no), not {text!r}.",
                     source=source, fix="write 'ya' or 'tidak'.", code="sop_mandatory",
                     params={"row": row, "value": text})
