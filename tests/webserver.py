"""A real ``procflow serve`` on a free loopback port, in a subprocess: for tests of what only a
whole server shows (its memory, its connections, its time-outs, its import queue). Options go
in through the environment (``PROCFLOW_…``), as an operator would set them.

Also raw HTTP/1.1 over a socket, for requests that clients like httpx will not send
(chunked bodies of hundreds of MiB generated lazily, headers one byte at a time).
"""

from __future__ import annotations

import itertools
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from procflow.web.accounts import Accounts

ROOT = Path(__file__).resolve().parents[1]
PW = "correct horse battery"
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(data: Path) -> str:
    """Users ana (site admin), andi (analyst) and vera (viewer) of workspace dinas-a; its id."""
    accounts = Accounts(data)
    accounts.add_user("ana", PW, admin=True)
    accounts.add_user("andi", PW)
    accounts.add_user("vera", PW)
    wid = accounts.add_workspace("dinas-a")
    accounts.grant(wid, "andi", "analyst")
    accounts.grant(wid, "vera", "viewer")
    return wid


class Server:
    """``procflow serve --data DATA`` with ``args`` and ``env`` added, on 127.0.0.1."""

    def __init__(self, data: Path, log: Path, *, args: Iterable[str] = (),
                 env: dict[str, str] | None = None):
        self.data = data
        self.log = log
        self.args = list(args)
        self.env = env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from procflow.cli import main; main()", "serve",
                 "--data", str(self.data), "--port", str(self.port), *self.args],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **self.env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if httpx.get(f"{self.base}/login", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("the server did not start within 60 s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss(self) -> int:
        """The server process's resident memory in bytes (``VmRSS``)."""
        text = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
        assert found is not None, text
        return int(found.group(1)) * 1024

    def kill(self) -> None:
        """SIGKILL, as a crash or an operator's ``kill -9`` would."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(10) == -signal.SIGKILL

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def client(self, user: str | None = None, timeout: float = 60) -> httpx.Client:
        """An httpx client, signed in as ``user`` with its CSRF header when given."""
        client = httpx.Client(base_url=self.base, timeout=timeout, follow_redirects=False)
        if user:
            r = client.post("/api/login", json={"username": user, "password": PW})
            assert r.status_code == 200, r.text
            client.headers["X-CSRF-Token"] = r.json()["csrf"]
        return client


@dataclass
class MemoryWatch:
    """Samples a server's RSS every ``every`` seconds in a thread, from start to stop."""

    server: Server
    every: float = 0.02
    peak: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemoryWatch:
        self.peak = self.server.rss()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.peak = max(self.peak, self.server.rss())
                    self.samples += 1
                except (FileNotFoundError, ProcessLookupError):
                    return
                self._stop.wait(self.every)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(5)


# raw HTTP ------------------------------------------------------------------------------------
def connect(server: Server, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}"
                                                              for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answered(sock: socket.socket) -> bool:
    """Whether the server has sent something (or closed) on ``sock``."""
    return bool(select.select([sock], [], [], 0)[0])


def read_until_closed(sock: socket.socket, limit: float) -> bytes:
    """Everything the server sends until it closes (or ``limit`` seconds pass)."""
    got = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not data:
            break
        got += data
    return got


def read_response(sock: socket.socket, limit: float) -> bytes:
    """One response: its head, and the body its Content-Length gives (or until closed)."""
    got = b""
    deadline = time.monotonic() + limit
    while b"\r\n\r\n" not in got or len(got) < _response_length(got):
        if time.monotonic() >= deadline:
            break
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not data:
            break
        got += data
    return got


def _response_length(got: bytes) -> int:
    top, _, _ = got.partition(b"\r\n\r\n")
    found = re.search(rb"(?im)^content-length:\s*(\d+)", top)
    return len(top) + 4 + int(found.group(1)) if found else 1 << 62


def status_of(response: bytes) -> int | None:
    found = re.match(rb"HTTP/1\.1 (\d{3}) ", response)
    return int(found.group(1)) if found else None


@dataclass
class Sent:
    """What a streamed request achieved: bytes of body sent, the response, how it ended."""

    sent: int
    response: bytes
    ended: str  # "answered", "reset", "stalled" (the server stopped reading) or "complete"
    seconds: float

    @property
    def status(self) -> int | None:
        return status_of(self.response)

    @property
    def body(self) -> bytes:
        return self.response.partition(b"\r\n\r\n")[2]


def send_chunked(server: Server, request_head: bytes, pieces: Iterator[bytes], *,
                 limit: float = 120, started: threading.Event | None = None) -> Sent:
    """Send a chunked body made of ``pieces`` (generated as it goes) and read the answer.
    Stops sending as soon as the server answers, closes, or stops reading; bounded by
    ``limit`` seconds in all."""
    begun = time.monotonic()
    deadline = begun + limit
    sock = connect(server)
    sent = 0
    ended = "complete"
    try:
        sock.sendall(request_head)
        for piece in pieces:
            if answered(sock):
                ended = "answered"
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"still sending after {limit} s ({sent} bytes)")
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except (BrokenPipeError, ConnectionResetError):
                ended = "reset"
                break
            except TimeoutError:
                ended = "stalled"
                break
            sent += len(piece)
            if started is not None:
                started.set()
        else:
            sock.sendall(b"0\r\n\r\n")
        response = read_response(sock, max(1.0, deadline - time.monotonic()))
    finally:
        if started is not None:
            started.set()
        sock.close()
    return Sent(sent, response, ended, time.monotonic() - begun)


def filler(total: int, piece: bytes) -> Iterator[bytes]:
    """``total`` bytes as repeats of ``piece``, made lazily (never all in memory)."""
    left = total
    while left > 0:
        yield piece[:left]
        left -= len(piece)


@dataclass
class Reader:
    """Another user reading ``paths`` in turn in a thread (after ``begin`` is set, when given)
    until the block ends; ``times`` holds each request's seconds and status (0: failed)."""

    client: httpx.Client
    paths: list[str]
    begin: threading.Event | None = None
    most: int = 2000
    times: list[tuple[float, int]] = field(default_factory=list)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _run(self) -> None:
        if self.begin is not None:
            self.begin.wait(30)
        for _, path in zip(range(self.most), itertools.cycle(self.paths), strict=False):
            begun = time.monotonic()
            try:
                status = self.client.get(path).status_code
            except httpx.HTTPError:
                status = 0
            self.times.append((time.monotonic() - begun, status))
            if self._done.is_set():
                return

    def __enter__(self) -> Reader:
        self._thread = threading.Thread(target=self._run)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        assert self._thread is not None
        self._thread.join(60)
