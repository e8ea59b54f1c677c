"""User text made safe for graphviz labels (SECURITY.md 9).

Every activity, resource or role name that reaches a graph goes through :func:`label`: it is
shortened to a readable length and escaped so graphviz reads it as plain text, never as an
HTML-like label, a record field or a backslash escape.
"""

from __future__ import annotations

import graphviz

LABEL_LIMIT = 48


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def label(*lines: str, limit: int = LABEL_LIMIT) -> str:
    """A plain-text graphviz label of ``lines`` (each shortened), joined by centred breaks.

    The result is marked as not HTML-like, so it must be passed to graphviz as it is (joining
    or formatting it again would lose the mark).
    """
    escaped = "\\n".join(graphviz.escape(shorten(line, limit)) for line in lines)
    return graphviz.nohtml(escaped)
