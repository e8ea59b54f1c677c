"""Request bodies and connections against a real server (``procflow serve`` on 127.0.0.1):
bodies are capped on the bytes that stream in, chunked or not, on every route; the server's
memory stays flat while a hostile body of hundreds of MiB is sent, and another user is served
meanwhile; slow or idle connections are cut; a multipart body without its closing boundary is
refused and leaves nothing behind.

The server runs with small time-outs (2 s for a request's head and a stalled body, 1 s of
keep-alive) and an 8 MiB upload cap, set through the environment.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.webserver import (
    MemoryWatch,
    MiB,
    Reader,
    Sent,
    Server,
    answered,
    connect,
    filler,
    head,
    read_response,
    read_until_closed,
    seed,
    send_chunked,
    status_of,
)

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "permit-delayering" / "after.csv"
HOSTILE = 300 * MiB
MAX_GROWTH = 200 * MiB
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
KEEP_ALIVE = 1
SLACK = 2.5  # seconds allowed past a time-out on a shared 2-core machine
BOUNDARY = "procflowlimitsboundary"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    base = tmp_path_factory.mktemp("limits")
    wid = seed(base / "data")
    srv = Server(base / "data", base / "server.log", args=["--max-upload-mb", "8"],
                 env={"PROCFLOW_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
                      "PROCFLOW_BODY_TIMEOUT": str(BODY_TIMEOUT),
                      "PROCFLOW_KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE)})
    srv.start()
    try:
        yield srv, wid
    finally:
        srv.stop()


@dataclass
class Hostile:
    """Hostile requests' outcomes, the server's memory meanwhile, and another user's requests
    made while they ran (seconds and status of each)."""

    sent: list[Sent]
    baseline: int
    peak: int
    others: list[tuple[float, int]]

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    def report(self, what: str) -> str:
        slowest = max(s for s, _ in self.others)
        most = max(self.sent, key=lambda s: s.sent)
        return (f"{what}: {len(self.sent)} requests, at most {most.sent / MiB:.1f} MiB sent "
                f"({most.seconds:.2f} s, {most.ended}), statuses "
                f"{sorted({s.status for s in self.sent}, key=str)}; RSS baseline "
                f"{self.baseline / MiB:.0f} MiB, peak {self.peak / MiB:.0f} MiB, growth "
                f"{self.growth / MiB:.1f} MiB; other user: {len(self.others)} requests, "
                f"slowest {slowest * 1000:.0f} ms")


def hostile(server: Server, request_head: bytes, pieces: Callable[[], Iterator[bytes]],
            wid: str, *, attackers: int = 2, seconds: float = 3.0) -> Hostile:
    """``attackers`` connections send the lazily generated chunked body ``pieces()`` over and
    over for ``seconds`` (at least once each, at most 300 times), while vera (viewer) reads her
    workspace page and its JSON twin; the server's memory is watched throughout."""
    vera = server.client("vera", timeout=30)
    for _ in range(3):  # warm up what vera will ask for
        assert vera.get(f"/api/w/{wid}").status_code == 200
        assert vera.get(f"/w/{wid}").status_code == 200
    baseline = server.rss()
    started = threading.Event()
    sent: list[Sent] = []

    def attacker() -> None:
        until = time.monotonic() + seconds
        for _ in range(300):
            sent.append(send_chunked(server, request_head, pieces(), started=started))
            if time.monotonic() > until:
                return

    threads = [threading.Thread(target=attacker) for _ in range(attackers)]
    with MemoryWatch(server) as watch, Reader(vera, [f"/api/w/{wid}", f"/w/{wid}"],
                                              begin=started, most=500) as reader:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    vera.close()
    return Hostile(sent, baseline, watch.peak, reader.times)


def check_calm(result: Hostile, what: str) -> None:
    """Memory grew by less than :data:`MAX_GROWTH`; the other user was served within 5 s."""
    print(result.report(what))
    assert result.growth < MAX_GROWTH, result.report(what)
    assert result.others and all(status == 200 for _, status in result.others), result.others
    assert max(seconds for seconds, _ in result.others) < 5.0, result.report(what)
    for sent in result.sent:
        assert sent.status == 413, sent.response[:500]
        assert sent.sent < 24 * MiB  # refused right after the cap, not at the end


def multipart_fields(fields: dict[str, str]) -> bytes:
    return b"".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                    f"{v}\r\n".encode() for k, v in fields.items())


