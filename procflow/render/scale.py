"""Numbers to colours and pen widths for maps: fixed palettes, fixed formatting (deterministic)."""

from __future__ import annotations

import math
from collections.abc import Iterable

# ColorBrewer sequential palettes (9 classes), light to dark.
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5",
         "#08519c", "#08306b")
REDS = ("#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d",
        "#a50f15", "#67000d")
PURPLES = ("#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3",
           "#54278f", "#3f007d")
GREYS = ("#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525")


class Scale:
    """Maps values in ``[low, high]`` to a fraction in ``[0, 1]`` on a logarithmic scale.

    Logarithmic because counts and durations in event logs spread over orders of magnitude: a
    linear scale would paint all but the largest few the same pale colour.
    """

    def __init__(self, values: Iterable[float | None]):
        known = [float(v) for v in values if v is not None and v >= 0]
        self.low = math.log1p(min(known)) if known else 0.0
        self.high = math.log1p(max(known)) if known else 0.0

    def fraction(self, value: float | None) -> float:
        if value is None or value < 0:
            return 0.0
        if self.high <= self.low:
            return 1.0
        f = (math.log1p(float(value)) - self.low) / (self.high - self.low)
        return min(1.0, max(0.0, f))


def pick(palette: tuple[str, ...], fraction: float, first: int = 0, last: int | None = None) -> str:
    """The palette colour for ``fraction`` between index ``first`` and ``last`` (inclusive)."""
    last = len(palette) - 1 if last is None else last
    return palette[first + round(fraction * (last - first))]


def width(fraction: float, thin: float = 1.0, thick: float = 6.0) -> str:
    """A pen width between ``thin`` and ``thick``, formatted with two decimals."""
    return f"{thin + fraction * (thick - thin):.2f}"


def is_dark(colour: str) -> bool:
    """Whether black text on ``colour`` (``#rrggbb``) would be hard to read."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140
