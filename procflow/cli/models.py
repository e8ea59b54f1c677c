"""``procflow map``, ``handoff-map``, ``discover`` and ``conform``: draw and check processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from procflow.cli.filtering import FilterCommand, echo_filter, filter_options, open_filtered
from procflow.cli.options import (
    decision_options,
    decision_settings,
    import_options,
    json_option,
    progress_bar,
    workspace_option,
)
from procflow.errors import InputError
from procflow.filters import Filter

if TYPE_CHECKING:
    from procflow.core.i18n import Texts
    from procflow.mine.model import Search

GRAPH_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")
MODEL_SUFFIXES = (".bpmn", ".pnml", *GRAPH_SUFFIXES)


def _graph_out(value: Path) -> Path:
    if value.suffix.lower() not in GRAPH_SUFFIXES:
        raise InputError(f"cannot tell the drawing format of {value}.",
                         fix="end --out with .svg, .png, .pdf or .dot.")
    return value


def lanes_of(analysis: dict[str, Any], by: str) -> dict[str, str]:
    """Activity → its most frequent role, unit or level (``analysis.json`` ``lanes``)."""
    out = {}
    for entry in analysis["activities"]:
        lane = (entry.get("lanes") or {}).get(by)
        if lane is not None:
            out[entry["activity"]] = f"level {lane}" if by == "level" else str(lane)
    return out


@click.command("map", cls=FilterCommand)
@click.argument("log")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Drawing to write: .svg, .png, .pdf or .dot.")
@click.option("--profile", type=click.Choice(["frequency", "performance"]),
              default="frequency", show_default=True,
              help="Counts, or the time before each step and on each path.")
@click.option("--measure", type=click.Choice(["median", "mean", "p90"]), default="median",
              show_default=True, help="Statistic of the performance profile.")
@click.option("--timing", type=click.Choice(["elapsed", "wait"]), default="elapsed",
              show_default=True, help="Path times: elapsed, or waiting (needs start times).")
@click.option("--activities", type=click.FloatRange(0, 100, min_open=True), metavar="PCT",
              help="Keep the most frequent PCT% of activities (default: at most 25).")
@click.option("--edges", type=click.FloatRange(0, 100, min_open=True), metavar="PCT",
              help="Keep the most frequent PCT% of paths (default: at most 60).")
@click.option("--by", type=click.Choice(["role", "unit", "level"]),
              help="Swimlanes: group steps by who mostly does them.")
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", show_default=True,
              help="Language of the labels and caption.")
@decision_options
@filter_options
@import_options
@workspace_option
def map_command(log: str, out: Path, profile: str, measure: str, timing: str,
                activities: float | None, edges: float | None, by: str | None, lang: str,
                decisions: str | None, decision_activities: str | None, workspace: Path,
                filters: list[Filter], **params: Any) -> None:
    """Draw the process map of LOG (directly-follows, with bottlenecks highlighted).

    A map Graphviz cannot lay out within seconds is drawn with a quicker layout, or refused
    (exit code 2) with the largest --activities and --edges that fit."""
    from procflow.core.i18n import Texts
    from procflow.measure.analysis import analyze
    from procflow.render.map_budget import write
    from procflow.render.process_map import MapOptions

    _graph_out(out)
    with open_filtered(log, workspace, params, filters) as event_log:
        analysis = analyze(event_log, **decision_settings(decisions, decision_activities))
    data = analysis.to_dict()
    options = MapOptions(profile=profile, measure=measure, timing=timing,  # type: ignore[arg-type]
                         activities=activities, edges=edges,
                         lanes=lanes_of(data, by) if by else None, lane_title=by,
                         texts=Texts(lang))  # type: ignore[arg-type]
    echo_filter(data.get("filter"))
    click.echo(f"Wrote {write(data, options, out)}")


@click.command("handoff-map", cls=FilterCommand)
@click.argument("log")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Drawing to write (.svg, .png, .pdf or .dot); figures go beside it as .json.")
@click.option("--by", type=click.Choice(["resource", "role", "unit"]),
              help="Who hands over to whom (default: resource, else role, else unit).")
@click.option("--top", type=click.IntRange(min=2), default=40, show_default=True,
              help="Draw the busiest TOP nodes.")
@filter_options
@import_options
@workspace_option
@json_option
def handoff_map_command(log: str, out: Path, by: str | None, top: int, workspace: Path,
                        as_json: bool, filters: list[Filter], **params: Any) -> None:
    """Draw who hands work to whom in LOG, with median delays and centrality figures."""
    from procflow.measure.analysis import analyze
    from procflow.render.files import write_graph
    from procflow.render.handoff_map import handoff_graph, handoff_map, handoff_summary

    _graph_out(out)
    with open_filtered(log, workspace, params, filters) as event_log:
        data = analyze(event_log, handoff_by=by).to_dict()  # type: ignore[arg-type]
    if data["handoffs"]["granularity"] is None:
        raise InputError("the log has no resource, role or unit, so there are no handoffs.",
                         fix="import it with --resource, --role or --unit columns.")
    drawing = write_graph(handoff_map(handoff_graph(data), top=top), out)
    summary = handoff_summary(data)
    if data.get("filter"):
        summary["filter"] = data["filter"]
    figures = out.with_suffix(".json")
    figures.write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    echo_filter(data.get("filter"))
    click.echo(f"Wrote {drawing} and {figures}")


@click.command("discover", cls=FilterCommand)
@click.argument("log")
@click.argument("more_outs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path),
                metavar="[MORE_OUT]...")
@click.option("--out", "outs", required=True, multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Model file(s): .bpmn (with diagram layout), .pnml, .svg, .png, .pdf or .dot. "
              "Repeat it, or write --out models/NAME.{bpmn,pnml,svg}.")
@click.option("--algorithm", type=click.Choice(["inductive", "heuristics"]),
              default="inductive", show_default=True, help="pm4py discovery algorithm.")
@click.option("--noise", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Inductive miner noise threshold (0 = every behaviour kept).")
@click.option("--full-search", is_flag=True,
              help="Above the activity limit, also run pm4py's fall-through search (slow) "
              "within --time-limit; on time-out the fast model is kept.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=300.0,
              show_default=True, metavar="SECONDS",
              help="Seconds allowed for --full-search (starting it takes a few).")
@click.option("--fall-through-limit", type=click.IntRange(min=1), default=60,
              show_default=True, metavar="N",
              help="Above N distinct activities the inductive miner skips the fall-through "
              "search unless --full-search is given.")
@filter_options
@import_options
@workspace_option
@json_option
def discover_command(log: str, more_outs: tuple[Path, ...], outs: tuple[Path, ...],
                     algorithm: str, noise: float, full_search: bool, time_limit: float,
                     fall_through_limit: int, workspace: Path, as_json: bool,
                     filters: list[Filter],
                     **params: Any) -> None:
    """Discover a process model of LOG with pm4py and export it."""
    from procflow import mine
    from procflow.core.i18n import Texts
    from procflow.measure.prepare import prepared
    from procflow.measure.variants import case_variants

    paths = [*outs, *more_outs]
    for path in paths:
        if path.suffix.lower() not in MODEL_SUFFIXES:
            raise InputError(f"cannot tell the model format of {path}.",
                             fix="end --out with .bpmn, .pnml, .svg, .png, .pdf or .dot.")
    with open_filtered(log, workspace, params, filters) as event_log, \
            prepared(event_log) as prep:
        variants = case_variants(prep).counts
        name, selection = event_log.name, event_log.selection
    model = mine.discover(variants, algorithm=algorithm,  # type: ignore[arg-type]
                          noise=noise, name=name, fall_through_limit=fall_through_limit,
                          full_search=full_search and algorithm == "inductive",
                          time_limit=time_limit)
    written = [mine.write_model(model, path) for path in paths]
    if as_json:
        click.echo(json.dumps({"model": model.name, "algorithm": algorithm, "noise": noise,
                               "files": [str(p) for p in written],
                               "search": model.search.to_dict() if model.search else None,
                               "filter": selection}, ensure_ascii=False))
        return
    echo_filter(selection)
    lines = search_lines(model.search, Texts("en")) if model.search else []
    click.echo("\n".join([*lines, *(f"Wrote {path}" for path in written)]))


def search_lines(search: Search, t: Texts) -> list[str]:
    """What the inductive miner's search left out, or how the full search ended."""
    if search.full_search and search.timed_out:
        limit = search.time_limit or 0.0
        return [t("The full search did not finish within {seconds} s; the fast model "
                  "(without pm4py's fall-through search) is kept.",
                  seconds=t.number(limit, 0 if limit >= 1 else 3))]
    if search.full_search:
        return [t("The full search with pm4py's fall-throughs finished in {seconds} s.",
                  seconds=t.number(search.seconds, 1))]
    if not search.fall_throughs:
        return [t("The log has {n} activities (more than {limit}): the inductive miner skipped "
                  "pm4py's fall-through search, so the model may be looser than pm4py's own. "
                  "Run it with --full-search --time-limit SECONDS.",
                  n=t.integer(search.activities), limit=t.integer(search.limit))]
    return []


