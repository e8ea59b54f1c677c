""""Why slow?": a log's explanation for one target (cycle time, a decision step, a
bottleneck), as a page, ``explain.json`` and the offline report."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from procflow.core.i18n import Texts
from procflow.errors import WorkspaceError
from procflow.explain import Explanation, explain, parse_target
from procflow.explain.narrative import target_name
from procflow.report.explain import explain_report, explain_sections
from procflow.web import service
from procflow.web.deps import (
    CurrentUser,
    User,
    accounts_of,
    checked_view,
    files_of,
    lang_of,
    member,
    render,
    texts,
)
from procflow.web.views import LogView

router = APIRouter()
#: Activity bottlenecks offered on the log page.
TOP_BOTTLENECKS = 5


def explain_href(wid: str, name: str, view: LogView, target: str) -> str:
    """The address of the explanation of ``target`` with the view's analysis settings."""
    pairs = [("target", target), *view.pairs(only="analysis")]
    return f"/w/{wid}/logs/{quote(name, safe='')}/explain?{urlencode(pairs)}"


def why_slow_links(request: Request, wid: str, name: str, view: LogView, t: Texts
                   ) -> list[dict[str, str]]:
    """Links for the log page: the cycle time, the :data:`TOP_BOTTLENECKS` decision steps
    with the most decision latency in all and the activity bottlenecks that take the most
    time (``label``, ``href``); the last decision step's says how many more the explanation
    page offers (``more``)."""
    _, analysis = service.analysis_of(files_of(request),
                                      accounts_of(request).workspace_file(wid), wid, name, view)
    data = analysis.to_dict()
    decisions = sorted(data["decisions"]["by_activity"],
                       key=lambda d: (-(d["total"] or 0), d["key"]))
    targets = [("cycle_time", t("Cycle time"))]
    targets += [(f"decision:{d['key']}", t("Decision latency at {activity}", activity=d["key"]))
                for d in decisions[:TOP_BOTTLENECKS]]
    chosen = {k for k, _ in targets}
    slow = [b["name"] for b in data["bottlenecks"] if b["kind"] == "activity"]
    targets += [(f"decision:{a}", t("Time before {activity}", activity=a))
                for a in slow[:TOP_BOTTLENECKS] if f"decision:{a}" not in chosen]
    links = [{"label": label, "href": explain_href(wid, name, view, key)}
             for key, label in targets]
    shown = min(len(decisions), TOP_BOTTLENECKS)
    more = len(data["decisions"]["activities"]) - shown
    if more > 0 and shown:
        links[shown]["more"] = t.plural(more, "{n} more decision step on the explanation page",
                                     "{n} more decision steps on the explanation page")
    return links


def _explained(request: Request, user: User, wid: str, name: str, lang: str
               ) -> tuple[dict[str, Any], LogView, Explanation, dict[str, Any]]:
    """The workspace, the view, the explanation of the asked target (cached per import,
    settings, target and language) and the log's analysis."""
    found = member(request, user, wid)
    view = checked_view(request, wid, name)
    target = parse_target(request.query_params.get("target") or "cycle_time").name
    files, path = files_of(request), accounts_of(request).workspace_file(wid)
    try:
        info, analysis = service.analysis_of(files, path, wid, name, view)
        with files.read(path) as ws:
            zone = (info.get("options") or {}).get("tz")
            result = files.memo(
                ("explain", *service.version(ws, wid, name), *view.analysis, target, lang),
                lambda: explain(service.sliced(files, ws, wid, name, view), target,
                                lang=lang,  # type: ignore[arg-type]
                                **view.keywords(zone)))
    except WorkspaceError as err:
        raise HTTPException(404, "no such log.") from err
    return found, view, result, analysis.to_dict()


@router.get("/w/{wid}/logs/{name}/explain", response_class=HTMLResponse,
            include_in_schema=False)
def explain_page(request: Request, wid: str, name: str, user: CurrentUser) -> Response:
    t = texts(request)
    found, view, result, analysis = _explained(request, user, wid, name, t.lang)
    data = result.to_dict()
    steps = sorted(a["activity"] for a in analysis["activities"])
    choices = [("cycle_time", t("Cycle time")), ("handoffs", t("Handoffs per case"))]
    if analysis["layers"]:
        choices.append(("layers", t("Approval layers per case")))
    if view.standard:
        choices.append(("sla", t("Breach of the service standard")))
    decisions = set(analysis["decisions"]["activities"])
    choices += [(f"decision:{s}", t("Decision latency at {activity}", activity=s)
                 if s in decisions else t("Time before {activity}", activity=s))
                for s in steps]
    query = urlencode([("target", data["target"]["name"]), *view.pairs(only="analysis")])
    return render(request, "explain.html", workspace=found, name=name, x=data,
                  what=target_name(data["target"], t), sections=explain_sections(data, t),
                  choices=choices, settings=view.pairs(only="analysis"), query=query)


@router.get("/w/{wid}/logs/{name}/explain.json", include_in_schema=False)
def explain_download(request: Request, wid: str, name: str, user: CurrentUser
                     ) -> JSONResponse:
    _, _, result, _ = _explained(request, user, wid, name, lang_of(request))
    return JSONResponse(result.to_dict(), headers={
        "content-disposition": 'attachment; filename="explain.json"'})


@router.get("/w/{wid}/logs/{name}/explain.html", include_in_schema=False)
def explain_report_download(request: Request, wid: str, name: str, user: CurrentUser
                            ) -> HTMLResponse:
    lang = lang_of(request)
    _, _, result, _ = _explained(request, user, wid, name, lang)
    return HTMLResponse(explain_report(result, lang=lang), headers={
        "content-disposition": 'attachment; filename="explain-report.html"'})


@router.get("/api/w/{wid}/logs/{name}/explain", tags=["logs"])
def api_explain(request: Request, wid: str, name: str, user: CurrentUser) -> JSONResponse:
    """``explain.json`` of a log: which values of which fields go with a longer ``target``
    (``cycle_time`` by default, ``decision:ACTIVITY``, ``wait:ACTIVITY``, ``handoffs``,
    ``layers``, ``sla`` with ``calendar`` and ``standard``), with the log page's analysis
    parameters."""
    _, _, result, _ = _explained(request, user, wid, name, lang_of(request))
    return JSONResponse(result.to_dict())
