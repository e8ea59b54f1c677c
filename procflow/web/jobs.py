"""Imports run on a small pool of worker threads, one queue for the whole server: however many
are started at once, at most ``workers`` read and store at the same time, so that N uploads do
not take N times the memory. The others wait in line, first come first served.

An import started from the page is followed on a progress page that reloads itself every
second (no script): its place in the line, then how far it is, then the import report. An
import over the API waits for its turn and its end without holding a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.exceptions import HTTPException

from procflow.web.errortext import WebError

Phase = Literal["queued", "reading", "storing", "done", "failed"]
KEPT = 200  # finished jobs remembered, newest last
WORKERS = 2
QUEUE_LIMIT = 32  # imports waiting; past it a new one is refused with 503
RETRY_AFTER = 60
IDLE_SECONDS = 60.0
LOG = logging.getLogger("procflow.web")
Work = Callable[["ImportJob"], dict[str, Any]]


@dataclass
class ImportJob:
    """One import: who started it, with which form, and how far it is."""

    wid: str
    user_id: int
    upload_id: str
    form: dict[str, str]
    total: int  # bytes of the uploaded file
    keeps: tuple[str, ...] = ()  # names of other files in the uploads folder it needs
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    read: int = 0  # bytes read so far (uncompressed for gzip files)
    phase: Phase = "queued"
    result: dict[str, Any] | None = None
    error: tuple[int, str] | None = None  # status code and message
    started: float = field(default_factory=time.monotonic)
    began: float | None = None  # when a worker took it
    ended: float | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def progress(self, phase: Literal["reading", "storing"], read: int = 0) -> None:
        """Called by the import: bytes read so far, then the start of storing."""
        self.phase = phase
        self.read = max(self.read, read)

    @property
    def finished(self) -> bool:
        return self.phase in ("done", "failed")

    @property
    def percent(self) -> int:
        """How much of the file has been read (0–100; 100 once it is being stored)."""
        if self.phase == "queued":
            return 0
        if self.phase != "reading":
            return 100
        return min(99, self.read * 100 // max(self.total, 1))

    @property
    def seconds(self) -> int:
        return int(time.monotonic() - self.started)


class ImportJobs:
    """The server's import queue, its ``workers`` threads, and the recent jobs."""

    def __init__(self, workers: int = WORKERS, queue_limit: int = QUEUE_LIMIT) -> None:
        if workers < 1:
            raise ValueError(f"import workers must be at least 1, not {workers}.")
        self.workers = workers
        self.queue_limit = queue_limit
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self._line: deque[tuple[ImportJob, Work]] = deque()
        self._threads: list[threading.Thread] = []

    def start(self, job: ImportJob, work: Work) -> ImportJob:
        """Queue ``work(job)``; its answer becomes ``job.result``, an HTTPException it raises
        ``job.error``. A full queue answers 503 with ``Retry-After``."""
        with self._ready:
            if len(self._line) >= self.queue_limit:
                raise WebError(503, "{n} imports are already waiting; try again in {s} s.",
                               headers={"Retry-After": str(RETRY_AFTER)},
                               n=len(self._line), s=RETRY_AFTER)
            self._jobs[job.id] = job
            self._forget_old()
            self._line.append((job, work))
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._serve, daemon=True,
                                          name=f"import-worker-{len(self._threads) + 1}")
                self._threads.append(thread)
                thread.start()
            self._ready.notify()
        return job

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: ImportJob) -> int:
        """The job's place in the line (1 = next), 0 once a worker has it."""
        with self._lock:
            for place, (waiting, _) in enumerate(self._line, start=1):
                if waiting is job:
                    return place
        return 0

    def in_use(self) -> frozenset[str]:
        """Names (without suffix) of the upload files that unfinished imports need."""
        with self._lock:
            return frozenset(name for job in self._jobs.values() if not job.finished
                             for name in (job.upload_id, *job.keeps))

    async def wait(self, job: ImportJob) -> None:
        """Wait until ``job`` is done or has failed, without holding a thread."""
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not ended.done():
                ended.set_result(None)

        with self._lock:
            if job.finished:
                return
            job._listeners.append(lambda: _call_soon(loop, settle))
        await ended

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if job.finished]
        for key in finished[:max(0, len(self._jobs) - KEPT)]:
            del self._jobs[key]

    def _serve(self) -> None:
        """A worker: takes the next job in line; leaves after :data:`IDLE_SECONDS` without
        one (the next :meth:`start` brings a new worker)."""
        me = threading.current_thread()
        while True:
            with self._ready:
                while not self._line:
                    if not self._ready.wait(IDLE_SECONDS) and not self._line:
                        self._threads.remove(me)
                        return
                job, work = self._line.popleft()
                job.began = time.monotonic()
                job.phase = "reading"
            self._run(job, work)

    def _run(self, job: ImportJob, work: Work) -> None:
        try:
            job.result = work(job)
            phase: Phase = "done"
        except HTTPException as err:
            job.error = (err.status_code, str(err.detail))
            phase = "failed"
        except Exception:
            LOG.exception("import %s failed", job.id)  # nothing is half stored: one transaction
            job.error = (500, "internal error.")
            phase = "failed"
        with self._lock:
            job.ended = time.monotonic()
            job.phase = phase
            listeners, job._listeners = job._listeners, []
        for listener in listeners:
            listener()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run ``callback`` on ``loop`` from another thread (nothing when the loop has closed)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)
