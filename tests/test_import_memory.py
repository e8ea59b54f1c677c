"""The derived tables of an import within DuckDB's memory limit: quantiles read off ranking
windows (which spill) give the very figures of the holistic aggregates (which do not), and an
import that still runs out of memory or disk fails with an error that says so, leaving the
workspace as it was."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import procflow
from procflow import Workspace
from procflow.core import db
from procflow.errors import WorkspaceError
from procflow.measure import prepare
from procflow.measure import queries as q
from procflow.simulate.bulk import write
from tests.test_streamed_import import _leaves

KINDS = q.GROUPING_KINDS


def _steps(con: duckdb.DuckDBPyConnection,
           rows: list[tuple[int, int, float | None]] | None) -> None:
    """``pf_steps`` with the columns the groupings read, one row per (key, case, value) of
    ``rows`` (None: of the table ``raw`` there is)."""
    if rows is not None:
        con.execute("CREATE OR REPLACE TABLE raw (k INTEGER, c INTEGER, v DOUBLE)")
    if rows:
        con.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
    con.execute("""CREATE OR REPLACE TEMP VIEW pf_steps AS SELECT c AS case_id, 2 AS seq,
        k AS activity, k % 3 AS prev_activity, k % 4 AS resource, (k + c) % 4 AS prev_resource,
        c % 2 AS role, CASE WHEN c % 5 > 0 THEN c % 3 END AS unit, k % 3 AS level, v AS elapsed,
        v / 3 AS wait, v * 7 AS processing, k % 2 = 0 AS is_decision, v AS w_elapsed,
        v AS w_wait, v AS w_processing FROM raw""")


def _figures(con: duckdb.DuckDBPyConnection, working: bool, ranked: bool) -> dict[str, list]:
    return {kind: sorted(con.execute(sql).fetchall(), key=repr)
            for kind, sql in q.groupings(working, ranked=ranked).items()}


DECISION_KEYS = ("role", "unit", "level", "resource")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """The rows of ``sql`` as dictionaries (columns in any order), the overall decision row
    left out when it counts no value (the ranked form has no such row: the same figures)."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    rows = [r for r in rows if not (all(r.get(f"g_{k}") == 1 for k in DECISION_KEYS)
                                    and not any(r[c] for c in r if c.endswith("_n")))]
    return sorted(rows, key=lambda r: repr(sorted(r.items())))


def _decisions_and_pairs(con: duckdb.DuckDBPyConnection, working: bool, ranked: bool
                         ) -> dict[str, list]:
    return {"decisions": _rows(con, q.decisions(DECISION_KEYS, working, ranked)),
            "pairs": _rows(con, q.handoff_pairs("resource", working, ranked))}


def test_ranked_quantiles_by_hand() -> None:
    """Median and p90 of 1, 2, 4, 10 (edge 1 → 1): ranks 1.5 and 2.7 of 0..3, so 3.0 and
    4 + 0.7 × 6 = 8.2; a group of one value gives it twice; null values are not counted."""
    con = db.connect()
    _steps(con, [(1, 1, 1.0), (1, 1, 2.0), (1, 2, 4.0), (1, 3, 10.0), (2, 1, 5.0),
                 (4, 1, None)])
    edges = {(r[0], r[1]): r for r in con.execute(q.groupings()["edge"]).fetchall()}
    assert edges[(1, 1)][2:5] == (4, 3, 4)  # count, cases, elapsed_n
    assert edges[(1, 1)][6] == pytest.approx([3.0, 8.2])
    assert edges[(2, 2)][6] == [5.0, 5.0]
    assert edges[(1, 4)][4] == 0 and edges[(1, 4)][6] is None


values = st.one_of(st.none(), st.integers(-50, 50).map(float),
                   st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6), values), max_size=60),
       st.booleans())
def test_ranked_groupings_are_the_aggregates_to_the_last_bit(
        rows: list[tuple[int, int, float | None]], working: bool) -> None:
    """Every figure of every grouping, working twins included, equals the holistic
    aggregates' (one thread: sums in the same order)."""
    con = db.connect()
    con.execute("SET threads = 1")
    _steps(con, rows)
    assert _figures(con, working, ranked=True) == _figures(con, working, ranked=False)
    ranked = _decisions_and_pairs(con, working, ranked=True)
    assert ranked == _decisions_and_pairs(con, working, ranked=False)


