"""The difference map of a comparison: paths removed, added, and faster or slower.

Built from ``comparison.json``'s ``dfg_diff``: removed paths are dashed grey, added paths bold
blue, paths in both are coloured by the change of their median time (green faster, red slower)
and labelled ``before → after``. Steps only before are grey, steps only after blue. Only the
busiest paths are drawn (the caption says how many); ids follow sorted names, so the DOT text
is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import graphviz

from procflow.core.i18n import Texts
from procflow.render.text import label

FONT = "Helvetica,Arial,sans-serif"
MAX_PATHS = 60
FASTER, SLOWER, SAME = "#1a9850", "#d73027", "#636363"
REMOVED, ADDED = "#969696", "#2166ac"
#: Changes of the median under which a path counts as unchanged: relative, and in seconds.
TOLERANCE = 0.1
MIN_CHANGE = 60.0


def _change_colour(before: float | None, after: float | None) -> str:
    """Green when the median fell, red when it rose, grey for changes under 10% or a minute."""
    if before is None or after is None:
        return SAME
    change = after - before
    if abs(change) < MIN_CHANGE or abs(change) < TOLERANCE * abs(before):
        return SAME
    return FASTER if change < 0 else SLOWER


def diff_map(comparison: Mapping[str, Any], t: Texts, *, paths: int = MAX_PATHS
             ) -> graphviz.Digraph:
    """The difference map of ``comparison`` as a graphviz graph (nothing is rendered)."""
    diff = comparison["dfg_diff"]
    entries = ([("removed", e) for e in diff["removed"]] + [("added", e) for e in diff["added"]]
               + [("changed", e) for e in diff["changed"]])
    weight = {"removed": lambda e: e["count"], "added": lambda e: e["count"],
              "changed": lambda e: e["before"]["count"] + e["after"]["count"]}
    entries.sort(key=lambda ke: (-weight[ke[0]](ke[1]), ke[1]["source"], ke[1]["target"]))
    shown = entries[:paths]
    names = sorted({e[n] for _, e in shown for n in ("source", "target")})
    ids = {name: f"a{i}" for i, name in enumerate(names, 1)}
    only_before = {e[n] for k, e in entries if k == "removed" for n in ("source", "target")}
    only_after = {e[n] for k, e in entries if k == "added" for n in ("source", "target")}
    in_both = {e[n] for k, e in entries if k == "changed" for n in ("source", "target")}
    graph = graphviz.Digraph("difference_map")
    caption = [t("Paths removed (dashed grey), added (blue) and common paths coloured by the "
                 "change of their median time (green faster, red slower)."),
               t("Showing {shown} of {total} paths.", shown=t.integer(len(shown)),
                 total=t.integer(len(entries)))]
    graph.attr(rankdir="TB", fontname=FONT, fontsize="11", labelloc="b",
               label=label(*caption, limit=200), nodesep="0.35", ranksep="0.45")
    graph.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="11",
               fillcolor="#f7f7f7", color="#4d4d4d")
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")
    for name in names:
        colour = (REMOVED if name in only_before - only_after - in_both
                  else ADDED if name in only_after - only_before - in_both else "#4d4d4d")
        graph.node(ids[name], label=label(name), color=colour, fontcolor=colour)
    for kind, e in sorted(shown, key=lambda ke: (ke[1]["source"], ke[1]["target"])):
        a, b = ids[e["source"]], ids[e["target"]]
        if kind == "removed":
            graph.edge(a, b, style="dashed", color=REMOVED, fontcolor=REMOVED,
                       label=label(t.integer(e["count"])))
        elif kind == "added":
            graph.edge(a, b, color=ADDED, fontcolor=ADDED, penwidth="2.5",
                       label=label(t.integer(e["count"])))
        else:
            old, new = e["before"]["median"], e["after"]["median"]
            colour = _change_colour(old, new)
            graph.edge(a, b, color=colour, fontcolor=colour, penwidth="1.6",
                       label=label(f"{t.duration(old)} → {t.duration(new)}"))
    return graph
