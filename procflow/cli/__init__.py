"""The ``procflow`` command: parse options, call one core function, print the result.

Each sub-module defines its commands; this module builds the group and adds them.
"""

from __future__ import annotations

from typing import Any

import click

from procflow.cli import analyze, calendar, cases, explain, logs, models, reports, web
from procflow.errors import InputError, ProcflowError


class Main(click.Group):
    """Turns procflow errors into one line on stderr and exit code 2 (bad input) or 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProcflowError as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(2 if isinstance(err, InputError) else 1)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="procflow")
def main() -> None:
    """procflow: where decisions wait and how many hands a case passes."""


COMMANDS: tuple[click.Command, ...] = (
    logs.import_command, logs.logs_command, logs.info_command, logs.export_command,
    logs.remove_command, logs.simulate_command, analyze.analyze_command,
    cases.cases_command, cases.case_command,
    models.map_command, models.handoff_map_command, models.discover_command,
    models.conform_command, reports.compare_command, reports.report_command,
    explain.explain_command,
    calendar.calendar_group, web.serve_command, web.user_group, web.workspace_group,
)
for _command in COMMANDS:
    main.add_command(_command)
