"""Every real log in ../shared/data gets a readable process map in seconds (default abstraction)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import procflow
from procflow.core.i18n import Texts
from procflow.render import map_budget
from procflow.render.files import write_graph
from procflow.render.map_budget import MapTooLarge
from procflow.render.process_map import AUTO_ACTIVITIES, AUTO_EDGES, MapOptions, process_map
from tests.conftest import shared_file
from tests.test_real_logs import COUNTS

LOGS = [(name, tz) for name, tz, *_ in COUNTS] + [("road_traffic_fines_full.csv.gz", None)]


@pytest.mark.parametrize(("name", "tz"), LOGS, ids=[n for n, _ in LOGS])
@pytest.mark.parametrize("profile", ["frequency", "performance"])
def test_real_log_map_renders_in_seconds(name: str, tz: str | None, profile: str,
                                         tmp_path: Path) -> None:
    data = procflow.analyze(procflow.read(shared_file(name), tz=tz)).to_dict()
    start = time.perf_counter()
    graph = process_map(data, MapOptions(profile=profile))  # type: ignore[arg-type]
    svg = write_graph(graph, tmp_path / "map.svg").read_text(encoding="utf-8")
    seconds = time.perf_counter() - start
    assert seconds < 10, f"{name}: {seconds:.1f} s"
    nodes = svg.count('class="node"')
    assert 3 <= nodes <= AUTO_ACTIVITIES + 2  # activities plus the start and end markers
    assert svg.count('class="edge"') <= AUTO_EDGES + 2 * AUTO_ACTIVITIES
    total = data["log"]["activities"]
    caption = (f"Showing all {total} activities" if total <= AUTO_ACTIVITIES
               else f"Showing {AUTO_ACTIVITIES} of {total:,} activities")
    assert caption in svg


ROOT = Path(__file__).resolve().parents[1]
#: Seconds `procflow map` may take on BPIC15_1 (reading the 25 MB log included): drawing,
#: or refusing with the settings that fit.
DRAWS_WITHIN, REFUSES_WITHIN = 90.0, 30.0


def procflow_cli(*args: str) -> tuple[int, str, float]:
    """Run the procflow command of this checkout: exit code, output, seconds."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from procflow.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - started


@pytest.mark.shared_data
@pytest.mark.slow
def test_cli_map_of_every_bpic15_activity_and_path_is_drawn_or_refused_in_time(tmp_path: Path):
    log = str(shared_file("BPIC15_1.xes.gz"))
    out = tmp_path / "m.svg"
    code, text, seconds = procflow_cli("map", log, "--activities", "100", "--edges", "100",
                                       "--out", str(out))
    print(f"\nprocflow map BPIC15_1 --activities 100 --edges 100: exit {code} after "
          f"{seconds:.1f} s\n{text}")
    assert "Traceback" not in text
    if code == 0:
        assert seconds < DRAWS_WITHIN and out.stat().st_size > 0
        return
    assert code == 2 and seconds < REFUSES_WITHIN, (code, seconds)
    assert not out.exists()
    assert text.startswith("error: This map would show 398 activities and 4,699 paths")
    assert "of the log's 398 activities and" in text
    advice = text[text.index("Choose --"):].split(":")[0]
    chosen = re.findall(r"--(activities|edges) (\d+)", advice)
    assert chosen, advice
    options = {"activities": "100", "edges": "100", **dict(chosen)}
    code, text, seconds = procflow_cli("map", log, "--activities", options["activities"],
                                       "--edges", options["edges"], "--out", str(out))
    print(f"procflow map BPIC15_1 --activities {options['activities']} --edges "
          f"{options['edges']}: exit {code} after {seconds:.1f} s")
    assert code == 0 and seconds < DRAWS_WITHIN, (code, seconds, text)
    assert out.read_text(encoding="utf-8").count('class="node"') >= 3


@pytest.mark.shared_data
@pytest.mark.slow
def test_bpic15_refusal_in_indonesian_names_settings_that_are_drawn():
    data = procflow.analyze(procflow.read(shared_file("BPIC15_1.xes.gz"))).to_dict()
    started = time.perf_counter()
    with pytest.raises(MapTooLarge) as refused:
        map_budget.plan(data, MapOptions(activities=100, edges=100, texts=Texts("id")))
    assert time.perf_counter() - started < REFUSES_WITHIN
    assert str(refused.value).startswith("Peta ini akan menampilkan 398 aktivitas dan 4.699 alur")
    web = refused.value.explain(Texts("id"), "web")
    assert "dari 398 aktivitas log ini" in web and "“Alur yang ditampilkan” 10%" in web
    for fit in refused.value.fits:
        chosen = map_budget.plan(data, MapOptions(activities=fit.activities or 100,
                                                  edges=fit.paths or 100))
        assert chosen.seconds <= map_budget.BUDGET
        assert (len(chosen.view.activities), len(chosen.view.edges)) == (fit.shown,
                                                                         fit.shown_paths)
