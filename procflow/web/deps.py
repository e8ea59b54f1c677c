"""Request helpers shared by the routers: the app's shared objects, language, templates,
the signed-in user, CSRF and membership checks, and the one shape of error answers.

The shared objects live on ``request.app.state`` (set by :func:`procflow.web.app.create_app`):
``accounts``, ``files``, ``jobs``, ``limiter``, ``templates`` and ``settings``.
"""

import functools
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from procflow.core.i18n import LANGS, Lang, Texts
from procflow.core.zones import zone_label
from procflow.errors import WorkspaceError
from procflow.web import service
from procflow.web.accounts import ROLES, Accounts
from procflow.web.errortext import WebError, localized
from procflow.web.jobs import Jobs
from procflow.web.slices import PanelError
from procflow.web.upload import Received, UploadRefused, receive
from procflow.web.views import LogView

if TYPE_CHECKING:
    from procflow.web.security import LoginLimiter

SESSION_COOKIE = "procflow_session"
LOGIN_COOKIE = "procflow_login"
LANG_COOKIE = "procflow_lang"
RANK: dict[str, int] = {role: i for i, role in enumerate(ROLES)}

User = dict[str, Any]


@dataclass(frozen=True)
class Settings:
    """Per-app settings: the data folder and the upload cap."""

    data_dir: Path
    max_upload_bytes: int


