"""How precise a log's times are: many events at one time of day (dates exported without a
time), and events at the same instant as an earlier event of their case (order unknown)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from procflow.core import db
from procflow.core.i18n import Texts
from procflow.core.zones import offset_zone

DAY_US = 86_400_000_000
#: Share of events at one time of day above which a log is taken to hold dates only.
ONE_TIME_SHARE = 0.2
#: Share of events tied with an earlier event of their case above which the order is doubtful.
TIED_SHARE = 0.1


def time_precision(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """``events`` with a time; ``top_times_utc_s``, the most common time of day (seconds after
    UTC midnight), with the time an hour before or after it when that is the second most
    common (the same local time in summer and in winter); ``top_time_events``, the events at
    those times; ``tied``, the events at the same instant as an earlier event of their case."""
    events, tied = db.rows(con, f"SELECT count(timestamp), count(timestamp) - count(DISTINCT "
                                f"(case_id, timestamp)) FILTER (WHERE timestamp IS NOT NULL) "
                                f"FROM {table}")[0]
    top = db.rows(con, f"SELECT ((epoch_us(timestamp) % {DAY_US}) + {DAY_US}) % {DAY_US} "
                       f"// 1000000 AS tod, count(*) AS n FROM {table} WHERE timestamp IS NOT "
                       f"NULL GROUP BY tod ORDER BY n DESC, tod LIMIT 2")
    times = [(int(tod), int(n)) for tod, n in top]
    if len(times) == 2 and abs(times[0][0] - times[1][0]) in (3600, DAY_US // 1_000_000 - 3600):
        chosen = sorted(times)
    else:
        chosen = times[:1]
    return {"events": int(events), "top_time_events": sum(n for _, n in chosen),
            "top_times_utc_s": [tod for tod, _ in chosen], "tied": int(tied)}


def precision_flags(facts: dict[str, Any]) -> dict[str, bool]:
    """Which warnings ``facts`` call for: ``one_time`` (a fifth or more of the events at one
    time of day) and ``tied`` (a tenth or more tied with an earlier event of their case)."""
    events = facts["events"] or 1
    return {"one_time": facts["events"] >= 10
            and facts["top_time_events"] / events >= ONE_TIME_SHARE,
            "tied": facts["events"] >= 10 and facts["tied"] / events >= TIED_SHARE}


def precision_texts(facts: dict[str, Any], t: Texts, zone: str | None = None) -> list[str]:
    """The warnings ``facts`` call for, in the language of ``t``; ``zone`` is the log's time
    zone when it was imported with one: a common time that is not midnight there is taken
    for a fixed hour of recording rather than for dates without a time."""
    flags, events = precision_flags(facts), facts["events"]
    texts = []
    local = _local_clocks(facts["top_times_utc_s"], zone) if zone else None
    if flags["one_time"] and local is not None and "00:00" not in local:
        texts.append(t(
            "{n} of {events} events ({share}) are at the same time of day ({clocks} in {zone}): "
            "they were probably recorded at a fixed hour (a default time, or entered in a "
            "batch) rather than when they happened, so durations shorter than a day that "
            "involve them are uncertain.",
            n=t.integer(facts["top_time_events"]), events=t.integer(events),
            share=t.percent(facts["top_time_events"] / events),
            clocks=_listed(local, t), zone=zone))
    elif flags["one_time"]:
        where = t(" and ").join(_midnight(seconds, t) for seconds in facts["top_times_utc_s"])
        texts.append(t(
            "{n} of {events} events ({share}) are at the same time of day ({where}): the file "
            "probably holds dates without a time. Durations shorter than a day and the order "
            "of one day's steps are then unknown; a median of 0 minutes means “the same day”.",
            n=t.integer(facts["top_time_events"]), events=t.integer(events),
            share=t.percent(facts["top_time_events"] / events), where=where))
    if flags["tied"]:
        texts.append(t(
            "{n} of {events} events ({share}) have the same time as an earlier event of their "
            "case: their order is the file's order, not known from the times, and variants "
            "that differ only in that order are counted apart.",
            n=t.integer(facts["tied"]), events=t.integer(events),
            share=t.percent(facts["tied"] / events)))
    return texts


def _midnight(seconds: int, t: Texts) -> str:
    """``22:00 UTC, midnight at UTC+02:00`` (the zone named when the time is a zone's
    midnight other than UTC's)."""
    clock = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    offset = -seconds % 86400
    offset -= 86400 if offset > 14 * 3600 else 0
    if offset == 0 or offset % 900:
        return f"{clock} UTC"
    return t("{clock} UTC, midnight at {zone}", clock=clock, zone=offset_zone(offset // 60))


def _local_clocks(utc_seconds: list[int], zone: str) -> list[str] | None:
    """The clock times in ``zone`` of these times of day (seconds after UTC midnight), in
    winter and in summer, sorted (None for a zone the time-zone database does not know)."""
    try:
        zoneinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    clocks = {(datetime(2024, month, 15, tzinfo=UTC) + timedelta(seconds=seconds))
              .astimezone(zoneinfo).strftime("%H:%M")
              for seconds in utc_seconds for month in (1, 7)}
    return sorted(clocks)


def _listed(items: list[str], t: Texts) -> str:
    """``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + t(" and ") + items[-1]
