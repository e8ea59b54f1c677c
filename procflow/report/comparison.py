"""Build the HTML report of a before/after comparison (one offline file)."""

from __future__ import annotations

from typing import Any

from procflow.compare.comparison import Comparison
from procflow.compare.narrative import (
    TABLE_TOP,
    kpi_name,
    kpi_rows,
    ordered,
    side_name,
    summary,
)
from procflow.core.i18n import Lang, Texts
from procflow.render import charts
from procflow.render.diff_map import diff_map
from procflow.report.html import drawing, environment, filter_context, versions
from procflow.report.svg import inline_svg

FOREST_ROWS = 20


def _forest(kpis: list[dict[str, Any]], t: Texts) -> Any:
    """The timed KPIs on one axis: the log-wide ones (paths, on a far smaller scale, only
    when there are none; the table lists them all)."""
    timed = [k for k in ordered(kpis) if k["unit"] == "seconds"]
    overall = [k for k in timed if k["name"] != "path_elapsed"]
    timed = (overall or timed)[:FOREST_ROWS]
    rows = [(kpi_name(k, t), k["diff_median"], *(k["ci95"] or (None, None)), k["verdict"])
            for k in timed]
    return inline_svg(charts.forest_plot(rows, title=t("Median change with 95% confidence "
                                                        "interval"), t=t, unit="seconds"))


def comparison_report(comparison: Comparison, *, lang: Lang = "id") -> str:
    """The report of ``comparison`` as one HTML document."""
    t = Texts(lang)
    c = comparison.to_dict()
    kpis = [k for k in c["kpis"] if k["name"] != "path_elapsed"]
    paths = [k for k in c["kpis"] if k["name"] == "path_elapsed"]
    rows = kpi_rows(c, t)
    layers, handoffs = c["distributions"]["layers"], c["distributions"]["handoffs_per_case"]
    distributions = []
    if layers[0] or layers[1]:
        distributions.append(inline_svg(charts.paired_histogram(
            layers[0] or {}, layers[1] or {}, title=t("Approval layers per case"),
            xlabel=t("Approval layers"), t=t)))
    if handoffs[0] or handoffs[1]:
        distributions.append(inline_svg(charts.paired_histogram(
            handoffs[0] or {}, handoffs[1] or {}, title=t("Handoffs per case"),
            xlabel=t("Handoffs"), t=t)))
    context = {
        "c": c, "t": t, "meta": versions(), "sentences": summary(c, t),
        "names": (side_name(c["before"]["name"], t), side_name(c["after"]["name"], t)),
        "kpis": rows[:TABLE_TOP], "more_kpis": rows[TABLE_TOP:],
        "forest": _forest(kpis + paths, t),
        "diff_svg": drawing(diff_map(c, t), "difference map"),
        "distributions": distributions,
        "filtered_sides": [(t(side.capitalize()), filter_context(block, t))
                           for side, block in (c.get("filter") or {}).items() if block],
        "variant_tables": [(t("Variants that appeared"), c["variants"]["appeared"]),
                           (t("Variants that disappeared"), c["variants"]["disappeared"])],
    }
    return environment().get_template("comparison.html").render(context)

