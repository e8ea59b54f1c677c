"""The simulated sample (logs/permit-delayering) analysed by procflow gives back its truth.json.

truth.json is computed by procflow.simulate.permits from the same minute-precision times that the
CSVs
hold, with the definitions of METRICS.md, so every figure must match exactly. The means and
shares in truth.json are float divisions of whole numbers (e.g. 16046 / 2000 handoffs per case);
procflow's means of whole numbers (DuckDB ``avg`` of integers sums them exactly before dividing)
and its shares are the same divisions, so they too are compared with ``==``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import procflow
from tests.conftest import SAMPLE

TRUTH = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
SIDES = ("before", "after")
SHADOW_ACTIVITY = "Paraf Koordinator"  # simulate.py: share of cases with a Paraf Koordinator
SHADOW_LEVEL = 3  # the former Kepala Bidang, Koordinator after the delayering, stays level 3


@pytest.fixture(scope="module")
def analyses() -> dict[str, dict[str, Any]]:
    return {side: procflow.analyze(SAMPLE / f"{side}.csv", tz="Asia/Makassar",
                                   orgchart=SAMPLE / "orgchart.csv",
                                   top_variants=10_000).to_dict()
            for side in SIDES}


@pytest.mark.parametrize("side", SIDES)
def test_counts_and_decision_activities(analyses: dict, side: str) -> None:
    d, truth = analyses[side], TRUTH["truth"][side]
    assert (d["log"]["cases"], d["log"]["events"]) == (truth["cases"], truth["events"])
    # default decision pattern (METRICS §5), as the simulator applies it
    assert d["decisions"]["activities"] == truth["decision_activities"]
    assert d["decisions"]["excluded"] == 0  # every case starts with Pendaftaran Permohonan


@pytest.mark.parametrize("side", SIDES)
def test_approval_layers(analyses: dict, side: str) -> None:
    layers, truth = analyses[side]["layers"], TRUTH["truth"][side]["approval_layers"]
    assert layers["by"] == "level"  # levels from orgchart.csv, valid at each completion
    assert layers["per_case"]["mean"] == truth["mean"]
    assert layers["per_case"]["median"] == truth["median"]
    assert layers["histogram"] == truth["histogram"]


def test_shadow_layer_share(analyses: dict) -> None:
    truth = TRUTH["truth"]
    assert truth["before"]["shadow_layer_share"] is None
    share = truth["after"]["shadow_layer_share"]
    after = analyses["after"]
    cases = after["log"]["cases"]
    # truth: share of cases with at least one Paraf Koordinator
    by_activity = {a["activity"]: a for a in after["activities"]}
    assert by_activity[SHADOW_ACTIVITY]["cases"] / cases == share
    # the same cases seen through the layers: after the reform the Koordinator (level 3) is
    # the only decision-maker at level 3, so the sequences with a 3 are the shadow cases
    with_level_3 = sum(s["cases"] for s in after["layers"]["sequences"]
                       if str(SHADOW_LEVEL) in s["levels"].split("→"))
    assert with_level_3 / cases == share
    assert after["layers"]["histogram"].get("3", 0) / cases == share
    # and through the variants: every case whose variant holds a Paraf Koordinator
    variants = after["variants"]
    assert sum(v["cases"] for v in variants["top"]) == cases  # all variants listed
    shadow = sum(v["cases"] for v in variants["top"] if SHADOW_ACTIVITY in v["activities"])
    assert shadow / cases == share
    assert SHADOW_ACTIVITY not in {a["activity"] for a in analyses["before"]["activities"]}


@pytest.mark.parametrize("side", SIDES)
def test_handoffs_and_ping_pong(analyses: dict, side: str) -> None:
    h, truth = analyses[side]["handoffs"], TRUTH["truth"][side]
    assert h["granularity"] == "resource"  # truth uses the Petugas column
    assert h["total"] == truth["handoffs"]
    assert h["unknown"] == 0
    assert h["per_case"]["mean"] == truth["handoffs_per_case_mean"]
    assert h["ping_pong"]["total"] == truth["ping_pongs"]
    assert h["ping_pong"]["share"] == truth["ping_pong_case_share"]
    cases = analyses[side]["log"]["cases"]
    assert h["ping_pong"]["cases"] / cases == truth["ping_pong_case_share"]


@pytest.mark.parametrize("side", SIDES)
def test_cycle_time_median(analyses: dict, side: str) -> None:
    # truth: max Waktu Selesai − min Waktu Mulai per case = completion − arrival (§3)
    d = analyses[side]
    assert d["log"]["has_start_times"] is True
    assert d["cycle_time"]["median"] == TRUTH["truth"][side]["cycle_time_median_seconds"]


@pytest.mark.parametrize("side", SIDES)
def test_decision_latency_per_activity(analyses: dict, side: str) -> None:
    truth = TRUTH["truth"][side]
    by_activity = {e["key"]: e for e in analyses[side]["decisions"]["by_activity"]}
    assert set(by_activity) == set(truth["decision_latency_median_seconds"])
    for activity, median in truth["decision_latency_median_seconds"].items():
        assert by_activity[activity]["median"] == median, activity
        assert by_activity[activity]["n"] == truth["decision_instances"][activity], activity