def file_part(field: str, filename: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").encode()


CLOSING = f"\r\n--{BOUNDARY}--\r\n".encode()
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def upload_sample(client: httpx.Client, wid: str) -> str:
    up = client.post(f"/api/w/{wid}/upload",
                     files={"file": ("after.csv", SAMPLE.read_bytes(), "text/csv")})
    assert up.status_code == 201, up.text
    return str(up.json()["upload"]["id"])


def import_fields(client: httpx.Client) -> dict[str, str]:
    return {"csrf": client.headers["X-CSRF-Token"], "name": "charted", "tz": "Asia/Makassar",
            "order": "dayfirst", "col_case": "No. Permohonan", "col_activity": "Tahapan",
            "col_timestamp": "Waktu Selesai", "col_resource": "Petugas"}


def logs_of(client: httpx.Client, wid: str) -> list[str]:
    return [log["name"] for log in client.get(f"/api/w/{wid}").json()["logs"]]


# 1: bodies are capped while they stream -----------------------------------------------------
def test_chunked_sign_in_body_is_cut_at_the_cap(server: tuple[Server, str]) -> None:
    """The reported attack: 300 MiB sent chunked to /api/login without signing in."""
    srv, wid = server
    def pieces() -> Iterator[bytes]:
        return itertools.chain([b'{"username":"'], filler(HOSTILE, b"a" * MiB),
                               [b'","password":"x"}'])

    request = head("POST", "/api/login", {"Transfer-Encoding": "chunked",
                                          "Content-Type": "application/json"})
    result = hostile(srv, request, pieces, wid)
    check_calm(result, "chunked sign-in")
    for sent in result.sent:
        body = json.loads(sent.body)
        assert set(body) == {"error"} and body["error"]["code"] == 413
        assert "1 MiB" in body["error"]["message"]
        assert b"connection: close" in sent.response.lower()


def test_chunked_org_chart_on_the_import_form_is_cut_at_its_cap(
        server: tuple[Server, str]) -> None:
    srv, wid = server
    andi = srv.client("andi")
    upload_id = upload_sample(andi, wid)
    first = (multipart_fields(import_fields(andi)) + file_part("orgchart", "chart.csv")
             + b"resource,level\n")

    def pieces() -> Iterator[bytes]:
        return itertools.chain([first], filler(HOSTILE, b"someone,1\n" * (MiB // 10)),
                               [CLOSING])

    request = head("POST", f"/w/{wid}/uploads/{upload_id}/import", {
        "Transfer-Encoding": "chunked", "Content-Type": MULTIPART,
        "Cookie": f"procflow_session={andi.cookies['procflow_session']}"})
    result = hostile(srv, request, pieces, wid)
    check_calm(result, "chunked org chart on the import form")
    for sent in result.sent:
        assert b"<html" in sent.body and b"org chart (field &#39;orgchart&#39;)" in sent.body
    time.sleep(1)
    uploads = srv.data / "uploads"
    assert not list(uploads.glob("orgchart-*")), list(uploads.iterdir())
    assert (uploads / f"{upload_id}.upload").exists()  # the upload waits for a better try
    assert logs_of(andi, wid) == []
    andi.close()


def test_org_chart_just_over_its_cap_is_refused(server: tuple[Server, str]) -> None:
    """Under the import form's cap (the chart plus 64 KiB of fields), yet over 1 MiB."""
    srv, wid = server
    andi = srv.client("andi")
    upload_id = upload_sample(andi, wid)
    chart = b"resource,level\n" + b"someone,1\n" * (MiB // 10 + 100)
    form = (multipart_fields(import_fields(andi)) + file_part("orgchart", "chart.csv") + chart
            + CLOSING)
    page = andi.post(f"/w/{wid}/uploads/{upload_id}/import", content=form,
                     headers={"content-type": MULTIPART})
    assert page.status_code == 413, page.text[:500]
    assert "org chart (field &#39;orgchart&#39;) is larger than 1 MiB" in page.text
    assert not list((srv.data / "uploads").glob("orgchart-*"))
    assert logs_of(andi, wid) == []
    andi.close()


def test_chunked_upload_over_its_cap_is_cut_and_leaves_nothing(
        server: tuple[Server, str]) -> None:
    """Uploads keep their own, larger cap (8 MiB here), also counted on streamed bytes."""
    srv, wid = server
    andi = srv.client("andi")
    before = set((srv.data / "uploads").iterdir())
    def pieces() -> Iterator[bytes]:
        return itertools.chain([multipart_fields({"csrf": andi.headers["X-CSRF-Token"]})
                                + file_part("file", "big.csv")],
                               filler(HOSTILE, b"x" * MiB), [CLOSING])

    request = head("POST", f"/api/w/{wid}/upload", {
        "Transfer-Encoding": "chunked", "Content-Type": MULTIPART,
        "Cookie": f"procflow_session={andi.cookies['procflow_session']}"})
    result = hostile(srv, request, pieces, wid)
    check_calm(result, "chunked upload over the cap")
    for sent in result.sent:
        assert json.loads(sent.body)["error"]["code"] == 413
        assert sent.sent >= 8 * MiB
    assert set((srv.data / "uploads").iterdir()) == before
    andi.close()


def test_small_bodies_still_pass(server: tuple[Server, str]) -> None:
    """Chunked bodies under the cap are read as before."""
    srv, _ = server
    sent = send_chunked(srv, head("POST", "/api/login", {
        "Transfer-Encoding": "chunked", "Content-Type": "application/json"}),
        iter([b'{"username":"vera",', b'"password":"correct horse battery"}']))
    assert sent.status == 200, sent.response
    assert b"connection: close" not in sent.response.lower()


# 8: slow and idle connections -----------------------------------------------------------------
def test_slow_request_headers_are_cut(server: tuple[Server, str]) -> None:
    """Slowloris: one header byte every 0.25 s is cut after the header time-out."""
    srv, _ = server
    sock = connect(srv)
    begun = time.monotonic()
    sock.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    cut = None
    for _ in range(60):  # at most 15 s
        if answered(sock):
            cut = time.monotonic() - begun
            break
        try:
            sock.sendall(b"a")
        except (BrokenPipeError, ConnectionResetError):
            cut = time.monotonic() - begun
            break
        time.sleep(0.25)
    answer = read_until_closed(sock, 2)
    sock.close()
    assert cut is not None, "the server kept a slowloris connection open for 15 s"
    assert HEADER_TIMEOUT - 0.5 < cut < HEADER_TIMEOUT + SLACK, cut
    assert answer == b"" or status_of(answer) == 408, answer


def test_idle_connections_are_closed(server: tuple[Server, str]) -> None:
    """A connection that sends nothing, a keep-alive connection left idle, and one that then
    trickles the next request in, are all closed."""
    srv, _ = server
    idle = connect(srv)
    begun = time.monotonic()
    idle.settimeout(HEADER_TIMEOUT + SLACK + 5)
    try:
        data = idle.recv(1024)
    except TimeoutError:
        data = b"(still open)"
    waited = time.monotonic() - begun
    idle.close()
    assert waited < HEADER_TIMEOUT + SLACK and (data == b"" or status_of(data) == 408), (
        waited, data)

    quiet = connect(srv)  # keep-alive, then nothing: closed after the keep-alive time-out
    quiet.sendall(head("GET", "/login", {}))
    assert status_of(read_response(quiet, 5)) == 200
    begun = time.monotonic()
    quiet.settimeout(KEEP_ALIVE + SLACK + 5)
    try:
        data = quiet.recv(1024)
    except TimeoutError:
        data = b"(still open)"
    waited = time.monotonic() - begun
    quiet.close()
    assert data == b"" and waited < KEEP_ALIVE + SLACK, (waited, data)

    kept = connect(srv)  # keep-alive, then the next request trickles in
    kept.sendall(head("GET", "/login", {}))
    first = read_response(kept, 5)
    assert status_of(first) == 200
    begun = time.monotonic()
    cut = None
    for byte in itertools.islice(itertools.cycle(b"GET /login HTTP/1.1\r\nX-A: "), 60):
        if answered(kept):
            cut = time.monotonic() - begun
            break
        try:
            kept.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            cut = time.monotonic() - begun
            break
        time.sleep(0.25)
    kept.close()
    assert cut is not None and cut < HEADER_TIMEOUT + SLACK, cut


def test_stalled_and_trickling_bodies_are_cut(server: tuple[Server, str]) -> None:
    srv, _ = server
    for trickle in (False, True):
        sock = connect(srv)
        sock.sendall(head("POST", "/api/login", {"Content-Type": "application/json",
                                                 "Content-Length": "1000"}) + b'{"user')
        begun = time.monotonic()
        cut = None
        for _ in range(60):  # at most 12 s
            if answered(sock):
                cut = time.monotonic() - begun
                break
            if trickle:
                sock.sendall(b"a")
            time.sleep(0.2)
        answer = read_response(sock, 3)
        sock.close()
        assert cut is not None, f"a {'trickling' if trickle else 'stalled'} body kept going"
        assert cut < BODY_TIMEOUT + SLACK, cut
        assert status_of(answer) == 408, answer
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == 408


# 8: a multipart body must end with its closing boundary -----------------------------------------
def test_multipart_without_closing_boundary_is_refused(server: tuple[Server, str]) -> None:
    srv, wid = server
    andi = srv.client("andi")
    uploads = srv.data / "uploads"
    before = set(uploads.iterdir())
    body = (multipart_fields({"csrf": andi.headers["X-CSRF-Token"]})
            + file_part("file", "cut.csv") + SAMPLE.read_bytes()[:50_000])
    r = andi.post(f"/api/w/{wid}/upload", content=body, headers={"content-type": MULTIPART})
    assert r.status_code == 400, r.text
    assert "closing boundary" in r.json()["error"]["message"]
    assert set(uploads.iterdir()) == before

    upload_id = upload_sample(andi, wid)
    before = set(uploads.iterdir())
    chart = (Path(__file__).resolve().parents[1] / "logs" / "permit-delayering"
             / "orgchart.csv").read_bytes()
    form = (multipart_fields(import_fields(andi)) + file_part("orgchart", "orgchart.csv")
            + chart)
    page = andi.post(f"/w/{wid}/uploads/{upload_id}/import", content=form,
                     headers={"content-type": MULTIPART})
    assert page.status_code == 400, page.text[:500]
    assert "closing boundary" in page.text
    andi.close()  # the refused request's connection may be closed: ask on a new one
    time.sleep(1)
    assert set(uploads.iterdir()) == before
    again = srv.client("andi")
    assert logs_of(again, wid) == []
    again.close()
