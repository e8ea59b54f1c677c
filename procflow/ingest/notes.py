"""Notes of an import report, with a code that other shells word in their own language."""

from __future__ import annotations

from typing import Any


class Note(str):
    """A note of an import report: its English text, with a stable ``code`` and ``params``
    (JSON values) so that other shells can word it in their own language."""

    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, **params: Any) -> Note:
        note = super().__new__(cls, text)
        note.code, note.params = code, params
        return note