@functools.cache
def environment() -> jinja2.Environment:
    """Jinja2 with autoescaping on and undefined names as errors; every page compiled and the
    number formats of each language loaded when the app starts (once per process), not on
    the first view that needs them."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("procflow", "web/templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["path"] = lambda value: quote(str(value), safe="")
    env.globals["zone_label"] = zone_label
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    for lang in LANGS:
        Texts(lang).number(0.5)
    return env


# shared objects ----------------------------------------------------------------------------
def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def jobs_of(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


def files_of(request: Request) -> service.WorkspaceFiles:
    files: service.WorkspaceFiles = request.app.state.files
    return files


def limiter_of(request: Request) -> "LoginLimiter":
    limiter: LoginLimiter = request.app.state.limiter
    return limiter


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# language and pages ------------------------------------------------------------------------
def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def lang_of(request: Request) -> Lang:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "id"
    return chosen if chosen in LANGS else "id"


def texts(request: Request) -> Texts:
    return Texts(lang_of(request))


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    lang = lang_of(request)
    switch = {code: here(request, lang=code) for code in LANGS}
    values = {"t": Texts(lang), "lang": lang, "csrf": user["csrf"] if user else "",
              "switch": switch, "labels": service.labels(Texts(lang)), **context,
              "user": user}
    env: jinja2.Environment = request.app.state.templates
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


def here(request: Request, **params: str) -> str:
    """This page's address with ``params`` set, as a path (never built from the Host header;
    leading slashes collapsed, so that it cannot point at another host)."""
    raw = request.scope.get("raw_path") or quote(request.url.path).encode()
    path = "/" + raw.decode("latin-1").lstrip("/\\")
    query = request.url.include_query_params(**params).query
    return f"{path}?{query}" if query else path


def error_response(request: Request, code: int, text: str,
                   headers: Mapping[str, str] | None = None) -> Response:
    """The error as JSON (API) or a page, its text in the request's language when it is one
    of the fixed messages."""
    text = localized(text, texts(request))
    if is_api(request):
        return JSONResponse({"error": {"code": code, "message": text}}, status_code=code,
                            headers=headers)
    if code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    response = render(request, "error.html", code, code=code, message=text)
    response.headers.update(headers or {})
    return response


# users and sessions ------------------------------------------------------------------------
def session_user(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    user = accounts_of(request).session(token) if token else None
    request.state.user = user
    return user


def current_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise HTTPException(401, "sign in first.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def log_view(request: Request, query: QueryParams | None = None) -> LogView:
    """The log view asked for in the query string (or ``query``); 422 naming a wrong
    parameter."""
    try:
        return LogView.from_query(request.query_params if query is None else query,
                                  texts(request))
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


def checked_view(request: Request, wid: str, name: str,
                 query: QueryParams | None = None) -> LogView:
    """The log view asked for (in ``query``, default the query string), checked against the
    log: its decision steps are steps of the log, its handoff granularity one the log has and
    its filters' fields and values the log's (else 422); 404 for no such log."""
    view = log_view(request, query)
    if view.case_set:
        ids = service.load_case_set(settings_of(request).data_dir, wid, view.case_set)
        if not ids:
            raise HTTPException(404, texts(request)("no such set of cases."))
        view = replace(view, set_ids=ids)
    path = accounts_of(request).workspace_file(wid)
    try:
        facts = service.log_facts(files_of(request), path, wid, name)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    try:
        service.check_slice(files_of(request), path, wid, name, view, texts(request))
        return view.checked(facts["steps"], facts["granularities"], texts(request))
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


def panel_view(request: Request, wid: str, name: str) -> tuple[LogView, PanelError | None]:
    """The log page's view and the error of its slice: a slice that cannot be applied (its
    filters wrong or leaving no case) is left out, and its error returned for the filter
    panel to show; other errors are 422 as in :func:`checked_view`."""
    try:
        return checked_view(request, wid, name), None
    except HTTPException as err:
        if not isinstance(err.__cause__, PanelError):
            raise
        whole = QueryParams([(k, v) for k, v in request.query_params.multi_items()
                             if k != "f"])
        return checked_view(request, wid, name, whole), err.__cause__


async def receive_file(request: Request, user: User, wid: str, *, folder: Path, limit: int,
                       ready: Callable[[], None] | None = None) -> Received:
    """A streamed file upload to workspace ``wid`` (analyst role), written into ``folder``:
    a CSRF token sent as a header is checked before the body is read, one sent as a form field
    when the parser reaches it; ``ready()`` runs after the role check, before the body is read.
    Refusals become HTTP errors (413, 415, 400, 403)."""
    token = str(user["csrf"]).encode()

    def csrf_ok(fields: dict[str, str]) -> bool:
        given = request.headers.get("x-csrf-token") or fields.get("csrf", "")
        return secrets.compare_digest(given.encode(), token)

    if not csrf_ok({}) and "x-csrf-token" in request.headers:
        raise HTTPException(403, "missing or wrong CSRF token.")
    member(request, user, wid, "analyst")
    if ready is not None:
        await run_in_threadpool(ready)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return await receive(request.stream(), request.headers.get("content-type", ""),
                             request.headers.get("content-length"), folder=folder, limit=limit,
                             csrf_ok=csrf_ok)
    except UploadRefused as err:
        raise HTTPException(err.status, err.text) from err
    except MultipartParseError as err:
        raise HTTPException(400, "malformed multipart body.") from err


def check_csrf(request: Request, user: User, form_token: str | None = None) -> None:
    given = request.headers.get("x-csrf-token") or form_token or ""
    if not secrets.compare_digest(given.encode(), str(user["csrf"]).encode()):
        raise HTTPException(403, "missing or wrong CSRF token.")


def member(request: Request, user: User, wid: str, needs: str = "viewer") -> dict[str, Any]:
    found = accounts_of(request).membership(int(user["id"]), wid) if re.fullmatch(
        r"[0-9a-f]{16}", wid) else None
    if found is None:
        raise HTTPException(404, "no such workspace.")
    if RANK[found["role"]] < RANK[needs]:
        raise WebError(403, "this needs the {role} role in the workspace.",
                       role=service.labels(texts(request))[needs])
    return found


def set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=12 * 3600, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/workspaces"


def need_json(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send JSON (Content-Type: application/json).")


def public_user(user: User) -> dict[str, Any]:
    return {"name": user["name"], "is_admin": bool(user["is_admin"])}
