"""Which steps are decisions: the warnings when the default pattern took none or too many, the
steps the log's structure suggests, and choosing none (METRICS §5; docs/metrics.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import procflow
from procflow.cli import main
from procflow.core.i18n import Texts
from procflow.measure.analysis import analyze
from procflow.measure.decision_hints import suggest_decisions
from procflow.measure.decisions import warning_text
from tests.conftest import shared_file

#: Six hand-checked cases: three approved, one rejected, one sent back to be fixed first.
CASES = [
    ("c1", ["Register", "Check", "Approve", "Pay"]),
    ("c2", ["Register", "Check", "Approve", "Pay"]),
    ("c3", ["Register", "Check", "Approve", "Pay"]),
    ("c4", ["Register", "Check", "Reject"]),
    ("c5", ["Register", "Check", "Fix", "Check", "Approve", "Pay"]),
]
LEVELS = {"Register": 4, "Check": 3, "Approve": 1, "Reject": 1, "Fix": 4, "Pay": 4}


def write_log(path: Path, cases: list[tuple[str, list[str]]], *,
              levels: dict[str, int] | None = None) -> Path:
    """A CSV log: one step an hour from 2024-03-01 08:00 (UTC) per case."""
    lines = ["case,activity,timestamp" + (",level" if levels else "")]
    for day, (case, steps) in enumerate(cases, 1):
        for hour, step in enumerate(steps):
            at = datetime(2024, 3, day, 8) + timedelta(hours=hour)
            row = f"{case},{step},{at:%Y-%m-%dT%H:%M:%S}Z"
            lines.append(row + (f",{levels[step]}" if levels else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def numbered(n: int, decisions: int) -> list[tuple[str, list[str]]]:
    """One case through ``n`` steps, the first ``decisions`` of them named as approvals."""
    steps = [f"Approve {i}" if i < decisions else f"Step {i}" for i in range(n)]
    return [("c1", steps)]


# the warnings -----------------------------------------------------------------------------
@pytest.mark.parametrize(("steps", "decisions", "code", "share"), [
    (10, 0, "default_decisions_none", 0.0),
    (10, 1, None, None),          # 1 of 10: 10%, within 15%
    (10, 4, None, None),          # 40%, but only 4 steps: at the floor
    (10, 5, "default_decisions_many", 0.5),   # 5 steps, above the floor, and 50%
    (40, 6, None, None),          # 6 steps, above the floor, but 15% exactly
    (40, 7, "default_decisions_many", 0.175),  # 7 steps and 17.5%
])
def test_default_pattern_warns_on_none_or_too_many(tmp_path: Path, steps: int, decisions: int,
                                                   code: str | None,
                                                   share: float | None) -> None:
    data = analyze(write_log(tmp_path / "log.csv", numbered(steps, decisions))).to_dict()
    assert len(data["decisions"]["activities"]) == decisions
    if code is None:
        assert data["warnings"] == []
        return
    (warning,) = data["warnings"]
    keys = ("code", "matched", "activities", "share", "limit", "floor")
    assert {k: warning[k] for k in keys} == {
        "code": code, "matched": decisions, "activities": steps, "share": share,
        "limit": 0.15, "floor": 4}
    assert warning["message"] == warning_text(warning, Texts("en"), "json")
    assert "choose the decision steps yourself" in warning["message"]


def test_a_choice_of_the_analyst_has_no_warning(tmp_path: Path) -> None:
    path = write_log(tmp_path / "log.csv", numbered(10, 0))
    named = analyze(path, decision_activities=["Step 3"]).to_dict()
    assert named["warnings"] == [] and named["decisions"]["activities"] == ["Step 3"]
    assert named["settings"]["decision_pattern"] is None
    found = analyze(path, decisions="Step [12]").to_dict()
    assert found["warnings"] == [] and found["decisions"]["activities"] == ["Step 1", "Step 2"]
    many = write_log(tmp_path / "many.csv", numbered(10, 5))
    none = analyze(many, decision_activities=[]).to_dict()
    assert none["warnings"] == [] and none["decisions"]["activities"] == []
    assert none["decisions"]["overall"]["n"] == 0 and none["layers"] is None
    assert none["settings"]["decision_pattern"] is None


@pytest.mark.parametrize(("name", "options", "code", "matched", "activities", "suggested"), [
    ("BPI_2020_DomesticDeclarations.xes.gz", {}, "default_decisions_many", 13, 17,
     (9, "Declaration REJECTED by EMPLOYEE")),
    ("BPIC15_1.xes.gz", {}, "default_decisions_none", 0, 398, (10, "01_HOOFD_180")),
    ("sepsis.csv", {"tz": "UTC"}, "default_decisions_none", 0, 16, (10, "Leucocytes")),
])
def test_real_logs_get_the_warning(name: str, options: dict[str, Any], code: str,
                                   matched: int, activities: int,
                                   suggested: tuple[int, str]) -> None:
    data = analyze(procflow.read(shared_file(name), **options)).to_dict()
    (warning,) = data["warnings"]
    assert (warning["code"], warning["matched"], warning["activities"]) == (
        code, matched, activities)
    assert len(data["decisions"]["activities"]) == matched == warning["matched"]
    assert data["log"]["activities"] == activities
    hints = data["decisions"]["suggestions"]
    assert (len(hints), hints[0]["activity"]) == suggested


def test_cli_prints_the_warning_with_the_options(tmp_path: Path) -> None:
    path = shared_file("sepsis.csv")
    runner = CliRunner()
    out = runner.invoke(main, ["analyze", str(path), "--tz", "UTC", "--out",
                               str(tmp_path / "a")])
    assert out.exit_code == 0, out.output
    assert ("Warning: The default decision pattern found no decision step among the log's 16 "
            "activities, so decision latency and approval layers are empty. Choose them with "
            "--decision-activities A,B") in out.output
    assert "Steps after which cases branch or go back (possible decisions): " in out.output
    written = json.loads((tmp_path / "a" / "analysis.json").read_text(encoding="utf-8"))
    assert written["warnings"][0]["code"] == "default_decisions_none"
    chosen = runner.invoke(main, ["analyze", str(path), "--tz", "UTC", "--out",
                                  str(tmp_path / "b"), "--decision-activities",
                                  "Release A,Release B"])
    assert chosen.exit_code == 0 and "Warning" not in chosen.output
    none = runner.invoke(main, ["analyze", str(path), "--tz", "UTC", "--json", "--out",
                                str(tmp_path / "c"), "--decision-activities", ""])
    assert none.exit_code == 0, none.output
    data = json.loads(none.output)
    assert data["decisions"]["activities"] == [] and data["warnings"] == []


def test_cli_report_prints_the_warning(tmp_path: Path) -> None:
    path = shared_file("BPI_2020_DomesticDeclarations.xes.gz")
    out = CliRunner().invoke(main, ["report", str(path), "--out", str(tmp_path / "r"),
                                    "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert ("Warning: The default decision pattern took 13 of the log's 17 activities (76%) "
            "as decision steps") in out.output
    report = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "took 13 of the log&#39;s 17 activities (76%)" in report


# the suggestions --------------------------------------------------------------------------
EXPECTED = [  # Check: 3 ways out, level 3 of 1..4 (height 1/3); then by instances
    {"activity": "Check", "count": 6, "branches": 3, "returns": 0.0, "level": 3,
     "score": 1 + 1 / 3},
    {"activity": "Approve", "count": 4, "branches": 1, "returns": 0.0, "level": 1,
     "score": 1.0},
    {"activity": "Fix", "count": 1, "branches": 1, "returns": 1.0, "level": 4, "score": 1.0},
    {"activity": "Reject", "count": 1, "branches": 1, "returns": 0.0, "level": 1,
     "score": 1.0},
]


def test_suggestions_by_structure_and_level() -> None:
    variants: dict[tuple[str, ...], int] = {}
    for _, steps in CASES:
        variants[tuple(steps)] = variants.get(tuple(steps), 0) + 1
    assert suggest_decisions(variants, LEVELS) == EXPECTED
    without_levels = suggest_decisions(variants)
    assert [s["activity"] for s in without_levels] == ["Check", "Fix"]
    assert suggest_decisions(variants, LEVELS, top=2) == EXPECTED[:2]


def test_suggestions_in_analysis_json(tmp_path: Path) -> None:
    path = write_log(tmp_path / "levels.csv", CASES, levels=LEVELS)
    data = analyze(path).to_dict()
    assert data["decisions"]["suggestions"] == EXPECTED
    assert data["decisions"]["activities"] == ["Approve", "Reject"]
    # 2 of 6 steps found by name: a third, but only 2 steps, so no warning
    assert data["warnings"] == []
