"""Logs: uploading a file, its preview, importing it as a log, and reading a log (overview,
``analysis.json`` and the offline HTML report)."""

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.exceptions import HTTPException

from procflow import mine
from procflow.core.i18n import Texts
from procflow.errors import InputError, ProcflowError, WorkspaceError
from procflow.filters import PERIOD_MODES, describe
from procflow.filters.spec import Ends
from procflow.measure.decisions import warning_text
from procflow.measure.ends import open_cases_text
from procflow.measure.precision import precision_texts
from procflow.web import routes_explain, service, slices, views
from procflow.web.deps import (
    CurrentUser,
    User,
    accounts_of,
    check_csrf,
    checked_view,
    current_user,
    files_of,
    jobs_of,
    lang_of,
    member,
    panel_view,
    receive_file,
    render,
    settings_of,
    texts,
)
from procflow.web.errortext import error_text, note_texts
from procflow.web.jobs import ImportJob
from procflow.web.limits import ORGCHART_LIMIT
from procflow.web.routes_cases import filter_words, saved_views
from procflow.web.upload import log_name_from

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
        raise HTTPException(422, error_text(err, texts(request),
                                            {path: found["original_name"]})) from err
    return {"upload": {"id": upload_id, "name": found["original_name"],
                       "size": found["size"]},
            "log_name": log_name_from(found["original_name"]), **data}


def run_import(request: Request, user: User, wid: str, upload_id: str, form: dict[str, str],
               orgchart: tuple[Path, str] | None = None,
               progress: service.ImportProgress | None = None) -> dict[str, Any]:
    """Import an upload with the mapping in ``form``; ``orgchart`` is an org chart file and its
    name as the user knows it, or the API's ``orgchart`` field names an earlier upload."""
    accounts = accounts_of(request)
    found, path = upload_of(request, wid, upload_id)
    name = form.get("name", "").strip() or log_name_from(found["original_name"])
    t = texts(request)
    if not service.LOG_NAME.match(name):
        raise HTTPException(422, error_text(ProcflowError(
            "log names use letters, digits, '.', '_' and '-'.", code="bad_name"), t))
    chart_upload = form.get("orgchart", "").strip()
    if orgchart is None and chart_upload:
        chart_found, chart_path = upload_of(request, wid, chart_upload)
        orgchart = (chart_path, chart_found["original_name"])
    files = files_of(request)
    shown = {path: found["original_name"], **({orgchart[0]: orgchart[1]} if orgchart else {})}
    try:
        headers = service.preview(files, upload_id, path, found["original_name"])["headers"]
        options = service.import_options(form, headers)
        if orgchart:
            options = replace(options, orgchart=orgchart[0])
        result = service.import_upload(files, accounts.workspace_file(wid), path, name, options,
                                       progress, original_name=found["original_name"])
    except WorkspaceError as err:
        raise HTTPException(409, error_text(err, t, shown)) from err
    except ProcflowError as err:
        raise HTTPException(422, error_text(err, t, shown)) from err
    accounts.remove_upload(upload_id)
    if chart_upload:
        accounts.remove_upload(chart_upload)
    out = service.jsonable(result.to_dict())
    out["source"] = found["original_name"]
    if out.get("report"):
        out["report"]["source"] = found["original_name"]
    if orgchart:
        out["orgchart"] = orgchart[1]
    return out


def log_data(request: Request, user: User, wid: str, name: str, t: Texts,
             link: Callable[[str, str | None], str] | None = None,
             view: views.LogView | None = None) -> dict[str, Any]:
    found = member(request, user, wid)
    view = view or checked_view(request, wid, name)
    try:
        data = service.overview(files_of(request), accounts_of(request).workspace_file(wid),
                                wid, name, t, view, link)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return {"workspace": found, "view": view, **data}


def analysis_json(request: Request, user: User, wid: str, name: str) -> JSONResponse:
    member(request, user, wid)
    view = checked_view(request, wid, name)
    try:
        _, analysis = service.analysis_of(files_of(request),
                                          accounts_of(request).workspace_file(wid), wid, name,
                                          view)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return JSONResponse(analysis.to_dict(), headers={
        "content-disposition": f'attachment; filename="{_file_stem(name)}-analysis.json"'})


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:64] or "log"


