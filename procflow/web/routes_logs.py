"""Logs: uploading a file, its preview, importing it as a log, and reading a log (overview,
``analysis.json`` and the offline HTML report)."""

import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from procflow.errors import ProcflowError, WorkspaceError
from procflow.i18n import Texts
from procflow.web import service
from procflow.web.deps import (
    CurrentUser,
    User,
    accounts_of,
    check_csrf,
    current_user,
    files_of,
    lang_of,
    member,
    render,
    settings_of,
    texts,
)
from procflow.web.upload import UploadRefused, log_name_from, receive

router = APIRouter()


# helpers -----------------------------------------------------------------------------------
def upload_of(request: Request, wid: str, upload_id: str) -> tuple[dict[str, Any], Path]:
    accounts = accounts_of(request)
    found = accounts.upload(wid, upload_id) if re.fullmatch(
        r"[0-9a-f]{32}", upload_id) else None
    if found is None:
        raise HTTPException(404, "no such upload.")
    return found, accounts.upload_path(upload_id)


def preview_data(request: Request, wid: str, upload_id: str) -> dict[str, Any]:
    found, path = upload_of(request, wid, upload_id)
    try:
        data = service.preview(files_of(request), upload_id, path, found["original_name"])
    except ProcflowError as err:
        raise HTTPException(422, _clean(str(err), path, found["original_name"])) from err
    return {"upload": {"id": upload_id, "name": found["original_name"],
                       "size": found["size"]},
            "log_name": log_name_from(found["original_name"]), **data}


def run_import(request: Request, user: User, wid: str, upload_id: str, form: dict[str, str]
               ) -> dict[str, Any]:
    accounts = accounts_of(request)
    found, path = upload_of(request, wid, upload_id)
    name = form.get("name", "").strip() or log_name_from(found["original_name"])
    if not service.LOG_NAME.match(name):
        raise HTTPException(422, "log names use letters, digits, '.', '_' and '-'.")
    files = files_of(request)
    try:
        headers = service.preview(files, upload_id, path, found["original_name"])["headers"]
        try:
            options = service.import_options(form, headers)
        except ValueError as err:
            raise HTTPException(422, str(err)) from err
        result = service.import_upload(files, accounts.workspace_file(wid), path, name, options)
    except WorkspaceError as err:
        raise HTTPException(409, _clean(str(err), path, found["original_name"])) from err
    except ProcflowError as err:
        raise HTTPException(422, _clean(str(err), path, found["original_name"])) from err
    accounts.remove_upload(upload_id)
    out = service.jsonable(result.to_dict())
    out["source"] = found["original_name"]
    if out.get("report"):
        out["report"]["source"] = found["original_name"]
    return out


def log_data(request: Request, user: User, wid: str, name: str, t: Texts) -> dict[str, Any]:
    found = member(request, user, wid)
    try:
        data = service.overview(files_of(request), accounts_of(request).workspace_file(wid),
                                wid, name, t)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return {"workspace": found, **data}


def analysis_json(request: Request, user: User, wid: str, name: str) -> JSONResponse:
    member(request, user, wid)
    try:
        _, analysis = service.analysis_of(files_of(request),
                                          accounts_of(request).workspace_file(wid), wid, name)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return JSONResponse(analysis.to_dict(), headers={
        "content-disposition": f'attachment; filename="{_file_stem(name)}-analysis.json"'})


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:64] or "log"


def _clean(text: str, path: Path, original_name: str) -> str:
    """An error message with the server's upload path replaced by the client's file name."""
    return text.replace(str(path), original_name)


# uploads and imports -----------------------------------------------------------------------
async def upload(request: Request, wid: str) -> dict[str, Any]:
    user = current_user(request)
    member(request, user, wid)

    def csrf_ok(fields: dict[str, str]) -> bool:
        given = request.headers.get("x-csrf-token") or fields.get("csrf", "")
        return secrets.compare_digest(given.encode(), str(user["csrf"]).encode())

    if not csrf_ok({}) and "x-csrf-token" in request.headers:
        raise HTTPException(403, "missing or wrong CSRF token.")
    member(request, user, wid, "analyst")
    settings = settings_of(request)
    try:
        got = await receive(request.stream(), request.headers.get("content-type", ""),
                            request.headers.get("content-length"),
                            folder=settings.data_dir / "uploads",
                            limit=settings.max_upload_bytes, csrf_ok=csrf_ok)
    except UploadRefused as err:
        raise HTTPException(err.status, err.text) from err
    except MultipartParseError as err:
        raise HTTPException(400, "malformed multipart body.") from err
    await run_in_threadpool(accounts_of(request).add_upload, got.upload_id, wid,
                            int(user["id"]), got.original_name, got.size)
    return {"upload": {"id": got.upload_id, "name": got.original_name, "size": got.size},
            "preview": f"/api/w/{wid}/uploads/{got.upload_id}"}


