"""Comparing logs, checking a log against a to-be model, and a log's downloads (tables,
map drawings, discovered models).

Reading (result pages, downloads) needs the viewer role; running a comparison or a check, or
deleting a stored one, needs the analyst role and the CSRF token. Results are stored under
``DATA/results/<workspace>/`` with a generated id, so that their pages and downloads can be
opened again, and recorded in the index the workspace page lists (:mod:`procflow.web.results`).
"""

import datetime as dt
import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from procflow.compare.comparison import Comparison
from procflow.compare.narrative import TABLE_TOP, kpi_rows, side_name, summary
from procflow.conform.conformance import KIND_WORDS, Method
from procflow.conform.summary import outcome_rows, summary_lines
from procflow.core.i18n import Texts
from procflow.errors import ProcflowError, WorkspaceError
from procflow.filters import Filter, from_json
from procflow.render.map_budget import MapTooLarge
from procflow.report.comparison import comparison_report
from procflow.web import results, service, views
from procflow.web.deps import (
    CurrentUser,
    User,
    accounts_of,
    check_csrf,
    checked_view,
    current_user,
    files_of,
    lang_of,
    member,
    receive_file,
    render,
    settings_of,
    texts,
)
from procflow.web.errortext import WebError, error_text
from procflow.web.security import FORM_LIMIT

router = APIRouter()

#: Largest model file accepted for a conformance check (the request-body cap of forms).
MODEL_LIMIT = FORM_LIMIT
MODEL_SUFFIXES = (".bpmn", ".pnml", ".xml", ".csv")
#: Values of a checkbox field meaning on, and off.
ON = ("1", "on", "true")
OFF = ("", "0", "false")


# helpers -----------------------------------------------------------------------------------
def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:64] or "log"


def _pair_stem(comparison: dict[str, Any]) -> str:
    """``before-vs-after``: a comparison's file names say which logs it compares."""
    return f"{_stem(comparison['before']['name'])}-vs-{_stem(comparison['after']['name'])}"


