"""Process maps, handoff maps and writing them: exact expectations on a hand-made analysis.

The hand-made log behind ``ANALYSIS`` has 10 cases:

    4 × Submit → Check → Approve → Archive
    2 × Submit → Check → Approve
    1 × Submit → Check → Archive
    2 × Submit → Check → Reject → Check → Approve → Archive
    1 × Submit → Check → Reject

so Submit 10, Check 12, Approve 8, Archive 7, Reject 3 instances (40) and the paths
Submit→Check 10, Check→Approve 8, Approve→Archive 6, Check→Reject 3, Reject→Check 2,
Check→Archive 1 (30 transitions). Node ids follow the sorted names: Approve a1, Archive a2,
Check a3, Reject a4, Submit a5.
"""

from __future__ import annotations

import copy
import csv
import os
import random
import re
import shutil
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import procflow
from procflow.core.i18n import Texts
from procflow.errors import InputError, ProcflowError
from procflow.render import layout_cost, map_budget
from procflow.render.files import graph_bytes, write_graph
from procflow.render.handoff_map import centrality, handoff_graph, handoff_map, handoff_summary
from procflow.render.process_map import MapOptions, abstraction, process_map
from tests.conftest import SAMPLE, shared_file

PNG = b"\x89PNG\r\n\x1a\n"


def stats(n: int, mean: float, median: float, p90: float, mx: float, total: float) -> dict:
    return {"n": n, "mean": mean, "median": median, "p90": p90, "max": mx, "total": total}


def edge(source: str, target: str, count: int, elapsed: dict, wait: dict | None) -> dict:
    return {"source": source, "target": target, "count": count, "elapsed": elapsed, "wait": wait}


def bottleneck(kind: str, name: str, count: int, total: float, median: float, p90: float) -> dict:
    return {"kind": kind, "name": name, "count": count, "cases": count, "total": total,
            "share": 0.0, "median": median, "p90": p90, "impact": 0.0}


ANALYSIS: dict[str, Any] = {
    "dfg": {
        "edges": [
            edge("Submit", "Check", 10, stats(10, 5400, 3600, 7200, 9000, 54000),
                 stats(10, 1800, 1200, 3000, 3600, 18000)),
            edge("Check", "Approve", 8, stats(8, 259200, 172800, 432000, 518400, 2073600),
                 stats(8, 100000, 86400, 200000, 300000, 800000)),
            edge("Approve", "Archive", 6, stats(6, 9000, 7200, 10800, 14400, 54000),
                 stats(6, 700, 600, 900, 1200, 4200)),
            edge("Check", "Reject", 3, stats(3, 1200, 1200, 1800, 1800, 3600),
                 stats(3, 300, 300, 400, 400, 900)),
            edge("Reject", "Check", 2, stats(2, 1500, 1500, 1800, 1800, 3000), None),
            edge("Check", "Archive", 1, stats(1, 600, 600, 600, 600, 600),
                 stats(1, 60, 60, 60, 60, 60)),
        ],
        "start": {"Submit": 10},
        "end": {"Archive": 7, "Approve": 2, "Reject": 1},
    },
    "activities": [
        {"activity": "Check", "count": 12, "cases": 10, "processing": None, "wait": None},
        {"activity": "Submit", "count": 10, "cases": 10, "processing": None, "wait": None},
        {"activity": "Approve", "count": 8, "cases": 8, "processing": None, "wait": None},
        {"activity": "Archive", "count": 7, "cases": 7, "processing": None, "wait": None},
        {"activity": "Reject", "count": 3, "cases": 3, "processing": None, "wait": None},
    ],
    "decisions": {"activities": ["Approve", "Reject"], "by_activity": []},
    "handoffs": {
        "granularity": "role",
        "pairs": [
            {"from": "clerk", "to": "officer", "count": 10,
             "elapsed": stats(10, 5400, 3600, 7200, 9000, 54000)},
            {"from": "officer", "to": "head", "count": 8,
             "elapsed": stats(8, 259200, 172800, 432000, 518400, 2073600)},
            {"from": "head", "to": "clerk", "count": 6,
             "elapsed": stats(6, 9000, 7200, 10800, 14400, 54000)},
            {"from": "officer", "to": "clerk", "count": 3,
             "elapsed": stats(3, 1200, 1200, 1800, 1800, 3600)},
            {"from": "clerk", "to": "head", "count": 1,
             "elapsed": stats(1, 600, 600, 600, 600, 600)},
        ],
    },
    "bottlenecks": [
        bottleneck("activity", "Approve", 8, 2073600, 172800, 432000),
        bottleneck("activity", "Check", 12, 57000, 3000, 7200),
        bottleneck("activity", "Archive", 7, 54600, 7200, 10800),
        bottleneck("activity", "Reject", 3, 3600, 1200, 1800),
        bottleneck("edge", "Check → Approve", 8, 2073600, 172800, 432000),
        bottleneck("edge", "Submit → Check", 10, 54000, 3600, 7200),
        bottleneck("edge", "Approve → Archive", 6, 54000, 7200, 10800),
        bottleneck("edge", "Check → Reject", 3, 3600, 1200, 1800),
        bottleneck("edge", "Reject → Check", 2, 3000, 1500, 1800),
        bottleneck("edge", "Check → Archive", 1, 600, 600, 600),
        bottleneck("resource", "clerk", 10, 99999999, 1, 1),
    ],
}

ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
NODE = re.compile(r"^\t+(\w+) \[(.*)\]$")
EDGE = re.compile(r"^\t+(\w+) -> (\w+) \[(.*)\]$")


