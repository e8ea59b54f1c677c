"""A seeded permit log with planted causes of delay, to check that ``explain`` finds them.

Every case passes registration, file verification (sometimes twice, after a correction), the
head of division's approval, the head of office's signature and issue; each step takes a
log-normal time (median one day). Two causes are planted — applications from one kecamatan
wait ``KECAMATAN_DAYS`` longer for the approval, and one permit type ``PERMIT_DAYS`` longer for
the signature — so the true difference of medians at each step is exactly that many days.
``loket`` (the counter) and ``noise_<i>`` attributes have no effect at all. With ``area``, a
numeric attribute ``luas_m2`` (the building's floor area, log-uniform from 20 to 2,000 m²) is
added: buildings above ``AREA_LIMIT`` m² wait ``AREA_DAYS`` longer for the file verification.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

DAY = 86_400.0
APPROVAL = "Persetujuan Kepala Bidang"
SIGNATURE = "Tanda Tangan Kepala Dinas"
KECAMATAN = ("Samarinda Ulu", "Samarinda Ilir", "Sungai Kunjang", "Palaran", "Loa Janan Ilir")
PERMITS = ("IMB", "SIUP", "TDP")
LOKET = ("Loket 1", "Loket 2", "Loket 3", "Loket 4")
KECAMATAN_DAYS = 4.0
PERMIT_DAYS = 2.0
REWORK_SHARE = 0.15
VERIFICATION = "Verifikasi Berkas"
AREA_LIMIT = 800.0
AREA_DAYS = 3.0


def truth() -> list[dict[str, Any]]:
    """The planted causes: field, value, target and the true difference of medians (s)."""
    return [{"field": "attr:kecamatan", "value": KECAMATAN[0], "target": f"decision:{APPROVAL}",
             "diff_median": KECAMATAN_DAYS * DAY},
            {"field": "attr:jenis_izin", "value": PERMITS[0], "target": f"decision:{SIGNATURE}",
             "diff_median": PERMIT_DAYS * DAY}]


def planted_log(cases: int, seed: int, *, noise_fields: int = 0,
                area: bool = False) -> pd.DataFrame:
    """The events (``case_id``, ``activity``, ``timestamp`` UTC, ``resource``, ``kecamatan``,
    ``jenis_izin``, ``loket``, ``noise_1`` … ``noise_<noise_fields>`` and, with ``area``,
    ``luas_m2``) of ``cases`` cases, in case and time order."""
    if cases < 1 or noise_fields < 0:
        raise ValueError("cases must be at least 1 and noise_fields at least 0")
    rng = np.random.default_rng(seed)
    kecamatan = rng.integers(0, len(KECAMATAN), cases)
    permit = rng.integers(0, len(PERMITS), cases)
    loket = rng.integers(0, len(LOKET), cases)
    rework = rng.random(cases) < REWORK_SHARE
    steps = ["Pendaftaran", VERIFICATION, APPROVAL, SIGNATURE, "Penerbitan Izin"]
    per_case = np.where(rework, len(steps) + 2, len(steps))
    case_of = np.repeat(np.arange(cases), per_case)
    position = np.arange(case_of.size) - np.repeat(np.cumsum(per_case) - per_case, per_case)
    rework_rows = rework[case_of]
    # Rework cases: registration, verification, correction, verification again, then the rest.
    names = np.array([*steps, "Perbaikan Berkas"])
    plain = np.array([0, 1, 2, 3, 4, 0, 0])
    again = np.array([0, 1, 5, 1, 2, 3, 4])
    index = np.where(rework_rows, again[position], plain[position])
    activity = names[index]
    elapsed = np.exp(rng.normal(0.0, 0.5, case_of.size)) * DAY
    elapsed[position == 0] = 0.0
    elapsed += np.where((activity == APPROVAL) & (kecamatan[case_of] == 0),
                        KECAMATAN_DAYS * DAY, 0.0)
    elapsed += np.where((activity == SIGNATURE) & (permit[case_of] == 0), PERMIT_DAYS * DAY, 0.0)
    floor = np.round(20.0 * 100.0 ** np.random.default_rng([seed, 1]).random(cases), 1)
    if area:
        elapsed += np.where((activity == VERIFICATION) & (floor[case_of] > AREA_LIMIT),
                            AREA_DAYS * DAY, 0.0)
    arrival = rng.uniform(0, 365 * DAY, cases)
    total = np.cumsum(elapsed)
    offset = total - np.repeat(total[np.cumsum(per_case) - per_case], per_case)
    seconds = np.round(arrival[case_of] + offset)
    start = np.datetime64("2024-01-01T00:00:00")
    resource = np.array([f"{a.split()[0]} {i + 1}" for a in names for i in range(3)])
    pick = rng.integers(0, 3, case_of.size)
    frame = pd.DataFrame({
        "case_id": np.char.add("P-", np.char.zfill((case_of + 1).astype(str), 7)),
        "activity": activity,
        "timestamp": (start + seconds.astype("timedelta64[s]")).astype(str),
        "resource": resource[index * 3 + pick],
        "kecamatan": np.array(KECAMATAN)[kecamatan][case_of],
        "jenis_izin": np.array(PERMITS)[permit][case_of],
        "loket": np.array(LOKET)[loket][case_of],
    })
    for i in range(noise_fields):
        values = rng.integers(0, 6, cases)
        frame[f"noise_{i + 1}"] = np.char.add(f"n{i + 1}-", values.astype(str))[case_of]
    if area:
        frame["luas_m2"] = floor[case_of]
    frame["timestamp"] = frame["timestamp"] + "Z"
    return frame
