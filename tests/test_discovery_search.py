"""The inductive miner's fall-through search: said when it is skipped (above the activity
limit), run on request in a process that is stopped at the time limit (keeping the fast model),
from Python and from ``procflow discover``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from procflow import mine
from procflow.cli import main
from procflow.errors import InputError
from procflow.mine.full_search import flatten, unflatten
from procflow.mine.model import checked_variants

#: Four activities where no cut is found without the fall-throughs: the fast model is a
#: flower (5 places), the full one has 11.
VARIANTS = {("a", "b", "c", "d"): 3, ("a", "c", "b", "d"): 2, ("a", "b", "b", "d"): 1,
            ("d", "a"): 1}


def model_bytes(model: mine.Model, tmp_path: Path, suffix: str = ".pnml") -> bytes:
    folder = tmp_path / "reference"
    folder.mkdir(exist_ok=True)
    return mine.write_model(model, folder / f"model{suffix}").read_bytes()


@pytest.fixture(scope="module")
def full() -> mine.Model:
    return mine.discover(VARIANTS)


@pytest.fixture(scope="module")
def fast() -> mine.Model:
    return mine.discover(VARIANTS, fall_through_limit=3)


def test_the_search_is_recorded(full: mine.Model, fast: mine.Model) -> None:
    assert full.search == mine.Search(activities=4, limit=60, fall_throughs=True)
    assert fast.search == mine.Search(activities=4, limit=3, fall_throughs=False)
    assert (len(full.net.places), len(fast.net.places)) == (11, 5)
    assert fast.search.to_dict() == {"activities": 4, "limit": 3, "fall_throughs": False,
                                     "full_search": False, "timed_out": False,
                                     "time_limit": None, "seconds": None}
    assert mine.discover(VARIANTS, algorithm="heuristics").search is None
    assert mine.skips_fall_throughs(61) and not mine.skips_fall_throughs(60)
    assert mine.skips_fall_throughs(4, limit=3)


def test_full_search_gives_the_full_model(full: mine.Model, tmp_path: Path) -> None:
    searched = mine.discover(VARIANTS, fall_through_limit=3, full_search=True, time_limit=300)
    assert searched.search is not None
    assert (searched.search.fall_throughs, searched.search.full_search,
            searched.search.timed_out, searched.search.time_limit) == (True, True, False, 300)
    assert searched.search.seconds is not None and 0 < searched.search.seconds < 300
    for suffix in (".pnml", ".bpmn"):
        assert model_bytes(searched, tmp_path, suffix) == model_bytes(full, tmp_path, suffix)


def test_time_out_keeps_the_fast_model(fast: mine.Model, tmp_path: Path) -> None:
    stopped = mine.discover(VARIANTS, fall_through_limit=3, full_search=True, time_limit=0.001)
    assert stopped.search is not None
    assert (stopped.search.fall_throughs, stopped.search.full_search,
            stopped.search.timed_out, stopped.search.time_limit) == (False, True, True, 0.001)
    assert model_bytes(stopped, tmp_path) == model_bytes(fast, tmp_path)


def test_within_the_limit_there_is_nothing_more_to_search(full: mine.Model,
                                                         tmp_path: Path) -> None:
    model = mine.discover(VARIANTS, full_search=True, time_limit=0.001)
    assert model.search == mine.Search(activities=4, limit=60, fall_throughs=True)
    assert model_bytes(model, tmp_path) == model_bytes(full, tmp_path)


def test_tree_survives_the_process_boundary() -> None:
    from procflow.mine.discovery import process_tree

    tree = process_tree(checked_variants(VARIANTS), 0.0, True)
    nodes = flatten(tree)
    assert nodes[0][0] == -1 and all(parent < i for i, (parent, _, _) in enumerate(nodes))
    assert json.loads(json.dumps(nodes)) == [list(n) for n in nodes]
    assert str(unflatten(nodes)) == str(tree)


def test_refuses_a_full_search_without_fall_throughs() -> None:
    with pytest.raises(InputError, match="full search"):
        mine.discover(VARIANTS, fall_throughs=False, full_search=True)


# procflow discover --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("discover") / "log.csv"
    lines = ["case,activity,timestamp"]
    case = 0
    for variant, n in VARIANTS.items():
        for _ in range(n):
            case += 1
            lines += [f"c{case},{a},2024-03-{case:02d}T{8 + i:02d}:00:00Z"
                      for i, a in enumerate(variant)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_says_the_search_was_skipped(log_file: Path, tmp_path: Path) -> None:
    fast = mine.discover(VARIANTS, fall_through_limit=3, name="log")
    out = run("discover", str(log_file), "--out", str(tmp_path / "m.pnml"),
              "--fall-through-limit", "3")
    assert ("The log has 4 activities (more than 3): the inductive miner skipped pm4py's "
            "fall-through search, so the model may be looser than pm4py's own. Run it with "
            "--full-search --time-limit SECONDS.") in out
    assert (tmp_path / "m.pnml").read_bytes() == model_bytes(fast, tmp_path)
    data = json.loads(run("discover", str(log_file), "--out", str(tmp_path / "j.pnml"),
                          "--fall-through-limit", "3", "--json"))
    assert data["search"]["fall_throughs"] is False and data["files"] == [
        str(tmp_path / "j.pnml")]
    quiet = run("discover", str(log_file), "--out", str(tmp_path / "q.pnml"))
    assert "fall-through" not in quiet


def test_cli_full_search_and_its_time_out(log_file: Path, tmp_path: Path) -> None:
    full = mine.discover(VARIANTS, name="log")
    fast = mine.discover(VARIANTS, fall_through_limit=3, name="log")
    data = json.loads(run("discover", str(log_file), "--out", str(tmp_path / "f.pnml"),
                          "--fall-through-limit", "3", "--full-search", "--json"))
    assert (data["search"]["fall_throughs"], data["search"]["timed_out"]) == (True, False)
    assert (tmp_path / "f.pnml").read_bytes() == model_bytes(full, tmp_path)
    out = run("discover", str(log_file), "--out", str(tmp_path / "t.pnml"),
              "--fall-through-limit", "3", "--full-search", "--time-limit", "0.001")
    assert ("The full search did not finish within 0.001 s; the fast model (without pm4py's "
            "fall-through search) is kept.") in out
    assert (tmp_path / "t.pnml").read_bytes() == model_bytes(fast, tmp_path)
