"""The web app's log page (map view settings, the report's sections), imports with an org
chart, and removing a log."""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import pytest
from starlette.datastructures import QueryParams

import procflow
from procflow.core.i18n import Texts
from procflow.measure.analysis import analyze
from procflow.web.jobs import ImportJob
from procflow.web.views import LogView
from tests.test_web_api import Site, TestClient, assert_error, cheap_hashes, finish_import

__all__ = ["cheap_hashes"]

LOGS = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering"
TRUTH = json.loads((LOGS / "truth.json").read_text(encoding="utf-8"))["truth"]
OPTIONS = {"tz": "Asia/Makassar", "order": "dayfirst"}


def upload(client: TestClient, wid: str, path: Path, data: bytes | None = None) -> str:
    r = client.post(f"/api/w/{wid}/upload",
                    files={"file": (path.name, path.read_bytes() if data is None else data,
                                    "text/csv")})
    assert r.status_code == 201, r.text
    return str(r.json()["upload"]["id"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Workspace A holds ``after`` imported with the org chart (through the API)."""
    site = Site(tmp_path_factory.mktemp("logpage") / "data", limit=8 * 1024 * 1024)
    andi = site.client("andi")
    log = upload(andi, site.a, LOGS / "after.csv")
    chart = upload(andi, site.a, LOGS / "orgchart.csv")
    r = andi.post(f"/api/w/{site.a}/uploads/{log}/import",
                  json={"name": "after", "orgchart": chart, **OPTIONS})
    assert r.status_code == 200, r.text
    assert r.json()["orgchart"] == "orgchart.csv"
    return site


def nodes(svg: str) -> int:
    return len(re.findall(r'<g id="node\d+" class="node"', svg))


# org charts -----------------------------------------------------------------------------------
def test_org_chart_gives_levels_and_the_true_layers(site: Site) -> None:
    andi = site.client("andi")
    analysis = andi.get(f"/api/w/{site.a}/logs/after/analysis").json()
    assert analysis["layers"]["by"] == "level"
    assert analysis["layers"]["per_case"]["mean"] == pytest.approx(
        TRUTH["after"]["approval_layers"]["mean"], abs=5e-4)


def test_org_chart_on_the_import_page(tmp_path: Path) -> None:
    site = Site(tmp_path / "data", limit=8 * 1024 * 1024)
    andi = site.client("andi")
    log = upload(andi, site.a, LOGS / "before.csv")
    csrf = andi.headers["X-CSRF-Token"]
    page = andi.get(f"/w/{site.a}/uploads/{log}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="orgchart"' in page.text
    r = finish_import(andi, andi.post(
        f"/w/{site.a}/uploads/{log}/import", data={"csrf": csrf, "name": "before", **OPTIONS},
        files={"orgchart": ("bagan-organisasi.csv", (LOGS / "orgchart.csv").read_bytes(),
                            "text/csv")}))
    assert r.status_code == 200, r.text
    analysis = andi.get(f"/api/w/{site.a}/logs/before/analysis").json()
    assert analysis["layers"]["by"] == "level"
    assert analysis["layers"]["per_case"]["mean"] == pytest.approx(
        TRUTH["before"]["approval_layers"]["mean"], abs=5e-4)
    assert list((site.data / "uploads").glob("orgchart-*")) == []  # the copy is gone
    missing = andi.post(f"/w/{site.a}/uploads/{'0' * 32}/import",
                        data={"csrf": csrf, "name": "x", **OPTIONS},
                        files={"orgchart": ("o.csv", b"resource,level\na,1\n", "text/csv")})
    assert missing.status_code == 404
    assert list((site.data / "uploads").glob("orgchart-*")) == []


def test_a_bad_org_chart_is_named_and_nothing_is_imported(tmp_path: Path) -> None:
    site = Site(tmp_path / "data", limit=8 * 1024 * 1024)
    andi = site.client("andi")
    log = upload(andi, site.a, LOGS / "after.csv")
    bad = b"resource,level\nSitti Aisyah,tinggi\n"
    chart = upload(andi, site.a, Path("struktur.csv"), bad)
    r = andi.post(f"/api/w/{site.a}/uploads/{log}/import",
                  json={"name": "after", "orgchart": chart, **OPTIONS})
    assert_error(r, 422)
    message = r.json()["error"]["message"]
    assert "struktur.csv" in message and str(site.data) not in message
    assert andi.get(f"/api/w/{site.a}").json()["logs"] == []
    page = finish_import(andi, andi.post(
        f"/w/{site.a}/uploads/{log}/import",
        data={"csrf": andi.headers["X-CSRF-Token"], "name": "after", **OPTIONS},
        files={"orgchart": ("struktur.csv", bad, "text/csv")}))
    assert page.status_code == 422
    assert "struktur.csv" in page.text and str(site.data) not in page.text
    assert_error(andi.post(f"/api/w/{site.a}/uploads/{log}/import",
                           json={"name": "after", "orgchart": "0" * 32, **OPTIONS}), 404)


# the log page ---------------------------------------------------------------------------------
def test_log_page_shows_the_sections(site: Site) -> None:
    vera = site.client("vera")
    page = vera.get(f"/w/{site.a}/logs/after").text
    for section in ("decisions", "handoffs", "layers", "bottlenecks", "time"):
        assert f'<section id="{section}">' in page
    over_time = page[page.index('<section id="time">'):]
    assert "Dari waktu ke waktu" in over_time and "<svg " not in over_time  # loaded after
    later = re.findall(r'data-drawing="([^"]+)"', over_time)
    assert len(later) == 1 and "/drawings/time?" in later[0]
    assert vera.get(html.unescape(later[0])).text.count("<svg ") == 4
    decisions = page[page.index('<section id="decisions">'):page.index('<section id="handoffs">')]
    for step in ("Persetujuan dan TTE Kepala Dinas", "Verifikasi Berkas", "Paraf Koordinator"):
        assert step in decisions
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/map.js" defer>']
    policy = vera.get(f"/w/{site.a}/logs/after").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy
    assert "connect-src 'self';" in policy  # the drawings that load after the page
    script = vera.get("/static/map.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript") and "function setup(figure, tools, presets, note)" in script.text
    assert "Delete this log" not in vera.get(f"/w/{site.a}/logs/after?lang=en").text


def test_map_view_settings(site: Site) -> None:
    vera = site.client("vera")
    base = f"/api/w/{site.a}/logs/after"
    default = vera.get(base).json()
    assert {k: default["map"][k] for k in ("profile", "activities", "paths", "message")} == {
        "profile": "performance", "activities": None, "paths": None, "message": None}
    assert "Persetujuan dan TTE Kepala Dinas" in default["map"]["steps"]
    assert default["settings"] == {"calendar": None, "standard_days": None, "decisions": [],
                                   "decision_choice": "pattern", "handoff": None}
    frequency = vera.get(f"{base}?profile=frequency").json()["map_svg"]
    assert "2.000" in frequency  # case counts on the start path, in Indonesian format
    fewer = vera.get(f"{base}?activities=40").json()["map_svg"]
    assert nodes(fewer) < nodes(default["map_svg"])
    for bad in ("profile=pretty", "activities=0", "activities=101", "paths=x", "zoom=175"):
        assert_error(vera.get(f"{base}?{bad}"), 422)
    assert vera.get(f"/w/{site.a}/logs/after?zoom=175").status_code == 422
    zoomed = vera.get(f"/w/{site.a}/logs/after?zoom=200").text
    assert 'class="map zoomed" data-zoom="200"' in zoomed
    fitted = vera.get(f"/w/{site.a}/logs/after?zoom=fit&lang=en").text
    assert '<figure class="map" data-zoom="fit"' in fitted
    assert re.search(r'<a href="[^"]+zoom=fit#map" data-zoom="fit" aria-current="true">'
                     r"fit to page</a>", fitted)
    assert 'name="zoom" value="fit"' in fitted  # redrawing keeps the zoom
    svg = vera.get(f"/w/{site.a}/logs/after/download/map.svg?activities=40")
    assert svg.status_code == 200 and nodes(svg.text) == nodes(fewer)


def test_zoom_scales_the_natural_size() -> None:
    svg = '<svg width="400pt" height="300pt" viewBox="0 0 400 300"><g width="7"/></svg>'
    assert LogView(zoom=150).sized(svg).startswith('<svg width="600pt" height="450pt" ')
    assert LogView(zoom=150).sized(svg).endswith('<g width="7"/></svg>')
    assert LogView().sized(svg) == svg
    assert LogView(profile="frequency", activities=40, zoom=200).query() == (
        "?profile=frequency&activities=40&zoom=200")
    assert LogView().query() == ""
    fit = LogView.from_query(QueryParams("zoom=fit&activities=40"))
    assert fit.zoom is None and fit.sized(svg) == svg and fit.query() == "?activities=40&zoom=fit"
    assert LogView.from_query(QueryParams("")).zoom == 100  # the natural size by default


# removing a log -------------------------------------------------------------------------------
def test_removing_a_log(tmp_path: Path) -> None:
    site = Site(tmp_path / "data", limit=8 * 1024 * 1024)
    andi, vera, budi = site.client("andi"), site.client("vera"), site.client("budi")
    for name in ("one", "two"):
        log = upload(andi, site.a, LOGS / "after.csv")
        assert andi.post(f"/api/w/{site.a}/uploads/{log}/import",
                         json={"name": name, **OPTIONS}).status_code == 200
    assert_error(vera.delete(f"/api/w/{site.a}/logs/one"), 403)
    assert_error(budi.delete(f"/api/w/{site.a}/logs/one"), 404)
    no_csrf = site.client("andi")
    no_csrf.headers.pop("X-CSRF-Token")
    assert_error(no_csrf.delete(f"/api/w/{site.a}/logs/one"), 403)
    assert_error(andi.delete(f"/api/w/{site.a}/logs/nope"), 404)
    r = andi.delete(f"/api/w/{site.a}/logs/one")
    assert r.status_code == 200 and r.json() == {"removed": "one"}
    assert_error(andi.get(f"/api/w/{site.a}/logs/one/analysis"), 404)
    assert [log["name"] for log in andi.get(f"/api/w/{site.a}").json()["logs"]] == ["two"]
    # the page asks first; the form removes and goes back to the workspace
    assert vera.get(f"/w/{site.a}/logs/two/delete").status_code == 403
    assert andi.get(f"/w/{site.a}/logs/nope/delete").status_code == 404
    ask = andi.get(f"/w/{site.a}/logs/two/delete?lang=en")
    assert ask.status_code == 200 and "cannot be undone" in ask.text
    assert no_csrf.post(f"/w/{site.a}/logs/two/delete",
                        data={"csrf": "wrong"}).status_code == 403
    done = andi.post(f"/w/{site.a}/logs/two/delete",
                     data={"csrf": andi.headers["X-CSRF-Token"]})
    assert done.status_code == 303 and done.headers["location"] == f"/w/{site.a}"
    assert andi.get(f"/api/w/{site.a}").json()["logs"] == []
    # the same file imports again under the old name
    log = upload(andi, site.a, LOGS / "after.csv")
    again = andi.post(f"/api/w/{site.a}/uploads/{log}/import", json={"name": "one", **OPTIONS})
    assert again.status_code == 200 and again.json()["cases"] == 2000


# analysis settings ----------------------------------------------------------------------------
def test_working_time_and_service_standard(site: Site) -> None:
    vera = site.client("vera")
    query = "calendar=id&standard=15"
    got = vera.get(f"/api/w/{site.a}/logs/after/analysis?{query}").json()
    log = procflow.read(LOGS / "after.csv", orgchart=LOGS / "orgchart.csv", **OPTIONS)
    expected = analyze(log, calendar="id", calendar_zone="Asia/Makassar",
                       sla=["case=15 working days"]).to_dict()
    assert got["settings"]["calendar"] == expected["settings"]["calendar"]
    assert got["settings"]["calendar"]["zone"] == "Asia/Makassar"
    assert got["sla"][0]["within"] == expected["sla"][0]["within"]
    assert got["sla"][0]["n"] == 2000 and got["sla"][0]["limit_days"] == 15
    assert got["cycle_time"]["working_days"]["median"] == pytest.approx(
        expected["cycle_time"]["working_days"]["median"], rel=1e-12)
    page = vera.get(f"/w/{site.a}/logs/after?{query}&lang=en").text
    assert '<section id="sla">' in page
    share = Texts("en").percent(expected["sla"][0]["within"] / 2000, 1)
    assert f"cases within 15 working days</dt><dd>{share}</dd>" in page
    linked = query.replace("&", "&amp;")
    assert f'/report.html?{linked}"' in page and f'/tables.xlsx?{linked}"' in page
    report = vera.get(f"/w/{site.a}/logs/after/report.html?{query}&lang=en").text
    assert "Service standards" in report and "working days" in report
    plain = vera.get(f"/w/{site.a}/logs/after?lang=en").text
    assert '<section id="sla">' not in plain and "cases within" not in plain
    note = "the other durations below are calendar time"
    assert note in page and note in report and note not in plain
    worst = got["sla"][0]["worst"][0]
    assert f"{worst['case']}</a> ({Texts('en').number(worst['working_days'], 1)} working days)" in (
        page)


def test_chosen_decision_steps(site: Site) -> None:
    vera = site.client("vera")
    base = f"/api/w/{site.a}/logs/after"
    found = vera.get(base).json()["decisions"]
    assert found == sorted(TRUTH["after"]["decision_activities"])
    one = vera.get(f"{base}/analysis?decision=Verifikasi%20Berkas").json()
    assert one["decisions"]["activities"] == ["Verifikasi Berkas"]
    assert one["decisions"]["overall"]["n"] == TRUTH["after"]["decision_instances"][
        "Verifikasi Berkas"]
    page = vera.get(f"/w/{site.a}/logs/after?decision=Verifikasi%20Berkas").text
    assert 'value="Verifikasi Berkas" checked' in page
    assert 'value="Paraf Koordinator" >' in page  # offered, not chosen


def test_bad_settings_are_refused(site: Site) -> None:
    vera = site.client("vera")
    base = f"/api/w/{site.a}/logs/after"
    for bad in ("standard=15", "calendar=mars", "calendar=id&standard=0",
                "calendar=id&standard=x", "decision=Nope"):
        assert_error(vera.get(f"{base}?{bad}"), 422)
        assert_error(vera.get(f"{base}/analysis?{bad}"), 422)
    message = vera.get(f"{base}?standard=15").json()["error"]["message"]
    assert "working calendar" in message


# every upload format --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample as Excel (the CSV's text cells), Parquet, XES and gzipped XES."""
    import gzip

    import pandas as pd

    from procflow.store.export import export_log

    out = tmp_path_factory.mktemp("formats")
    raw = pd.read_csv(LOGS / "after.csv", sep=";", dtype=str, encoding="utf-8-sig")
    raw.to_excel(out / "after.xlsx", index=False)
    log = procflow.read(LOGS / "after.csv", **OPTIONS)
    export_log(log, out / "after.parquet")
    export_log(log, out / "after.xes")
    (out / "after.xes.gz").write_bytes(gzip.compress((out / "after.xes").read_bytes()))
    return {p.name: p for p in out.iterdir()}


@pytest.mark.parametrize(("name", "kind"), [("after.xlsx", "xlsx"), ("after.parquet", "parquet"),
                                            ("after.xes", "xes"), ("after.xes.gz", "xes")])
def test_every_format_uploads_and_imports(site: Site, formats: dict[str, Path], name: str,
                                          kind: str) -> None:
    andi = site.client("andi")
    upload_id = upload(andi, site.a, formats[name])
    preview = andi.get(f"/api/w/{site.a}/uploads/{upload_id}").json()
    assert preview["format"] == kind and preview["total_rows"] == 13273
    assert preview["mapping"]["case"] and preview["mapping"]["timestamp"]
    log = "fmt-" + kind + ("-gz" if name.endswith(".gz") else "")
    r = andi.post(f"/api/w/{site.a}/uploads/{upload_id}/import", json={"name": log, **OPTIONS})
    assert r.status_code == 200, r.text
    assert (r.json()["cases"], r.json()["events"]) == (2000, 13273)
    got = andi.get(f"/api/w/{site.a}/logs/{log}/analysis").json()
    assert got["cycle_time"]["median"] == TRUTH["after"]["cycle_time_median_seconds"]


# imports from the page run in the background ------------------------------------------------
def test_import_progress_page(site: Site) -> None:
    andi, vera = site.client("andi"), site.client("vera")
    andi_id = int(site.accounts.user("andi")["id"])  # type: ignore[index]
    job = ImportJob(site.a, andi_id, "0" * 32, {}, total=1000)
    site.app.state.jobs._jobs[job.id] = job  # a job as the import thread leaves it
    job.progress("reading", 500)
    page = andi.get(f"/w/{site.a}/imports/{job.id}?lang=en")
    assert page.status_code == 200 and '<meta http-equiv="refresh" content="1">' in page.text
    assert '<progress max="100" value="50">' in page.text and "50% read" in page.text
    job.progress("storing")
    page = andi.get(f"/w/{site.a}/imports/{job.id}?lang=en")
    assert '<progress max="100" value="100">' in page.text and "Storing" in page.text
    assert vera.get(f"/w/{site.a}/imports/{job.id}").status_code == 404  # not hers
    assert site.client("budi").get(f"/w/{site.a}/imports/{job.id}").status_code == 404
    assert andi.get(f"/w/{site.a}/imports/{'1' * 32}").status_code == 404
    job.phase, job.error = "failed", (500, "internal error.")
    assert andi.get(f"/w/{site.a}/imports/{job.id}").status_code == 500


def test_job_percent() -> None:
    job = ImportJob("w", 1, "u", {}, total=200)
    assert job.percent == 0
    job.progress("reading", 150)
    assert job.percent == 75
    job.progress("reading", 100)  # never goes back
    assert job.percent == 75
    job.progress("reading", 10_000)  # gzip: more bytes come out than went in
    assert job.percent == 99
    job.progress("storing")
    assert job.percent == 100


def test_the_log_and_its_report_name_the_uploaded_file(site: Site) -> None:
    andi = site.client("andi")
    info = andi.get(f"/api/w/{site.a}/logs/after").json()
    assert json.dumps(info).count("after.csv") >= 1
    report = andi.get(f"/w/{site.a}/logs/after/report.html?lang=en").text
    assert "imported from after.csv (csv)" in report
    assert str(site.data) not in report and "uploads/" not in report


def test_any_iana_zone_can_be_chosen_at_import(site: Site) -> None:
    andi = site.client("andi")
    log = upload(andi, site.a, LOGS / "after.csv")
    page = andi.get(f"/w/{site.a}/uploads/{log}").text
    assert '<option value="Asia/Singapore"' in page and '<option value="Asia/Makassar"' in page
    refused = andi.post(f"/api/w/{site.a}/uploads/{log}/import",
                        json={"name": "mars", "tz": "Mars/Olympus", "order": "dayfirst"})
    assert refused.status_code == 422 and "Mars/Olympus" in refused.text
    r = andi.post(f"/api/w/{site.a}/uploads/{log}/import",
                  json={"name": "singapore", "tz": "Asia/Singapore", "order": "dayfirst"})
    assert r.status_code == 200, r.text
    makassar = andi.get(f"/api/w/{site.a}/logs/after").json()
    singapore = andi.get(f"/api/w/{site.a}/logs/singapore").json()
    # both zones are UTC+8: the same instants
    assert makassar["log"]["start"] == singapore["log"]["start"]


def test_a_map_too_dense_to_read_is_refused_in_the_page(site: Site) -> None:
    rows = ["case,activity,timestamp"]
    rng = random.Random(7)
    for case in range(300):
        for step in range(30):  # random walks over 60 steps: nearly every pair is a path
            rows.append(f"c{case},Langkah {rng.randrange(60):02d},"
                        f"2024-03-{1 + step // 24:02d}T{step % 24:02d}:00:00+08:00")
    andi = site.client("andi")
    uid = upload(andi, site.a, Path("dense.csv"), "\n".join(rows).encode())
    r = andi.post(f"/api/w/{site.a}/uploads/{uid}/import", json={"name": "dense", **OPTIONS})
    assert r.status_code == 200, r.text
    base = f"/api/w/{site.a}/logs/dense"
    answer = andi.get(f"{base}?activities=100&paths=100&lang=en").json()
    assert answer["map_svg"] is None
    message = answer["map"]["message"]
    assert message.startswith("This map would show 60 activities and ")
    assert "of the log's 60 activities and" in message
    assert "Choose “Activities shown” 20% or less" in message
    assert answer["map"]["fits"] and answer["map"]["steps"] == []
    fit = answer["map"]["fits"][0]
    drawn = andi.get(f"{base}?activities={fit['activities'] or 100}&paths={fit['paths'] or 100}")
    assert drawn.json()["map_svg"].startswith("<svg")
    page = andi.get(f"/w/{site.a}/logs/dense?activities=100&paths=100&lang=id")
    assert page.status_code == 200 and 'class="card map-refused"' in page.text
    assert "Peta ini akan menampilkan 60 aktivitas" in page.text
    assert "/download/map.svg" not in page.text
    download = andi.get(f"/w/{site.a}/logs/dense/download/map.png?activities=100&paths=100"
                        "&lang=id")
    assert download.status_code == 422 and "dari 60 aktivitas log ini" in download.text
    assert andi.get(f"{base}?lang=en").json()["map_svg"].startswith("<svg")  # automatic


def test_the_log_page_shows_the_variants(site: Site) -> None:
    # the defaults, not the last settings another test of this module chose
    assert site.client("vera").get(f"/w/{site.a}/logs/after?reset=1").status_code == 303
    page = site.client("vera").get(f"/w/{site.a}/logs/after?lang=en").text
    section = page[page.index('<section id="variants">'):]
    section = section[:section.index("</section>")]
    analysis = site.client("vera").get(f"/api/w/{site.a}/logs/after/analysis").json()
    top = analysis["variants"]["top"][:10]
    share = sum(v["cases"] for v in top) / analysis["log"]["cases"]
    assert (f"{analysis['variants']['count']} different paths through the process; the "
            f"{len(top)} most frequent cover {share:.1%} of the cases.") in section
    assert section.count("<tr>") == len(top) + 1
    assert '<a href="#variants">' in page