# uploads and imports -----------------------------------------------------------------------
async def upload(request: Request, wid: str) -> dict[str, Any]:
    user = current_user(request)
    member(request, user, wid)
    settings = settings_of(request)
    got = await receive_file(request, user, wid, folder=settings.data_dir / "uploads",
                             limit=settings.max_upload_bytes)
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
    """Start importing an upload with the form's mapping; the progress page follows."""
    user = current_user(request)
    member(request, user, wid)
    async with request.form() as fields:
        form = {k: v for k, v in fields.items() if isinstance(v, str)}
        check_csrf(request, user, form.get("csrf"))
        member(request, user, wid, "analyst")
        _, path = await run_in_threadpool(upload_of, request, wid, upload_id)
        form.pop("orgchart", None)  # on the page it is a file, never an upload id
        chart = fields.get("orgchart")
        try:
            kept = (await service.keep_orgchart(settings_of(request).data_dir, chart,
                                                ORGCHART_LIMIT)
                    if isinstance(chart, StarletteUpload) and chart.filename else None)
        except ValueError as err:
            raise HTTPException(413, str(err)) from err

    def work(job: ImportJob) -> dict[str, Any]:
        try:
            return run_import(request, user, wid, upload_id, form, kept, job.progress)
        finally:
            if kept:
                kept[0].unlink(missing_ok=True)

    try:
        job = jobs_of(request).start(ImportJob(
            wid, int(user["id"]), upload_id, form, path.stat().st_size,
            keeps=(kept[0].stem,) if kept else ()), work)
    except HTTPException:
        if kept:
            kept[0].unlink(missing_ok=True)
        raise
    return RedirectResponse(f"/w/{wid}/imports/{job.id}", status_code=303)


@router.get("/w/{wid}/imports/{job_id}", response_class=HTMLResponse, include_in_schema=False)
async def import_progress_page(request: Request, wid: str, job_id: str, user: CurrentUser
                               ) -> Response:
    """An import started from the page: its place in the line, its progress (the page reloads
    itself every second) until the import report, or the mapping form again with the reason
    it failed."""
    found = member(request, user, wid)
    jobs = jobs_of(request)
    job = jobs.get(job_id)
    if not isinstance(job, ImportJob) or job.wid != wid or job.user_id != int(user["id"]):
        raise HTTPException(404, "no such import.")
    if job.phase == "done":
        report = (job.result or {}).get("report") or {}
        return render(request, "imported.html", workspace=found, result=job.result,
                      notes=note_texts(report, texts(request)))
    if job.phase == "failed":
        assert job.error is not None
        status, text = job.error
        if status not in (409, 422):
            raise HTTPException(status, text)
        data = await run_in_threadpool(preview_data, request, wid, job.upload_id)
        return render(request, "preview.html", status, workspace=found, error=text,
                      chosen=job.form, **data)
    return render(request, "importing.html", workspace=found, job=job,
                  position=jobs.position(job), workers=jobs.workers)


@router.post("/api/w/{wid}/uploads/{upload_id}/import", tags=["imports"])
async def api_import(request: Request, wid: str, upload_id: str, user: CurrentUser,
                     body: dict[str, str]) -> dict[str, Any]:
    """Import an upload as a log: ``name``, ``col_case`` … ``col_level`` (source column,
    or empty for none), ``tz`` (Asia/Jakarta, Asia/Makassar, Asia/Jayapura),
    ``order`` (auto, dayfirst, monthfirst) and ``orgchart`` (the id of another upload: an org
    chart CSV giving resources their role, level and unit). Imports take turns with those
    started from the page (``--import-workers`` at a time): the answer comes when this one is
    done, with the import report; 503 with ``Retry-After`` when too many are waiting."""
    member(request, user, wid)
    check_csrf(request, user)
    member(request, user, wid, "analyst")
    _, path = await run_in_threadpool(upload_of, request, wid, upload_id)
    form = {str(k): str(v) for k, v in body.items()}
    chart = form.get("orgchart", "").strip()

    def work(job: ImportJob) -> dict[str, Any]:
        return run_import(request, user, wid, upload_id, form, None, job.progress)

    jobs = jobs_of(request)
    job = jobs.start(ImportJob(wid, int(user["id"]), upload_id, form, path.stat().st_size,
                               keeps=(chart,) if chart else ()), work)
    await jobs.wait(job)
    if job.error is not None:
        raise HTTPException(*job.error)
    assert job.result is not None
    return job.result


