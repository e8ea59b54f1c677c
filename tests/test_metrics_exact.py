"""Exact figures of METRICS.md §2–8 and the §11 contract on small hand-computed logs.

Every expected value is worked out by hand in the comment beside it. Times are hours on
2024-03-04 (UTC) unless stated; durations are seconds. Percentiles use linear interpolation:
for sorted values v[0..n-1], quantile q sits at position p = (n-1)·q and equals
v[floor(p)] + (p − floor(p))·(v[floor(p)+1] − v[floor(p)]).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import procflow
from procflow.errors import InputError

# --- helpers ---------------------------------------------------------------------------------

REL = 1e-9


def approx_tree(value: Any) -> Any:
    """``value`` with every float wrapped in ``pytest.approx`` (lists and dicts recursed)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return pytest.approx(value, rel=REL, abs=1e-9)
    if isinstance(value, dict):
        return {k: approx_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [approx_tree(v) for v in value]
    raise TypeError(f"unexpected {type(value).__name__} in result")


def st(n: int, mean: float, median: float, p90: float, mx: float, total: float) -> dict:
    """A STATS object (§4) with approximate floats."""
    return approx_tree({"n": n, "mean": float(mean), "median": float(median),
                        "p90": float(p90), "max": float(mx), "total": float(total)})


EMPTY = {"n": 0, "mean": None, "median": None, "p90": None, "max": None, "total": 0.0}


def one(v: float) -> dict:
    """STATS of a single value."""
    return st(1, v, v, v, v, v)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def analyze(path: Path, read: dict | None = None, **options: Any) -> dict[str, Any]:
    log = procflow.read(path, **(read or {}))
    return procflow.analyze(log, **options).to_dict()


def by_key(entries: list[dict], *keys: str) -> dict:
    return {tuple(e[k] for k in keys) if len(keys) > 1 else e[keys[0]]: e for e in entries}


def bottlenecks(d: dict, kind: str) -> list[dict]:
    return [b for b in d["bottlenecks"] if b["kind"] == kind]


# --- the main log ----------------------------------------------------------------------------
# Five cases, resource/role/unit/level columns, no start times. People:
#   ana   Staff FO        level 5       budi Staff FO        level 5
#   citra Kabid Bidang    level 3       dewi Kadis Pimpinan  level 2
# c1: Submit 08 ana → assign case 09 budi → Paraf 11 citra → assign case 12 budi
#     → Paraf 15 citra → Approve 19 dewi           (ping-pong budi/citra twice)
# c2: Submit 08 ana → assign case 10 budi → Archive 10 budi → Approve 13 dewi
#     (assign case and Archive tie at 10:00; file order puts assign case first)
# c3: Submit 09 ana                                   (one event)
# c4: Submit 08 ana → Paraf 12 (no resource) → Approve 14 dewi → Archive 20 (nothing known)
#     (Archive is written first in the file)
# c5: Submit 10:00 budi → Paraf 10:30 citra → Approve 11:30 dewi → Archive 12:00 ana
MAIN_CSV = """\
case_id,activity,timestamp,resource,role,unit,level
c1,Submit,2024-03-04T08:00:00Z,ana,Staff,FO,5
c1,assign case,2024-03-04T09:00:00Z,budi,Staff,FO,5
c2,Submit,2024-03-04T08:00:00Z,ana,Staff,FO,5
c2,assign case,2024-03-04T10:00:00Z,budi,Staff,FO,5
c2,Archive,2024-03-04T10:00:00Z,budi,Staff,FO,5
c3,Submit,2024-03-04T09:00:00Z,ana,Staff,FO,5
c1,Paraf Kepala Bidang,2024-03-04T11:00:00Z,citra,Kabid,Bidang,3
c1,assign case,2024-03-04T12:00:00Z,budi,Staff,FO,5
c1,Paraf Kepala Bidang,2024-03-04T15:00:00Z,citra,Kabid,Bidang,3
c1,Approve request,2024-03-04T19:00:00Z,dewi,Kadis,Pimpinan,2
c2,Approve request,2024-03-04T13:00:00Z,dewi,Kadis,Pimpinan,2
c4,Archive,2024-03-04T20:00:00Z,,,,
c4,Submit,2024-03-04T08:00:00Z,ana,Staff,FO,5
c4,Paraf Kepala Bidang,2024-03-04T12:00:00Z,,Kabid,Bidang,3
c4,Approve request,2024-03-04T14:00:00Z,dewi,Kadis,Pimpinan,2
c5,Submit,2024-03-04T10:00:00Z,budi,Staff,FO,5
c5,Paraf Kepala Bidang,2024-03-04T10:30:00Z,citra,Kabid,Bidang,3
c5,Approve request,2024-03-04T11:30:00Z,dewi,Kadis,Pimpinan,2
c5,Archive,2024-03-04T12:00:00Z,ana,Staff,FO,5
"""
S, X, P, A, R = "Submit", "assign case", "Paraf Kepala Bidang", "Approve request", "Archive"
# Transition elapsed times (seconds), per case in order:
#   c1: S→X 3600, X→P 7200, P→X 3600, X→P 10800, P→A 14400
#   c2: S→X 7200, X→R 0, R→A 10800
#   c4: S→P 14400, P→A 7200, A→R 21600
#   c5: S→P 1800, P→A 3600, A→R 1800
# Spans (= cycle times, no start times): c1 11 h 39600, c2 5 h 18000, c3 0, c4 12 h 43200,
# c5 2 h 7200; Σ = 108000.


@pytest.fixture(scope="module")
def main_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("main"), "main.csv", MAIN_CSV)


@pytest.fixture(scope="module")
def main(main_path: Path) -> dict[str, Any]:
    return analyze(main_path)


def test_main_log_block(main: dict) -> None:
    assert main["log"] == {
        "name": "main", "cases": 5, "events": 19,  # 6 + 4 + 1 + 4 + 4
        "activities": 5,  # Submit, assign case, Paraf…, Approve request, Archive
        "resources": 4,  # ana, budi, citra, dewi (empty cells are not a resource)
        "start": "2024-03-04T08:00:00Z", "end": "2024-03-04T20:00:00Z",
        "has_start_times": False,
    }


def test_main_cycle_time(main: dict) -> None:
    # sorted [0, 7200, 18000, 39600, 43200]; total 108000; mean 108000/5 = 21600;
    # median v[2] = 18000; p90 at 3.6: 39600 + 0.6·3600 = 41760; max 43200
    assert main["cycle_time"] == st(5, 21600, 18000, 41760, 43200, 108000)


