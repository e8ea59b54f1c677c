"""Errors on a real server (``procflow serve``), in English and Bahasa Indonesia: each names the
form's field, never a command-line option; the command line keeps naming its options."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from procflow.cli import main
from procflow.core.i18n import Texts
from procflow.web.errortext import note_texts
from tests.browser import artifact, browser_page
from tests.webserver import PW, Server, seed

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
#: The preview form's labels, as each language shows them.
LABELS = {
    "en": {"tz": "“Time zone of times without one”", "order": "“Dates like 03/04/2024”",
           "case": "“Case ID”", "timestamp": "“Time (completed)”", "name": "“Log name”"},
    "id": {"tz": "“Zona waktu untuk waktu tanpa zona”", "order": "“Tanggal seperti 03/04/2024”",
           "case": "“ID kasus”", "timestamp": "“Waktu (selesai)”", "name": "“Nama log”"},
}
FLAG = re.compile(r"(?<![\w-])--[a-z]")


_CLIENTS: dict[tuple[str, str], httpx.Client] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    base = tmp_path_factory.mktemp("errors")
    wid = seed(base / "data")
    srv = Server(base / "data", base / "server.log").start()
    try:
        yield srv, wid
    finally:
        for http in _CLIENTS.values():
            http.close()
        _CLIENTS.clear()
        srv.stop()


def client(server: Server, lang: str, user: str = "andi") -> httpx.Client:
    """``user`` signed in, reading pages in ``lang`` (one client each, closed with the
    server)."""
    if (lang, user) not in _CLIENTS:
        got = server.client(user)
        got.cookies.set("procflow_lang", lang)
        _CLIENTS[lang, user] = got
    return _CLIENTS[lang, user]


def upload(http: httpx.Client, wid: str, name: str, body: bytes) -> str:
    up = http.post(f"/api/w/{wid}/upload", files={"file": (name, body, "text/csv")})
    assert up.status_code == 201, up.text
    return str(up.json()["upload"]["id"])


def import_error(http: httpx.Client, wid: str, name: str, body: bytes, form: dict[str, str],
                 status: int = 422) -> str:
    """The message of an import of ``body`` with ``form`` that fails with ``status``."""
    upload_id = upload(http, wid, name, body)
    r = http.post(f"/api/w/{wid}/uploads/{upload_id}/import", json=form)
    assert r.status_code == status, r.text
    return str(r.json()["error"]["message"])


def no_flags(text: str) -> None:
    assert not FLAG.search(text), text
    assert "procflow " not in text and "/uploads/" not in text, text


def labels(lang: str) -> dict[str, str]:
    """The labels, checked against the preview page itself."""
    return LABELS[lang]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_labels_are_the_preview_pages(server: tuple[Server, str], lang: str) -> None:
    srv, wid = server
    http = client(srv, lang)
    page = http.get(f"/w/{wid}/uploads/{upload(http, wid, 'after.csv', SAMPLE.read_bytes())}")
    assert page.status_code == 200
    for label in LABELS[lang].values():
        assert f"<label>{label.strip('“”')}" in page.text, label


CASES: list[tuple[str, dict[str, Any]]] = [
    ("unknown_zone", {"form": {"tz": "Mars/Olympus"}, "field": "tz", "form_field": True,
                      "words": {"en": "Unknown time zone 'Mars/Olympus'",
                                "id": "Zona waktu 'Mars/Olympus' tidak dikenal"}}),
    ("no_zone", {"form": {"order": "dayfirst"}, "field": "tz",
                 "words": {"en": "The column 'Waktu Selesai' has times without a zone",
                           "id": "Kolom 'Waktu Selesai' berisi waktu tanpa zona"}}),
    ("ambiguous_order", {"form": {"tz": "Asia/Makassar"}, "field": "order",
                         "words": {"en": "fit both day-first and month-first",
                                   "id": "cocok dibaca hari dulu maupun bulan dulu"}}),
    ("missing_case", {"form": {"tz": "Asia/Makassar", "order": "dayfirst", "col_case": ""},
                      "field": "case", "words": {"en": "No column is chosen for",
                                                 "id": "Belum ada kolom yang dipilih untuk"}}),
    ("unknown_column", {"form": {"col_case": "Nope"}, "field": "case", "form_field": True,
                        "words": {"en": "The column 'Nope' chosen under",
                                  "id": "Kolom 'Nope' yang dipilih pada"}}),
    ("unparseable", {"form": {"tz": "Asia/Makassar", "order": "dayfirst",
                              "col_timestamp": "Petugas", "col_start": ""},
                     "field": "timestamp",
                     "words": {"en": "The column 'Petugas' does not hold dates or times",
                               "id": "Kolom 'Petugas' tidak berisi tanggal atau waktu"}}),
]


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize(("case", "spec"), CASES, ids=[c for c, _ in CASES])
def test_import_errors_name_the_field(server: tuple[Server, str], lang: str, case: str,
                                      spec: dict[str, Any]) -> None:
    srv, wid = server
    body = SAMPLE.read_bytes()
    if case == "ambiguous_order":  # only days and months up to 12: both orders fit
        body = b"case;activity;time\nk1;A;03/04/2024 09:00\nk1;B;04/05/2024 10:00\n"
    message = import_error(client(srv, lang), wid, "after.csv", body,
                           {"name": f"{case}-{lang}", **spec["form"]})
    assert spec["words"][lang] in message, message
    assert labels(lang)[spec["field"]] in message, message
    # the file's errors name it (as the user named it); the form's, the field alone
    assert message.startswith("after.csv: ") != spec.get("form_field", False), message
    no_flags(message)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_file_errors_say_what_to_do_on_the_web(server: tuple[Server, str], lang: str) -> None:
    srv, wid = server
    http = client(srv, lang)
    # one column: no separator to find (refused when the preview reads the file)
    notes = upload(http, wid, "notes.csv", b"hello\nworld\n")
    r = http.get(f"/api/w/{wid}/uploads/{notes}")
    assert r.status_code == 422
    text = r.json()["error"]["message"]
    assert {"en": "The separator between the columns cannot be found",
            "id": "Pemisah antarkolom tidak ditemukan"}[lang] in text, text
    no_flags(text)
    # an Excel file whose first sheet is not the log: the fields left without a column
    book = Workbook()
    book.active.append(["Judul laporan"])
    book.active.append(["Rekap izin 2024"])
    book.create_sheet("log").append(["case", "activity", "time"])
    data = io.BytesIO()
    book.save(data)
    message = import_error(http, wid, "rekap.xlsx", data.getvalue(), {"name": f"x-{lang}"})
    assert labels(lang)["case"] in message and labels(lang)["timestamp"] in message, message
    no_flags(message)
    # bytes that are neither UTF-8 nor Windows-1252
    bad = b"case;activity;time\nk1;Verifikasi \x81;2024-03-01T09:00:00+07:00\n"
    message = import_error(http, wid, "bytes.csv", bad, {"name": f"b-{lang}"})
    assert {"en": "Save it as UTF-8", "id": "Simpan sebagai UTF-8"}[lang] in message, message
    no_flags(message)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_taken_name_names_the_field(server: tuple[Server, str], lang: str) -> None:
    srv, wid = server
    http = client(srv, lang)
    log = b"case;activity;time\nk1;A;2024-03-01T09:00:00+07:00\nk1;B;2024-03-01T10:00:00+07:00\n"
    upload_id = upload(http, wid, "one.csv", log)
    assert http.post(f"/api/w/{wid}/uploads/{upload_id}/import",
                     json={"name": f"taken-{lang}"}).status_code == 200
    message = import_error(http, wid, "two.csv", log.replace(b"B", b"C"),
                           {"name": f"taken-{lang}"}, 409)
    assert labels(lang)["name"] in message and f"'taken-{lang}'" in message, message
    no_flags(message)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Level: values not understood in 1 events (Kepala Seksi)", "“Org chart (optional)”"]),
    ("id", ["Tingkat: nilai yang tidak dipahami pada 1 peristiwa (Kepala Seksi)",
            "“Bagan organisasi (opsional)”"]),
])
def test_import_notes_are_worded_for_the_web(server: tuple[Server, str], lang: str,
                                             words: list[str]) -> None:
    """A note of the import report (a level the import did not understand) is said in the
    page's language and names the form's field, while the JSON keeps the command line's
    text beside its code."""
    srv, wid = server
    http = client(srv, lang)
    log = (b"case;activity;time;level\nk1;A;2024-03-01T09:00:00+07:00;eselon 3\n"
           b"k1;B;2024-03-01T10:00:00+07:00;Kepala Seksi\n")
    upload_id = upload(http, wid, "levels.csv", log)
    done = http.post(f"/api/w/{wid}/uploads/{upload_id}/import", json={"name": f"lv-{lang}"})
    assert done.status_code == 200, done.text
    report = done.json()["report"]
    assert report["note_codes"] == [{"code": "levels_unknown",
                                     "params": {"count": 1, "values": ["Kepala Seksi"]}}]
    assert "--orgchart" in report["notes"][0]
    shown = note_texts(report, Texts(lang))
    assert all(w in shown[0] for w in words), shown
    no_flags(shown[0])


@pytest.mark.parametrize(("lang", "words"), [
    ("en", {"password": "wrong user name or password.", "log": "no such log.",
            "role": "this needs the analyst role in the workspace."}),
    ("id", {"password": "nama pengguna atau kata sandi salah.", "log": "log tidak ditemukan.",
            "role": "ini memerlukan peran analis di ruang kerja."}),
])
def test_sign_in_and_api_errors(server: tuple[Server, str], lang: str,
                                words: dict[str, str]) -> None:
    srv, wid = server
    with httpx.Client(base_url=srv.base, cookies={"procflow_lang": lang}) as anonymous:
        r = anonymous.post("/api/login", json={"username": "andi", "password": "wrong"})
        assert r.status_code == 401 and r.json()["error"]["message"] == words["password"]
        form = anonymous.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token, form.text
        page = anonymous.post("/login", data={"username": "andi", "password": "wrong",
                                              "csrf": token[1]})
        assert page.status_code == 401 and words["password"] in page.text
    http = client(srv, lang)
    missing = http.get(f"/api/w/{wid}/logs/nope")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == words["log"]
    viewer = client(srv, lang, "vera")
    upload_id = upload(client(srv, lang), wid, "after.csv", SAMPLE.read_bytes())
    refused = viewer.post(f"/api/w/{wid}/uploads/{upload_id}/import", json={})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == words["role"]


def test_the_command_line_keeps_naming_its_options(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["analyze", str(SAMPLE), "--out", str(tmp_path)])
    assert out.exit_code == 2 and "pass --tz ZONE" in out.output
    out = CliRunner().invoke(main, ["analyze", str(SAMPLE), "--tz", "Mars/Olympus", "--out",
                                    str(tmp_path)])
    assert out.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in out.output


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_mapping_page_shows_the_error(server: tuple[Server, str], lang: str) -> None:
    """In a browser: a wrong password, then an import without a zone for times without one,
    which comes back to the mapping form with the error, in the page's language, naming the
    field."""
    srv, wid = server
    with browser_page() as page:
        page.set_default_timeout(60_000)
        page.context.add_cookies([{"name": "procflow_lang", "value": lang,
                                   "url": srv.base}])
        page.goto(f"{srv.base}/login")
        page.fill("input[name=username]", "ana")  # andi's failures are counted elsewhere
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        assert page.inner_text("p.error") == {
            "en": "wrong user name or password.",
            "id": "nama pengguna atau kata sandi salah."}[lang]
        page.screenshot(path=artifact(f"web-error-sign-in-{lang}.png"))
        page.fill("input[name=username]", "andi")
        page.fill("input[name=password]", PW)
        page.click("button[type=submit]")
        page.goto(f"{srv.base}/w/{wid}")
        page.set_input_files("input[name=file]", str(SAMPLE))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#col_case")
        page.fill("#name", f"page-{lang}")
        page.select_option("#order", "dayfirst")
        # the page asks for the zone of the file's zone-less times before importing ...
        assert page.get_attribute("#tz", "required") is not None
        assert "Waktu Selesai" in page.inner_text("#tz-note")
        # ... and a client that does not check forms gets the server's refusal
        page.evaluate("document.querySelector('#tz').removeAttribute('required')")
        page.click("form.card button[type=submit]")
        page.wait_for_selector("p.error")
        text = page.inner_text("p.error")
        assert labels(lang)["tz"] in text and "Waktu Selesai" in text, text
        no_flags(text)
        page.screenshot(path=artifact(f"web-error-no-zone-{lang}.png"), full_page=True)
