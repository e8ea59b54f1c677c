"""Broken files on a real server (``procflow serve``), in English and Bahasa Indonesia: a log
file (XES cut off, without traces, compressed and cut off, with a DTD, binary, an Excel
workbook with a damaged sheet), a model (not BPMN, a PNML without places, cut-off BPMN) and an
SOP table (no step column, a bad norm), an org chart without its columns. Each error names the
file as the user named it, says what to do on the web, and on an Indonesian page holds no
English reason."""

from __future__ import annotations

import ast
import gzip
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from procflow.web.errortext import NOTE_WORDS, WORDS
from tests.browser import artifact, browser_page
from tests.webserver import PW, Server, seed

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "permit-delayering" / "after.csv"
FLAG = re.compile(r"(?<![\w-])--[a-z]")
#: Words of an English sentence that Indonesian text never holds.
ENGLISH = re.compile(r"\b(the|is|not|cannot|file|again|has|its|with|or)\b", re.IGNORECASE)

XES = (b'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n<trace>'
       b'<string key="concept:name" value="c1"/>\n<event><string key="concept:name" '
       b'value="A"/><date key="time:timestamp" value="2024-01-01T10:00:00+07:00"/></event>\n'
       b'</trace>\n</log>\n')


def _damaged_sheet() -> bytes:
    """A workbook whose sheet's XML stops in the middle (its zip container is intact)."""
    book = Workbook()
    book.active.append(["case", "activity", "time"])
    book.active.append(["k1", "A", "2024-01-01"])
    whole = io.BytesIO()
    book.save(whole)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as src, \
            zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml")
                         else data)
    return out.getvalue()


