"""A case's variant in the stored case tables (activity codes packed with their step numbers
and sorted as integers) is the text of the ordered aggregate used elsewhere."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from procflow.core import db
from procflow.measure import queries as q

CODE = st.integers(min_value=1, max_value=2**31 - 1)
CASES = st.lists(st.lists(CODE, min_size=1, max_size=30), min_size=1, max_size=20)


def variants(steps: list[tuple[int, int, int]], expression: str) -> dict[int, str]:
    con = db.connect()
    try:
        db.run(con, "CREATE TABLE s (case_id INTEGER, seq BIGINT, activity INTEGER)")
        con.executemany("INSERT INTO s VALUES (?, ?, ?)", steps)
        return dict(db.rows(con, f"SELECT case_id, {expression} FROM s GROUP BY case_id"))
    finally:
        con.close()


@settings(max_examples=40, deadline=None)
@given(CASES, st.integers(min_value=0, max_value=2**31 - 40), st.randoms())
def test_packed_variant_is_the_ordered_aggregate(cases: list[list[int]], first: int,
                                                 rng: random.Random) -> None:
    steps = [(case, first + seq, activity) for case, codes in enumerate(cases)
             for seq, activity in enumerate(codes)]
    rng.shuffle(steps)  # rows in any order: only the step numbers order them
    expected = {case: ",".join(map(str, codes)) for case, codes in enumerate(cases)}
    assert variants(steps, q.VARIANT) == expected
    assert variants(steps, q.PACKED_VARIANT) == expected


def test_packed_variant_exact() -> None:
    steps = [(1, 3, 7), (1, 1, 12), (1, 2, 7), (2, 1, 2**31 - 1), (2, 10, 1)]
    assert variants(steps, q.PACKED_VARIANT) == {1: "12,7,7", 2: f"{2**31 - 1},1"}