@router.post("/w/{wid}/upload", include_in_schema=False)
async def upload_page(request: Request, wid: str) -> Response:
    got = await upload(request, wid)
    return RedirectResponse(f"/w/{wid}/uploads/{got['upload']['id']}", status_code=303)


@router.post("/api/w/{wid}/upload", tags=["imports"], status_code=201)
async def api_upload(request: Request, wid: str) -> dict[str, Any]:
    """Upload a file (multipart/form-data, field ``file``; CSRF in ``X-CSRF-Token`` or a
    ``csrf`` field before the file). The body is capped; larger uploads get 413."""
    return await upload(request, wid)


@router.get("/w/{wid}/uploads/{upload_id}", response_class=HTMLResponse,
            include_in_schema=False)
def preview_page(request: Request, wid: str, upload_id: str, user: CurrentUser) -> Response:
    found = member(request, user, wid, "analyst")
    return render(request, "preview.html", workspace=found, error=None, chosen={},
                  **preview_data(request, wid, upload_id))


@router.get("/api/w/{wid}/uploads/{upload_id}", tags=["imports"])
def api_preview(request: Request, wid: str, upload_id: str, user: CurrentUser
                ) -> dict[str, Any]:
    """The first rows of an upload and the suggested column mapping."""
    member(request, user, wid, "analyst")
    return preview_data(request, wid, upload_id)


@router.post("/w/{wid}/uploads/{upload_id}/import", include_in_schema=False)
async def import_page(request: Request, wid: str, upload_id: str) -> Response:
    user = current_user(request)
    found = member(request, user, wid)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, user, form.get("csrf"))
    member(request, user, wid, "analyst")
    try:
        result = await run_in_threadpool(run_import, request, user, wid, upload_id, form)
    except HTTPException as err:
        if err.status_code not in (409, 422):
            raise
        data = await run_in_threadpool(preview_data, request, wid, upload_id)
        return render(request, "preview.html", err.status_code, workspace=found,
                      error=str(err.detail), chosen=form, **data)
    return render(request, "imported.html", workspace=found, result=result)


@router.post("/api/w/{wid}/uploads/{upload_id}/import", tags=["imports"])
def api_import(request: Request, wid: str, upload_id: str, user: CurrentUser,
               body: dict[str, str]) -> dict[str, Any]:
    """Import an upload as a log: ``name``, ``col_case`` … ``col_level`` (source column,
    or empty for none), ``tz`` (Asia/Jakarta, Asia/Makassar, Asia/Jayapura) and
    ``order`` (auto, dayfirst, monthfirst). Answers with the import report."""
    member(request, user, wid)
    check_csrf(request, user)
    member(request, user, wid, "analyst")
    return run_import(request, user, wid, upload_id, body)


# logs --------------------------------------------------------------------------------------
@router.get("/w/{wid}/logs/{name}", response_class=HTMLResponse, include_in_schema=False)
def log_page(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    return render(request, "log.html", **log_data(request, user, wid, name, texts(request)))


@router.get("/api/w/{wid}/logs/{name}", tags=["logs"])
def api_log(request: Request, wid: str, name: str, user: CurrentUser) -> dict[str, Any]:
    """Headline figures of a log and its process map as sanitised SVG."""
    data = log_data(request, user, wid, name, texts(request))
    data["map_svg"] = str(data["map_svg"])
    return data


@router.get("/w/{wid}/logs/{name}/analysis.json", include_in_schema=False)
def analysis_download(request: Request, wid: str, name: str, user: CurrentUser
                      ) -> JSONResponse:
    return analysis_json(request, user, wid, name)


@router.get("/api/w/{wid}/logs/{name}/analysis", tags=["logs"])
def api_analysis(request: Request, wid: str, name: str, user: CurrentUser) -> JSONResponse:
    """The analysis.json contract of a log."""
    return analysis_json(request, user, wid, name)


@router.get("/w/{wid}/logs/{name}/report.html", tags=["logs"])
def report_download(request: Request, wid: str, name: str, user: CurrentUser
                    ) -> HTMLResponse:
    """The full offline HTML report of a log (a download)."""
    member(request, user, wid)
    try:
        html = service.report_html(files_of(request), accounts_of(request).workspace_file(wid),
                                   wid, name, lang_of(request))
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return HTMLResponse(html, headers={
        "content-disposition": f'attachment; filename="{_file_stem(name)}-report.html"'})
