"""Seeded generator of realistic before/after event logs with known truth.

``simulate(out)`` writes four files into ``out``:

``before.csv``, ``after.csv``
    Exports as an analyst would get them from a local permit system: ``;`` separated, UTF-8
    with BOM, CRLF line endings, headers ``No. Permohonan;Tahapan;Waktu Mulai;Waktu Selesai;
    Petugas;Jabatan;Unit Kerja``, times ``DD/MM/YYYY HH.MM`` in naive local time (WITA,
    Asia/Makassar). One row per activity instance, sorted by case then time. Within a case the
    completions strictly increase and each start is at or after the previous completion.
``orgchart.csv``
    ``resource,role,level,unit,valid_from,valid_to`` (comma separated, ``YYYY-MM-DD``, empty =
    open-ended, ``valid_to`` inclusive). People whose post changed at the delayering date have
    two rows. The ``Jabatan`` and ``Unit Kerja`` of an event are those of the row valid on the
    event's completion date.
``truth.json``
    ``parameters``: scenario, seed, cases (per side), shadow_share, delayering_date, time_zone,
    utc_offset, working_time, decision_pattern, and per side the wait/processing distributions
    of each step and the return (rework) probabilities.
    ``truth.before`` / ``truth.after``, computed exactly from the written files:

    - ``cases``, ``events``: counts.
    - ``decision_activities``: activities matching the default decision pattern (METRICS §5).
    - ``approval_layers``: ``mean``, ``median`` and ``histogram`` (layers → cases) of the number
      of distinct ``level`` values among performers of decision instances per case (§7), the
      level taken from the org chart row valid on the event's completion date.
    - ``shadow_layer_share``: share of cases with a ``Paraf Koordinator`` (null before).
    - ``ping_pongs``, ``ping_pong_case_share``: instances k with g(k) = g(k−2) ≠ g(k−1) at
      resource granularity, and the share of cases with at least one (§6).
    - ``handoffs``, ``handoffs_per_case_mean``: consecutive instances with different Petugas.
    - ``cycle_time_median_seconds``: median over cases of max Waktu Selesai − min Waktu Mulai.
    - ``decision_instances``, ``decision_latency_median_seconds``: per decision activity, the
      count and the median of completion − completion of the previous instance of the case.

Durations run on a working-minute clock: Monday–Thursday 07:30–16:00, Friday 07:30–15:00,
no weekends and no holidays from :data:`procflow.simulate.scenarios.HOLIDAYS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from procflow.errors import InputError
from procflow.simulate.scenarios import (
    DAY_MINUTES,
    DAY_START_MINUTE,
    DECISION_PATTERN,
    DELAYERING_DATE,
    FIRST_DAY,
    HOLIDAYS,
    MAX_RETURNS,
    PARAF_KOORDINATOR,
    PEOPLE,
    SCENARIOS,
    UTC_OFFSET,
    WAIT_CAP,
    ZONE,
    Block,
    Side,
    describe,
)

Scenario = Literal["permit-delayering"]
HEADER = ("No. Permohonan", "Tahapan", "Waktu Mulai", "Waktu Selesai", "Petugas", "Jabatan",
          "Unit Kerja")
ORGCHART_HEADER = ("resource", "role", "level", "unit", "valid_from", "valid_to")
MAX_CASES = 999_999

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class SimulationResult:
    """Paths of the files written by :func:`simulate`."""

    before: Path
    after: Path
    orgchart: Path
    truth: Path


@dataclass(frozen=True)
class _Calendar:
    """Working days from FIRST_DAY and the working minutes elapsed before each of them."""

    days: Array
    cum: Array

    def minute_of(self, day: dt.date) -> int:
        """Working minutes before the first working day on or after ``day``."""
        return int(self.cum[np.searchsorted(self.days, np.datetime64(day, "D"))])

    def to_local(self, minutes: Array) -> Array:
        """Working minutes → naive local ``datetime64[m]``."""
        d = np.searchsorted(self.cum, minutes, side="right") - 1
        offset = (DAY_START_MINUTE + minutes - self.cum[d]).astype("timedelta64[m]")
        return self.days[d].astype("datetime64[m]") + offset


@dataclass(frozen=True)
class _Log:
    """Events of one side, sorted by case then order; times are local ``datetime64[m]``."""

    case_ids: Array
    case: Array
    activity: Array
    activities: list[str]
    person: Array
    start: Array
    complete: Array

    @property
    def after_post(self) -> Array:
        """Whether each event falls on or after the delayering date (new posts apply)."""
        return self.complete.astype("datetime64[D]") >= np.datetime64(DELAYERING_DATE, "D")


def simulate(out: Path, *, scenario: Scenario = "permit-delayering", cases: int = 2000,
             seed: int = 7, shadow_share: float = 0.2,
             progress: Callable[[int], None] | None = None) -> SimulationResult:
    """Write ``before.csv``, ``after.csv`` (``cases`` each), ``orgchart.csv``, ``truth.json``.

    ``progress(n)`` is called with the number of cases done so far, out of ``2 * cases``.
    """
    _check(scenario, cases, seed, shadow_share)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda n: None)
    report(0)
    result = SimulationResult(out / "before.csv", out / "after.csv", out / "orgchart.csv",
                              out / "truth.json")
    truths: dict[str, dict[str, Any]] = {}
    sides = SCENARIOS[scenario]
    for i, (side, child) in enumerate(zip(sides, np.random.SeedSequence(seed).spawn(2),
                                          strict=True)):
        log = _generate(side, cases, shadow_share, np.random.default_rng(child))
        _write_log(log, out / f"{side.name}.csv")
        truths[side.name] = _truth(log, shadow=side.name == "after")
        report((i + 1) * cases)
    _write_orgchart(result.orgchart)
    doc = {"parameters": _parameters(scenario, sides, cases, seed, shadow_share),
           "truth": truths}
    result.truth.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    return result


def _check(scenario: str, cases: int, seed: int, shadow_share: float) -> None:
    if scenario not in SCENARIOS:
        raise InputError(f"unknown scenario {scenario!r}.",
                         fix=f"use one of: {', '.join(SCENARIOS)}.")
    if not 1 <= cases <= MAX_CASES:
        raise InputError(f"cases must be between 1 and {MAX_CASES:,}; got {cases}.",
                         fix="give a smaller or positive --cases.")
    if seed < 0:
        raise InputError(f"seed must be zero or positive; got {seed}.", fix="use e.g. --seed 7.")
    if not 0.0 <= shadow_share <= 1.0:
        raise InputError(f"shadow_share must be between 0 and 1; got {shadow_share}.",
                         fix="give a share such as 0.2.")


def _calendar(until_day: dt.date, until_minute: int = 0) -> _Calendar:
    """Working days from FIRST_DAY through at least ``until_day`` and ``until_minute``."""
    first = np.datetime64(FIRST_DAY, "D")
    holidays = np.array(HOLIDAYS, dtype="datetime64[D]")
    span = (until_day - FIRST_DAY).days + 1
    while True:
        days = first + np.arange(span)
        weekday = (days.astype(np.int64) + 3) % 7
        keep = (weekday < 5) & ~np.isin(days, holidays)
        cum = np.concatenate(([0], np.cumsum(np.array(DAY_MINUTES)[weekday[keep]])))
        if cum[-1] > until_minute:
            return _Calendar(days[keep], cum)
        span *= 2


def _generate(side: Side, cases: int, shadow_share: float, rng: np.random.Generator) -> _Log:
    """Draw the cases of one side: trace, performers, durations and times."""
    shadow = rng.random(cases) < shadow_share
    steps = list(dict.fromkeys(s for b in side.blocks for s in (*b.main, *b.loop)))
    activities = list(dict.fromkeys(a for a, _ in steps))
    slots = list(side.pools)
    who = np.stack([np.array([PEOPLE.index(p) for p in side.pools[s]])[
        rng.integers(0, len(side.pools[s]), cases)] for s in slots])
    case, step = _trace(side.blocks, steps, shadow, rng)
    activity = np.array([activities.index(a) for a, _ in steps])[step]
    person = who[np.array([slots.index(s) for _, s in steps])[step], case]
    wait, proc = _durations(side, activities, activity, case, rng)
    cal = _calendar(dt.date(side.year + 1, 1, 31))
    arrival = np.sort(rng.integers(cal.minute_of(dt.date(side.year, 1, 1)),
                                   cal.minute_of(dt.date(side.year + 1, 1, 1)), cases))
    total = wait + proc
    cs = np.cumsum(total)
    first = _firsts(case)
    complete = (arrival - cs[first] + total[first])[case] + cs
    cal = _calendar(dt.date(side.year + 1, 1, 31), int(complete.max()) + 1)
    ids = np.char.add(f"PBG-{side.year}-", np.char.zfill(np.arange(1, cases + 1).astype(str), 6))
    return _Log(ids, case, activity, activities, person,
                cal.to_local(complete - proc), cal.to_local(complete))


def _trace(blocks: tuple[Block, ...], steps: list[tuple[str, str]], shadow: Array,
           rng: np.random.Generator) -> tuple[Array, Array]:
    """Case and step index of every event, ordered by case, then block, then position."""
    parts: list[tuple[Array, Array, Array, Array]] = []
    for b, block in enumerate(blocks):
        eligible = {"all": np.ones_like(shadow), "shadow": shadow, "plain": ~shadow}[block.only]
        if block.p_include < 1.0:
            eligible = eligible & (rng.random(shadow.size) < block.p_include)
        cases = np.flatnonzero(eligible)
        main = np.array([steps.index(s) for s in block.main])
        parts.append((np.repeat(cases, main.size), np.full(cases.size * main.size, b),
                      np.tile(np.arange(main.size), cases.size), np.tile(main, cases.size)))
        if not block.loop:
            continue
        returns = (rng.random(cases.size) < block.p_return) * np.minimum(
            rng.geometric(1.0 - block.p_again, cases.size), MAX_RETURNS)
        loop = np.array([steps.index(s) for s in block.loop])
        counts = returns * loop.size
        ends = np.cumsum(counts)
        within = np.arange(ends[-1] if ends.size else 0) - np.repeat(ends - counts, counts)
        parts.append((np.repeat(cases, counts), np.full(within.size, b), main.size + within,
                      loop[within % loop.size]))
    case, block_no, position, step = (np.concatenate(col) for col in zip(*parts, strict=True))
    order = np.lexsort((position, block_no, case))
    return case[order], step[order]


def _durations(side: Side, activities: list[str], activity: Array, case: Array,
               rng: np.random.Generator) -> tuple[Array, Array]:
    """Lognormal wait and processing per event in whole working minutes (first wait is 0)."""
    params = np.array([[t.wait_median, t.wait_sigma, t.proc_median, t.proc_sigma]
                       for t in (side.timing[a] for a in activities)])[activity]
    z = rng.standard_normal((2, activity.size))
    wait = np.minimum(np.rint(params[:, 0] * np.exp(params[:, 1] * z[0])), WAIT_CAP)
    proc = np.maximum(np.rint(params[:, 2] * np.exp(params[:, 3] * z[1])), 1)
    wait[_firsts(case)] = 0
    return wait.astype(np.int64), proc.astype(np.int64)


def _firsts(case: Array) -> Array:
    """Index of the first event of each case (events sorted by case)."""
    return np.flatnonzero(np.r_[True, case[1:] != case[:-1]])


def _format_times(times: Array) -> pa.Array:
    """``datetime64[m]`` → ``DD/MM/YYYY HH.MM`` strings."""
    day = times.astype("datetime64[D]")
    first = day.min()
    days = [(first + i).astype(dt.date).strftime("%d/%m/%Y ")
            for i in range(int((day.max() - first).astype(np.int64)) + 1)]
    clock = [f"{m // 60:02d}.{m % 60:02d}" for m in range(24 * 60)]
    day_part = pa.array(days).take(pa.array((day - first).astype(np.int64)))
    clock_part = pa.array(clock).take(pa.array((times - day).astype(np.int64)))
    return pc.binary_join_element_wise(day_part, clock_part, "")


def _post_columns(log: _Log) -> tuple[pa.Array, pa.Array]:
    """Jabatan and Unit Kerja of each event from the post valid at its completion."""
    posts = [p.before for p in PEOPLE] + [p.after for p in PEOPLE]
    index = log.person + len(PEOPLE) * log.after_post
    return (pa.array([p.role for p in posts]).take(pa.array(index)),
            pa.array([p.unit for p in posts]).take(pa.array(index)))


def _write_log(log: _Log, path: Path) -> None:
    """Write one side as a ``;``-separated UTF-8-BOM CSV with CRLF line endings."""
    role, unit = _post_columns(log)
    columns = [pa.array(log.case_ids).take(pa.array(log.case)),
               pa.array(log.activities).take(pa.array(log.activity)),
               _format_times(log.start), _format_times(log.complete),
               pa.array([p.name for p in PEOPLE]).take(pa.array(log.person)), role, unit]
    table = pa.table(dict(zip(HEADER, columns, strict=True)))
    options = pacsv.WriteOptions(include_header=False, delimiter=";", eol="\r\n",
                                 quoting_style="none")
    with path.open("wb") as f:
        f.write(("\ufeff" + ";".join(HEADER) + "\r\n").encode("utf-8"))
        pacsv.write_csv(table, f, write_options=options)


def _write_orgchart(path: Path) -> None:
    """One row per person, two for those whose post changed at the delayering date."""
    last = (DELAYERING_DATE - dt.timedelta(days=1)).isoformat()
    rows: list[tuple[object, ...]] = []
    for p in PEOPLE:
        if p.before == p.after:
            rows.append((p.name, p.before.role, p.before.level, p.before.unit, "", ""))
        else:
            rows.append((p.name, p.before.role, p.before.level, p.before.unit, "", last))
            rows.append((p.name, p.after.role, p.after.level, p.after.unit,
                         DELAYERING_DATE.isoformat(), ""))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(ORGCHART_HEADER)
        writer.writerows(rows)


def _levels(log: _Log) -> Array:
    """Level of each event's performer from the org chart row valid at its completion."""
    levels = np.array([p.before.level for p in PEOPLE] + [p.after.level for p in PEOPLE])
    return levels[log.person + len(PEOPLE) * log.after_post]