# logs --------------------------------------------------------------------------------------
@router.get("/w/{wid}/logs/{name}", response_class=HTMLResponse, include_in_schema=False)
def log_page(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    """The log page; a filter the panel cannot apply (a wrong value, or no case left) shows
    the page again with the message beside the panel's field (status 422), the log as it was
    before that filter, or whole if the address's own filters are wrong."""
    t = texts(request)
    query = request.query_params
    member(request, user, wid)
    view, problem = panel_view(request, wid, name)
    whole = problem is not None
    if problem is None and (query.get("add") or query.get("drop")):
        try:
            return RedirectResponse(sliced_address(request, wid, name, view, t),
                                    status_code=303)
        except slices.PanelError as err:
            problem = err
    if problem is None:
        kept = kept_settings(request, user, wid, name)
        if kept is not None:
            return RedirectResponse(kept, status_code=303)
    links = views.CaseLinks(f"/w/{wid}/logs/{quote(name, safe='')}", view)
    finds = ((query.get("h_find") or "").strip()[:100], (query.get("l_find") or "").strip()[:100])
    data = log_data(request, user, wid, name, t, links.map_link, view)
    body = service.sections(files_of(request), accounts_of(request).workspace_file(wid), wid,
                            name, t, view, links)
    facts = service.log_facts(files_of(request), accounts_of(request).workspace_file(wid), wid,
                              name)
    return render(request, "log.html", 422 if problem else 200, **data, sections=body,
                  panel_error=problem, asked=query if problem else {},
                  panel_whole=whole, profiles=views.PROFILES,
                  percents=views.PERCENTS, zooms=views.ZOOMS,
                  calendars=service.calendar_names(t),
                  granularities=facts["granularities"],
                  time_warnings=precision_texts(facts["precise"], t, facts["zone"]),
                  open_text=open_cases_text(data["open_cases"], t) if data["open_cases"]
                  else None,
                  completed_query=None if not data["open_cases"] else view.sliced(
                      [*view.filter_list, Ends("ends_with", tuple(data["open_cases"]["ends"]))]
                  ).query(),
                  picker=service.step_picker(facts["steps"], data["suggestions"],
                                             data["decisions"], view.find, t),
                  decision_warnings=[warning_text(w, t, "web") for w in data["warnings"]],
                  fall_through_limit=mine.FALL_THROUGH_ACTIVITIES,
                  why_slow=routes_explain.why_slow_links(request, wid, name, view, t),
                  panel=service.slice_facts(files_of(request),
                                            accounts_of(request).workspace_file(wid), wid,
                                            name, query.get("v_field") or "activity",
                                            (query.get("v_find") or "").strip()[:100]),
                  choices=service.slice_choices(
                      files_of(request), accounts_of(request).workspace_file(wid), wid, name,
                      choice_by(query.get("h_by"), view.handoff, facts["granularities"]),
                      view.decisions, finds),
                  finds=dict(zip(("h_find", "l_find"), finds, strict=True)),
                  panel_open=bool(query.get("v_field") or query.get("v_find") or problem
                                  or query.get("h_find") or query.get("l_find")
                                  or query.get("h_by")),
                  request_find=query.get("v_find") or "", all_steps=facts["steps"],
                  words=filter_words(data["filter"], t), period_modes=PERIOD_MODES,
                  saved=saved_views(request, wid, t), labels_of=slices.field_labels(t),
                  restored=query.get(views.RESTORED) == "1", open_fitted="zoom" not in query,
                  shown_filters=[(describe(item, t), view.sliced(
                      [f for j, f in enumerate(view.filter_list) if j != i]).query())
                      for i, item in enumerate(view.filter_list)])


def choice_by(asked: str | None, setting: str | None, granularities: list[str]
              ) -> str | None:
    """The granularity whose handoff pairs the filter panel offers: the one ``asked`` for,
    else the page's setting, else the first the log has (None: it has none)."""
    for by in (asked, setting):
        if by in granularities:
            return by
    return granularities[0] if granularities else None


def kept_settings(request: Request, user: User, wid: str, name: str) -> str | None:
    """Where a browser's log page opened without settings (:data:`views.SETTING_KEYS`) goes:
    the address of ``user``'s last settings of the log (marked restored, other parameters such
    as ``lang`` kept) when they still fit it, else None. Opened with settings, or from the
    log page itself, they are kept as the last ones (``reset`` forgets them)."""
    member(request, user, wid)
    accounts = accounts_of(request)
    query = request.query_params
    base = f"/w/{wid}/logs/{quote(name, safe='')}"
    others = [(k, v) for k, v in query.multi_items()
              if k not in views.SETTING_KEYS | {views.RESTORED, "reset"}]
    if query.get("reset"):
        accounts.keep_settings(int(user["id"]), wid, name, "")
        return f"{base}?{urlencode(others)}" if others else base
    # a link or form of the log page itself that leads to the defaults (the last filter
    # removed, 100%) is a choice of the defaults, not an arrival
    within = urlsplit(request.headers.get("referer", "")).path == base
    if within or views.SETTING_KEYS & query.keys():
        if query.get(views.RESTORED) != "1":
            accounts.keep_settings(int(user["id"]), wid, name,
                                   checked_view(request, wid, name).query().lstrip("?"))
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None  # a script or test asking for the bare page gets the defaults it asked for
    last = accounts.last_settings(int(user["id"]), wid, name)
    if not last:
        return None
    try:
        view = views.LogView.from_query(QueryParams(last), texts(request))
        facts = service.log_facts(files_of(request), accounts.workspace_file(wid), wid, name)
        service.check_slice(files_of(request), accounts.workspace_file(wid), wid, name, view,
                            texts(request))
        view.checked(facts["steps"], facts["granularities"], texts(request))
    except (ValueError, WorkspaceError):
        accounts.keep_settings(int(user["id"]), wid, name, "")
        return None
    rest = f"&{urlencode(others)}" if others else ""
    return f"{base}?{last}&{views.RESTORED}=1{rest}"


@router.get("/w/{wid}/logs/{name}/drawings/{which}", response_class=HTMLResponse,
            include_in_schema=False)
def drawing_fragment(request: Request, wid: str, name: str, which: str, user: CurrentUser
                     ) -> Response:
    """One drawing of the log page (a chart, the handoff map, or the "Over time" section)
    as an HTML fragment, with the page's settings and slice; the page loads it after it
    comes (``static/map.js``)."""
    member(request, user, wid)
    view = checked_view(request, wid, name)
    try:
        return HTMLResponse(service.section_drawing(
            files_of(request), accounts_of(request).workspace_file(wid), wid, name,
            texts(request), view, which))
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    except KeyError as err:
        raise HTTPException(404, "no such drawing.") from err


def sliced_address(request: Request, wid: str, name: str, view: views.LogView,
                   t: Texts) -> str:
    """The log page's address after a filter panel's form: the filter ``add`` asks for
    appended to ``view``'s, or the filter numbered ``drop`` (from 1) removed; PanelError
    naming the field."""
    query = request.query_params
    items = view.filter_list
    if query.get("add"):
        try:
            items = [*items, slices.from_panel(query, t)]
        except InputError as err:  # a filter's own check, for a form the panel does not offer
            raise slices.field_error("f", err.message, t) from err
    drop = (query.get("drop") or "").strip()
    if drop:
        if not drop.isdigit() or not 1 <= int(drop) <= len(items):
            raise slices.field_error("f", t("no such filter."), t)
        items = [f for i, f in enumerate(items, 1) if i != int(drop)]
    changed = view.sliced(items)
    service.check_slice(files_of(request), accounts_of(request).workspace_file(wid), wid,
                        name, changed, t)
    return f"/w/{wid}/logs/{quote(name, safe='')}{changed.query()}#filters"


@router.get("/api/w/{wid}/logs/{name}", tags=["logs"])
def api_log(request: Request, wid: str, name: str, user: CurrentUser) -> dict[str, Any]:
    """Headline figures of a log and its process map as sanitised SVG (``null`` when the map
    cannot be laid out in time: ``map.message`` says why and ``map.fits`` gives the largest
    ``activities`` and ``paths`` shares that fit, each with the other kept). Query parameters:
    ``calendar`` (id, id-sat: working time), ``standard`` (a service standard for whole cases
    in working days; needs the calendar), ``decision`` (repeated: the decision steps; default:
    found by name) or ``decisions=none`` (no decision steps), ``handoff`` (resource, role,
    unit: who hands over to whom), ``profile`` (performance, frequency), ``activities`` and
    ``paths`` (percent shown, 1–100), ``f`` (a slice: the filters as JSON, as in a result's
    ``filter`` block; ``filter`` in the answer says what was kept, 422 names a wrong field or
    value). The same parameters apply to ``/analysis``, the report, the case list and the
    downloads. ``warnings`` and ``suggestions`` help choosing the decision steps."""
    data = log_data(request, user, wid, name, texts(request))
    data["map_svg"] = None if data["map_svg"] is None else str(data["map_svg"])
    view = data.pop("view")
    data["settings"] = {"calendar": view.calendar, "standard_days": view.standard,
                        "decisions": list(view.decisions or ()),
                        "decision_choice": view.decision_mode, "handoff": view.handoff}
    data["map"] = {"profile": view.profile, "activities": view.activities,
                   "paths": view.paths, "steps": data.pop("map_steps"),
                   "message": data.pop("map_message"), "fits": data.pop("map_fits")}
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
                                   wid, name, lang_of(request),
                                   checked_view(request, wid, name))
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return HTMLResponse(html, headers={
        "content-disposition": f'attachment; filename="{_file_stem(name)}-report.html"'})