#: (file name, content, the words each language shows)
LOGS: list[tuple[str, bytes, dict[str, str]]] = [
    ("cut.xes", XES[:150], {"en": "Malformed XES at line 4",
                            "id": "XES rusak pada baris 4"}),
    ("empty.xes", XES.split(b"<trace>")[0] + b"</log>\n",
     {"en": "No events in empty.xes", "id": "Tidak ada peristiwa di empty.xes"}),
    ("cut.xes.gz", gzip.compress(XES * 40)[:200],
     {"en": "The compressed file stops in the middle",
      "id": "Berkas terkompresi berhenti di tengah"}),
    ("dtd.xes", b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "b">]><log/>',
     {"en": "DOCTYPE or ENTITY declaration, refused for safety",
      "id": "deklarasi DOCTYPE atau ENTITY, ditolak demi keamanan"}),
    ("photo.csv", bytes(range(256)) * 8,
     {"en": "This is not an event log", "id": "Ini bukan log peristiwa"}),
    ("sheet.xlsx", _damaged_sheet(),
     {"en": "The workbook cannot be read: a sheet or its zip container is damaged",
      "id": "Buku kerja tidak dapat dibaca: salah satu lembarnya"}),
]
MODELS: list[tuple[str, bytes, dict[str, str]]] = [
    ("page.xml", b'<?xml version="1.0"?><html><body/></html>',
     {"en": "This is not a process model: its root element is <html>",
      "id": "Ini bukan model proses: elemen akarnya <html>"}),
    ("empty.pnml", b'<?xml version="1.0"?><pnml><net id="n" type="http://www.pnml.org/'
                   b'version-2009/grammar/ptnet"><page id="p"/></net></pnml>',
     {"en": "The Petri net has no places", "id": "Petri net tidak punya tempat"}),
    ("cut.bpmn", b'<?xml version="1.0"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/'
                 b'20100524/MODEL">\n<process id="p"><task id="t"/>',
     {"en": "The file is not well-formed XML (line 3)",
      "id": "Berkas bukan XML yang tersusun dengan benar (baris 3)"}),
    ("sop.csv", b"Nomor;Petugas\n1;Loket\n2;Kasi\n",
     {"en": "The SOP table has no step column (its columns: Nomor, Petugas)",
      "id": "Tabel SOP tidak punya kolom kegiatan (kolomnya: Nomor, Petugas)"}),
    ("norm.csv", b"Kegiatan;Norma\nVerifikasi Berkas;lama sekali\n",
     {"en": "SOP table row 1: the norm duration “lama sekali” cannot be read",
      "id": "Tabel SOP baris 1: norma waktu “lama sekali” tidak dapat dibaca"}),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    base = tmp_path_factory.mktemp("file-errors")
    wid = seed(base / "data")
    srv = Server(base / "data", base / "server.log").start()
    try:
        with _client(srv) as http:
            up = http.post(f"/api/w/{wid}/upload",
                           files={"file": ("after.csv", SAMPLE.read_bytes(), "text/csv")})
            done = http.post(f"/api/w/{wid}/uploads/{up.json()['upload']['id']}/import",
                             json={"name": "izin", "tz": "Asia/Makassar", "order": "dayfirst"})
            assert done.status_code == 200, done.text
        yield srv, wid
    finally:
        srv.stop()


@contextmanager
def _client(srv: Server, lang: str = "en") -> Iterator[httpx.Client]:
    """andi, signed in, reading pages in ``lang``."""
    http = srv.client("andi")
    http.cookies.set("procflow_lang", lang)
    try:
        yield http
    finally:
        http.close()


def _log_error(http: httpx.Client, wid: str, name: str, body: bytes) -> str:
    """The message of the first step (preview, then import) that refuses ``body``."""
    up = http.post(f"/api/w/{wid}/upload", files={"file": (name, body, "text/plain")})
    assert up.status_code == 201, up.text
    upload_id = up.json()["upload"]["id"]
    r = http.get(f"/api/w/{wid}/uploads/{upload_id}")
    if r.status_code == 200:
        r = http.post(f"/api/w/{wid}/uploads/{upload_id}/import", json={"name": "broken"})
    assert r.status_code == 422, r.text
    return str(r.json()["error"]["message"])


def _model_error(http: httpx.Client, wid: str, name: str, body: bytes) -> str:
    r = http.post(f"/api/w/{wid}/logs/izin/conform",
                  files={"file": (name, body, "application/octet-stream")})
    assert r.status_code == 422, r.text
    return str(r.json()["error"]["message"])


def _check(message: str, name: str, words: dict[str, str], lang: str) -> None:
    assert words[lang] in message, message
    assert name in message and "/uploads/" not in message and "/models/" not in message, message
    assert not FLAG.search(message) and "procflow " not in message, message
    if lang == "id":
        assert "bahasa Inggris" not in message, message
        rest = message.replace(name, "")
        assert not ENGLISH.search(rest), message


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize(("name", "body", "words"), LOGS, ids=[n for n, _, _ in LOGS])
def test_a_broken_log_file(server: tuple[Server, str], lang: str, name: str, body: bytes,
                           words: dict[str, str]) -> None:
    srv, wid = server
    with _client(srv, lang) as http:
        _check(_log_error(http, wid, name, body), name, words, lang)


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize(("name", "body", "words"), MODELS, ids=[n for n, _, _ in MODELS])
def test_a_broken_model_or_sop(server: tuple[Server, str], lang: str, name: str, body: bytes,
                               words: dict[str, str]) -> None:
    srv, wid = server
    with _client(srv, lang) as http:
        _check(_model_error(http, wid, name, body), name, words, lang)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["needs the columns “level” and “resource” or “role”; it has unit, name",
            "“Org chart (optional)”"]),
    ("id", ["memerlukan kolom “level” dan “resource” atau “role”; kolomnya: unit, name",
            "“Bagan organisasi (opsional)”"]),
])
def test_an_org_chart_without_its_columns(server: tuple[Server, str], lang: str,
                                          words: list[str]) -> None:
    srv, wid = server
    with _client(srv, lang) as http:
        chart = http.post(f"/api/w/{wid}/upload",
                          files={"file": ("bagan.csv", b"unit,name\nA,x\n", "text/csv")})
        log = http.post(f"/api/w/{wid}/upload",
                        files={"file": ("after.csv", SAMPLE.read_bytes(), "text/csv")})
        r = http.post(f"/api/w/{wid}/uploads/{log.json()['upload']['id']}/import",
                      json={"name": f"bagan-{lang}", "tz": "Asia/Makassar", "order": "dayfirst",
                            "orgchart": chart.json()["upload"]["id"]})
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert all(w in message for w in words), message
    _check(message, "bagan.csv", {lang: words[0]}, lang)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_sop_of_other_steps_is_a_warning(server: tuple[Server, str], lang: str) -> None:
    """An SOP whose steps the log never names is checked, with a warning in the page's
    language (not an error)."""
    srv, wid = server
    with _client(srv, lang) as http:
        r = http.post(f"/w/{wid}/logs/izin/conform",
                      files={"file": ("lain.csv", b"Kegiatan;Petugas\nFoo;x\nBar;y\n",
                                      "text/csv")}, follow_redirects=True)
    assert r.status_code == 200, r.text
    warning = {"en": "the model shares no activity with the log",
               "id": "model tidak memiliki satu pun aktivitas yang sama dengan log"}[lang]
    assert warning in r.text, r.text


def test_every_code_has_its_words() -> None:
    """Each ``code=`` procflow raises is worded for the web (else its English reason would
    show on an Indonesian page)."""
    codes: set[str] = set()
    for path in (ROOT / "procflow").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id.endswith("Error"):
                codes.update(k.value.value for k in node.keywords if k.arg == "code"
                             and isinstance(k.value, ast.Constant))
    assert len(codes) > 50
    assert sorted(codes - WORDS.keys() - NOTE_WORDS.keys()) == []


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_conformance_form_shows_the_error(server: tuple[Server, str], lang: str) -> None:
    """In a browser: a PNML without places, uploaded on the conformance form, comes back to
    the form with the error in the page's language."""
    srv, wid = server
    name, body, words = MODELS[1]
    with browser_page() as page:
        page.set_default_timeout(60_000)
        page.context.add_cookies([{"name": "procflow_lang", "value": lang, "url": srv.base}])
        page.goto(f"{srv.base}/login")
        page.fill("input[name=username]", "andi")
        page.fill("input[name=password]", PW)
        page.click("button[type=submit]")
        page.goto(f"{srv.base}/w/{wid}/logs/izin/conform")
        page.set_input_files("input[name=file]", files=[{
            "name": name, "mimeType": "application/xml", "buffer": body}])
        page.click("form.card button[type=submit]")
        page.wait_for_selector("p.error")
        _check(page.inner_text("p.error"), name, words, lang)
        page.screenshot(path=artifact(f"web-error-model-{lang}.png"), full_page=True)
