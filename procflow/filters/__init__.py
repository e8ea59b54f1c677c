"""Slices of a log: filters defined once, applied as SQL, written as JSON and in words.

    from procflow.filters import filter_log
    recent = filter_log(ws.log("izin"), [{"kind": "period", "from": "2024-01-01", "to": None,
                                          "mode": "started", "tz": None}])
    procflow.analyze(recent).to_dict()["filter"]   # the filters, and x of y cases kept

Modules: ``spec.py`` (the filters as data and JSON), ``timespec.py`` (dates, instants,
durations), ``text.py`` (the command line's syntax), ``checks.py`` (fields and values against
the log), ``apply.py`` (the SQL), ``words.py`` (descriptions).
"""

from procflow.filters.apply import FilterInput, Slice, filter_log, parse, reopen, slice_of
from procflow.filters.spec import (
    KINDS,
    PERIOD_MODES,
    CaseIds,
    Duration,
    Ends,
    Filter,
    Handoff,
    Layers,
    Order,
    Period,
    Split,
    TopVariants,
    Values,
    cuts_events,
    from_json,
    from_list,
    to_json,
)
from procflow.filters.text import parse_option
from procflow.filters.words import describe, describe_block, kept_text, summary_lines

__all__ = [
    "KINDS",
    "PERIOD_MODES",
    "CaseIds",
    "Duration",
    "Ends",
    "Filter",
    "FilterInput",
    "Handoff",
    "Layers",
    "Order",
    "Period",
    "Slice",
    "Split",
    "TopVariants",
    "Values",
    "cuts_events",
    "describe",
    "describe_block",
    "filter_log",
    "from_json",
    "from_list",
    "kept_text",
    "parse",
    "parse_option",
    "reopen",
    "slice_of",
    "summary_lines",
    "to_json",
]
