"""Charts for the HTML reports, drawn with matplotlib and returned as SVG text to inline.

Every function takes the report's :class:`~procflow.core.i18n.Texts` and returns one ``<svg>``
element (no XML prolog): box plots of durations or counts, horizontal bars, histograms of counts
per case, before/after histograms and a forest plot of the median differences of a comparison.

The drawings are meant for a head of office as much as for the analyst: one title, few colours
(colour-blind safe, told apart by lightness and marker shape as well as hue), numbers in the
report's locale (``1.234,5`` in Indonesian) and durations in minutes, hours or days, whichever
suits the data. They are safe to inline: text stays text (no glyph outlines), names from the log
are shortened and never read as mathtext, matplotlib escapes them for XML, and nothing is loaded
from elsewhere. The same input gives byte-identical SVG.

matplotlib's global state is left alone: figures are :class:`matplotlib.figure.Figure` objects
(no pyplot), and style settings apply only while a chart is drawn.
"""

from __future__ import annotations

import hashlib
import html
import io
import math
import textwrap
import unicodedata
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypedDict

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, MaxNLocator

from procflow.core.i18n import Texts

#: Longest name shown on a chart; longer names end in "…".
LABEL_LIMIT = 40
#: Longest KPI name on a forest plot (they start with the measure's name).
FOREST_LABEL_LIMIT = 52
#: Figure width in inches (fits an A4 page and a report column).
WIDTH = 7.5
#: Samples up to this size show the values beyond the whiskers as dots.
FLIER_LIMIT = 50

INK = "#252525"
MUTED = "#636363"
GRID = "#e0e0e0"
BOX_FILL = "#c6dbef"
BOX_EDGE = "#08519c"
BAR = "#4292c6"
BEFORE = "#a6bddb"
AFTER = "#045a8d"
#: Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
VERDICT_COLOURS = {"improved": "#009e73", "worsened": "#d55e00", "unclear": "#e69f00",
                   "unchanged": "#8c8c8c"}
VERDICT_MARKERS = {"improved": "o", "worsened": "s", "unclear": "^", "unchanged": "D"}

STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "text.usetex": False,
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Liberation Sans", "Helvetica"],
    "font.size": 9.5,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#969696",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "figure.titleweight": "bold",
    "axes.unicode_minus": True,
    "path.simplify": True,
}
#: No date, creator or format in the SVG: the output depends on the input only.
METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None, "Type": None}

TimeUnit = tuple[float, str]


class BoxStats(TypedDict):
    """What a box shows: the median, the quartiles and the 5th and 95th percentiles."""

    n: int
    p5: float
    q1: float
    median: float
    q3: float
    p95: float


def box_stats(values: npt.ArrayLike) -> BoxStats:
    """The numbers of one box: ``n`` finite values, their median (numpy's: halfway between the two
    middle values for an even ``n``), quartiles and 5th/95th percentiles (linear interpolation,
    numpy's default, as everywhere in procflow). NaN for all but ``n`` when there are no values."""
    data = _finite(values)
    if not data.size:
        nan = math.nan
        return BoxStats(n=0, p5=nan, q1=nan, median=nan, q3=nan, p95=nan)
    p5, q1, q3, p95 = (float(v) for v in np.percentile(data, [5, 25, 75, 95]))
    return BoxStats(n=int(data.size), p5=p5, q1=q1, median=float(np.median(data)), q3=q3, p95=p95)