def test_main_dfg(main: dict) -> None:
    edges = by_key(main["dfg"]["edges"], "source", "target")
    assert set(edges) == {(S, X), (X, P), (P, X), (P, A), (X, R), (R, A), (S, P), (A, R)}
    # 14 transitions = 19 instances − 5 cases
    assert sum(e["count"] for e in edges.values()) == 14
    expected = {
        # P→A: c1 14400, c4 7200, c5 3600 → sorted [3600, 7200, 14400], mean 25200/3 = 8400,
        # p90 at 1.8: 7200 + 0.8·7200 = 12960
        (P, A): (3, st(3, 8400, 7200, 12960, 14400, 25200)),
        # S→X: c1 3600, c2 7200; p90 at 0.9: 3600 + 0.9·3600 = 6840
        (S, X): (2, st(2, 5400, 5400, 6840, 7200, 10800)),
        # X→P: c1 7200, 10800; p90 7200 + 0.9·3600 = 10440
        (X, P): (2, st(2, 9000, 9000, 10440, 10800, 18000)),
        # S→P: c4 14400, c5 1800; p90 1800 + 0.9·12600 = 13140
        (S, P): (2, st(2, 8100, 8100, 13140, 14400, 16200)),
        # A→R: c4 21600, c5 1800; p90 1800 + 0.9·19800 = 19620
        (A, R): (2, st(2, 11700, 11700, 19620, 21600, 23400)),
        (P, X): (1, one(3600)),   # c1 12:00 − 11:00
        (X, R): (1, one(0)),      # c2 tie at 10:00, file order assign case → Archive
        (R, A): (1, one(10800)),  # c2 13:00 − 10:00
    }
    for key, (count, elapsed) in expected.items():
        assert edges[key]["count"] == count, key
        assert edges[key]["elapsed"] == elapsed, key
        assert edges[key]["wait"] is None, key  # no start times
    counts = [e["count"] for e in main["dfg"]["edges"]]
    assert counts == sorted(counts, reverse=True)
    # Σ elapsed over edges = Σ spans = 108000 (§4)
    assert sum(e["elapsed"]["total"] for e in edges.values()) == pytest.approx(108000)
    assert main["dfg"]["start"] == {S: 5}
    # last instances: c1 A, c2 A, c3 S, c4 R (20:00 although first in the file), c5 R
    assert main["dfg"]["end"] == {A: 2, R: 2, S: 1}


def test_main_activities(main: dict) -> None:
    acts = by_key(main["activities"], "activity")
    # (count, cases): S one per case; X c1×2 + c2; P c1×2 + c4 + c5; A c1 c2 c4 c5; R c2 c4 c5
    assert {a: (e["count"], e["cases"]) for a, e in acts.items()} == {
        S: (5, 5), X: (3, 2), P: (4, 3), A: (4, 4), R: (3, 3)}
    for e in acts.values():
        assert e["processing"] is None and e["wait"] is None


def test_main_activity_lanes(main: dict) -> None:
    lanes = {a["activity"]: a["lanes"] for a in main["activities"]}
    staff = {"role": "Staff", "unit": "FO", "level": 5}
    assert lanes == {
        S: staff, X: staff,
        P: {"role": "Kabid", "unit": "Bidang", "level": 3},  # c4's Paraf has no resource
        A: {"role": "Kadis", "unit": "Pimpinan", "level": 2},
        R: staff,  # c2 budi, c5 ana; c4's Archive has nothing known and is not counted
    }


LANES_CSV = """\
case_id,activity,timestamp,role,unit,level
l1,Check,2024-03-04T08:00:00Z,Kasi,FO,4
l1,Sign,2024-03-04T09:00:00Z,Kabid,,3
l2,Check,2024-03-04T08:00:00Z,Staff,FO,5
l2,Sign,2024-03-04T09:00:00Z,Kadis,,2
l3,Check,2024-03-04T08:00:00Z,Staff,Bidang,4
l3,Note,2024-03-04T09:00:00Z,,,
l3,Check,2024-03-04T10:00:00Z,,FO,
"""


def test_activity_lanes_ties_and_unknowns(tmp_path: Path) -> None:
    d = analyze(write(tmp_path, "lanes.csv", LANES_CSV))
    lanes = {a["activity"]: a["lanes"] for a in d["activities"]}
    assert lanes == {
        # roles Kasi 1, Staff 2; units FO 3, Bidang 1; levels 4: 2, 5: 1 (one Check has none)
        "Check": {"role": "Staff", "unit": "FO", "level": 4},
        # roles Kabid 1, Kadis 1: a tie, the smaller name; no unit; levels 3 and 2 once each:
        # the smaller number
        "Sign": {"role": "Kabid", "unit": None, "level": 2},
        "Note": {"role": None, "unit": None, "level": None},  # nothing known
    }


def test_main_decisions_default_pattern(main: dict) -> None:
    dec = main["decisions"]
    # default pattern: Paraf and Approve are decisions; "assign case" (sign inside a word),
    # Submit and Archive are not
    assert dec["activities"] == [A, P]
    assert dec["excluded"] == 0  # no case starts with a decision
    # Paraf: c1 7200 (09→11), c1 10800 (12→15), c4 14400 (08→12), c5 1800 → [1800, 7200,
    #   10800, 14400]: total 34200, mean 8550, median (7200+10800)/2 = 9000,
    #   p90 at 2.7: 10800 + 0.7·3600 = 13320
    paraf = st(4, 8550, 9000, 13320, 14400, 34200)
    # Approve: c1 14400 (15→19), c2 10800 (10→13), c4 7200 (12→14), c5 3600 → [3600, 7200,
    #   10800, 14400]: total 36000, mean 9000, median 9000, p90 10800 + 0.7·3600 = 13320
    approve = st(4, 9000, 9000, 13320, 14400, 36000)
    # overall [1800, 3600, 7200, 7200, 10800, 10800, 14400, 14400]: total 70200,
    # mean 70200/8 = 8775, median (7200+10800)/2 = 9000, p90 at 6.3: 14400
    assert dec["overall"] == st(8, 8775, 9000, 14400, 14400, 70200)
    assert dec["waiting"] is None and dec["processing"] is None

    def entries(key: str) -> list:
        return [({k: e[k] for k in ("n", "mean", "median", "p90", "max", "total")}, e["key"])
                for e in dec[f"by_{key}"]]

    # ranked by total latency, descending
    assert entries("activity") == [(approve, A), (paraf, P)]
    # every Paraf is done by a Kabid in Bidang at level 3 (c4's Paraf has no resource but a
    # role, unit and level); every Approve by dewi, Kadis, Pimpinan, level 2
    assert entries("role") == [(approve, "Kadis"), (paraf, "Kabid")]
    assert entries("unit") == [(approve, "Pimpinan"), (paraf, "Bidang")]
    assert entries("level") == [(approve, 2), (paraf, 3)]
    # by resource: c4's Paraf has no resource and is left out; citra [1800, 7200, 10800]:
    # total 19800, mean 6600, median 7200, p90 at 1.8: 7200 + 0.8·3600 = 10080
    assert entries("resource") == [(approve, "dewi"),
                                   (st(3, 6600, 7200, 10080, 10800, 19800), "citra")]
    for key in ("activity", "role", "unit", "level", "resource"):
        for e in dec[f"by_{key}"]:
            assert e["waiting"] is None and e["processing"] is None


