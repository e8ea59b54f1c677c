"""Workspaces: the list, creating one, a workspace's page (logs, stored results, members),
and granting and removing roles."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from procflow.web import results, service
from procflow.web.accounts import ROLES, LastAdminError, name_key
from procflow.web.deps import (
    CurrentUser,
    User,
    accounts_of,
    check_csrf,
    files_of,
    member,
    public_user,
    render,
    texts,
)

router = APIRouter()


# helpers -----------------------------------------------------------------------------------
def workspaces_data(request: Request, user: User) -> dict[str, Any]:
    """The user's workspaces; for a site administrator also the ``others`` they are not in."""
    accounts = accounts_of(request)
    mine = accounts.workspaces_of(int(user["id"]))
    names = {w["name"] for w in mine}
    others = [n for n in accounts.workspace_names() if n not in names] \
        if user["is_admin"] else []
    return {"user": public_user(user), "workspaces": mine, "others": others}


def workspace_data(request: Request, user: User, wid: str) -> dict[str, Any]:
    accounts = accounts_of(request)
    found = member(request, user, wid)
    logs = service.list_logs(files_of(request), accounts.workspace_file(wid))
    return {"workspace": found, "logs": logs,
            "results": results.listing(accounts, wid, texts(request)),
            "members": accounts.members(wid), "roles": list(ROLES)}


def create_workspace(request: Request, user: User, name: str) -> str:
    if not user["is_admin"]:
        raise HTTPException(403, "only administrators create workspaces.")
    return accounts_of(request).add_workspace(name.strip(), admin_user_id=int(user["id"]))


def grant(request: Request, user: User, wid: str, name: str, role: str,
          form_token: str | None = None) -> None:
    member(request, user, wid)
    check_csrf(request, user, form_token)
    member(request, user, wid, "admin")
    try:
        accounts_of(request).grant(wid, name.strip(), role)
    except LastAdminError as err:
        raise HTTPException(409, str(err)) from err


def revoke(request: Request, user: User, wid: str, name: str,
           form_token: str | None = None) -> None:
    """Remove a member from the workspace (workspace admins); 404 for a non-member, 409 for
    the last admin."""
    member(request, user, wid)
    check_csrf(request, user, form_token)
    member(request, user, wid, "admin")
    try:
        removed = accounts_of(request).revoke(wid, name)
    except LastAdminError as err:
        raise HTTPException(409, str(err)) from err
    if not removed:
        raise HTTPException(404, "no such member.")


# workspaces --------------------------------------------------------------------------------
@router.get("/workspaces", response_class=HTMLResponse, include_in_schema=False)
def workspaces_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "workspaces.html", **workspaces_data(request, user))


@router.get("/api/workspaces", tags=["workspaces"])
def api_workspaces(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The workspaces the user belongs to, with their role in each."""
    return workspaces_data(request, user)


@router.post("/workspaces", include_in_schema=False)
def workspaces_post(request: Request, user: CurrentUser,
                    name: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
                    ) -> Response:
    check_csrf(request, user, csrf)
    wid = create_workspace(request, user, name)
    return RedirectResponse(f"/w/{wid}", status_code=303)


@router.post("/api/workspaces", tags=["workspaces"], status_code=201)
def api_workspaces_post(request: Request, user: CurrentUser,
                        body: dict[str, str]) -> dict[str, Any]:
    """Create a workspace (administrators); its creator becomes its admin."""
    check_csrf(request, user)
    wid = create_workspace(request, user, body.get("name", ""))
    return {"workspace": accounts_of(request).membership(int(user["id"]), wid)}


@router.get("/w/{wid}", response_class=HTMLResponse, include_in_schema=False)
def workspace_page(request: Request, wid: str, user: CurrentUser) -> Response:
    return render(request, "workspace.html", **workspace_data(request, user, wid))


@router.get("/api/w/{wid}", tags=["workspaces"])
def api_workspace(request: Request, wid: str, user: CurrentUser) -> dict[str, Any]:
    """A workspace's logs, stored comparisons and checks (newest first), and members."""
    return workspace_data(request, user, wid)


# members -----------------------------------------------------------------------------------
@router.post("/w/{wid}/members", include_in_schema=False)
def members_post(request: Request, wid: str, user: CurrentUser,
                 username: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                 csrf: Annotated[str, Form()] = "") -> Response:
    grant(request, user, wid, username, role, csrf)
    return RedirectResponse(f"/w/{wid}", status_code=303)


@router.post("/api/w/{wid}/members", tags=["workspaces"])
def api_members_post(request: Request, wid: str, user: CurrentUser,
                     body: dict[str, str]) -> dict[str, Any]:
    """Give a user a role in the workspace (workspace admins)."""
    grant(request, user, wid, body.get("username", ""), body.get("role", ""))
    return {"members": accounts_of(request).members(wid)}


@router.post("/w/{wid}/members/{username}/remove", include_in_schema=False)
def member_remove_post(request: Request, wid: str, username: str, user: CurrentUser,
                       csrf: Annotated[str, Form()] = "") -> Response:
    revoke(request, user, wid, username, csrf)
    target = "/workspaces" if name_key(username) == name_key(user["name"]) else f"/w/{wid}"
    return RedirectResponse(target, status_code=303)


@router.delete("/api/w/{wid}/members/{username}", tags=["workspaces"])
def api_member_delete(request: Request, wid: str, username: str, user: CurrentUser
                      ) -> dict[str, Any]:
    """Remove a user from the workspace (workspace admins; the user account stays). The
    last admin of a workspace cannot be removed (409)."""
    revoke(request, user, wid, username)
    return {"removed": username}
