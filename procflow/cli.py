"""The ``procflow`` command: parse options, call one core function, print the result."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from procflow.errors import InputError, ProcflowError
from procflow.eventlog import EventLog
from procflow.importer import ImportOptions
from procflow.ingest.sniff import FORMATS
from procflow.store import DEFAULT_PATH, ImportResult, Workspace

COLUMN_FIELDS = ("case", "activity", "timestamp", "start", "resource", "role", "unit", "level",
                 "lifecycle")
FIELD_OF_OPTION = {"case": "case_id", "start": "start_timestamp"}


class Main(click.Group):
    """Turns procflow errors into one line on stderr and exit code 2 (bad input) or 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProcflowError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(2 if isinstance(err, InputError) else 1)


workspace_option = click.option(
    "--workspace", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_PATH,
    envvar="PROCFLOW_WORKSPACE", show_default=True, help="Workspace file (DuckDB).")
handoff_option = click.option(
    "--handoff-by", type=click.Choice(["resource", "role", "unit"]),
    help="Who hands over to whom (default: resource, else role, else unit).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="procflow")
def main() -> None:
    """procflow: where decisions wait and how many hands a case passes."""


IMPORT_OPTIONS = ("fmt", "order", "tz", "orgchart", "sheet", "delimiter", "encoding",
                  *(f"col_{c}" for c in COLUMN_FIELDS))


def import_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options that say how a file becomes events (shared by import and analyze)."""
    options = [
        click.option("--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto",
                     show_default=True, help="File format; auto detects it from the content."),
        *(click.option(f"--{name}", f"col_{name}", metavar="COL",
                       help=f"Source column for {FIELD_OF_OPTION.get(name, name)}.")
          for name in COLUMN_FIELDS),
        click.option("--tz", help="Zone of times without one, e.g. Asia/Jakarta (WIB), "
                     "Asia/Makassar (WITA), Asia/Jayapura (WIT). Default: $PROCFLOW_TZ."),
        click.option("--dayfirst", "order", flag_value="dayfirst",
                     help="Read 03/04/2024 as 3 April."),
        click.option("--monthfirst", "order", flag_value="monthfirst",
                     help="Read 03/04/2024 as 4 March."),
        click.option("--orgchart", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="CSV mapping resource or role to level and unit (validity dates)."),
        click.option("--sheet", help="Excel sheet name (default: the first sheet)."),
        click.option("--delimiter", help="CSV delimiter (default: detected)."),
        click.option("--encoding", help="CSV encoding (default: UTF-8, else Windows-1252)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def options_from(params: dict[str, Any]) -> ImportOptions:
    """Build ImportOptions from the parsed :func:`import_options` values."""
    columns = {FIELD_OF_OPTION.get(k[4:], k[4:]): v for k, v in params.items()
               if k.startswith("col_") and v}
    return ImportOptions(format=params["fmt"], columns=columns, tz=params["tz"],
                         order=params["order"] or "auto", orgchart=params["orgchart"],
                         sheet=params["sheet"], delimiter=params["delimiter"],
                         encoding=params["encoding"])


@contextmanager
def open_log(log: str, workspace: Path, params: dict[str, Any]) -> Iterator[EventLog]:
    """LOG as an event log: a file read on the fly with the import options, else a workspace
    log's name."""
    if Path(log).exists():
        from procflow.api import read_with

        yield read_with(Path(log), options_from(params))
        return
    with Workspace(workspace) as ws:
        yield ws.log(log)


def decision_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --decisions and --decision-activities (which activities are decisions)."""
    func = click.option("--decision-activities", metavar="A,B", help="Comma-separated "
                        "decision activities (instead of --decisions).")(func)
    return click.option("--decisions", metavar="REGEX", help="Regular expression finding "
                        "decision activities (default: an English and Indonesian pattern; see "
                        "the README).")(func)


def decision_settings(decisions: str | None, decision_activities: str | None
                      ) -> dict[str, Any]:
    """The analyze() keywords of the :func:`decision_options` values."""
    if decisions and decision_activities:
        raise InputError("give --decisions or --decision-activities, not both.")
    names = [a.strip() for a in decision_activities.split(",")] if decision_activities else None
    return {"decisions": decisions, "decision_activities": names}


def calendar_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --calendar, --calendar-zone, --sla and --pause (working time, METRICS §10)."""
    options = [
        click.option("--calendar", metavar="id|id-sat|FILE",
                     help="Also measure every duration in working time: 'id' (Monday-Friday), "
                          "'id-sat' (Monday-Saturday) or an override CSV (see "
                          "docs/calendar.md)."),
        click.option("--calendar-zone", default="Asia/Jakarta", show_default=True,
                     metavar="ZONE", help="Zone of the calendar's working hours (WIB, WITA, "
                     "WIT or an IANA name)."),
        click.option("--sla", multiple=True, metavar='"TARGET=N working days"',
                     help="Service standard to check (needs --calendar; repeatable): "
                          "'case=20 working days' or 'ACTIVITY=3 working days'."),
        click.option("--pause", multiple=True, metavar="ACTIVITY",
                     help="Stop the working clock for the time into ACTIVITY (e.g. the "
                          "applicant fixing their file) in the case's working cycle time and "
                          "SLA (repeatable)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def calendar_settings(calendar: str | None, calendar_zone: str, sla: tuple[str, ...],
                      pause: tuple[str, ...]) -> dict[str, Any]:
    """The analyze() keywords of the :func:`calendar_options` values."""
    return {"calendar": calendar, "calendar_zone": calendar_zone if calendar else None,
            "sla": list(sla) or None, "pause": list(pause) or None}


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=True, path_type=Path))
@click.option("--name", help="Log name in the workspace (default: the file name's stem).")
@import_options
@click.option("--pseudonymize", is_flag=True, help="Replace resource names by keyed codes; "
              "the raw file is then not kept.")