def attrs(text: str) -> dict[str, str]:
    return {k: v[1:-1] if v.startswith('"') else v for k, v in ATTR.findall(text)}


def nodes(source: str) -> dict[str, dict[str, str]]:
    found = {}
    for line in source.splitlines():
        m = NODE.match(line)
        if m and m.group(1) not in {"node", "edge", "graph"}:
            found[m.group(1)] = attrs(m.group(2))
    return found


def edges(source: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(m.group(1), m.group(2)): attrs(m.group(3))
            for m in map(EDGE.match, source.splitlines()) if m}


def caption(source: str) -> str:
    head = source.splitlines()[1]  # the graph's own attributes
    return attrs(head)["label"]


# --- abstraction -------------------------------------------------------------------------------

def test_abstraction_keeps_everything_small_by_default():
    view = abstraction(ANALYSIS)
    assert view.activities == ("Approve", "Archive", "Check", "Reject", "Submit")
    assert len(view.edges) == 6
    assert (view.hidden_activities, view.hidden_edges) == (0, 0)
    assert view.describe() == "Showing all 5 activities and all 6 paths"


def test_abstraction_top_activities_by_count_ties_by_name():
    view = abstraction(ANALYSIS, MapOptions(activities=50))  # ceil(2.5) = 3
    assert view.activities == ("Approve", "Check", "Submit")
    assert view.edges == (("Check", "Approve"), ("Submit", "Check"))
    assert (view.instances_shown, view.instances_total) == (30, 40)
    assert (view.transitions_shown, view.transitions_total) == (18, 30)
    assert view.describe() == ("Showing 3 of 5 activities (75.0% of instances) and "
                               "2 of 6 paths (60.0% of transitions)")


def test_abstraction_edges_keep_strongest_in_and_out_of_every_node():
    # 40% of 6 → ceil(2.4) = 3 paths (S→C, C→Ap, Ap→Ar); C→R is Reject's only way in and R→C
    # its only way out, so both stay; C→Ar (1) is nobody's strongest and goes.
    view = abstraction(ANALYSIS, MapOptions(edges=40))
    assert view.edges == (("Approve", "Archive"), ("Check", "Approve"), ("Check", "Reject"),
                          ("Reject", "Check"), ("Submit", "Check"))
    assert view.describe() == "Showing all 5 activities and 5 of 6 paths (96.7% of transitions)"
    assert abstraction(ANALYSIS, MapOptions(activities=1)).activities == ("Check",)


@pytest.mark.parametrize("bad", [0, -5, 100.5])
def test_abstraction_rejects_bad_percentages(bad):
    with pytest.raises(InputError, match="--activities"):
        abstraction(ANALYSIS, MapOptions(activities=bad))
    with pytest.raises(InputError, match="--edges"):
        abstraction(ANALYSIS, MapOptions(edges=bad))


# --- frequency and performance maps ------------------------------------------------------------

