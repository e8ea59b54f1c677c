"""``procflow calendar show YEAR``: the working days and hours procflow counts with."""

from __future__ import annotations

import json

import click

from procflow.cli.options import json_option

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@click.group("calendar")
def calendar_group() -> None:
    """Working-time calendars (Indonesian holidays and cuti bersama, overrides)."""


@calendar_group.command("show")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.option("--calendar", "spec", default="id", show_default=True,
              help="id (Monday–Friday), id-sat (Monday–Saturday) or an override CSV file.")
@click.option("--zone", default="Asia/Jakarta", show_default=True,
              help="Time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT).")
@json_option
def show_command(year: int, spec: str, zone: str, as_json: bool) -> None:
    """List the non-working days of YEAR and the working hours of each weekday."""
    from procflow.calendar import format_periods, load_calendar, non_working_days

    cal = load_calendar(spec, zone=zone, years=[year])
    days = non_working_days(cal, year)
    week = {WEEKDAYS[d]: format_periods(cal.week.get(d, ())) or None for d in range(7)}
    if as_json:
        click.echo(json.dumps({"year": year, "calendar": cal.name, "zone": cal.zone,
                               "week": week, "day_hours": cal.day_seconds / 3600,
                               "non_working_days": [{"date": d.isoformat(), "name": n}
                                                    for d, n in days]}, ensure_ascii=False))
        return
    click.echo(f"Calendar {cal.name} in {cal.zone}; a working day counts "
               f"{cal.day_seconds / 3600:g} hours.")
    for name, hours in week.items():
        click.echo(f"  {name:<9} {hours or 'day off'}")
    click.echo(f"Non-working days in {year} besides weekly days off ({len(days)}):")
    for day, name in days:
        click.echo(f"  {day:%Y-%m-%d %a}  {name}")