def test_main_handoffs_by_resource(main: dict) -> None:
    h = main["handoffs"]
    assert h["granularity"] == "resource"
    # c1: ana→budi, budi→citra, citra→budi, budi→citra, citra→dewi = 5
    # c2: ana→budi, budi→budi (same, not a handoff), budi→dewi = 2
    # c3: 0 (one event); c4: all three transitions have an unknown side = 0 (3 unknown)
    # c5: budi→citra, citra→dewi, dewi→ana = 3
    assert h["total"] == 10
    assert h["unknown"] == 3
    # per case [5, 2, 0, 0, 3] → sorted [0, 0, 2, 3, 5]: mean 2, median 2,
    # p90 at 3.6: 3 + 0.6·2 = 4.2, max 5, total 10
    assert h["per_case"] == st(5, 2, 2, 4.2, 5, 10)
    pairs = {(p["from"], p["to"]): (p["count"], p["elapsed"]) for p in h["pairs"]}
    assert pairs == {
        # c1 3600, c2 7200
        ("ana", "budi"): (2, st(2, 5400, 5400, 6840, 7200, 10800)),
        # c1 7200 and 10800, c5 1800 → mean 6600, p90 7200 + 0.8·3600 = 10080
        ("budi", "citra"): (3, st(3, 6600, 7200, 10080, 10800, 19800)),
        ("citra", "budi"): (1, one(3600)),
        # c1 14400, c5 3600 → p90 3600 + 0.9·10800 = 13320
        ("citra", "dewi"): (2, st(2, 9000, 9000, 13320, 14400, 18000)),
        ("budi", "dewi"): (1, one(10800)),
        ("dewi", "ana"): (1, one(1800)),
    }
    assert [p["count"] for p in h["pairs"]][:1] == [3]
    # ping-pong in c1 only: instance 4 (budi, citra, budi) and 5 (citra, budi, citra);
    # share 1/5 cases
    assert h["ping_pong"] == approx_tree({"total": 2, "cases": 1, "share": 0.2})
    # unit changes over all transitions with both units known (§6, not only handoffs):
    # c1 FO→Bidang, Bidang→FO, FO→Bidang, Bidang→Pimpinan = 4; c2 FO→Pimpinan = 1;
    # c4 FO→Bidang, Bidang→Pimpinan = 2 (the last transition has no unit); c5 3 → 10
    assert h["cross_unit"] == 10
    # direction of the 10 handoffs by level (1 = top; smaller = up):
    # c1 5→5 lateral, 5→3 up, 3→5 down, 5→3 up, 3→2 up; c2 5→5 lateral, 5→2 up;
    # c5 5→3 up, 3→2 up, 2→5 down → up 6, down 2, lateral 2
    assert h["direction"] == {"up": 6, "down": 2, "lateral": 2}


def test_main_handoffs_by_role(main_path: Path) -> None:
    h = analyze(main_path, handoff_by="role")["handoffs"]
    assert h["granularity"] == "role"
    # roles: c1 Staff Staff Kabid Staff Kabid Kadis → 4 handoffs (first pair is same role)
    # c2 Staff Staff Staff Kadis → 1; c4 Staff Kabid Kadis – → 2 (+1 unknown); c5 3
    assert (h["total"], h["unknown"]) == (10, 1)
    # per case [4, 1, 0, 2, 3] → sorted [0, 1, 2, 3, 4]: p90 at 3.6: 3 + 0.6 = 3.6
    assert h["per_case"] == st(5, 2, 2, 3.6, 4, 10)
    assert {(p["from"], p["to"]): p["count"] for p in h["pairs"]} == {
        ("Staff", "Kabid"): 4,  # c1 ×2, c4, c5
        ("Kabid", "Staff"): 1,  # c1
        ("Kabid", "Kadis"): 3,  # c1, c4, c5
        ("Staff", "Kadis"): 1,  # c2
        ("Kadis", "Staff"): 1,  # c5
    }
    assert h["pairs"][0]["from"] == "Staff" and h["pairs"][0]["to"] == "Kabid"
    # c1 instances 4 (Staff, Kabid, Staff) and 5 (Kabid, Staff, Kabid)
    assert (h["ping_pong"]["total"], h["ping_pong"]["cases"]) == (2, 1)
    # Staff→Kabid ×4 up, Kabid→Staff down, Kabid→Kadis ×3 up, Staff→Kadis up, Kadis→Staff down
    assert h["direction"] == {"up": 8, "down": 2, "lateral": 0}
    assert h["cross_unit"] == 10


def test_main_handoffs_by_unit_equal_cross_unit(main_path: Path) -> None:
    h = analyze(main_path, handoff_by="unit")["handoffs"]
    # a unit handoff is a transition between two known, different units: the cross-unit count
    assert h["granularity"] == "unit"
    assert h["total"] == h["cross_unit"] == 10
    # only c4's last transition (unit unknown) is unknown
    assert h["unknown"] == 1


def test_main_layers(main: dict) -> None:
    layers = main["layers"]
    assert layers["by"] == "level"
    # decision levels per case: c1 Paraf 3, Paraf 3, Approve 2 → {3, 2} = 2, sequence "3→2"
    # (repeats collapse); c2 Approve 2 → 1, "2"; c3 no decision → 0; c4 3, 2 → 2 (the
    # Paraf without resource still has level 3); c5 3, 2 → 2
    # per case [2, 1, 0, 2, 2] → sorted [0, 1, 2, 2, 2]: total 7, mean 1.4, median 2,
    # p90 at 3.6: 2, max 2
    assert layers["per_case"] == st(5, 1.4, 2, 2, 2, 7)
    assert layers["histogram"] == {"0": 1, "1": 1, "2": 3}
    assert layers["sequences"] == [{"levels": "3→2", "cases": 3}, {"levels": "2", "cases": 1}]


