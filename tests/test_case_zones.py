"""Times on the case list and the case page are shown in the log's zone: the one chosen at
import, else the offset the file's own values carried most, named in the column headers
(WIB, UTC+07:00); the downloads keep ISO instants with their offset (UTC, ``Z``; Excel, which
has no zones, in UTC and says so in the header)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from procflow.core.zones import offset_zone, tzinfo, zone_label
from procflow.ingest.timeparse import parse_time_columns
from procflow.store.workspace import Workspace
from procflow.web.accounts import Accounts
from tests.browser import artifact, browser_page, sign_in
from tests.test_web_api import Site, TestClient, cheap_hashes, site
from tests.webserver import Server, seed

__all__ = ["cheap_hashes", "site"]

#: c1 in +07:00; c2 starts at 23:15 +08:00 (15:15 UTC, 22:15 at +07:00) and ends in +07:00.
OFFSETS = (b"case;activity;timestamp\n"
           b"c1;Terima;2024-03-01T08:00:00+07:00\nc1;Setujui;2024-03-01T09:30:00+07:00\n"
           b"c2;Terima;2024-03-02T23:15:00+08:00\nc2;Setujui;2024-03-03T00:45:00+07:00\n")
NAIVE = (b"case;activity;timestamp\n"
         b"c1;Terima;2024-03-01 08:00\nc1;Setujui;2024-03-01 09:30\n")
CELL = re.compile(r"<t[dh]>(\d{4}-\d\d-\d\d \d\d:\d\d|[^<]*<span class=\"zone\">[^<]*</span>)"
                  r"</t[dh]>")


def _import(client: TestClient, wid: str, name: str, data: bytes, **form: str
            ) -> dict[str, Any]:
    up = client.post(f"/api/w/{wid}/upload", files={"file": (f"{name}.csv", data, "text/csv")})
    assert up.status_code == 201, up.text
    r = client.post(f"/api/w/{wid}/uploads/{up.json()['upload']['id']}/import",
                    json={"name": name, **form})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _cells(client: TestClient, url: str) -> list[str]:
    return CELL.findall(client.get(url).text)


def test_zone_names_and_offsets() -> None:
    assert [offset_zone(m) for m in (420, 480, -210, 0, 345)] == [
        "UTC+07:00", "UTC+08:00", "UTC-03:30", "UTC", "UTC+05:45"]
    assert [zone_label(z) for z in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura",
                                    "UTC+07:00", "Asia/Singapore", None)] == [
        "WIB", "WITA", "WIT", "UTC+07:00", "Asia/Singapore", "UTC"]
    instant = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
    assert instant.astimezone(tzinfo("UTC-03:30")).isoformat() == "2024-02-29T21:30:00-03:30"
    assert instant.astimezone(tzinfo("Asia/Jayapura")).isoformat() == "2024-03-01T10:00:00+09:00"
    assert tzinfo(None) is dt.UTC


def test_the_parser_counts_the_offsets_the_values_carry() -> None:
    column = pa.array(["2024-03-01T08:00:00+07:00", "2024-03-01T09:00:00+07:00",
                       "2024-03-02T23:15:00+08:00", "2024-03-02 10:00 WITA"])
    parsed = parse_time_columns({"t": column}, tz=None)["t"]
    assert parsed.offsets == {420: 2, 480: 2}
    naive = parse_time_columns({"t": pa.array(["2024-03-01 08:00"])}, tz="Asia/Jakarta")["t"]
    assert naive.offsets == {}


def test_a_log_with_its_own_offsets_is_shown_in_them(site: Site) -> None:
    andi = site.client("andi")
    _import(andi, site.a, "offsets", OFFSETS)
    here = f"/w/{site.a}/logs/offsets"
    assert _cells(andi, f"{here}/cases?lang=en") == [
        'Arrival <span class="zone">(UTC+07:00)</span>',
        'Completion <span class="zone">(UTC+07:00)</span>',
        "2024-03-02 22:15", "2024-03-03 00:45", "2024-03-01 08:00", "2024-03-01 09:30"]
    page = andi.get(f"{here}/cases?lang=id").text
    assert "waktu dalam UTC+07:00" in page
    assert _cells(andi, f"{here}/cases/c2?lang=en") == [
        'Start <span class="zone">(UTC+07:00)</span>',
        'Completion <span class="zone">(UTC+07:00)</span>',
        "2024-03-02 22:15", "2024-03-03 00:45"]  # completions (the log has no start times)
    api = andi.get(f"/api{here}/cases").json()
    assert api["zone"] == "UTC+07:00"
    assert [(r["arrival"], r["arrival_local"]) for r in api["rows"]] == [
        ("2024-03-02T15:15:00.000000Z", "2024-03-02 22:15"),
        ("2024-03-01T01:00:00.000000Z", "2024-03-01 08:00")]
    csv = andi.get(f"{here}/cases.csv").text.splitlines()
    assert csv[1].startswith('"c2","2024-03-02T15:15:00.000000Z","2024-03-02T17:45:00.000000Z"')
    book = openpyxl.load_workbook(io.BytesIO(andi.get(f"{here}/cases.xlsx").content))
    values = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert values[0][1:3] == ["Arrival (UTC)", "Completion (UTC)"]  # Excel has no zones
    assert values[1][:3] == ["c2", dt.datetime(2024, 3, 2, 15, 15), dt.datetime(2024, 3, 2, 17, 45)]
    assert values[0][3:5] == ["Cycle time", "Cycle time (seconds)"]  # [h]:mm, exact seconds
    assert values[1][3:5] == [dt.timedelta(seconds=9000), 9000]
    sheet = openpyxl.load_workbook(io.BytesIO(andi.get(f"{here}/cases.xlsx?lang=id").content))
    headers = [c.value for c in next(sheet.worksheets[0].iter_rows())]
    assert headers[:6] == ["Kasus", "Kedatangan (UTC)", "Selesai (UTC)", "Waktu penyelesaian",
                           "Waktu penyelesaian (detik)", "Peristiwa"]


@pytest.mark.parametrize(("tz", "label", "first"), [
    ("Asia/Jakarta", "WIB", "2024-03-01 08:00"),
    ("Asia/Makassar", "WITA", "2024-03-01 08:00"),
    ("Asia/Singapore", "Asia/Singapore", "2024-03-01 08:00")])
def test_the_zone_chosen_at_import_is_named(site: Site, tz: str, label: str,
                                            first: str) -> None:
    andi = site.client("andi")
    _import(andi, site.a, "naive", NAIVE, tz=tz)
    assert _cells(andi, f"/w/{site.a}/logs/naive/cases?lang=en") == [
        f'Arrival <span class="zone">({label})</span>',
        f'Completion <span class="zone">({label})</span>', first, "2024-03-01 09:30"]


def test_several_offsets_are_said_with_the_way_to_show_each(site: Site) -> None:
    andi = site.client("andi")
    done = _import(andi, site.a, "offsets", OFFSETS)  # three values at +07:00, one at +08:00
    assert done["report"]["time_offsets"] == {"timestamp": {"420": 3, "480": 1}}
    for url in ("cases", "cases/c2"):
        page = andi.get(f"/w/{site.a}/logs/offsets/{url}?lang=en").text
        note = " ".join(page.split('id="zone-note">')[1].split("</p>")[0].split())
        assert note == ("The file&#39;s times carry several offsets from UTC: they are shown "
                        "in UTC+07:00, the most common (the others: UTC+08:00). To show each "
                        "in its own clock, import the log again with its time zone (e.g. "
                        "Europe/Amsterdam).")
    _import(andi, site.a, "chosen", OFFSETS, tz="Asia/Jakarta")
    assert 'id="zone-note"' not in andi.get(f"/w/{site.a}/logs/chosen/cases").text
    _import(andi, site.a, "one", OFFSETS.replace(b"+08:00", b"+07:00"))
    assert 'id="zone-note"' not in andi.get(f"/w/{site.a}/logs/one/cases").text


def test_the_zone_chosen_at_import_wins_over_the_file_offsets(site: Site) -> None:
    andi = site.client("andi")
    _import(andi, site.a, "offsets", OFFSETS, tz="Asia/Makassar")
    assert _cells(andi, f"/w/{site.a}/logs/offsets/cases?lang=en")[2:] == [
        "2024-03-02 23:15", "2024-03-03 01:45", "2024-03-01 09:00", "2024-03-01 10:30"]


def test_browser_case_list_and_case_page_name_the_zone(tmp_path: Path) -> None:
    """On a real server: the case list and the case page of a log kept in its own +07:00
    offsets show local times under headers naming UTC+07:00 (screenshots looked at)."""
    wid = seed(tmp_path / "data")
    path = tmp_path / "offsets.csv"
    path.write_bytes(OFFSETS)
    with Workspace(Accounts(tmp_path / "data").workspace_file(wid)) as ws:
        ws.import_file(path, name="offsets")
    server = Server(tmp_path / "data", tmp_path / "server.log").start()
    try:
        with browser_page() as page:
            sign_in(page, server.base, "id")
            page.goto(f"{server.base}/w/{wid}/logs/offsets/cases")
            heads = [" ".join(h.split()) for h in page.locator("thead th").all_inner_texts()]
            assert heads[1:3] == ["Kedatangan (UTC+07:00)", "Selesai (UTC+07:00)"], heads
            cells = page.locator("tbody tr").first.locator("td").all_inner_texts()
            assert cells[:3] == ["c2", "2024-03-02 22:15", "2024-03-03 00:45"]
            page.screenshot(path=artifact("web-cases-zone-id.png"), full_page=True)
            page.click("text=c2")
            page.wait_for_url("**/cases/c2*")
            assert "Waktu dalam UTC+07:00" in page.inner_text("main")
            page.screenshot(path=artifact("web-case-zone-id.png"), full_page=True)
    finally:
        server.stop()


def test_the_log_page_gives_its_dates_in_the_log_zone(site: Site) -> None:
    """Just after midnight at +07:00 is the day before in UTC: the log page's span is the
    file's own dates, named with their zone; a zone chosen at import wins."""
    andi = site.client("andi")
    early = (b"case;activity;timestamp\nc1;Terima;2024-03-01T00:30:00+07:00\n"
             b"c1;Setujui;2024-03-31T23:30:00+07:00\n")
    _import(andi, site.a, "early", early)
    page = andi.get(f"/w/{site.a}/logs/early?lang=en").text
    assert "2 events from 1 March 2024 to 31 March 2024 (UTC+07:00)" in page
    indonesian = andi.get(f"/w/{site.a}/logs/early?lang=id").text
    assert "2 peristiwa dari 1 Maret 2024 sampai 31 Maret 2024 (UTC+07:00)" in indonesian
    _import(andi, site.a, "early-utc", early, tz="UTC")
    assert "2 events from 29 February 2024 to 31 March 2024 (UTC)" in andi.get(
        f"/w/{site.a}/logs/early-utc?lang=en").text


def test_the_report_gives_its_dates_in_the_log_zone_with_its_warnings(site: Site) -> None:
    """The downloaded report names the same span as the log page (the file's +07:00 dates),
    and a log of dates only carries the page's warning."""
    andi = site.client("andi")
    early = (b"case;activity;timestamp\nc1;Terima;2024-03-01T00:30:00+07:00\n"
             b"c1;Setujui;2024-03-31T23:30:00+07:00\n")
    _import(andi, site.a, "early-report", early)
    report = andi.get(f"/w/{site.a}/logs/early-report/report.html?lang=en").text
    assert "2 events from 1 March 2024 to 31 March 2024 (UTC+07:00)" in report
    rows = "case;activity;timestamp\n" + "".join(
        f"d{c};{step};2024-03-{1 + c:02d}\n" for c in range(6) for step in "AB")
    _import(andi, site.a, "dates-report", rows.encode(), tz="Asia/Jakarta")
    dated = andi.get(f"/w/{site.a}/logs/dates-report/report.html?lang=id").text
    assert "berkas ini kemungkinan hanya memuat tanggal tanpa jam" in dated
    assert "(WIB)" in dated
