"""Charts of a log over time (``procflow.measure.time_views``), as SVG text to inline: cases
arriving, completed and open per period, cycle time by month of arrival, a dotted chart of
each case's events and a heat map of each performer's workload.

They follow :mod:`procflow.render.charts`: matplotlib figures without pyplot, the report's
style and locale, names from the log shortened and kept as text, byte-identical output for
the same input. Dates on the axes are numeric (``2024``, ``2024-03``, ``2024-03-05``) and read
the same in both languages.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FixedLocator

from procflow.core.i18n import Texts
from procflow.render.charts import (
    AFTER,
    BAR,
    GRID,
    INK,
    MUTED,
    _drawing,
    _empty,
    _figure,
    _finish,
    _time_unit,
    _value_axis,
    label,
)

#: Okabe–Ito colours for the most frequent activities of a dotted chart; others are grey.
DOT_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000",
               "#f0e442")
OTHER = "#c8c8c8"
WORKLOAD = LinearSegmentedColormap.from_list("workload", ["#c6dbef", "#4292c6", "#08306b"])
EPOCH = dt.datetime(1970, 1, 1)


def flow_chart(flow: Sequence[dict[str, Any]], bucket: str, *, zone: str, title: str,
               t: Texts) -> str:
    """Two panels over the same dates: cases arriving and completed per period (steps over
    each period), and the cases open at each period's end (periods in ``zone``)."""
    with _drawing("flow", title, (bucket, zone, list(map(_items, flow))), ""):
        if not flow:
            return _empty(title, t)
        starts = [_day(r["start"]) for r in flow]
        ends = [*starts[1:], _next(starts[-1], bucket)]
        edges = date2num([*starts, ends[-1]])
        fig = _figure(4.6)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        for key, colour, name in (("arrivals", BAR, t("arrived")),
                                  ("completions", AFTER, t("completed"))):
            values = [r[key] for r in flow]
            top.stairs(values, edges, color=colour, linewidth=1.4, label=name,
                       linestyle="-" if key == "arrivals" else "--")
        top.set_ylim(0, max(max(r["arrivals"], r["completions"]) for r in flow) * 1.1 or 1)
        _value_axis(top, t, "y", integer=True)
        top.set_ylabel(t("Cases per week") if bucket == "week" else t("Cases per month"))
        top.legend(loc="upper left", frameon=False, ncols=2)
        open_cases = [r["open"] for r in flow]
        bottom.fill_between(date2num([starts[0], *ends]), [0, *open_cases], step=None,
                            color="#c6dbef", linewidth=0)
        bottom.plot(date2num([starts[0], *ends]), [0, *open_cases], color=BAR, linewidth=1.2)
        bottom.set_ylim(0, max(open_cases) * 1.15 or 1)
        _value_axis(bottom, t, "y", integer=True)
        bottom.set_ylabel(t("Open cases"))
        _date_axis(bottom, edges[0], edges[-1])
        return _finish(fig, title, t("Open: cases arrived and not yet completed at the end of "
                                     "each period. Periods in {zone}.", zone=zone))


def cycle_chart(months: Sequence[dict[str, Any]], *, title: str, t: Texts) -> str:
    """The median and 90th percentile cycle time of the cases arriving in each month, a gap
    where no case arrived."""
    with _drawing("cycle", title, list(map(_items, months)), "seconds"):
        known = [r for r in months if r["median"] is not None]
        if not known:
            return _empty(title, t)
        scale, unit = _time_unit(max(r["p90"] for r in known), t)
        x = date2num([_day(r["month"] + "-15") for r in months])
        fig = _figure(3.4)
        ax = fig.add_subplot()
        for key, colour, style, name in (("p90", "#9ecae1", "--", t("90th percentile")),
                                         ("median", AFTER, "-", t("median"))):
            y = np.array([np.nan if r[key] is None else r[key] / scale for r in months])
            ax.plot(x, y, color=colour, linestyle=style, linewidth=1.5, label=name,
                    marker="o" if len(months) <= 36 else None, markersize=3)
        ax.set_ylim(0, max(r["p90"] for r in known) / scale * 1.12 or 1)
        _value_axis(ax, t, "y")
        ax.set_ylabel(t("Cycle time ({unit})", unit=unit))
        ax.legend(loc="upper left", frameon=False, ncols=2)
        first = _day(months[0]["month"] + "-01")
        _date_axis(ax, date2num(first), date2num(_next(_day(months[-1]["month"] + "-01"),
                                                       "month")))
        ax.set_xlabel(t("Month the case arrived"))
        return _finish(fig, title, t("Cases arriving near the end of the log had less time to "
                                     "finish, so their months look faster."))