def test_ranked_groupings_are_the_aggregates_on_many_values() -> None:
    """200,000 values in a few large groups (ties, negatives, nulls): the same figures."""
    con = db.connect()
    con.execute("SET threads = 1")
    con.execute("SELECT setseed(0.5)")
    con.execute("""CREATE OR REPLACE TABLE raw AS SELECT (i % 7)::INTEGER AS k,
        (i // 5)::INTEGER AS c, CASE WHEN i % 11 = 0 THEN NULL WHEN i % 3 = 0
        THEN (i % 40)::DOUBLE ELSE (hash(i) % 1000000)::DOUBLE / 7 END AS v
        FROM range(200000) r(i)""")
    _steps(con, None)
    con.execute("INSERT INTO raw SELECT * FROM raw")  # every value twice
    assert con.execute("SELECT count(*) FROM pf_steps").fetchall() == [(400_000,)]
    assert _figures(con, True, ranked=True) == _figures(con, True, ranked=False)
    ranked = _decisions_and_pairs(con, True, ranked=True)
    assert ranked["decisions"] and ranked["pairs"]
    assert ranked == _decisions_and_pairs(con, True, ranked=False)


def test_grouping_within_a_limit_the_holistic_aggregate_exceeds() -> None:
    """Five million transitions on 15 edges under a 64 MB limit: the ranked grouping spills
    and succeeds where the quantile aggregates run out of memory."""
    con = db.connect()
    con.execute("""CREATE TABLE s AS SELECT (i % 3)::INTEGER AS prev_activity,
        (i % 5)::INTEGER AS activity, (i // 7)::INTEGER AS case_id, 2 AS seq,
        (hash(i) % 1000000)::DOUBLE AS elapsed, NULL::DOUBLE AS wait FROM range(5000000) r(i)""")
    con.execute("CREATE TEMP VIEW pf_steps AS SELECT * FROM s")
    con.execute("SET memory_limit = '64MB'")
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute("SELECT count(*) FROM (" + q.groupings(ranked=False)["edge"] + ")").fetchall()
    edges = con.execute(q.groupings()["edge"]).fetchall()
    assert len(edges) == 15 and sum(r[2] for r in edges) == 5_000_000


def test_import_out_of_memory_is_a_clear_error_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log imported under a DuckDB limit too small for it: the error names the log, says
    memory ran out and names PROCFLOW_MEMORY_LIMIT; the workspace keeps its earlier log,
    readable, and nothing of the failed one."""
    small, big = tmp_path / "small.parquet", tmp_path / "big.parquet"
    write(small, 2000, seed=1, quiet=True)
    write(big, 300_000, seed=2, quiet=True)
    ws_path = tmp_path / "ws.duckdb"
    with Workspace(ws_path) as ws:
        ws.import_file(small)
        before = ws.con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    monkeypatch.setattr(db, "MEMORY_LIMIT", "4MB")
    with Workspace(ws_path) as ws, pytest.raises(WorkspaceError) as caught:
        ws.import_file(big)
    err = caught.value
    assert err.code == "import_out_of_memory" and err.params["name"] == "big"
    assert "'big'" in str(err) and "ran out of memory" in str(err)
    assert "PROCFLOW_MEMORY_LIMIT" in str(err) and "unchanged" in str(err)
    assert not isinstance(err.__cause__, duckdb.TransactionException)
    monkeypatch.setattr(db, "MEMORY_LIMIT", "2GB")
    with Workspace(ws_path) as ws:
        assert [r["name"] for r in ws.logs()] == ["small"]
        assert ws.con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1"
                              ).fetchall() == before
        assert ws.log("small").to_pandas().shape[0] == ws.logs()[0]["events"]


def test_disk_full_is_told_apart() -> None:
    """DuckDB's words for a full disk are the disk's, not memory's."""
    assert db.exhausted(duckdb.IOException("could not write: No space left on device")) == "disk"
    assert db.exhausted(duckdb.OutOfMemoryException("failed to allocate")) == "memory"
    assert db.exhausted(duckdb.IOException("permission denied")) is None


def test_analysis_is_the_same_whichever_way_the_quantiles_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated log imported and analysed with the aggregates (it fits the limit) and with
    the ranking windows forced: the same analysis, every median and p90 to the last bit
    (sums and means of many doubles may differ in their last bits: the order of addition
    differs between the two plans, as it does between threads)."""
    path = tmp_path / "log.parquet"
    write(path, 20_000, seed=3, quiet=True)
    found = []
    for per_step in (prepare.QUANTILE_BYTES, 1 << 40):
        monkeypatch.setattr(prepare, "QUANTILE_BYTES", per_step)
        with Workspace(tmp_path / f"{per_step}.duckdb") as ws:
            ws.import_file(path)
            found.append(procflow.analyze(ws.log("log")).to_dict())
            found.append(procflow.analyze(ws.log("log"), calendar="id")
                         .to_dict())
    for aggregated, ranked in ((found[0], found[2]), (found[1], found[3])):
        a, r = dict(_leaves(aggregated)), dict(_leaves(ranked))
        assert a.keys() == r.keys()
        for at, value in a.items():
            if at.endswith(("/median", "/p90")) or not isinstance(value, float):
                assert r[at] == value, at
            else:
                assert r[at] == pytest.approx(value, rel=1e-12), at

