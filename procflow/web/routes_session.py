"""Public pages, signing in and out, and the first-run setup link."""

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from procflow.web.accounts import SETUP_GONE, AccountError, name_key
from procflow.web.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    User,
    accounts_of,
    check_csrf,
    limiter_of,
    need_json,
    public_user,
    render,
    safe_next,
    session_user,
    set_session,
    texts,
)
from procflow.web.errortext import localized

STATIC = Path(__file__).parent / "static"

router = APIRouter()


# helpers -----------------------------------------------------------------------------------
def login_key(request: Request, name: str) -> tuple[str, str]:
    """The user name's key and the client's address (the socket's, or the one a trusted proxy
    forwarded)."""
    return name_key(name.strip()), request.client.host if request.client else "?"


def do_login(request: Request, name: str, password: str) -> tuple[User, str]:
    limiter, accounts = limiter_of(request), accounts_of(request)
    key = login_key(request, name)
    if limiter.blocked(*key):
        raise HTTPException(429, "too many failed sign-ins for this name or from this address; "
                                 "try again in 15 minutes.")
    user = accounts.verify(name.strip(), password)
    if user is None:
        limiter.failed(*key)
        raise HTTPException(401, "wrong user name or password.")
    limiter.succeeded(*key)
    token, csrf = accounts.create_session(int(user["id"]))
    return {"id": user["id"], "name": user["name"], "is_admin": bool(user["is_admin"]),
            "csrf": csrf}, token


def login_form_token(request: Request) -> str:
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def check_login_form(request: Request, given: str) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), given.encode()):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page.")


def login_page(request: Request, status: int = 200, error: str | None = None,
               next_url: str = "") -> HTMLResponse:
    token = login_form_token(request)
    response = render(request, "login.html", status, error=error, login_token=token,
                      next_url=next_url, no_users=accounts_of(request).user_count() == 0)
    response.set_cookie(LOGIN_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def setup_valid(request: Request, token: str) -> None:
    if not accounts_of(request).setup_token_valid(token):
        raise HTTPException(404, SETUP_GONE)


# public ------------------------------------------------------------------------------------
@router.get("/static/style.css", include_in_schema=False)
def style() -> Response:
    return Response((STATIC / "style.css").read_bytes(), media_type="text/css",
                    headers={"cache-control": "max-age=3600"})


@router.get("/static/map.js", include_in_schema=False)
def map_script() -> Response:
    """The map viewer: pan, zoom and find a step (the page works without it)."""
    return Response((STATIC / "map.js").read_bytes(), media_type="text/javascript",
                    headers={"cache-control": "max-age=3600"})


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/workspaces", status_code=303)


# signing in and out ------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_get(request: Request, next: str = "") -> Response:
    if session_user(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return login_page(request, next_url=next)


@router.post("/login", include_in_schema=False)
def login_post(request: Request, username: Annotated[str, Form()] = "",
               password: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
               next: Annotated[str, Form()] = "") -> Response:
    check_login_form(request, csrf)
    try:
        _, token = do_login(request, username, password)
    except HTTPException as err:
        return login_page(request, err.status_code, localized(str(err.detail), texts(request)),
                          next)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session(request, response, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/api/login", tags=["session"])
def api_login(request: Request, body: dict[str, str]) -> JSONResponse:
    """Sign in; the answer holds the CSRF token to send as ``X-CSRF-Token``."""
    need_json(request)
    user, token = do_login(request, body.get("username", ""), body.get("password", ""))
    response = JSONResponse({"user": public_user(user), "csrf": user["csrf"]})
    set_session(request, response, token)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, user: CurrentUser,
           csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, user, csrf)
    accounts_of(request).end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/api/logout", tags=["session"])
def api_logout(request: Request, user: CurrentUser) -> JSONResponse:
    check_csrf(request, user)
    accounts_of(request).end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/me", tags=["session"])
def api_me(user: CurrentUser) -> dict[str, Any]:
    """The signed-in user and the session's CSRF token."""
    return {"user": public_user(user), "csrf": user["csrf"]}


# first-run setup ---------------------------------------------------------------------------
@router.get("/setup/{token}", response_class=HTMLResponse, include_in_schema=False)
def setup_get(request: Request, token: str) -> Response:
    setup_valid(request, token)
    form_token = login_form_token(request)
    response = render(request, "setup.html", login_token=form_token, error=None)
    response.set_cookie(LOGIN_COOKIE, form_token, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/setup/{token}", include_in_schema=False)
def setup_post(request: Request, token: str, username: Annotated[str, Form()] = "",
               password: Annotated[str, Form()] = "",
               password2: Annotated[str, Form()] = "",
               csrf: Annotated[str, Form()] = "") -> Response:
    setup_valid(request, token)
    check_login_form(request, csrf)
    try:
        if password != password2:
            message = "The two passwords differ; type the same password in both fields."
            raise AccountError(message)
        accounts_of(request).use_setup_token(token, username, password)
    except AccountError as err:
        return render(request, "setup.html", 400, login_token=csrf,
                      error=err.translated(texts(request)))
    _, session = do_login(request, username, password)
    response = RedirectResponse("/workspaces", status_code=303)
    set_session(request, response, session)
    return response


@router.get("/api/setup/{token}", tags=["setup"])
def api_setup_get(request: Request, token: str) -> dict[str, Any]:
    setup_valid(request, token)
    return {"valid": True}


@router.post("/api/setup/{token}", tags=["setup"], status_code=201)
def api_setup_post(request: Request, token: str, body: dict[str, str]) -> dict[str, Any]:
    """Create the first admin with the one-time link printed by ``procflow serve``."""
    need_json(request)
    setup_valid(request, token)
    accounts_of(request).use_setup_token(token, body.get("username", ""),
                                         body.get("password", ""))
    return {"user": {"name": body.get("username", ""), "is_admin": True}}