def dotted_chart(dots: dict[str, Any], *, title: str, t: Texts) -> str:
    """One row per case (earliest arrival on top), one dot per event at its completion; the
    most frequent activities in colour, the others grey; a note when the cases are a sample."""
    data = (dots["cases"], dots["shown"], dots["activities"], dots["row"][:50],
            dots["local_us"][:50], len(dots["row"]), sum(dots["local_us"]))
    with _drawing("dots", title, data, ""), mpl.rc_context({"path.simplify": False}):
        if not dots["row"]:
            return _empty(title, t)
        rows = np.asarray(dots["row"], dtype=float)
        days = np.asarray(dots["local_us"], dtype=np.int64) / 86_400e6 + date2num(EPOCH)
        kinds = np.asarray(dots["activity"])
        fig = _figure(5.2)
        ax = fig.add_subplot()
        size = 2.2 if len(rows) <= 20_000 else 1.5
        handles = []
        for index in [-1, *range(len(dots["activities"]))]:
            chosen = kinds == index
            if not chosen.any():
                continue
            colour = OTHER if index < 0 else DOT_COLOURS[index % len(DOT_COLOURS)]
            ax.plot(*_dot_path(days[chosen], rows[chosen]), color=colour, linewidth=size,
                    solid_capstyle="round")
            handles.append(Line2D([], [], color=colour, marker="o", linestyle="none",
                                  markersize=5, label=t("other activities") if index < 0
                                  else label(dots["activities"][index], 28)))
        handles = handles[1:] + handles[:1] if kinds.min() < 0 else handles
        ax.set_ylim(dots["shown"] - 0.5, -0.5)
        _value_axis(ax, t, "y", integer=True)
        ax.grid(False)
        ax.set_ylabel(t("Cases, by arrival"))
        margin = (days.max() - days.min()) * 0.02
        _date_axis(ax, days.min() - margin, days.max() + margin)
        fig.legend(handles=handles, loc="outside right upper", frameon=False,
                   title=t("Activity"), alignment="left")
        note = t("All {n} cases.", n=t.integer(dots["cases"])) if not dots["sampled"] else \
            t("{shown} of {n} cases shown: an even sample by arrival (every case would be "
              "unreadable).", shown=t.integer(dots["shown"]), n=t.integer(dots["cases"]))
        return _compact_dots(_finish(fig, title, note))


def workload_heatmap(workload: dict[str, Any], bucket: str, *, title: str, t: Texts) -> str:
    """Events of each of the most active performers per period: one row per performer (most
    events on top), darker is busier (a few steps of colour; white: none)."""
    rows = workload["rows"]
    with _drawing("workload", title, (bucket, workload["periods"],
                                      [(r["name"], r["per_period"]["events"]) for r in rows]), ""):
        if not rows or not workload["periods"]:
            return _empty(title, t)
        starts = [_day(p) for p in workload["periods"]]
        edges = date2num([*starts, _next(starts[-1], bucket)])
        grid = np.array([r["per_period"]["events"] for r in rows], dtype=float)
        fig = _figure(1.5 + 0.3 * len(rows))
        ax = fig.add_subplot()
        # a few steps of colour, at quartiles of the busy cells (most cells are quiet, so equal
        # steps would leave them all alike); a colour bar of few patches stays vector (a long
        # one would be an image, which the report drops)
        bounds = _steps(grid[grid > 0])
        norm = BoundaryNorm(bounds, WORKLOAD.N, clip=True)
        shades = ScalarMappable(norm=norm, cmap=WORKLOAD)
        # one path per colour holding all its cells: a few SVG elements, not one per cell
        level = np.digitize(grid, bounds[1:-1])
        for step in np.unique(level[grid > 0]):
            cells = np.argwhere((level == step) & (grid > 0))
            ax.add_patch(PathPatch(_rectangles(edges, cells), linewidth=0,
                                   facecolor=shades.to_rgba(grid[tuple(cells[0])])))
        ax.set_xlim(edges[0], edges[-1])
        ax.set_yticks(np.arange(len(rows)) + 0.5, [label(r["name"], 28) for r in rows])
        ax.set_ylim(len(rows), 0)
        ax.tick_params(axis="y", length=0)
        _date_axis(ax, edges[0], edges[-1])
        bar = fig.colorbar(shades, ax=ax, fraction=0.04, pad=0.01, spacing="uniform")
        bar.set_label(t("Events per week") if bucket == "week" else t("Events per month"))
        _value_axis(bar.ax, t, "y", integer=True)
        bar.ax.yaxis.set_major_locator(FixedLocator(bounds.tolist()))
        bar.ax.grid(False)
        note = ""
        if workload["performers"] > len(rows):
            note = t("The {shown} most active of {total}; white: no event.",
                     shown=t.integer(len(rows)), total=t.integer(workload["performers"]))
        return _finish(fig, title, note)


