"""``procflow explain``: the fields and values behind a target's delays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from procflow.cli.filtering import FilterCommand, echo_filter, filter_options, open_filtered
from procflow.cli.options import (
    calendar_options,
    calendar_settings,
    decision_options,
    decision_settings,
    handoff_option,
    import_options,
    json_option,
    workspace_option,
)
from procflow.cli.reports import lang_option, xlsx_option
from procflow.filters import Filter


@click.command("explain", cls=FilterCommand)
@click.argument("log")
@click.option("--target", required=True, metavar="TARGET",
              help="What to explain: cycle_time, decision:ACTIVITY (its decision latency), "
                   "wait:ACTIVITY (waiting before it), handoffs, layers or sla (breach of the "
                   "first --sla; needs --calendar).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for explain.json and report.html.")
@click.option("--min-cases", type=click.IntRange(min=1), default=30, show_default=True,
              help="Values with fewer cases are pooled as other values.")
@click.option("--max-values", type=click.IntRange(min=1), default=20, show_default=True,
              help="At most this many values of a field are tested (the most frequent).")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True,
              help="Significance level of the Benjamini–Hochberg adjusted p-values.")
@click.option("--resamples", type=click.IntRange(min=100), default=1000, show_default=True,
              help="Bootstrap resamples of cases for each confidence interval.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the bootstrap and of the tree's sample.")
@lang_option
@xlsx_option
@decision_options
@handoff_option
@calendar_options
@filter_options
@import_options
@workspace_option
@json_option
def explain_command(log: str, target: str, out: Path, min_cases: int, max_values: int,
                    alpha: float, resamples: int, seed: int, lang: str, xlsx: bool,
                    decisions: str | None, decision_activities: str | None,
                    handoff_by: str | None, calendar: str | None, calendar_zone: str,
                    sla: tuple[str, ...], pause: tuple[str, ...], workspace: Path,
                    as_json: bool, filters: list[Filter], **params: Any) -> None:
    """Why is TARGET slow in LOG? Compare every value of every field with the rest and
    write OUT/explain.json and OUT/report.html."""
    from procflow.explain import explain
    from procflow.report.explain import explain_report, explain_tables
    from procflow.report.html import write_report

    with open_filtered(log, workspace, params, filters) as event_log:
        result = explain(event_log, target, handoff_by=handoff_by,  # type: ignore[arg-type]
                         **decision_settings(decisions, decision_activities),
                         **calendar_settings(calendar, calendar_zone, sla, pause),
                         min_cases=min_cases, max_values=max_values, alpha=alpha,
                         resamples=resamples, seed=seed, lang=lang)  # type: ignore[arg-type]
    written = [write_report(out, explain_report(result, lang=lang),  # type: ignore[arg-type]
                            result), out / "explain.json"]
    if xlsx:
        from procflow.report.xlsx import write_workbook

        written.append(write_workbook(explain_tables(result.to_dict()), out / "tables.xlsx"))
    data = result.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    echo_filter(data.get("filter"))
    click.echo("\n".join([*data["sentences"], *(f"Wrote {p}" for p in written)]))
