"""Results whose dictionary form is a JSON contract (analysis.json, comparison.json, …)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar


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
        path.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
        return path
