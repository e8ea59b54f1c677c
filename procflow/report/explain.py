"""The report of an explanation (one offline HTML file), its sections for the web page, and
its tables for Excel."""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from procflow.core.i18n import Lang, Texts
from procflow.explain import Explanation
from procflow.explain.narrative import (
    amount,
    condition,
    factor_rows,
    field_name,
    sentences,
    target_name,
    value_name,
)
from procflow.render.tree import tree_graph
from procflow.report.html import drawing, environment, filter_context, versions

#: Factor rows shown before the rest is folded away.
TABLE_TOP = 15


def _tree(data: dict[str, Any], t: Texts) -> Markup | None:
    tree = data["tree"]
    if not tree or len(tree["nodes"]) < 2:
        return None
    target = data["target"]
    return drawing(tree_graph(
        tree["nodes"],
        question=lambda n: t("{condition}?", condition=condition(n["field"], n["value"], t)),
        summary=lambda n: t("{rows} rows, median {median}", rows=t.integer(n["rows"]),
                            median=amount(target, n["median"], t)),
        yes=t("yes"), no=t("no"), slow=target["median"]), "decision tree")


def explain_context(data: dict[str, Any], t: Texts) -> dict[str, Any]:
    """What the sections template needs: the sentences, tables and the tree drawing."""
    rows = factor_rows(data, t)
    checks = [{"factor": condition(c["field"], c["value"], t),
               "within": field_name(c["within"], t),
               "diff": amount(data["target"], c["diff_median"], t, change=True),
               "strata": [{"value": value_name(c["within"], s["value"], t),
                           "rows": t.integer(s["rows_with"]),
                           "others": t.integer(s["rows_without"]),
                           "diff": amount(data["target"], s["diff_median"], t, change=True)}
                          for s in c["strata"]],
               "held": t("{k} of {n}", k=t.integer(c["same_direction"]),
                         n=t.integer(c["strata_tested"]))}
              for c in data["confounding"]]
    fields = [{"name": field_name(f["field"], t), "count": t.integer(f["values"]),
               "tested": t.integer(f["tested"]), "pooled": t.integer(f["pooled"]),
               "limited": f["limited"], "missing": t.integer(f["missing"])}
              for f in data["fields"]]
    return {"x": data, "t": t, "what": target_name(data["target"], t),
            "sentences": sentences(data, t),
            "factors": rows[:TABLE_TOP], "more_factors": rows[TABLE_TOP:], "checks": checks,
            "fields": fields, "tree_svg": _tree(data, t),
            "filtered": filter_context(data.get("filter"), t)}


def explain_sections(data: dict[str, Any], t: Texts) -> Markup:
    """The summary, factors, strata, tree, fields and methods as HTML (report and web)."""
    template = environment().get_template("explain_sections.html")
    return Markup(template.render(explain_context(data, t)))


def explain_report(explanation: Explanation, *, lang: Lang = "id") -> str:
    """The report of ``explanation`` as one HTML document."""
    t = Texts(lang)
    data = explanation.to_dict()
    context = {**explain_context(data, t), "sections": explain_sections(data, t),
               "meta": versions()}
    return environment().get_template("explain.html").render(context)



def explain_tables(data: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The factors, the strata checks, the fields and the tree's nodes as flat tables."""
    factors = pd.DataFrame(data["factors"])
    if len(factors):
        ci = factors.pop("ci95")
        factors.insert(6, "ci95_low", [c[0] if c else None for c in ci])
        factors.insert(7, "ci95_high", [c[1] if c else None for c in ci])
    strata = [{"field": c["field"], "value": c["value"], "within": c["within"],
               "stratum": s["value"], "rows_with": s["rows_with"],
               "rows_without": s["rows_without"], "diff_median": s["diff_median"]}
              for c in data["confounding"] for s in c["strata"]]
    return {"factors": factors, "strata": pd.DataFrame(strata),
            "fields": pd.DataFrame(data["fields"]),
            "tree": pd.DataFrame((data["tree"] or {}).get("nodes", []))}
