"""``procflow compare``: before/after statistics in the analyst's language."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from procflow.cli.filtering import (
    FilterCommand,
    echo_filter,
    filter_options,
    json_filters,
    open_filtered,
)
from procflow.cli.options import (
    calendar_options,
    calendar_settings,
    decision_options,
    decision_settings,
    handoff_option,
    import_options,
    json_option,
    open_log,
    progress_bar,
    workspace_option,
)
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import Filter, Split, filter_log
from procflow.filters.checks import check

xlsx_option = click.option("--xlsx", is_flag=True,
                           help="Also write the tables to OUT/tables.xlsx for Excel.")
lang_option = click.option("--lang", type=click.Choice(["id", "en"]), default="id",
                           show_default=True, help="Language of the texts: Bahasa Indonesia "
                           "or English.")


def split_time(text: str, tz: str | None) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight) or an ISO time, in ``tz`` when it has no zone (else UTC)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise InputError(f"--split {text!r} is not a date.",
                         fix="write it as YYYY-MM-DD, e.g. --split 2024-01-01.") from err
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz or "UTC"))


@click.command("compare", cls=FilterCommand)
@click.argument("logs", nargs=-1, required=True)
@click.option("--split", "split_at", metavar="YYYY-MM-DD",
              help="Compare one LOG's cases arriving before this date with those from it on "
              "(local midnight in --tz, else UTC).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report.html and comparison.json.")
@click.option("--completed-only", is_flag=True,
              help="Leave out cases that did not reach a common end step (still open).")
@handoff_option
@click.option("--resamples", type=click.IntRange(min=2000), default=2000, show_default=True,
              help="Bootstrap resamples for the confidence intervals.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of the bootstrap (recorded in the output).")
@lang_option
@xlsx_option
@calendar_options
@decision_options
@click.option("--before-filter", metavar="JSON|@FILE",
              help="Filters for the before side only (a JSON list, as --filter), applied "
                   "after the filter options, which apply to both sides.")
@click.option("--after-filter", metavar="JSON|@FILE",
              help="Filters for the after side only, likewise.")
@filter_options
@import_options
@workspace_option
@json_option
def compare_command(logs: tuple[str, ...], split_at: str | None, out: Path | None,
                    completed_only: bool, handoff_by: str | None, resamples: int, seed: int,
                    lang: str, xlsx: bool, calendar: str | None, calendar_zone: str,
                    sla: tuple[str, ...], pause: tuple[str, ...], decisions: str | None,
                    decision_activities: str | None, before_filter: str | None,
                    after_filter: str | None, workspace: Path, as_json: bool,
                    filters: list[Filter], **params: Any) -> None:
    """Compare BEFORE AFTER (two logs), or one LOG split at a date (--split).

    The filter options apply to each side; --before-filter and --after-filter add filters to
    one side. With --split the log is filtered, then split by arrival."""
    from procflow.compare.comparison import PROGRESS_STEPS, compare
    from procflow.compare.narrative import summary
    from procflow.core.i18n import Texts

    if sla or pause:
        raise InputError("--sla and --pause apply to analyze and report, not compare.",
                         fix="compare with --calendar only; check standards with analyze.")
    if len(logs) != (1 if split_at else 2):
        raise InputError("give two logs (BEFORE AFTER), or one log with --split YYYY-MM-DD.")
    own = [json_filters(text, option) if text else [] for text, option in
           ((before_filter, "--before-filter"), (after_filter, "--after-filter"))]
    with ExitStack() as stack:
        opened = [stack.enter_context(open_log(log, workspace, params)) for log in logs]
        before, after = _sides(opened, filters, own, split_time(split_at, params["tz"])
                               if split_at else None)
        with progress_bar("Comparing", PROGRESS_STEPS, quiet=as_json) as bar:
            result = compare(before, after, handoff_by=handoff_by,  # type: ignore[arg-type]
                             completed=completed_only, resamples=resamples, seed=seed,
                             progress=bar, calendar=calendar,
                             calendar_zone=calendar_zone if calendar else None,
                             **decision_settings(decisions, decision_activities))
    written = _write_comparison(result, out, lang, xlsx) if out else []
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    data = result.to_dict()
    for side, block in (data.get("filter") or {}).items():
        if block:
            click.echo(f"{side.capitalize()}:")
            echo_filter(block)
    lines = summary(data, Texts(lang))  # type: ignore[arg-type]
    click.echo("\n".join(text for _, text in lines))
    if any(w["kind"] == "open_cases" for w in data["warnings"]):
        click.echo("  (--completed-only compares the completed cases only)")
    for path in written:
        click.echo(f"Wrote {path}")


def _sides(opened: list[EventLog], shared: list[Filter], own: list[list[Filter]],
           at: dt.datetime | None) -> tuple[EventLog, EventLog]:
    """The before and after logs: each filtered by ``shared`` and then its ``own`` filters;
    with a split instant ``at``, both are cut from the one log by arrival (METRICS §9)."""
    logs = [opened[0], opened[0]] if at else opened
    check(shared, opened)
    for side, log in zip(own, logs, strict=True):
        check(side, [log])
    sides = []
    for log, side, part in zip(logs, own, ("before", "after"), strict=True):
        split = [Split(at.isoformat(), part)] if at else []  # type: ignore[arg-type]
        items = [*shared, *split, *side]
        name = f"{log.name} {'before' if part == 'before' else 'from'} {at:%Y-%m-%d}" \
            if at else log.name
        try:
            sides.append(filter_log(log, items, check=False, name=name) if items else log)
        except InputError as err:
            raise _empty_side(log, shared, at, part) or err from None
    return sides[0], sides[1]


def _empty_side(log: EventLog, shared: list[Filter], at: dt.datetime | None,
                part: str) -> InputError | None:
    """Why the ``part`` side of a split is empty (the dates that would split the log), when
    it is the split that empties it."""
    from procflow.compare.comparison import split_error

    if at is None:
        return None
    base = filter_log(log, shared, check=False) if shared else log
    try:
        filter_log(base, [Split(at.isoformat(), part)], check=False)  # type: ignore[arg-type]
    except InputError:
        return split_error(base, at, [part])
    return None


def _write_comparison(result: Any, out: Path, lang: str, xlsx: bool) -> list[Path]:
    from procflow.core.i18n import Texts
    from procflow.report.comparison import comparison_report
    from procflow.report.html import write_report
    from procflow.report.workbook import comparison_book
    from procflow.report.xlsx import write_workbook

    html = comparison_report(result, lang=lang)  # type: ignore[arg-type]
    written = [write_report(out, html, result), out / "comparison.json"]
    if xlsx:
        sheets = comparison_book(result.to_dict(), Texts(lang))  # type: ignore[arg-type]
        written.append(write_workbook(sheets, out / "tables.xlsx"))
    return written


@click.command("report", cls=FilterCommand)
@click.argument("log")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report.html and analysis.json.")
@handoff_option
@lang_option
@xlsx_option
@calendar_options
@decision_options
@filter_options
@import_options
@workspace_option
def report_command(log: str, out: Path, handoff_by: str | None, lang: str, xlsx: bool,
                   calendar: str | None, calendar_zone: str, sla: tuple[str, ...],
                   pause: tuple[str, ...], decisions: str | None,
                   decision_activities: str | None, workspace: Path, filters: list[Filter],
                   **params: Any) -> None:
    """Write an offline HTML report of LOG (maps, charts, tables, methods) to OUT."""
    from procflow.core.i18n import Texts
    from procflow.measure.analysis import analyze
    from procflow.measure.summary import decision_warning_lines
    from procflow.report.html import analysis_report, write_report
    from procflow.store.workspace import Workspace

    with ExitStack() as stack:
        if Path(log).exists():
            event_log = stack.enter_context(open_filtered(log, workspace, params, filters))
            imported = event_log.report.to_dict() if event_log.report else None
        else:
            ws = stack.enter_context(Workspace(workspace))
            event_log, imported = ws.log(log), ws.info(log)["report"]
            if filters:
                event_log = filter_log(event_log, filters)
        result = analyze(event_log, handoff_by=handoff_by,  # type: ignore[arg-type]
                         **decision_settings(decisions, decision_activities),
                         **calendar_settings(calendar, calendar_zone, sla, pause))
        html = analysis_report(event_log, result, lang=lang,  # type: ignore[arg-type]
                               import_report=imported)
        sheets = _analysis_sheets(event_log, result, lang, imported) if xlsx else []
    echo_filter(result.to_dict().get("filter"))
    written = f"Wrote {write_report(out, html, result)} and {out / 'analysis.json'}"
    click.echo("\n".join([*decision_warning_lines(result.to_dict(), Texts("en")), written]))
    if xlsx:
        from procflow.report.xlsx import write_workbook

        click.echo(f"Wrote {write_workbook(sheets, out / 'tables.xlsx')}")


def _analysis_sheets(log: Any, result: Any, lang: str, imported: dict[str, Any] | None
                     ) -> list[Any]:
    """The workbook of an analysis: headline, tables and one row per case of ``log``."""
    from procflow.core.i18n import Texts
    from procflow.measure.cases import case_table
    from procflow.report.workbook import analysis_book

    source = (imported or {}).get("source")
    return analysis_book(result, Texts(lang), cases=case_table(log, result.settings),  # type: ignore[arg-type]
                         source=Path(source).name if source else log.name)
