"""Tests of the seeded before/after log generator and its known truth."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from procflow.errors import InputError
from procflow.simulate.permits import SimulationResult, simulate

HEADER = "No. Permohonan;Tahapan;Waktu Mulai;Waktu Selesai;Petugas;Jabatan;Unit Kerja"
DECISIONS = (r"approv|reject|decide|sign|authori[sz]e|setuju|tolak|tanda tangan|tte|ttd|paraf"
             r"|putus|disposisi|verifikasi|validasi")
CASE, ACT, START, END, WHO = "No. Permohonan", "Tahapan", "Waktu Mulai", "Waktu Selesai", "Petugas"
SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("sim") / "out", cases=2000, seed=7)


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("sim2"), cases=800, seed=3, shadow_share=0.5)


def _files(result: SimulationResult) -> list[Path]:
    return [result.before, result.after, result.orgchart, result.truth]


def read_log(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for col in (START, END):
        df[col] = pd.to_datetime(df[col], format="%d/%m/%Y %H.%M")
    df["row"] = range(len(df))
    return df.sort_values([CASE, END, START, "row"], kind="stable").reset_index(drop=True)


def read_chart(path: Path) -> pd.DataFrame:
    chart = pd.read_csv(path, dtype={"level": int}, keep_default_na=False)
    for col in ("valid_from", "valid_to"):
        chart[col] = pd.to_datetime(chart[col].replace("", None), format="%Y-%m-%d")
    return chart


def with_chart(df: pd.DataFrame, chart: pd.DataFrame) -> pd.DataFrame:
    """Each event joined with the org chart row valid on its completion date."""
    day = df[END].dt.normalize()
    merged = df.assign(day=day).merge(chart, left_on=WHO, right_on="resource", how="left")
    valid = ((merged["valid_from"].isna() | (merged["day"] >= merged["valid_from"]))
             & (merged["valid_to"].isna() | (merged["day"] <= merged["valid_to"])))
    out = merged[valid].sort_values("row").reset_index(drop=True)
    assert len(out) == len(df), "every event needs exactly one valid org chart row"
    return out


def expected_truth(df: pd.DataFrame, chart: pd.DataFrame) -> dict[str, Any]:
    """Recompute the truth figures with plain pandas from the files."""
    ev = with_chart(df, chart).sort_values([CASE, END, START, "row"], kind="stable")
    ev = ev.reset_index(drop=True)
    n = ev[CASE].nunique()
    by_case = ev.groupby(CASE, sort=False)
    prev1, prev2 = by_case[WHO].shift(1), by_case[WHO].shift(2)
    handoff = prev1.notna() & (ev[WHO] != prev1)
    ping = prev2.notna() & (ev[WHO] == prev2) & (ev[WHO] != prev1)
    decision = ev[ACT].str.contains(DECISIONS, case=False, regex=True)
    layers = (ev[decision].groupby(CASE)["level"].nunique()
              .reindex(ev[CASE].unique(), fill_value=0))
    cycle = by_case[END].max() - by_case[START].min()
    latency = (ev[END] - by_case[END].shift(1)).dt.total_seconds()
    lat = ev.assign(latency=latency)[decision & latency.notna()].groupby(ACT)["latency"]
    shadow = ev.loc[ev[ACT] == "Paraf Koordinator", CASE].nunique() / n
    return {
        "cases": n, "events": len(ev),
        "decision_activities": sorted(ev.loc[decision, ACT].unique()),
        "approval_layers": {
            "mean": layers.mean(), "median": layers.median(),
            "histogram": {str(k): int(v) for k, v in layers.value_counts().sort_index().items()},
        },
        "shadow_layer_share": shadow,
        "ping_pongs": int(ping.sum()),
        "ping_pong_case_share": ev.loc[ping, CASE].nunique() / n,
        "handoffs": int(handoff.sum()),
        "handoffs_per_case_mean": int(handoff.sum()) / n,
        "cycle_time_median_seconds": cycle.dt.total_seconds().median(),
        "decision_instances": {k: int(v) for k, v in lat.size().items()},
        "decision_latency_median_seconds": {k: float(v) for k, v in lat.median().items()},
    }


def test_same_seed_gives_identical_bytes(sample: SimulationResult, tmp_path: Path) -> None:
    again = simulate(tmp_path, cases=2000, seed=7)
    for a, b in zip(_files(sample), _files(again), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_other_seed_differs(sample: SimulationResult, tmp_path: Path) -> None:
    changed = simulate(tmp_path, cases=2000, seed=8)
    assert changed.before.read_bytes() != sample.before.read_bytes()
    assert changed.after.read_bytes() != sample.after.read_bytes()


def test_committed_sample_is_reproducible(sample: SimulationResult) -> None:
    if not SAMPLE.is_dir():
        pytest.skip("no committed sample")
    for path in _files(sample):
        assert (SAMPLE / path.name).read_bytes() == path.read_bytes(), path.name


def test_export_format(sample: SimulationResult) -> None:
    for path, year in ((sample.before, 2023), (sample.after, 2024)):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
        assert raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n")
        lines = raw[3:].decode("utf-8").split("\r\n")[1:-1]
        stamp = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}\.\d{2}")
        for line in lines[:: max(1, len(lines) // 500)]:
            fields = line.split(";")
            assert len(fields) == 7, line
            assert re.fullmatch(rf"PBG-{year}-\d{{6}}", fields[0])
            assert stamp.fullmatch(fields[2]) and stamp.fullmatch(fields[3])
            assert all(fields), line


def test_orgchart(sample: SimulationResult) -> None:
    text = sample.orgchart.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "resource,role,level,unit,valid_from,valid_to"
    chart = read_chart(sample.orgchart)
    twice = chart[chart["resource"].duplicated(keep=False)]
    assert len(twice) > 0
    for _, rows in twice.groupby("resource"):
        before, after = rows.iloc[0], rows.iloc[1]
        assert before["valid_to"] == pd.Timestamp("2023-12-31")
        assert after["valid_from"] == pd.Timestamp("2024-01-01")
    kabid = chart[chart["role"].str.startswith("Kepala Bidang")]["resource"].iloc[0]
    rows = chart[chart["resource"] == kabid]
    assert list(rows["level"]) == [3, 3] and "Koordinator" in rows["role"].iloc[1]
    assert sorted(chart.drop_duplicates("resource")["level"].unique()) == [2, 3, 4, 5]


def test_times_respect_cases_and_office_hours(sample: SimulationResult) -> None:
    holidays = pd.to_datetime(["2023-08-17", "2023-12-25", "2024-04-10", "2024-12-25"])
    for path in (sample.before, sample.after):
        df = read_log(path)
        assert (df[START] <= df[END]).all()
        prev = df.groupby(CASE)[END].shift(1)
        assert (prev.isna() | (df[START] >= prev)).all()
        assert (prev.isna() | (df[END] > prev)).all()
        for col in (START, END):
            t = df[col]
            assert (t.dt.day_of_week < 5).all()
            minutes = t.dt.hour * 60 + t.dt.minute
            assert minutes.between(7 * 60 + 30, 16 * 60).all()
            assert not t.dt.normalize().isin(holidays).any()


def test_arrivals_by_year(sample: SimulationResult) -> None:
    before, after = read_log(sample.before), read_log(sample.after)
    assert before.groupby(CASE)[START].min().dt.year.eq(2023).all()
    assert after.groupby(CASE)[START].min().dt.year.eq(2024).all()
    assert before[CASE].nunique() == after[CASE].nunique() == 2000


def test_jabatan_and_unit_follow_orgchart(sample: SimulationResult) -> None:
    chart = read_chart(sample.orgchart)
    for path in (sample.before, sample.after):
        ev = with_chart(read_log(path), chart)
        assert (ev["Jabatan"] == ev["role"]).all()
        assert (ev["Unit Kerja"] == ev["unit"]).all()


@pytest.mark.parametrize("which", ["sample", "other"])
def test_truth_matches_recomputation(which: str, request: pytest.FixtureRequest) -> None:
    result: SimulationResult = request.getfixturevalue(which)
    truth = json.loads(result.truth.read_text(encoding="utf-8"))["truth"]
    chart = read_chart(result.orgchart)
    for side, path in (("before", result.before), ("after", result.after)):
        expected = expected_truth(read_log(path), chart)
        if side == "before":
            assert expected.pop("shadow_layer_share") == 0
            assert truth[side].pop("shadow_layer_share") is None
        assert truth[side] == expected, side


def test_reform_effects(sample: SimulationResult) -> None:
    doc = json.loads(sample.truth.read_text(encoding="utf-8"))
    before, after = doc["truth"]["before"], doc["truth"]["after"]
    assert after["approval_layers"]["mean"] < before["approval_layers"]["mean"]
    assert after["cycle_time_median_seconds"] < before["cycle_time_median_seconds"]
    tte = "Persetujuan dan TTE Kepala Dinas"
    assert (after["decision_latency_median_seconds"][tte]
            < before["decision_latency_median_seconds"][tte])
    share, n = doc["parameters"]["shadow_share"], after["cases"]
    assert abs(after["shadow_layer_share"] - share) < 4 * (share * (1 - share) / n) ** 0.5
    assert 0 < after["ping_pong_case_share"] < before["ping_pong_case_share"] < 1
    assert before["handoffs"] < before["events"] - before["cases"]


def test_parameters_recorded(sample: SimulationResult) -> None:
    params = json.loads(sample.truth.read_text(encoding="utf-8"))["parameters"]
    assert params["seed"] == 7 and params["cases"] == 2000 and params["shadow_share"] == 0.2
    assert params["delayering_date"] == "2024-01-01"
    assert params["time_zone"] == "Asia/Makassar"
    steps = params["sides"]["before"]["steps"]
    assert steps["Paraf Kepala Bidang"]["wait"]["distribution"] == "lognormal"
    assert "Paraf Koordinator" in params["sides"]["after"]["steps"]


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_shadow_share_extremes(share: float, tmp_path: Path) -> None:
    result = simulate(tmp_path, cases=300, seed=1, shadow_share=share)
    after = json.loads(result.truth.read_text(encoding="utf-8"))["truth"]["after"]
    assert after["shadow_layer_share"] == share
    assert after["approval_layers"]["histogram"] == {"3" if share else "2": 300}


def test_progress_reports_cases(tmp_path: Path) -> None:
    seen: list[int] = []
    simulate(tmp_path, cases=50, seed=2, progress=seen.append)
    assert 3 <= len(seen) <= 10
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 100


@pytest.mark.parametrize("kwargs", [{"cases": 0}, {"shadow_share": 1.5}, {"seed": -1},
                                    {"scenario": "complaints"}])
def test_invalid_arguments(kwargs: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(InputError):
        simulate(tmp_path, **kwargs)


@pytest.mark.slow
def test_hundred_thousand_cases_are_fast(tmp_path: Path) -> None:
    began = time.perf_counter()
    result = simulate(tmp_path, cases=100_000, seed=5)
    assert time.perf_counter() - began < 20
    truth = json.loads(result.truth.read_text(encoding="utf-8"))["truth"]
    assert truth["before"]["cases"] == truth["after"]["cases"] == 100_000
