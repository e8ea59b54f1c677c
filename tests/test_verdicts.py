"""Comparison verdicts follow METRICS §9, and the words and tables around them cannot mislead."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

import procflow
from procflow.compare.comparison import compare
from procflow.compare.narrative import (
    TABLE_TOP,
    kpi_rows,
    kpi_sentence,
    side_name,
    summary,
    warning_text,
)
from procflow.compare.stats import MIN_EFFECT
from procflow.core.i18n import Texts
from procflow.report.comparison import comparison_report
from tests.conftest import shared_file

START = dt.datetime(2024, 3, 4, 8, 0, tzinfo=dt.UTC)


def two_step_log(path: Path, minutes: list[int], *, last: str = "Done",
                 open_share: float = 0.0) -> procflow.EventLog:
    """Cases of two events ``minutes`` apart; the last ``open_share`` of cases end at one of
    four rare steps ``Review 0..3`` (as if still open) instead of ``last``."""
    rows = ["case_id,activity,timestamp"]
    open_from = len(minutes) - round(open_share * len(minutes))
    for i, gap in enumerate(minutes):
        at = START + dt.timedelta(hours=i)
        end = f"Review {i % 4}" if i >= open_from else last
        rows += [f"c{i},Register,{at.isoformat()}",
                 f"c{i},{end},{(at + dt.timedelta(minutes=gap)).isoformat()}"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return procflow.read(path)


def cycle(data: dict[str, Any]) -> dict[str, Any]:
    return next(k for k in data["kpis"] if k["name"] == "cycle_time" and k["by"] is None)


def test_a_flat_median_with_a_negligible_shift_is_unchanged(tmp_path: Path) -> None:
    # median 10 min on both sides; a few more cases take 20 min after (delta ≈ +0.09, p tiny):
    # the old rule called this "worsened" from the mean, which no table shows
    before = two_step_log(tmp_path / "b.csv", [10] * 1200 + [20] * 800)
    after = two_step_log(tmp_path / "a.csv", [10] * 1020 + [20] * 980)
    k = cycle(compare(before, after, resamples=200).to_dict())
    assert k["diff_median"] == 0 and k["p_adjusted"] < 0.05
    assert 0 < k["cliffs_delta"] < MIN_EFFECT
    assert (k["verdict"], k["verdict_reason"]) == ("unchanged", None)


def test_a_flat_median_with_a_real_shift_is_unclear_and_says_why(tmp_path: Path) -> None:
    before = two_step_log(tmp_path / "b.csv", [10] * 510 + [20] * 490)
    after = two_step_log(tmp_path / "a.csv", [5] * 100 + [10] * 410 + [40] * 490)
    result = compare(before, after, resamples=200)
    data = result.to_dict()
    k = cycle(data)
    assert k["diff_median"] == 0 and k["p_adjusted"] < 0.05
    assert k["cliffs_delta"] == pytest.approx(0.49 - 0.1 - 0.41 * 0.49)
    assert (k["verdict"], k["verdict_reason"]) == ("unclear", "median_flat")
    sentence = kpi_sentence(k, Texts("en"))
    assert sentence == ("Cycle time: the median stayed at 10 min, but most values rose "
                        "(Cliff's delta +0.19; adjusted p < 0.001); look at the distributions "
                        "before concluding.")
    assert summary(data, Texts("en"))[0] == ("finding", sentence)
    assert "tidak jelas" in comparison_report(result, lang="id")


def test_small_changes_show_enough_digits_to_differ() -> None:
    kpi = {"name": "path_elapsed", "by": "path", "key": "A → B", "unit": "seconds",
           "before": {"n": 900, "median": 20.0}, "after": {"n": 900, "median": 10.0},
           "diff_median": -10.0, "ci95": [-12.0, -8.0], "p_adjusted": 0.0001,
           "cliffs_delta": -0.6, "verdict": "improved", "verdict_reason": None}
    assert kpi_sentence(kpi, Texts("en")) == (  # under a minute: seconds, not "0.2 min"
        "Time on the path A → B fell from 20 s to 10 s (median; 95% CI of the change "
        "-12 s to -8 s; adjusted p < 0.001).")
    row = kpi_rows({"kpis": [kpi]}, Texts("id"))[0]
    assert (row["before"], row["after"], row["delta"]) == ("20 detik", "10 detik", "−0,60")
    minutes = {**kpi, "before": {"n": 900, "median": 200.0}, "after": {"n": 900, "median": 185.0},
               "diff_median": -15.0, "ci95": [-20.0, -10.0]}
    assert kpi_sentence(minutes, Texts("en")) == (  # 3 min and 3 min: one more digit
        "Time on the path A → B fell from 3.3 min to 3.1 min (median; 95% CI of the change "
        "-0.3 min to -0.2 min; adjusted p < 0.001).")


def test_summary_leads_with_cycle_time_then_the_largest_effects(
        tmp_path: Path) -> None:
    kpis = [
        {"name": "handoffs_per_case", "by": None, "key": None, "unit": "count",
         "before": {"n": 99, "median": 4.0}, "after": {"n": 99, "median": 3.0},
         "diff_median": -1.0, "ci95": [-1.0, -1.0], "p_adjusted": 0.001, "cliffs_delta": -0.3,
         "verdict": "improved", "verdict_reason": None},
        {"name": "cycle_time", "by": None, "key": None, "unit": "seconds",
         "before": {"n": 100, "median": 86400.0}, "after": {"n": 100, "median": 86400.0},
         "diff_median": 0.0, "ci95": [0.0, 0.0], "p_adjusted": 0.4, "cliffs_delta": 0.02,
         "verdict": "unchanged", "verdict_reason": None},
        {"name": "ping_pong_rate", "by": None, "key": None, "unit": "count",
         "before": {"n": 98, "median": 1.0}, "after": {"n": 98, "median": 0.0},
         "diff_median": -1.0, "ci95": [-1.0, 0.0], "p_adjusted": 0.001, "cliffs_delta": -0.7,
         "verdict": "improved", "verdict_reason": None},
    ]
    lines = summary({"kpis": kpis, "warnings": []}, Texts("en"))
    assert [text.split(" ")[0] for _, text in lines] == ["Cycle", "Ping-pongs", "Handoffs"]
    assert lines[0][1] == ("Cycle time did not change significantly (median 1.0 days before, "
                           "1.0 days after; adjusted p = 0.400).")


def test_no_sentence_or_row_of_a_change_shows_equal_figures_on_bpic15() -> None:
    one = procflow.read(shared_file("BPIC15_1.xes.gz"))
    two = procflow.read(shared_file("BPIC15_2.xes.gz"))
    data = compare(one, two, resamples=500, seed=0).to_dict()
    for k in data["kpis"]:  # the rule, recomputed from the figures in comparison.json
        significant = k["p_adjusted"] is not None and k["p_adjusted"] < 0.05
        big = k["cliffs_delta"] is not None and abs(k["cliffs_delta"]) >= MIN_EFFECT
        diff, delta, (lo, hi) = k["diff_median"], k["cliffs_delta"], k["ci95"]
        shifted = (diff and abs(diff) >= 0.25 * abs(k["before"]["median"] or 0)
                   and k["before"]["median"] and (lo > 0 or hi < 0))
        if significant and not big and shifted:
            expected = "unclear"
        elif not (significant and big):
            expected = "unchanged"
        elif not diff or (diff < 0) != (delta < 0) or lo < 0 < hi:
            expected = "unclear"
        else:
            expected = "improved" if diff < 0 else "worsened"
        assert k["verdict"] == expected, k
        # a verdict never contradicts the interval shown beside it
        assert k["verdict"] not in ("improved", "worsened") or not lo < 0 < hi, k
    for lang in ("en", "id"):
        t = Texts(lang)
        changed = [r for r in kpi_rows(data, t) if r["verdict"] in ("improved", "worsened")]
        assert changed and all(r["before"] != r["after"] for r in changed)
        lines = [text for kind, text in summary(data, t) if kind == "finding"]
        assert lines[0].startswith(t("Cycle time"))
        paths_moved = any(k["name"] == "path_elapsed" and k["verdict"] != "unchanged"
                          for k in data["kpis"])
        alone = [text for text in lines if text in (t("No other measure changed meaningfully."),
                                                    t("No measure changed significantly."))]
        assert not (paths_moved and alone), alone  # never "nothing changed" beside moved paths
        for text in lines:
            moved = re.search(r"(?:from|dari) (.+?) (?:to|menjadi) (.+?) \(", text)
            assert not moved or moved.group(1) != moved.group(2), text
    html = comparison_report(compare(one, two, resamples=200, seed=0), lang="en")
    assert len(kpi_rows(data, Texts("en"))) > TABLE_TOP and "<details>" in html


def test_completed_only_drops_the_open_case_warning_and_no_text_names_a_flag(
        tmp_path: Path) -> None:
    before = two_step_log(tmp_path / "b.csv", [10] * 100, open_share=0.12)
    after = two_step_log(tmp_path / "a.csv", [8] * 100, open_share=0.12)
    kinds = [w["kind"] for w in compare(before, after, resamples=100).to_dict()["warnings"]]
    assert kinds.count("open_cases") == 2
    data = compare(before, after, resamples=100, completed=True).to_dict()
    assert [w for w in data["warnings"] if w["kind"] == "open_cases"] == []
    warning = {"kind": "open_cases", "side": "after", "share": 0.12, "cases": 12}
    for lang in ("en", "id"):
        assert "--" not in warning_text(warning, Texts(lang))


def test_the_sides_of_a_split_are_named_in_the_readers_language() -> None:
    assert side_name("izin before 2024-01-01", Texts("id")) == "izin sebelum 2024-01-01"
    assert side_name("izin from 2024-01-01", Texts("id")) == "izin pada atau sesudah 2024-01-01"
    assert side_name("izin from 2024-01-01", Texts("en")) == "izin on or after 2024-01-01"
    assert side_name("before", Texts("id")) == "before"  # a log's own name stays


def test_handoffs_are_not_compared_between_different_fields(tmp_path: Path) -> None:
    """Handoffs between persons in one log and between units in the other are no measure of
    change: a log without persons would count none and look 'improved'."""
    rows = ["case,activity,time,resource,unit"]
    for i in range(40):
        rows += [f"c{i},A,2024-03-01T09:{i:02d}:00+07:00,ana,u1",
                 f"c{i},B,2024-03-01T10:{i:02d}:00+07:00,budi,u2"]
    (tmp_path / "b.csv").write_text("\n".join(rows) + "\n")
    after = [r.rsplit(",", 2)[0] + "," + r.rsplit(",", 1)[1] for r in rows]
    after[0] = "case,activity,time,unit"
    (tmp_path / "a.csv").write_text("\n".join(after) + "\n")
    before = procflow.read(tmp_path / "b.csv")
    data = compare(before, procflow.read(tmp_path / "a.csv"), resamples=50, seed=0).to_dict()
    assert data["settings"]["handoff_by"] is None
    assert not [k for k in data["kpis"] if k["name"] in ("handoffs_per_case", "ping_pong_rate")]
    warning = [w for w in data["warnings"] if w["kind"] == "handoff_basis"]
    assert warning == [{"kind": "handoff_basis", "before": "resource", "after": "unit",
                        "text": warning[0]["text"]}]
    assert "handoffs are counted between each resource before and each unit after" in (
        warning_text(warning[0], Texts("en")))
    same = compare(before, before, resamples=50, seed=0).to_dict()
    assert same["settings"]["handoff_by"] == "resource"


def test_an_unclear_verdict_says_why_in_the_sentence_and_the_table() -> None:
    halved = {"name": "cycle_time", "by": None, "key": None, "unit": "seconds",
              "before": {"n": 90000, "median": 253 * 86400.0, "mean": 300 * 86400.0},
              "after": {"n": 60000, "median": 126 * 86400.0, "mean": 280 * 86400.0},
              "diff_median": -127 * 86400.0, "ci95": [-135 * 86400.0, -119 * 86400.0],
              "p_adjusted": 0.0001, "cliffs_delta": -0.06, "verdict": "unclear",
              "verdict_reason": "median_without_effect"}
    assert kpi_sentence(halved, Texts("en")) == (
        "Cycle time: the median fell from 253.0 days to 126.0 days, but most values barely "
        "moved (Cliff's delta −0.06; adjusted p < 0.001); look at the distributions before "
        "concluding.")
    spans = {"name": "handoffs_per_case", "by": None, "key": None, "unit": "handoffs",
             "before": {"n": 500, "median": 2.0, "mean": 2.6},
             "after": {"n": 400, "median": 3.0, "mean": 3.1},
             "diff_median": 1.0, "ci95": [-1.0, 2.0], "p_adjusted": 0.01,
             "cliffs_delta": 0.2, "verdict": "unclear", "verdict_reason": "interval_spans_zero"}
    assert kpi_sentence(spans, Texts("en")) == (
        "Handoffs per case: most values rose (Cliff's delta +0.20; adjusted p = 0.010), but "
        "the 95% CI of the median's change, -1.0 to 2.0, includes no change; the change is "
        "unclear.")
    rows = kpi_rows({"kpis": [halved, spans]}, Texts("en"))
    assert [r["reason"] for r in rows] == ["the median moved, most values barely did",
                                           "the median's interval includes no change"]
    assert (rows[1]["before"], rows[1]["after"]) == ("2.0 (mean 2.6)", "3.0 (mean 3.1)")
    assert rows[0]["before"] == "253.0 days"  # times: the median alone
    flat = {**spans, "before": {"n": 9, "median": 0.0, "mean": 0.01},
            "after": {"n": 9, "median": 0.0, "mean": 0.0}}
    row = kpi_rows({"kpis": [flat]}, Texts("en"))[0]
    assert (row["before"], row["after"]) == ("0.0", "0.0")  # the mean says nothing more
    row = kpi_rows({"kpis": [spans]}, Texts("id"))[0]
    assert (row["before"], row["reason"]) == ("2,0 (rata-rata 2,6)",
                                              "selang median mencakup tidak ada perubahan")


def _kpi(name: str, by: str | None, key: str | None, before: float, after: float,
         verdict: str, delta: float, p: float = 0.0001) -> dict[str, Any]:
    return {"name": name, "by": by, "key": key, "unit": "seconds",
            "before": {"n": 500, "median": before}, "after": {"n": 500, "median": after},
            "diff_median": after - before, "ci95": [after - before - 1, after - before + 1],
            "p_adjusted": p, "cliffs_delta": delta, "verdict": verdict, "verdict_reason": None}


def test_the_summary_leaves_changes_of_seconds_in_a_process_of_days_to_the_table() -> None:
    """Cases take 61 days: a decision that went from 45 s to 8 s (a large effect) is not a
    headline; 8.4 days to 0.7 days is. The table keeps both, and an unchanged verdict with a
    small p says why it is unchanged."""
    day = 86400.0
    data = {"warnings": [], "kpis": [
        _kpi("cycle_time", None, None, 61.4 * day, 108.5 * day, "worsened", 0.37),
        _kpi("decision_latency", "activity", "terminate", 45.0, 8.0, "improved", -0.91),
        _kpi("decision_latency", "activity", "inspect", 8.4 * day, 0.7 * day, "improved", -0.5),
        _kpi("decision_latency", None, None, 0.0, 0.0, "unchanged", -0.04)]}
    lines = [text for _, text in summary(data, Texts("en"))]
    assert lines[0].startswith("Cycle time rose from 61.4 days to 108.5 days")
    assert lines[1].startswith("Decision latency at inspect fell from 8.4 days to 0.7 days")
    assert not any("terminate" in line for line in lines)
    assert lines[2] == "1 other change of a median by less than 1.0 h is in the table of " \
                       "measures only."
    assert "perubahan median lain yang kurang dari 1,0 jam" in summary(data, Texts("id"))[2][1]
    rows = {r["label"]: r for r in kpi_rows(data, Texts("en"))}
    assert rows["Decision latency at terminate"]["verdict"] == "improved"
    assert rows["Decision latency"]["reason"] == "significant, but most values barely moved"
    short = {**data, "kpis": [_kpi("cycle_time", None, None, 600.0, 900.0, "worsened", 0.4),
                              _kpi("decision_latency", "activity", "sign", 40.0, 8.0,
                                   "improved", -0.9)]}
    assert "Decision latency at sign fell from 40 s to 8 s" in summary(short, Texts("en"))[1][1]