def test_frequency_map_nodes_edges_labels():
    source = process_map(ANALYSIS).source
    n, e = nodes(source), edges(source)
    assert set(n) == {"start", "end", "a1", "a2", "a3", "a4", "a5"}
    assert n["a1"]["label"] == r"Approve\n8 · #1"
    assert n["a3"]["label"] == r"Check\n12 · #2"
    assert n["a2"]["label"] == r"Archive\n7 · #3"
    assert n["a4"]["label"] == r"Reject\n3"
    assert n["a5"]["label"] == r"Submit\n10"
    assert set(e) == {("a5", "a3"), ("a3", "a1"), ("a1", "a2"), ("a3", "a4"), ("a4", "a3"),
                      ("a3", "a2"), ("start", "a5"), ("a2", "end"), ("a1", "end"),
                      ("a4", "end")}
    assert e[("a3", "a1")]["label"] == "#1 · 8"
    assert e[("a1", "a2")]["label"] == "#2 · 6"  # ties Submit → Check on total; name first
    assert e[("a5", "a3")]["label"] == "#3 · 10"
    assert e[("a3", "a2")]["label"] == "1"
    assert e[("start", "a5")]["label"] == "10"
    assert e[("a2", "end")]["label"] == "7"
    # darker and thicker with the count: Submit→Check (10) is the thickest, Check→Archive the
    # thinnest path
    assert float(e[("a5", "a3")]["penwidth"]) > float(e[("a3", "a4")]["penwidth"])
    assert e[("a3", "a2")]["penwidth"] == "1.00"


def test_highlight_and_decisions_are_marked():
    n = nodes(process_map(ANALYSIS, MapOptions(highlight=1)).source)
    assert n["a1"]["color"] == "#e6550d" and n["a1"]["penwidth"] == "3"
    assert "color" not in n["a3"] and "#" not in n["a3"]["label"]
    assert {k for k, v in n.items() if v.get("peripheries") == "2"} == {"a1", "a4"}
    source = process_map(ANALYSIS, MapOptions(highlight=0)).source
    assert "#1" not in source and "bottlenecks" not in caption(source)
    assert "Double border = decision step" in caption(source)


def test_performance_map_median_elapsed():
    source = process_map(ANALYSIS, MapOptions(profile="performance")).source
    n, e = nodes(source), edges(source)
    assert n["a1"]["label"] == r"Approve\nmedian 2.0 days · #1"
    assert n["a3"]["label"] == r"Check\nmedian 50 min · #2"
    assert n["a5"]["label"] == r"Submit\nno time before it"
    assert n["a5"]["fillcolor"] == "#ffffff"
    assert e[("a3", "a1")]["label"] == "#1 · 2.0 days"
    assert e[("a3", "a4")]["label"] == "20 min"
    assert e[("a5", "a3")]["label"] == "#3 · 1.0 h"
    assert e[("start", "a5")]["label"] == "10"  # markers keep counts
    assert n["a1"]["color"] == "#1f78b4"  # blue highlight on the red scale
    assert e[("a3", "a1")]["penwidth"] == "5.00"  # the slowest path is the thickest
    assert e[("a3", "a2")]["penwidth"] == "1.00"  # and the fastest the thinnest
    assert "Performance: paths show the median elapsed time" in caption(source)


def test_performance_map_mean_and_p90():
    mean = nodes(process_map(ANALYSIS, MapOptions(profile="performance", measure="mean")).source)
    assert mean["a1"]["label"] == r"Approve\nmean 3.0 days · #1"  # 2,073,600 / 8 s
    assert mean["a2"]["label"] == r"Archive\nmean 2.2 h · #3"  # 54,600 / 7 s
    p90 = process_map(ANALYSIS, MapOptions(profile="performance", measure="p90")).source
    assert nodes(p90)["a1"]["label"] == r"Approve\np90 5.0 days · #1"
    assert edges(p90)[("a5", "a3")]["label"] == "#3 · 2.0 h"


def test_performance_map_waiting_time_falls_back_clearly():
    source = process_map(ANALYSIS, MapOptions(profile="performance", timing="wait")).source
    e = edges(source)
    assert e[("a3", "a1")]["label"] == "#1 · 1.0 days"
    assert e[("a5", "a3")]["label"] == "#3 · 20 min"
    assert e[("a4", "a3")]["label"] == "25 min (elapsed)"  # no waiting time on this path
    assert "median waiting time" in caption(source)
    assert "1 path has no waiting time and shows elapsed time, marked (elapsed)." in \
        caption(source)
    no_wait = copy.deepcopy(ANALYSIS)
    for item in no_wait["dfg"]["edges"]:
        item["wait"] = None
    source = process_map(no_wait, MapOptions(profile="performance", timing="wait")).source
    assert edges(source)[("a4", "a3")]["label"] == "25 min"
    assert "No waiting times in this log (no start times): paths show elapsed time instead." \
        in caption(source)
    assert "median elapsed time" in caption(source)


