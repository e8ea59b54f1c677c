"""Before/after comparison (METRICS §9) on the simulated sample and on BPIC15 municipalities."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner

import procflow
from procflow.cli import main
from procflow.compare.comparison import compare, split, subset
from procflow.compare.narrative import kpi_name, kpi_rows
from procflow.core.i18n import Texts
from procflow.errors import InputError
from tests.conftest import SAMPLE, shared_file

TRUTH = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["truth"]


def sample(side: str) -> procflow.EventLog:
    return procflow.read(SAMPLE / f"{side}.csv", tz="Asia/Makassar",
                         orgchart=SAMPLE / "orgchart.csv")


def kpi(data: dict[str, Any], name: str, by: str | None = None,
        key: str | None = None) -> dict[str, Any]:
    return next(k for k in data["kpis"] if (k["name"], k["by"], k["key"]) == (name, by, key))


@pytest.fixture(scope="module")
def sample_comparison() -> dict[str, Any]:
    return compare(sample("before"), sample("after"), seed=3).to_dict()


def test_sample_changes_are_found_significant(sample_comparison: dict[str, Any]) -> None:
    d = sample_comparison
    layers = kpi(d, "approval_layers")
    assert layers["before"]["mean"] == TRUTH["before"]["approval_layers"]["mean"]
    assert layers["after"]["mean"] == TRUTH["after"]["approval_layers"]["mean"]
    assert layers["verdict"] == "improved"
    for step in ("Persetujuan dan TTE Kepala Dinas", "Verifikasi Berkas"):
        latency = kpi(d, "decision_latency", "activity", step)
        assert latency["before"]["median"] == TRUTH["before"]["decision_latency_median_seconds"][
            step]
        assert latency["after"]["median"] == TRUTH["after"]["decision_latency_median_seconds"][
            step]
        assert latency["verdict"] == "improved"
        lo, hi = latency["ci95"]
        assert lo <= latency["diff_median"] <= hi < 0
    cycle = kpi(d, "cycle_time")
    assert cycle["before"]["median"] == TRUTH["before"]["cycle_time_median_seconds"]
    assert cycle["verdict"] == "improved"
    assert kpi(d, "handoffs_per_case")["verdict"] == "improved"
    assert d["distributions"]["layers"] == [
        TRUTH["before"]["approval_layers"]["histogram"],
        TRUTH["after"]["approval_layers"]["histogram"]]
    removed = {(e["source"], e["target"]) for e in d["dfg_diff"]["removed"]}
    assert ("Paraf Kepala Seksi", "Paraf Kepala Bidang") in removed
    assert {"Paraf Kepala Bidang", "Paraf Kepala Seksi"} <= set(d["decisions"]["before"])
    assert d["seed"] == 3 and d["settings"]["resamples"] == 2000
    # no warnings: the default pattern took 4 of 9 and 3 of 8 steps, at most the floor of 4
    assert d["warnings"] == []


def test_bh_adjustment_and_verdicts_are_consistent(sample_comparison: dict[str, Any]) -> None:
    for k in sample_comparison["kpis"]:
        assert k["p_adjusted"] >= k["p_value"]
        if k["verdict"] != "unchanged":
            assert k["p_adjusted"] < 0.05


def test_a_log_compared_with_itself_changes_nothing() -> None:
    log = sample("after")
    seen: list[int] = []
    d = compare(log, log, seed=1, progress=seen.append).to_dict()
    assert len(seen) == len(d["kpis"]) and seen == sorted(seen) and seen[-1] == 1000
    assert {k["verdict"] for k in d["kpis"]} == {"unchanged"}
    assert all(k["diff_median"] == 0 for k in d["kpis"])
    assert d["dfg_diff"]["removed"] == [] and d["dfg_diff"]["added"] == []
    assert d["variants"]["appeared"] == [] and d["variants"]["disappeared"] == []


def test_split_by_arrival_date_equals_two_logs(tmp_path: Path) -> None:
    both = pd.concat([pd.read_csv(SAMPLE / f"{s}.csv", sep=";", encoding="utf-8-sig")
                      for s in ("before", "after")])
    path = tmp_path / "both.csv"
    both.to_csv(path, sep=";", index=False)
    result = CliRunner().invoke(main, ["compare", str(path), "--split", "2024-01-01", "--tz",
                                       "Asia/Makassar", "--json", "--seed", "3"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert (d["before"]["cases"], d["after"]["cases"]) == (2000, 2000)
    assert kpi(d, "cycle_time")["before"]["median"] == TRUTH["before"][
        "cycle_time_median_seconds"]


@pytest.mark.parametrize(("split", "side", "where"), [
    ("2030-01-01", "after", "on or after 2030-01-01"),
    ("2000-01-01", "before", "before 2000-01-01")])
def test_split_with_an_empty_side_is_a_clear_error(split: str, side: str, where: str) -> None:
    result = CliRunner().invoke(main, ["compare", str(SAMPLE / "after.csv"), "--split", split,
                                       "--tz", "Asia/Makassar"])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert out == (
        f"error: no case of 'after' arrives {where}, so the {side} side of the comparison is "
        "empty; its cases arrive from 2024-01-02 09:22 to 2024-12-31 14:39 (WITA). Fix: split "
        "at a date from 2024-01-03 to 2024-12-31.")


def test_split_of_a_one_day_log_says_to_compare_two_logs() -> None:
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    one_day = subset(log, "SELECT case_id FROM {events} WHERE case_id = 'PBG-2024-000001'",
                     "one")
    with pytest.raises(InputError, match="every case arrives on 2024-01-02: compare two logs"):
        split(one_day, dt.datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Makassar")))


def test_comparing_with_a_log_without_cases_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "kosong.csv"
    empty.write_text("No. Permohonan;Tahapan;Waktu Selesai\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["compare", str(SAMPLE / "after.csv"), str(empty),
                                       "--tz", "Asia/Makassar"])
    assert result.exit_code == 2, result.output
    assert "error: no events in" in result.output and "kosong.csv" in result.output
    after = sample("after")
    nothing = subset(after, "SELECT case_id FROM {events} WHERE false", "kosong")
    with pytest.raises(InputError, match="the after log 'kosong' has no cases, so the after "
                                         "side of the comparison is empty"):
        compare(after, nothing)
    with pytest.raises(InputError, match="the before log 'kosong' has no cases"):
        compare(nothing, after)


def test_cli_compare_writes_report_json_and_xlsx(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "compare", str(SAMPLE / "before.csv"), str(SAMPLE / "after.csv"), "--tz",
        "Asia/Makassar", "--orgchart", str(SAMPLE / "orgchart.csv"), "--out", str(tmp_path),
        "--lang", "id", "--xlsx"])
    assert result.exit_code == 0, result.output
    assert "Lapisan persetujuan per kasus turun dari" in result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Peta perbedaan" in html and "<script" not in html
    assert (tmp_path / "comparison.json").exists() and (tmp_path / "tables.xlsx").exists()


def test_bpic15_municipalities_spot_checked_with_pandas() -> None:
    one = procflow.read(shared_file("BPIC15_1.xes.gz"))
    two = procflow.read(shared_file("BPIC15_2.xes.gz"))
    d = compare(one, two, resamples=2000, seed=0).to_dict()
    for log, side in ((one, "before"), (two, "after")):
        df = log.to_pandas()
        span = df.groupby("case_id")["timestamp"].agg(["min", "max"])
        cycle = (span["max"] - span["min"]).dt.total_seconds()
        stats = kpi(d, "cycle_time")[side]
        assert stats["n"] == len(cycle)
        assert stats["median"] == pytest.approx(cycle.median())
        assert stats["mean"] == pytest.approx(cycle.mean())
    assert d["kpis"] and all(k["verdict"] in ("improved", "worsened", "unclear", "unchanged")
                             for k in d["kpis"])


def fake(cases: int, start: dict[str, int], end: dict[str, int]) -> dict[str, Any]:
    return {"log": {"cases": cases}, "dfg": {"start": start, "end": end}}


def test_warnings_small_side_open_cases_and_case_mix() -> None:
    from procflow.compare.comparison import _end_steps, _warnings

    before = fake(100, {"Reg": 100}, {"Done": 80, **{f"X{i}": 4 for i in range(5)}})
    after = fake(20, {"Reg": 10, "Other": 10}, {"Done": 20})
    ends = _end_steps([before, after])
    assert ends == {"Done"}
    found = {w["kind"]: w for w in _warnings([before, after])}
    assert found["small_sample"]["side"] == "after" and found["small_sample"]["cases"] == 20
    assert (found["open_cases"]["side"], found["open_cases"]["share"]) == ("before", 0.2)
    assert found["case_mix"]["distance"] == 0.5
    # no clear end step on a side (the frequent ones close under half its cases): no guess
    scattered = fake(100, {"Reg": 100}, {f"E{i}": 4 for i in range(25)})
    kinds = {w["kind"] for w in _warnings([scattered, scattered])}
    assert kinds == set()


def test_difference_map_colours_and_escapes() -> None:
    from procflow.core.i18n import Texts
    from procflow.render.diff_map import ADDED, FASTER, REMOVED, SAME, SLOWER, diff_map

    def edge(s: str, t: str, before: float, after: float) -> dict[str, Any]:
        return {"source": s, "target": t, "before": {"count": 5, "median": before},
                "after": {"count": 5, "median": after}}

    comparison = {"dfg_diff": {
        "removed": [{"source": "A", "target": "<b>x</b>", "count": 3}],
        "added": [{"source": "A", "target": "C", "count": 2}],
        "changed": [edge("A", "B", 7200, 3600), edge("B", "C", 3600, 7200),
                    edge("C", "D", 0, 2), edge("D", "E", 1000, 1050)]}}
    source = diff_map(comparison, Texts("en")).source
    lines = {line.strip() for line in source.splitlines()}
    colours = {c: sum(f'color="{c}"' in line for line in lines if "->" in line)
               for c in (REMOVED, ADDED, FASTER, SLOWER, SAME)}
    assert colours == {REMOVED: 1, ADDED: 1, FASTER: 1, SLOWER: 1, SAME: 2}
    assert "label=<" not in source and '"<b>x</b>"' in source
    assert "2.0 h → 1.0 h" in source and "Showing 6 of 6 paths." in source


def test_layers_on_different_fields_are_compared_by_role_with_a_warning() -> None:
    plain = {side: procflow.read(SAMPLE / f"{side}.csv", tz="Asia/Makassar") for side in
             ("before", "after")}
    mixed = compare(sample("before"), plain["after"], resamples=200).to_dict()
    by_role = compare(plain["before"], plain["after"], resamples=200).to_dict()
    warning = next(w for w in mixed["warnings"] if w["kind"] == "layers_basis")
    assert (warning["before"], warning["after"], warning["common"]) == ("level", "role", "role")
    assert mixed["settings"]["layers_by"] == by_role["settings"]["layers_by"] == "role"
    layers = kpi(mixed, "approval_layers")
    assert layers["before"] == kpi(by_role, "approval_layers")["before"]
    assert layers["after"] == kpi(by_role, "approval_layers")["after"]
    assert mixed["distributions"]["layers"][0] is None  # the before histogram is by level
    assert not any(w["kind"] == "layers_basis" for w in by_role["warnings"])


@pytest.mark.parametrize(("lang", "cycle"), [("en", "2,000 / 2,000"), ("id", "2.000 / 2.000")])
def test_each_row_of_the_table_says_how_many_values_each_side_has(
        sample_comparison: dict[str, Any], lang: str, cycle: str) -> None:
    """The n beside each measure: cases for case measures, observations for a step's
    latency (counted here with pandas from the logs)."""
    rows = {r["label"]: r for r in kpi_rows(sample_comparison, Texts(lang))}
    t = Texts(lang)
    assert rows[kpi_name(kpi(sample_comparison, "cycle_time"), t)]["n"] == cycle
    step = "Verifikasi Berkas"
    latency = kpi(sample_comparison, "decision_latency", "activity", step)
    counts = [int((pd.read_csv(SAMPLE / f"{side}.csv", sep=None, engine="python",
                               encoding="utf-8-sig")["Tahapan"] == step).sum())
              for side in ("before", "after")]
    assert [latency["before"]["n"], latency["after"]["n"]] == counts
    assert rows[kpi_name(latency, t)]["n"] == " / ".join(t.integer(n) for n in counts)
