"""Imports started from the web page run in the background, so that the page can show how far
they are: it reloads itself every second (no script) until the import report is ready."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.exceptions import HTTPException

Phase = Literal["reading", "storing", "done", "failed"]
KEPT = 200  # finished jobs remembered, newest last
LOG = logging.getLogger("procflow.web")


@dataclass
class ImportJob:
    """One import: who started it, with which form, and how far it is."""

    wid: str
    user_id: int
    upload_id: str
    form: dict[str, str]
    total: int  # bytes of the uploaded file
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    read: int = 0  # bytes read so far (uncompressed for gzip files)
    phase: Phase = "reading"
    result: dict[str, Any] | None = None
    error: tuple[int, str] | None = None  # status code and message
    started: float = field(default_factory=time.monotonic)

    def progress(self, phase: Literal["reading", "storing"], read: int = 0) -> None:
        """Called by the import: bytes read so far, then the start of storing."""
        self.phase = phase
        self.read = max(self.read, read)

    @property
    def percent(self) -> int:
        """How much of the file has been read (0–100; 100 once it is being stored)."""
        if self.phase != "reading":
            return 100
        return min(99, self.read * 100 // max(self.total, 1))

    @property
    def seconds(self) -> int:
        return int(time.monotonic() - self.started)


class ImportJobs:
    """The app's running and recently finished imports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()

    def start(self, job: ImportJob, work: Callable[[ImportJob], dict[str, Any]]) -> ImportJob:
        """Run ``work(job)`` in a thread; its answer becomes ``job.result``, an HTTPException
        it raises ``job.error``."""
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job, work), daemon=True,
                         name=f"import-{job.id[:8]}").start()
        return job

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    @staticmethod
    def _run(job: ImportJob, work: Callable[[ImportJob], dict[str, Any]]) -> None:
        try:
            job.result = work(job)
            job.phase = "done"
        except HTTPException as err:
            job.error = (err.status_code, str(err.detail))
            job.phase = "failed"
        except Exception:
            LOG.exception("import %s failed", job.id)  # nothing is half stored: one transaction
            job.error = (500, "internal error.")
            job.phase = "failed"
