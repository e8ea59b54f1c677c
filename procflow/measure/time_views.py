"""A log over time: cases arriving and completed per period, open cases (WIP) at each period's
end, cycle time by month of arrival, each performer's workload per period and the events of
each case for a dotted chart.

Every series reads the same step and case tables as ``analysis.json`` (:func:`prepare`), so
a filtered log's time views are those of its cases. Periods are calendar weeks (from Monday)
or months in the log's zone (its import zone, else UTC); definitions in docs/metrics.md,
"Time views".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.measure.prepare import Prepared, Settings, prepared

Bucket = Literal["week", "month"]
#: Logs spanning more days than this are shown per month, shorter ones per week.
WEEKLY_SPAN_DAYS = 731
#: The dotted chart draws every case up to this many, else a sample of this many.
DOT_CASES = 5000
#: ... and fewer when the cases have many events, to draw about this many dots at most.
DOT_EVENTS = 30_000
#: Activities drawn in their own colour on the dotted chart (the most frequent); others grey.
DOT_ACTIVITIES = 8
#: Performers in the workload table and heat map (the most active).
TOP_PERFORMERS = 15
STEP = {"week": "INTERVAL 7 DAY", "month": "INTERVAL 1 MONTH"}


def time_views(log: EventLog, settings: Settings | None = None, *,
               bucket: Bucket | None = None, dot_cases: int = DOT_CASES,
               dot_events: int = DOT_EVENTS, top: int = TOP_PERFORMERS) -> dict[str, Any]:
    """The time views of ``log`` (see :func:`views_of`), measured with ``settings`` (a
    calendar makes the working hours and cycle times working time)."""
    with prepared(log, settings or Settings()) as prep:
        return views_of(prep, log.zone, bucket=bucket, dot_cases=dot_cases,
                        dot_events=dot_events, top=top)


def views_of(prep: Prepared, zone: str | None = None, *, bucket: Bucket | None = None,
             dot_cases: int = DOT_CASES, dot_events: int = DOT_EVENTS,
             top: int = TOP_PERFORMERS) -> dict[str, Any]:
    """The time views of a prepared log, periods read in ``zone`` (None: UTC).

    ``bucket`` is the period of ``flow`` and ``workload`` (None: weeks for a log spanning at
    most :data:`WEEKLY_SPAN_DAYS` days, else months). Returns a JSON-ready dictionary:

    - ``zone``, ``bucket``;
    - ``flow``: one row per period from the first arrival's to the last completion's, empty
      periods included: ``start`` (its first day), ``arrivals``, ``completions`` and ``open``
      (cases arrived before the period's end and completed at or after it);
    - ``cycle_by_month``: one row per month from the first arrival's to the last one's:
      ``month``, ``cases`` arrived, ``median`` and ``p90`` of their cycle times (seconds,
      null without cases), with a calendar also ``median_working_days``;
    - ``workload``: see :func:`workload`;
    - ``dots``: see :func:`dots`.
    """
    if bucket is not None and bucket not in STEP:
        raise InputError(f"unknown period {bucket!r} for the time views.",
                         fix="choose week or month.")
    span = prep.rows("SELECT min(arrival_us) AS lo, max(completion_us) AS hi FROM pf_cases")[0]
    at = Local.of(_zone(zone), span["lo"], span["hi"])
    if bucket is None:
        days = 0 if span["lo"] is None else (span["hi"] - span["lo"]) / 86_400e6
        bucket = "week" if days <= WEEKLY_SPAN_DAYS else "month"
    periods = flow(prep, at, bucket)
    return {"zone": at.zone, "bucket": bucket, "flow": periods,
            "cycle_by_month": cycle_by_month(prep, at),
            "workload": workload(prep, at, bucket, top, [r["start"] for r in periods]),
            "dots": dots(prep, at, dot_cases, dot_events)}


@dataclass(frozen=True)
class Local:
    """How the SQL reads UTC microseconds as wall-clock time in ``zone``: by adding
    ``offset_us`` when the zone keeps one UTC offset on every day of the log's span (the
    zones of Indonesia, UTC; fast), else through the time-zone database."""

    zone: str
    offset_us: int | None

    @classmethod
    def of(cls, zone: str, first_us: int | None, last_us: int | None) -> Local:
        """``zone`` over the span from ``first_us`` to ``last_us`` (UTC microseconds)."""
        place = ZoneInfo(zone)
        if first_us is None or last_us is None:
            return cls(zone, 0)
        day = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=first_us)
        end = day + dt.timedelta(microseconds=last_us - first_us, days=1)
        offsets: set[dt.timedelta | None] = set()
        while day <= end and len(offsets) < 2:
            offsets.add(day.astimezone(place).utcoffset())
            day += dt.timedelta(days=1)
        (offset,) = offsets if len(offsets) == 1 else (None,)
        return cls(zone, None if offset is None else offset // dt.timedelta(microseconds=1))

    def time(self, column: str) -> str:
        """SQL: ``column`` (UTC microseconds) as a local wall-clock TIMESTAMP."""
        if self.offset_us is not None:
            return f"make_timestamp({column} + {self.offset_us})"
        return f"timezone('{self.zone}', make_timestamp({column}) AT TIME ZONE 'UTC')"

    def period(self, column: str, bucket: str) -> str:
        """SQL: the first instant (local) of the week or month holding ``column``."""
        return f"date_trunc('{bucket}', {self.time(column)})"


def flow(prep: Prepared, at: Local, bucket: Bucket) -> list[dict[str, Any]]:
    """Arrivals, completions and open cases per period (see :func:`views_of`)."""
    rows = prep.rows(f"""
        WITH b AS (SELECT {at.period("arrival_us", bucket)} AS a,
                          {at.period("completion_us", bucket)} AS c FROM pf_cases),
        grid AS (SELECT unnest(generate_series(min(a), max(c), {STEP[bucket]})) AS start
                 FROM b HAVING count(*) > 0),
        arr AS (SELECT a AS start, count(*) AS n FROM b GROUP BY a),
        com AS (SELECT c AS start, count(*) AS n FROM b GROUP BY c)
        SELECT g.start, coalesce(arr.n, 0) AS arrivals, coalesce(com.n, 0) AS completions,
               sum(coalesce(arr.n, 0) - coalesce(com.n, 0)) OVER (ORDER BY g.start) AS open
        FROM grid g LEFT JOIN arr USING (start) LEFT JOIN com USING (start)
        ORDER BY g.start""")
    return [{"start": r["start"].date().isoformat(), "arrivals": int(r["arrivals"]),
             "completions": int(r["completions"]), "open": int(r["open"])} for r in rows]


def cycle_by_month(prep: Prepared, at: Local) -> list[dict[str, Any]]:
    """Cases arrived per month and the median and 90th percentile of their cycle times."""
    working = prep.clock is not None
    extra = (", quantile_cont(m.w_cycle_time, 0.5) AS median_working" if working else "")
    rows = prep.rows(f"""
        WITH m AS (SELECT {at.period("arrival_us", "month")} AS month,
                          cycle_time{", w_cycle_time" if working else ""} FROM pf_cases),
        grid AS (SELECT unnest(generate_series(min(month), max(month), INTERVAL 1 MONTH))
                        AS month FROM m HAVING count(*) > 0)
        SELECT g.month, count(m.month) AS cases,
               quantile_cont(m.cycle_time, [0.5, 0.9]) AS q{extra}
        FROM grid g LEFT JOIN m USING (month) GROUP BY g.month ORDER BY g.month""")
    out = []
    for r in rows:
        median, p90 = r["q"] or (None, None)
        row = {"month": r["month"].strftime("%Y-%m"), "cases": int(r["cases"]),
               "median": _float(median), "p90": _float(p90)}
        if prep.clock is not None:
            value = _float(r["median_working"])
            row["median_working_days"] = (None if value is None
                                          else value / prep.clock.day_seconds)
        out.append(row)
    return out


def workload(prep: Prepared, at: Local, bucket: Bucket, top: int = TOP_PERFORMERS,
             periods: list[str] | None = None) -> dict[str, Any]:
    """Each performer's events and working hours per period, for the ``top`` most active.

    A performer is a resource (else a role, else a unit: ``by``; null without any). An
    activity instance counts as one event of its performer in the period of its completion;
    its hours are its processing time (start to completion, seconds; working seconds with a
    calendar), so ``hours`` is False and every ``seconds`` null when the log has no start
    times. Returns ``by``, ``hours``, ``periods`` (the first days of the periods: ``flow``'s,
    given or computed), ``performers`` (how many), ``unknown`` (instances without a
    performer) and ``rows``: ``name``, ``events``, ``seconds``, ``active`` (periods with an
    event) and ``per_period`` (``events`` and ``seconds`` lists aligned with ``periods``),
    most events first (ties by name)."""
    by = next((g for g in ("resource", "role", "unit") if prep.present[g]), None)
    if periods is None:
        periods = [r["start"] for r in flow(prep, at, bucket)]
    out: dict[str, Any] = {"by": by, "hours": prep.has_start, "periods": periods,
                           "performers": 0, "unknown": 0, "rows": []}
    busy = ("w_processing" if prep.clock is not None else "processing") \
        if prep.has_start else "CAST(NULL AS DOUBLE)"
    # one pass over the instances: a cell per performer and period
    cells = prep.rows(f"""
        SELECT {by or "CAST(NULL AS BIGINT)"} AS who, {at.period("ts_us", bucket)} AS start,
               count(*) AS events, sum({busy}) AS seconds FROM pf_steps GROUP BY ALL""")
    out["unknown"] = sum(int(c["events"]) for c in cells if c["who"] is None)
    mine: dict[int, dict[str, dict[str, Any]]] = {}
    for c in cells:
        if c["who"] is not None:
            mine.setdefault(c["who"], {})[c["start"].date().isoformat()] = c
    out["performers"] = len(mine)
    totals = sorted(((sum(int(c["events"]) for c in by_period.values()), who)
                     for who, by_period in mine.items()),
                    key=lambda item: (-item[0], prep.name(str(by), item[1])))
    for events, who in totals[:max(0, top)]:
        row = [mine[who].get(p) for p in periods]
        seconds = [_float(c["seconds"]) if c else 0.0 for c in row]
        out["rows"].append({
            "name": prep.name(str(by), who), "events": events,
            "seconds": _sum(seconds) if prep.has_start else None,
            "active": len(mine[who]),
            "per_period": {"events": [int(c["events"]) if c else 0 for c in row],
                           "seconds": seconds if prep.has_start else [None] * len(periods)}})
    return out


def dots(prep: Prepared, at: Local, limit: int = DOT_CASES, events: int = DOT_EVENTS
         ) -> dict[str, Any]:
    """The activity instances of the cases for a dotted chart.

    The limit is ``limit`` cases, lowered to ⌊events · cases / instances⌋ (at least 1) when
    the cases have so many instances that all ``limit`` would draw more than about ``events``
    dots. Cases are ranked by arrival (ties by case id); with more than the limit, the case
    of rank r (0, 1, …, n − 1) is kept when r·limit mod n < limit: exactly that many cases,
    the first among them, evenly spread over the arrivals. Returns ``cases`` (all), ``shown``,
    ``sampled``, ``activities`` (the :data:`DOT_ACTIVITIES` most frequent, most first, ties
    by name) and per instance, in case then step order: ``row`` (the case's position among
    those shown, 0 = earliest arrival), ``local_us`` (its completion as local wall-clock
    time, microseconds since 1970-01-01) and ``activity`` (its index in ``activities``, −1
    for the others); ``other`` counts the instances of the others."""
    sizes = prep.rows("SELECT count(*) AS n, sum(instances) AS i FROM pf_cases")[0]
    total, instances = int(sizes["n"]), int(sizes["i"] or 0)
    limit = max(1, min(limit, events * total // instances if instances else limit))
    keep = "TRUE" if total <= limit else \
        f"rank * {limit} % {total} < {limit}"
    counts = prep.rows("SELECT activity, count(*) AS n FROM pf_steps GROUP BY activity")
    counts.sort(key=lambda r: (-r["n"], prep.name("activity", r["activity"])))
    chosen = [r["activity"] for r in counts[:DOT_ACTIVITIES]]
    index = {code: i for i, code in enumerate(chosen)}
    rows = prep.rows(f"""
        WITH ranked AS (SELECT case_id, row_number() OVER (ORDER BY arrival_us, case_id) - 1
                               AS rank FROM pf_cases),
        kept AS (SELECT case_id, row_number() OVER (ORDER BY rank) - 1 AS row FROM ranked
                 WHERE {keep})
        SELECT k.row, epoch_us({at.time("s.ts_us")}) AS local_us, s.activity
        FROM pf_steps s JOIN kept k USING (case_id) ORDER BY k.row, s.seq""")
    shown = rows[-1]["row"] + 1 if rows else 0
    kinds = [index.get(r["activity"], -1) for r in rows]
    return {"cases": total, "shown": int(shown), "sampled": total > limit, "limit": limit,
            "activities": [prep.name("activity", c) for c in chosen],
            "row": [int(r["row"]) for r in rows],
            "local_us": [int(r["local_us"]) for r in rows],
            "activity": kinds, "other": kinds.count(-1)}


def _zone(zone: str | None) -> str:
    name = zone or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InputError(f"unknown time zone {name!r} for the time views.",
                         fix="import the log with an IANA zone such as Asia/Jakarta.") from err
    return name


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _sum(values: list[float | None]) -> float | None:
    """The sum of the known values (None if none is known)."""
    known = [v for v in values if v is not None]
    return float(sum(known)) if known else None
