"""SECURITY.md 9: hostile activity, resource and lane names render as plain text.

Names that look like HTML, HTML-like graphviz labels, record fields, backslash escapes or links
go into a crafted analysis; the process map and the handoff map must render to DOT, SVG, PNG and
PDF without error, and the SVG must show the names as text and carry no image, no link and no
file path or script URL in any attribute.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from procflow.render.files import write_graph
from procflow.render.handoff_map import handoff_graph, handoff_map, handoff_summary
from procflow.render.process_map import MapOptions, process_map

HTML_LABEL = '<TABLE><TR><TD><IMG SRC="/etc/passwd"/></TD></TR></TABLE>'
LONG = "x" * 10_240
NAMES = ["<b>x</b>", "a\\", '"', ":", "{", HTML_LABEL, "🚦 izin 🏗️", LONG,
         "javascript:alert(1)", "line one\nline two", r"esc \N \G \l", "} | <port> {"]
SVG_NS = "{http://www.w3.org/2000/svg}"


def stats(value: float, n: int = 3) -> dict[str, float]:
    return {"n": n, "mean": value, "median": value, "p90": value, "max": value,
            "total": value * n}


def crafted() -> dict[str, Any]:
    """A chain through all the hostile names, every one a decision and a bottleneck."""
    pairs = list(itertools.pairwise(NAMES))
    return {
        "dfg": {"edges": [{"source": s, "target": t, "count": 3, "elapsed": stats(3600.0),
                           "wait": stats(60.0)} for s, t in pairs],
                "start": {NAMES[0]: 3}, "end": {NAMES[-1]: 3}},
        "activities": [{"activity": n, "count": 3, "cases": 3, "processing": None,
                        "wait": None} for n in NAMES],
        "decisions": {"activities": NAMES, "by_activity": []},
        "handoffs": {"granularity": "resource",
                     "pairs": [{"from": s, "to": t, "count": 3, "elapsed": stats(60.0)}
                               for s, t in pairs]},
        "bottlenecks": [{"kind": kind, "name": name, "count": 3, "cases": 3, "total": 10.0,
                         "share": 0.1, "median": 1.0, "p90": 2.0, "impact": 0.0}
                        for kind, names in (("activity", NAMES),
                                            ("edge", [f"{s} → {t}" for s, t in pairs]),
                                            ("resource", NAMES))
                        for name in names],
    }


GRAPHS = {
    "frequency": lambda a: process_map(a),
    "performance": lambda a: process_map(a, MapOptions(profile="performance", timing="wait")),
    "lanes": lambda a: process_map(a, MapOptions(
        lanes={n: NAMES[(i + 5) % len(NAMES)] for i, n in enumerate(NAMES)},
        lane_title="<i>role</i>")),
    "handoffs": lambda a: handoff_map(handoff_graph(a)),
    "quick": lambda a: process_map(a, MapOptions(profile="performance", quick=True)),
}


def svg_checks(svg: str) -> list[str]:
    """Every text line of the SVG, after checking that nothing in it is active."""
    assert "<image" not in svg and "<a " not in svg and "xlink:href" not in svg
    root = ET.fromstring(svg.encode("utf-8"))  # well-formed XML
    texts = []
    for element in root.iter():
        assert element.tag not in {SVG_NS + "image", SVG_NS + "a", SVG_NS + "script",
                                   SVG_NS + "foreignObject"}, element.tag
        for key, value in element.attrib.items():
            assert "href" not in key and not key.lower().startswith("on"), key
            for bad in ("/etc/passwd", "javascript:", "<", "\\N"):
                assert bad not in value, (key, value)
        if element.tag == SVG_NS + "text":
            texts.append(element.text or "")
    return texts


@pytest.mark.parametrize("kind", sorted(GRAPHS))
def test_hostile_names_render_as_plain_text(kind: str, tmp_path: Path):
    graph = GRAPHS[kind](crafted())
    source = graph.source
    assert not re.search(r"label\s*=\s*<", source)
    for value in re.findall(r"\bx?label=(\S)", source):  # every label quoted or a number
        assert value == '"' or value.isdigit()
    assert LONG not in source and "x" * 100 not in source  # long names are shortened

    svg = write_graph(graph, tmp_path / f"{kind}.svg").read_text(encoding="utf-8")
    texts = svg_checks(svg)
    assert "&lt;b&gt;x&lt;/b&gt;" in svg
    assert any(t.startswith("<b>x</b>") for t in texts)  # shown as text, not made bold
    assert any(t.startswith("a\\") for t in texts)  # the backslash is shown, not an escape
    assert any(t.startswith('"') for t in texts)
    assert any(t.startswith("javascript:alert(1)") for t in texts)
    assert any(t.startswith("esc \\N \\G \\l") for t in texts)  # not the node's name
    assert any(t.startswith("<TABLE><TR><TD><IMG") for t in texts)
    assert any(t.startswith("line one line two") for t in texts)
    assert any("🚦 izin" in t for t in texts)
    assert max(len(t) for t in texts) < 250  # the 10 KB name is cut, titles are long-ish

    assert write_graph(graph, tmp_path / f"{kind}.png").read_bytes().startswith(b"\x89PNG")
    assert write_graph(graph, tmp_path / f"{kind}.pdf").read_bytes().startswith(b"%PDF")
    assert write_graph(graph, tmp_path / f"{kind}.dot").read_text(encoding="utf-8") == source


def test_lane_names_and_title_are_text(tmp_path: Path):
    svg = write_graph(GRAPHS["lanes"](crafted()), tmp_path / "l.svg").read_text(encoding="utf-8")
    texts = svg_checks(svg)
    assert "Swimlanes by <i>role</i>." in texts
    assert HTML_LABEL[:40] in " ".join(texts)  # a lane named like an HTML label, as text


def test_handoff_summary_keeps_names_unchanged():
    summary = handoff_summary(crafted())
    assert summary["nodes"] == sorted(NAMES)
    assert {r["name"] for r in summary["centrality"]} == set(NAMES)