def _truth(log: _Log, *, shadow: bool) -> dict[str, Any]:
    """The figures a metrics engine should recover from this side's files."""
    n = log.case_ids.size
    case, person = log.case, log.person
    same1 = np.r_[False, case[1:] == case[:-1]]
    same2 = np.r_[False, False, case[2:] == case[:-2]]
    prev1 = np.r_[-1, person[:-1]]
    prev2 = np.r_[-1, -1, person[:-2]]
    handoff = same1 & (person != prev1)
    ping = same2 & (person == prev2) & (person != prev1)
    first = _firsts(case)
    cycle = (np.maximum.reduceat(log.complete, first) - np.minimum.reduceat(log.start, first))
    names = np.array(log.activities)
    koordinator = names[log.activity] == PARAF_KOORDINATOR
    return {
        "cases": int(n), "events": int(case.size),
        "decision_activities": sorted(a for a in log.activities if _is_decision(a)),
        "approval_layers": _layers(log),
        "shadow_layer_share": (float(np.unique(case[koordinator]).size / n) if shadow
                               else None),
        "ping_pongs": int(ping.sum()),
        "ping_pong_case_share": float(np.unique(case[ping]).size / n),
        "handoffs": int(handoff.sum()),
        "handoffs_per_case_mean": float(int(handoff.sum()) / n),
        "cycle_time_median_seconds": float(np.median(cycle.astype(np.int64) * 60)),
        **_latencies(log, same1),
    }


