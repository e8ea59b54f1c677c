"""Every real log in ../shared/data gets a readable process map in seconds (default abstraction)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import procflow
from procflow.render.files import write_graph
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
