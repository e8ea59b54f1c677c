"""The web app's comparison options (completed cases only, working calendar) and the
conformance check's fitness method."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procflow.web import service
from tests.test_web_api import Site, TestClient, assert_error, cheap_hashes
from tests.test_web_pages import import_sample

__all__ = ["cheap_hashes"]

Run = tuple[str, dict[str, Any]]

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "logs" / "permit-delayering"
TO_BE = ROOT / "models" / "permit-to-be.bpmn"
END_STEP = "Penerbitan Izin"
#: Cases of after.csv left open (their end step removed): under the 5% that makes an end step.
OPEN_CASES = 60
SHADOW_CASES = 422
CASES = 2000
WORKING = "working seconds"


def _with_open_cases(data: bytes, cases: int) -> bytes:
    """after.csv with the end step of its first ``cases`` cases removed."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    opened = list(dict.fromkeys(r[0] for r in rows[1:]))[:cases]
    kept = [rows[0]] + [r for r in rows[1:] if not (r[0] in opened and r[1] == END_STEP)]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(kept)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, TestClient]]:
    """andi has imported before.csv, after.csv and ``open`` (after.csv with open cases)."""
    site = Site(tmp_path_factory.mktemp("options") / "data", limit=8 * 1024 * 1024)
    client = site.client("andi")
    for name in ("before", "after"):
        import_sample(client, site.a, name)
    import_sample(client, site.a, "open", _with_open_cases((LOGS / "after.csv").read_bytes(),
                                                     OPEN_CASES))
    yield site, client


def _compare(logs: tuple[Site, TestClient], **body: Any) -> Run:
    site, andi = logs
    r = andi.post(f"/api/w/{site.a}/compare", json=body)
    assert r.status_code == 200, r.text
    return r.headers["x-procflow-result"], r.json()


@pytest.fixture(scope="module")
def plain(logs: tuple[Site, TestClient]) -> Run:
    return _compare(logs, before="before", after="after")


@pytest.fixture(scope="module")
def working(logs: tuple[Site, TestClient]) -> Run:
    return _compare(logs, before="before", after="after", calendar="id")


@pytest.fixture(scope="module")
def open_all(logs: tuple[Site, TestClient]) -> Run:
    return _compare(logs, before="before", after="open", completed="0")


@pytest.fixture(scope="module")
def open_completed(logs: tuple[Site, TestClient]) -> Run:
    return _compare(logs, before="before", after="open", completed=True)


def _kpi(data: dict[str, Any], name: str, unit: str = "seconds") -> dict[str, Any]:
    return next(k for k in data["kpis"] if (k["name"], k["by"], k["unit"]) == (name, None, unit))


