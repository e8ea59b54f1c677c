"""The package layout: each stage imports only lower stages, as docs/architecture.md draws it.

Imports are read from the source (module level, inside functions and under TYPE_CHECKING
alike), so a new module, package or import that breaks the flow fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "procflow"

# Lower stages first; a unit may import itself and units of a strictly lower rank.
RANKS: dict[str, int] = {
    "errors": 0, "result": 0,
    "core": 1,
    "ingest": 2, "simulate": 2,
    "calendar": 3,
    "eventlog": 4,
    "api": 5,
    "measure": 6,
    "store": 7, "filters": 7,
    "render": 8,
    "mine": 9,
    "conform": 10,
    "compare": 11,
    "explain": 12,
    "report": 13,
    "web": 14,
    "cli": 15,
    "procflow": 16,  # the package root: the public names
}
TOP_MODULES = {"__init__.py", "api.py", "errors.py", "eventlog.py", "result.py"}


def module_name(path: Path) -> str:
    """``procflow/ingest/csv.py`` → ``procflow.ingest.csv``; a package's ``__init__`` is the
    package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """The stage a module belongs to: its package below ``procflow``, or the top module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "procflow"


def imported(path: Path) -> set[str]:
    """The procflow modules that ``path`` imports (``from procflow import x`` names x)."""
    modules = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "procflow"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "procflow":
                found |= {f"procflow.{a.name}" if a.name in modules else "procflow"
                          for a in node.names}
            elif node.module.startswith("procflow."):
                found.add(node.module)
    return found


def edges() -> list[tuple[str, str]]:
    """Every (importer, imported) pair of procflow modules."""
    return [(module_name(path), target) for path in sorted(PACKAGE.rglob("*.py"))
            for target in sorted(imported(path))]


def violations(pairs: list[tuple[str, str]]) -> list[str]:
    """Imports of a unit not strictly below the importer's (or of an unknown unit)."""
    bad = []
    for source, target in pairs:
        a, b = unit(source), unit(target)
        if a not in RANKS or b not in RANKS:
            bad.append(f"{source} → {target}: unit {a if a not in RANKS else b} has no rank")
        elif a != b and RANKS[b] >= RANKS[a]:
            bad.append(f"{source} ({a}) imports {target} ({b}), not a lower stage")
    return bad


def test_every_import_goes_to_a_lower_stage() -> None:
    assert violations(edges()) == []


def test_the_check_catches_an_upward_import() -> None:
    assert violations([("procflow.measure.figures", "procflow.report.html")]) == [
        "procflow.measure.figures (measure) imports procflow.report.html (report), "
        "not a lower stage"]
    assert violations([("procflow.ingest.csv", "procflow.cli.options")])
    assert violations([("procflow.store.workspace", "procflow.stuff")])
    assert violations([("procflow.mine.files", "procflow.mine.model")]) == []


def test_only_the_entry_points_stay_at_the_top() -> None:
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == TOP_MODULES


@pytest.mark.parametrize("folder", sorted(p.name for p in PACKAGE.iterdir()
                                          if (p / "__init__.py").exists()))
def test_each_package_has_a_rank_and_a_row_in_the_architecture_doc(folder: str) -> None:
    assert folder in RANKS, f"procflow/{folder}/ needs a rank in RANKS"
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| (\d+) \| `{folder}/` \|", doc, re.M)
    assert row, f"docs/architecture.md has no row for {folder}/"
    assert int(row.group(1)) == RANKS[folder], f"{folder}/: the doc's stage differs from RANKS"


def test_nothing_but_the_shells_imports_cli_or_web() -> None:
    users = {(unit(s), unit(t)) for s, t in edges() if unit(t) in ("cli", "web")}
    assert {a for a, b in users if a != b} <= {"cli"}