def _steps(values: np.ndarray) -> np.ndarray:
    """Colour steps for counts (bounds of the bins): each value when there are at most six,
    else 1, the quartiles and 90th percentile rounded up, and the largest."""
    distinct = np.unique(values)
    if distinct.size <= 6:
        return np.concatenate([distinct, [distinct[-1] + 1]]).astype(float)
    top = float(values.max())
    inner = np.ceil(np.quantile(values, [0.25, 0.5, 0.75, 0.9]))
    return np.unique(np.concatenate([[1.0], inner[(inner > 1) & (inner < top)], [top]]))


#: Tick label formats by the ticks' spacing in days (the first that fits).
DATE_FORMATS = ((1 / 1440, "%H:%M:%S"), (1 / 24, "%Y-%m-%d %H:%M"), (27.0, "%Y-%m-%d"),
                (364.0, "%Y-%m"), (math.inf, "%Y"))


def _date_axis(ax: Axes, low: float, high: float) -> None:
    """Dates from ``low`` to ``high`` (matplotlib date numbers) on the x axis, numeric and
    locale-free, with light vertical grid lines. The ticks are placed once, as fixed ticks
    (a date locator would be asked again at every layout pass, the chart's slowest part)."""
    if high <= low:
        low, high = low - 0.5, high + 0.5
    ax.set_xlim(low, high)
    locator = AutoDateLocator(minticks=3, maxticks=9)
    ticks = [x for x in locator.tick_values(num2date(low), num2date(high)) if low <= x <= high]
    spacing = ticks[1] - ticks[0] if len(ticks) > 1 else high - low
    form = next(f for limit, f in DATE_FORMATS if spacing <= limit)
    ax.set_xticks(ticks, [num2date(x).strftime(form) for x in ticks])
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.tick_params(axis="x", colors=INK)
    ax.xaxis.label.set_color(INK)
    for spine in ("left", "bottom"):
        ax.spines[spine].set_color(MUTED)


def _dot_path(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dots as one line of very short round-capped strokes, cut by NaN: one SVG path for all
    of them (markers would write an element per dot, several times the bytes)."""
    xs = np.column_stack([x, x, np.full(x.size, np.nan)]).ravel()
    ys = np.column_stack([y, y, np.full(y.size, np.nan)]).ravel()
    return xs, ys


_DOT = re.compile(r"M (-?[\d.]+) (-?[\d.]+) \nL \1 \2 \n")


def _compact_dots(svg: str) -> str:
    """The dots' strokes (``M x y L x y``) written as ``Mx yh0`` to two decimals: a third of
    the bytes, the same drawing."""
    return _DOT.sub(lambda m: f"M{float(m[1]):.2f} {float(m[2]):.2f}h0", svg)


def _rectangles(edges: np.ndarray, cells: np.ndarray) -> Path:
    """The cells (row, column) of a grid whose columns span ``edges`` (rows are 1 high), as
    one compound path of closed rectangles."""
    x0, x1 = edges[cells[:, 1]], edges[cells[:, 1] + 1]
    y0, y1 = cells[:, 0].astype(float), cells[:, 0] + 1.0
    corners = np.stack([np.column_stack(p) for p in ((x0, y0), (x1, y0), (x1, y1), (x0, y1),
                                                      (x0, y0))], axis=1)
    codes = np.tile([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
                    len(cells))
    return Path(corners.reshape(-1, 2), codes)


def _day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _next(start: dt.datetime, bucket: str) -> dt.datetime:
    if bucket == "week":
        return start + dt.timedelta(days=7)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _items(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(row.items()))