def label(text: object, limit: int = LABEL_LIMIT) -> str:
    """A name from the log fit for a chart: on one line, without control or direction-changing
    characters, cut to ``limit`` characters with "…" (``–`` when nothing is left)."""
    out = []
    for ch in str(text):
        category = unicodedata.category(ch)
        if category == "Cc" or category == "Zl" or category == "Zp":
            out.append(" ")
        elif category not in ("Cs", "Co", "Cn") and ch not in _BIDI:
            out.append(ch)
    flat = " ".join("".join(out).split())
    if not flat:
        return "–"
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def box_plot(groups: Mapping[str, npt.ArrayLike], *, title: str, t: Texts,
             unit: Literal["seconds", "count"] = "seconds", limit: int = 12) -> str:
    """Horizontal box plots, one row per group, the highest median on top, at most ``limit``
    rows (a note says how many were left out). Boxes span the quartiles, the line is the median,
    whiskers reach the 5th and 95th percentiles; values beyond them are dots for small groups.
    Each row shows its median and ``n`` on the right. Groups without values are not drawn."""
    stats = [(name, box_stats(values), _finite(values)) for name, values in groups.items()]
    stats = [s for s in stats if s[1]["n"]]
    stats.sort(key=lambda s: (-s[1]["median"], label(s[0])))
    with _drawing("box", title, [(k, _finite(v).tobytes()) for k, v in groups.items()], unit):
        if not stats:
            return _empty(title, t)
        shown = stats[: max(1, limit)]
        top = max(max(s["p95"] for _, s, _ in shown),
                  max((float(v.max()) for _, s, v in shown if s["n"] <= FLIER_LIMIT), default=0))
        scale, unit_name = _time_unit(top, t) if unit == "seconds" else (1.0, "")
        fig = _figure(1.7 + 0.42 * len(shown))
        ax = fig.add_subplot()
        bxp = []
        dots = False
        for name, s, values in shown:
            fliers = values[(values < s["p5"]) | (values > s["p95"])] \
                if s["n"] <= FLIER_LIMIT else np.empty(0)
            dots = dots or bool(fliers.size)
            bxp.append({"med": s["median"] / scale, "q1": s["q1"] / scale,
                        "q3": s["q3"] / scale, "whislo": s["p5"] / scale,
                        "whishi": s["p95"] / scale, "fliers": np.sort(fliers) / scale,
                        "label": label(name)})
        positions = list(range(len(shown)))
        ax.bxp(bxp, positions=positions, orientation="horizontal", widths=0.6,
               patch_artist=True, manage_ticks=False,
               boxprops={"facecolor": BOX_FILL, "edgecolor": BOX_EDGE, "linewidth": 1.0},
               medianprops={"color": INK, "linewidth": 2.0},
               whiskerprops={"color": BOX_EDGE, "linewidth": 1.0},
               capprops={"color": BOX_EDGE, "linewidth": 1.0},
               flierprops={"marker": "o", "markersize": 3.5, "markerfacecolor": "none",
                           "markeredgecolor": BOX_EDGE, "alpha": 0.8})
        ax.set_yticks(positions, [label(name) for name, _, _ in shown])
        ax.set_ylim(len(shown) - 0.5, -0.5)
        for pos, (_, s, _) in zip(positions, shown, strict=True):
            value = (t.duration(s["median"]) if unit == "seconds"  # its own best unit
                     else _value(s["median"], scale, unit_name, t))
            ax.text(1.01, pos, t("median {value} · n = {n}", value=value, n=t.integer(s["n"])),
                    transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=8.5,
                    color=MUTED)
        lowest = min(min(s["p5"] for _, s, _ in shown),
                     min((float(v.min()) for _, s, v in shown if s["n"] <= FLIER_LIMIT),
                         default=0))
        ax.set_xlim(min(0.0, lowest / scale * 1.05), top / scale * 1.05 if top > 0 else 1.0)
        _value_axis(ax, t, "x", integer=unit == "count")
        if unit_name:
            ax.set_xlabel(unit_name)
        note = t("Box: middle half of the values; line: median; whiskers: 5th to 95th "
                 "percentile; dots: values beyond (small groups only)." if dots else
                 "Box: middle half of the values; line: median; whiskers: 5th to 95th "
                 "percentile.")
        if len(stats) > len(shown):
            note += " " + t("{shown} of {total} shown, highest median first; {hidden} not "
                            "shown.", shown=t.integer(len(shown)), total=t.integer(len(stats)),
                            hidden=t.integer(len(stats) - len(shown)))
        return _finish(fig, title, note)