def test_abstracted_map_title_and_markers():
    source = process_map(ANALYSIS, MapOptions(activities=60)).source
    n, e = nodes(source), edges(source)
    assert set(n) == {"start", "end", "a1", "a3", "a5"}
    assert set(e) == {("start", "a5"), ("a5", "a3"), ("a3", "a1"), ("a1", "end")}
    assert e[("a1", "end")]["label"] == "2"
    assert caption(source).startswith("Showing 3 of 5 activities (75.0% of instances) and "
                                      r"2 of 6 paths (60.0% of transitions)\nFrequency:")


def test_swimlanes_are_clusters_sorted_by_lane_with_unknown_last():
    lanes = {"Submit": "clerk", "Check": "officer", "Reject": "officer", "Approve": "head"}
    source = process_map(ANALYSIS, MapOptions(lanes=lanes, lane_title="role")).source
    found = {}
    for name, body in re.findall(r"subgraph (cluster_\d+) \{\n(.*?)\n\t\}", source, re.S):
        head, *members = body.split("\n")
        found[name] = (attrs(head)["label"], [NODE.match(m).group(1) for m in members])
    assert found == {"cluster_1": ("clerk", ["a5"]), "cluster_2": ("head", ["a1"]),
                     "cluster_3": ("officer", ["a3", "a4"]),
                     "cluster_4": ("(unknown)", ["a2"])}
    assert "Swimlanes by role." in caption(source)
    assert "subgraph" not in process_map(ANALYSIS).source


def shuffled(analysis: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    data = copy.deepcopy(analysis)
    for items in (data["dfg"]["edges"], data["activities"], data["bottlenecks"],
                  data["handoffs"]["pairs"], data["decisions"]["activities"]):
        rng.shuffle(items)
    for key in ("start", "end"):
        pairs = list(data["dfg"][key].items())
        rng.shuffle(pairs)
        data["dfg"][key] = dict(pairs)
    return data


@pytest.mark.parametrize("options", [
    MapOptions(), MapOptions(profile="performance", timing="wait", measure="p90"),
    MapOptions(activities=60, edges=50, lanes={"Check": "x", "Submit": "y"})])
def test_same_input_same_source_even_shuffled(options):
    first = process_map(ANALYSIS, options).source
    assert process_map(ANALYSIS, options).source == first
    for seed in range(5):
        assert process_map(shuffled(ANALYSIS, seed), options).source == first


# --- the sample log, rendered ------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return procflow.analyze(SAMPLE / "after.csv", tz="Asia/Makassar").to_dict()


def node_texts(svg: str) -> list[str]:
    """The text of each node of a graphviz SVG, lines joined by spaces."""
    groups = re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S)
    return [" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", g)) for g in groups]


@pytest.mark.parametrize("profile", ["frequency", "performance"])
def test_sample_map_renders_svg_and_png(sample, tmp_path, profile):
    graph = process_map(sample, MapOptions(profile=profile))
    svg = write_graph(graph, tmp_path / "out" / "map.svg")
    png = write_graph(graph, tmp_path / "map.png")
    assert png.read_bytes().startswith(PNG)
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<svg" in text
    names = sorted(a["activity"] for a in sample["activities"])
    assert len(names) == 8
    texts = node_texts(text)
    for name in names:
        assert any(t.startswith(name + " ") for t in texts), name
    assert list(tmp_path.glob("map.*")) == [png]  # no stray temporary files


def test_sample_map_writes_dot_and_gv_source(sample, tmp_path):
    graph = process_map(sample)
    assert write_graph(graph, tmp_path / "m.dot").read_text(encoding="utf-8") == graph.source
    assert write_graph(graph, tmp_path / "m.GV").read_text(encoding="utf-8") == graph.source
    with pytest.raises(InputError, match=r"\.svg, \.png, \.pdf, \.dot or \.gv"):
        write_graph(graph, tmp_path / "m.jpg")