def _is_decision(activity: str) -> bool:
    return re.search(DECISION_PATTERN, activity, re.IGNORECASE) is not None


def _layers(log: _Log) -> dict[str, Any]:
    """Distinct performer levels among decision instances, per case."""
    decision = np.array([_is_decision(a) for a in log.activities], dtype=bool)[log.activity]
    pairs = np.unique(log.case[decision] * 16 + _levels(log)[decision])
    layers = np.bincount(pairs // 16, minlength=log.case_ids.size)
    histogram = np.bincount(layers)
    return {"mean": float(int(layers.sum()) / layers.size), "median": float(np.median(layers)),
            "histogram": {str(k): int(v) for k, v in enumerate(histogram) if v}}


def _latencies(log: _Log, same1: Array) -> dict[str, dict[str, Any]]:
    """Count and median latency (seconds) per decision activity."""
    previous = np.r_[log.complete[:1], log.complete[:-1]]
    latency = (log.complete - previous).astype(np.int64) * 60
    counts: dict[str, Any] = {}
    medians: dict[str, Any] = {}
    for code, name in sorted(enumerate(log.activities), key=lambda item: item[1]):
        if _is_decision(name):
            values = latency[(log.activity == code) & same1]
            counts[name] = int(values.size)
            medians[name] = float(np.median(values)) if values.size else None
    return {"decision_instances": counts, "decision_latency_median_seconds": medians}


def _parameters(scenario: str, sides: tuple[Side, Side], cases: int, seed: int,
                shadow_share: float) -> dict[str, Any]:
    """The scenario parameters recorded in ``truth.json``."""
    return {
        "scenario": scenario, "seed": seed, "cases": cases, "shadow_share": shadow_share,
        "delayering_date": DELAYERING_DATE.isoformat(), "time_zone": ZONE,
        "utc_offset": UTC_OFFSET,
        "timestamps": "naive local time, DD/MM/YYYY HH.MM, minute precision",
        "working_time": {
            "clock": "waits and processing times are in working minutes",
            "days": "Monday-Friday, except the listed holidays",
            "hours": {"monday_thursday": "07:30-16:00", "friday": "07:30-15:00"},
            "holidays": list(HOLIDAYS),
        },
        "decision_pattern": DECISION_PATTERN, "decision_pattern_flags": "case-insensitive",
        "org_chart_rule": "posts, units and levels apply by the event's completion date",
        "sides": {side.name: describe(side) for side in sides},
    }
