"""The inductive miner with pm4py's fall-through search, in a process that can be stopped.

On logs with many activities the fall-through search can run for many minutes. Here it runs
in a child Python process (``python -m procflow.mine.full_search``) within a time limit and is
killed when the time is up. The variants go in and the process tree comes back as JSON (the
tree as a flat list of nodes), so no pm4py object crosses the process boundary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from procflow.errors import ProcflowError

#: One node of a flattened process tree: its parent's index (-1 for the root), its
#: operator's name (None for a leaf) and its label (None for a silent leaf or an operator).
Node = tuple[int, str | None, str | None]


def flatten(tree: Any) -> list[Node]:
    """A pm4py process tree as nodes in depth-first order, parents before children."""
    nodes: list[Node] = []
    stack: list[tuple[Any, int]] = [(tree, -1)]
    while stack:
        node, parent = stack.pop()
        nodes.append((parent, node.operator.name if node.operator is not None else None,
                      node.label))
        index = len(nodes) - 1
        stack.extend((child, index) for child in reversed(node.children))
    return nodes


def unflatten(nodes: list[Node]) -> Any:
    """The pm4py process tree of :func:`flatten`'s nodes."""
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    built: list[Any] = []
    for parent, operator, label in nodes:
        node = ProcessTree(operator=Operator[operator] if operator else None, label=label)
        if parent >= 0:
            node.parent = built[parent]
            built[parent].children.append(node)
        built.append(node)
    return built[0]


def search_with_fall_throughs(counts: Counter[tuple[str, ...]], noise: float,
                              time_limit: float) -> tuple[Any | None, float]:
    """The inductive miner's process tree with fall-throughs, or None when it took longer than
    ``time_limit`` seconds (the search is then stopped); and the seconds spent."""
    started = time.perf_counter()
    request = json.dumps({"variants": [[list(v), n] for v, n in counts.items()],
                          "noise": noise})
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "procflow.mine.full_search"],
                              input=request, capture_output=True, text=True, env=env,
                              timeout=max(time_limit, 0.001), check=False)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ProcflowError(f"the full search stopped without a result (exit code "
                            f"{done.returncode}: {done.stderr.strip()[-300:]}).",
                            fix="run discovery without the full search.") from None
    if "error" in answer:
        raise ProcflowError(f"the full search failed ({answer['error']}).",
                            fix="run discovery without the full search.")
    return unflatten([tuple(n) for n in answer["tree"]]), time.perf_counter() - started


def main() -> None:
    """The child process: variants and noise as JSON on stdin, the tree as JSON on stdout."""
    from procflow.mine.discovery import process_tree

    out, sys.stdout = sys.stdout, sys.stderr  # pm4py's own output must not mix in
    try:
        request = json.load(sys.stdin)
        counts = Counter({tuple(v): int(n) for v, n in request["variants"]})
        answer: dict[str, Any] = {"tree": flatten(process_tree(counts, float(request["noise"]),
                                                               True))}
    except Exception as err:  # reported to the parent, which raises it
        answer = {"error": f"{type(err).__name__}: {err}"}
    out.write(json.dumps(answer))
    out.flush()


if __name__ == "__main__":
    main()