@pytest.mark.shared_data
@pytest.mark.slow
def test_bpic15_map_is_abstracted_and_quick(tmp_path):
    data = procflow.analyze(shared_file("BPIC15_1.xes.gz")).to_dict()
    assert len(data["activities"]) > 300
    started = time.perf_counter()
    graph = process_map(data)
    svg = write_graph(graph, tmp_path / "bpic15.svg")
    assert time.perf_counter() - started < 10
    ids = [k for k in nodes(graph.source) if re.fullmatch(r"a\d+", k)]
    assert len(ids) == 25
    assert len(node_texts(svg.read_text(encoding="utf-8"))) == 27  # with start and end
    assert caption(graph.source).startswith(f"Showing 25 of {len(data['activities'])} activities")


# --- handoffs ----------------------------------------------------------------------------------

def test_handoff_graph_and_centrality_by_hand():
    g = handoff_graph(ANALYSIS)
    assert g.graph["granularity"] == "role"
    assert sorted(g.edges(data="count")) == [("clerk", "head", 1), ("clerk", "officer", 10),
                                             ("head", "clerk", 6), ("officer", "clerk", 3),
                                             ("officer", "head", 8)]
    assert g.edges["officer", "head"]["median"] == 172800
    rows = centrality(g)
    # Shortest paths by 1/count: clerk→head via officer (0.225 < 1), officer→clerk via head
    # (0.2917 < 0.3333), head→officer via clerk (no direct link): each node lies on exactly one
    # of the 6 ordered pairs' shortest paths, normalised by (n-1)(n-2) = 2 → 0.5 each.
    assert [(r["name"], r["handoffs_in"], r["handoffs_out"], r["degree"], r["betweenness"])
            for r in rows] == [("clerk", 9, 11, 2.0, 0.5), ("head", 9, 6, 1.5, 0.5),
                               ("officer", 10, 11, 1.5, 0.5)]
    direct = nx.DiGraph()
    for p in ANALYSIS["handoffs"]["pairs"]:
        direct.add_edge(p["from"], p["to"], count=p["count"])
    rank = nx.pagerank(direct, weight="count")
    assert {r["name"]: r["pagerank"] for r in rows} == {k: round(v, 6) for k, v in rank.items()}
    assert sum(r["pagerank"] for r in rows) == pytest.approx(1, abs=1e-5)
    assert centrality(handoff_graph({"handoffs": {"pairs": []}})) == []


def test_centrality_betweenness_matches_networkx_and_ranks_first():
    pairs = [("a", "b", 5), ("b", "c", 5), ("c", "d", 5), ("a", "d", 1), ("d", "a", 2)]
    data = {"handoffs": {"granularity": "resource", "pairs": [
        {"from": s, "to": t, "count": c, "elapsed": None} for s, t, c in pairs]}}
    rows = centrality(handoff_graph(data))
    direct = nx.DiGraph()
    direct.add_weighted_edges_from(((s, t, 1 / c) for s, t, c in pairs), weight="d")
    expected = nx.betweenness_centrality(direct, weight="d")
    assert {r["name"]: r["betweenness"] for r in rows} == \
        {k: round(v, 6) for k, v in expected.items()}
    betweenness = [r["betweenness"] for r in rows]
    assert betweenness == sorted(betweenness, reverse=True) and betweenness[0] > 0


def test_handoff_map_labels_and_top():
    g = handoff_graph(ANALYSIS)
    source = handoff_map(g).source
    n, e = nodes(source), edges(source)
    assert {k: v["label"] for k, v in n.items()} == {
        "r1": r"clerk\n20 handoffs", "r2": r"head\n15 handoffs", "r3": r"officer\n21 handoffs"}
    assert e[("r1", "r3")]["label"] == "10 · 1.0 h"
    assert e[("r3", "r2")]["label"] == "8 · 2.0 days"
    assert e[("r1", "r2")]["label"] == "1 · 10 min"
    assert e[("r1", "r3")]["penwidth"] == "5.00" and e[("r1", "r2")]["penwidth"] == "0.80"
    assert caption(source).startswith("Handoffs between all 3 roles: all 5 links, 28 handoffs")
    top = handoff_map(g, top=2).source
    assert set(nodes(top)) == {"r1", "r3"} and set(edges(top)) == {("r1", "r3"), ("r3", "r1")}
    assert caption(top).startswith("Handoffs between the 2 busiest of 3 roles (1 hidden): "
                                   "2 of 5 links (46.4% of 28 handoffs)")
    few = handoff_map(g, links=1).source  # the strongest, plus everyone's busiest in and out
    assert set(edges(few)) == {("r1", "r3"), ("r3", "r2"), ("r2", "r1")}
    assert "Links shown: the 1 strongest, and each one's busiest in and out." in caption(few)
    assert handoff_map(handoff_graph(shuffled(ANALYSIS, 3))).source == source


