"""Writing graphs to files: SVG, PNG, PDF with Graphviz's ``dot``, or DOT source without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import graphviz

from procflow.errors import InputError, ProcflowError

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
TIMEOUT = 120.0
INSTALL = ("install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
           "graphviz; others: https://graphviz.org/download/) and run the command again")


def _write(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file, so a failure leaves no half file
    (the file gets the usual permissions of new files)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class _NoDot(ProcflowError):
    """Graphviz's ``dot`` program is missing or cannot be started."""

    def __init__(self, message: str):
        super().__init__(message, fix=INSTALL + ".")


class DrawingTimeout(ProcflowError):
    """Graphviz's ``dot`` did not finish within the time allowed."""


def _dot_fallback(graph: graphviz.Digraph, out: Path, why: str) -> ProcflowError:
    dot_file = out.with_suffix(".dot")
    _write(dot_file, graph.source.encode("utf-8"))
    return ProcflowError(f"{why} The graph was written as DOT text to {dot_file} instead.",
                         source=str(out), fix=INSTALL + ".")


def graph_bytes(graph: graphviz.Digraph, fmt: str, *, timeout: float = TIMEOUT,
                source: str | None = None) -> bytes:
    """``graph`` drawn by Graphviz's ``dot`` as ``fmt`` (``svg``, ``png``, ``pdf``), in memory.

    Raises :class:`ProcflowError` when ``dot`` is missing (saying how to install it), takes
    longer than ``timeout`` seconds, or fails. ``source`` names the output in messages.
    """
    if fmt not in {f for f in FORMATS.values() if f}:
        raise InputError(f"Cannot draw a graph as {fmt!r}.", source=source,
                         fix="Use svg, png or pdf.")
    dot = shutil.which("dot")
    if dot is None:
        raise _NoDot(f"Graphviz's dot program, needed for {fmt.upper()}, was not found.")
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=graph.source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as err:  # removed between which() and run()
        raise _NoDot("Graphviz's dot program could not be started.") from err
    except subprocess.TimeoutExpired as err:
        raise DrawingTimeout(f"Graphviz took longer than {timeout:.0f} s to draw the graph.",
                             source=source,
                             fix="show less of the process: lower --activities and --edges "
                                 "(for example --activities 20 --edges 30), or write .dot "
                                 "and draw it yourself.") from err
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProcflowError("Graphviz could not draw the graph: "
                            + (message[-1] if message else f"exit code {done.returncode}") + ".",
                            source=source, fix="write .dot instead and report this problem.")
    return bytes(done.stdout)


def write_graph(graph: graphviz.Digraph, out: Path, *, timeout: float = TIMEOUT) -> Path:
    """Write ``graph`` to ``out``; the format comes from the suffix (.svg .png .pdf .dot .gv).

    ``.dot``/``.gv`` is the graph's source text and needs no Graphviz. The other formats run
    Graphviz's ``dot`` (at most ``timeout`` seconds); when it is missing the DOT text is
    written beside ``out`` (``.dot``) and a :class:`ProcflowError` says so and how to install
    Graphviz. Parent folders are created. Returns the path written.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"Cannot write a graph as {suffix or 'a file without a suffix'}.",
                         source=str(out), fix="End the file name in .svg, .png, .pdf, .dot or .gv.")
    fmt = FORMATS[suffix]
    if fmt is None:
        _write(out, graph.source.encode("utf-8"))
        return out
    try:
        data = graph_bytes(graph, fmt, timeout=timeout, source=str(out))
    except _NoDot as err:
        raise _dot_fallback(graph, out, err.message) from err
    _write(out, data)
    return out
