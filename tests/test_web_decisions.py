"""The web app's choice of decision steps and of who hands over to whom: on the log page (a
form without script: search, suggestions, none, the steps found by name) and in comparisons,
carried into every view and download."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from tests.test_web_api import Site, TestClient, assert_error, cheap_hashes
from tests.test_web_pages import import_sample

__all__ = ["cheap_hashes"]

VERIFY = "Verifikasi Berkas"
CHOSEN = f"decision={quote(VERIFY)}&handoff=role"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, TestClient]]:
    """andi has imported the sample's before.csv and after.csv, a log of 61 steps without
    performers, and a log of 7 steps, 5 of them named as approvals."""
    site = Site(tmp_path_factory.mktemp("decisions") / "data", limit=8 * 1024 * 1024)
    andi = site.client("andi")
    for name in ("before", "after"):
        import_sample(andi, site.a, name)
    lines = ["case;activity;timestamp"] + [
        f"k{c};Langkah {s:02d};2024-03-{1 + c:02d}T{8 + s // 6:02d}:{s % 6}0:00+07:00"
        for c in range(2) for s in range(61)]
    import_sample(andi, site.a, "wide", ("\n".join(lines) + "\n").encode())
    steps = ["Terima Berkas", "Paraf Kasi", "Paraf Kabid", "Paraf Sekdin", "Persetujuan Kadis",
             "TTE Kadis", "Kirim SK"]
    rows = ["case;activity;timestamp"] + [f"m{c};{step};2024-03-{1 + c:02d}T{8 + s:02d}:00:00+07:00"
                                          for c in range(2) for s, step in enumerate(steps)]
    import_sample(andi, site.a, "many", ("\n".join(rows) + "\n").encode())
    yield site, andi


def _page(client: TestClient, url: str) -> str:
    r = client.get(url, follow_redirects=True)  # a bare log page: the user's last settings
    assert r.status_code == 200, r.text
    return r.text


def _fieldset(page: str) -> str:
    return page[page.index('<fieldset id="decision-steps">'):page.index("</fieldset>")]


# the log page -----------------------------------------------------------------------------
def test_log_page_asks_to_confirm_the_steps_found_by_name(logs: tuple[Site, TestClient]
                                                         ) -> None:
    site, andi = logs
    many = _page(andi, f"/w/{site.a}/logs/many?lang=en")
    assert '<details class="card settings" open>' in many
    warned = _fieldset(many)
    assert ("The default decision pattern took 5 of the log&#39;s 7 activities (71%) as "
            "decision steps") in warned
    assert "Decision steps&#34; in the analysis settings" in warned and "--" not in warned
    indonesian = _fieldset(_page(andi, f"/w/{site.a}/logs/many?lang=id"))
    assert "Pola keputusan bawaan mengambil 5 dari 7 aktivitas" in indonesian
    # 3 of 8 steps: at most the floor of 4, so no warning and the fold stays shut
    page = _page(andi, f"/w/{site.a}/logs/after?lang=en")
    assert '<details class="card settings">' in page
    box = _fieldset(page)
    assert '<p class="warning"' not in box
    for step in ("Paraf Koordinator", "Persetujuan dan TTE Kepala Dinas", VERIFY):
        assert f'name="decision" value="{step}" checked>' in box
    assert 'name="decision" value="Pemeriksaan Teknis" >' in box
    assert '<input type="search" name="find"' in box
    assert '<button type="submit" name="decisions" value="chosen">' in box
    assert f'href="/w/{site.a}/logs/after?decisions=none"' in box
    suggested = box[box.index('<ul class="steps">'):box.index("</ul>")]
    assert ('value="Pemeriksaan Teknis" >Pemeriksaan Teknis</label> <span class="note">cases '
            'go 4 ways after it; 11% go back to an earlier step after it</span>') in suggested
    assert page.count("<script") == 1 and '<script src="/static/map.js" defer>' in page
    assert "<script" not in box  # the choice works without script


def test_confirmed_steps_have_no_warning(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    steps = "&".join(f"decision={quote(s)}" for s in
                     ("Paraf Koordinator", "Persetujuan dan TTE Kepala Dinas", VERIFY))
    page = _page(andi, f"/w/{site.a}/logs/after?{steps}&decisions=chosen&lang=en")
    assert '<p class="warning"' not in page and "Now: the 3 steps you chose." in page
    data = andi.get(f"/api/w/{site.a}/logs/after?{steps}").json()
    assert data["warnings"] == [] and data["settings"]["decision_choice"] == "chosen"
    default = andi.get(f"/api/w/{site.a}/logs/after").json()
    assert default["warnings"] == []
    many = andi.get(f"/api/w/{site.a}/logs/many").json()
    assert [w["code"] for w in many["warnings"]] == ["default_decisions_many"]
    assert [s["activity"] for s in default["suggestions"]][:2] == [VERIFY,
                                                                    "Pemeriksaan Teknis"]


def test_search_lists_matching_steps_and_shows_every_chosen_one(logs: tuple[Site, TestClient]
                                                                  ) -> None:
    site, andi = logs
    box = _fieldset(_page(andi, f"/w/{site.a}/logs/wide?decision=Langkah%2007"
                                f"&find=langkah%205&lang=en"))
    others = box[box.index('<div class="grid others">'):]
    others = others[:others.index("</div>")]
    assert re.findall(r'value="([^"]+)"', others) == [f"Langkah {n}" for n in range(50, 60)]
    assert "checked" not in others
    assert "Other steps matching “langkah 5”:" in box
    ticked = box[box.index('<div class="grid ticked">'):]
    ticked = ticked[:ticked.index("</div>")]
    assert re.findall(r'value="([^"]+)" checked', ticked) == ["Langkah 07"]
    assert "Chosen: 1 step (untick to leave it out):" in box
    tick_form = box[box.rindex("<form"):]
    assert 'type="hidden" name="decision"' not in tick_form  # nothing chosen out of sight
    assert '<ul class="steps">' not in box  # two identical cases: nothing to suggest
    everything = _fieldset(_page(andi, f"/w/{site.a}/logs/wide?decision=Langkah%2060"
                                       f"&decision=Langkah%2001&lang=en"))
    assert "Chosen: 2 steps (untick to leave them out):" in everything
    others = everything[everything.index('<div class="grid others">'):]
    others = others[:others.index("</div>")]
    assert len(re.findall(r'value="', others)) == 59  # 61 steps, 2 of them chosen
    assert "Langkah 60" not in others and "more steps" not in everything
    nothing = _fieldset(_page(andi, f"/w/{site.a}/logs/wide?decisions=none&lang=en"))
    assert "1 more steps; search to find them." in nothing  # 61 steps, 60 listed


def test_unticking_a_chosen_step_leaves_it_out(logs: tuple[Site, TestClient]) -> None:
    """What the form sends is exactly what is ticked: the analyst's choice, nothing kept
    out of sight (a page of the default pattern's many steps lists every one of them)."""
    site, andi = logs
    box = _fieldset(_page(andi, f"/w/{site.a}/logs/many?lang=en"))
    sent = re.findall(r'name="decision" value="([^"]+)" checked', box)
    data = andi.get(f"/api/w/{site.a}/logs/many").json()
    assert sorted(sent) == data["decisions"] == ["Paraf Kabid", "Paraf Kasi", "Paraf Sekdin",
                                                 "Persetujuan Kadis", "TTE Kadis"]
    assert 'type="hidden" name="decision"' not in box[box.rindex("<form"):]


def test_settings_flow_into_every_download(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    base = f"/w/{site.a}/logs/after"
    page = _page(andi, f"{base}?{CHOSEN}&lang=en")
    linked = "handoff=role&amp;decision=Verifikasi+Berkas"
    for download in ("report.html", "analysis.json", "download/tables.xlsx",
                     "download/map.svg"):
        assert f'{base}/{download}?{linked}"' in page
    assert (f'href="/w/{site.a}/compare?before=after&amp;handoff=role&amp;decision='
            f'Verifikasi+Berkas"') in page
    data = andi.get(f"{base}/analysis.json?{CHOSEN}").json()
    assert data["decisions"]["activities"] == [VERIFY] and data["warnings"] == []
    assert data["handoffs"]["granularity"] == "role"
    assert {p["from"] for p in data["handoffs"]["pairs"]} <= {
        a["lanes"]["role"] for a in data["activities"]}
    xlsx = andi.get(f"{base}/download/tables.xlsx?{CHOSEN}&lang=en")
    assert xlsx.status_code == 200, xlsx.text
    tables = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None, engine="openpyxl")
    assert list(tables["Decisions by activity"]["Activity"]) == [VERIFY]
    assert len(tables["Handoffs"]) == len(data["handoffs"]["pairs"])
    report = _page(andi, f"{base}/report.html?{CHOSEN}&lang=en")
    assert f"Decision steps used: {VERIFY}." in report
    assert "Handoffs between each role:" in report
    none = andi.get(f"{base}/analysis.json?decisions=none").json()
    assert none["decisions"]["activities"] == [] and none["layers"] is None
    assert none["warnings"] == []
    none_report = _page(andi, f"{base}/report.html?decisions=none&lang=en")
    assert "No decision steps are chosen, so decision latency is not measured." in none_report
    assert "Decision steps used" not in none_report
    plain = andi.get(f"{base}/analysis.json").json()
    assert plain["handoffs"]["granularity"] == "resource" and plain["warnings"] == []
    many = andi.get(f"/w/{site.a}/logs/many/analysis.json").json()
    assert [w["code"] for w in many["warnings"]] == ["default_decisions_many"]


@pytest.mark.parametrize(("query", "words"), [
    ("decision=Nope", ["Decision steps", "Nope", "from the list"]),
    ("decisions=maybe", ["Decision steps", "pattern, chosen, none"]),
    ("handoff=level", ["Handoffs between", "resource, role, unit"]),
])
def test_bad_choices_name_the_field(logs: tuple[Site, TestClient], query: str,
                                    words: list[str]) -> None:
    site, andi = logs
    for url in (f"/api/w/{site.a}/logs/after?{query}",
                f"/api/w/{site.a}/logs/after/analysis?{query}",
                f"/api/w/{site.a}/logs/after/download/tables.xlsx?{query}"):
        r = andi.get(url + "&lang=en")
        assert_error(r, 422)
        message = r.json()["error"]["message"]
        assert all(w in message for w in words), message
        assert "--" not in message and "procflow" not in message


def test_only_the_performers_a_log_has_are_offered(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    page = _page(andi, f"/w/{site.a}/logs/wide?lang=en")
    select = page[page.index('<select name="handoff">'):]
    assert re.findall(r'<option value="(\w*)"', select[:select.index("</select>")]) == [""]
    r = andi.get(f"/api/w/{site.a}/logs/wide?handoff=role&lang=en")
    assert_error(r, 422)
    assert r.json()["error"]["message"] == (
        "Handoffs between: this log has no role; choose one it has: –.")


def test_discovery_note_above_the_activity_limit(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    wide = andi.get(f"/api/w/{site.a}/logs/wide").json()
    assert wide["discovery"] == {"activities": 61, "fall_throughs": False}
    assert ("This log has 61 activities (more than 60): the discovered model was made without "
            "pm4py&#39;s fall-through search") in _page(andi, f"/w/{site.a}/logs/wide?lang=en")
    assert andi.get(f"/api/w/{site.a}/logs/after").json()["discovery"] == {
        "activities": 8, "fall_throughs": True}
    assert 'id="discovery-note"' not in _page(andi, f"/w/{site.a}/logs/after")


# comparisons ------------------------------------------------------------------------------
def test_compare_form_carries_the_log_page_settings(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    form = _page(andi, f"/w/{site.a}/compare?before=after&{CHOSEN}&calendar=id&lang=en")
    assert '<option value="after" selected>after</option>' in form
    assert '<input type="radio" name="decisions" value="chosen" checked>' in form
    assert f'name="decision" value="{VERIFY}" checked>' in form
    assert '<option value="role" selected>role</option>' in form
    assert '<option value="id" selected>' in form
    csrf = andi.headers["X-CSRF-Token"]
    listed = andi.post(f"/w/{site.a}/compare?lang=en",
                       data={"csrf": csrf, "before": "before", "after": "after",
                             "action": "steps", "decisions": "pattern", "find": "paraf"})
    assert listed.status_code == 200
    assert sorted(re.findall(r'name="decision" value="(Paraf[^"]*)"', listed.text)) == [
        "Paraf Kepala Bidang", "Paraf Kepala Seksi", "Paraf Koordinator"]
    clash = andi.post(f"/w/{site.a}/compare?lang=en",
                      data={"csrf": csrf, "before": "before", "after": "after",
                            "action": "compare", "decisions": "pattern",
                            "decision": "Paraf Kepala Seksi"})
    assert clash.status_code == 422 and 'role="alert"' in clash.text
    assert "Decision steps: steps are ticked" in clash.text
    assert 'value="Paraf Kepala Seksi" checked>' in clash.text  # the ticks stay


def test_comparison_with_chosen_steps_and_handoffs(logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    r = andi.post(f"/w/{site.a}/compare?lang=en",
                  data={"csrf": andi.headers["X-CSRF-Token"], "before": "before",
                        "after": "after", "action": "compare", "decisions": "chosen",
                        "decision": ["Paraf Kepala Seksi", VERIFY], "handoff": "role"})
    assert r.status_code == 303, r.text
    rid = r.headers["location"].rsplit("/", 1)[1]
    data = andi.get(f"/api/w/{site.a}/compare/{rid}").json()
    # a step the reform removed is a decision before and absent after
    assert data["decisions"] == {"before": ["Paraf Kepala Seksi", VERIFY], "after": [VERIFY]}
    assert data["settings"]["decision_activities"] == ["Paraf Kepala Seksi", VERIFY]
    assert data["settings"]["handoff_by"] == "role"
    assert not [w for w in data["warnings"] if w["kind"] == "decision_pattern"]
    keys = {k["key"] for k in data["kpis"] if k["name"] == "decision_latency" and
            k["by"] == "activity"}
    assert keys == {VERIFY}
    page = _page(andi, f"/w/{site.a}/compare/{rid}?lang=en")
    assert ("<span>handoffs between each role</span> · <span>Decision steps: Paraf Kepala "
            "Seksi, Verifikasi Berkas</span>") in page
    download = andi.get(f"/w/{site.a}/compare/{rid}/comparison.json").json()
    assert download["settings"]["handoff_by"] == "role"
    default = andi.post(f"/api/w/{site.a}/compare",
                        json={"before": "many", "after": "after"}).json()
    assert [(w["side"], w["matched"]) for w in default["warnings"]
            if w["kind"] == "decision_pattern"] == [("before", 5)]
    none = andi.post(f"/api/w/{site.a}/compare",
                     json={"before": "before", "after": "after", "decisions": "none",
                           "handoff": "unit"}).json()
    assert none["decisions"] == {"before": [], "after": []}
    assert not [k for k in none["kpis"] if k["name"] in ("decision_latency", "approval_layers")]
    assert none["settings"]["handoff_by"] == "unit"


@pytest.mark.parametrize(("body", "words"), [
    ({"decision": ["Nope"]}, ["Decision steps", "Nope"]),
    ({"decisions": "all"}, ["Decision steps", "pattern, chosen, none"]),
    ({"handoff": "level"}, ["Handoffs between", "level"]),
])
def test_bad_comparison_choices_name_the_field(logs: tuple[Site, TestClient],
                                               body: dict[str, object],
                                               words: list[str]) -> None:
    site, andi = logs
    r = andi.post(f"/api/w/{site.a}/compare?lang=en",
                  json={"before": "before", "after": "after", **body})
    assert_error(r, 422)
    message = r.json()["error"]["message"]
    assert all(w in message for w in words) and "--" not in message, message


def test_a_log_without_the_steps_is_compared_with_those_it_has(tmp_path: Path) -> None:
    site = Site(tmp_path / "data", limit=8 * 1024 * 1024)
    andi = site.client("andi")
    import_sample(andi, site.a, "after")
    r = andi.post(f"/api/w/{site.a}/compare",
                  json={"before": "after", "split": "2024-07-01",
                        "decision": ["Paraf Koordinator"]})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["decision_activities"] == ["Paraf Koordinator"]


def test_log_page_warns_of_dates_without_a_time(logs: tuple[Site, TestClient]) -> None:
    """A log of dates only: the page says so above its figures, in the reader's language;
    a log with times of day (the sample) says nothing."""
    site, andi = logs
    rows = ["case;activity;timestamp"] + [f"d{c};{step};2024-03-{1 + c + s // 2:02d}"
                                          for c in range(6) for s, step in enumerate("ABCD")]
    import_sample(andi, site.a, "dates", ("\n".join(rows) + "\n").encode())
    en = _page(andi, f"/w/{site.a}/logs/dates?lang=en")
    warned = re.findall(r'<p class="warning time-precision" role="note">([^<]+)</p>', en)
    assert warned[0].startswith("24 of 24 events (100%) are at the same time of day (")
    assert "the file probably holds dates without a time" in warned[0]
    assert "12 of 24 events (50%) have the same time as an earlier event" in warned[1]
    id_ = _page(andi, f"/w/{site.a}/logs/dates?lang=id")
    assert "berkas ini kemungkinan hanya memuat tanggal tanpa jam" in id_
    assert "time-precision" not in _page(andi, f"/w/{site.a}/logs/after?lang=en")


def test_log_page_warns_of_cases_that_may_still_be_open(logs: tuple[Site, TestClient]) -> None:
    """20 cases end at Selesai, three at rare steps (one each, under 5%): the page says
    3 of 23 may be open and links to the slice of those that end at Selesai."""
    site, andi = logs
    rows = ["case;activity;timestamp"]
    for c in range(23):
        last = "Selesai" if c < 20 else f"Periksa {c}"
        rows += [f"o{c};Terima;2024-04-{1 + c:02d}T08:00:00+07:00",
                 f"o{c};{last};2024-04-{1 + c:02d}T10:00:00+07:00"]
    import_sample(andi, site.a, "open", ("\n".join(rows) + "\n").encode())
    page = _page(andi, f"/w/{site.a}/logs/open?lang=en")
    warned = re.search(r'<p class="warning open-cases" role="note">(.*?)</p>', page, re.S)
    assert warned is not None
    assert warned.group(1).startswith("13% of the cases (3) end at a step that rarely ends a "
                                      "case: they may still be open")
    link = re.search(r'href="([^"]+)">Keep only the cases that end at the usual end step<',
                     warned.group(1))
    assert link is not None
    kept = _page(andi, link.group(1).replace("&amp;", "&"))
    assert "open-cases" not in kept and "20 of 23 cases" in kept
    assert "open-cases" not in _page(andi, f"/w/{site.a}/logs/after?lang=en")
    assert "mungkin masih berjalan" in _page(andi, f"/w/{site.a}/logs/open?lang=id")


def test_why_slow_names_the_five_slowest_decision_steps_and_counts_the_rest(
        logs: tuple[Site, TestClient]) -> None:
    site, andi = logs
    chosen = "&".join(f"decision=Langkah%20{n:02d}" for n in range(1, 8))
    page = _page(andi, f"/w/{site.a}/logs/wide?{chosen}&lang=en")
    line = page[page.index('<p class="why-slow"'):]
    line = line[:line.index("</p>")]
    assert len(re.findall(r">Decision latency at Langkah \d\d</a>", line)) == 5
    assert "(2 more decision steps on the explanation page)" in line
    assert line.index("Decision latency at") < line.index("(2 more")
    assert "</span><a" not in line  # the note sits before the separator


def test_chosen_decision_steps_hold_on_a_slice_that_lacks_some(logs: tuple[Site, TestClient]
                                                               ) -> None:
    """Steps chosen on the whole log that a slice never reaches: the slice's page, case list
    and analysis answer (the steps the slice lacks count nothing); a name the whole log lacks
    is still refused."""
    site, andi = logs
    steps = ["Paraf Koordinator", "Persetujuan dan TTE Kepala Dinas", "Verifikasi Berkas"]
    chosen = "&".join(f"decision={quote(s)}" for s in steps)
    fix = quote(json.dumps([{"kind": "with", "field": "activity",
                             "values": ["Perbaikan Berkas oleh Pemohon"]},
                            {"kind": "top_variants", "n": 1}]))
    whole = andi.get(f"/api/w/{site.a}/logs/after/analysis?{chosen}").json()
    sliced = andi.get(f"/api/w/{site.a}/logs/after/analysis?{chosen}&f={fix}").json()
    assert sliced["filter"]["cases"]["kept"] < whole["log"]["cases"]
    reached = set(sliced["decisions"]["activities"])
    assert reached <= set(steps) and reached == {
        d["key"] for d in sliced["decisions"]["by_activity"]}
    for path in ("", "/cases"):
        r = andi.get(f"/w/{site.a}/logs/after{path}?{chosen}&f={fix}&lang=id")
        assert r.status_code == 200, r.text[:500]
    events = quote(json.dumps([{"kind": "drop_events", "field": "activity",
                                "values": ["Paraf Koordinator"]}]))
    cut = andi.get(f"/api/w/{site.a}/logs/after/analysis?{chosen}&f={events}").json()
    assert "Paraf Koordinator" not in cut["decisions"]["activities"]
    wrong = andi.get(f"/api/w/{site.a}/logs/after/analysis?decision=Nowhere&f={fix}")
    assert wrong.status_code == 422


def test_the_chosen_list_says_when_suggestions_above_are_chosen_too(
        logs: tuple[Site, TestClient]) -> None:
    """On the sample the suggested Verifikasi Berkas is chosen by name: the list under the
    suggestions counts the other chosen steps as 'also chosen', so the two add up to the
    heading's count."""
    site, andi = logs
    box = _fieldset(_page(andi, f"/w/{site.a}/logs/after?lang=en"))
    suggested = box[box.index('<ul class="steps">'):box.index("</ul>")]
    above = len(re.findall(r'name="decision" value="[^"]+" checked', suggested))
    ticked = box[box.index('<div class="grid ticked">'):]
    ticked = ticked[:ticked.index("</div>")]
    below = len(re.findall(r'name="decision" value="[^"]+" checked', ticked))
    assert above >= 1 and f"Also chosen: {below} more step" in box
    assert f"Now: the {above + below} steps whose names the default pattern finds" in box
