"""Conformance figures an analyst cannot misread: every case in one group (the shares add up
to 100%), the activities the model lacks named beside the fitness, no fitness from a model that
shares no step with the log, and the summary in the analyst's language with the model's own
file name (docs/conformance.md)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import procflow
from procflow import mine
from procflow.conform.conformance import conform
from procflow.conform.summary import outcome_rows, rounded_shares, summary_lines
from procflow.core.i18n import Texts
from procflow.measure.prepare import prepared
from procflow.measure.variants import case_variants
from tests.conftest import ROOT, SAMPLE, shared_file
from tests.test_web_api import Site, cheap_hashes

__all__ = ["cheap_hashes"]

TO_BE = ROOT / "models" / "permit-to-be.bpmn"


def write_log(path: Path, cases: list[tuple[str, str]]) -> Path:
    lines = ["case,activity,timestamp"]
    for day, (case, steps) in enumerate(cases, 1):
        lines += [f"{case},{step},2024-03-{day:02d}T{8 + hour:02d}:00:00Z"
                  for hour, step in enumerate(steps.split())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def parallel(tmp_path: Path) -> tuple[procflow.EventLog, Path]:
    """A, then B and C in either order, then D; five cases: two fit, two deviate (a skipped
    C; an E the model lacks), one repeats B (C → B is allowed, so no deviation is named, yet
    it does not replay)."""
    model = mine.write_model(mine.tree_model("->('A', +('B', 'C'), 'D')", name="par"),
                             tmp_path / "par.pnml")
    log = procflow.read(write_log(tmp_path / "log.csv", [
        ("f1", "A B C D"), ("f2", "A C B D"), ("d1", "A B D"), ("d2", "A B C D E"),
        ("o1", "A B C B D")]))
    return log, model


@pytest.mark.parametrize(("method", "limit", "groups", "fitness"), [
    ("token", 120.0, {"fitting": 2, "deviating": 2, "not_fitting_other": 1, "unchecked": 0},
     pytest.approx(14 / 15)),
    ("alignments", 120.0,
     {"fitting": 2, "deviating": 2, "not_fitting_other": 1, "unchecked": 0},
     pytest.approx(0.926829268292683)),
    # nothing aligned in time: no fitness at all rather than 0.0
    ("alignments", 0.0, {"fitting": 0, "deviating": 2, "not_fitting_other": 0, "unchecked": 3},
     None),
    ("token", 0.0, {"fitting": 0, "deviating": 2, "not_fitting_other": 0, "unchecked": 3},
     None),
])
def test_every_case_is_in_one_group(parallel: tuple[procflow.EventLog, Path], method: str,
                                    limit: float, groups: dict[str, int],
                                    fitness: Any) -> None:
    log, model = parallel
    data = conform(log, model, method=method, time_limit=limit).to_dict()  # type: ignore[arg-type]
    assert data["outcomes"]["cases"] == groups
    assert sum(data["outcomes"]["cases"].values()) == data["cases"] == 5
    assert sum(data["outcomes"]["shares"].values()) == pytest.approx(1.0)
    assert data["deviating_cases"] == groups["deviating"]
    assert data["fitness"]["log_fitness"] == fitness
    rows = outcome_rows(data, Texts("en"))
    assert sum(share for _, _, share in rows) == 100.0
    assert sum(n for _, n, _ in rows) == 5


def test_rounded_shares_add_up_to_exactly_100() -> None:
    assert rounded_shares([1, 1, 1]) == [33.4, 33.3, 33.3]
    assert rounded_shares([2, 1], digits=0) == [67.0, 33.0]
    assert rounded_shares([714, 720]) == [49.8, 50.2]
    assert sum(rounded_shares([19, 923, 108])) == 100.0
    assert rounded_shares([0, 0]) == [0.0, 0.0]


def test_a_real_log_whose_old_shares_did_not_add_up(tmp_path: Path) -> None:
    """sepsis against its own model (inductive miner, noise 0.8): 1.8% of the cases replay and
    87.9% deviate; the other 10.3% neither, which the two old figures left unsaid."""
    log = procflow.read(shared_file("sepsis.csv"), tz="UTC")
    with prepared(log) as prep:
        variants = case_variants(prep).counts
    model = mine.discover(variants, noise=0.8, name="sepsis-model")
    data = conform(log, mine.write_model(model, tmp_path / "sepsis-model.pnml")).to_dict()
    assert data["outcomes"]["cases"] == {"fitting": 19, "deviating": 923,
                                         "not_fitting_other": 108, "unchecked": 0}
    assert data["fitness"]["fitting_share"] + data["deviating_share"] == pytest.approx(
        (19 + 923) / 1050)
    assert data["not_in_model"]["count"] == 7 and data["not_in_model"]["cases"] == 785
    text = summary_lines(data)
    assert "  Cases that do not fit, without a named deviation: 108 (10.3%)" in text


@pytest.mark.slow
def test_token_replay_of_a_large_model_stops_at_its_time_limit(tmp_path: Path) -> None:
    """BPIC15_1 (398 activities, 1,170 variants) against its own inductive model: pm4py's token
    replay of every variant takes minutes, so a 2 s limit leaves variants unchecked, most
    frequent first, and the groups still hold every case."""
    log = procflow.read(shared_file("BPIC15_1.xes.gz"))
    with prepared(log) as prep:
        variants = case_variants(prep).counts
    model = mine.discover(variants, noise=0.2, name="bpic15-model")
    path = mine.write_model(model, tmp_path / "bpic15-model.pnml")
    started = time.perf_counter()
    data = conform(log, path, time_limit=2.0).to_dict()
    assert time.perf_counter() - started < 90
    unchecked = data["fitness"]["unchecked_variants"]
    assert 0 < unchecked < len(variants)
    assert sum(data["outcomes"]["cases"].values()) == data["cases"] == 1199
    assert data["outcomes"]["cases"]["unchecked"] > 0


def test_activities_missing_from_the_model_are_named(tmp_path: Path) -> None:
    """Token replay skips steps the model lacks: fitness 1.0 while 1 case in 10 fits."""
    model = mine.write_model(mine.sequence_model([("A", True), ("B", True), ("C", True)],
                                                 name="abc"), tmp_path / "abc.pnml")
    log = procflow.read(write_log(tmp_path / "x.csv",
                                  [(f"x{i}", "A X B C") for i in range(9)] + [("ok", "A B C")]))
    data = conform(log, model).to_dict()
    assert data["fitness"]["log_fitness"] == 1.0
    assert data["fitness"]["fitting_share"] == pytest.approx(0.1)
    assert data["not_in_model"] == {"activities": ["X"], "count": 1, "log_activities": 4,
                                    "cases": 9}
    lines = summary_lines(data)
    assert "1 of the log's 4 activities is not in the model (9 cases have it): X." in lines
    assert ("Token-based replay skips them, so the fitness does not count them; those cases "
            "never fit the model.") in lines


def test_sample_before_against_the_to_be_model() -> None:
    log = procflow.read(SAMPLE / "before.csv", tz="Asia/Makassar", order="dayfirst")
    data = conform(log, TO_BE, model_name="SOP baru 2024.bpmn").to_dict()
    assert data["model"]["name"] == "SOP baru 2024.bpmn"
    assert data["model"]["source"] == "bpmn:SOP baru 2024.bpmn"
    assert data["not_in_model"]["activities"] == ["Paraf Kepala Bidang", "Paraf Kepala Seksi"]
    assert data["outcomes"]["cases"]["deviating"] == 2000
    english = summary_lines(data, Texts("en"))
    assert english[0] == "before against SOP baru 2024.bpmn: 2,000 cases"
    assert ("2 of the log's 9 activities are not in the model (2,000 cases have at least one): "
            "Paraf Kepala Bidang, Paraf Kepala Seksi.") in english
    indonesian = summary_lines(data, Texts("id"))
    assert indonesian[0] == "before terhadap SOP baru 2024.bpmn: 2.000 kasus"
    assert ("2 dari 9 aktivitas log ini tidak ada dalam model (2.000 kasus memuat paling "
            "sedikit satu): Paraf Kepala Bidang, Paraf Kepala Seksi.") in indonesian
    assert "  Kasus yang menyimpang: 2.000 (100,0%)" in indonesian


def test_a_model_sharing_no_activity_is_a_warning(tmp_path: Path) -> None:
    model = mine.write_model(mine.sequence_model([("X", True), ("Y", True)], name="other"),
                             tmp_path / "other.pnml")
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar", order="dayfirst")
    for method in ("token", "alignments"):
        data = conform(log, model, method=method).to_dict()  # type: ignore[arg-type]
        assert data["fitness"]["log_fitness"] is None
        assert [w["code"] for w in data["warnings"]] == ["no_shared_activities"]
        assert data["warnings"][0]["model_activities"] == 2
        assert data["outcomes"]["cases"]["deviating"] == 2000
        lines = summary_lines(data)
        assert lines[1].startswith("Warning: the model shares no activity with the log, so "
                                   "fitness cannot be measured.")
        assert not any(line.startswith("Fitness") for line in lines)


# the web page -------------------------------------------------------------------------------
def test_conformance_page(tmp_path: Path) -> None:
    from tests.test_web_pages import import_sample

    site = Site(tmp_path / "data", limit=8 * 1024 * 1024)
    andi = site.client("andi")
    import_sample(andi, site.a, "before")
    r = andi.post(f"/api/w/{site.a}/logs/before/conform",
                  files={"file": ("SOP Perizinan 2024.bpmn", TO_BE.read_bytes(),
                                  "application/xml")})
    assert r.status_code == 200, r.text
    assert r.json()["model"]["name"] == "SOP Perizinan 2024.bpmn"
    url = f"/w/{site.a}/logs/before/conform/{r.headers['x-procflow-result']}"
    page = andi.get(url + "?lang=en").text
    assert "<pre>" not in page and '<ul class="summary">' in page
    assert "<li>before against SOP Perizinan 2024.bpmn: 2,000 cases</li>" in page
    assert re.search(r'<dt>Deviating cases</dt><dd><a href="[^"]*/cases\?[^"]*set=[^"]*">'
                     r'2,000</a> <small>\(100\.0%\)</small></dd>', page)  # opens its cases
    assert "Cases that fit the model" not in page  # no case fits: no 0% beside the rest
    assert ("2 of the log&#39;s 9 activities are not in the model (2,000 cases have at least "
            "one): Paraf Kepala Bidang, Paraf Kepala Seksi.") in page
    # a fitness that leaves steps out says so beside it (token replay skips them)
    assert "<dt>Fitness of the checked cases, on the model&#39;s steps</dt>" in page
    assert "Token-based replay does not count the steps the model lacks" in page
    indonesian = andi.get(url + "?lang=id").text
    assert "<li>before terhadap SOP Perizinan 2024.bpmn: 2.000 kasus</li>" in indonesian
    assert "tidak memperhitungkan langkah yang tidak ada di model" in indonesian
    assert "Setiap kasus berada tepat di satu kelompok yang berpersentase" in indonesian
    steps = "decision=Verifikasi%20Berkas&f=" + quote(
        '[{"kind": "starts_with", "activities": ["Pendaftaran Permohonan"]}]')
    form = andi.get(f"/w/{site.a}/logs/before/conform?{steps}&lang=en").text
    assert "Decision steps: Verifikasi Berkas" in form
    action = re.search(r'action="([^"]+/conform[^"]*)"', form)
    assert action and "decision=Verifikasi+Berkas" in action[1] and "&amp;f=" in action[1]
    chosen = andi.post(f"/api/w/{site.a}/logs/before/conform?{steps}",
                       files={"file": ("sop.bpmn", TO_BE.read_bytes(), "application/xml")})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["decision_activities"] == ["Verifikasi Berkas"]
    assert chosen.json()["filter"]["cases"]["kept"] == 2000
    other = andi.post(f"/api/w/{site.a}/logs/before/conform",
                      files={"file": ("lain.csv", b"Kegiatan;Pelaksana\nX;A\nY;B\n",
                                      "text/csv")})
    assert other.status_code == 200, other.text
    warned = andi.get(f"/w/{site.a}/logs/before/conform/"
                      f"{other.headers['x-procflow-result']}?lang=en").text
    assert ('<p class="warning" role="alert">Warning: the model shares no activity with the '
            'log') in warned
    assert "<dt>Fitness</dt><dd>–</dd>" in warned