@click.command("conform", cls=FilterCommand)
@click.argument("log")
@click.option("--model", "reference", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="To-be model: BPMN 2.0, PNML, or an SOP table (CSV).")
@click.option("--alignments", is_flag=True,
              help="Fitness by alignments (slower, exact) instead of token replay.")
@click.option("--time-limit", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds allowed for the replay (token or alignments); variants left "
                   "are reported as unchecked.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for conformance.json.")
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", show_default=True,
              help="Language of the summary.")
@decision_options
@filter_options
@import_options
@workspace_option
@json_option
def conform_command(log: str, reference: Path, alignments: bool, time_limit: float,
                    out: Path | None, lang: str, decisions: str | None,
                    decision_activities: str | None, workspace: Path, as_json: bool,
                    filters: list[Filter],
                    **params: Any) -> None:
    """Check LOG against a to-be model: fitness, deviations by kind, shadow approval layers."""
    from procflow.conform.conformance import PROGRESS_STEPS, conform
    from procflow.conform.summary import summary_lines
    from procflow.core.i18n import Texts

    quiet = as_json or not alignments
    with open_filtered(log, workspace, params, filters) as event_log, \
            progress_bar("Aligning variants", PROGRESS_STEPS, quiet=quiet) as bar:
        result = conform(event_log, reference, method="alignments" if alignments else "token",
                         time_limit=time_limit, progress=bar,
                         **decision_settings(decisions, decision_activities))
    path = result.write(out) if out else None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    echo_filter(result.to_dict().get("filter"))
    click.echo("\n".join(summary_lines(result.to_dict(), Texts(lang))))  # type: ignore[arg-type]
    if path:
        click.echo(f"Wrote {path}")
