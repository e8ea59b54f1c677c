"""A readable activity column is proposed when the activity column holds codes and another
column names them in words (one to one, or nearly): exact on tiny hand-made logs, a
property over renamings, the mapping page saying why and keeping the analyst's choice, and
BPIC15_1 (its 398 codes named by ``activityNameEN``) against an independent pandas count."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.ingest import read_source
from procflow.ingest.readable import Readable, looks_coded, looks_like_words, readable_activity
from tests.browser import artifact, browser_page, sign_in
from tests.conftest import shared_file
from tests.test_web_api import Site, cheap_hashes, site
from tests.webserver import Server, seed

__all__ = ["cheap_hashes", "site"]

CODES = ["01_HOOFD_010", "01_HOOFD_020", "01_HOOFD_030", "02_DRZ_010"]
NAMES = ["register request", "send confirmation receipt", "check completeness",
         "publish decision"]


def _log(codes: list[str], names: list[str | None], phases: list[str] | None = None
         ) -> pa.Table:
    columns: dict[str, list[object]] = {
        "case": [f"c{i // 4}" for i in range(len(codes))], "activity": list(codes),
        "step name": list(names)}
    if phases is not None:
        columns["phase"] = list(phases)
    return pa.table(columns)


def test_codes_and_words() -> None:
    assert [looks_coded(v) for v in ("01_HOOFD_010", "A12", "PKS_VERIF", "OLO-2",
                                     "register request", "Terima", "Paraf Kepala Seksi",
                                     "step 2 done")] == [
        True, True, True, True, False, False, False, False]
    assert [looks_like_words(v) for v in ("register request", "Terima", "OLO messaging active",
                                          "01_HOOFD_010", "A1", "ok")] == [
        True, True, True, False, False, False]


def test_a_column_naming_every_code_is_proposed() -> None:
    table = _log(CODES * 5, NAMES * 5)
    assert readable_activity(table, "activity") == Readable("step name", "activity", 4, 4, 1.0)


def test_nearly_one_to_one_is_enough_and_counted_exactly() -> None:
    # 20 rows per code; one row of the first code carries a different name: 79 of 80 agree
    names: list[str | None] = NAMES * 20
    names[0] = "register the request"
    table = _log(CODES * 20, names)
    assert readable_activity(table, "activity") == Readable("step name", "activity", 4, 5,
                                                            79 / 80)
    names[4] = names[8] = names[12] = names[16] = "register the request"  # 75 of 80: 93.75%
    assert readable_activity(_log(CODES * 20, names), "activity") is None


def test_nothing_is_proposed_for_readable_names_phases_or_gaps() -> None:
    assert readable_activity(_log(NAMES * 5, CODES * 5), "activity") is None  # already words
    phases = ["intake phase", "decision phase"] * 10
    assert readable_activity(_log(CODES * 5, [None] * 20, phases), "activity") is None
    gaps: list[str | None] = NAMES * 5
    gaps[:2] = [None, None]  # 18 of 20 rows named: fewer than 95%
    assert readable_activity(_log(CODES * 5, gaps), "activity") is None
    assert readable_activity(_log(CODES * 5, NAMES * 5), "missing") is None
    assert readable_activity(_log(CODES * 5, NAMES * 5), None) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.from_regex(r"[a-z]{3,8} [a-z]{3,8}", fullmatch=True), min_size=2,
                max_size=12, unique=True),
       st.lists(st.integers(0, 11), min_size=1, max_size=60))
def test_any_renaming_of_codes_by_names_is_proposed(names: list[str], picks: list[int]
                                                    ) -> None:
    codes = [f"{i:02d}_STEP_{i * 10:03d}" for i in range(len(names))]
    rows = [p % len(names) for p in picks]
    table = _log([codes[r] for r in rows], [names[r] for r in rows])
    used = len(set(rows))
    assert readable_activity(table, "activity") == Readable("step name", "activity", used,
                                                            used, 1.0)


def test_the_mapping_page_proposes_says_why_and_keeps_the_choice(site: Site) -> None:
    andi = site.client("andi")
    lines = ["case;activity;step name;timestamp"] + [
        f"c{i // 4};{CODES[i % 4]};{NAMES[i % 4]};2024-03-01T0{i % 4}:00:00+07:00"
        for i in range(40)]
    body = ("\n".join(lines) + "\n").encode()
    up = andi.post(f"/api/w/{site.a}/upload", files={"file": ("coded.csv", body, "text/csv")})
    upload_id = up.json()["upload"]["id"]
    preview = andi.get(f"/api/w/{site.a}/uploads/{upload_id}").json()
    assert preview["mapping"]["activity"] == "step name"
    assert preview["readable"] == {"column": "step name", "coded": "activity", "codes": 4,
                                   "names": 4, "agreement": 1.0}
    page = andi.get(f"/w/{site.a}/uploads/{upload_id}?lang=en").text
    assert '<option value="step name" selected>' in page.split('id="col_activity"')[1]
    note = " ".join(page.split('id="readable-note">')[1].split("</p>")[0].split())
    assert note == ("Activity: step name is proposed rather than activity, whose values are "
                    "codes: it names the 4 codes in words (4 names; the name agrees with its "
                    "code on 100% of the rows). Codes that share a name become one step. To "
                    "keep the codes, choose activity above.")
    indonesian = andi.get(f"/w/{site.a}/uploads/{upload_id}?lang=id").text
    assert "yang nilainya berupa kode" in indonesian
    # the analyst keeps the codes: the import uses them
    r = andi.post(f"/api/w/{site.a}/uploads/{upload_id}/import",
                  json={"name": "coded", "col_case": "case", "col_activity": "activity",
                        "col_timestamp": "timestamp"})
    assert r.status_code == 200, r.text
    steps = andi.get(f"/api/w/{site.a}/logs/coded/analysis").json()["activities"]
    assert sorted(s["activity"] for s in steps) == sorted(CODES)


def test_bpic15_names_its_codes_in_english() -> None:
    pd = pytest.importorskip("pandas")
    source = read_source(shared_file("BPIC15_1.xes.gz"))
    found = readable_activity(source.table, "concept:name")
    frame = source.table.select(["concept:name", "activityNameEN"]).to_pandas().dropna()
    per_code = frame.groupby(["concept:name", "activityNameEN"]).size()
    agree = per_code.groupby(level=0).max().sum() / len(frame)
    assert isinstance(frame, pd.DataFrame)
    assert found == Readable("activityNameEN", "concept:name", 398, 289, agree)
    assert round(agree, 4) == 0.9672


def test_browser_mapping_page_on_bpic15(tmp_path: Path) -> None:
    """Upload BPIC15_1 on a real server: the activity dropdown holds activityNameEN, the
    note says why (in Indonesian and English), and the analyst's switch back to the codes is
    what gets imported."""
    path = shared_file("BPIC15_1.xes.gz")
    wid = seed(tmp_path / "data")
    server = Server(tmp_path / "data", tmp_path / "server.log").start()
    try:
        with browser_page() as page:
            sign_in(page, server.base, "id")
            page.goto(f"{server.base}/w/{wid}")
            page.set_input_files("input[name=file]", str(path))
            page.click("form[enctype] button[type=submit]")
            page.wait_for_selector("#col_activity", timeout=120_000)
            assert page.input_value("#col_activity") == "activityNameEN"
            note = " ".join(page.inner_text("#readable-note").split())
            assert note.startswith("Aktivitas: activityNameEN diusulkan sebagai ganti "
                                   "concept:name, yang nilainya berupa kode")
            assert "398 kode" in note and "289 nama" in note
            page.screenshot(path=artifact("web-mapping-readable-id.png"), full_page=True)
            page.goto(page.url.split("?")[0] + "?lang=en")
            assert "names the 398 codes in words" in page.inner_text("#readable-note")
            page.screenshot(path=artifact("web-mapping-readable-en.png"))
    finally:
        server.stop()