def _same_figures(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("before", "after", "diff_median", "ci95", "p_value")
    return all(a[key] == b[key] for key in keys)


def _page(client: TestClient, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return r.text


# comparison: working calendar -------------------------------------------------------------
def test_calendar_adds_working_time_kpis(logs: tuple[Site, TestClient], plain: Run,
                                         working: Run) -> None:
    site, andi = logs
    (_, without), (rid, data) = plain, working
    assert not [k for k in without["kpis"] if k["unit"] == WORKING]
    assert without["settings"]["calendar"] is None
    timed = [k for k in data["kpis"] if k["unit"] == WORKING]
    assert {k["name"] for k in timed} >= {"cycle_time", "decision_latency", "path_elapsed"}
    assert [(k["name"], k["by"], k["key"]) for k in timed] == [
        (k["name"], k["by"], k["key"]) for k in data["kpis"]
        if k["unit"] == "seconds" and (k["name"], k["by"], k["key"]) in
        {(w["name"], w["by"], w["key"]) for w in timed}]
    calendar = data["settings"]["calendar"]
    assert (calendar["name"], calendar["zone"], calendar["day_seconds"]) == (
        "id", "Asia/Makassar", 27000.0)
    cycle = _kpi(data, "cycle_time", WORKING)
    assert (cycle["before"]["n"], cycle["after"]["n"]) == (CASES, CASES)
    assert cycle["diff_median_days"] == cycle["diff_median"] / 27000.0
    assert _same_figures(_kpi(data, "cycle_time"), _kpi(without, "cycle_time"))
    assert data["settings"]["completed_only"] is False
    stored = andi.get(f"/api/w/{site.a}/compare/{rid}").json()
    assert stored == data and "web" not in stored
    english = _page(andi, f"/w/{site.a}/compare/{rid}?lang=en")
    assert "Working time: Indonesian government week (Mon–Fri)" in english
    assert "Completed cases only" not in english
    assert "(working time)" in english
    indonesian = _page(andi, f"/w/{site.a}/compare/{rid}?lang=id")
    assert "Waktu kerja: Pekan kerja pemerintah Indonesia (Senin–Jumat)" in indonesian


def test_no_options_show_no_settings(logs: tuple[Site, TestClient], plain: Run) -> None:
    site, andi = logs
    rid, data = plain
    assert data["settings"]["completed_only"] is False
    page = _page(andi, f"/w/{site.a}/compare/{rid}?lang=en")
    assert "Working time:" not in page and "Completed cases only" not in page


# comparison: completed cases only ---------------------------------------------------------
def test_completed_cases_only(logs: tuple[Site, TestClient], open_all: Run,
                              open_completed: Run) -> None:
    site, andi = logs
    (_, everything), (rid, completed) = open_all, open_completed
    assert everything["settings"]["completed_only"] is False
    assert completed["settings"]["completed_only"] is True
    assert completed["settings"]["end_steps"] == [END_STEP]
    all_cycle, done_cycle = _kpi(everything, "cycle_time"), _kpi(completed, "cycle_time")
    assert (all_cycle["before"]["n"], all_cycle["after"]["n"]) == (CASES, CASES)
    assert (done_cycle["before"]["n"], done_cycle["after"]["n"]) == (CASES, CASES - OPEN_CASES)
    assert done_cycle["after"]["n"] <= all_cycle["after"]["n"]
    assert completed["after"]["cases"] == CASES - OPEN_CASES
    assert [w["kind"] for w in everything["warnings"]] == [
        w["kind"] for w in completed["warnings"]]
    assert not [k for k in completed["kpis"] if k["unit"] == WORKING]
    download = andi.get(f"/w/{site.a}/compare/{rid}/comparison.json")
    assert download.json()["settings"]["completed_only"] is True
    page = _page(andi, f"/w/{site.a}/compare/{rid}?lang=en")
    assert "Completed cases only" in page and "Working time:" not in page
    assert "Hanya kasus yang sudah selesai" in _page(andi, f"/w/{site.a}/compare/{rid}?lang=id")


def test_form_runs_with_both_options(logs: tuple[Site, TestClient],
                                     open_completed: Run) -> None:
    site, andi = logs
    csrf = andi.headers["X-CSRF-Token"]
    form = _page(andi, f"/w/{site.a}/compare?lang=en")
    assert 'type="checkbox" name="completed" value="1"' in form
    assert re.search(r'<select name="calendar"><option value="">[^<]+</option>'
                     r'<option value="id" >Indonesian government week \(Mon–Fri\)</option>'
                     r'<option value="id-sat" >Monday–Saturday week</option></select>', form)
    r = andi.post(f"/w/{site.a}/compare", data={"csrf": csrf, "before": "before",
                                               "after": "open", "completed": "on",
                                               "calendar": "id-sat"})
    assert r.status_code == 303, r.text
    rid = r.headers["location"].rsplit("/", 1)[1]
    data = andi.get(f"/api/w/{site.a}/compare/{rid}").json()
    assert data["settings"]["completed_only"] is True
    assert data["settings"]["calendar"]["name"] == "id-sat"
    assert _same_figures(_kpi(data, "cycle_time"), _kpi(open_completed[1], "cycle_time"))
    assert _kpi(data, "cycle_time", WORKING)["after"]["n"] == CASES - OPEN_CASES
    page = _page(andi, f"/w/{site.a}/compare/{rid}?lang=en")
    assert "Completed cases only</span> · <span>Working time: Monday–Saturday week" in page


# comparison: refusals ---------------------------------------------------------------------
@pytest.mark.parametrize(("body", "words"), [
    ({"completed": "yes"}, ["completed", "'yes'"]),
    ({"completed": "2"}, ["completed", "'2'"]),
    ({"calendar": "gregorian"}, ["'gregorian'", "id, id-sat"]),
    ({"calendar": "ID"}, ["'ID'", "id, id-sat"]),
    ({"calendar": str(ROOT / "pyproject.toml")}, ["unknown calendar", "id, id-sat"]),
    ({"completed": True, "calendar": "id-5"}, ["'id-5'", "id, id-sat"]),
])
def test_bad_options_are_refused(logs: tuple[Site, TestClient], body: dict[str, Any],
                                 words: list[str]) -> None:
    site, andi = logs
    r = andi.post(f"/api/w/{site.a}/compare",
                  json={"before": "before", "after": "after", **body})
    assert_error(r, 422)
    message = r.json()["error"]["message"]
    assert all(w in message for w in words), message


def test_bad_options_reshow_the_form(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    csrf = andi.headers["X-CSRF-Token"]
    r = andi.post(f"/w/{site.a}/compare?lang=en",
                  data={"csrf": csrf, "before": "before", "after": "after",
                        "completed": "maybe", "calendar": "id-sat"})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert "completed must be on" in r.text
    assert '<option value="id-sat" selected>' in r.text
    assert 'value="1" >' in r.text  # the checkbox stays unticked
    r = andi.post(f"/w/{site.a}/compare?lang=en",
                  data={"csrf": csrf, "before": "before", "after": "after",
                        "completed": "on", "calendar": "weekend"})
    assert r.status_code == 422 and "unknown calendar &#39;weekend&#39;" in r.text
    assert 'name="completed" value="1" checked>' in r.text
    assert 'selected>' not in r.text.split('name="calendar"')[1].split("</select>")[0]


# conformance: fitness method --------------------------------------------------------------
def _conform(logs: tuple[Site, TestClient], method: str | None) -> Any:
    site, andi = logs
    fields = {} if method is None else {"method": method}
    return andi.post(f"/api/w/{site.a}/logs/after/conform", data=fields,
                     files={"file": ("permit-to-be.bpmn", TO_BE.read_bytes(),
                                     "application/xml")})


def test_conformance_by_alignments(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    token, default, aligned = (_conform(logs, m) for m in ("token", None, "alignments"))
    for r in (token, default, aligned):
        assert r.status_code == 200, r.text
    assert token.json()["fitness"]["method"] == default.json()["fitness"]["method"] == "token"
    data = aligned.json()
    fit = data["fitness"]
    assert (fit["method"], fit["unchecked_variants"]) == ("alignments", 0)
    assert data["deviating_cases"] == token.json()["deviating_cases"] == SHADOW_CASES
    assert data["shadow_layer"]["cases"] == SHADOW_CASES
    assert fit["fitting_share"] == token.json()["fitness"]["fitting_share"] == pytest.approx(
        1 - SHADOW_CASES / CASES)
    assert 0 < fit["log_fitness"] < 1
    rid = aligned.headers["x-procflow-result"]
    assert andi.get(f"/api/w/{site.a}/logs/after/conform/{rid}").json() == data
    page = _page(andi, f"/w/{site.a}/logs/after/conform/{rid}?lang=en")
    assert "<dt>Fitness method</dt><dd>alignments</dd>" in page
    assert "<dd>alignment (penyelarasan)</dd>" in _page(
        andi, f"/w/{site.a}/logs/after/conform/{rid}?lang=id")
    token_page = _page(andi, f"/w/{site.a}/logs/after/conform/"
                             f"{token.headers['x-procflow-result']}?lang=en")
    assert "<dd>token-based replay</dd>" in token_page
    assert not list((site.data / "models").iterdir())


def test_conformance_form_sends_the_method(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    form = _page(andi, f"/w/{site.a}/logs/after/conform?lang=en")
    assert ('<select name="method"><option value="token">token-based replay</option>'
            '<option value="alignments">alignments</option></select>') in form
    r = andi.post(f"/w/{site.a}/logs/after/conform",
                  data={"csrf": andi.headers["X-CSRF-Token"], "method": "alignments"},
                  files={"file": ("permit-to-be.bpmn", TO_BE.read_bytes(), "application/xml")})
    assert r.status_code == 303, r.text
    page = _page(andi, r.headers["location"] + "?lang=en")
    assert "<dd>alignments</dd>" in page


def test_alignments_past_the_time_limit_are_reported(logs: tuple[Site, TestClient],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    site, andi = logs
    monkeypatch.setattr(service, "CONFORM_TIME_LIMIT", 1e-9)
    r = _conform(logs, "alignments")
    assert r.status_code == 200, r.text
    data = r.json()
    variants = data["fitness"]["unchecked_variants"]
    assert variants > 0 and data["fitness"]["fitting_share"] == 0.0
    assert data["deviating_cases"] == SHADOW_CASES
    page = _page(andi, f"/w/{site.a}/logs/after/conform/{r.headers['x-procflow-result']}"
                       "?lang=en")
    assert (f"{variants} variants were not checked within the time limit; the fitness "
            "leaves them out.") in page


@pytest.mark.parametrize("method", ["viterbi", "Alignments", "x" * 100])
def test_unknown_method_is_refused(logs: tuple[Site, TestClient], method: str) -> None:
    site, andi = logs
    r = _conform(logs, method)
    assert_error(r, 422)
    assert "unknown method" in r.json()["error"]["message"]
    assert "token, alignments" in r.json()["error"]["message"]
    assert not list((site.data / "models").iterdir())
    form = andi.post(f"/w/{site.a}/logs/after/conform?lang=en",
                     data={"csrf": andi.headers["X-CSRF-Token"], "method": method},
                     files={"file": ("permit-to-be.bpmn", TO_BE.read_bytes(),
                                     "application/xml")})
    assert form.status_code == 422 and 'role="alert"' in form.text
    assert "unknown method" in form.text and 'name="method"' in form.text