def test_handoff_summary_is_json_ready():
    summary = handoff_summary(ANALYSIS)
    assert summary["granularity"] == "role"
    assert summary["nodes"] == ["clerk", "head", "officer"]
    assert summary["edges"][:2] == [
        {"from": "clerk", "to": "officer", "count": 10, "median": 3600},
        {"from": "officer", "to": "head", "count": 8, "median": 172800}]
    assert [r["name"] for r in summary["centrality"]] == ["clerk", "head", "officer"]


def test_sample_handoff_map_renders(sample, tmp_path):
    g = handoff_graph(sample)
    assert g.number_of_nodes() == 15
    svg = write_graph(handoff_map(g), tmp_path / "handoffs.svg").read_text(encoding="utf-8")
    assert len(node_texts(svg)) == 15


# --- writing without Graphviz ------------------------------------------------------------------

def test_without_dot_the_dot_file_is_written_and_the_error_says_how_to_install(tmp_path,
                                                                               monkeypatch):
    graph = process_map(ANALYSIS)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert write_graph(graph, tmp_path / "a.dot").read_text(encoding="utf-8") == graph.source
    with pytest.raises(ProcflowError) as err:
        write_graph(graph, tmp_path / "maps" / "b.svg")
    message = str(err.value)
    assert "DOT text" in message and str(tmp_path / "maps" / "b.dot") in message
    assert "sudo apt-get install graphviz" in message and "brew install graphviz" in message
    assert "https://graphviz.org/download/" in message
    assert (tmp_path / "maps" / "b.dot").read_text(encoding="utf-8") == graph.source
    assert not (tmp_path / "maps" / "b.svg").exists()


def fake_dot(folder: Path, script: str) -> None:
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n" + script + "\n")
    dot.chmod(0o755)


def test_rendering_that_hangs_times_out_with_advice(tmp_path, monkeypatch):
    fake_dot(tmp_path / "bin", f"exec {shutil.which('sleep')} 30")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    started = time.perf_counter()
    with pytest.raises(ProcflowError, match="lower --activities and --edges"):
        write_graph(process_map(ANALYSIS), tmp_path / "slow.png", timeout=0.5)
    assert time.perf_counter() - started < 10
    assert not (tmp_path / "slow.png").exists()


def test_graphviz_failure_is_reported(tmp_path, monkeypatch):
    fake_dot(tmp_path / "bin", "echo 'Error: syntax error in line 1' >&2; exit 1")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(ProcflowError, match="Graphviz could not draw the graph: Error: syntax"):
        write_graph(process_map(ANALYSIS), tmp_path / "bad.pdf")
    assert list(tmp_path.glob("bad*")) == []


def test_graph_bytes_in_memory(tmp_path, monkeypatch):
    graph = process_map(ANALYSIS)
    svg = graph_bytes(graph, "svg")
    assert svg.startswith(b"<?xml") and b"Approve" in svg
    assert graph_bytes(graph, "png").startswith(PNG)
    with pytest.raises(InputError, match="Use svg, png or pdf"):
        graph_bytes(graph, "dot")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ProcflowError, match="sudo apt-get install graphviz"):
        graph_bytes(graph, "svg")
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_empty_analysis_gives_an_empty_map(tmp_path):
    empty: dict[str, Any] = {"dfg": {"edges": [], "start": {}, "end": {}}, "activities": [],
                             "bottlenecks": [], "handoffs": {"granularity": None, "pairs": []}}
    graph = process_map(empty, MapOptions(profile="performance"))
    assert set(nodes(graph.source)) == {"start", "end"} and edges(graph.source) == {}
    assert caption(graph.source).startswith("Showing all 0 activities and all 0 paths")
    assert write_graph(graph, tmp_path / "e.svg").stat().st_size > 0
    assert write_graph(handoff_map(handoff_graph(empty)), tmp_path / "h.svg").stat().st_size > 0


