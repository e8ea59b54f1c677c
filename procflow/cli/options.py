"""Options and helpers shared by the ``procflow`` sub-commands."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.ingest.sniff import FORMATS
from procflow.ingest.window import TimeWindow
from procflow.store.workspace import DEFAULT_PATH, Workspace

if TYPE_CHECKING:
    from procflow.ingest.importer import ImportOptions

COLUMN_FIELDS = ("case", "activity", "timestamp", "start", "resource", "role", "unit", "level",
                 "lifecycle")
FIELD_OF_OPTION = {"case": "case_id", "start": "start_timestamp"}


workspace_option = click.option(
    "--workspace", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_PATH,
    envvar="PROCFLOW_WORKSPACE", show_default=True, help="Workspace file (DuckDB).")
handoff_option = click.option(
    "--handoff-by", type=click.Choice(["resource", "role", "unit"]),
    help="Who hands over to whom (default: resource, else role, else unit).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


IMPORT_OPTIONS = ("fmt", "order", "tz", "orgchart", "sheet", "delimiter", "encoding",
                  "time_window", *(f"col_{c}" for c in COLUMN_FIELDS))


def _time_window(ctx: click.Context, param: click.Parameter, value: str | None
                 ) -> TimeWindow | None:
    if value is None:
        return None
    try:
        return TimeWindow.parse(value)
    except InputError as err:
        raise click.BadParameter(str(err)) from None


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
        click.option("--time-window", "time_window", metavar="FROM..TO", callback=_time_window,
                     help="Plausible event times, years or days (default 1970..2100, or "
                          "$PROCFLOW_TIME_WINDOW); times outside are rejected rows."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def options_from(params: dict[str, Any]) -> ImportOptions:
    """Build ImportOptions from the parsed :func:`import_options` values."""
    from procflow.ingest.importer import ImportOptions

    columns = {FIELD_OF_OPTION.get(k[4:], k[4:]): v for k, v in params.items()
               if k.startswith("col_") and v}
    return ImportOptions(format=params["fmt"], columns=columns, tz=params["tz"],
                         order=params["order"] or "auto", orgchart=params["orgchart"],
                         sheet=params["sheet"], delimiter=params["delimiter"],
                         encoding=params["encoding"], time_window=params["time_window"])


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
                        "decision activities (instead of --decisions); \"\" for none.")(func)
    return click.option("--decisions", metavar="REGEX", help="Regular expression finding "
                        "decision activities (default: an English and Indonesian pattern; see "
                        "the README).")(func)


def decision_settings(decisions: str | None, decision_activities: str | None
                      ) -> dict[str, Any]:
    """The analyze() keywords of the :func:`decision_options` values (an empty
    ``--decision-activities ""``: no decision steps)."""
    if decisions and decision_activities is not None:
        raise InputError("give --decisions or --decision-activities, not both.")
    names = (None if decision_activities is None
             else [a.strip() for a in decision_activities.split(",") if a.strip()])
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


class _Bar:
    """The callback of :func:`progress_bar`: takes the bytes done so far; :meth:`rows` takes
    the rows done so far (imports in batches tell them)."""

    def __init__(self, total: int):
        self.bar: Any = None
        self.total, self.start = total, time.monotonic()
        self.done_rows: int | None = None

    def __call__(self, done: int) -> None:
        self.bar.update(min(done, self.total) - self.bar.pos, done)

    def rows(self, count: int) -> None:
        """Rows read so far."""
        self.done_rows = count
        self.bar.render_progress()

    def rate(self, done: int | None) -> str:
        """The rate so far and the time left at that rate."""
        seconds = time.monotonic() - self.start
        if seconds <= 0.5:
            return ""
        if self.done_rows:
            text = f"{self.done_rows:,} rows, {self.done_rows / seconds:,.0f} rows/s"
        else:
            text = f"{(done or 0) / 1e6 / seconds:,.1f} MB/s"
        part = self.bar.pos / self.total if self.total else 0
        if 0 < part < 1:
            left = int(seconds * (1 - part) / part)
            text += f", {left // 3600:02d}:{left // 60 % 60:02d}:{left % 60:02d} left"
        return text


@contextmanager
def progress_bar(label: str, total: int, *, quiet: bool = False
              ) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr (terminals only) with the rate (rows/s once rows are told,
    else MB/s) and the time left (hh:mm:ss); the callback takes the bytes done so far."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    state = _Bar(total)
    state.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=False,
                                  item_show_func=state.rate)
    with state.bar:
        yield state