def _attachment(filename: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{filename}"'}


def _workspace_file(request: Request, wid: str) -> Path:
    return accounts_of(request).workspace_file(wid)


def _log_names(request: Request, wid: str) -> list[str]:
    return [log["name"] for log in service.list_logs(files_of(request),
                                                     _workspace_file(request, wid))]


def _need_log(request: Request, wid: str, name: str) -> None:
    if name not in _log_names(request, wid):
        raise HTTPException(404, "no such log.")


def _result(request: Request, wid: str, kind: str, rid: str) -> dict[str, Any]:
    found = service.load_result(settings_of(request).data_dir, wid, kind, rid)
    if found is None:
        raise WebError(404, "no such {kind}.", kind=kind)
    return found


def _flag(form: dict[str, str], key: str) -> bool:
    """A checkbox field: on (1, on, true) or off (0, false, empty or absent)."""
    text = form.get(key, "").strip().lower()
    if text not in ON + OFF:
        raise WebError(422, "{key} must be on (1, on, true) or off (0, false, or left out), "
                            "not {text}.", key=key, text=repr(text))
    return text in ON


def _calendar(form: dict[str, str]) -> str | None:
    """The working calendar chosen for a comparison, or None for calendar time."""
    text = form.get("calendar", "").strip()
    if text and text not in views.CALENDARS:
        raise WebError(422, "unknown calendar {text}; choose one of {names}, or leave it "
                            "empty.", text=repr(text), names=", ".join(views.CALENDARS))
    return text or None


def _method(text: str) -> Method:
    """The fitness method of a conformance check (token-based replay when not given)."""
    chosen = text.strip() or "token"
    if chosen not in service.METHODS:
        raise WebError(422, "unknown method {chosen}; choose one of {names}.",
                       chosen=repr(chosen), names=", ".join(service.METHODS))
    return cast(Method, chosen)


def form_of(body: dict[str, str | bool | list[str]]) -> dict[str, str]:
    """A JSON body as form fields (true and false as ``"true"`` and ``"false"``)."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in body.items()}


# comparing ---------------------------------------------------------------------------------
def _decisions_of(form: dict[str, str], names: list[str], steps: set[str],
                  t: Texts) -> tuple[str, ...] | None:
    """The decision steps chosen in a comparison's form (None: found by name; empty: none);
    422 naming the field when they are not steps of the logs or ticked with another choice."""
    mode = form.get("decisions", "").strip() or None
    try:
        chosen = views.decision_choice(mode, names, t)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err
    if mode in ("pattern", "none") and any(names):
        raise HTTPException(422, t("Decision steps: steps are ticked, but the choice is not "
                                   "“the steps ticked below”. Choose it, or untick them."))
    unknown = sorted(set(chosen or ()) - steps)
    if unknown:
        raise HTTPException(422, t("Decision steps: not steps of these logs: {names}. Choose "
                                   "steps from the list.", names=", ".join(unknown[:5])))
    return chosen


def _handoff_of(form: dict[str, str], granularities: set[str], t: Texts) -> str | None:
    """Who hands over to whom in a comparison (None: resource, else role, else unit)."""
    chosen = form.get("handoff", "").strip() or None
    if chosen is not None and chosen not in granularities:
        choices = [g for g in views.HANDOFFS if g in granularities]
        raise HTTPException(422, t("Handoffs between: these logs have no {field}; choose one "
                                   "they have: {choices}.", field=t(chosen),
                                   choices=", ".join(t(g) for g in choices) or "–"))
    return chosen


def _facts(request: Request, wid: str, logs: list[str]) -> tuple[list[str], set[str]]:
    """The steps (sorted) and granularities of the logs together."""
    steps: set[str] = set()
    granularities: set[str] = set()
    for name in logs:
        facts = service.log_facts(files_of(request), _workspace_file(request, wid), wid, name)
        steps |= set(facts["steps"])
        granularities |= set(facts["granularities"])
    return sorted(steps), granularities


def _views_of(request: Request, wid: str, form: dict[str, str], t: Texts
              ) -> dict[str, tuple[str | None, list[Filter]]]:
    """The saved view chosen for each side (``before_view``, ``after_view``): its name and
    filters (None and none for the whole log); 422 for a view the workspace lacks."""
    saved = {row["name"]: row["filters"] for row in accounts_of(request).saved_views(wid)}
    out: dict[str, tuple[str | None, list[Filter]]] = {}
    for key in ("before_view", "after_view"):
        name = form.get(key, "").strip()
        if name and name not in saved:
            raise HTTPException(422, t("{side}: no saved view {name!r} in this workspace.",
                                       side=t("Before") if key == "before_view"
                                       else t("After"), name=name))
        out[key] = (name or None, from_json(saved[name]) if name else [])
    return out


def run_comparison(request: Request, user: User, wid: str, form: dict[str, str],
                   names: list[str] | None = None,
                   progress: service.CompareProgress | None = None
                   ) -> tuple[str, dict[str, Any]]:
    """Compare ``before`` with ``after``, or ``before`` split at ``split`` (YYYY-MM-DD),
    optionally ``completed`` cases only, on a working ``calendar``, with handoffs between
    each ``handoff`` and the decision steps of ``decisions`` (pattern, chosen, none) and
    ``names``, telling ``progress`` how far it is; returns the stored result's id and
    comparison.json."""
    t = texts(request)
    before = form.get("before", "").strip()
    after = form.get("after", "").strip() or None
    split_text = form.get("split", "").strip()
    if not before:
        raise HTTPException(422, "choose the log to compare (before).")
    split_at = None
    if split_text:
        try:
            split_at = dt.date.fromisoformat(split_text)
        except ValueError as err:
            raise WebError(422, "{text} is not a date; write YYYY-MM-DD.",
                           text=repr(split_text)) from err
        after = None
    elif after is None:
        raise HTTPException(422, "choose a second log (after), or a date to split the log at.")
    elif after == before and form.get("before_view", "") == form.get("after_view", ""):
        raise HTTPException(422, "choose two different logs, two different views, or one "
                                 "log and a date.")
    completed = _flag(form, "completed")
    calendar = _calendar(form)
    logs = [n for n in (before, after) if n is not None]
    known = _log_names(request, wid)
    if any(name not in known for name in logs):
        raise HTTPException(404, "no such log.")
    steps, granularities = _facts(request, wid, logs)
    decisions = _decisions_of(form, names or [], set(steps), t)
    handoff = _handoff_of(form, granularities, t)
    chosen = _views_of(request, wid, form, t)
    try:
        result = service.run_compare(files_of(request), _workspace_file(request, wid),
                                     before, after, split_at, completed=completed,
                                     calendar=calendar, decisions=decisions, handoff=handoff,
                                     slices=(chosen["before_view"][1], chosen["after_view"][1]),
                                     progress=progress)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    except ProcflowError as err:
        raise HTTPException(422, error_text(err, texts(request))) from err
    data = result.to_dict()
    data["web"] = {"before": before, "after": after, "split": split_text or None,
                   "completed": completed, "calendar": calendar,
                   "decisions": None if decisions is None else list(decisions),
                   "handoff": handoff, "before_view": chosen["before_view"][0],
                   "after_view": chosen["after_view"][0]}
    rid = service.save_result(settings_of(request).data_dir, wid, "comparison", data)
    results.record(accounts_of(request), wid, "comparison", rid, data, int(user["id"]))
    data.pop("web")
    return rid, data


def compare_form(request: Request, user: User, wid: str, status: int = 200,
                 error: str | None = None, chosen: dict[str, str] | None = None,
                 names: list[str] | None = None, listing: bool = False) -> Response:
    """The comparison form, filled with ``chosen`` fields and ticked ``names``; with
    ``listing`` (or ticked names) it lists the steps of the chosen logs to pick the decision
    steps from."""
    found = member(request, user, wid)
    t = texts(request)
    chosen = dict(chosen or {})
    logs = _log_names(request, wid)
    if len(logs) > 1 and not any(chosen.get(k) for k in ("before", "after", "split")):
        by_age = service.oldest_first(files_of(request), _workspace_file(request, wid), logs)
        chosen.update(before=by_age[0], after=by_age[-1])
    picked = [n for n in (chosen.get("before"), chosen.get("after")) if n and n in logs]
    picker = None
    granularities: set[str] = set()
    if picked:
        steps, granularities = _facts(request, wid, picked)
        if listing or names:
            suggestions = {s["activity"]: s for name in reversed(picked)
                           for s in service.overview_suggestions(
                               files_of(request), _workspace_file(request, wid), wid, name)}
            picker = service.step_picker(steps, list(suggestions.values()), names or [],
                                         chosen.get("find", "").strip(), t)
    mode = chosen.get("decisions") or ("chosen" if names else "pattern")
    return render(request, "compare.html", status, workspace=found, logs=logs, error=error,
                  chosen=chosen, calendars=service.calendar_names(t), picker=picker,
                  decision_mode=mode, granularities=[g for g in views.HANDOFFS
                                                     if g in granularities or not picked],
                  saved=[row["name"] for row in accounts_of(request).saved_views(wid)])


@router.get("/w/{wid}/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, wid: str, user: CurrentUser) -> Response:
    """The comparison form; the query may fill it (``before``, ``after``, ``calendar``,
    ``handoff``, ``decisions`` and ``decision``, as a log page's link does)."""
    query = request.query_params
    chosen = {k: query[k] for k in ("before", "after", "split", "calendar", "handoff",
                                    "decisions", "find", "before_view", "after_view")
              if query.get(k)}
    return compare_form(request, user, wid, chosen=chosen, names=query.getlist("decision"))


@router.get("/w/{wid}/compare/{rid}", response_class=HTMLResponse, include_in_schema=False)
def comparison_page(request: Request, wid: str, rid: str, user: CurrentUser) -> Response:
    found = member(request, user, wid)
    data = _result(request, wid, "comparison", rid)
    t = texts(request)
    rows = kpi_rows(data, t)
    return render(request, "comparison.html", workspace=found, rid=rid, c=data,
                  web=data.get("web") or {}, sentences=summary(data, t),
                  names=(side_name(data["before"]["name"], t), side_name(data["after"]["name"], t)),
                  rows=rows[:TABLE_TOP], more_rows=rows[TABLE_TOP:],
                  calendars=service.calendar_names(t))


def stored_comparison(request: Request, user: User, wid: str, rid: str) -> dict[str, Any]:
    """A stored comparison.json of a workspace the user belongs to (web-only keys removed)."""
    member(request, user, wid)
    data = dict(_result(request, wid, "comparison", rid))
    data.pop("web", None)
    return data


@router.get("/api/w/{wid}/compare/{rid}", tags=["compare"])
def api_comparison(request: Request, wid: str, rid: str, user: CurrentUser) -> JSONResponse:
    """A stored comparison.json."""
    data = stored_comparison(request, user, wid, rid)
    return JSONResponse(data)


@router.get("/w/{wid}/compare/{rid}/comparison.json", include_in_schema=False)
def comparison_download(request: Request, wid: str, rid: str, user: CurrentUser
                        ) -> JSONResponse:
    data = stored_comparison(request, user, wid, rid)
    return JSONResponse(data, headers=_attachment(f"{_pair_stem(data)}-comparison.json"))


@router.get("/w/{wid}/compare/{rid}/report.html", include_in_schema=False)
def comparison_report_download(request: Request, wid: str, rid: str, user: CurrentUser
                               ) -> HTMLResponse:
    data = stored_comparison(request, user, wid, rid)
    html = comparison_report(Comparison(data), lang=lang_of(request))
    return HTMLResponse(html, headers=_attachment(f"{_pair_stem(data)}-comparison.html"))


# conformance -------------------------------------------------------------------------------
async def run_conformance(request: Request, wid: str, name: str) -> tuple[str, dict[str, Any]]:
    """Receive a model upload (multipart, field ``file``; optional field ``method``: token or
    alignments) and check the log against it."""
    user = current_user(request)
    member(request, user, wid)
    got = await receive_file(request, user, wid, folder=settings_of(request).data_dir / "models",
                             limit=MODEL_LIMIT, ready=lambda: _need_log(request, wid, name))
    suffix = Path(got.original_name.replace("\\", "/")).suffix.lower()
    model = got.path.with_suffix(suffix if suffix in MODEL_SUFFIXES else ".model")
    got.path.rename(model)
    try:
        method = _method(got.fields.get("method", ""))
        result = await run_in_threadpool(service.run_conform, files_of(request),
                                         _workspace_file(request, wid), wid, name, model,
                                         method=method, view=checked_view(request, wid, name),
                                         model_name=Path(got.original_name.replace(
                                             "\\", "/")).name or None)
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    except ProcflowError as err:
        text = error_text(err, texts(request), {model: got.original_name}).replace(
            model.name, got.original_name)
        raise HTTPException(422, text) from err
    finally:
        model.unlink(missing_ok=True)
    data = result.to_dict()
    data["web"] = {"model_file": got.original_name}
    rid = service.save_result(settings_of(request).data_dir, wid, "conformance", data)
    service.save_case_sets(settings_of(request).data_dir, wid, rid, result.case_sets or {})
    results.record(accounts_of(request), wid, "conformance", rid, data, int(user["id"]))
    data.pop("web")
    return rid, data


def conform_form(request: Request, user: User, wid: str, name: str, status: int = 200,
                 error: str | None = None) -> Response:
    found = member(request, user, wid)
    _need_log(request, wid, name)
    view = checked_view(request, wid, name)
    query = urlencode(view.pairs(only="decisions") + [
        pair for pair in view.pairs(only="settings") if pair[0] == "f"])
    return render(request, "conform.html", status, workspace=found, name=name, error=error,
                  limit_kib=MODEL_LIMIT // 1024, methods=service.method_names(texts(request)),
                  query=query, chosen_steps=view.decisions)


@router.get("/w/{wid}/logs/{name}/conform", response_class=HTMLResponse,
            include_in_schema=False)
def conform_page(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    return conform_form(request, user, wid, name)


@router.post("/w/{wid}/logs/{name}/conform", include_in_schema=False)
async def conform_post(request: Request, wid: str, name: str) -> Response:
    try:
        rid, _ = await run_conformance(request, wid, name)
    except HTTPException as err:
        if err.status_code not in (400, 413, 415, 422):
            raise
        user = current_user(request)
        return await run_in_threadpool(conform_form, request, user, wid, name,
                                       err.status_code, str(err.detail))
    return RedirectResponse(f"/w/{wid}/logs/{name}/conform/{rid}", status_code=303)


@router.post("/api/w/{wid}/logs/{name}/conform", tags=["conformance"])
async def api_conform(request: Request, wid: str, name: str) -> JSONResponse:
    """Check a log against a to-be model: upload a BPMN 2.0, PNML or SOP CSV file
    (multipart/form-data, field ``file``, CSRF in ``X-CSRF-Token``; optional field
    ``method``: ``token`` for token-based replay, the default, or ``alignments``, which aligns
    variants for at most 60 seconds and counts those left unchecked). Answers with
    conformance.json; the stored result is at the ``Location`` header."""
    rid, data = await run_conformance(request, wid, name)
    return JSONResponse(data, headers={"location": f"/api/w/{wid}/logs/{name}/conform/{rid}",
                                       "x-procflow-result": rid})


def _conformance(request: Request, user: User, wid: str, name: str, rid: str
                 ) -> dict[str, Any]:
    member(request, user, wid)
    data = dict(_result(request, wid, "conformance", rid))
    if data.get("log") != name:
        raise HTTPException(404, "no such conformance.")
    return data


@router.get("/w/{wid}/logs/{name}/conform/{rid}", response_class=HTMLResponse,
            include_in_schema=False)
def conformance_page(request: Request, wid: str, name: str, rid: str, user: CurrentUser
                     ) -> Response:
    data = _conformance(request, user, wid, name, rid)
    web = data.pop("web", None) or {}
    if web.get("model_file"):  # checks stored before the model kept its uploaded name
        data["model"] = {**data["model"], "name": web["model_file"]}
    t = texts(request)
    links = views.CheckLinks.of_check(f"/w/{wid}/logs/{quote(name, safe='')}", rid, data)
    return render(request, "conformance.html", workspace=member(request, user, wid),
                  name=name, rid=rid, c=data, model_file=web.get("model_file", ""),
                  linked=service.LINKED_DEVIATIONS,
                  links=links if service.has_case_sets(settings_of(request).data_dir, wid,
                                                       rid) else None,
                  lines=summary_lines(data, t), outcomes=outcome_rows(data, t),
                  kind_words=KIND_WORDS, methods=service.method_names(t))


@router.get("/api/w/{wid}/logs/{name}/conform/{rid}", tags=["conformance"])
def api_conformance(request: Request, wid: str, name: str, rid: str, user: CurrentUser
                    ) -> JSONResponse:
    """A stored conformance.json."""
    data = _conformance(request, user, wid, name, rid)
    data.pop("web", None)
    return JSONResponse(data)


@router.get("/w/{wid}/logs/{name}/conform/{rid}/conformance.json", include_in_schema=False)
def conformance_download(request: Request, wid: str, name: str, rid: str, user: CurrentUser
                         ) -> JSONResponse:
    data = _conformance(request, user, wid, name, rid)
    data.pop("web", None)
    return JSONResponse(data, headers=_attachment(f"{_stem(name)}-conformance.json"))


# deleting a stored result ------------------------------------------------------------------
def _deletable(request: Request, user: User, wid: str, kind: str, rid: str,
               name: str | None) -> dict[str, Any]:
    """A stored result the user may delete (analyst role); 404 when absent or, for a check,
    stored for another log."""
    member(request, user, wid, "analyst")
    data = _result(request, wid, kind, rid)
    if kind == "conformance" and data.get("log") != name:
        raise HTTPException(404, "no such conformance.")
    return data


def remove_stored(request: Request, user: User, wid: str, kind: str, rid: str,
                  name: str | None = None) -> None:
    """Delete a stored result's file and its row in the index."""
    _deletable(request, user, wid, kind, rid, name)
    if not service.remove_result(settings_of(request).data_dir, wid, kind, rid):
        raise WebError(404, "no such {kind}.", kind=kind)
    accounts_of(request).remove_result(wid, rid)


def delete_result_page(request: Request, user: User, wid: str, kind: str, rid: str,
                       name: str | None = None) -> Response:
    """The confirmation page before deleting a stored result."""
    found = member(request, user, wid)
    data = _deletable(request, user, wid, kind, rid, name)
    url = results.page_url(wid, {"kind": kind, "id": rid, "log": name})
    return render(request, "delete_result.html", workspace=found, kind=kind,
                  title=results.title(kind, results.about(kind, data), texts(request)),
                  back=url, action=f"{url}/delete")


async def delete_result_post(request: Request, wid: str, kind: str, rid: str,
                             name: str | None = None) -> Response:
    """Delete a stored result from its confirmation form, then show the workspace."""
    user = current_user(request)
    member(request, user, wid)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, user, form.get("csrf"))
    await run_in_threadpool(remove_stored, request, user, wid, kind, rid, name)
    return RedirectResponse(f"/w/{wid}", status_code=303)


def api_delete_result(request: Request, user: User, wid: str, kind: str, rid: str,
                      name: str | None = None) -> dict[str, Any]:
    """Delete a stored result over the API (CSRF header, analyst role)."""
    member(request, user, wid)
    check_csrf(request, user)
    remove_stored(request, user, wid, kind, rid, name)
    return {"removed": rid}


@router.get("/w/{wid}/compare/{rid}/delete", response_class=HTMLResponse,
            include_in_schema=False)
def comparison_delete_page(request: Request, wid: str, rid: str, user: CurrentUser
                           ) -> Response:
    return delete_result_page(request, user, wid, "comparison", rid)


@router.post("/w/{wid}/compare/{rid}/delete", include_in_schema=False)
async def comparison_delete_post(request: Request, wid: str, rid: str) -> Response:
    return await delete_result_post(request, wid, "comparison", rid)


@router.delete("/api/w/{wid}/compare/{rid}", tags=["compare"])
def api_comparison_delete(request: Request, wid: str, rid: str, user: CurrentUser
                          ) -> dict[str, Any]:
    """Delete a stored comparison (analyst role; CSRF in ``X-CSRF-Token``)."""
    return api_delete_result(request, user, wid, "comparison", rid)


@router.get("/w/{wid}/logs/{name}/conform/{rid}/delete", response_class=HTMLResponse,
            include_in_schema=False)
def conformance_delete_page(request: Request, wid: str, name: str, rid: str,
                            user: CurrentUser) -> Response:
    return delete_result_page(request, user, wid, "conformance", rid, name)


@router.post("/w/{wid}/logs/{name}/conform/{rid}/delete", include_in_schema=False)
async def conformance_delete_post(request: Request, wid: str, name: str, rid: str
                                  ) -> Response:
    return await delete_result_post(request, wid, "conformance", rid, name)


@router.delete("/api/w/{wid}/logs/{name}/conform/{rid}", tags=["conformance"])
def api_conformance_delete(request: Request, wid: str, name: str, rid: str,
                           user: CurrentUser) -> dict[str, Any]:
    """Delete a stored conformance check (analyst role; CSRF in ``X-CSRF-Token``)."""
    return api_delete_result(request, user, wid, "conformance", rid, name)


# downloads of a log ------------------------------------------------------------------------
DOWNLOADS: dict[str, tuple[str, str]] = {
    "tables.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "tables.xlsx"),
    "map.svg": ("image/svg+xml", "map.svg"),
    "map.png": ("image/png", "map.png"),
    "model.bpmn": ("application/xml", "model.bpmn"),
    "model.pnml": ("application/xml", "model.pnml"),
}


def map_download(request: Request, path: Path, wid: str, name: str, fmt: str) -> bytes:
    """The map file of a log; 422 saying which setting fits when it is too large to lay out,
    503 when Graphviz fails."""
    t = texts(request)
    try:
        return service.map_bytes(files_of(request), path, wid, name, fmt, t,
                                 checked_view(request, wid, name))
    except MapTooLarge as err:
        raise HTTPException(422, err.explain(t, "web")) from err
    except WorkspaceError:
        raise
    except ProcflowError as err:
        raise HTTPException(503, t("Graphviz could not draw this map: {reason}",
                                   reason=err.message)) from err


def download(request: Request, user: User, wid: str, name: str, what: str) -> Response:
    member(request, user, wid)
    if what not in DOWNLOADS:
        raise HTTPException(404, "no such download.")
    files, path = files_of(request), _workspace_file(request, wid)
    try:
        if what == "tables.xlsx":
            body = service.xlsx_bytes(files, path, wid, name, texts(request),
                                      checked_view(request, wid, name))
        elif what.startswith("map."):
            body = map_download(request, path, wid, name, what[4:])
        else:
            body = service.model_bytes(files, path, wid, name, what[5:])
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    media, suffix = DOWNLOADS[what]
    return Response(body, media_type=media,
                    headers=_attachment(f"{_stem(name)}-{suffix}"))


@router.get("/w/{wid}/logs/{name}/download/{what}", include_in_schema=False)
def download_page(request: Request, wid: str, name: str, what: str, user: CurrentUser
                  ) -> Response:
    return download(request, user, wid, name, what)


@router.get("/api/w/{wid}/logs/{name}/download/{what}", tags=["logs"])
def api_download(request: Request, wid: str, name: str, what: str, user: CurrentUser
                 ) -> Response:
    """A download of a log: ``tables.xlsx``, ``map.svg``, ``map.png`` (with the log page's
    ``profile``, ``activities`` and ``paths`` parameters), ``model.bpmn`` or ``model.pnml``
    (inductive miner)."""
    return download(request, user, wid, name, what)