def test_abstracted_map_leaves_out_start_and_end_links_under_one_percent():
    data = copy.deepcopy(ANALYSIS)
    data["dfg"]["end"] = {"Archive": 700, "Approve": 299, "Reject": 1}  # Reject: 0.1%
    full = edges(process_map(data).source)
    assert {("a2", "end"), ("a1", "end"), ("a4", "end")} <= set(full)
    source = process_map(data, MapOptions(edges=40)).source  # hides Check → Archive
    abstracted = edges(source)
    assert ("a4", "end") not in abstracted and ("a4", "a3") in abstracted
    assert {("a2", "end"), ("a1", "end"), ("start", "a5")} <= set(abstracted)
    assert "Start and end links carrying under 1% of cases are not drawn." in caption(source)
    assert "Start and end links" not in caption(process_map(data).source)


# --- the layout budget ---------------------------------------------------------------------------

DOT_TIMES = Path(__file__).parent / "data" / "dot_times.csv"


def chain(n: int, jumps: int = 0, span: int = 1, fan: int = 0) -> dict[str, Any]:
    """An analysis of ``n`` steps in a row (``S000`` most frequent), with ``jumps`` paths
    leaving step i for step i + ``span`` and, with ``fan``, every step linked to the next
    ``fan`` steps both ways (a dense map)."""
    names = [f"S{i:03d}" for i in range(n)]
    pairs = {(names[i], names[i + 1]) for i in range(n - 1)}
    pairs |= {(names[i], names[i + span]) for i in range(min(jumps, n - span))}
    pairs |= {(names[i], names[j]) for i in range(n) for j in range(i + 1, min(n, i + fan + 1))}
    pairs |= {(names[j], names[i]) for i in range(n) for j in range(i + 1, min(n, i + fan + 1))}
    return {"dfg": {"edges": [edge(s, t, 5, stats(5, 60, 60, 60, 60, 300), None)
                              for s, t in sorted(pairs)],
                    "start": {names[0]: 100}, "end": {names[-1]: 100}},
            "activities": [{"activity": a, "count": 1000 - i, "cases": 100, "processing": None,
                            "wait": None} for i, a in enumerate(names)],
            "decisions": {"activities": [], "by_activity": []}, "bottlenecks": []}


def test_shape_counts_the_virtual_nodes_dot_adds():
    import graphviz

    graph = graphviz.Digraph()
    for name in "abc":
        graph.node(name)
    graph.edge("a", "b", label="1")
    graph.edge("b", "c", label="1")
    graph.edge("a", "c", label="1")  # labels double the ranks: a 0, b 2, c 4
    found = layout_cost.shape(graph)
    assert (found.nodes, found.edges, found.ranks, found.exact) == (3, 3, 5, True)
    assert found.virtual == 1 + 1 + 3


def test_shape_without_ranks_from_dot_is_an_upper_bound(tmp_path, monkeypatch):
    fake_dot(tmp_path / "bin", "cat >/dev/null; echo '{}'")  # a dot that does not rank alone
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    graph = process_map(ANALYSIS)
    found = layout_cost.shape(graph)
    assert not found.exact and (found.nodes, found.edges) == (7, 10)  # with start and end
    assert found.virtual == 10 * 2 * 7


def test_cost_laws_lie_above_every_measurement():
    """The table bench/dot_times.py wrote: the prediction is never below the processor time
    measured (a run stopped by its time-out gives a lower bound), nor absurdly far above."""
    with open(DOT_TIMES, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["log"] for r in rows} >= {"BPIC15_1.xes.gz", "BPIC15_2.xes.gz"}
    assert {r["layout"] for r in rows} == {"full", "quick"}
    laws = {"full": layout_cost.FULL, "quick": layout_cost.QUICK}
    for row in rows:
        shape = layout_cost.Shape(int(row["nodes"]), int(row["edges"]), int(row["virtual"]),
                                  int(row["ranks"]))
        predicted, measured = layout_cost.seconds(shape, laws[row["layout"]]), float(row["cpu_s"])
        assert predicted >= 1.2 * measured, row
        if row["status"] == "ok" and measured >= 1:
            assert predicted <= 12 * measured, row


def test_a_small_map_keeps_dots_own_layout():
    chosen = map_budget.plan(ANALYSIS, MapOptions())
    assert not chosen.options.quick and chosen.seconds < 0.1
    assert "splines" not in chosen.graph.source and "xlabel" not in chosen.graph.source
    assert chosen.graph.source == process_map(ANALYSIS).source


