"""A comparison started from the web page runs as a job in the server's queue
(:mod:`procflow.web.jobs`), like an import: one that ends within the server's
``answer_within`` seconds answers at once (the stored comparison, or the form with the
reason); a longer one is followed on a progress page that reloads itself (the side being
read, figures, statistics, drawing, the time so far) until it sends the browser to the stored
comparison, whose address can be reloaded and shared without computing it again.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from procflow.web.deps import (
    CurrentUser,
    User,
    check_csrf,
    current_user,
    jobs_of,
    member,
    render,
    texts,
)
from procflow.web.errortext import WebError, localized
from procflow.web.jobs import ComparisonJob
from procflow.web.routes_results import compare_form, form_of, run_comparison, stored_comparison

router = APIRouter()

#: Seconds a comparison posted from the page may take before the answer is its progress page.
ANSWER_WITHIN = 3.0


@router.post("/w/{wid}/compare", include_in_schema=False)
async def compare_post(request: Request, wid: str) -> Response:
    """Start the comparison of the form (or list the steps to pick decision steps from)."""
    user = current_user(request)
    member(request, user, wid)
    fields = await request.form()
    form = {k: str(v) for k, v in fields.items()}
    names = [str(v) for v in fields.getlist("decision")]
    check_csrf(request, user, form.get("csrf"))
    member(request, user, wid, "analyst")
    if form.get("action") == "steps":
        return await run_in_threadpool(compare_form, request, user, wid, 200, None, form,
                                       names, True)

    job = _start(request, user, wid, form, names)
    await jobs_of(request).wait(job, getattr(request.app.state, "answer_within", ANSWER_WITHIN))
    return await _answer(request, user, job)


@router.post("/api/w/{wid}/compare", tags=["compare"])
async def api_compare(request: Request, wid: str, user: CurrentUser,
                      body: dict[str, str | bool | list[str]]) -> JSONResponse:
    """Compare two logs (``before``, ``after``) or one log split at a date (``before``,
    ``split``: YYYY-MM-DD, local midnight in the log's import time zone). Optional:
    ``completed`` (true, or "1"/"on"/"true": completed cases only, those ending at a typical
    end step), ``calendar`` ("id": Indonesian government five-day week, "id-sat":
    Monday–Saturday; adds KPIs in working seconds, in the before-log's import time zone,
    else Asia/Jakarta), ``handoff`` (resource, role or unit) and the decision steps:
    ``decision`` (a list of steps, each a step of either log) or ``decisions`` ("none": no
    decision steps; "pattern", the default: found by name). The comparison takes its turn
    with imports and those started from the page; the answer comes when it is done, with
    comparison.json; the stored result is at the ``Location`` header (503 with
    ``Retry-After`` when too many are waiting)."""
    member(request, user, wid)
    check_csrf(request, user)
    member(request, user, wid, "analyst")
    listed = body.get("decision", [])
    names = [str(n) for n in (listed if isinstance(listed, list) else [listed])]
    job = _start(request, user, wid, form_of({k: v for k, v in body.items() if k != "decision"}),
                 names)
    await jobs_of(request).wait(job)
    if job.error is not None:
        raise HTTPException(*job.error)
    assert job.result is not None
    rid = str(job.result["rid"])
    data = await run_in_threadpool(stored_comparison, request, user, wid, rid)
    return JSONResponse(data, headers={"location": f"/api/w/{wid}/compare/{rid}",
                                       "x-procflow-result": rid})


def _start(request: Request, user: User, wid: str, form: dict[str, str], names: list[str]
           ) -> ComparisonJob:
    """Queue the comparison of ``form`` (errors worded in the request's language)."""

    def work(job: ComparisonJob) -> dict[str, Any]:
        try:
            rid, _ = run_comparison(request, user, wid, form, names, job)
        except WebError as err:
            raise HTTPException(err.status_code, err.translated(texts(request))) from err
        return {"rid": rid}

    return jobs_of(request).start(
        ComparisonJob(wid=wid, user_id=int(user["id"]), form=form, names=names), work)


@router.get("/w/{wid}/comparing/{job_id}", response_class=HTMLResponse,
            include_in_schema=False)
async def comparing_page(request: Request, wid: str, job_id: str, user: CurrentUser
                         ) -> Response:
    """A comparison started from the page: its place in the line and its phase (the page
    reloads itself every second), then the stored comparison, or the form with the reason
    it failed."""
    member(request, user, wid)
    job = jobs_of(request).get(job_id)
    if not isinstance(job, ComparisonJob) or job.wid != wid or job.user_id != int(user["id"]):
        raise HTTPException(404, "no such comparison.")
    return await _answer(request, user, job)


async def _answer(request: Request, user: User, job: ComparisonJob) -> Response:
    """Where a comparison job is: the stored comparison when done, the form with the reason
    when it failed (422; other failures as errors), else its progress page."""
    if job.phase == "done":
        assert job.result is not None
        return RedirectResponse(f"/w/{job.wid}/compare/{job.result['rid']}", status_code=303)
    if job.phase == "failed":
        assert job.error is not None
        status, text = job.error
        if status != 422:
            raise HTTPException(status, text)
        return await run_in_threadpool(compare_form, request, user, job.wid, 422,
                                       localized(text, texts(request)), job.form, job.names,
                                       bool(job.names))
    if request.method == "POST":
        return RedirectResponse(f"/w/{job.wid}/comparing/{job.id}", status_code=303)
    jobs = jobs_of(request)
    return render(request, "comparing.html", workspace=member(request, user, job.wid),
                  job=job, position=jobs.position(job), workers=jobs.workers)
