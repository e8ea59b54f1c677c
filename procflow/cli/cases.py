"""``procflow cases`` and ``procflow case``: the cases behind a number, and one case's timeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from procflow.cli.filtering import FilterCommand, echo_filter, filter_options, open_filtered
from procflow.cli.options import (
    decision_options,
    decision_settings,
    handoff_option,
    import_options,
    json_option,
    open_log,
    workspace_option,
)
from procflow.errors import InputError
from procflow.filters import CaseIds, Filter, filter_log

TIMELINE_SUFFIXES = (".svg", ".png")


@click.command("cases", cls=FilterCommand)
@click.argument("log")
@click.option("--sort", type=click.Choice(["cycle", "events", "handoffs", "layers", "latency"]),
              default="cycle", show_default=True,
              help="Order of the rows, largest first: cycle time, events, handoffs, approval "
                   "layers or total decision latency.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every case to .csv, .xlsx or .json (else the top rows are printed).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Rows printed without --out.")
@handoff_option
@decision_options
@filter_options
@import_options
@workspace_option
@json_option
def cases_command(log: str, sort: str, out: Path | None, top: int, handoff_by: str | None,
                  decisions: str | None, decision_activities: str | None, workspace: Path,
                  as_json: bool, filters: list[Filter], **params: Any) -> None:
    """One row per case of LOG: arrival, completion, cycle time, events, variant rank,
    handoffs, approval layers, ping-pongs, total decision latency and case attributes."""
    from procflow.measure.cases import case_table
    from procflow.measure.prepare import Settings
    from procflow.measure.summary import case_lines
    from procflow.report.cases import case_json, write_case_table

    settings = Settings(handoff_by=handoff_by,  # type: ignore[arg-type]
                        **_decisions(decisions, decision_activities))
    with open_filtered(log, workspace, params, filters) as event_log:
        table = case_table(event_log, settings, sort=sort)  # type: ignore[arg-type]
        name, selection = event_log.name, event_log.selection
    if as_json:
        click.echo(json.dumps(case_json(table, log=name, selection=selection),
                              ensure_ascii=False))
        if out:
            write_case_table(table, out, log=name, selection=selection)
        return
    echo_filter(selection)
    if out:
        path = write_case_table(table, out, log=name, selection=selection)
        click.echo(f"Wrote {len(table.frame):,} cases to {path}")
        return
    by = f"handoffs by {table.handoff_by}" if table.handoff_by else "no handoffs (no performers)"
    click.echo(f"{name}: {len(table.frame):,} cases, largest {sort} first; {by}")
    click.echo("\n".join(case_lines(table.frame, top)))


@click.command("case")
@click.argument("log")
@click.argument("case_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the timeline as a Gantt chart: .svg or .png.")
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", show_default=True,
              help="Language of the chart.")
@decision_options
@import_options
@workspace_option
@json_option
def case_command(log: str, case_id: str, out: Path | None, lang: str, decisions: str | None,
                 decision_activities: str | None, workspace: Path, as_json: bool,
                 **params: Any) -> None:
    """The timeline of case CASE_ID of LOG: each step with its performer, role, level,
    waiting and processing time."""
    from procflow.core.i18n import Texts
    from procflow.measure.prepare import Settings
    from procflow.measure.summary import timeline_lines
    from procflow.measure.timeline import case_timeline, check_case
    from procflow.render.timeline import case_gantt

    if out is not None and out.suffix.lower() not in TIMELINE_SUFFIXES:
        raise InputError(f"cannot tell the drawing format of {out}.",
                         fix="end --out with .svg or .png.")
    settings = Settings(**_decisions(decisions, decision_activities))
    with open_log(log, workspace, params) as event_log:
        check_case(event_log, case_id)
        one = filter_log(event_log, [CaseIds((case_id,))], check=False)
        steps = case_timeline(one, case_id, settings)
        name, zone = event_log.name, event_log.zone
    if out is not None:
        t = Texts(lang)  # type: ignore[arg-type]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(case_gantt(steps, title=t("Case {case} of {log}", case=case_id, log=name),
                                   t=t, zone=zone,
                                   fmt="png" if out.suffix.lower() == ".png" else "svg"))
    if as_json:
        click.echo(json.dumps({"log": name, "case_id": case_id, "steps": steps},
                              default=_iso, ensure_ascii=False))
        return
    click.echo(f"Case {case_id} of {name}: {len(steps)} steps")
    click.echo("\n".join(timeline_lines(steps)))
    if out is not None:
        click.echo(f"Wrote {out}")


def _decisions(decisions: str | None, decision_activities: str | None) -> dict[str, Any]:
    chosen = decision_settings(decisions, decision_activities)
    names = chosen["decision_activities"]
    return {"decisions": chosen["decisions"],
            "decision_activities": tuple(names) if names else None}


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")