def test_main_bottlenecks(main: dict) -> None:
    span = 108000  # Σ over cases of completion − first timestamp
    cases = 5

    def entry(name: str, count: int, ncases: int, total: float, median: float, p90: float,
              excess: float) -> dict:
        return approx_tree({"name": name, "count": count, "cases": ncases, "total": float(total),
                            "share": total / span, "median": float(median), "p90": float(p90),
                            "impact": excess / cases})

    def strip(b: dict) -> dict:
        return {k: b[k] for k in ("name", "count", "cases", "total", "share", "median", "p90",
                                  "impact")}

    activity = [strip(b) for b in bottlenecks(main, "activity")]
    assert activity == [
        # Approve [14400, 10800, 7200, 3600], median 9000: excess 5400 + 1800 = 7200
        entry(A, 4, 4, 36000, 9000, 13320, 7200),
        # Paraf [7200, 10800, 14400, 1800], median 9000: excess 1800 + 5400 = 7200
        entry(P, 4, 3, 34200, 9000, 13320, 7200),
        # Archive [0, 21600, 1800], median 1800, p90 1800 + 0.8·19800 = 17640; excess 19800
        entry(R, 3, 3, 23400, 1800, 17640, 19800),
        # assign case [3600, 3600, 7200], median 3600, p90 3600 + 0.8·3600 = 6480; excess 3600
        entry(X, 3, 2, 14400, 3600, 6480, 3600),
    ]
    assert sum(b["share"] for b in activity) == pytest.approx(1.0)

    edge = [strip(b) for b in bottlenecks(main, "edge")]
    assert edge == [
        entry(f"{P} → {A}", 3, 3, 25200, 7200, 12960, 7200),  # 14400 − 7200
        entry(f"{A} → {R}", 2, 2, 23400, 11700, 19620, 9900),  # 21600 − 11700
        entry(f"{X} → {P}", 2, 1, 18000, 9000, 10440, 1800),  # 10800 − 9000
        entry(f"{S} → {P}", 2, 2, 16200, 8100, 13140, 6300),  # 14400 − 8100
        # tie at 10800: ranked by name
        entry(f"{R} → {A}", 1, 1, 10800, 10800, 10800, 0),
        entry(f"{S} → {X}", 2, 2, 10800, 5400, 6840, 1800),  # 7200 − 5400
        entry(f"{P} → {X}", 1, 1, 3600, 3600, 3600, 0),
        entry(f"{X} → {R}", 1, 1, 0, 0, 0, 0),
    ]

    resource = bottlenecks(main, "resource")
    assert [strip(b) for b in resource] == [
        # time into the steps each person did (first instances have none; unknown left out)
        entry("dewi", 4, 4, 36000, 9000, 13320, 7200),  # every Approve
        entry("citra", 3, 2, 19800, 7200, 10080, 3600),  # c1 7200, 10800; c5 1800
        # budi: c1 X 3600, X 3600; c2 X 7200, R 0 → sorted [0, 3600, 3600, 7200],
        # median 3600, p90 at 2.7: 3600 + 0.7·3600 = 6120; excess 3600
        entry("budi", 4, 2, 14400, 3600, 6120, 3600),
        entry("ana", 1, 1, 1800, 1800, 1800, 0),  # c5 Archive
    ]
    # wip = total / observed span (first event 08:00 → last 20:00 = 43200 s)
    assert [b["wip"] for b in resource] == approx_tree(
        [36000 / 43200, 19800 / 43200, 14400 / 43200, 1800 / 43200])


def test_main_variants(main: dict) -> None:
    # c4 and c5 share S P A R; the rest are single-case variants ordered by their sequence
    assert main["variants"] == {"count": 4, "top": [
        {"activities": [S, P, A, R], "cases": 2},
        {"activities": [S], "cases": 1},
        {"activities": [S, X, R, A], "cases": 1},  # the 10:00 tie kept in file order
        {"activities": [S, X, P, X, P, A], "cases": 1},
    ]}


def test_main_layers_by_role_without_levels(tmp_path: Path) -> None:
    no_level = "\n".join(line.rsplit(",", 1)[0] for line in MAIN_CSV.splitlines()) + "\n"
    d = analyze(write(tmp_path, "nolevel.csv", no_level))
    layers = d["layers"]
    # distinct roles of decision performers: c1 {Kabid, Kadis}, c2 {Kadis}, c3 none,
    # c4 {Kabid, Kadis}, c5 {Kabid, Kadis}
    assert layers["by"] == "role"
    assert layers["per_case"] == st(5, 1.4, 2, 2, 2, 7)
    assert layers["histogram"] == {"0": 1, "1": 1, "2": 3}
    assert layers["sequences"] == [{"levels": "Kabid→Kadis", "cases": 3},
                                   {"levels": "Kadis", "cases": 1}]
    assert d["handoffs"]["direction"] is None  # needs levels
    assert d["decisions"]["by_level"] == []


# --- decision selection ----------------------------------------------------------------------

def test_default_pattern_selection(tmp_path: Path) -> None:
    decisions = ["Paraf Kepala Bidang", "Approve request", "Sign document", "TTE Kepala Dinas",
                 "Tanda Tangan Camat", "disposisi surat", "Persetujuan Teknis",
                 "Keputusan Kepala Dinas", "Berkas ditolak", "Verifikasi Berkas",
                 "Validasi Data", "Reject application", "Decide on appeal",
                 "Authorise payment", "Authorize refund", "Approve applicant's request",
                 # meN-/peN- forms (docs/metrics.md)
                 "Penandatanganan Izin", "Penolakan Berkas", "Menyetujui Rekomendasi",
                 "Memaraf Konsep"]
    others = ["assign case", "Design review", "Consignment note", "Input data",
              "Penerbitan Izin", "Submit", "Signal check"]
    names = decisions + others
    rows = [f"k1,{a},2024-03-04T{8 + i // 4:02d}:{15 * (i % 4):02d}:00Z"
            for i, a in enumerate(names)]
    d = analyze(write(tmp_path, "names.csv", "case_id,activity,timestamp\n" + "\n".join(rows)))
    assert d["decisions"]["activities"] == sorted(decisions)
    # the first instance (Paraf) is excluded; every other decision follows a 900 s gap
    # (rows are 15 minutes apart)
    assert d["decisions"]["excluded"] == 1
    n = len(decisions) - 1
    assert d["decisions"]["overall"] == st(n, 900, 900, 900, 900, n * 900)
    assert d["settings"]["decision_pattern"] is not None


def test_custom_regex_is_case_sensitive(main_path: Path) -> None:
    d = analyze(main_path, decisions="Paraf")
    assert d["decisions"]["activities"] == [P]
    # same values as Paraf under the default pattern
    assert d["decisions"]["overall"] == st(4, 8550, 9000, 13320, 14400, 34200)
    assert d["settings"]["decision_pattern"] == "Paraf"
    assert analyze(main_path, decisions="paraf")["decisions"]["activities"] == []
    none = analyze(main_path, decisions="paraf")
    assert none["decisions"]["overall"] == EMPTY
    assert none["layers"] is None  # no decision activities: no layers
    assert analyze(main_path, decisions="(?i)PARAF")["decisions"]["activities"] == [P]
    with pytest.raises(InputError):
        analyze(main_path, decisions="Paraf (")