@click.option("--replace", is_flag=True, help="Overwrite a log of the same name.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rejected rows (row, reason, column, value) to this CSV.")
@workspace_option
@json_option
def import_command(file: Path, name: str | None, pseudonymize: bool, replace: bool,
                   rejects: Path | None, workspace: Path, as_json: bool,
                   **params: Any) -> None:
    """Import FILE (CSV, XLSX, XES, XES.GZ or Parquet) into the workspace."""
    size = file.stat().st_size if file.is_file() else 0
    with Workspace(workspace) as ws, progress_bar(f"Reading {file.name}", size,
                                               quiet=as_json) as progress:
        result = ws.import_file(file, name=name, options=options_from(params),
                                pseudonymize_resources=pseudonymize, replace=replace,
                                progress=progress)
    if rejects and result.report:
        from procflow.export import write_csv

        write_csv(result.report.rejects, rejects)
    if as_json:
        click.echo(json.dumps(result.to_dict(), default=str, ensure_ascii=False))
    else:
        click.echo(_import_text(result, workspace, rejects))


@contextmanager
def progress_bar(label: str, total: int, *, quiet: bool = False
              ) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr (terminals only); the callback takes the amount done so far."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        def update(done: int) -> None:
            bar.update(min(done, total) - bar.pos)

        yield update


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


@main.command("logs")
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


@main.command("info")
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
    rejected = info["report"].get("rejected") or {}
    click.echo(f"  rejected rows: {sum(rejected.values()):,} {rejected or ''}".rstrip())


@main.command("export")
@click.argument("name")
@click.option("--to", "to", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .csv, .parquet or .xes.")
@workspace_option
def export_command(name: str, to: Path, workspace: Path) -> None:
    """Write log NAME's canonical events (timestamps in UTC) to a file."""
    from procflow.export import export_log

    with Workspace(workspace) as ws:
        path = export_log(ws.log(name), to)
    click.echo(f"Wrote {path}")


@main.command("remove")
@click.argument("name")
@workspace_option
def remove_command(name: str, workspace: Path) -> None:
    """Delete log NAME from the workspace."""
    with Workspace(workspace) as ws:
        ws.remove(name)
    click.echo(f"Removed {name!r} from {workspace}")


@main.command("analyze")
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
@import_options
@workspace_option
@json_option
def analyze_command(log: str, out: Path, decisions: str | None,
                    decision_activities: str | None, handoff_by: str | None, engine: str,
                    spark_master: str, calendar: str | None, calendar_zone: str,
                    sla: tuple[str, ...], pause: tuple[str, ...], workspace: Path,
                    as_json: bool, **params: Any) -> None:
    """Measure LOG (a workspace log name, or a file read on the fly) into OUT/analysis.json."""
    from procflow.analysis import analyze, is_parquet_source
    from procflow.summary import summary_lines

    kwargs: dict[str, Any] = dict(**decision_settings(decisions, decision_activities),
                                  **calendar_settings(calendar, calendar_zone, sla, pause),
                                  handoff_by=handoff_by, engine=engine,
                                  spark_master=spark_master)
    if engine == "spark" and is_parquet_source(log):
        result = analyze(log, **kwargs)
    else:
        with open_log(log, workspace, params) as event_log:
            result = analyze(event_log, **kwargs)
    path = result.write(out)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    click.echo("\n".join([*summary_lines(result.to_dict()), f"Wrote {path}"]))


@main.command("simulate")
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
    from procflow.simulate import simulate

    with progress_bar("Simulating", 2 * cases) as progress:
        result = simulate(out, scenario=scenario, cases=cases, seed=seed,  # type: ignore[arg-type]
                          shadow_share=shadow_share, progress=progress)
    for path in (result.before, result.after, result.orgchart, result.truth):
        click.echo(f"Wrote {path}")


from procflow import cli_calendar as _cli_calendar  # noqa: E402,F401  (calendar show)
from procflow import cli_models as _cli_models  # noqa: E402,F401  (map, discover, conform)
from procflow import cli_reports as _cli_reports  # noqa: E402,F401  (compare, report)
from procflow import cli_web as _cli_web  # noqa: E402,F401  (serve, user, workspace)
