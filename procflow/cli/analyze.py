"""``procflow analyze``: the figures of a log as ``analysis.json``."""

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
from procflow.errors import InputError
from procflow.filters import Filter


@click.command("analyze", cls=FilterCommand)
@click.argument("log")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for analysis.json.")
@decision_options
@handoff_option
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Where the metrics run.")
@click.option("--spark-master", default="local[*]", show_default=True,
              help="Spark master URL (with --engine spark).")
@calendar_options
@filter_options
@import_options
@workspace_option
@json_option
def analyze_command(log: str, out: Path, decisions: str | None,
                    decision_activities: str | None, handoff_by: str | None, engine: str,
                    spark_master: str, calendar: str | None, calendar_zone: str,
                    sla: tuple[str, ...], pause: tuple[str, ...], workspace: Path,
                    as_json: bool, filters: list[Filter], **params: Any) -> None:
    """Measure LOG (a workspace log name, or a file read on the fly) into OUT/analysis.json."""
    from procflow.measure.analysis import analyze, is_parquet_source
    from procflow.measure.summary import summary_lines

    kwargs: dict[str, Any] = dict(**decision_settings(decisions, decision_activities),
                                  **calendar_settings(calendar, calendar_zone, sla, pause),
                                  handoff_by=handoff_by, engine=engine,
                                  spark_master=spark_master)
    if engine == "spark" and is_parquet_source(log):
        if filters:
            raise InputError("filters apply to a log read into procflow, not to Parquet files "
                             "read by Spark.",
                             fix="import the log (procflow import) and analyze it by name.")
        result = analyze(log, **kwargs)
    else:
        with open_filtered(log, workspace, params, filters) as event_log:
            result = analyze(event_log, **kwargs)
    path = result.write(out)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    echo_filter(result.to_dict().get("filter"))
    click.echo("\n".join([*summary_lines(result.to_dict()), f"Wrote {path}"]))
