"""One case as a Gantt chart: each activity instance a row, waiting and work as bars.

Rows run top to bottom in case order. Where an instance's start is known, a light bar shows
the waiting (from the previous completion to the start) and a dark bar the work (start to
completion); without a start, a hatched bar shows the elapsed time from the previous
completion (waiting and work not told apart); the first instance without a start is a dot.
Decision steps have a black outline. Text stays text and is escaped, as in
:mod:`procflow.render.charts`, whose style this shares; the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from procflow.core.i18n import Texts
from procflow.core.zones import tzinfo, zone_label
from procflow.render.charts import INK, METADATA, MUTED, STYLE, WIDTH, label

WAIT = "#c6dbef"
WORK = "#08519c"
ELAPSED = "#9ecae1"
ROW = 0.36
#: Longest name on a row label.
NAME_LIMIT = 48


#: Tick labels in numbers (ISO order), the same in every language: years, months, days,
#: hours, minutes, seconds; the first tick of a larger unit, and the axis' offset label.
NUMERIC_DATES = ["%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M", "%S.%f"]
NUMERIC_ZEROS = ["", "%Y", "%Y-%m", "%Y-%m-%d", "%H:%M", "%H:%M"]
NUMERIC_OFFSETS = ["", "%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]


def case_gantt(steps: Sequence[Mapping[str, Any]], *, title: str, t: Texts,
               zone: str | None = None, fmt: Literal["svg", "png"] = "svg") -> bytes:
    """The Gantt chart of one case's instances (``procflow.measure.timeline`` rows), times
    shown in ``zone`` (default UTC), as SVG or PNG bytes."""
    place = tzinfo(zone)
    digest = hashlib.sha256(repr((title, zone, list(map(dict, steps)))).encode("utf-8", "replace"))
    settings: Any = STYLE | {"svg.hashsalt": "procflow-" + digest.hexdigest()[:16]}
    with mpl.rc_context(settings):
        fig = Figure(figsize=(WIDTH + 2.5, min(max(1.8 + ROW * len(steps), 2.4), 40.0)),
                     layout="constrained")
        ax = fig.add_subplot()
        previous: dt.datetime | None = None
        for row, step in enumerate(steps):
            _bars(ax, row, step, previous, t)
            previous = step["completion"]
        ax.set_yticks(range(len(steps)), [_row_label(s, t) for s in steps], fontsize=8)
        ax.set_ylim(len(steps) - 0.5, -0.5)
        ax.margins(x=0.02)
        low, high = ax.get_xlim()
        ax.set_xlim(low, high + 0.3 * (high - low or 1.0))  # room for the durations
        ax.xaxis_date(tz=place)
        locator = mdates.AutoDateLocator(tz=place)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
            locator, tz=place, formats=NUMERIC_DATES, zero_formats=NUMERIC_ZEROS,
            offset_formats=NUMERIC_OFFSETS))
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(t("Time ({zone})", zone=zone_label(zone)))
        handles = [Patch(facecolor=WAIT, label=t("waiting")),
                   Patch(facecolor=WORK, label=t("work")),
                   Patch(facecolor=ELAPSED, hatch="///", label=t("elapsed (no start time)")),
                   Patch(facecolor="white", edgecolor=INK, linewidth=1.4,
                         label=t("decision step"))]
        fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False,
                   fontsize=8.5)
        fig.suptitle(label(title, 120), x=0.01, ha="left", color=INK)
        return _save(fig, title, fmt)


def _bars(ax: Any, row: int, step: Mapping[str, Any], previous: dt.datetime | None,
          t: Texts) -> None:
    """Draw one instance's waiting, work or elapsed bar and its durations."""
    edge = {"edgecolor": INK, "linewidth": 1.4} if step["decision"] else {"linewidth": 0}
    end = _num(step["completion"])
    start = step["start"]
    if start is not None:
        if previous is not None and previous < start:
            ax.barh(row, _num(start) - _num(previous), left=_num(previous), height=0.62,
                    color=WAIT)
        ax.barh(row, end - _num(start), left=_num(start), height=0.62, color=WORK, **edge)
    elif previous is not None:
        ax.barh(row, end - _num(previous), left=_num(previous), height=0.62, color=ELAPSED,
                hatch="///", **edge)
    else:
        ax.plot([end], [row], marker="o", color=WORK, markersize=5,
                markeredgecolor=INK if step["decision"] else WORK)
    ax.text(end, row, "  " + _durations(step, t), va="center", ha="left", fontsize=7.5,
            color=MUTED)


def _num(value: dt.datetime) -> float:
    return float(mdates.date2num(value))


def _durations(step: Mapping[str, Any], t: Texts) -> str:
    parts = [t("{what} {time}", what=t(word), time=t.duration(step[key]))
             for key, word in (("waiting", "waiting"), ("processing", "work"))
             if step.get(key) is not None]
    if not parts and step.get("elapsed") is not None:
        parts.append(t("{what} {time}", what=t("elapsed"), time=t.duration(step["elapsed"])))
    return " · ".join(parts)


def _row_label(step: Mapping[str, Any], t: Texts) -> str:
    who = [str(step[k]) for k in ("resource", "role") if step.get(k) is not None]
    if step.get("level") is not None:
        who.append(t("level {n}", n=step["level"]))
    name = f"{step['seq']}. {label(step['activity'], NAME_LIMIT)}"
    return name + ("\n" + label(" · ".join(who), NAME_LIMIT + 12) if who else "")


def _save(fig: Figure, title: str, fmt: Literal["svg", "png"]) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
        return buffer.getvalue()
    fig.savefig(buffer, format="svg", metadata=METADATA)
    text = buffer.getvalue().decode("utf-8")
    text = text[text.index("<svg"):]
    name = html.escape(" ".join(title.split()), quote=True)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1).encode("utf-8")
