"""A comparison started from the page runs as a job: the phases it goes through (exact), the
progress page and its place in the line, the stored comparison it ends on (reloading its
address does not compute it again), the form with the reason in the page's language when it
fails; then the same on a real ``procflow serve`` in a browser, with screenshots."""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from procflow.store.workspace import Workspace
from procflow.web import routes_comparing, service
from procflow.web.accounts import Accounts
from procflow.web.jobs import ComparisonJob, Jobs
from tests.browser import artifact, browser_page, sign_in
from tests.test_web_api import Site, TestClient, cheap_hashes, small_csv, upload_and_import
from tests.webserver import PW, Server

__all__ = ["cheap_hashes"]


class Said:
    """Records what a comparison tells its progress, in order."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, Any]] = []

    def reading(self, side: str) -> None:
        self.heard.append(("reading", side))

    def stage(self, phase: str) -> None:
        self.heard.append(("stage", phase))

    def tested(self, done: int) -> None:
        self.heard.append(("tested", done))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    site = Site(tmp_path / "data")
    andi = site.client("andi")
    upload_and_import(andi, site.a, "q1", small_csv("q1", 30))
    upload_and_import(andi, site.a, "q2", small_csv("q2", 30))
    return site


def test_a_comparison_says_each_phase_in_order(site: Site) -> None:
    said = Said()
    files = site.app.state.files
    path = site.accounts.workspace_file(site.a)
    service.run_compare(files, path, "q1", "q2", None, progress=said)
    phases = [h for h in said.heard if h[0] != "tested"]
    assert phases == [("reading", "before"), ("reading", "after"), ("stage", "figures"),
                      ("stage", "statistics"), ("stage", "drawing")]
    tested = [n for kind, n in said.heard if kind == "tested"]
    assert tested == sorted(tested) and tested[-1] == 1000 and len(tested) >= 2
    start = said.heard.index(("stage", "statistics"))
    assert said.heard.index(("stage", "drawing")) == start + len(tested) + 1
    split = Said()
    service.run_compare(files, path, "q1", None, dt.date(2024, 3, 15),
                        progress=split)
    assert [h for h in split.heard if h[0] == "reading"] == [("reading", "before")]


def test_a_comparison_job_shows_how_far_it_is() -> None:
    job = ComparisonJob(wid="w", user_id=1, form={})
    seen = [job.percent]
    job.reading("before")
    seen.append(job.percent)
    job.reading("after")
    seen.append(job.percent)
    job.stage("figures")
    seen.append(job.percent)
    job.stage("statistics")
    seen.append(job.percent)
    job.tested(500)
    seen.append(job.percent)
    job.tested(1000)
    seen.append(job.percent)
    job.stage("drawing")
    seen.append(job.percent)
    assert seen == [0, 0, 5, 10, 50, 72, 95, 95]
    assert (job.phase, job.done) == ("drawing", 1000)


def test_imports_and_comparisons_share_one_line() -> None:
    jobs = Jobs(workers=1, queue_limit=4)
    go = threading.Event()
    first = jobs.start(ComparisonJob(wid="w", user_id=1, form={}),
                       lambda job: {"waited": go.wait(10)})
    second = jobs.start(ComparisonJob(wid="w", user_id=1, form={}), lambda job: {"rid": "x"})
    deadline = time.monotonic() + 10
    while first.phase == "queued" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jobs.position(second) == 1 and second.phase == "queued"
    assert jobs.in_use() == frozenset()  # comparisons hold no upload
    go.set()
    while not second.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (first.result, second.result) == ({"waited": True}, {"rid": "x"})


def _post(client: TestClient, wid: str, lang: str, **form: str) -> Any:
    return client.post(f"/w/{wid}/compare?lang={lang}",
                       data={"csrf": client.headers["X-CSRF-Token"], **form})


def _follow(client: TestClient, url: str, lang: str) -> Any:
    """The progress page until it answers otherwise (at most 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        page = client.get(f"{url}?lang={lang}")
        if page.status_code != 200 or "data-phase" not in page.text:
            return page
        assert time.monotonic() < deadline, page.text
        time.sleep(0.05)


def test_a_slow_comparison_answers_with_its_progress_page(site: Site) -> None:
    site.app.state.answer_within = 0.0
    andi = site.client("andi")
    r = _post(andi, site.a, "en", before="q1", after="q2")
    assert r.status_code == 303
    progress = r.headers["location"]
    assert re.fullmatch(rf"/w/{site.a}/comparing/[0-9a-f]{{32}}", progress)
    done = _follow(andi, progress, "en")
    assert done.status_code == 303
    result = done.headers["location"]
    assert re.fullmatch(rf"/w/{site.a}/compare/[0-9a-f]{{32}}", result)
    assert _follow(andi, progress, "en").headers["location"] == result  # the same result
    page = andi.get(f"{result}?lang=en")
    assert page.status_code == 200 and "q1 → q2" in " ".join(page.text.split())
    stored = list((site.data / "results" / site.a).glob("comparison-*.json"))
    assert [p.stem.split("-", 1)[1] for p in stored] == [result.rsplit("/", 1)[1]]
    andi.get(result)  # reloading reads the stored comparison: nothing new is stored
    assert len(list((site.data / "results" / site.a).glob("comparison-*.json"))) == 1
    # another user, or another workspace, does not see the job
    assert site.client("vera").get(progress).status_code == 404
    assert andi.get(progress.replace(site.a, site.b)).status_code == 404
    assert andi.get(f"/w/{site.a}/comparing/{'1' * 32}").status_code == 404


def test_a_failing_comparison_ends_on_the_form_in_the_page_language(site: Site) -> None:
    site.app.state.answer_within = 0.0
    andi = site.client("andi")
    r = _post(andi, site.a, "id", before="q1", split="2000-01-01")
    assert r.status_code == 303 and "/comparing/" in r.headers["location"]
    page = _follow(andi, r.headers["location"], "id")
    assert page.status_code == 422 and 'role="alert"' in page.text
    text = " ".join(page.text.split())
    assert "sehingga sisi sebelum perbandingan kosong" in text
    assert 'value="2000-01-01"' in text  # the form keeps the analyst's choice


def test_a_fast_comparison_answers_at_once(site: Site) -> None:
    assert routes_comparing.ANSWER_WITHIN == 3.0  # the server's default
    site.app.state.answer_within = 30.0  # the small logs' comparison, on a loaded machine
    andi = site.client("andi")
    r = _post(andi, site.a, "en", before="q1", after="q2")
    assert r.status_code == 303 and "/compare/" in r.headers["location"]


# a real server and a browser --------------------------------------------------------------
def _log_csv(prefix: str, cases: int, slow: float) -> str:
    """``cases`` cases of six steps (a fifth with a correction), step times exponential with
    mean ``slow`` hours."""
    r = random.Random(prefix)
    lines = ["case;activity;timestamp;resource"]
    for c in range(cases):
        t = 1_700_000_000 + c * 600
        for act in ("Terima", "Periksa", "Verifikasi", "Paraf", "Setujui", "Kirim"):
            t += int(r.expovariate(1 / (3600 * slow)))
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(t))
            if act == "Verifikasi" and r.random() < 0.2:
                lines.append(f"{prefix}{c};Perbaikan;{stamp};r{r.randint(1, 9)}")
            lines.append(f"{prefix}{c};{act};{stamp};r{r.randint(1, 9)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real server answering with the progress page at once, two logs of 8,000 cases
    (comparing them takes a few seconds)."""
    tmp = tmp_path_factory.mktemp("comparing")
    accounts = Accounts(tmp / "data")
    accounts.add_user("andi", PW)
    wid = accounts.add_workspace("dinas-a")
    accounts.grant(wid, "andi", "analyst")
    with Workspace(accounts.workspace_file(wid)) as ws:
        for name, slow in (("lama", 2.0), ("baru", 1.0)):
            path = tmp / f"{name}.csv"
            path.write_text(_log_csv(name, 8000, slow), encoding="utf-8")
            ws.import_file(path, name=name)
    server = Server(tmp / "data", tmp / "server.log", args=["--answer-within", "0"]).start()
    try:
        yield server.base, wid
    finally:
        server.stop()


def test_browser_follows_a_comparison_to_its_result(served: tuple[str, str]) -> None:
    base, wid = served
    with browser_page() as page:
        sign_in(page, base, "en")
        page.goto(f"{base}/w/{wid}/compare?lang=en")
        page.select_option("select[name=before]", "lama")
        page.select_option("select[name=after]", "baru")
        page.click("form.card button[value=compare]")
        page.wait_for_url("**/comparing/*")
        status = page.locator("[role=status]")
        assert status.get_attribute("data-phase") in ("queued", "reading", "figures",
                                                        "statistics", "drawing")
        text = " ".join(status.inner_text().split())
        assert "lama → baru" in text and "s so far" in text
        page.wait_for_selector("[data-phase=statistics]", timeout=60_000)
        assert "of the figures tested" in page.inner_text("[role=status]")
        page.screenshot(path=artifact("web-compare-progress-en.png"))
        page.wait_for_url(re.compile(r".*/compare/[0-9a-f]{32}(\?.*)?$"), timeout=120_000)
        assert "Cycle time" in page.inner_text("main")
        page.screenshot(path=artifact("web-compare-result-en.png"))
        shared = page.url
        page.goto(shared)  # reloading the shared address shows it again at once
        assert page.url == shared and "Cycle time" in page.inner_text("main")


def test_browser_shows_a_failed_comparison_in_indonesian(served: tuple[str, str]) -> None:
    base, wid = served
    with browser_page() as page:
        sign_in(page, base, "id")
        page.goto(f"{base}/w/{wid}/compare?lang=id")
        page.select_option("select[name=before]", "lama")
        page.fill("input[name=split]", "2000-01-01")
        page.click("form.card button[value=compare]")
        page.wait_for_selector("p.error[role=alert]", timeout=60_000)
        text = " ".join(page.inner_text("p.error").split())
        assert "sisi sebelum perbandingan kosong" in text, text
        assert "split" not in text and "--" not in text
        page.screenshot(path=artifact("web-compare-failed-id.png"), full_page=True)


def test_an_api_comparison_takes_its_turn_in_the_line(site: Site) -> None:
    """Comparisons over the API join the one line of imports and comparisons: with both
    workers busy the answer waits, then comes with comparison.json."""
    jobs: Jobs = site.app.state.jobs
    go = threading.Event()
    busy = [jobs.start(ComparisonJob(wid="w", user_id=0, form={}),
                       lambda job: {"waited": go.wait(30)}) for _ in range(jobs.workers)]
    andi = site.client("andi")
    answers: list[Any] = []
    asked = threading.Thread(target=lambda: answers.append(
        andi.post(f"/api/w/{site.a}/compare", json={"before": "q1", "after": "q2"})))
    asked.start()
    deadline = time.monotonic() + 30
    while not (waiting := [j for j in jobs._jobs.values()
                            if isinstance(j, ComparisonJob) and j.wid == site.a]):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)
    assert jobs.position(waiting[0]) == 1 and waiting[0].phase == "queued"
    assert not answers and all(job.phase == "reading" for job in busy)
    go.set()
    asked.join(60)
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["before"]["name"] == "q1"
    rid = answers[0].headers["x-procflow-result"]
    assert answers[0].headers["location"] == f"/api/w/{site.a}/compare/{rid}"
