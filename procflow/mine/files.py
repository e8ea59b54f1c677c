"""Reading and writing model files: the format comes from the root element or the suffix.

:func:`read_model` checks the file's size and refuses DTDs and entities before any parser sees
it, then hands BPMN 2.0 or PNML to :mod:`procflow.mine.bpmn` or :mod:`procflow.mine.pnml`.
:func:`write_model` writes BPMN, PNML, or a drawing through :mod:`procflow.render`.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from procflow.errors import FormatError, InputError
from procflow.ingest.xmlsafe import parse_root
from procflow.mine.bpmn import BPMN_NS, bpmn_xml, read_bpmn
from procflow.mine.model import MODEL_FORMATS, Model
from procflow.mine.pnml import pnml_xml, read_pnml

#: Largest model file :func:`read_model` accepts.
MAX_MODEL_BYTES = 50 * 1024 * 1024
DRAWING_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")


def read_model(path: Path) -> Model:
    """Read a BPMN 2.0 or PNML model, told apart by the root element, not the file name.

    DTDs and entities are refused before any parser sees the file; files above
    :data:`MAX_MODEL_BYTES` are refused too.
    """
    path = Path(path)
    data = _model_bytes(path)
    root = parse_root(data, path.name, expected=MODEL_FORMATS)
    tag = etree.QName(root)
    if tag.localname == "pnml":
        return read_pnml(path)
    if tag.localname == "definitions" and tag.namespace == BPMN_NS:
        return read_bpmn(path)
    raise FormatError(f"the root element <{tag.localname}> is neither BPMN 2.0 <definitions> "
                      "nor <pnml>.", source=path.name,
                      fix=f"give {MODEL_FORMATS} (export it again from the modelling tool).",
                      code="not_model", params={"root": tag.localname})


def _model_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise InputError(f"the model file has {size / 2**20:.0f} MB, more than the "
                             f"{MAX_MODEL_BYTES // 2**20} MB allowed.", source=path.name,
                             fix="a process model is far smaller: check that this is the "
                             "model and not a log.", code="model_too_big",
                             params={"limit": MAX_MODEL_BYTES // 2**20})
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the model ({err.strerror}).", source=str(path),
                         fix="check the path and its permissions.") from None


def write_model(model: Model, path: Path) -> Path:
    """Write ``model`` to ``path``; the suffix picks the format.

    ``.bpmn``: BPMN 2.0 XML with a diagram (BPMNDI) laid out by Graphviz; ``.pnml``: the
    Petri net with its markings; ``.svg``/``.png``/``.pdf``/``.dot``/``.gv``: a drawing (the
    BPMN diagram when the model has one, else the Petri net). Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".bpmn":
        return _write_bytes(path, bpmn_xml(model))
    if suffix == ".pnml":
        return _write_bytes(path, pnml_xml(model))
    if suffix in DRAWING_SUFFIXES:
        from procflow.mine.model_graph import bpmn_graph, petri_net_graph
        from procflow.render.files import write_graph

        graph = bpmn_graph(model) if model.bpmn is not None else petri_net_graph(model)
        return write_graph(graph, path)
    raise InputError(f"cannot tell the model format of {path.name}.", source=str(path),
                     fix="end the file name in .bpmn, .pnml, .svg, .png, .pdf or .dot.")


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