def test_decision_activities_list(main_path: Path) -> None:
    d = analyze(main_path, decision_activities=[X, R])
    dec = d["decisions"]
    assert dec["activities"] == [R, X]  # byte order: 'A' < 'a'
    assert d["settings"]["decision_pattern"] is None
    # X: c1 3600, 3600; c2 7200. R: c2 0, c4 21600, c5 1800
    # overall sorted [0, 1800, 3600, 3600, 7200, 21600]: total 37800, mean 6300,
    # median (3600+3600)/2 = 3600, p90 at 4.5: 7200 + 0.5·14400 = 14400
    assert dec["overall"] == st(6, 6300, 3600, 14400, 21600, 37800)
    assert [(e["key"], e["total"]) for e in dec["by_activity"]] == [(R, 23400), (X, 14400)]
    # layers: c1 {5}, c2 {5}, c3 none, c4 Archive without level → 0, c5 {5}
    assert d["layers"]["histogram"] == {"0": 2, "1": 3}
    assert d["layers"]["sequences"] == [{"levels": "5", "cases": 3}]
    with pytest.raises(InputError):
        analyze(main_path, decision_activities=["Not an activity"])


def test_first_instance_decisions_are_excluded(main_path: Path) -> None:
    first = analyze(main_path, decision_activities=[S])
    only_first = first["decisions"]
    assert only_first["excluded"] == 5  # every case starts with Submit
    assert only_first["overall"] == EMPTY
    assert only_first["by_activity"] == []
    # first instances still have a performer: they count for layers (docs/metrics.md), so
    # every case, the one-event c3 included, has one layer (level 5)
    assert first["layers"]["per_case"] == st(5, 1, 1, 1, 1, 5)
    assert first["layers"]["histogram"] == {"1": 5}
    assert first["layers"]["sequences"] == [{"levels": "5", "cases": 5}]
    d = analyze(main_path, decisions="^(Submit|Archive)$")["decisions"]
    assert d["activities"] == [R, S]
    assert d["excluded"] == 5
    # Archive [0, 21600, 1800]: mean 7800, median 1800, p90 1800 + 0.8·19800 = 17640
    assert d["overall"] == st(3, 7800, 1800, 17640, 21600, 23400)
    assert [e["key"] for e in d["by_activity"]] == [R]


# --- start and complete --------------------------------------------------------------------
# L1: A assign 07 (not an instance), A start 08, A complete 09, B start 09:30, B start 10,
#     B complete 11 (pairs with the 09:30 start), B complete 12 (with 10:00), C complete 13
#     (no start), C start 14 (never completed: unpaired)
# L2: X complete 08 (no start), X start 08:30, X complete 09 (pairs with 08:30)
# Rows are shuffled in the file: pairing goes by time.
LIFECYCLE_CSV = """\
case_id,activity,timestamp,lifecycle
L2,X,2024-03-04T08:30:00Z,start
L1,B,2024-03-04T12:00:00Z,complete
L1,A,2024-03-04T07:00:00Z,assign
L1,A,2024-03-04T08:00:00Z,start
L1,A,2024-03-04T09:00:00Z,complete
L1,B,2024-03-04T10:00:00Z,start
L1,B,2024-03-04T09:30:00Z,start
L1,B,2024-03-04T11:00:00Z,complete
L1,C,2024-03-04T14:00:00Z,start
L1,C,2024-03-04T13:00:00Z,complete
L2,X,2024-03-04T08:00:00Z,complete
L2,X,2024-03-04T09:00:00Z,complete
"""
# The same instances with a start_timestamp column.
START_COLUMN_CSV = """\
case_id,activity,start_timestamp,timestamp
L1,A,2024-03-04T08:00:00Z,2024-03-04T09:00:00Z
L1,B,2024-03-04T09:30:00Z,2024-03-04T11:00:00Z
L1,B,2024-03-04T10:00:00Z,2024-03-04T12:00:00Z
L1,C,,2024-03-04T13:00:00Z
L2,X,,2024-03-04T08:00:00Z
L2,X,2024-03-04T08:30:00Z,2024-03-04T09:00:00Z
"""
# Instances: L1 A [08→09], B1 [09:30→11], B2 [10→12], C [?→13]; L2 X1 [?→08], X2 [08:30→09]


@pytest.fixture(scope="module")
def lifecycle_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("lifecycle"), "lifecycle.csv", LIFECYCLE_CSV)


@pytest.fixture(scope="module")
def lifecycle(lifecycle_path: Path) -> dict[str, Any]:
    return analyze(lifecycle_path, decision_activities=["B", "X"])


def test_lifecycle_import_report(lifecycle_path: Path) -> None:
    report = procflow.read(lifecycle_path).report
    assert report is not None
    summary = report.details["lifecycle"]
    assert summary["mode"] == "standard"
    assert summary["instances"] == 6  # A, B, B, C, X, X
    assert summary["paired"] == 4  # A, B1, B2, X2
    assert summary["unpaired_starts"] == 1  # C's 14:00 start
    assert summary["completes_without_start"] == 2  # C, X1
    assert summary["other_transitions"] == {"assign": 1}


