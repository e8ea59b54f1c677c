"""How long Graphviz's ``dot`` will take to lay out a graph, estimated before it runs.

``dot`` puts every node on a rank and adds a *virtual node* wherever an edge crosses a rank
(edge labels double the ranks). Placing those virtual nodes (network simplex) is where its
time goes, so their count predicts the time far better than the numbers of nodes, edges or
label characters do. :func:`shape` lets ``dot`` rank the graph and stop there (``phase=1``:
under a second even for 400 steps and 4,800 paths) and counts the virtual nodes;
:func:`seconds` turns them into predicted processor seconds with a power law per layout.

Measured on BPIC15_1 (frequency maps; ``tests/data/dot_times.csv`` holds all 327
measurements of both BPIC15 logs and three small logs, written by ``bench/dot_times.py``;
the ranges are runs at different machine loads, and processor time grows on a busy machine)::

    share of        shown              |  dot's layout          |  quick layout
    steps  paths    steps  paths       |  virtual  seconds      |  virtual  seconds
    auto   auto        25     63       |      284  0.03         |      108  0.02–0.03
    40%    auto       160    248       |    1,606  0.3–0.4      |      669  0.04–0.05
    40%    10%        160    403       |    3,649  1.7–7.1      |    1,614  0.07–0.09
    10%    100%        40    550       |    9,870  58–73        |    4,659  0.2–0.3
    100%   auto       398    637       |    9,787  69–70        |    4,564  0.4–0.8
    100%   40%        398  2,086       |       –   –            |   56,224  21–23
    100%   100%       398  4,699       |  585,184  –            |  290,186  >86 (stopped;
                                                                      not in the table)

``seconds = 0.05 + 1.1e-8 · virtual ** 2.5`` (dot's layout) and
``0.05 + 2.5e-5 · virtual ** 1.3`` (quick layout) lie above every measurement, by at least a
fifth (``tests/test_maps.py`` checks that they stay above): they overestimate rather than
underestimate, by up to about seven times. Within the 5 s budget of
:mod:`procflow.render.map_budget` that allows about 2,900 virtual nodes in dot's layout and
11,800 in the quick one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

import graphviz

#: Seconds allowed for ranking alone (it takes well under one even for the largest maps).
RANK_TIMEOUT = 20.0


@dataclass(frozen=True)
class Layout:
    """A way to lay a graph out: ``dot``'s graph attributes and its cost law,
    ``base + factor · virtual ** power`` processor seconds."""

    name: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    base: float = 0.05
    factor: float = 0.0
    power: float = 1.0


#: dot's own layout: network simplex until optimal, curved edges, path labels ranked as nodes.
FULL = Layout("full", {}, factor=1.1e-8, power=2.5)
#: A quicker layout for large maps: network simplex stopped early, fewer crossing-reduction
#: passes, straight edges, path labels placed beside the lines (``xlabel``, see
#: :func:`procflow.render.process_map.process_map`), so that ranks are not doubled.
QUICK = Layout("quick", {"nslimit": "2", "mclimit": "0.3", "splines": "line"},
               factor=2.5e-5, power=1.3)


@dataclass(frozen=True)
class Shape:
    """What ``dot``'s ranking says about a graph."""

    nodes: int
    edges: int
    virtual: int  # nodes dot adds where edges cross ranks
    ranks: int
    exact: bool = True  # False: dot did not report ranks, ``virtual`` is an upper bound


def shape(graph: graphviz.Digraph, *, timeout: float = RANK_TIMEOUT) -> Shape:
    """The ranks ``dot`` gives ``graph`` and the virtual nodes they need (a bound when ``dot``
    cannot rank alone: every edge crossing every rank)."""
    dot = shutil.which("dot")
    source = graph.source.encode("utf-8")
    if dot is not None:
        try:
            done = subprocess.run([dot, "-Gphase=1", "-Tjson"], input=source,
                                  capture_output=True, timeout=timeout, check=False)
            found = _ranked(done.stdout) if done.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            found = None
        if found is not None:
            return found
    nodes, edges = _count(graph.source)
    return Shape(nodes, edges, virtual=edges * 2 * nodes, ranks=2 * nodes, exact=False)


def _ranked(output: bytes) -> Shape | None:
    try:
        data = json.loads(output)
    except ValueError:
        return None
    rank = {o["_gvid"]: int(o["rank"]) for o in data.get("objects", []) if "rank" in o}
    if not rank:
        return None
    edges = data.get("edges", [])
    try:
        spans = [abs(rank[e["head"]] - rank[e["tail"]]) for e in edges]
    except KeyError:
        return None
    return Shape(nodes=len(rank), edges=len(edges), virtual=sum(max(0, s - 1) for s in spans),
                 ranks=max(rank.values()) + 1)


def _count(source: str) -> tuple[int, int]:
    """Nodes and edges of DOT source (one statement a line, as the graphviz package writes)."""
    pairs = re.findall(r"^\s*(\w+) -> (\w+)", source, re.M)
    names = set(re.findall(r"^\s*(\w+)(?: \[|$)", source, re.M)) - {"graph", "node", "edge"}
    return len(names.union(*pairs)), len(pairs)


def seconds(found: Shape, layout: Layout = FULL) -> float:
    """Predicted processor seconds ``dot`` needs to lay out a graph of this shape."""
    return layout.base + layout.factor * found.virtual ** layout.power
