"""The procflow web app: FastAPI, server-rendered pages, and a JSON twin under ``/api``.

Every page needs a signed-in user (else: redirect to the login page, or 401 on the API); a
workspace the user does not belong to answers 404. State-changing requests carry the session's
CSRF token (form field ``csrf`` or header ``X-CSRF-Token``). API errors have one shape:
``{"error": {"code": int, "message": str}}``.

This module builds the app; the routes live in ``routes_session``, ``routes_workspaces``,
``routes_logs``, ``routes_comparing`` (comparisons started from the page, and their progress),
``routes_results`` (comparisons, conformance, downloads) and ``routes_explain`` (why a log's
target is slow), the helpers they share in ``deps``, the middleware in ``security`` (body caps
in ``limits``), the queue of imports and comparisons in ``jobs`` and the sweeping of old
uploads in ``upkeep``.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from procflow.errors import InputError
from procflow.web import (
    results,
    routes_cases,
    routes_comparing,
    routes_explain,
    routes_logs,
    routes_results,
    routes_session,
    routes_workspaces,
    service,
    upkeep,
)
from procflow.web.accounts import UPLOAD_SECONDS, AccountError, Accounts
from procflow.web.deps import Settings, environment, error_response, texts
from procflow.web.errortext import WebError, error_text
from procflow.web.jobs import WORKERS, Jobs
from procflow.web.limits import BodyLimits
from procflow.web.security import Guard, LoginLimiter, MiB


def create_app(data_dir: Path, *, max_upload_bytes: int = 200 * MiB,
               import_workers: int = WORKERS, trusted_proxies: Sequence[str] = (),
               body_timeout: float = 30.0, upload_max_age: float = UPLOAD_SECONDS,
               sweep_every: float = upkeep.SWEEP_SECONDS,
               answer_within: float = routes_comparing.ANSWER_WITHIN) -> FastAPI:
    """The web app serving the accounts and workspaces under ``data_dir``.

    ``import_workers`` imports or comparisons run at once (the others wait in line); a
    comparison posted from the page that takes longer than ``answer_within`` seconds answers
    with its progress page; ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` are believed only from the addresses or networks in
    ``trusted_proxies``; a request body that brings nothing for ``body_timeout`` seconds is
    refused (408); uploads not imported within ``upload_max_age`` seconds are deleted, at
    start and every ``sweep_every`` seconds."""
    accounts = Accounts(Path(data_dir))
    files = service.WorkspaceFiles()
    jobs = Jobs(import_workers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sweeping = asyncio.create_task(upkeep.sweep_forever(
            accounts, jobs, every=sweep_every, max_age=upload_max_age))
        try:
            yield
        finally:
            sweeping.cancel()
            files.close()

    app = FastAPI(title="procflow", summary="Process mining for public-service reform",
                  docs_url=None, redoc_url=None, lifespan=lifespan, redirect_slashes=False)
    app.state.accounts = accounts
    app.state.files = files
    app.state.jobs = jobs
    app.state.answer_within = answer_within
    app.state.limiter = LoginLimiter()
    app.state.templates = environment()
    app.state.settings = Settings(data_dir=Path(data_dir), max_upload_bytes=max_upload_bytes)
    app.add_middleware(Guard, limits=BodyLimits(upload=max_upload_bytes, stall=body_timeout))
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))
    upkeep.sweep_uploads(accounts, jobs, max_age=upload_max_age, grace=0.0)
    results.index_stored(accounts, Path(data_dir))
    app.exception_handler(HTTPException)(http_error)
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(AccountError)(account_error)
    app.exception_handler(InputError)(input_error)
    app.exception_handler(Exception)(server_error)
    app.include_router(routes_session.router)
    app.include_router(routes_workspaces.router)
    app.include_router(routes_logs.router)
    app.include_router(routes_comparing.router)
    app.include_router(routes_results.router)
    app.include_router(routes_cases.router)
    app.include_router(routes_explain.router)
    return app


# errors ------------------------------------------------------------------------------------
async def http_error(request: Request, exc: HTTPException) -> Response:
    text = exc.translated(texts(request)) if isinstance(exc, WebError) else str(exc.detail)
    return error_response(request, exc.status_code, text, exc.headers)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                      for e in exc.errors())
    return error_response(request, 422, texts(request)("invalid request: {where}", where=where))


async def account_error(request: Request, exc: AccountError) -> Response:
    return error_response(request, 400, exc.translated(texts(request)))


async def input_error(request: Request, exc: InputError) -> Response:
    return error_response(request, 422, error_text(exc, texts(request)))


async def server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": {"code": 500, "message": "internal error."}},
                        status_code=500)
