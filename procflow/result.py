"""Results whose dictionary form is a JSON contract (analysis.json, comparison.json, …)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import orjson


@dataclass
class JsonResult:
    """A result held as its JSON object; ``write`` saves it as ``out/FILENAME``."""

    data: dict[str, Any]
    FILENAME: ClassVar[str] = "result.json"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return self.data

    def write(self, out: Path) -> Path:
        """Write ``out/FILENAME`` (UTF-8, indented) and return its path."""
        out.mkdir(parents=True, exist_ok=True)
        path = out / self.FILENAME
        path.write_text(dumps(self.data), encoding="utf-8")
        return path


#: Lists longer than this are written on one line (long lists of handoff pairs or cases
#: would take seconds through the indenting writer).
LONG_LIST = 1000


def _compact(value: Any) -> str:
    """``value`` as compact JSON (UTF-8 text; a NaN or infinity is null)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def dumps(value: Any, depth: int = 0) -> str:
    """``value`` as JSON indented by one space per level, as ``json.dumps(indent=1)`` lays
    it out, except that a list of more than :data:`LONG_LIST` items stands on one line."""
    pad, inner = "\n" + " " * depth, "\n" + " " * (depth + 1)
    if isinstance(value, dict) and value:
        items = (f"{_compact(str(k))}: {dumps(v, depth + 1)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + pad + "}"
    if isinstance(value, list | tuple) and value and len(value) <= LONG_LIST:
        return "[" + inner + ("," + inner).join(dumps(v, depth + 1) for v in value) + pad + "]"
    return _compact(value)