def test_lifecycle_fifo_pairs(lifecycle: dict) -> None:
    # log: every row counts as an event, and start/end span every row (docs/metrics.md)
    assert lifecycle["log"] == {
        "name": "lifecycle", "cases": 2, "events": 12, "activities": 4, "resources": 0,
        "start": "2024-03-04T07:00:00Z",  # A's assign row
        "end": "2024-03-04T14:00:00Z",  # C's unpaired start
        "has_start_times": True}
    assert lifecycle["settings"]["lifecycle"] == "standard"
    # arrival L1 = A's start 08:00, completion 13:00 → 18000; L2 arrival 08:00 (X1 has no
    # start, its completion counts), completion 09:00 → 3600
    # [3600, 18000]: mean 10800, p90 3600 + 0.9·14400 = 16560
    assert lifecycle["cycle_time"] == st(2, 10800, 10800, 16560, 18000, 21600)
    edges = by_key(lifecycle["dfg"]["edges"], "source", "target")
    # A→B1: elapsed 11 − 09 = 7200, wait 09:30 − 09:00 = 1800
    assert edges["A", "B"]["elapsed"] == one(7200)
    assert edges["A", "B"]["wait"] == one(1800)
    # B1→B2: elapsed 12 − 11 = 3600; B2 started 10:00, before B1 completed: wait max(0, −) = 0
    assert edges["B", "B"]["elapsed"] == one(3600)
    assert edges["B", "B"]["wait"] == one(0)
    # B2→C: elapsed 3600; C's start is unknown: no wait values
    assert edges["B", "C"]["elapsed"] == one(3600)
    assert edges["B", "C"]["wait"] == EMPTY
    # X1→X2: elapsed 3600, wait 08:30 − 08:00 = 1800
    assert edges["X", "X"]["elapsed"] == one(3600)
    assert edges["X", "X"]["wait"] == one(1800)
    assert lifecycle["dfg"]["start"] == {"A": 1, "X": 1}
    assert lifecycle["dfg"]["end"] == {"C": 1, "X": 1}

    acts = by_key(lifecycle["activities"], "activity")
    assert acts["A"]["processing"] == one(3600)  # 09 − 08
    assert acts["A"]["wait"] == EMPTY  # first instance: not enabled
    # B processing 5400 (09:30→11), 7200 (10→12): p90 5400 + 0.9·1800 = 7020
    assert acts["B"]["processing"] == st(2, 6300, 6300, 7020, 7200, 12600)
    # B waits 1800 and 0: p90 0 + 0.9·1800 = 1620
    assert acts["B"]["wait"] == st(2, 900, 900, 1620, 1800, 1800)
    assert (acts["C"]["processing"], acts["C"]["wait"]) == (EMPTY, EMPTY)
    assert acts["X"]["processing"] == one(1800)  # X2 only
    assert acts["X"]["wait"] == one(1800)  # X2 only
    assert (acts["B"]["count"], acts["X"]["count"], acts["C"]["count"]) == (2, 2, 1)


def test_lifecycle_decision_split(lifecycle: dict) -> None:
    dec = lifecycle["decisions"]
    assert dec["activities"] == ["B", "X"]
    assert dec["excluded"] == 1  # X1 is L2's first instance
    # latencies: B1 7200, B2 3600, X2 3600 → sorted [3600, 3600, 7200]: mean 4800,
    # median 3600, p90 at 1.8: 3600 + 0.8·3600 = 6480
    assert dec["overall"] == st(3, 4800, 3600, 6480, 7200, 14400)
    # waiting: B1 1800, B2 0, X2 1800 → [0, 1800, 1800]: mean 1200, median 1800, p90 1800
    assert dec["waiting"] == st(3, 1200, 1800, 1800, 1800, 3600)
    # processing: 5400, 7200, 1800 → [1800, 5400, 7200]: mean 4800, median 5400,
    # p90 5400 + 0.8·1800 = 6840
    assert dec["processing"] == st(3, 4800, 5400, 6840, 7200, 14400)
    b, x = dec["by_activity"]
    assert b["key"] == "B" and x["key"] == "X"
    assert b["waiting"] == st(2, 900, 900, 1620, 1800, 1800)
    assert b["processing"] == st(2, 6300, 6300, 7020, 7200, 12600)
    assert x["waiting"] == one(1800) and x["processing"] == one(1800)
    for key in ("role", "unit", "level", "resource"):
        assert dec[f"by_{key}"] == []
    assert lifecycle["layers"] is None  # neither level nor role


def test_lifecycle_bottlenecks_use_span_not_cycle(lifecycle: dict) -> None:
    # shares divide by Σ(completion − first completion): L1 13 − 09 = 14400, L2 09 − 08 = 3600
    activity = {b["name"]: b for b in bottlenecks(lifecycle, "activity")}
    # B [7200, 3600] = 10800 → 0.6; C 3600 → 0.2; X 3600 → 0.2
    assert {k: v["share"] for k, v in activity.items()} == approx_tree(
        {"B": 0.6, "C": 0.2, "X": 0.2})
    # B median 5400: excess 1800 over 2 cases
    assert activity["B"]["impact"] == pytest.approx(900)
    assert [b["name"] for b in bottlenecks(lifecycle, "activity")] == ["B", "C", "X"]
    assert bottlenecks(lifecycle, "resource") == []


def test_no_performer_columns(lifecycle: dict) -> None:
    h = lifecycle["handoffs"]
    assert h["granularity"] is None
    assert h["total"] == 0
    assert h["pairs"] == []
    for key in ("unknown", "per_case", "ping_pong", "cross_unit", "direction"):
        assert key in h


def test_start_column_matches_lifecycle_rows(tmp_path: Path, lifecycle: dict) -> None:
    d = analyze(write(tmp_path, "starts.csv", START_COLUMN_CSV), decision_activities=["B", "X"])
    assert d["settings"]["lifecycle"] == "none"
    assert d["log"]["events"] == 6
    same = {k: v for k, v in d.items() if k not in ("log", "settings")}
    other = {k: v for k, v in lifecycle.items() if k not in ("log", "settings")}
    assert same == approx_tree(other)


def test_ties_ordered_by_start_then_file_order(tmp_path: Path) -> None:
    text = """\
case_id,activity,start_timestamp,timestamp
T1,P,2024-03-04T09:00:00Z,2024-03-04T10:00:00Z
T1,Q,2024-03-04T08:00:00Z,2024-03-04T10:00:00Z
T1,R,2024-03-04T10:00:00Z,2024-03-04T10:00:00Z
T2,U,2024-03-04T08:00:00Z,2024-03-04T10:00:00Z
T2,V,2024-03-04T08:00:00Z,2024-03-04T10:00:00Z
T3,V,2024-03-04T08:00:00Z,2024-03-04T10:00:00Z
T3,U,2024-03-04T08:00:00Z,2024-03-04T10:00:00Z
"""
    d = analyze(write(tmp_path, "ties.csv", text))
    # T1: all complete at 10:00 → by start: Q (08), P (09), R (10); T2, T3: file order
    assert sorted(v["activities"] for v in d["variants"]["top"]) == [
        ["Q", "P", "R"], ["U", "V"], ["V", "U"]]
    edges = by_key(d["dfg"]["edges"], "source", "target")
    # Q→P: elapsed 0, wait max(0, 09 − 10) = 0
    assert edges["Q", "P"]["elapsed"] == one(0) and edges["Q", "P"]["wait"] == one(0)
    # every case: arrival 08:00, completion 10:00 → 7200
    assert d["cycle_time"] == st(3, 7200, 7200, 7200, 7200, 21600)


def test_start_after_complete_is_rejected(tmp_path: Path) -> None:
    text = """\
case_id,activity,start_timestamp,timestamp
r1,A,2024-03-04T10:00:00Z,2024-03-04T09:00:00Z
r1,B,2024-03-04T10:00:00Z,2024-03-04T11:00:00Z
"""
    log = procflow.read(write(tmp_path, "bad.csv", text))
    assert log.report is not None and log.report.rejected == {"start after complete": 1}
    d = procflow.analyze(log).to_dict()
    assert (d["log"]["events"], d["cycle_time"]) == (1, one(3600))


