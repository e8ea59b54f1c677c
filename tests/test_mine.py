"""procflow.mine: discovery, model building, reading/writing, fitness and profiles.

Discovery and fitness are checked against pm4py's own functions run on a DataFrame holding
every case; profiles against hand-computed answers; written files against the BPMN 2.0 XSD and
by reading them back in pm4py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import warnings
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from lxml import etree

import procflow
from procflow import mine
from procflow.errors import FormatError, InputError, ProcflowError, UnsafeInputError
from procflow.ingest.xmlsafe import refuse_dtd
from procflow.mine.model_graph import bpmn_graph, petri_net_graph
from procflow.simulate.scenarios import PARAF_KOORDINATOR

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "permit-delayering"
MODELS = ROOT / "models"
Variants = dict[tuple[str, ...], int]

CRAFTED: Variants = {
    ("a", "b", "c", "d"): 20,
    ("a", "c", "b", "d"): 12,
    ("a", "b", "c", "e", "b", "c", "d"): 5,
    ("a", "e", "d"): 3,
    ("a", "b", "d"): 2,
    ("a", "b", "c", "d", "d"): 1,
}


@pytest.fixture(scope="module")
def pm4py() -> ModuleType:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    return pm4py


def frame(variants: Variants) -> pd.DataFrame:
    """Every case of ``variants`` as a pm4py DataFrame (one second between events)."""
    rows = []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    case = 0
    for variant, n in sorted(variants.items()):
        for _ in range(n):
            case += 1
            rows += [{"case:concept:name": f"c{case:06d}", "concept:name": act,
                      "time:timestamp": start + pd.Timedelta(seconds=i)}
                     for i, act in enumerate(variant)]
    return pd.DataFrame(rows)


def log_variants(side: str) -> Variants:
    """Activity sequences per case of the sample log, in (timestamp, event_id) order."""
    df = procflow.read(SAMPLE / f"{side}.csv", tz="Asia/Makassar").to_pandas()
    df = df.sort_values(["case_id", "timestamp", "event_id"], kind="stable")
    return dict(Counter(tuple(g) for _, g in df.groupby("case_id", sort=False)["activity"]))


@pytest.fixture(scope="module")
def after() -> Variants:
    return log_variants("after")


def same_net(model: mine.Model, net: Any, initial: Any, final: Any) -> bool:
    """Whether the nets are equal up to node names (same canonical PNML)."""
    other = mine.Model(net, initial, final, model.name, model.source)
    return mine.pnml_xml(model) == mine.pnml_xml(other)


def labels(net: Any) -> list[str]:
    return sorted(t.label for t in net.transitions if t.label is not None)


# ------------------------------------------------------------------ discovery


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_inductive_equals_pm4py_on_crafted_log(pm4py: ModuleType, noise: float) -> None:
    model = mine.discover(CRAFTED, noise=noise, name="crafted")
    assert model.source == "inductive" and model.bpmn is not None
    assert same_net(model, *pm4py.discover_petri_net_inductive(frame(CRAFTED),
                                                               noise_threshold=noise))


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_inductive_equals_pm4py_on_sample(pm4py: ModuleType, after: Variants,
                                          noise: float) -> None:
    model = mine.discover(after, noise=noise)
    assert same_net(model, *pm4py.discover_petri_net_inductive(frame(after),
                                                               noise_threshold=noise))


def test_inductive_without_fall_throughs_equals_pm4py(pm4py: ModuleType) -> None:
    model = mine.discover(CRAFTED, noise=0.2, fall_throughs=False)
    assert same_net(model, *pm4py.discover_petri_net_inductive(
        frame(CRAFTED), noise_threshold=0.2, disable_fallthroughs=True))


@pytest.mark.parametrize(("activities", "forced", "disabled"),
                         [(60, None, False), (61, None, True), (61, True, False),
                          (4, False, True)])
def test_fall_throughs_chosen_by_distinct_activities(
        pm4py: ModuleType, monkeypatch: pytest.MonkeyPatch, activities: int,
        forced: bool | None, disabled: bool) -> None:
    """Unless forced, fall-throughs run up to 60 distinct activities (over all variants)."""
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL

    seen: list[bool] = []
    original = IMUVCL.apply

    def spy(self: Any, obj: Any, parameters: dict[str, Any] | None = None) -> Any:
        assert parameters is not None
        seen.append(parameters["disable_fallthroughs"])
        return original(self, obj, parameters)

    monkeypatch.setattr(IMUVCL, "apply", spy)
    names = [f"a{i:02d}" for i in range(activities)]
    half = activities // 2
    mine.discover({tuple(names[:half]): 2, tuple(names[half:]): 1}, fall_throughs=forced)
    assert mine.FALL_THROUGH_ACTIVITIES == 60
    assert seen and set(seen) == {disabled}


@pytest.mark.parametrize("variants", [CRAFTED, None], ids=["crafted", "sample"])
def test_heuristics_equals_pm4py(pm4py: ModuleType, after: Variants,
                                 variants: Variants | None) -> None:
    variants = variants or after
    model = mine.discover(variants, algorithm="heuristics")
    assert model.source == "heuristics"
    assert same_net(model, *pm4py.discover_petri_net_heuristics(frame(variants)))


def test_discover_refuses_bad_input() -> None:
    with pytest.raises(InputError, match="no cases"):
        mine.discover({})
    with pytest.raises(InputError, match="between 0 and 1"):
        mine.discover(CRAFTED, noise=1.5)
    with pytest.raises(InputError, match="inductive"):
        mine.discover(CRAFTED, algorithm="heuristics", noise=0.2)
    with pytest.raises(InputError, match="positive"):
        mine.discover({("a",): 0})


# ------------------------------------------------------------------ profile


def test_profile_of_tree_with_loop_choice_parallel_and_skip() -> None:
    model = mine.tree_model("->('A', *('B', 'C'), X('D', tau), +('E', 'F'), 'G')", name="t")
    shape = mine.profile(model)
    assert shape.activities == set("ABCDEFG")
    assert shape.mandatory == set("ABEFG")
    assert shape.starts == {"A"} and shape.ends == {"G"}
    assert shape.follows == {("A", "B"), ("B", "C"), ("C", "B"), ("B", "D"), ("B", "E"),
                             ("B", "F"), ("D", "E"), ("D", "F"), ("E", "F"), ("F", "E"),
                             ("E", "G"), ("F", "G")}


def test_profile_label_in_every_branch_is_mandatory() -> None:
    model = mine.tree_model("->(X(->('A', 'B'), ->('C', 'B')), X('D', tau))", name="t")
    shape = mine.profile(model)
    assert shape.mandatory == {"B"}
    assert shape.starts == {"A", "C"} and shape.ends == {"B", "D"}
    assert shape.follows == {("A", "B"), ("C", "B"), ("B", "D")}


def test_profile_of_silent_loop_and_optional_start() -> None:
    model = mine.tree_model("->(X('A', tau), *(tau, 'B'), 'C')", name="t")
    shape = mine.profile(model)
    assert shape.mandatory == {"C"}
    assert shape.starts == {"A", "B", "C"}
    assert shape.follows == {("A", "B"), ("A", "C"), ("B", "B"), ("B", "C")}
    assert shape.ends == {"C"}


def test_profile_of_sequence_model() -> None:
    model = mine.sequence_model([("Daftar", True), ("Survei", False), ("Terbit", True)])
    assert model.source == "sequence"
    shape = mine.profile(model)
    assert shape.mandatory == {"Daftar", "Terbit"}
    assert shape.follows == {("Daftar", "Survei"), ("Daftar", "Terbit"), ("Survei", "Terbit")}
    assert shape.starts == {"Daftar"} and shape.ends == {"Terbit"}
    fit = mine.fitness({("Daftar", "Terbit"): 3, ("Daftar", "Survei", "Terbit"): 1,
                        ("Terbit",): 1}, model)
    assert fit.fitting_share == pytest.approx(0.8)


def test_profile_of_flow_model_with_duplicate_labels() -> None:
    model = mine.flow_model([("start", "A", "x"), ("x", "B", "y"), ("y", "A", "x"),
                             ("x", "C", "end")], name="f")
    shape = mine.profile(model)
    assert shape.mandatory == {"A", "C"}
    assert shape.follows == {("A", "B"), ("B", "A"), ("A", "C")}
    assert shape.starts == {"A"} and shape.ends == {"C"}


def test_profile_state_limit() -> None:
    model = mine.tree_model("+('A', 'B', 'C', 'D', 'E')", name="wide")
    assert mine.profile(model).mandatory == set("ABCDE")
    with pytest.raises(ProcflowError, match="more than 10 reachable states"):
        mine.profile(model, state_limit=10)


def test_tree_model_refuses_bad_text() -> None:
    with pytest.raises(InputError, match="process tree"):
        mine.tree_model("->('A', ", name="broken")


# ------------------------------------------------------------------ fitness


def _pm4py_token(pm4py: ModuleType, variants: Variants, model: mine.Model) -> dict[str, float]:
    return pm4py.fitness_token_based_replay(frame(variants), model.net, model.initial,
                                            model.final)


@pytest.mark.parametrize("variants", [CRAFTED, None], ids=["crafted", "sample"])
def test_token_fitness_equals_pm4py(pm4py: ModuleType, after: Variants,
                                    variants: Variants | None) -> None:
    variants = variants or after
    model = mine.discover({v: n for v, n in variants.items() if n > 2}, noise=0.2)
    fit = mine.fitness(variants, model)
    theirs = _pm4py_token(pm4py, variants, model)
    assert fit.method == "token" and fit.unchecked == 0
    assert fit.log_fitness == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert fit.fitting_share == pytest.approx(theirs["perc_fit_traces"] / 100, abs=1e-12)
    total = sum(variants.values())
    average = sum(n * fit.per_variant[v].fitness for v, n in variants.items()) / total
    assert average == pytest.approx(theirs["average_trace_fitness"], abs=1e-12)
    assert fit.fitting_share < 1


@pytest.mark.parametrize("variants", [CRAFTED, None], ids=["crafted", "sample"])
def test_alignment_fitness_equals_pm4py(pm4py: ModuleType, after: Variants,
                                        variants: Variants | None) -> None:
    variants = variants or after
    model = mine.discover({v: n for v, n in variants.items() if n > 2}, noise=0.2)
    done: list[int] = []
    fit = mine.fitness(variants, model, method="alignments", progress=done.append)
    with warnings.catch_warnings():  # pm4py's A* uses numpy.matrix
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        theirs = pm4py.fitness_alignments(frame(variants), model.net, model.initial,
                                          model.final)
    assert fit.method == "alignments" and fit.unchecked == 0
    assert done == list(range(1, len(variants) + 1))
    assert fit.log_fitness == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert fit.fitting_share == pytest.approx(theirs["percentage_of_fitting_traces"] / 100,
                                              abs=1e-12)
    total = sum(variants.values())
    average = sum(n * fit.per_variant[v].fitness for v, n in variants.items()) / total
    assert average == pytest.approx(theirs["average_trace_fitness"], abs=1e-12)
    assert all(f.cost is not None and (f.cost == 0) == f.fits for f in fit.per_variant.values())


def test_alignments_respect_the_time_limit() -> None:
    model = mine.discover(CRAFTED)
    fit = mine.fitness(CRAFTED, model, method="alignments", time_limit=1e-9)
    assert fit.unchecked == len(CRAFTED) and fit.per_variant == {}
    assert fit.fitting_share == 0.0


def test_activity_missing_from_model_never_fits() -> None:
    model = mine.sequence_model([("a", True), ("b", True)])
    fit = mine.fitness({("a", "b"): 3, ("a", "x", "b"): 1}, model)
    assert fit.per_variant[("a", "b")].fits
    assert not fit.per_variant[("a", "x", "b")].fits
    assert fit.fitting_share == pytest.approx(0.75)


# ------------------------------------------------------------------ the permit models


def test_models_regenerate_byte_identically(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import write_models
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    written = write_models.main(tmp_path)
    assert len(written) == 6
    shipped_by = _graphviz_line(MODELS / "permit-to-be.svg")
    for path in written:
        if path.suffix != ".pnml" and _graphviz_line(tmp_path / "permit-to-be.svg") != shipped_by:
            continue  # BPMN coordinates and SVG come from Graphviz: other version, other bytes
        assert path.read_bytes() == (MODELS / path.name).read_bytes(), path.name
    assert write_models.main(tmp_path / "again")[0].read_bytes() == written[0].read_bytes()


def _graphviz_line(svg: Path) -> str:
    """The "Generated by graphviz version …" comment of an SVG."""
    text = svg.read_text(encoding="utf-8")
    return next((line for line in text.splitlines() if "Generated by graphviz" in line), "")


@pytest.mark.parametrize("suffix", [".pnml", ".bpmn"])
def test_after_log_against_to_be_model(after: Variants, suffix: str) -> None:
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
    shadow = truth["truth"]["after"]["approval_layers"]["histogram"]["3"]
    model = mine.read_model(MODELS / f"permit-to-be{suffix}")
    fit = mine.fitness(after, model)
    unfit = {v for v, f in fit.per_variant.items() if not f.fits}
    assert unfit == {v for v in after if PARAF_KOORDINATOR in v}
    assert sum(after[v] for v in unfit) == shadow == 422
    shape = mine.profile(model)
    assert PARAF_KOORDINATOR not in shape.activities
    assert "Survei Lapangan" not in shape.mandatory


@pytest.mark.parametrize("suffix", [".pnml", ".bpmn"])
def test_before_log_fits_before_model(suffix: str) -> None:
    model = mine.read_model(MODELS / f"permit-before{suffix}")
    fit = mine.fitness(log_variants("before"), model)
    assert fit.fitting_share == 1.0 and fit.log_fitness == pytest.approx(1.0)


# ------------------------------------------------------------------ reading and writing


def bpmn_schema() -> etree.XMLSchema:
    spiff = pytest.importorskip("SpiffWorkflow")
    folder = Path(spiff.__file__).parent / "bpmn" / "parser" / "schema"
    return etree.XMLSchema(etree.parse(str(folder / "BPMN20.xsd")))


def models_to_write() -> list[mine.Model]:
    return [mine.tree_model("->('A', *('B', 'C'), X('D', tau), +('E', 'F'), 'G')", name="t"),
            mine.discover(CRAFTED, algorithm="heuristics", name="heu"),
            mine.sequence_model([("Daftar", True), ("Survei", False)], name="sop")]


def test_bpmn_export_is_valid_laid_out_and_reimports(pm4py: ModuleType, tmp_path: Path) -> None:
    schema = bpmn_schema()
    ns = {"b": mine.BPMN_NS, "di": mine.BPMNDI_NS, "dc": mine.DC_NS, "d": mine.DI_NS}
    for model in models_to_write():
        path = mine.write_model(model, tmp_path / f"{model.name}.bpmn")
        doc = etree.parse(str(path))
        assert schema.validate(doc), schema.error_log
        process = doc.find("b:process", ns)
        nodes = [e for e in process if etree.QName(e).localname != "sequenceFlow"]
        flows = process.findall("b:sequenceFlow", ns)
        shapes = doc.findall(".//di:BPMNShape", ns)
        edges = doc.findall(".//di:BPMNEdge", ns)
        assert len(shapes) == len(nodes) and len(edges) == len(flows) > 0
        for shape in shapes:
            bounds = shape.find("dc:Bounds", ns)
            assert float(bounds.get("x")) >= 0 and float(bounds.get("width")) > 0
        assert all(len(edge.findall("d:waypoint", ns)) >= 2 for edge in edges)
        assert len({b.get("x") for b in doc.iterfind(".//dc:Bounds", ns)}) > 2
        back = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(path)))
        assert set(labels(back[0])) == set(labels(model.net))
        again = mine.read_model(path)
        assert again.source == f"bpmn:{model.name}.bpmn"
        assert mine.profile(again).follows == mine.profile(model).follows
        assert mine.write_model(model, tmp_path / "again.bpmn").read_bytes() == path.read_bytes()


def test_shipped_bpmn_models_are_valid() -> None:
    schema = bpmn_schema()
    for name in ("permit-to-be", "permit-before"):
        assert schema.validate(etree.parse(str(MODELS / f"{name}.bpmn"))), schema.error_log


def test_pnml_round_trip(pm4py: ModuleType, tmp_path: Path) -> None:
    for model in models_to_write():
        path = mine.write_model(model, tmp_path / f"{model.name}.pnml")
        net, initial, final = pm4py.read_pnml(str(path))
        assert labels(net) == labels(model.net)
        assert len(net.places) == len(model.net.places)
        assert len(net.arcs) == len(model.net.arcs)
        assert sorted(initial.values()) == sorted(model.initial.values())
        assert sorted(final.values()) == sorted(model.final.values())
        assert same_net(model, net, initial, final)
        again = mine.read_model(path)
        assert again.source == f"pnml:{model.name}.pnml"


def test_read_model_detects_format_by_content(tmp_path: Path) -> None:
    model = models_to_write()[0]
    disguised = tmp_path / "model.bpmn"
    disguised.write_bytes(mine.pnml_xml(model))
    assert mine.read_model(disguised).source == "pnml:model.bpmn"
    other = tmp_path / "model.pnml"
    other.write_bytes(mine.bpmn_xml(model))
    assert mine.read_model(other).source == "bpmn:model.pnml"


@pytest.mark.parametrize("text", [
    b'<?xml version="1.0"?>\n<!DOCTYPE pnml [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<pnml/>',
    b'<?xml version="1.0"?><!-- <!ENTITY a "b"> --><pnml/>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><pnml/>'.encode("utf-16"),
])
def test_read_model_refuses_dtd(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / "evil.pnml"
    path.write_bytes(text)
    with pytest.raises(UnsafeInputError, match=r"evil\.pnml.*DOCTYPE or ENTITY"):
        mine.read_model(path)
    with pytest.raises(UnsafeInputError):
        refuse_dtd(text, "evil.pnml")


def test_read_model_errors_name_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(b"<definitions><process>")
    with pytest.raises(FormatError, match=r"broken\.bpmn.*BPMN 2\.0 XML file or a PNML"):
        mine.read_model(broken)
    other = tmp_path / "other.xml"
    other.write_bytes(b"<log/>")
    with pytest.raises(FormatError, match=r"other\.xml.*<log>"):
        mine.read_model(other)
    big = tmp_path / "big.pnml"
    big.write_bytes(b"<pnml>" + b" " * 20 + b"</pnml>")
    monkeypatch.setattr("procflow.mine.files.MAX_MODEL_BYTES", 10)
    with pytest.raises(InputError, match=r"big\.pnml.*more than"):
        mine.read_model(big)
    with pytest.raises(InputError, match="cannot read"):
        mine.read_model(tmp_path / "missing.pnml")


def test_write_model_refuses_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.bpmn, \.pnml"):
        mine.write_model(models_to_write()[0], tmp_path / "model.txt")


# ------------------------------------------------------------------ drawings

HOSTILE = 'Tolak <b>"x"</b>\\l ]; node [shape=box]; "evil" -> "x" // {label}'


def test_petri_net_graph_escapes_and_is_deterministic() -> None:
    model = mine.tree_model("->('A', X('B', tau))", name="t")
    hostile = mine.sequence_model([(HOSTILE, True), ("Setuju", False)], name=HOSTILE)
    graph = petri_net_graph(hostile)
    source = graph.source
    assert graph.graph_attr["rankdir"] == "LR"
    svg = graph.pipe(format="svg").decode("utf-8")
    nodes = len(hostile.net.places) + len(hostile.net.transitions)
    assert svg.count('class="node"') == nodes and svg.count('class="edge"') == len(
        hostile.net.arcs)
    assert "&lt;b&gt;" in svg and "<b>" not in svg and "<title>evil</title>" not in svg
    assert "\tp1 -> t1\n" in source
    assert petri_net_graph(model).source == petri_net_graph(model).source
    silent = [line for line in petri_net_graph(model).source.splitlines()
              if "fillcolor=black" in line]
    assert len(silent) == 1
    assert "doublecircle" in source and "●" in source


def test_bpmn_graph_shapes(tmp_path: Path) -> None:
    model = mine.tree_model("->('A', X('B', tau), +('C', 'D'))", name="t")
    source = bpmn_graph(model).source
    assert source.count("shape=diamond") == 4
    assert "×" in source and "+" in source and "style=\"rounded,filled\"" in source
    assert source == bpmn_graph(model).source
    with pytest.raises(ValueError, match="no BPMN"):
        bpmn_graph(mine.discover(CRAFTED, algorithm="heuristics"))


@pytest.mark.parametrize("suffix", [".svg", ".dot"])
def test_drawings_written(tmp_path: Path, suffix: str) -> None:
    hostile = mine.sequence_model([(HOSTILE, True)], name="h")
    path = mine.write_model(hostile, tmp_path / f"model{suffix}")
    text = path.read_text(encoding="utf-8")
    if suffix == ".svg":
        etree.fromstring(text.encode())
        assert "<b>" not in text and "Tolak &lt;b&gt;" in text
    assert mine.write_model(hostile, tmp_path / f"again{suffix}").read_text(
        encoding="utf-8") == text
    net_only = mine.discover(CRAFTED, algorithm="heuristics")
    assert os.path.getsize(mine.write_model(net_only, tmp_path / f"heu{suffix}")) > 0
