"""Start/complete pairing (METRICS §2): exact cases and a property test against a queue."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.core import db
from procflow.ingest.instances import instances_sql, lifecycle_summary, mode_of

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _events(rows: list[tuple[str, str, int, str | None]]) -> pa.Table:
    """rows: (case, activity, minute, lifecycle) in file order."""
    return pa.table({
        "event_id": pa.array(range(1, len(rows) + 1), pa.int64()),
        "case_id": [r[0] for r in rows],
        "activity": [r[1] for r in rows],
        "timestamp": pa.array([T0 + dt.timedelta(minutes=r[2]) for r in rows],
                              pa.timestamp("us", tz="UTC")),
        "start_timestamp": pa.nulls(len(rows), pa.timestamp("us", tz="UTC")),
        "resource": pa.nulls(len(rows), pa.string()),
        "role": pa.nulls(len(rows), pa.string()),
        "unit": pa.nulls(len(rows), pa.string()),
        "level": pa.nulls(len(rows), pa.int32()),
        "lifecycle": pa.array([r[3] for r in rows], pa.string()),
    })


COLUMNS = ("event_id", "case_id", "activity", "timestamp", "lifecycle")


def _mode(con: duckdb.DuckDBPyConnection) -> str:
    values = db.rows(con, "SELECT DISTINCT lifecycle FROM events WHERE lifecycle IS NOT NULL")
    return mode_of({v for (v,) in values})


def _pairs(events: pa.Table) -> dict[int, int | None]:
    con = duckdb.connect()
    con.register("events", events)
    mode = _mode(con)
    sql = instances_sql("events", mode, columns=COLUMNS)
    rows = db.rows(con, f"SELECT event_id, start_event_id FROM ({sql})")
    return dict(rows)


def test_fifo_pairing_exact() -> None:
    ev = _events([
        ("c", "A", 0, "start"),     # 1
        ("c", "A", 1, "start"),     # 2
        ("c", "A", 2, "complete"),  # 3 ← 1 (oldest start)
        ("c", "B", 2, "complete"),  # 4 no start
        ("c", "A", 3, "complete"),  # 5 ← 2
        ("c", "A", 4, "complete"),  # 6 none waiting
        ("c", "A", 5, "start"),     # 7 unpaired
        ("d", "A", 0, "start"),     # 8 other case
        ("d", "A", 1, "schedule"),  # 9 other transition
        ("d", "A", 2, None),        # 10 null = complete ← 8
    ])
    assert _pairs(ev) == {3: 1, 4: None, 5: 2, 6: None, 10: 8}
    con = duckdb.connect()
    con.register("events", ev)
    summary = lifecycle_summary(con, "events")
    assert summary == {"mode": "standard", "events": 10, "instances": 5, "paired": 3,
                       "unpaired_starts": 1, "completes_without_start": 2,
                       "other_transitions": {"schedule": 1}}


def test_complete_before_start_at_equal_time_follows_file_order() -> None:
    ev = _events([("c", "A", 0, "complete"), ("c", "A", 0, "start"), ("c", "A", 0, "complete")])
    assert _pairs(ev) == {1: None, 3: 2}


def test_non_standard_lifecycle_is_an_attribute() -> None:
    ev = _events([("c", "Queued", 0, "Awaiting Assignment"), ("c", "Accepted", 1, "In Progress")])
    con = duckdb.connect()
    con.register("events", ev)
    assert _mode(con) == "attribute"
    assert _pairs(ev) == {1: None, 2: None}


def _reference(rows: list[tuple[str, str, int, str | None]]) -> dict[int, int | None]:
    """Plain-Python FIFO queue per (case, activity)."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i][2], i))
    waiting: dict[tuple[str, str], deque[int]] = defaultdict(deque)
    out: dict[int, int | None] = {}
    for i in order:
        case, act, _, lc = rows[i]
        if lc == "start":
            waiting[case, act].append(i + 1)
        elif lc in (None, "complete"):
            queue = waiting[case, act]
            out[i + 1] = queue.popleft() if queue else None
    return out


rows_strategy = st.lists(
    st.tuples(st.sampled_from(["c1", "c2"]), st.sampled_from(["A", "B"]),
              st.integers(0, 6), st.sampled_from(["start", "complete", None])),
    min_size=1, max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_pairing_equals_queue_reference(rows: list[tuple[str, str, int, str | None]]) -> None:
    if not any(r[3] for r in rows):
        rows = [*rows, ("c1", "A", 0, "complete")]
    assert _pairs(_events(rows)) == _reference(rows)
