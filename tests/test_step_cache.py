"""The derived tables stored at import (dictionaries, case-ordered steps, case times) give
the analysis that the same events give without them: every count, code, name, variant and
order equal, floats equal up to the rounding of a sum taken in another row order (1e-9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import procflow
from procflow import ImportOptions, Workspace
from procflow.errors import ProcflowError
from procflow.eventlog import EventLog
from procflow.measure.backends import DuckDBBackend
from procflow.measure.prepare import CACHE_PARTS, _cache
from tests.conftest import SAMPLE, shared_file
from tests.test_metrics_exact import (
    LANES_CSV,
    LIFECYCLE_CSV,
    MAIN_CSV,
    ORG_LOG_CSV,
    ORG_TZ,
    ORGCHART_CSV,
    START_COLUMN_CSV,
    approx_tree,
)

SETTINGS: list[dict[str, Any]] = [
    {},
    {"decisions": "Paraf"},
    {"decisions": "^(B|X|Submit|Approve)$", "handoff_by": "role"},
    {"handoff_by": "unit"},
    {"handoff_by": "resource", "top_variants": 2},
    {"decisions": "(?i)a", "handoff_by": "role", "top_variants": 1},
]


def stored(ws: Workspace, name: str) -> list[str]:
    log = ws.log(name)
    return [r[0] for r in ws.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND starts_with(table_name, ?)", [f"{log.table}_"]).fetchall()]


def uses_cache(log: EventLog) -> bool:
    backend = DuckDBBackend(log.con, log.table)
    try:
        return _cache(backend) is not None
    finally:
        backend.close()


def outcome(log: EventLog, settings: dict[str, Any]) -> Any:
    try:
        return procflow.analyze(log, **settings).to_dict()
    except ProcflowError as err:
        return type(err).__name__, str(err)


def assert_same(ws: Workspace, name: str, settings_list: list[dict[str, Any]]) -> None:
    """analysis.json of the stored log (cached) == that of a plain copy of its events."""
    log = ws.log(name)
    assert uses_cache(log)
    ws.con.execute(f"CREATE OR REPLACE TEMP TABLE plain_copy AS SELECT * FROM {log.table}")
    plain = EventLog(log.name, ws.con, "plain_copy")
    assert not uses_cache(plain)
    try:
        for settings in settings_list:
            assert outcome(log, settings) == approx_tree(outcome(plain, settings)), settings
    finally:
        ws.con.execute("DROP TABLE plain_copy")


# With the default decisions, their paths are stored too (MAIN has levels and decisions).
OPTIONAL = (*CACHE_PARTS, "by_activity", "decisions", "decisions_key", "paths", "paths_key",
            "pairs", "pairs_key")

CRAFTED = {"main": MAIN_CSV, "lanes": LANES_CSV, "lifecycle": LIFECYCLE_CSV,
           "starts": START_COLUMN_CSV}


@pytest.mark.parametrize("name", CRAFTED)
def test_crafted_logs(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(CRAFTED[name], encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_file(path)
        assert_same(ws, name, SETTINGS)
        # Also against a fresh read of the file.
        for settings in SETTINGS[:3]:
            assert outcome(ws.log(name), settings) == approx_tree(
                outcome(procflow.read(path), settings))


def test_crafted_org_log_with_orgchart(tmp_path: Path) -> None:
    log_path, chart = tmp_path / "org.csv", tmp_path / "chart.csv"
    log_path.write_text(ORG_LOG_CSV, encoding="utf-8")
    chart.write_text(ORGCHART_CSV, encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_file(log_path, options=ImportOptions(tz=ORG_TZ, orgchart=chart))
        assert_same(ws, "org", SETTINGS)
        assert outcome(ws.log("org"), {}) == approx_tree(outcome(
            procflow.read(log_path, tz=ORG_TZ, orgchart=chart), {}))


@pytest.mark.parametrize("orgchart", [True, False])
def test_sample_logs(tmp_path: Path, orgchart: bool) -> None:
    options = ImportOptions(tz="Asia/Makassar",
                            orgchart=SAMPLE / "orgchart.csv" if orgchart else None)
    settings = [{}, {"handoff_by": "role"}, {"handoff_by": "unit", "top_variants": 5},
                {"decisions": "Paraf", "top_variants": 100}]
    if orgchart:
        settings.append({"calendar": "id"})
        settings.append({"calendar": "id-sat", "sla": ["case=20 working days"]})
    with Workspace(tmp_path / "ws.duckdb") as ws:
        for side in ("before", "after"):
            ws.import_file(SAMPLE / f"{side}.csv", options=options)
            assert_same(ws, side, settings)


REAL = [("running-example.xes", None), ("receipt.xes.gz", None), ("sepsis.csv", "UTC"),
        ("interval_event_log.xes", None), ("BPI_2020_DomesticDeclarations.xes.gz", None)]


@pytest.mark.parametrize(("name", "tz"), REAL)
def test_real_logs(tmp_path: Path, name: str, tz: str | None) -> None:
    path = shared_file(name)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        logname = ws.import_file(path, options=ImportOptions(tz=tz)).name
        assert_same(ws, logname, [{}, {"handoff_by": "role"}, {"top_variants": 3},
                                  {"decisions": "(?i)approv|check", "handoff_by": "resource"}])


def test_cache_dropped_on_remove_and_rebuilt_on_replace(tmp_path: Path) -> None:
    path = tmp_path / "main.csv"
    path.write_text(MAIN_CSV, encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_file(path)
        table = ws.log("main").table
        assert sorted(stored(ws, "main")) == sorted(f"{table}_{p}" for p in OPTIONAL)
        before = outcome(ws.log("main"), {})
        # Replace with other events: the cache follows them.
        path.write_text(MAIN_CSV + "c9,Submit,2024-03-05T08:00:00Z,ana,Staff,FO,5\n",
                        encoding="utf-8")
        ws.import_file(path, replace=True)
        new_table = ws.log("main").table
        assert new_table != table
        assert sorted(stored(ws, "main")) == sorted(f"{new_table}_{p}" for p in OPTIONAL)
        leftovers = ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE "
                                   "starts_with(table_name, ?)", [f"{table}_"]).fetchall()[0][0]
        assert leftovers == 0
        assert uses_cache(ws.log("main"))
        after = outcome(ws.log("main"), {})
        assert after == approx_tree(outcome(procflow.read(path), {}))
        assert after != before
        ws.remove("main")
        remaining = ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE "
                                   "starts_with(table_name, ?)", [f"{new_table}"]).fetchall()[0][0]
        assert remaining == 0


def test_old_workspace_without_cache_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "main.csv"
    path.write_text(MAIN_CSV, encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_file(path)
        cached = outcome(ws.log("main"), {"handoff_by": "role"})
        table = ws.log("main").table
        # What an older version left: the events table alone.
        for part in CACHE_PARTS:
            ws.con.execute(f"DROP TABLE {table}_{part}")
        assert not uses_cache(ws.log("main"))
        assert outcome(ws.log("main"), {"handoff_by": "role"}) == approx_tree(cached)
        ws.remove("main")  # removing works without the cache too
        assert ws.logs() == []


def test_workspace_from_before_the_default_figures_were_stored(tmp_path: Path) -> None:
    """A log stored without the grouping by activity and the default settings' figures
    (decisions, handoff pairs) is analysed from its other stored tables, to the same figures."""
    path = tmp_path / "main.csv"
    path.write_text(MAIN_CSV, encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.import_file(path)
        table = ws.log("main").table
        before = [outcome(ws.log("main"), s) for s in SETTINGS]
        assert outcome(ws.log("main"), {})["decisions"]["by_role"]  # figures to lose
        for part in ("by_activity", "decisions", "decisions_key", "pairs", "pairs_key"):
            ws.con.execute(f"DROP TABLE {table}_{part}")
        assert uses_cache(ws.log("main"))
        assert [outcome(ws.log("main"), s) for s in SETTINGS] == approx_tree(before)