def bar_chart(values: Mapping[str, float], *, title: str, t: Texts,
              unit: Literal["seconds", "count", "share"], limit: int = 15) -> str:
    """Horizontal bars, the largest on top, each labelled with its value; at most ``limit`` bars
    (a note says how many were left out). ``share`` values are fractions (0.25 is 25 %)."""
    items = [(name, float(v)) for name, v in values.items()
             if v is not None and math.isfinite(float(v))]
    items.sort(key=lambda item: (-item[1], label(item[0])))
    with _drawing("bar", title, items, unit):
        if not items:
            return _empty(title, t)
        shown = items[: max(1, limit)]
        largest = max(abs(v) for _, v in shown)
        scale, unit_name = _time_unit(largest, t) if unit == "seconds" else (1.0, "")
        fig = _figure(1.4 + 0.34 * len(shown))
        ax = fig.add_subplot()
        positions = list(range(len(shown)))
        ax.barh(positions, [v / scale for _, v in shown], height=0.65, color=BAR)
        ax.set_yticks(positions, [label(name) for name, _ in shown])
        ax.set_ylim(len(shown) - 0.5, -0.6)
        for pos, (_, v) in zip(positions, shown, strict=True):
            text = (t.percent(v, 1) if unit == "share" else t.duration(v) if unit == "seconds"
                    else _value(v, 1.0, "", t))
            ax.text(v / scale, pos, f" {text} ", ha="left" if v >= 0 else "right",
                    va="center", fontsize=8.5, color=INK)
        low = min(0.0, min(v for _, v in shown) / scale)
        high = max(0.0, max(v for _, v in shown) / scale)
        span = (high - low) or 1.0
        ax.set_xlim(low - (0.22 * span if low < 0 else 0), high + 0.22 * span)
        _value_axis(ax, t, "x", percent=unit == "share")
        ax.set_xlabel(t("Share of the total") if unit == "share" else unit_name)
        note = ""
        if len(items) > len(shown):
            note = t("{shown} of {total} shown, largest first; {hidden} not shown.",
                     shown=t.integer(len(shown)), total=t.integer(len(items)),
                     hidden=t.integer(len(items) - len(shown)))
        return _finish(fig, title, note)


def histogram(counts: Mapping[str, int], *, title: str, xlabel: str, t: Texts) -> str:
    """Cases per value (``{"2": 1578, "3": 422}``; numeric keys in numeric order, others after),
    each bar labelled with its count and share of all cases."""
    items = _categories(counts)
    with _drawing("histogram", title, [xlabel, *items], ""):
        total = sum(c for _, c in items)
        if not items or total <= 0:
            return _empty(title, t)
        fig, ax = _columns(items, [
            f"{t.integer(c)}\n{t.percent(c / total, _share_digits(c / total))}"
            for _, c in items] if len(items) <= 16 else [], 3.6)
        ax.set_ylim(0, max(c for _, c in items) * 1.22)
        _value_axis(ax, t, "y", integer=True)
        ax.set_xlabel(label(xlabel, 80))
        ax.set_ylabel(t("Cases"))
        return _finish(fig, title, "")


def share_by_period(shares: Mapping[str, float], *, title: str, xlabel: str, t: Texts
                    ) -> str:
    """Shares (fractions) per period in the order given, e.g. the cases within a service
    standard by month, each bar labelled with its percentage."""
    items = [(k, float(v)) for k, v in shares.items() if v is not None]
    with _drawing("periods", title, [xlabel, *items], "share"):
        if not items:
            return _empty(title, t)
        fig, ax = _columns(items, [t.percent(v, 0) for _, v in items]
                           if len(items) <= 24 else [], 3.4)
        ax.set_ylim(0, 1.12)
        _value_axis(ax, t, "y", percent=True)
        ax.set_xlabel(label(xlabel, 80))
        return _finish(fig, title, "")


def paired_histogram(before: Mapping[str, int], after: Mapping[str, int], *, title: str,
                     xlabel: str, t: Texts) -> str:
    """Before and after side by side: each value's share of the cases of its period, so logs of
    different sizes compare; the legend gives each period's number of cases."""
    keys = [k for k, _ in _categories({**{k: 0 for k in before}, **{k: 0 for k in after}})]
    with _drawing("paired", title, [xlabel, *_categories(before), "|", *_categories(after)], ""):
        sides = []
        for counts in (before, after):
            clean = dict(_categories(counts))
            sides.append(([clean.get(k, 0) for k in keys], sum(clean.values())))
        if not keys or sides[0][1] + sides[1][1] <= 0:
            return _empty(title, t)
        fig = _figure(3.8)
        ax = fig.add_subplot()
        handles = []
        for (side_counts, total), offset, colour, name in zip(
                sides, (-0.2, 0.2), (BEFORE, AFTER), (t("before"), t("after")), strict=True):
            shares = [c / total if total else 0.0 for c in side_counts]
            positions = [i + offset for i in range(len(keys))]
            ax.bar(positions, shares, width=0.4, color=colour)
            handles.append(Patch(facecolor=colour, label=f"{name} (n = {t.integer(total)})"))
            if len(keys) <= 10:
                for pos, share in zip(positions, shares, strict=True):
                    ax.text(pos, share, t.percent(share, _share_digits(share)), ha="center",
                            va="bottom", fontsize=7.5, color=INK)
        _category_axis(ax, keys)
        ax.set_ylim(0, max(max(c / s if s else 0 for c in counts) for counts, s in sides) * 1.15
                    or 1.0)
        _value_axis(ax, t, "y", percent=True)
        ax.set_xlabel(label(xlabel, 80))
        ax.set_ylabel(t("Share of cases"))
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        return _finish(fig, title, "")


