"""Shared fixtures: the real logs in ../shared/data (skipped with a reason where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "logs" / "permit-delayering"


def shared_file(name: str) -> Path:
    """Path of a real log in ../shared/data; skips the test when it is not there."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {SHARED_DATA} (the shared data folder is "
                    "not beside this checkout)")
    return path


@pytest.fixture
def workspace_path(tmp_path: Path) -> Path:
    """A fresh workspace file location."""
    return tmp_path / "ws.duckdb"