# --- org chart with a level change -----------------------------------------------------------
# eka is Kepala Seksi (level 4, Seksi) until 2024-06-30 and Koordinator (level 3, Bidang) from
# 2024-07-01, local dates in WIB (UTC+7). gita Staff 5 Front Office; fajar Kepala Dinas 2.
# o3's first Paraf at 16:00Z is 23:00 WIB on 30 June (level 4); its second at 18:00Z is
# 01:00 WIB on 1 July (level 3).
ORG_LOG_CSV = """\
case_id,activity,timestamp,resource
o1,Submit,2024-06-10T01:00:00Z,gita
o1,Paraf,2024-06-10T03:00:00Z,eka
o1,Persetujuan Kepala Dinas,2024-06-10T05:00:00Z,fajar
o2,Submit,2024-07-02T01:00:00Z,gita
o2,Paraf,2024-07-02T03:00:00Z,eka
o2,Persetujuan Kepala Dinas,2024-07-02T05:00:00Z,fajar
o3,Submit,2024-06-30T10:00:00Z,gita
o3,Paraf,2024-06-30T16:00:00Z,eka
o3,Paraf,2024-06-30T18:00:00Z,eka
o3,Persetujuan Kepala Dinas,2024-06-30T20:00:00Z,fajar
"""
ORGCHART_CSV = """\
resource,role,level,unit,valid_from,valid_to
gita,Staff,5,Front Office,,
eka,Kepala Seksi,4,Seksi,,2024-06-30
eka,Koordinator,3,Bidang,2024-07-01,
fajar,Kepala Dinas,2,Pimpinan,,
"""
ORG_TZ = "Asia/Jakarta"


@pytest.fixture(scope="module")
def org_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("org")
    return write(folder, "org.csv", ORG_LOG_CSV), write(folder, "chart.csv", ORGCHART_CSV)


def org_analysis(paths: tuple[Path, Path], **options: Any) -> dict[str, Any]:
    log, chart = paths
    return analyze(log, {"tz": ORG_TZ, "orgchart": chart}, **options)


def test_orgchart_levels_change_at_local_midnight(org_paths: tuple[Path, Path]) -> None:
    log, chart = org_paths
    events = procflow.read(log, orgchart=chart, tz=ORG_TZ).to_pandas()
    eka = events[events["resource"] == "eka"]
    # o1 (June) 4, o2 (July) 3, o3 23:00 WIB 30 June 4, o3 01:00 WIB 1 July 3
    assert eka.sort_values("event_id")["level"].tolist() == [4, 3, 4, 3]
    assert eka.sort_values("event_id")["role"].tolist() == [
        "Kepala Seksi", "Koordinator", "Kepala Seksi", "Koordinator"]


def test_orgchart_decisions_by_level(org_paths: tuple[Path, Path]) -> None:
    dec = org_analysis(org_paths)["decisions"]
    assert dec["activities"] == ["Paraf", "Persetujuan Kepala Dinas"]

    def table(key: str) -> list:
        return [(e["key"], {k: e[k] for k in ("n", "mean", "median", "p90", "max", "total")})
                for e in dec[f"by_{key}"]]

    # Paraf latencies: o1 7200 (01→03, level 4), o2 7200 (level 3), o3 21600 (10→16,
    # level 4), o3 7200 (16→18, level 3); Persetujuan 7200 in each case (level 2)
    # level 4 [7200, 21600]: mean 14400, p90 7200 + 0.9·14400 = 20160
    four = st(2, 14400, 14400, 20160, 21600, 28800)
    three = st(2, 7200, 7200, 7200, 7200, 14400)
    two = st(3, 7200, 7200, 7200, 7200, 21600)
    assert table("level") == [(4, four), (2, two), (3, three)]
    assert table("role") == [("Kepala Seksi", four), ("Kepala Dinas", two),
                             ("Koordinator", three)]
    assert table("unit") == [("Seksi", four), ("Pimpinan", two), ("Bidang", three)]
    # eka [7200, 7200, 7200, 21600]: mean 10800, median 7200, p90 at 2.7: 7200 + 0.7·14400
    # = 17280
    assert table("resource") == [("eka", st(4, 10800, 7200, 17280, 21600, 43200)),
                                 ("fajar", two)]


def test_orgchart_layers_and_handoffs(org_paths: tuple[Path, Path]) -> None:
    d = org_analysis(org_paths)
    layers = d["layers"]
    # o1 {4, 2} "4→2"; o2 {3, 2} "3→2"; o3 {4, 3, 2} "4→3→2"
    # per case [2, 2, 3]: mean 7/3, median 2, p90 at 1.8: 2 + 0.8·1 = 2.8
    assert layers["per_case"] == st(3, 7 / 3, 2, 2.8, 3, 7)
    assert layers["histogram"] == {"2": 2, "3": 1}
    assert layers["sequences"] == [{"levels": "3→2", "cases": 1}, {"levels": "4→2", "cases": 1},
                                   {"levels": "4→3→2", "cases": 1}]
    h = d["handoffs"]
    # by person: gita→eka, eka→fajar in each case; o3's eka→eka is no handoff although eka's
    # level changes → 6, all upwards (5→4, 4→2, 5→3, 3→2, 5→4, 3→2)
    assert (h["total"], h["unknown"]) == (6, 0)
    assert h["direction"] == {"up": 6, "down": 0, "lateral": 0}
    assert [(p["from"], p["to"], p["count"], p["elapsed"]) for p in h["pairs"]] == [
        ("eka", "fajar", 3, st(3, 7200, 7200, 7200, 7200, 21600)),
        # o1 7200, o2 7200, o3 21600 → p90 7200 + 0.8·14400 = 18720
        ("gita", "eka", 3, st(3, 12000, 7200, 18720, 21600, 36000)),
    ]
    # units: o1 FO→Seksi→Pimpinan 2, o2 FO→Bidang→Pimpinan 2, o3 FO→Seksi→Bidang→Pimpinan 3
    assert h["cross_unit"] == 7
    assert h["per_case"] == st(3, 2, 2, 2, 2, 6)

    r = org_analysis(org_paths, handoff_by="role")["handoffs"]
    # by role o3's eka→eka is Kepala Seksi → Koordinator: a handoff, upwards (4→3)
    assert (r["total"], r["unknown"]) == (7, 0)
    assert r["direction"] == {"up": 7, "down": 0, "lateral": 0}
    assert r["per_case"] == st(3, 7 / 3, 2, 2.8, 3, 7)


# --- the JSON contract -----------------------------------------------------------------------