def forest_plot(rows: Sequence[tuple[str, float, float | None, float | None, str]], *,
                title: str, t: Texts, unit: Literal["seconds", "count"]) -> str:
    """One row per KPI in the given order: the change of the median (after − before) as a dot,
    its 95% confidence interval as a line, a vertical line at no change, colours and markers by
    verdict (``improved``, ``worsened``, ``unclear``, ``unchanged``). The numbers are repeated on
    the right."""
    clean = [(label(name, FOREST_LABEL_LIMIT), _number_or_none(diff), _number_or_none(lo),
              _number_or_none(hi), verdict if verdict in VERDICT_COLOURS else "unchanged")
             for name, diff, lo, hi, verdict in rows]
    with _drawing("forest", title, clean, unit):
        if not clean:
            return _empty(title, t)
        known = [v for row in clean for v in row[1:4] if v is not None]
        scale, unit_name = _time_unit(max(map(abs, known), default=0.0), t) \
            if unit == "seconds" else (1.0, "")
        scaled = [v / scale for v in known]
        digits = 0 if unit == "count" and all(v.is_integer() for v in scaled) else \
            2 if max(map(abs, scaled), default=0.0) < 1 else 1
        fig = _figure(1.9 + 0.42 * len(clean))
        ax = fig.add_subplot()
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.axvline(0.0, color=INK, linewidth=1.0)
        for pos, (_, diff, lo, hi, verdict) in enumerate(clean):
            colour = VERDICT_COLOURS[verdict]
            if lo is not None and hi is not None:
                ax.hlines(pos, lo / scale, hi / scale, color=colour, linewidth=2.2)
            if diff is not None:
                ax.plot([diff / scale], [pos], marker=VERDICT_MARKERS[verdict], markersize=7,
                        color=colour, linestyle="none")
            text = _signed(diff, scale, digits, t)
            if lo is not None and hi is not None:
                text += f" [{_signed(lo, scale, digits, t)}; {_signed(hi, scale, digits, t)}]"
            ax.text(1.01, pos, text, transform=ax.get_yaxis_transform(), ha="left",
                    va="center", fontsize=8.5, color=MUTED)
        ax.set_yticks(range(len(clean)), [row[0] for row in clean])
        ax.set_ylim(len(clean) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.margins(x=0.08)
        _value_axis(ax, t, "x")
        ax.set_xlabel(t("Change in median, after − before ({unit})", unit=unit_name)
                      if unit_name else t("Change in median, after − before"))
        names = {"improved": t("improved"), "worsened": t("worsened"),
                 "unclear": t("unclear"), "unchanged": t("unchanged")}
        present = [v for v in VERDICT_COLOURS if any(row[4] == v for row in clean)]
        handles = [Line2D([], [], color=VERDICT_COLOURS[v], marker=VERDICT_MARKERS[v],
                          markersize=7, linewidth=2.2, label=names[v]) for v in present]
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                            frameon=False, title=t("Dot: change in the median; line: its 95% "
                                                   "confidence interval."),
                            title_fontsize=8.5)
        legend.get_title().set_color(MUTED)
        return _finish(fig, title, "")


# --- drawing helpers ------------------------------------------------------------------------


@contextmanager
def _drawing(kind: str, title: str, data: object, unit: str) -> Iterator[None]:
    """matplotlib's settings for one chart, with an SVG id salt made from the chart's input, so
    that charts inlined in the same page do not share ids (and the same chart always gets the
    same ones); warnings about glyphs missing from the font (emoji) are silenced: the text stays
    text and the browser finds a font for it."""
    digest = hashlib.sha256(repr((kind, title, unit, data)).encode("utf-8", "replace"))
    settings: Any = STYLE | {"svg.hashsalt": "procflow-" + digest.hexdigest()[:16]}
    with mpl.rc_context(settings), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from (current )?font")
        yield


def _columns(items: Sequence[tuple[str, float]], texts: list[str], height: float
             ) -> tuple[Figure, Axes]:
    """A figure of vertical bars over named categories, each with its text above (if any)."""
    fig = _figure(height)
    ax = fig.add_subplot()
    positions = list(range(len(items)))
    ax.bar(positions, [v for _, v in items], width=0.7, color=BAR)
    _category_axis(ax, [k for k, _ in items])
    for pos, (_, v), text in zip(positions, items, texts, strict=False):
        ax.text(pos, v, text, ha="center", va="bottom", fontsize=8, color=INK, linespacing=1.1)
    return fig, ax


