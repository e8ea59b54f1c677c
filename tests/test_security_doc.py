"""docs/security.md names only tests that exist, so the threat table cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def named_tests() -> list[tuple[str, str]]:
    """(file, test) pairs of the table; ``::name`` after a file reference keeps its file."""
    pairs = []
    for cell in re.findall(r"\| ([^|]*`[^|]*) \|$", (ROOT / "docs" / "security.md").read_text(
            encoding="utf-8"), re.M):
        current = ""
        for ref in re.findall(r"`([\w.]*::[\w\[\]-]+)`", cell):
            file, _, name = ref.partition("::")
            current = file or current
            pairs.append((current, name.split("[")[0]))
    return pairs


def test_every_threat_names_a_test_that_exists() -> None:
    pairs = named_tests()
    assert len(pairs) > 60
    missing = [f"{file}::{name}" for file, name in pairs
               if not re.search(rf"^(?:async )?def {re.escape(name)}\(",
                                (ROOT / "tests" / file).read_text(encoding="utf-8"), re.M)]
    assert missing == []
