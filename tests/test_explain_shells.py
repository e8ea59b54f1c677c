"""``explain`` through its shells: the command (files, keys, filters, languages, errors) and the
web app's "Why slow?" pages on a real ``procflow serve``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from procflow import ImportOptions, Workspace
from procflow.cli import main
from procflow.explain.factors import FACTOR_KEYS
from procflow.simulate.causes import APPROVAL, planted_log, truth
from procflow.web.accounts import Accounts
from tests.webserver import Server, seed

KEYS = {"log", "target", "settings", "fields", "factors", "confounding", "tree", "sentences"}


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explain-cli") / "izin.csv"
    planted_log(500, 11).to_csv(path, index=False)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_explain_writes_json_report_and_tables(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = run("explain", str(csv), "--target", f"decision:{APPROVAL}", "--out", str(out),
                     "--lang", "en", "--xlsx", "--resamples", "200")
    assert code == 0, text
    data = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    assert set(data) == KEYS
    assert all(list(f) == list(FACTOR_KEYS) for f in data["factors"])
    assert (data["factors"][0]["field"], data["factors"][0]["value"]) == (
        "attr:kecamatan", "Samarinda Ulu")
    assert data["sentences"][1] in text  # the printed summary is the JSON's
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Why slow? Decision latency at Persetujuan Kepala Bidang" in html
    assert "kecamatan is Samarinda Ulu" in html and "<svg" in html  # the tree
    book = load_workbook(out / "tables.xlsx", read_only=True)
    assert book.sheetnames == ["factors", "strata", "fields", "tree"]
    header = next(book["factors"].iter_rows(max_row=1, values_only=True))
    assert header[:8] == ("field", "value", "cases", "median_with", "median_without",
                          "diff_median", "ci95_low", "ci95_high")


def test_explain_takes_the_filters_and_speaks_indonesian(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "id"
    code, text = run("explain", str(csv), "--target", "cycle_time", "--out", str(out),
                     "--with", "attr:jenis_izin=IMB", "--resamples", "200", "--json")
    assert code == 0, text
    data = json.loads(text)
    assert data["filter"]["cases"]["total"] == 500
    assert data["target"]["cases"] == data["filter"]["cases"]["kept"] < 500
    # One permit type left: the field has one group and nothing of it is tested.
    assert not [f for f in data["factors"] if f["field"] == "attr:jenis_izin"]
    assert data["settings"]["lang"] == "id"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Mengapa lambat?" in html and "Metode" in html


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "speed"], "unknown target 'speed'"),
    (["--target", "decision:Nope"], "no activity 'Nope'"),
    (["--target", "sla"], "needs a calendar"),
])
def test_explain_names_bad_input(csv: Path, tmp_path: Path, args: list[str],
                                 message: str) -> None:
    code, text = run("explain", str(csv), *args, "--out", str(tmp_path / "x"))
    assert code == 2 and message in text, text


# the web app ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, csv: Path) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("explain-web")
    data = folder / "data"
    wid = seed(data)
    with Workspace(Accounts(data).workspace_file(wid)) as ws:
        ws.import_file(csv, name="izin", options=ImportOptions(tz="UTC"))
    server = Server(data, folder / "server.log").start()
    try:
        yield server, wid
    finally:
        server.stop()


def test_the_log_page_links_each_target_to_its_explanation(served: tuple[Server, str]
                                                           ) -> None:
    server, wid = served
    vera = server.client("vera")
    try:
        page = vera.get(f"/w/{wid}/logs/izin?lang=en")
        assert page.status_code == 200, page.text
        assert "Why slow?" in page.text
        assert f"Decision latency at {APPROVAL}</a>" in page.text
        link = f"/w/{wid}/logs/izin/explain?target={quote('decision:' + APPROVAL)}"
        assert link.replace("%20", "+") in page.text
        assert "/explain?target=cycle_time" in page.text
        indonesian = vera.get(f"/w/{wid}/logs/izin?lang=id")
        assert "Mengapa lambat?" in indonesian.text
    finally:
        vera.close()


def test_the_explanation_page_json_and_report(served: tuple[Server, str]) -> None:
    server, wid = served
    cause = truth()[1]  # the permit type at the signature
    query = f"target={quote(cause['target'])}"
    andi = server.client("andi")
    try:
        page = andi.get(f"/w/{wid}/logs/izin/explain?{query}&lang=en")
        assert page.status_code == 200, page.text
        assert "Why slow? Decision latency at Tanda Tangan Kepala Dinas" in page.text
        assert "jenis_izin is IMB" in page.text and "<svg" in page.text
        data = andi.get(f"/w/{wid}/logs/izin/explain.json?{query}").json()
        first = data["factors"][0]
        assert (first["field"], first["value"]) == (cause["field"], cause["value"])
        api = andi.get(f"/api/w/{wid}/logs/izin/explain?{query}").json()
        assert api["factors"] == data["factors"]
        imb = quote(json.dumps([{"kind": "with", "field": "attr:jenis_izin", "values": ["IMB"]}]))
        sliced = andi.get(f"/w/{wid}/logs/izin/explain.json?{query}&f={imb}").json()
        assert sliced["filter"]["cases"]["kept"] < sliced["filter"]["cases"]["total"]
        assert "filter" not in data and sliced["factors"] != data["factors"]
        report = andi.get(f"/w/{wid}/logs/izin/explain.html?{query}&lang=id")
        assert "attachment" in report.headers["content-disposition"]
        assert "Mengapa lambat?" in report.text
        bad = andi.get(f"/api/w/{wid}/logs/izin/explain?target=decision:Nope")
        assert bad.status_code == 422 and "no activity 'Nope'" in bad.json()["error"]["message"]
        missing = andi.get(f"/api/w/{wid}/logs/nothing/explain")
        assert missing.status_code == 404
    finally:
        andi.close()
