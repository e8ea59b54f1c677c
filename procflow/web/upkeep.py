"""Upkeep while the server runs: uploads never imported are deleted (file and record) once they
are a day old, at start and then every ``every`` seconds."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from procflow.web.accounts import UPLOAD_SECONDS, Accounts
from procflow.web.jobs import Jobs

SWEEP_SECONDS = 3600.0
GRACE_SECONDS = 3600.0  # files of no upload younger than this may still be being written
LOG = logging.getLogger("procflow.web")


def sweep_uploads(accounts: Accounts, jobs: Jobs, *, max_age: float = UPLOAD_SECONDS,
                  grace: float = GRACE_SECONDS) -> list[str]:
    """Delete the uploads older than ``max_age`` seconds that no import is waiting for or
    running on; returns their ids."""
    gone = accounts.forget_stale_uploads(max_age, grace=grace, keep=jobs.in_use())
    if gone:
        LOG.info("deleted %d upload(s) not imported within %g h", len(gone), max_age / 3600)
    return gone


async def sweep_forever(accounts: Accounts, jobs: Jobs, *, every: float = SWEEP_SECONDS,
                        max_age: float = UPLOAD_SECONDS) -> None:
    """:func:`sweep_uploads` every ``every`` seconds until cancelled."""
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(sweep_uploads, accounts, jobs, max_age=max_age,
                                    grace=min(GRACE_SECONDS, max_age))
        except Exception:
            LOG.exception("sweeping old uploads failed; trying again in %g s", every)
