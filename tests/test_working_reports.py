"""Working time and service standards in comparisons and reports (METRICS §10)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from procflow.cli import main
from tests.conftest import SAMPLE

COMMON = ["--tz", "Asia/Makassar", "--orgchart", str(SAMPLE / "orgchart.csv"),
          "--calendar", "id", "--calendar-zone", "WITA"]


def test_compare_with_a_calendar_adds_working_time_kpis(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "compare", str(SAMPLE / "before.csv"), str(SAMPLE / "after.csv"), *COMMON,
        "--out", str(tmp_path), "--lang", "id"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    plain = {(k["name"], k["by"], k["key"]): k for k in data["kpis"] if k["unit"] == "seconds"}
    working = {(k["name"], k["by"], k["key"]): k for k in data["kpis"]
               if k["unit"] == "working seconds"}
    assert set(working) <= set(plain) and ("cycle_time", None, None) in working
    cycle = working[("cycle_time", None, None)]
    day = data["settings"]["calendar"]["day_seconds"]
    assert cycle["day_seconds"] == day == 27000.0
    assert cycle["before"]["working_days"]["median"] == cycle["before"]["median"] / day
    assert cycle["before"]["median"] < plain[("cycle_time", None, None)]["before"]["median"]
    assert cycle["verdict"] == "improved"
    assert "Waktu penyelesaian (waktu kerja) turun dari" in result.output
    assert "hari kerja" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_report_shows_service_standards(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "report", str(SAMPLE / "after.csv"), *COMMON, "--sla", "case=15 working days",
        "--sla", "Persetujuan dan TTE Kepala Dinas=2 working days", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "analysis.json").read_text(encoding="utf-8"))
    case = next(s for s in data["sla"] if s["target"] == "case")
    assert case["n"] == 2000 and 0 < case["share_within"] < 1
    assert "Standar pelayanan" in html and "seluruh kasus" in html
    assert "Durasi juga diberikan dalam waktu kerja" in html


def test_compare_refuses_sla_options() -> None:
    result = CliRunner().invoke(main, [
        "compare", str(SAMPLE / "before.csv"), str(SAMPLE / "after.csv"), *COMMON,
        "--sla", "case=10 working days"])
    assert result.exit_code == 2 and "--sla and --pause apply to analyze" in result.output


def test_analyze_summary_prints_working_time_and_standards(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "analyze", str(SAMPLE / "after.csv"), *COMMON, "--sla", "case=15 working days",
        "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "analysis.json").read_text(encoding="utf-8"))
    working = data["cycle_time"]["working_days"]
    assert f"Cycle time in working days: median {working['median']:.1f}" in result.output
    share = data["sla"][0]["share_within"]
    assert f"Standard case within 15 working days: {share:.0%} of 2,000" in result.output


def test_a_log_with_few_performers_says_handoffs_between_persons_say_little(
        tmp_path: Path) -> None:
    """Two performers (a 'staff member' and 'system', as BPI 2020 has): the report warns
    beside the handoffs; the sample's many performers do not."""
    import procflow
    from procflow.report.html import analysis_report

    rows = ["case,activity,time,resource,role"]
    for i in range(30):
        rows += [f"c{i},Submit,2024-03-01T09:{i:02d}:00+07:00,STAFF MEMBER,employee",
                 f"c{i},Approve,2024-03-01T10:{i:02d}:00+07:00,SYSTEM,supervisor"]
    (tmp_path / "few.csv").write_text("\n".join(rows) + "\n")
    few = procflow.read(tmp_path / "few.csv")
    html = analysis_report(few, procflow.analyze(few), lang="en")
    assert "The log names only 2 performers" in html
    many = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    assert "performers, so handoffs" not in analysis_report(many, procflow.analyze(many),
                                                            lang="en")


def test_handoffs_warn_when_most_steps_name_no_performer(tmp_path: Path) -> None:
    """Road fines name a resource on few steps: here 2 of 4 (officer → clerk, a handoff);
    of 90 moves between steps, 60 have a step with no resource (67%); the report says
    handoffs may be more than shown. The sample, where every step names one, does not."""
    import procflow
    from procflow.report.html import analysis_report

    rows = ["case,activity,time,resource"]
    for i in range(30):
        rows += [f"c{i},Create Fine,2024-03-01T09:{i:02d}:00+07:00,officer{i % 4}",
                 f"c{i},Send Fine,2024-03-02T09:{i:02d}:00+07:00,clerk",
                 f"c{i},Payment,2024-03-09T09:{i:02d}:00+07:00,",
                 f"c{i},Close,2024-03-10T09:{i:02d}:00+07:00,"]
    (tmp_path / "sparse.csv").write_text("\n".join(rows) + "\n")
    sparse = procflow.read(tmp_path / "sparse.csv")
    data = procflow.analyze(sparse)
    assert (data.data["handoffs"]["unknown"], data.data["handoffs"]["total"]) == (60, 30)
    assert ("60 of 90 moves from one step to the next (67%) have a step that names no "
            "resource") in analysis_report(sparse, data, lang="en")
    assert "memiliki langkah tanpa" in analysis_report(sparse, data, lang="id")
    full = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    assert "moves from one step to the next" not in analysis_report(
        full, procflow.analyze(full), lang="en")


def test_the_method_names_how_decision_steps_were_chosen_in_words(tmp_path: Path) -> None:
    """The default pattern is described in words (not printed as a regular expression), in
    the report's language; names given and another pattern say so."""
    import procflow
    from procflow.report.html import analysis_report

    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    en = analysis_report(log, procflow.analyze(log), lang="en")
    assert "found by the default pattern: names with words such as approve" in en
    assert "(?i)" not in en
    id_ = analysis_report(log, procflow.analyze(log), lang="id")
    assert "ditemukan oleh pola bawaan: nama yang memuat kata seperti setuju" in id_
    named = procflow.analyze(log, decision_activities=["Verifikasi Berkas"])
    assert "Verifikasi Berkas (named in the analysis settings)" in analysis_report(
        log, named, lang="en")
    patterned = procflow.analyze(log, decisions="Verifikasi")
    assert "(found by the pattern Verifikasi)" in analysis_report(log, patterned, lang="en")


def test_a_saving_beyond_the_90th_percentile_is_explained(tmp_path: Path) -> None:
    """19 cases wait 10 minutes before Approve, one waits 20 days: median and 90th
    percentile 10 min, saving per case about a day; the row is starred and the note says why.
    The sample's bottlenecks have no such row."""
    import procflow
    from procflow.report.html import analysis_report

    rows = ["case,activity,time"]
    for i in range(20):
        wait = 20 * 24 * 60 if i == 0 else 10
        start = f"2024-03-{1 + i:02d}T08:00:00+07:00"
        end = (pd.Timestamp(start) + pd.Timedelta(minutes=wait)).isoformat()
        rows += [f"c{i},Submit,{start}", f"c{i},Approve,{end}"]
    (tmp_path / "far.csv").write_text("\n".join(rows) + "\n")
    log = procflow.read(tmp_path / "far.csv")
    result = procflow.analyze(log)
    approve = next(b for b in result.to_dict()["bottlenecks"] if b["name"] == "Approve")
    assert approve["median"] == approve["p90"] == 600.0
    assert approve["impact"] == pytest.approx((20 * 86400 - 600) / 20)
    html = analysis_report(log, result, lang="en")
    assert "24.0 h<sup>*</sup>" in html
    assert "at most one wait in ten is longer than that percentile" in html
    sample = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar")
    assert "<sup>*</sup>" not in analysis_report(sample, procflow.analyze(sample), lang="en")
