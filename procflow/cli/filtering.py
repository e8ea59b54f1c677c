"""The filter options of the commands that read a log, applied in command-line order.

click hands a command its options grouped by name; :class:`FilterCommand` reads the order
in which the filter options occurred (click's own parse of the arguments) so that
``--keep-events activity=A,B --top-variants 3`` ranks the variants after cutting the events,
and ``--top-variants 3 --keep-events activity=A,B`` before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from procflow.cli.options import open_log
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import PERIOD_MODES, Filter, filter_log, from_json, parse_option
from procflow.filters.words import summary_lines

ORDER_KEY = "procflow.filter_order"
#: Parameter name → filter kind (``json``: a JSON list of filter objects).
PARAMS = {"filter_period": "period", "filter_with": "with", "filter_without": "without",
          "filter_keep_events": "keep_events", "filter_drop_events": "drop_events",
          "filter_top_variants": "top_variants", "filter_duration": "duration",
          "filter_starts_with": "starts_with", "filter_ends_with": "ends_with",
          "filter_follows": "follows", "filter_directly_follows": "directly_follows",
          "filter_cases": "cases", "filter_handoff": "handoff",
          "filter_layers": "layers", "filter_json": "json"}


class FilterCommand(click.Command):
    """A command that records the order of its filter options in ``ctx.meta``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _, _, order = self.make_parser(ctx).parse_args(args=list(args))
        ctx.meta[ORDER_KEY] = [p.name for p in order
                               if isinstance(p, click.Option) and p.name in PARAMS]
        return super().parse_args(ctx, args)




def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options; the command receives them as ``filters`` (a list, in order).
    Use with ``cls=FilterCommand``."""
    options = [
        click.option("--period", "filter_period", multiple=True, metavar="FROM..TO",
                     help="Cases by time (dates or ISO times; either end may be empty). A date "
                          "is a whole day in --tz, else the log's import zone, else UTC."),
        click.option("--period-mode", type=click.Choice(PERIOD_MODES), default="started",
                     show_default=True, help="started: arrival in the period; completed: "
                     "completion in it; contained: both; intersecting: open at some time in "
                     "it; trim: keep all cases, cut the events outside it."),
        click.option("--with", "filter_with", multiple=True, metavar="FIELD=V1,V2",
                     help="Keep cases with an event whose FIELD (activity, resource, role, "
                          "unit, level, case_id, lifecycle or attr:NAME) is one of the values."),
        click.option("--without", "filter_without", multiple=True, metavar="FIELD=V1,V2",
                     help="Drop cases with such an event."),
        click.option("--keep-events", "filter_keep_events", multiple=True,
                     metavar="FIELD=V1,V2", help="Keep only such events (figures as if the "
                     "others never happened)."),
        click.option("--drop-events", "filter_drop_events", multiple=True,
                     metavar="FIELD=V1,V2", help="Remove such events."),
        click.option("--top-variants", "filter_top_variants", multiple=True, metavar="N",
                     help="Keep the cases of the N most frequent variants."),
        click.option("--duration", "filter_duration", multiple=True, metavar="MIN..MAX",
                     help="Keep cases whose cycle time is in the range (units s m h d w, "
                          "e.g. 2d..30d or ..12h)."),
        click.option("--starts-with", "filter_starts_with", multiple=True, metavar="A,B",
                     help="Keep cases whose first activity is one of these."),
        click.option("--ends-with", "filter_ends_with", multiple=True, metavar="A,B",
                     help="Keep cases whose last activity is one of these."),
        click.option("--follows", "filter_follows", multiple=True, metavar='"A>B"',
                     help="Keep cases where A is followed, at any later point, by B; "
                          '">B": B after any earlier step (its wait and decision latency).'),
        click.option("--directly-follows", "filter_directly_follows", multiple=True,
                     metavar='"A>B"', help="Keep cases where B comes right after A."),
        click.option("--cases", "filter_cases", multiple=True, metavar="FILE",
                     help="Keep the cases listed in FILE (one id per line)."),
        click.option("--handoff", "filter_handoff", multiple=True, metavar='"[BY:]A>B"',
                     help="Keep cases where the work passes directly from performer A to B; "
                          "BY is resource, role or unit (default: as the analysis counts "
                          'handoffs), e.g. "role:Kasi>Kabid".'),
        click.option("--layer-sequence", "filter_layers", multiple=True,
                     metavar='"[BY:]L1>L2"', help="Keep cases whose approval layers (the "
                     "levels, or with role: the roles, of their decision steps' performers, "
                     'in order) are exactly these, e.g. "3>2>1"; decision steps as the default '
                     "pattern finds them (other steps: --filter JSON)."),
        click.option("--filter", "filter_json", multiple=True, metavar="JSON|@FILE",
                     help='Filters as JSON, e.g. \'[{"kind": "top_variants", "n": 5}]\' (the '
                          '"filter" block of a result), or @FILE holding it.'),
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        values = {name: list(kwargs.pop(name)) for name in PARAMS}
        mode = kwargs.pop("period_mode")
        if not values["filter_period"] and \
                ctx.get_parameter_source("period_mode") == ParameterSource.COMMANDLINE:
            raise InputError("--period-mode applies to --period, which is missing.",
                             fix="add --period FROM..TO, or leave --period-mode out.")
        kwargs["filters"] = filters_in_order(ctx.meta.get(ORDER_KEY, []), values, mode,
                                             kwargs.get("tz"))
        return func(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def filters_in_order(order: Sequence[str], values: dict[str, list[str]], mode: str,
                     tz: str | None) -> list[Filter]:
    """The filters of each option occurrence, in ``order`` (parameter names, one per
    occurrence); values of an option missing from ``order`` come last."""
    seen = {name: 0 for name in values}
    sequence = [*order, *(name for name in values for _ in
                          range(len(values[name]) - list(order).count(name)))]
    out: list[Filter] = []
    for name in sequence:
        value = values[name][seen[name]]
        seen[name] += 1
        kind = PARAMS[name]
        out += (json_filters(value, "--filter") if kind == "json" else
                [parse_option(kind, value, mode=mode, tz=tz)])  # type: ignore[arg-type]
    return out


def json_filters(value: str, option: str) -> list[Filter]:
    """Filters from JSON text or ``@FILE``."""
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text(encoding="utf-8-sig")
        except OSError as err:
            raise InputError(f"{option} {value}: cannot read the file ({err.strerror}).",
                             fix="give @PATH of a JSON file, or the JSON itself.") from err
    return from_json(value, option)


@contextmanager
def open_filtered(log: str, workspace: Path, params: dict[str, Any],
                  filters: Sequence[Filter]) -> Iterator[EventLog]:
    """LOG as :func:`open_log` opens it, with ``filters`` applied."""
    with open_log(log, workspace, params) as event_log:
        yield filter_log(event_log, filters) if filters else event_log


def echo_filter(block: dict[str, Any] | None) -> None:
    """Print what filters kept ("x of y cases (z%)…") and the filters in words (nothing
    without a ``filter`` block)."""
    for line in summary_lines(block):
        click.echo(line)
