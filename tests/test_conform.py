"""Conformance of the simulated sample against the shipped to-be models (models/).

The after log's shadow layer is the informal "Paraf Koordinator" step; truth.json says how many
cases have it (the cases with three approval layers). The checks below recompute every expected
figure independently with pandas from the CSV.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import procflow
from procflow.cli import main
from procflow.conform.conformance import conform
from tests.conftest import ROOT, SAMPLE

MODELS = ROOT / "models"
SOP = MODELS / "permit-to-be-sop.csv"
TRUTH = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["truth"]
SHADOW = "Paraf Koordinator"


def frame(side: str) -> pd.DataFrame:
    """The sample CSV with its own column names, in case order."""
    df = pd.read_csv(SAMPLE / f"{side}.csv", sep=";", encoding="utf-8-sig")
    df["t"] = pd.to_datetime(df["Waktu Selesai"], format="%d/%m/%Y %H.%M")
    df["row"] = range(len(df))
    return df.sort_values(["No. Permohonan", "t", "row"])


@pytest.fixture(scope="module")
def after_sop() -> dict[str, Any]:
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    return conform(log, SOP).to_dict()


def test_sop_finds_the_shadow_layer_cases(after_sop: dict[str, Any]) -> None:
    df = frame("after")
    shadow_cases = df.loc[df["Tahapan"] == SHADOW, "No. Permohonan"].nunique()
    assert shadow_cases == TRUTH["after"]["approval_layers"]["histogram"]["3"] == 422
    shadow = after_sop["shadow_layer"]
    assert shadow == {"cases": shadow_cases, "share": shadow_cases / 2000,
                      "activities": [SHADOW]}
    item = next(i for i in after_sop["deviations"]["items"]
                if i["kind"] == "extra_approval_layer")
    assert item["subject"] == SHADOW
    assert item["occurrences"] == int((df["Tahapan"] == SHADOW).sum())
    assert set(item["examples"]) <= set(df.loc[df["Tahapan"] == SHADOW, "No. Permohonan"])


def test_sop_order_deviations_match_pandas(after_sop: dict[str, Any]) -> None:
    df = frame("after")
    sop = pd.read_csv(SOP, sep=";")
    steps, optional = list(sop["Kegiatan"]), set(sop.loc[sop["Wajib"] == "tidak", "Kegiatan"])
    m = df[df["Tahapan"].isin(steps)].copy()
    m["prev"] = m.groupby("No. Permohonan")["Tahapan"].shift()
    m["seen"] = m.groupby(["No. Permohonan", "Tahapan"]).cumcount() > 0

    def allowed(prev: str, cur: str) -> bool:  # forward, over optional steps only
        i, j = steps.index(prev), steps.index(cur)
        return j > i and all(s in optional for s in steps[i + 1:j])

    pairs = m[m["prev"].notna()]
    bad = pairs[[not allowed(p, c) for p, c in zip(pairs["prev"], pairs["Tahapan"], strict=True)]]
    expected: dict[tuple[str, str, str], tuple[int, int]] = {}
    for (kind, prev, cur), g in bad.assign(
            kind=bad["seen"].map({True: "rework", False: "wrong_order"})).groupby(
            ["kind", "prev", "Tahapan"]):
        expected[(kind, prev, cur)] = (len(g), g["No. Permohonan"].nunique())
    found = {(i["kind"], *i["subject"].split(" → ")): (i["occurrences"], i["cases"])
             for i in after_sop["deviations"]["items"] if i["kind"] in ("rework", "wrong_order")}
    assert found == expected
    assert any(k[0] == "rework" for k in found)
    assert set(m.groupby("No. Permohonan")["Tahapan"].last()) == {"Penerbitan Izin"}
    assert after_sop["deviations"]["by_kind"]["skipped_step"] == {"cases": 0, "occurrences": 0}


def test_sop_norms_match_pandas(after_sop: dict[str, Any]) -> None:
    df = frame("after")
    df["elapsed"] = df.groupby("No. Permohonan")["t"].diff().dt.total_seconds()
    norm = next(n for n in after_sop["norms"] if n["step"] == "Verifikasi Berkas")
    values = df.loc[df["Tahapan"] == "Verifikasi Berkas", "elapsed"].dropna()
    assert norm["norm_seconds"] == 86400.0
    assert (norm["timed"], norm["over"]) == (len(values), int((values > 86400).sum()))
    assert norm["median"] == pytest.approx(values.median())
    first = next(n for n in after_sop["norms"] if n["step"] == "Pendaftaran Permohonan")
    assert (first["timed"], first["share_over"]) == (0, None)  # first steps have no elapsed


def test_before_log_against_to_be_sop_shows_both_removed_layers() -> None:
    log = procflow.read(SAMPLE / "before.csv", tz="Asia/Makassar")
    data = conform(log, SOP).to_dict()
    assert data["shadow_layer"]["cases"] == 2000
    assert data["shadow_layer"]["activities"] == ["Paraf Kepala Bidang", "Paraf Kepala Seksi"]
    assert data["fitness"]["fitting_share"] == 0.0


@pytest.mark.parametrize("model", ["permit-to-be.bpmn", "permit-to-be.pnml"])
def test_bpmn_and_pnml_models_find_the_same_shadow_cases(model: str) -> None:
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    data = conform(log, MODELS / model).to_dict()
    assert data["shadow_layer"]["cases"] == 422
    assert data["deviating_cases"] == 422
    assert data["fitness"]["fitting_share"] == pytest.approx(1 - 422 / 2000)


def test_cli_conform_prints_summary_and_writes_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "conform", str(SAMPLE / "after.csv"), "--tz", "Asia/Makassar", "--model", str(SOP),
        "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ("Extra decision steps the model lacks (a possible shadow layer): 422 cases (21.1%) "
            "at Paraf Koordinator") in result.output
    data = json.loads((tmp_path / "conformance.json").read_text(encoding="utf-8"))
    assert data["shadow_layer"]["cases"] == 422


def test_cli_conform_refuses_a_dtd_model(tmp_path: Path) -> None:
    bad = tmp_path / "evil.bpmn"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                   "<definitions>&e;</definitions>", encoding="utf-8")
    result = CliRunner().invoke(main, [
        "conform", str(SAMPLE / "after.csv"), "--tz", "Asia/Makassar", "--model", str(bad)])
    assert result.exit_code == 2
    assert "evil.bpmn" in result.output and "DOCTYPE" in result.output
