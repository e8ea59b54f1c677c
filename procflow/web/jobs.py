"""Imports and comparisons run on a small pool of worker threads, one queue for the whole
server: however many are started at once, at most ``workers`` run at the same time, so that N
uploads or comparisons do not take N times the memory. The others wait in line, first come
first served.

A job started from the page is followed on a progress page that reloads itself every second
(no script): its place in the line, then how far it is, then the import report or the
comparison. An import over the API waits for its turn and its end without holding a thread.
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
from typing import Any, Literal, TypeVar

from starlette.exceptions import HTTPException

from procflow.web.errortext import WebError

Phase = Literal["queued", "reading", "storing", "figures", "statistics", "drawing", "done",
                "failed"]
KEPT = 200  # finished jobs remembered, newest last
WORKERS = 2
QUEUE_LIMIT = 32  # jobs waiting; past it a new one is refused with 503
RETRY_AFTER = 60
IDLE_SECONDS = 60.0
LOG = logging.getLogger("procflow.web")
Work = Callable[[Any], dict[str, Any]]


@dataclass(kw_only=True)
class Job:
    """One job of a workspace's user: how far it is, and its answer or error."""

    id: str = field(default_factory=lambda: secrets.token_hex(16))
    phase: Phase = "queued"
    result: dict[str, Any] | None = None
    error: tuple[int, str] | None = None  # status code and message
    started: float = field(default_factory=time.monotonic)
    began: float | None = None  # when a worker took it
    ended: float | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def finished(self) -> bool:
        return self.phase in ("done", "failed")

    @property
    def seconds(self) -> int:
        return int(time.monotonic() - self.started)

    @property
    def needs(self) -> tuple[str, ...]:
        """Names (without suffix) of upload files the job reads."""
        return ()


J = TypeVar("J", bound=Job)


@dataclass
class ImportJob(Job):
    """One import: who started it, with which form, and how far it is."""

    wid: str
    user_id: int
    upload_id: str
    form: dict[str, str]
    total: int  # bytes of the uploaded file
    keeps: tuple[str, ...] = ()  # names of other files in the uploads folder it needs
    read: int = 0  # bytes read so far (uncompressed for gzip files)

    def progress(self, phase: Literal["reading", "storing"], read: int = 0) -> None:
        """Called by the import: bytes read so far, then the start of storing."""
        self.phase = phase
        self.read = max(self.read, read)

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.upload_id, *self.keeps)

    @property
    def percent(self) -> int:
        """How much of the file has been read (0–100; 100 once it is being stored)."""
        if self.phase == "queued":
            return 0
        if self.phase != "reading":
            return 100
        return min(99, self.read * 100 // max(self.total, 1))


@dataclass
class ComparisonJob(Job):
    """One comparison started from the page: its form, the side being read, and the
    thousandths of the statistics done."""

    wid: str
    user_id: int
    form: dict[str, str]
    names: list[str] = field(default_factory=list)  # the ticked decision steps
    side: str = "before"
    done: int = 0  # thousandths of the KPIs tested

    def reading(self, side: str) -> None:
        """Called by the comparison when it reads the ``side`` ("before", "after") log."""
        self.phase, self.side = "reading", side

    def stage(self, phase: Literal["figures", "statistics", "drawing"]) -> None:
        """Called by the comparison at the start of each later phase."""
        self.phase = phase

    def tested(self, done: int) -> None:
        """Called by the comparison with the thousandths of the KPIs tested so far."""
        self.phase, self.done = "statistics", done

    @property
    def percent(self) -> int:
        """A rough share of the work done (0–100): reading 0–10, figures 10–50 (the analysis
        of both sides: most of the time on large logs), statistics 50–95, drawing 95."""
        if self.phase == "reading":
            return 0 if self.side == "before" else 5
        return {"queued": 0, "figures": 10, "drawing": 95, "done": 100, "failed": 100}.get(
            self.phase, 50 + self.done * 45 // 1000)


class Jobs:
    """The server's queue of imports and comparisons, its ``workers`` threads, and the recent
    jobs."""

    def __init__(self, workers: int = WORKERS, queue_limit: int = QUEUE_LIMIT) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}.")
        self.workers = workers
        self.queue_limit = queue_limit
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._line: deque[tuple[Job, Work]] = deque()
        self._threads: list[threading.Thread] = []

    def start(self, job: J, work: Callable[[J], dict[str, Any]]) -> J:
        """Queue ``work(job)``; its answer becomes ``job.result``, an HTTPException it raises
        ``job.error``. A full queue answers 503 with ``Retry-After``."""
        with self._ready:
            if len(self._line) >= self.queue_limit:
                raise WebError(503, "{n} imports or comparisons are already waiting; try "
                                    "again in {s} s.",
                               headers={"Retry-After": str(RETRY_AFTER)},
                               n=len(self._line), s=RETRY_AFTER)
            self._jobs[job.id] = job
            self._forget_old()
            self._line.append((job, work))
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._serve, daemon=True,
                                          name=f"worker-{len(self._threads) + 1}")
                self._threads.append(thread)
                thread.start()
            self._ready.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def position(self, job: Job) -> int:
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
                             for name in job.needs)

    async def wait(self, job: Job, timeout: float | None = None) -> None:
        """Wait until ``job`` is done or has failed (at most ``timeout`` seconds), without
        holding a thread."""
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not ended.done():
                ended.set_result(None)

        with self._lock:
            if job.finished:
                return
            job._listeners.append(lambda: _call_soon(loop, settle))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ended, timeout)

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

    def _run(self, job: Job, work: Work) -> None:
        try:
            job.result = work(job)
            phase: Phase = "done"
        except HTTPException as err:
            job.error = (err.status_code, str(err.detail))
            phase = "failed"
        except Exception:
            LOG.exception("%s %s failed", type(job).__name__, job.id)  # nothing is half stored
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
