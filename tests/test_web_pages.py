"""The web app's comparison, conformance and download pages with their JSON twins."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.test_web_api import Site, TestClient, assert_error, cheap_hashes

__all__ = ["cheap_hashes"]

Compared = tuple[Site, TestClient, str, dict[str, Any]]

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "logs" / "permit-delayering"
TO_BE = ROOT / "models" / "permit-to-be.bpmn"
SOP = ROOT / "models" / "permit-to-be-sop.csv"
DTD_MODEL = (b'<?xml version="1.0"?>\n<!DOCTYPE definitions [<!ENTITY x "boom">]>\n'
             b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;'
             b'</definitions>\n')


def import_sample(client: TestClient, wid: str, name: str, data: bytes | None = None) -> None:
    """Upload and import ``data`` (default: the sample ``name``.csv) as log ``name``, with the
    suggested mapping, WITA and day first."""
    body = (LOGS / f"{name}.csv").read_bytes() if data is None else data
    up = client.post(f"/api/w/{wid}/upload", files={"file": (f"{name}.csv", body, "text/csv")})
    assert up.status_code == 201, up.text
    upload_id = up.json()["upload"]["id"]
    preview = client.get(f"/api/w/{wid}/uploads/{upload_id}").json()
    form = {f"col_{k}": v or "" for k, v in preview["mapping"].items()}
    r = client.post(f"/api/w/{wid}/uploads/{upload_id}/import",
                    json={**form, "name": name, "tz": "Asia/Makassar", "order": "dayfirst"})
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, TestClient]]:
    """A site where andi has imported before.csv and after.csv into workspace A."""
    site = Site(tmp_path_factory.mktemp("pages") / "data", limit=8 * 1024 * 1024)
    client = site.client("andi")
    import_sample(client, site.a, "before")
    import_sample(client, site.a, "after")
    yield site, client


@pytest.fixture(scope="module")
def compared(both: tuple[Site, TestClient]) -> Compared:
    site, andi = both
    r = andi.post(f"/api/w/{site.a}/compare", json={"before": "before", "after": "after"})
    assert r.status_code == 200, r.text
    rid = r.headers["x-procflow-result"]
    return site, andi, rid, r.json()


def test_compare_two_logs(compared: Compared) -> None:
    site, andi, rid, data = compared
    assert data["kpis"] and all(k["verdict"] for k in data["kpis"])
    assert data["before"]["name"] == "before" and data["after"]["name"] == "after"
    assert andi.get(f"/api/w/{site.a}/compare/{rid}").json() == data
    page = andi.get(f"/w/{site.a}/compare/{rid}")
    assert page.status_code == 200 and "<table" in page.text
    assert f"/w/{site.a}/compare/{rid}/report.html" in page.text
    report = andi.get(f"/w/{site.a}/compare/{rid}/report.html?lang=en")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert "<html" in report.text.lower()
    download = andi.get(f"/w/{site.a}/compare/{rid}/comparison.json")
    assert json.loads(download.content) == data
    assert andi.get(f"/w/{site.a}/compare").status_code == 200


def test_compare_form_and_split(compared: Compared) -> None:
    site, andi, _, _ = compared
    csrf = andi.headers["X-CSRF-Token"]
    r = andi.post(f"/w/{site.a}/compare", data={"csrf": csrf, "before": "after",
                                               "after": "", "split": "2024-07-01"})
    assert r.status_code == 303, r.text
    page = andi.get(r.headers["location"])
    assert page.status_code == 200 and "after" in page.text
    bad = andi.post(f"/w/{site.a}/compare", data={"csrf": csrf, "before": "after",
                                                 "split": "01/07/2024"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert_error(andi.post(f"/api/w/{site.a}/compare", json={"before": "after",
                                                             "after": "after"}), 422)
    assert_error(andi.post(f"/api/w/{site.a}/compare", json={"before": "nope",
                                                             "after": "after"}), 404)


def test_compare_access(compared: Compared) -> None:
    site, _, rid, _ = compared
    budi = site.client("budi")
    assert_error(budi.post(f"/api/w/{site.a}/compare", json={"before": "before",
                                                             "after": "after"}), 404)
    assert_error(budi.get(f"/api/w/{site.a}/compare/{rid}"), 404)
    assert budi.get(f"/w/{site.a}/compare/{rid}").status_code == 404
    assert_error(budi.get(f"/api/w/{site.b}/compare/{rid}"), 404)
    vera = site.client("vera")
    assert vera.get(f"/w/{site.a}/compare").status_code == 200
    assert vera.get(f"/w/{site.a}/compare/{rid}").status_code == 200
    assert vera.get(f"/api/w/{site.a}/compare/{rid}").status_code == 200
    csrf = vera.headers.pop("X-CSRF-Token")
    assert_error(vera.post(f"/api/w/{site.a}/compare", json={"before": "before",
                                                             "after": "after"}), 403)
    assert vera.post(f"/w/{site.a}/compare", data={"before": "before",
                                                   "after": "after"}).status_code == 403
    vera.headers["X-CSRF-Token"] = csrf  # with the token, a viewer still cannot run it
    assert_error(vera.post(f"/api/w/{site.a}/compare", json={"before": "before",
                                                             "after": "after"}), 403)
    assert_error(vera.get(f"/api/w/{site.a}/compare/{'0' * 32}"), 404)
    assert_error(vera.get(f"/api/w/{site.a}/compare/..%2F..%2Fx"), 404)


def test_conformance_against_the_to_be_model(both: tuple[Site, TestClient]) -> None:
    site, andi = both
    r = andi.post(f"/api/w/{site.a}/logs/after/conform",
                  files={"file": ("permit-to-be.bpmn", TO_BE.read_bytes(), "application/xml")})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["shadow_layer"]["cases"] == 422
    assert 0 <= data["fitness"]["log_fitness"] <= 1
    rid = r.headers["x-procflow-result"]
    assert andi.get(f"/api/w/{site.a}/logs/after/conform/{rid}").json() == data
    page = andi.get(f"/w/{site.a}/logs/after/conform/{rid}")
    assert page.status_code == 200 and "permit-to-be.bpmn" in page.text
    assert andi.get(f"/w/{site.a}/logs/before/conform/{rid}").status_code == 404
    download = andi.get(f"/w/{site.a}/logs/after/conform/{rid}/conformance.json")
    assert json.loads(download.content) == data
    assert not list((site.data / "models").iterdir())  # the uploaded model is not kept
    form = andi.get(f"/w/{site.a}/logs/after/conform")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    sop = andi.post(f"/api/w/{site.a}/logs/after/conform",
                    files={"file": ("sop.csv", SOP.read_bytes(), "text/csv")})
    assert sop.status_code == 200 and sop.json()["norms"], sop.text


def test_conformance_refusals(both: tuple[Site, TestClient]) -> None:
    site, andi = both
    r = andi.post(f"/api/w/{site.a}/logs/after/conform",
                  files={"file": ("evil.bpmn", DTD_MODEL, "application/xml")})
    assert_error(r, 422)
    assert "evil.bpmn" in r.json()["error"]["message"]
    assert str(site.data) not in r.text
    assert not list((site.data / "models").iterdir())
    csrf = andi.headers["X-CSRF-Token"]
    page = andi.post(f"/w/{site.a}/logs/after/conform", data={"csrf": csrf},
                     files={"file": ("evil.bpmn", DTD_MODEL, "application/xml")})
    assert page.status_code == 422 and 'role="alert"' in page.text
    big = b"<x>" + b" " * (1024 * 1024 + 10) + b"</x>"
    assert_error(andi.post(f"/api/w/{site.a}/logs/after/conform",
                           files={"file": ("big.bpmn", big, "application/xml")}), 413)
    assert_error(andi.post(f"/api/w/{site.a}/logs/nope/conform",
                           files={"file": ("m.bpmn", TO_BE.read_bytes(), "application/xml")}),
                 404)
    budi = site.client("budi")
    assert_error(budi.post(f"/api/w/{site.a}/logs/after/conform",
                           files={"file": ("m.bpmn", TO_BE.read_bytes(), "application/xml")}),
                 404)
    vera = site.client("vera")
    assert vera.get(f"/w/{site.a}/logs/after/conform").status_code == 200
    assert_error(vera.post(f"/api/w/{site.a}/logs/after/conform",
                           files={"file": ("m.bpmn", TO_BE.read_bytes(), "application/xml")}),
                 403)
    vera.headers.pop("X-CSRF-Token")
    assert_error(vera.post(f"/api/w/{site.a}/logs/after/conform",
                           files={"file": ("m.bpmn", TO_BE.read_bytes(), "application/xml")}),
                 403)


@pytest.mark.parametrize(("what", "media"), [
    ("tables.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("map.svg", "image/svg+xml"), ("map.png", "image/png"),
    ("model.bpmn", "application/xml"), ("model.pnml", "application/xml")])
def test_downloads(both: tuple[Site, TestClient], what: str, media: str) -> None:
    site, andi = both
    vera = site.client("vera")
    r = vera.get(f"/w/{site.a}/logs/after/download/{what}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert "attachment" in r.headers["content-disposition"]
    body = r.content
    if what == "tables.xlsx":
        assert body.startswith(b"PK")
        assert zipfile.ZipFile(io.BytesIO(body)).namelist()
    elif what == "map.png":
        assert body.startswith(b"\x89PNG")
    elif what == "map.svg":
        assert b"<svg" in body[:2000]
    else:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False))
        assert etree.QName(root).localname == ("definitions" if what == "model.bpmn"
                                               else "pnml")
    api = vera.get(f"/api/w/{site.a}/logs/after/download/{what}")
    assert api.status_code == 200 and api.headers["content-type"] == r.headers["content-type"]
    assert andi.get(f"/w/{site.a}/logs/after/download/{what}").status_code == 200
    assert_error(site.client("budi").get(f"/api/w/{site.a}/logs/after/download/{what}"), 404)
    assert_error(vera.get(f"/api/w/{site.a}/logs/nope/download/{what}"), 404)


def test_log_page_links_downloads(both: tuple[Site, TestClient]) -> None:
    site, andi = both
    page = andi.get(f"/w/{site.a}/logs/after")
    for what in ("tables.xlsx", "map.svg", "map.png", "model.bpmn", "model.pnml"):
        assert f"/download/{what}" in page.text
    assert re.search(r'href="/w/[0-9a-f]{16}/logs/after/conform"', page.text)
    assert_error(andi.get(f"/api/w/{site.a}/logs/after/download/other.exe"), 404)
