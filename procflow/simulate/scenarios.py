"""Scenario definitions for :mod:`procflow.simulate.permits`: people, posts, process steps and
timing.

``permit-delayering``: building approval (PBG) at a regency one-stop service office (DPMPTSP)
in WITA. Before the delayering date the file passes a section head, a division head and the
office head; after it, a functional official verifies and the office head approves, except in
a share of cases where the former division head (now a coordinator) still initials.

All durations are in *working minutes*: the clock only runs during office hours on working days
(see :data:`DAY_MINUTES` and :data:`HOLIDAYS`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

ZONE = "Asia/Makassar"
UTC_OFFSET = "+08:00"
DELAYERING_DATE = dt.date(2024, 1, 1)
FIRST_DAY = dt.date(2023, 1, 1)
#: Office opens at 07:30 local time; minutes of work per weekday, Monday..Friday.
DAY_START_MINUTE = 7 * 60 + 30
DAY_MINUTES = (510, 510, 510, 510, 450)
#: Longest wait before one step, in working minutes (60 working days).
WAIT_CAP = 60 * 510
#: A returned step is repeated at most this many times in a row.
MAX_RETURNS = 3

#: Fixed, deliberately short list of national holidays and cuti bersama on weekdays (SKB of
#: 2023 and 2024); not a calendar reference, only enough for arrivals to skip the big breaks.
HOLIDAYS: tuple[str, ...] = (
    "2023-01-23", "2023-03-22", "2023-03-23", "2023-04-07", "2023-04-19", "2023-04-20",
    "2023-04-21", "2023-04-24", "2023-04-25", "2023-05-01", "2023-05-18", "2023-06-01",
    "2023-06-29", "2023-07-19", "2023-08-17", "2023-09-28", "2023-12-25", "2023-12-26",
    "2024-01-01", "2024-02-08", "2024-02-14", "2024-03-11", "2024-03-29", "2024-04-08",
    "2024-04-09", "2024-04-10", "2024-04-11", "2024-04-12", "2024-04-15", "2024-05-01",
    "2024-05-09", "2024-05-23", "2024-06-17", "2024-09-16", "2024-12-25", "2024-12-26",
    "2025-01-01",
)

#: Default decision pattern of METRICS §5 (case-insensitive substring search).
DECISION_PATTERN = (
    "approv|reject|decide|sign|authori[sz]|setuju|tolak|tanda tangan|tte|ttd|paraf|putus"
    "|disposisi|verifikasi|validasi"
)

DAFTAR = "Pendaftaran Permohonan"
VERIFIKASI = "Verifikasi Berkas"
TEKNIS = "Pemeriksaan Teknis"
PERBAIKAN = "Perbaikan Berkas oleh Pemohon"
PARAF_KASI = "Paraf Kepala Seksi"
PARAF_KABID = "Paraf Kepala Bidang"
PARAF_KOORDINATOR = "Paraf Koordinator"
SURVEI = "Survei Lapangan"
TTE = "Persetujuan dan TTE Kepala Dinas"
TERBIT = "Penerbitan Izin"


@dataclass(frozen=True)
class Post:
    """A position: jabatan, hierarchy level (1 = top) and unit kerja."""

    role: str
    level: int
    unit: str


@dataclass(frozen=True)
class Person:
    """A Petugas with the post held before and from the delayering date."""

    name: str
    before: Post
    after: Post


BIDANG = "Bidang Perizinan Konstruksi"
_FRONT = Post("Petugas Front Office", 5, "Front Office")
_TECH_BEFORE = Post("Analis Teknis Bangunan Gedung", 5, "Seksi Pemeriksaan Teknis")
_TECH_AFTER = Post("Analis Teknis Bangunan Gedung", 5, BIDANG)
_AHLI_MUDA = Post("Penata Perizinan Ahli Muda", 4, BIDANG)
_KADIS = Post("Kepala Dinas", 2, "Pimpinan")

FRONT_OFFICE = tuple(Person(n, _FRONT, _FRONT) for n in (
    "Nurul Hikmah", "Muhammad Rizal", "Sitti Aisyah", "Andi Fadly Ramadhan", "Dewi Kartika Sari",
))
TECHNICAL = tuple(Person(n, _TECH_BEFORE, _TECH_AFTER) for n in (
    "Ahmad Syarifuddin, S.T.", "Rina Marlina, S.T.", "Irfan Hidayat, S.T.",
    "Fitriani Yusuf, S.T.", "Budi Santoso, A.Md.T.", "Kurniawan Saputra, S.T.",
))
KASI_VERIFIKASI = Person("Hasnawati, S.E., M.Si.",
                         Post("Kepala Seksi Verifikasi", 4, "Seksi Verifikasi"), _AHLI_MUDA)
KASI_TEKNIS = Person("Syamsul Bahri, S.T., M.T.",
                     Post("Kepala Seksi Pemeriksaan Teknis", 4, "Seksi Pemeriksaan Teknis"),
                     _AHLI_MUDA)
KABID = Person("Ir. Muhammad Arsyad, M.T.", Post("Kepala Bidang Perizinan Konstruksi", 3, BIDANG),
               Post("Koordinator (Penata Perizinan Ahli Madya)", 3, BIDANG))
KADIS = Person("Dr. Andi Baso Tenri, S.Sos., M.Si.", _KADIS, _KADIS)
PEOPLE: tuple[Person, ...] = (*FRONT_OFFICE, *TECHNICAL, KASI_VERIFIKASI, KASI_TEKNIS, KABID, KADIS)

Step = tuple[str, str]
"""``(activity, slot)``: a slot names who in the case does it (see :class:`Side`.pools)."""


@dataclass(frozen=True)
class Block:
    """Steps done once, then with ``p_return`` a returned loop repeated 1..MAX_RETURNS times.

    After the first return, each further return happens with ``p_again``. ``only`` limits the
    block to shadow cases (``"shadow"``) or the other cases (``"plain"``); ``p_include`` is the
    share of those cases that go through the block at all.
    """

    main: tuple[Step, ...]
    loop: tuple[Step, ...] = ()
    p_return: float = 0.0
    p_again: float = 0.25
    only: Literal["all", "shadow", "plain"] = "all"
    p_include: float = 1.0


@dataclass(frozen=True)
class Timing:
    """Lognormal wait before a step and its processing time (median in working minutes)."""

    wait_median: float
    wait_sigma: float
    proc_median: float
    proc_sigma: float


@dataclass(frozen=True)
class Side:
    """One log of the scenario: who may fill each slot, the blocks in order, and timing."""

    name: str
    year: int
    pools: dict[str, tuple[Person, ...]]
    blocks: tuple[Block, ...]
    timing: dict[str, Timing]


def _pools(verifiers: tuple[Person, ...]) -> dict[str, tuple[Person, ...]]:
    return {"registrar": FRONT_OFFICE, "issuer": FRONT_OFFICE, "tech": TECHNICAL,
            "verifier": verifiers, "kasi": (KASI_TEKNIS,), "kabid": (KABID,), "kadis": (KADIS,)}


_FIX = (PERBAIKAN, "registrar")
_COMMON = {
    DAFTAR: Timing(0, 0.0, 20, 0.5),
    PERBAIKAN: Timing(1500, 1.0, 20, 0.5),
    TEKNIS: Timing(1000, 0.9, 150, 0.7),
    SURVEI: Timing(1000, 0.8, 240, 0.5),
    TERBIT: Timing(240, 0.8, 20, 0.5),
}

BEFORE = Side("before", 2023, _pools((KASI_VERIFIKASI,)), (
    Block(((DAFTAR, "registrar"),)),
    Block(((VERIFIKASI, "verifier"),), (_FIX, (VERIFIKASI, "verifier")), 0.30),
    Block(((TEKNIS, "tech"),), (_FIX, (TEKNIS, "tech")), 0.15),
    Block(((SURVEI, "tech"),), p_include=0.35),
    Block(((PARAF_KASI, "kasi"),), ((TEKNIS, "tech"), (PARAF_KASI, "kasi")), 0.15),
    Block(((PARAF_KABID, "kabid"),), ((PARAF_KASI, "kasi"), (PARAF_KABID, "kabid")), 0.12),
    Block(((TTE, "kadis"),), ((PARAF_KABID, "kabid"), (TTE, "kadis")), 0.06),
    Block(((TERBIT, "issuer"),)),
), {**_COMMON,
    VERIFIKASI: Timing(480, 1.0, 30, 0.6),
    PARAF_KASI: Timing(700, 1.0, 15, 0.5),
    PARAF_KABID: Timing(1500, 1.1, 10, 0.5),
    TTE: Timing(2500, 1.2, 5, 0.5)})

AFTER = Side("after", 2024, _pools((KASI_VERIFIKASI, KASI_TEKNIS)), (
    Block(((DAFTAR, "registrar"),)),
    Block(((VERIFIKASI, "verifier"),), (_FIX, (VERIFIKASI, "verifier")), 0.25),
    Block(((TEKNIS, "tech"),), (_FIX, (TEKNIS, "tech")), 0.12),
    Block(((SURVEI, "tech"),), p_include=0.35),
    Block(((PARAF_KOORDINATOR, "kabid"),), ((TEKNIS, "tech"), (PARAF_KOORDINATOR, "kabid")),
          0.10, only="shadow"),
    Block(((TTE, "kadis"),), ((PARAF_KOORDINATOR, "kabid"), (TTE, "kadis")), 0.04,
          only="shadow"),
    Block(((TTE, "kadis"),), ((TEKNIS, "tech"), (TTE, "kadis")), 0.04, only="plain"),
    Block(((TERBIT, "issuer"),)),
), {**_COMMON,
    VERIFIKASI: Timing(240, 0.9, 30, 0.6),
    PARAF_KOORDINATOR: Timing(1000, 1.1, 10, 0.5),
    TTE: Timing(700, 1.0, 5, 0.5)})

SCENARIOS: dict[str, tuple[Side, Side]] = {"permit-delayering": (BEFORE, AFTER)}


def describe(side: Side) -> dict[str, object]:
    """The side's parameters as JSON-ready data (for ``truth.json``)."""
    def lognormal(median: float, sigma: float, **extra: int) -> dict[str, object]:
        return {"distribution": "lognormal", "median_working_minutes": median, "sigma": sigma,
                **extra}

    return {
        "arrivals": {"distribution": "uniform over the working minutes of the year",
                     "year": side.year},
        "steps": {act: {"wait": lognormal(t.wait_median, t.wait_sigma,
                                          cap_working_minutes=WAIT_CAP)
                        if t.wait_median else {"distribution": "none (starts at arrival)"},
                        "processing": lognormal(t.proc_median, t.proc_sigma,
                                                min_working_minutes=1)}
                  for act, t in sorted(side.timing.items())},
        "optional_steps": [{"steps": [s[0] for s in b.main], "probability": b.p_include,
                            "cases": b.only} for b in side.blocks if b.p_include < 1.0],
        "returns": [{"after": b.main[-1][0], "returned_steps": [s[0] for s in b.loop],
                     "probability": b.p_return, "repeat_probability": b.p_again,
                     "max_repeats": MAX_RETURNS, "cases": b.only}
                    for b in side.blocks if b.loop],
        "pools": {slot: [p.name for p in pool] for slot, pool in side.pools.items()},
    }
