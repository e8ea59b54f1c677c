"""A comparison started from the web page runs as a job in the server's queue
(:mod:`procflow.web.jobs`), like an import: one that ends within the server's
``answer_within`` seconds answers at once (the stored comparison, or the form with the
reason); a longer one is followed on a progress page that reloads itself (the side being
read, figures, statistics, drawing, the time so far) until it sends the browser to the stored
comparison, whose address can be reloaded and shared without computing it again.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
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
from procflow.web.routes_results import compare_form, run_comparison

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

    def work(job: ComparisonJob) -> dict[str, Any]:
        try:
            rid, _ = run_comparison(request, user, wid, form, names, job)
        except WebError as err:
            raise HTTPException(err.status_code, err.translated(texts(request))) from err
        return {"rid": rid}

    jobs = jobs_of(request)
    job = jobs.start(ComparisonJob(wid=wid, user_id=int(user["id"]), form=form, names=names),
                     work)
    await jobs.wait(job, getattr(request.app.state, "answer_within", ANSWER_WITHIN))
    return await _answer(request, user, job)


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