def test_a_long_map_gets_the_quick_layout_and_says_so(tmp_path):
    data = chain(200, jumps=150, span=60)  # 349 paths, many of them across 60 ranks
    chosen = map_budget.plan(data, MapOptions(activities=100, edges=100))
    assert layout_cost.seconds(layout_cost.shape(process_map(
        data, MapOptions(activities=100, edges=100))), layout_cost.FULL) > map_budget.BUDGET
    assert chosen.options.quick and chosen.seconds <= map_budget.BUDGET
    source = chosen.graph.source
    assert "splines=line" in source and "nslimit=2" in source
    assert re.search(r"-> \w+ \[.*xlabel=", source) and not re.search(r"-> \w+ \[.* label=", source)
    assert "Large map: laid out quickly with straight lines" in caption(source)
    started = time.perf_counter()
    svg = map_budget.write(data, MapOptions(activities=100, edges=100), tmp_path / "long.svg")
    assert time.perf_counter() - started < 60
    assert len(node_texts(svg.read_text(encoding="utf-8"))) == 202


def test_too_many_paths_are_refused_naming_the_largest_setting_that_fits():
    data = chain(60, fan=30)  # 60 steps, 2,670 paths
    started = time.perf_counter()
    with pytest.raises(map_budget.MapTooLarge) as refused:
        map_budget.plan(data, MapOptions(activities=100, edges=100))
    assert time.perf_counter() - started < 30
    err = refused.value
    assert isinstance(err, InputError)  # the CLI exits with 2
    message = str(err)
    assert message.startswith("This map would show 60 activities and 2,670 paths: more lines "
                              "than anyone can follow (a readable map of 60 activities has at "
                              "most 180 paths).")
    assert err.fits, message
    for fit in err.fits:  # every suggestion is drawn, and shows less than asked
        chosen = map_budget.plan(data, MapOptions(activities=fit.activities or 100,
                                                  edges=fit.paths or 100))
        assert len(chosen.view.edges) <= max(150, 3 * len(chosen.view.activities))
        assert (fit.shown, fit.shown_paths) == (len(chosen.view.activities),
                                                len(chosen.view.edges))
        assert fit.shown < 60 or fit.shown_paths < 2_670
    best = err.fits[0]
    assert "Choose --" in message and "of the log's 60 activities and" in message
    assert f"--activities {best.activities}" in message or f"--edges {best.paths}" in message
    web = err.explain(Texts("id"), "web")
    assert "dari 60 aktivitas log ini" in web
    assert "“Aktivitas yang ditampilkan”" in web or "“Alur yang ditampilkan”" in web
    assert "--" not in web


def test_a_map_too_slow_to_lay_out_is_refused_with_its_estimate():
    data = chain(120, jumps=100, span=20)
    with pytest.raises(map_budget.MapTooLarge) as refused:
        map_budget.plan(data, MapOptions(activities=100, edges=100), budget=0.01)
    message = refused.value.explain(Texts("en"), "web")
    assert re.match(r"This map is too large to draw: 120 activities and 219 paths would take "
                    r"Graphviz about \d+ s to lay out \(the limit is 1 s\)\.", message), message
    assert "“Activities shown”" in message or "“Paths shown”" in message or (
        "the automatic map" in message)


def test_a_dot_that_hangs_ends_in_the_same_refusal(tmp_path, monkeypatch):
    real = shutil.which("dot")
    fake_dot(tmp_path / "bin", f'case "$*" in *phase=1*) exec {real} "$@";; esac\n'
                               f"exec {shutil.which('sleep')} 30")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    started = time.perf_counter()
    with pytest.raises(map_budget.MapTooLarge) as refused:
        map_budget.write(ANALYSIS, MapOptions(texts=Texts("id")), tmp_path / "m.svg",
                         timeout=0.5)
    assert time.perf_counter() - started < 20
    assert str(refused.value).startswith(
        "Graphviz tidak selesai menggambar peta dengan 5 aktivitas dan 6 alur ini dalam 1 detik.")
    assert not (tmp_path / "m.svg").exists()


def test_dot_source_is_written_without_a_budget(tmp_path):
    data = chain(60, fan=30)
    out = map_budget.write(data, MapOptions(activities=100, edges=100), tmp_path / "all.dot")
    assert out.read_text(encoding="utf-8").count(" -> ") > 2_600