def _figure(height: float) -> Figure:
    return Figure(figsize=(WIDTH, min(max(height, 2.2), 40.0)), layout="constrained")


def _finish(fig: Figure, title: str, note: str) -> str:
    """``fig`` with its title on top and a note at the bottom, as SVG."""
    heading = textwrap.fill(label(title, 160), 80, max_lines=2, placeholder="…")
    fig.suptitle(heading, x=0.01, ha="left", color=INK)
    if note:
        fig.supxlabel(textwrap.fill(note, 115), x=0.01, ha="left", fontsize=8.5, color=MUTED)
    return _svg(fig, heading)


def _svg(fig: Figure, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    name = html.escape(" ".join(title.split()), quote=True)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1)


def _empty(title: str, t: Texts) -> str:
    fig = Figure(figsize=(WIDTH, 1.3), layout="constrained")
    fig.text(0.5, 0.35, t("No data"), ha="center", va="center", fontsize=10, color=MUTED)
    return _finish(fig, title, "")


class _Numbers(Formatter):
    """Tick labels in the locale's format, with as many decimals as the ticks need."""

    def __init__(self, t: Texts, percent: bool = False):
        self.t = t
        self.percent = percent
        self.digits = 0

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        values = np.asarray(locs, dtype=float) * (100 if self.percent else 1)
        self.digits = next((d for d in range(4)
                            if np.allclose(values * 10**d, np.round(values * 10**d), atol=1e-6)), 3)

    def __call__(self, x: float, pos: int | None = None) -> str:
        x = 0.0 if abs(x) < 1e-12 else float(x)
        text = self.t.percent(x, self.digits) if self.percent else self.t.number(x, self.digits)
        return "−" + text[1:] if text.startswith("-") else text


def _value_axis(ax: Axes, t: Texts, which: Literal["x", "y"], *, percent: bool = False,
                integer: bool = False) -> None:
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(MaxNLocator(nbins=6, integer=integer, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(_Numbers(t, percent))
    ax.grid(axis=which, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _category_axis(ax: Axes, keys: list[str]) -> None:
    names = [label(k, 16) for k in keys]
    # about 5.5 points a character at 9 points, on an axis about 480 points wide
    rotate = max(len(n) for n in names) * 5.5 + 4 > 480 / len(keys)
    ax.set_xticks(range(len(keys)), names, rotation=45 if rotate else 0,
                  ha="right" if rotate else "center", rotation_mode="anchor")
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(-0.6, len(keys) - 0.4)


def _categories(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """The counts with a usable number, numeric keys first in numeric order, then the others."""
    def order(key: str) -> tuple[int, float, str]:
        try:
            number = float(key)
        except (TypeError, ValueError):
            return (1, 0.0, str(key))
        return (0, number, str(key)) if math.isfinite(number) else (1, 0.0, str(key))

    items = [(str(k), int(c)) for k, c in counts.items()
             if c is not None and math.isfinite(float(c)) and c >= 0]
    return sorted(items, key=lambda item: order(item[0]))


def _time_unit(seconds: float, t: Texts) -> TimeUnit:
    """Days from two days on, hours from one hour, minutes below."""
    if seconds >= 2 * 86400:
        return 86400.0, t("days")
    if seconds >= 3600:
        return 3600.0, t("hours")
    return 60.0, t("minutes")


def _value(seconds_or_count: float, scale: float, unit_name: str, t: Texts) -> str:
    """A value in the chart's unit: ``3,2 hari``, or a count with one decimal if it needs it."""
    value = seconds_or_count / scale
    digits = 1 if unit_name or not float(value).is_integer() else 0
    text = t.number(value, digits)
    return f"{text} {unit_name}" if unit_name else text


def _share_digits(share: float) -> int:
    return 1 if 0 < share < 0.1 else 0


def _signed(value: float | None, scale: float, digits: int, t: Texts) -> str:
    """``+1,2`` / ``−0,5`` / ``0``: a change with its sign."""
    if value is None:
        return "–"
    scaled = value / scale
    text = t.number(abs(scaled), digits)
    if set(text) <= set("0,."):
        return text
    return ("+" if scaled > 0 else "−") + text


def _number_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _finite(values: npt.ArrayLike) -> np.ndarray:
    data = np.asarray(values, dtype=float).ravel()
    return data[np.isfinite(data)]
