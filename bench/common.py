"""Helpers shared by the benchmarks."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType


def uncompressed_size(path: Path) -> int:
    """Bytes of the file's content after gunzip (if gzipped)."""
    if path.suffix != ".gz":
        return path.stat().st_size
    with gzip.open(path, "rb") as f:
        return sum(len(chunk) for chunk in iter(lambda: f.read(1 << 24), b""))


def timed(func: Callable[[], int]) -> tuple[float, int]:
    """Seconds taken and the count ``func`` returns."""
    start = time.perf_counter()
    count = func()
    return time.perf_counter() - start, count


def quiet_pm4py() -> ModuleType:
    """pm4py, imported without its banner."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    return pm4py


def load() -> str:
    """The machine's load average (1, 5 and 15 minutes), to print beside timings."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