STATS_KEYS = {"n", "mean", "median", "p90", "max", "total"}
CONTRACT: dict[str, Any] = {
    "log": {"name", "cases", "events", "activities", "resources", "start", "end",
            "has_start_times"},
    "cycle_time": STATS_KEYS,
    "dfg": {"edges", "start", "end"},
    "activities": None,
    "decisions": {"activities", "excluded", "overall", "by_activity", "by_role", "by_unit",
                  "by_level", "by_resource"},
    "handoffs": {"granularity", "total", "unknown", "per_case", "pairs", "ping_pong",
                 "cross_unit", "direction"},
    "layers": {"per_case", "histogram", "sequences"},
    "bottlenecks": None,
    "variants": {"count", "top"},
}


def check_contract(d: dict, has_start: bool) -> None:
    json.dumps(d, allow_nan=False)  # plain JSON types only
    for key, keys in CONTRACT.items():
        assert key in d, key
        if keys is not None and d[key] is not None:
            assert keys <= set(d[key]), (key, keys - set(d[key]))
    assert set(d["cycle_time"]) >= STATS_KEYS
    for e in d["dfg"]["edges"]:
        assert {"source", "target", "count", "elapsed", "wait"} <= set(e)
        assert set(e["elapsed"]) >= STATS_KEYS
        assert (e["wait"] is not None) is has_start
    for a in d["activities"]:
        assert {"activity", "count", "cases", "processing", "wait", "lanes"} <= set(a)
        assert set(a["lanes"]) == {"role", "unit", "level"}
        assert (a["processing"] is not None) is has_start
        assert (a["wait"] is not None) is has_start
    dec = d["decisions"]
    assert set(dec["overall"]) >= STATS_KEYS
    for key in ("activity", "role", "unit", "level", "resource"):
        for e in dec[f"by_{key}"]:
            assert {"key"} | STATS_KEYS <= set(e)
    h = d["handoffs"]
    if h["granularity"] is not None:
        assert set(h["per_case"]) >= STATS_KEYS
        assert {"total", "cases"} <= set(h["ping_pong"])
        for p in h["pairs"]:
            assert {"from", "to", "count", "elapsed"} <= set(p)
    if d["layers"] is not None:
        assert set(d["layers"]["per_case"]) >= STATS_KEYS
        for s in d["layers"]["sequences"]:
            assert {"levels", "cases"} <= set(s)
    for b in d["bottlenecks"]:
        assert {"kind", "name", "count", "cases", "total", "share", "median", "p90",
                "impact"} <= set(b)
        assert b["kind"] in ("activity", "edge", "resource")
        if b["kind"] == "resource":
            assert "wip" in b
    for v in d["variants"]["top"]:
        assert {"activities", "cases"} <= set(v)


def test_contract_without_start_times(main: dict) -> None:
    check_contract(main, has_start=False)
    assert main["decisions"]["waiting"] is None and main["decisions"]["processing"] is None


def test_contract_with_start_times(lifecycle: dict, org_paths: tuple[Path, Path]) -> None:
    check_contract(lifecycle, has_start=True)
    check_contract(org_analysis(org_paths), has_start=False)


# --- the same logs on Spark ------------------------------------------------------------------
# Spark is slow to start, so one log joins the main cases, the start/complete cases (rows
# without a lifecycle value are completions) and the org-chart cases (levels from the chart):
# ties, one-event cases, unknown performers, FIFO pairs, waits, ping-pong, level changes.

def combined_csv() -> str:
    header = "case_id,activity,timestamp,lifecycle,resource,role,unit,level"
    rows = []
    for line in MAIN_CSV.splitlines()[1:]:
        case, activity, ts, rest = line.split(",", 3)
        rows.append(f"{case},{activity},{ts},,{rest}")
    rows.extend(line + ",,,," for line in LIFECYCLE_CSV.splitlines()[1:])
    rows.extend(line.replace("Z,", "Z,,") + ",,," for line in ORG_LOG_CSV.splitlines()[1:])
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory: pytest.TempPathFactory,
              org_paths: tuple[Path, Path]) -> tuple[dict, dict]:
    pytest.importorskip("pyspark")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("Spark needs Java (scripts/system-deps.sh java)")
    folder = tmp_path_factory.mktemp("spark")
    log = procflow.read(write(folder, "combined.csv", combined_csv()), orgchart=org_paths[1],
                        tz=ORG_TZ)
    options: dict[str, Any] = {"decisions": "Paraf|Approve|Persetujuan|^B$"}
    duck = procflow.analyze(log, engine="duckdb", **options).to_dict()
    spark = procflow.analyze(log, engine="spark", **options).to_dict()
    return duck, spark


@pytest.mark.slow
def test_spark_equals_duckdb(spark_run: tuple[dict, dict]) -> None:
    duck, spark = spark_run
    assert duck["settings"]["engine"] == "duckdb"
    assert spark["settings"]["engine"] == "spark"
    duck = {k: v for k, v in duck.items() if k != "settings"}
    spark = {k: v for k, v in spark.items() if k != "settings"}
    assert spark == approx_tree(duck)


@pytest.mark.slow
def test_spark_combined_log_has_every_feature(spark_run: tuple[dict, dict]) -> None:
    _, d = spark_run
    assert d["log"]["cases"] == 10 and d["log"]["has_start_times"] is True
    assert d["settings"]["lifecycle"] == "standard"
    assert d["decisions"]["activities"] == [A, "B", "Paraf", P, "Persetujuan Kepala Dinas"]
    h = d["handoffs"]
    assert h["ping_pong"] == approx_tree({"total": 2, "cases": 1, "share": 0.1})
    # main: 10, org: 6
    assert h["total"] == 16
    # c4's three transitions and the four of L1 and L2 (no performers at all)
    assert h["unknown"] == 7
    assert h["direction"] == {"up": 12, "down": 2, "lateral": 2}
    edges = by_key(d["dfg"]["edges"], "source", "target")
    assert edges["B", "B"]["wait"] == one(0) and edges["A", "B"]["wait"] == one(1800)
    assert edges[S, X]["wait"] == EMPTY
    # layers: c1 2, c2 1, c3 0, c4 2, c5 2, L1 0, L2 0 (B has no level), o1 2, o2 2, o3 3
    assert d["layers"]["histogram"] == {"0": 3, "1": 1, "2": 5, "3": 1}
    assert d["layers"]["sequences"][0] == {"levels": "3→2", "cases": 4}


@pytest.mark.slow
def test_spark_log_without_decision_latency(spark_run: tuple[dict, dict],
                                            main_path: Path) -> None:
    d = procflow.analyze(procflow.read(main_path), engine="spark",
                         decision_activities=[S]).to_dict()
    assert d["decisions"]["overall"] == EMPTY
    assert d["decisions"]["excluded"] == 5