# removing a log ----------------------------------------------------------------------------
def remove_log(request: Request, wid: str, name: str) -> None:
    """Remove a log (events, derived tables, raw file) from the workspace; 404 if absent."""
    try:
        service.remove_log(files_of(request), accounts_of(request).workspace_file(wid), name)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    accounts_of(request).forget_settings(wid, name)


@router.get("/w/{wid}/logs/{name}/delete", response_class=HTMLResponse,
            include_in_schema=False)
def delete_page(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    found = member(request, user, wid, "analyst")
    if name not in {log["name"] for log in service.list_logs(
            files_of(request), accounts_of(request).workspace_file(wid))}:
        raise HTTPException(404, "no such log.")
    return render(request, "delete.html", workspace=found, name=name)


@router.post("/w/{wid}/logs/{name}/delete", include_in_schema=False)
async def delete_post(request: Request, wid: str, name: str) -> Response:
    user = current_user(request)
    member(request, user, wid)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, user, form.get("csrf"))
    member(request, user, wid, "analyst")
    await run_in_threadpool(remove_log, request, wid, name)
    return RedirectResponse(f"/w/{wid}", status_code=303)


@router.delete("/api/w/{wid}/logs/{name}", tags=["logs"])
def api_delete(request: Request, wid: str, name: str, user: CurrentUser) -> dict[str, Any]:
    """Remove a log with its events and derived tables (analyst role; CSRF in
    ``X-CSRF-Token``). Stored comparisons and checks are kept."""
    member(request, user, wid)
    check_csrf(request, user)
    member(request, user, wid, "analyst")
    remove_log(request, wid, name)
    return {"removed": name}
