"""``procflow import``, ``logs``, ``info``, ``export``, ``remove`` and ``simulate``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from procflow.cli.filtering import FilterCommand, echo_filter, filter_options
from procflow.cli.options import (
    import_options,
    json_option,
    options_from,
    progress_bar,
    workspace_option,
)
from procflow.core.i18n import Texts
from procflow.errors import InputError
from procflow.filters import Filter, to_json
from procflow.ingest.sniff import content_size
from procflow.store.pseudonyms import KEY_WORDS
from procflow.store.workspace import ImportResult, Workspace


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=True, path_type=Path))
@click.option("--name", help="Log name in the workspace (default: the file name's stem).")
@import_options
@click.option("--pseudonymize", is_flag=True, help="Replace resource names by keyed codes; "
              "the raw file is then not kept. The key is kept in the workspace, or in the file "
              "$PROCFLOW_PSEUDONYM_KEY_FILE (made if missing).")
@click.option("--pseudonymize-columns", metavar="COL,COL",
              help="Also replace the names in these columns (as in the file's header) by the "
                   "same codes; implies --pseudonymize.")
@click.option("--replace", is_flag=True, help="Overwrite a log of the same name.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rejected rows (row, reason, column, value) to this CSV.")
@workspace_option
@json_option
def import_command(file: Path, name: str | None, pseudonymize: bool,
                   pseudonymize_columns: str | None, replace: bool, rejects: Path | None,
                   workspace: Path, as_json: bool, **params: Any) -> None:
    """Import FILE (CSV, XLSX, XES, XES.GZ or Parquet) into the workspace."""
    size = content_size(file) if file.is_file() else 0
    named = tuple(c.strip() for c in (pseudonymize_columns or "").split(",") if c.strip())
    options = dataclasses.replace(options_from(params), pseudonymize=pseudonymize,
                                  pseudonymize_columns=named)
    with Workspace(workspace) as ws, progress_bar(f"Reading {file.name}", size,
                                               quiet=as_json) as progress:
        result = ws.import_file(file, name=name, options=options, replace=replace,
                                progress=progress)
    if rejects and result.report:
        from procflow.store.export import write_csv

        write_csv(result.report.rejects, rejects)
    if as_json:
        click.echo(json.dumps(result.to_dict(), default=str, ensure_ascii=False))
    else:
        click.echo(_import_text(result, workspace, rejects))


def _import_text(result: ImportResult, workspace: Path, rejects: Path | None) -> str:
    if result.unchanged:
        return (f"{result.name}: the same file is already imported in {workspace}; "
                f"nothing changed ({result.cases:,} cases, {result.events:,} events).")
    report = result.report
    assert report is not None
    lines = [f"Imported {report.source} as {result.name!r} into {workspace} "
             f"({report.format}{_details(report.details)})", "Columns used:"]
    lines += [f"  {k:<16} ← {v}" for k, v in report.mapping.items() if v]
    lines += [f"  time format of {c}: {d}" for c, d in report.time_formats.items()]
    lines.append(f"Rows: {report.rows:,} read, {report.accepted:,} accepted, "
                 f"{report.rows - report.accepted:,} rejected")
    lines += [f"  rejected – {reason}: {n:,}" for reason, n in report.rejected.items()]
    if report.rejected and not rejects:
        lines.append("  (list them with --rejects rejected.csv)")
    lines.append(f"Log: {result.cases:,} cases, {result.events:,} events, "
                 f"{result.activities:,} activities")
    life = report.details.get("lifecycle", {})
    if life.get("mode") == "standard":
        lines.append(f"Lifecycle: {life['instances']:,} activity instances, {life['paired']:,} "
                     f"start/complete pairs, {life['unpaired_starts']:,} unpaired starts, "
                     f"other transitions {life['other_transitions'] or 'none'}")
    lines += [f"Note: {n}" for n in report.notes]
    return "\n".join(lines)


def _details(details: dict[str, Any]) -> str:
    shown = {k: v for k, v in details.items() if k in ("encoding", "delimiter", "sheet")}
    return "".join(f", {k} {v!r}" for k, v in shown.items())


@click.command("logs")
@workspace_option
@json_option
def logs_command(workspace: Path, as_json: bool) -> None:
    """List the logs in the workspace."""
    with Workspace(workspace) as ws:
        rows = ws.logs()
    if as_json:
        click.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No logs in {workspace} yet; add one with `procflow import FILE`.")
    for r in rows:
        click.echo(f"{r['name']:<24} {r['cases']:>9,} cases {r['events']:>11,} events "
                   f"{r['activities']:>5,} activities  from {r['source_name']}")


@click.command("info")
@click.argument("name")
@workspace_option
@json_option
def info_command(name: str, workspace: Path, as_json: bool) -> None:
    """Show counts, time span, columns and the import report of log NAME."""
    with Workspace(workspace) as ws:
        info = ws.info(name)
    if as_json:
        click.echo(json.dumps(info, default=str, ensure_ascii=False))
        return
    click.echo(f"{info['name']}: {info['cases']:,} cases, {info['events']:,} events, "
               f"{info['activities']:,} activities, {info['resources']:,} resources")
    click.echo(f"  from {info['source_name']} ({info['format']}), imported "
               f"{info['imported_at']}, sha256 {info['sha256'][:16]}…")
    click.echo(f"  time span {info['start']} → {info['end']} (UTC); start times: "
               f"{'yes' if info['has_start_times'] else 'no'}")
    click.echo(f"  columns: {', '.join(info['columns'])}")
    hidden = info.get("pseudonymized")
    if hidden:
        click.echo(f"  pseudonymised: {', '.join(hidden['columns'])} (keyed codes; "
                   f"{KEY_WORDS[hidden['key']]}; key id {hidden.get('key_id') or 'unknown'})")
    rejected = info["report"].get("rejected") or {}
    click.echo(f"  rejected rows: {sum(rejected.values()):,} {rejected or ''}".rstrip())


@click.command("export", cls=FilterCommand)
@click.argument("name")
@click.option("--to", "to", type=click.Path(path_type=Path),
              help="Output file: .csv, .parquet or .xes (a new folder with --partition-by).")
@click.option("--partition-by", type=click.Choice(["month"]),
              help="Write a folder of Parquet files, one subfolder per month (month=YYYY-MM, "
                   "UTC), for Spark or DuckDB.")
@click.option("--save-as", metavar="NEWNAME",
              help="Also store the (filtered) events as a new log of the workspace.")
@click.option("--tz", help="Zone of the dates in --period (default: the log's import zone).")
@filter_options
@workspace_option
def export_command(name: str, to: Path | None, partition_by: str | None, save_as: str | None,
                   tz: str | None, workspace: Path, filters: list[Filter]) -> None:
    """Write log NAME's canonical events (timestamps in UTC) to a file, or store them as a
    new log; filter options export a slice."""
    from procflow.filters import filter_log
    from procflow.filters.words import describe_block, kept_text
    from procflow.store.export import export_log, export_partitioned

    if partition_by and to is None:
        raise InputError("--partition-by needs --to FOLDER.",
                         fix="e.g. procflow export NAME --to events/ --partition-by month.")
    if to is None and save_as is None:
        raise InputError("nothing to do: give --to FILE, --save-as NEWNAME or both.",
                         fix="e.g. procflow export NAME --top-variants 5 --to top5.csv.")
    with Workspace(workspace) as ws:
        log = ws.log(name)
        if filters:
            log = filter_log(log, filters)
        echo_filter(log.selection)
        if to is not None and partition_by:
            click.echo(f"Wrote {export_partitioned(log, to)} (one folder per month)")
        elif to is not None:
            click.echo(f"Wrote {export_log(log, to)}")
        if save_as is not None:
            notes = [f"events of log {name!r}"]
            if log.selection:
                t = Texts("en")
                notes[0] += f" filtered to {kept_text(log.selection, t)}: " + "; ".join(
                    describe_block(log.selection, t)) + f" (filters: {to_json(filters)})"
            result = ws.store_log(log, name=save_as, notes=notes)
            click.echo(f"Stored {save_as!r} in {workspace} ({result.cases:,} cases, "
                       f"{result.events:,} events)")


@click.command("remove")
@click.argument("name")
@workspace_option
def remove_command(name: str, workspace: Path) -> None:
    """Delete log NAME from the workspace."""
    with Workspace(workspace) as ws:
        ws.remove(name)
    click.echo(f"Removed {name!r} from {workspace}")


@click.command("simulate")
@click.option("--scenario", type=click.Choice(["permit-delayering"]), default="permit-delayering",
              show_default=True, help="Which service to simulate.")
@click.option("--cases", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Cases before and after (each).")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--shadow-share", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="Share of after-cases where a former division head still initials.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for before.csv, after.csv, orgchart.csv and truth.json.")
def simulate_command(scenario: str, cases: int, seed: int, shadow_share: float,
                     out: Path) -> None:
    """Write a realistic before/after log pair with known truth."""
    from procflow.simulate.permits import simulate

    with progress_bar("Simulating", 2 * cases) as progress:
        result = simulate(out, scenario=scenario, cases=cases, seed=seed,  # type: ignore[arg-type]
                          shadow_share=shadow_share, progress=progress)
    for path in (result.before, result.after, result.orgchart, result.truth):
        click.echo(f"Wrote {path}")
