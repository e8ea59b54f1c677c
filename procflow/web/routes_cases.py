"""Slices and the cases behind a number: a log's case list (paged, sorted, downloadable), one
case's timeline, the values the filter panel offers, and the workspace's saved views."""

import datetime as dt
import json
import math
import re
import tempfile
from pathlib import Path
from typing import Any, cast, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from procflow.core.i18n import Texts
from procflow.core.zones import tzinfo, zone_label
from procflow.errors import WorkspaceError
from procflow.filters import describe, describe_block, kept_text
from procflow.measure.cases import CaseSort
from procflow.report.cases import case_json, write_case_table
from procflow.web import service, slices
from procflow.web.deps import (
    CurrentUser,
    User,
    accounts_of,
    check_csrf,
    checked_view,
    current_user,
    files_of,
    member,
    render,
    texts,
)
from procflow.web.views import LogView

router = APIRouter()
PAGE_ROWS = 50
SORTS: tuple[str, ...] = get_args(CaseSort)
VIEW_NAME = re.compile(r"^[\w .()+-]{1,64}$")
CASE_FILES = {"cases.csv": "text/csv; charset=utf-8",
              "cases.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _path(request: Request, wid: str) -> Path:
    return accounts_of(request).workspace_file(wid)


def _sort(request: Request, t: Texts) -> CaseSort:
    sort = request.query_params.get("sort") or "cycle"
    if sort not in SORTS:
        raise HTTPException(422, t("Sort: choose one of {choices}.", choices=", ".join(SORTS)))
    return cast(CaseSort, sort)


def _number(request: Request, key: str, t: Texts) -> int | None:
    text = (request.query_params.get(key) or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise HTTPException(422, t("{field}: write a whole number of at least 1.", field=key))
    return int(text)


def filter_words(block: dict[str, Any] | None, t: Texts) -> dict[str, Any] | None:
    """The ``filter`` block of a slice in words: ``kept`` ("x of y cases (z%) …") and
    ``filters``, one phrase each; None for the whole log."""
    if not block:
        return None
    return {"kept": kept_text(block, t), "filters": describe_block(block, t)}


def local_time(value: str | dt.datetime | None, zone: str | None) -> str:
    """``2024-03-01 08:00`` in ``zone`` (an IANA name or ``UTC+07:00``; None: UTC) of an
    ISO text or a datetime."""
    if value is None:
        return "–"
    when = (dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str)
            else value)
    return when.astimezone(tzinfo(zone)).strftime("%Y-%m-%d %H:%M")


def case_rows(request: Request, user: User, wid: str, name: str) -> dict[str, Any]:
    """The case list of the query's view: the page asked for (``page``, PAGE_ROWS rows),
    sorted by ``sort``, only the cases of variant ``variant`` if given."""
    t = texts(request)
    found = member(request, user, wid)
    view = checked_view(request, wid, name)
    sort, page = _sort(request, t), _number(request, "page", t) or 1
    variant = _number(request, "variant", t)
    try:
        listed = service.case_list(files_of(request), _path(request, wid), wid, name, view,
                                   sort)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    frame = listed.table.frame
    if variant is not None:
        frame = frame[frame["variant"] == variant]
    pages = max(1, math.ceil(len(frame) / PAGE_ROWS))
    shown = frame.iloc[(page - 1) * PAGE_ROWS: page * PAGE_ROWS]
    table = type(listed.table)(shown, listed.table.handoff_by, listed.table.layers_by,
                               listed.table.decisions)
    rows = case_json(table, log=name, selection=listed.selection)
    for row in rows["cases"]:
        row.update(arrival_local=local_time(row["arrival"], listed.zone),
                   completion_local=local_time(row["completion"], listed.zone))
    return {"workspace": found, "name": name, "view": view, "sort": sort, "page": page,
            "pages": pages, "variant": variant, "total": len(frame), "zone": listed.zone,
            "zone_note": listed.zone_note,
            "filter": listed.selection, "rows": rows["cases"],
            "columns": [c for c in shown.columns], "words": filter_words(listed.selection, t)}


@router.get("/w/{wid}/logs/{name}/cases", response_class=HTMLResponse, include_in_schema=False)
def cases_page(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    data = case_rows(request, user, wid, name)
    return render(request, "cases.html", **data, sorts=SORTS, zone_name=zone_label(data["zone"]))


@router.get("/api/w/{wid}/logs/{name}/cases", tags=["cases"])
def api_cases(request: Request, wid: str, name: str, user: CurrentUser) -> dict[str, Any]:
    """The cases of a log's slice, one object per case (id, arrival, completion, cycle time,
    events, variant rank, handoffs, layers, ping-pongs, decision latency, case attributes),
    ``PAGE_ROWS`` a page. Query: the log page's parameters (``f``: the filters as JSON;
    ``calendar``, ``decision``, ``handoff``), ``sort`` (cycle, events, handoffs, layers,
    latency: largest first), ``page`` and ``variant`` (only the cases of the variant of that
    rank)."""
    data = case_rows(request, user, wid, name)
    data.pop("workspace")
    view = data.pop("view")
    data["f"] = view.filters or None
    out: dict[str, Any] = service.jsonable(data)
    return out


@router.get("/w/{wid}/logs/{name}/cases.csv", include_in_schema=False)
def cases_csv(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    return cases_download(request, user, wid, name, "cases.csv")


@router.get("/w/{wid}/logs/{name}/cases.xlsx", include_in_schema=False)
def cases_xlsx(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    return cases_download(request, user, wid, name, "cases.xlsx")


def cases_download(request: Request, user: User, wid: str, name: str, what: str
                   ) -> Response:
    """The case list of the view as ``cases.csv`` or ``cases.xlsx``."""
    member(request, user, wid)
    view = checked_view(request, wid, name)
    try:
        listed = service.case_list(files_of(request), _path(request, wid), wid, name, view,
                                   _sort(request, texts(request)))
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    with tempfile.TemporaryDirectory() as tmp:
        out = write_case_table(listed.table, Path(tmp) / what, log=name,
                               selection=listed.selection, lang=texts(request).lang)
        body = out.read_bytes()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:64] or "log"
    return Response(body, media_type=CASE_FILES[what], headers={
        "content-disposition": f'attachment; filename="{stem}-{what}"'})


def one_case(request: Request, user: User, wid: str, name: str, case_id: str
             ) -> dict[str, Any]:
    found = member(request, user, wid)
    view = checked_view(request, wid, name)
    try:
        data = service.case_page(files_of(request), _path(request, wid), wid, name, case_id,
                                 view, texts(request))
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return {"workspace": found, "name": name, "case_id": case_id, "view": view, **data}


@router.get("/w/{wid}/logs/{name}/cases/{case_id:path}", response_class=HTMLResponse,
            include_in_schema=False)
def case_page(request: Request, wid: str, name: str, case_id: str, user: CurrentUser
              ) -> Response:
    data = one_case(request, user, wid, name, case_id)
    return render(request, "case.html", **data, local=local_time,
                  zone_name=zone_label(data["zone"]))


@router.get("/api/w/{wid}/logs/{name}/cases/{case_id:path}", tags=["cases"])
def api_case(request: Request, wid: str, name: str, case_id: str, user: CurrentUser
             ) -> dict[str, Any]:
    """One case step by step: each activity instance with its resource, role, unit, level,
    start and completion (UTC), waiting, processing and elapsed seconds, and whether it is a
    decision step; ``svg`` is its Gantt chart (sanitised)."""
    data = one_case(request, user, wid, name, case_id)
    data.pop("workspace")
    data.pop("view")
    data["svg"] = str(data["svg"])
    out: dict[str, Any] = service.jsonable(data)
    return out


@router.get("/api/w/{wid}/logs/{name}/values", tags=["cases"])
def api_values(request: Request, wid: str, name: str, user: CurrentUser) -> dict[str, Any]:
    """What the filter panel offers: the log's ``fields`` (canonical ones it fills, then
    ``attr:`` attributes) and the values of ``field`` (default activity) containing ``q``
    (case-insensitive), most cases first, at most ``MAX_VALUES``; ``total`` counts all that
    match."""
    member(request, user, wid)
    query = request.query_params
    try:
        return service.slice_facts(files_of(request), _path(request, wid), wid, name,
                                   query.get("field") or "activity",
                                   (query.get("q") or "").strip()[:100])
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err


# saved views -------------------------------------------------------------------------------
def saved_views(request: Request, wid: str, t: Texts) -> list[dict[str, Any]]:
    """The workspace's saved views, each with its filters in words."""
    out = []
    for row in accounts_of(request).saved_views(wid):
        view = LogView(filters=row["filters"])
        out.append({**row, "slice": view.filter_list,
                    "words": [describe(item, t) for item in view.filter_list]})
    return out


def save_view(request: Request, user: User, wid: str, name: str, filters: str) -> str:
    """Store ``filters`` (JSON) as the view ``name`` (analyst role); returns the name."""
    t = texts(request)
    member(request, user, wid, "analyst")
    name = name.strip()
    if not VIEW_NAME.fullmatch(name):
        raise HTTPException(422, t("View name: use 1 to 64 letters, digits, spaces or . ( ) "
                                   "+ - _."))
    try:
        text = slices.canonical(filters, t)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err
    if not text:
        raise HTTPException(422, t("View name: set a filter first; a view is a slice of the "
                                   "log."))
    accounts_of(request).save_view(wid, name, text, int(user["id"]))
    return name


@router.post("/w/{wid}/views", include_in_schema=False)
async def save_view_page(request: Request, wid: str) -> Response:
    user = current_user(request)
    member(request, user, wid)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, user, form.get("csrf"))
    await run_in_threadpool(save_view, request, user, wid, form.get("name", ""),
                            form.get("f", ""))
    return _back(form, wid)


@router.post("/w/{wid}/views/delete", include_in_schema=False)
async def delete_view_page(request: Request, wid: str) -> Response:
    user = current_user(request)
    member(request, user, wid)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, user, form.get("csrf"))
    member(request, user, wid, "analyst")
    accounts_of(request).remove_view(wid, form.get("name", ""))
    return _back(form, wid)


@router.get("/api/w/{wid}/views", tags=["views"])
def api_views(request: Request, wid: str, user: CurrentUser) -> dict[str, Any]:
    """The workspace's saved views: ``name``, ``filters`` (JSON text, the ``f`` parameter of
    the log pages), who saved it and when."""
    member(request, user, wid)
    return {"views": [{k: v for k, v in row.items() if k not in ("words", "slice")}
                      for row in saved_views(request, wid, texts(request))]}


@router.post("/api/w/{wid}/views", tags=["views"], status_code=201)
def api_save_view(request: Request, wid: str, user: CurrentUser, body: dict[str, Any]
                  ) -> dict[str, Any]:
    """Save a view (analyst role; CSRF in ``X-CSRF-Token``): ``name`` and ``filters`` (a
    list of filter objects, or their JSON text); a view of the same name is replaced."""
    member(request, user, wid)
    check_csrf(request, user)
    filters = body.get("filters")
    text = filters if isinstance(filters, str) else json.dumps(filters, ensure_ascii=False)
    return {"saved": save_view(request, user, wid, str(body.get("name", "")), text)}


@router.delete("/api/w/{wid}/views/{name}", tags=["views"])
def api_delete_view(request: Request, wid: str, name: str, user: CurrentUser
                    ) -> dict[str, Any]:
    """Delete a saved view (analyst role; CSRF in ``X-CSRF-Token``)."""
    member(request, user, wid)
    check_csrf(request, user)
    member(request, user, wid, "analyst")
    if not accounts_of(request).remove_view(wid, name):
        raise HTTPException(404, "no such view.")
    return {"removed": name}


def _back(form: dict[str, str], wid: str) -> Response:
    """Back to the page the form came from, when it is a page of this workspace."""
    back = form.get("back", "")
    return RedirectResponse(back if back.startswith(f"/w/{wid}/") else f"/w/{wid}",
                            status_code=303)
