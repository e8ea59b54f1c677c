"""Time views: exact values on a hand-checked log, the sampling rule of the dotted chart,
invariants on random logs, and an independent pandas computation on real logs (whole and
filtered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import procflow
from procflow import ImportOptions, Workspace
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.filters import filter_log
from procflow.measure.prepare import Settings
from procflow.measure.time_views import Local, time_views
from tests.conftest import shared_file

HOUR = 3600.0
DAY = 86400.0

# Four cases; weeks from Monday 2024-01-01 (W1) to 2024-02-05 (W6), UTC.
TINY = """case,activity,start,end,resource
A,Submit,2024-01-01 08:00,2024-01-01 09:00,ana
A,Review,2024-01-03 10:00,2024-01-03 12:00,budi
A,Approve,2024-01-09 09:00,2024-01-09 09:30,citra
B,Submit,2024-01-05 08:00,2024-01-05 08:30,ana
B,Review,2024-01-16 13:00,2024-01-16 14:00,budi
C,Submit,2024-01-10 10:00,2024-01-10 10:15,ana
C,Review,2024-01-24 09:00,2024-01-24 11:00,budi
C,Approve,2024-02-05 09:00,2024-02-05 10:00,citra
D,Submit,2024-02-06 09:00,2024-02-06 09:45,ana
"""
def read_csv(tmp_path: Path, text: str, tz: str = "UTC", name: str = "tiny.csv") -> EventLog:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return procflow.read(path, tz=tz, case_id="case", activity="activity",
                         start_timestamp="start", timestamp="end", resource="resource")


@pytest.fixture
def tiny(tmp_path: Path) -> EventLog:
    return read_csv(tmp_path, TINY)


def test_flow_by_hand(tiny: EventLog) -> None:
    views = time_views(tiny)
    assert (views["zone"], views["bucket"]) == ("UTC", "week")
    # arrivals A, B in W1, C in W2, D in W6; completions A W2, B W3, C and D W6
    assert [(r["start"], r["arrivals"], r["completions"], r["open"]) for r in views["flow"]] == [
        ("2024-01-01", 2, 0, 2), ("2024-01-08", 1, 1, 2), ("2024-01-15", 0, 1, 1),
        ("2024-01-22", 0, 0, 1), ("2024-01-29", 0, 0, 1), ("2024-02-05", 1, 2, 0)]
    months = time_views(tiny, bucket="month")["flow"]
    assert [(r["start"], r["arrivals"], r["completions"], r["open"]) for r in months] == [
        ("2024-01-01", 3, 2, 1), ("2024-02-01", 1, 2, 0)]


def test_cycle_time_by_month_by_hand(tiny: EventLog) -> None:
    # A 8 d 1.5 h, B 11 d 6 h, C 26 d (January); D 45 min (February)
    a, b, c = 8 * DAY + 1.5 * HOUR, 11 * DAY + 6 * HOUR, 26 * DAY
    assert time_views(tiny)["cycle_by_month"] == [
        {"month": "2024-01", "cases": 3, "median": b, "p90": b + 0.8 * (c - b)},
        {"month": "2024-02", "cases": 1, "median": 0.75 * HOUR, "p90": 0.75 * HOUR}]
    assert a < b < c


def test_workload_by_hand(tiny: EventLog) -> None:
    work = time_views(tiny)["workload"]
    assert (work["by"], work["hours"], work["performers"], work["unknown"]) == (
        "resource", True, 3, 0)
    assert work["periods"] == ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22",
                               "2024-01-29", "2024-02-05"]
    rows = {r["name"]: r for r in work["rows"]}
    assert [r["name"] for r in work["rows"]] == ["ana", "budi", "citra"]
    assert rows["ana"]["per_period"] == {"events": [2, 1, 0, 0, 0, 1],
                                         "seconds": [1.5 * HOUR, 0.25 * HOUR, 0, 0, 0,
                                                     0.75 * HOUR]}
    assert rows["budi"]["per_period"]["events"] == [1, 0, 1, 1, 0, 0]
    assert rows["budi"]["per_period"]["seconds"] == [2 * HOUR, 0, HOUR, 2 * HOUR, 0, 0]
    assert rows["citra"]["per_period"]["seconds"] == [0, 0.5 * HOUR, 0, 0, 0, HOUR]
    assert [(r["events"], r["seconds"], r["active"]) for r in work["rows"]] == [
        (4, 2.5 * HOUR, 3), (3, 5 * HOUR, 3), (2, 1.5 * HOUR, 2)]
    top = time_views(tiny, top=1)["workload"]
    assert [r["name"] for r in top["rows"]] == ["ana"] and top["performers"] == 3


def test_workload_without_start_times_counts_events_only(tmp_path: Path) -> None:
    text = "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != 2)
                     for line in TINY.strip().splitlines())
    log = procflow.read(_write(tmp_path, text), tz="UTC", case_id="case",
                        activity="activity", timestamp="end", resource="resource")
    work = time_views(log)["workload"]
    assert work["hours"] is False
    assert [(r["name"], r["events"], r["seconds"]) for r in work["rows"]] == [
        ("ana", 4, None), ("budi", 3, None), ("citra", 2, None)]
    assert work["rows"][0]["per_period"]["seconds"] == [None] * 6


def test_workload_by_role_and_unknown_performers(tmp_path: Path) -> None:
    text = ("case,activity,end,role\n1,a,2024-01-01 10:00,clerk\n1,b,2024-01-02 10:00,\n"
            "2,a,2024-01-03 10:00,head\n2,b,2024-01-09 10:00,clerk\n")
    log = procflow.read(_write(tmp_path, text), tz="UTC", case_id="case",
                        activity="activity", timestamp="end", role="role")
    work = time_views(log)["workload"]
    assert (work["by"], work["unknown"], work["performers"]) == ("role", 1, 2)
    assert [(r["name"], r["per_period"]["events"]) for r in work["rows"]] == [
        ("clerk", [1, 1]), ("head", [1, 0])]


def test_periods_are_local_to_the_log_zone(tmp_path: Path) -> None:
    # 2024-02-01 03:00 WIB is 2024-01-31 20:00 UTC: February in Jakarta, January in UTC.
    jakarta = read_csv(tmp_path, "case,activity,start,end,resource\n"
                       "1,a,2024-02-01 03:00,2024-02-01 03:00,x\n", "Asia/Jakarta")
    utc = read_csv(tmp_path, "case,activity,start,end,resource\n"
                   "1,a,2024-01-31 20:00,2024-01-31 20:00,x\n", "UTC", "utc.csv")
    assert jakarta.to_pandas()["timestamp"].equals(utc.to_pandas()["timestamp"])
    assert time_views(jakarta, bucket="month")["flow"][0]["start"] == "2024-02-01"
    assert time_views(utc, bucket="month")["flow"][0]["start"] == "2024-01-01"
    assert time_views(jakarta)["cycle_by_month"][0]["month"] == "2024-02"
    # the dotted chart's times are local wall-clock times too
    local = time_views(jakarta)["dots"]["local_us"][0]
    assert pd.Timestamp(local, unit="us") == pd.Timestamp("2024-02-01 03:00")


def test_dotted_chart_by_hand(tiny: EventLog) -> None:
    dots = time_views(tiny)["dots"]
    assert (dots["cases"], dots["shown"], dots["sampled"]) == (4, 4, False)
    assert dots["activities"] == ["Submit", "Review", "Approve"]
    assert dots["row"] == [0, 0, 0, 1, 1, 2, 2, 2, 3]
    assert dots["activity"] == [0, 1, 2, 0, 1, 0, 1, 2, 0] and dots["other"] == 0
    assert pd.Timestamp(dots["local_us"][0], unit="us") == pd.Timestamp("2024-01-01 09:00")


def test_dotted_chart_sampling_rule(tiny: EventLog) -> None:
    # n = 4, limit 2: rank r kept when 2r mod 4 < 2, so ranks 0 and 2: cases A and C
    dots = time_views(tiny, dot_cases=2)["dots"]
    assert (dots["cases"], dots["shown"], dots["sampled"], dots["limit"]) == (4, 2, True, 2)
    assert dots["row"] == [0, 0, 0, 1, 1, 1]
    assert dots["activity"] == [0, 1, 2, 0, 1, 2]  # A and C: Submit, Review, Approve
    # limit 3: 3r mod 4 < 3 keeps ranks 0, 2, 3 (A, C, D)
    assert time_views(tiny, dot_cases=3)["dots"]["row"] == [0, 0, 0, 1, 1, 1, 2]
    # 9 instances, 4 cases: at most 4 dots lowers the limit to 4·4 // 9 = 1 case (A)
    few = time_views(tiny, dot_events=4)["dots"]
    assert (few["limit"], few["shown"], few["row"]) == (1, 1, [0, 0, 0])


@given(n=st.integers(1, 400), limit=st.integers(1, 400))
def test_sampling_rule_keeps_exactly_the_limit(n: int, limit: int) -> None:
    kept = [r for r in range(n) if r * limit % n < limit]
    assert len(kept) == min(n, limit)
    assert kept[0] == 0
    if limit < n:  # evenly spread: gaps differ by at most one rank
        gaps = np.diff([*kept, n])
        assert gaps.max() - gaps.min() <= 1


def test_top_activities_colour_and_the_rest_grey(tmp_path: Path) -> None:
    lines = ["case,activity,start,end,resource"]
    for i in range(10):  # activity a0 most frequent ... a9 least; 10 > 8 coloured ones
        for j in range(10 - i):
            lines.append(f"c{j},a{i},2024-01-{j + 1:02d} 08:{i:02d},2024-01-{j + 1:02d} "
                         f"09:{i:02d},x")
    dots = time_views(read_csv(tmp_path, "\n".join(lines) + "\n"))["dots"]
    assert dots["activities"] == [f"a{i}" for i in range(8)]
    assert sorted(set(dots["activity"])) == [-1, *range(8)]
    assert dots["activity"].count(-1) == dots["other"] == 2 + 1  # a8 in 2 cases, a9 in 1


def test_unknown_period_is_refused(tiny: EventLog) -> None:
    with pytest.raises(InputError, match="week or month"):
        time_views(tiny, bucket="day")  # type: ignore[arg-type]


def test_empty_filtered_log(tiny: EventLog) -> None:
    empty = filter_log(tiny, [{"kind": "with", "field": "activity", "values": ["Nope"]}],
                       check=False, allow_empty=True)
    views = time_views(empty)
    assert views["flow"] == [] and views["cycle_by_month"] == []
    assert views["dots"]["row"] == [] and views["workload"]["rows"] == []


# invariants on random logs ----------------------------------------------------------------

EVENTS = st.lists(st.tuples(st.integers(0, 30), st.sampled_from("abcd"),
                            st.integers(0, 400 * 24), st.integers(0, 48),
                            st.sampled_from(["x", "y", "z", ""])), min_size=1, max_size=60)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS, limit=st.integers(1, 12), bucket=st.sampled_from(["week", "month"]))
def test_invariants(tmp_path: Path, events: list[tuple[int, str, int, int, str]], limit: int,
                    bucket: str) -> None:
    base = pd.Timestamp("2023-12-20")
    lines = ["case,activity,start,end,resource"]
    for case, activity, hour, length, who in events:
        end = base + pd.Timedelta(hours=hour)
        lines.append(f"c{case},{activity},{end - pd.Timedelta(hours=length)},{end},{who}")
    log = read_csv(tmp_path, "\n".join(lines) + "\n", "Asia/Makassar")
    views = time_views(log, bucket=bucket, dot_cases=limit, top=10)  # type: ignore[arg-type]
    cases = len({e[0] for e in events})
    flow = views["flow"]
    arrivals = np.array([r["arrivals"] for r in flow])
    completions = np.array([r["completions"] for r in flow])
    assert arrivals.sum() == completions.sum() == cases
    assert [r["open"] for r in flow] == list(np.cumsum(arrivals - completions))
    assert min(r["open"] for r in flow) >= 0 and flow[-1]["open"] == 0
    assert sum(r["cases"] for r in views["cycle_by_month"]) == cases
    work = views["workload"]
    performed = sum(1 for e in events if e[4])
    assert sum(r["events"] for r in work["rows"]) + work["unknown"] == len(events)
    assert work["unknown"] == len(events) - performed
    for r in work["rows"]:
        assert sum(r["per_period"]["events"]) == r["events"]
        assert sum(r["per_period"]["seconds"]) == pytest.approx(r["seconds"])
        assert r["active"] == sum(1 for n in r["per_period"]["events"] if n)
    dots = views["dots"]
    assert dots["shown"] == min(cases, dots["limit"]) and dots["limit"] <= limit
    assert sorted(set(dots["row"])) == list(range(dots["shown"]))


# real logs against pandas -------------------------------------------------------------------

REAL = {"sepsis.csv": "UTC", "road_traffic_fines_full.csv.gz": None,
        "interval_event_log.xes": None}


@pytest.fixture(scope="module", params=[
    pytest.param(name, marks=pytest.mark.slow) if name.startswith("road") else name
    for name in REAL])
def real(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[EventLog, pd.DataFrame]:
    path = shared_file(request.param)
    ws = Workspace(tmp_path_factory.mktemp("tv") / "w.duckdb")
    name = ws.import_file(path, options=ImportOptions(tz=REAL[request.param])).name
    log = ws.log(name)
    return log, log.to_pandas()


def instances(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per activity instance: the completion rows (start and complete rows of an
    interval log paired by position, as each start is followed by its completion there)."""
    life = frame["lifecycle"].str.lower() if "lifecycle" in frame else None
    if life is None or not life.eq("start").any():
        return frame.assign(start=frame["start_timestamp"])
    starts = frame[life == "start"].sort_values(["case_id", "activity", "timestamp",
                                                 "event_id"])
    ends = frame[life == "complete"].sort_values(["case_id", "activity", "timestamp",
                                                  "event_id"]).copy()
    # FIFO per case and activity (METRICS §2)
    starts = starts.assign(k=starts.groupby(["case_id", "activity"]).cumcount())
    ends["k"] = ends.groupby(["case_id", "activity"]).cumcount()
    out = ends.merge(starts[["case_id", "activity", "k", "timestamp"]].rename(
        columns={"timestamp": "start"}), on=["case_id", "activity", "k"], how="left")
    return out


def period(times: pd.Series, zone: str, bucket: str) -> pd.Series:
    local = times.dt.tz_convert(zone).dt.tz_localize(None)
    if bucket == "month":
        return local.dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    day = local.dt.normalize()
    return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")


def expected(frame: pd.DataFrame, zone: str, bucket: str) -> dict[str, Any]:
    inst = instances(frame)
    first = inst["start"].fillna(inst["timestamp"])
    cases = inst.assign(first=first).groupby("case_id").agg(
        arrival=("first", "min"), completion=("timestamp", "max"))
    cases["cycle"] = (cases["completion"] - cases["arrival"]).dt.total_seconds()
    arr = period(cases["arrival"], zone, bucket).value_counts()
    com = period(cases["completion"], zone, bucket).value_counts()
    month = period(cases["arrival"], zone, "month").str[:7]
    cycle = cases.groupby(month)["cycle"].agg(
        cases="size", median=lambda v: float(np.quantile(v, 0.5)),
        p90=lambda v: float(np.quantile(v, 0.9)))
    who = next((g for g in ("resource", "role", "unit") if inst[g].notna().any()), None)
    if who is None:
        return {"arr": arr, "com": com, "cycle": cycle, "who": None, "cases": len(cases),
                "unknown": len(inst), "totals": pd.Series(dtype=int)}
    busy = (inst["timestamp"] - inst["start"]).dt.total_seconds()
    known = inst.assign(busy=busy, p=period(inst["timestamp"], zone, bucket))[inst[who].notna()]
    per = known.groupby([who, "p"]).agg(events=("busy", "size"), seconds=("busy", "sum"))
    return {"arr": arr, "com": com, "cycle": cycle, "who": who, "per": per,
            "hours": bool(inst["start"].notna().any()),
            "totals": known[who].value_counts(), "unknown": int(inst[who].isna().sum()),
            "cases": len(cases)}


def test_real_log_against_pandas(real: tuple[EventLog, pd.DataFrame]) -> None:
    log, frame = real
    views = time_views(log, top=10)
    check(views, expected(frame, views["zone"], views["bucket"]))


def test_filtered_real_log_against_pandas(real: tuple[EventLog, pd.DataFrame]) -> None:
    log, frame = real
    common = frame["activity"].value_counts().index[1]
    spec = [{"kind": "without", "field": "activity",
             "values": [frame["activity"].value_counts().index[-1]]},
            {"kind": "drop_events", "field": "activity", "values": [common]}]
    kept = filter_log(log, spec)
    views = time_views(kept, top=10)
    cut = frame[~frame["case_id"].isin(
        frame.loc[frame["activity"] == spec[0]["values"][0], "case_id"])]
    cut = cut[cut["activity"] != common]
    check(views, expected(cut, views["zone"], views["bucket"]))


def check(views: dict[str, Any], want: dict[str, Any]) -> None:
    flow = views["flow"]
    got_arr = {r["start"]: r["arrivals"] for r in flow if r["arrivals"]}
    got_com = {r["start"]: r["completions"] for r in flow if r["completions"]}
    assert got_arr == want["arr"].to_dict()
    assert got_com == want["com"].to_dict()
    assert sum(got_arr.values()) == want["cases"]
    opened = np.cumsum([want["arr"].get(r["start"], 0) - want["com"].get(r["start"], 0)
                        for r in flow])
    assert [r["open"] for r in flow] == list(opened)
    months = {r["month"]: r for r in views["cycle_by_month"] if r["cases"]}
    assert set(months) == set(want["cycle"].index)
    for month, row in want["cycle"].iterrows():
        got = months[month]
        assert got["cases"] == row["cases"]
        assert got["median"] == pytest.approx(row["median"], rel=1e-12, abs=1e-6)
        assert got["p90"] == pytest.approx(row["p90"], rel=1e-12, abs=1e-6)
    work = views["workload"]
    assert work["by"] == want["who"] and work["unknown"] == want["unknown"]
    totals = want["totals"]
    assert work["performers"] == len(totals)
    top = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(r["name"], r["events"]) for r in work["rows"]] == top
    if want["who"]:
        assert work["hours"] == want["hours"]
    for r in work["rows"]:
        cells = want["per"].loc[r["name"]]
        got = {p: n for p, n in zip(work["periods"], r["per_period"]["events"],
                                    strict=True) if n}
        assert got == cells["events"].to_dict()
        if work["hours"]:
            assert r["seconds"] == pytest.approx(cells["seconds"].sum(), rel=1e-9)
    dots = views["dots"]
    assert dots["cases"] == want["cases"]
    assert dots["shown"] == min(want["cases"], dots["limit"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    return path


# the report --------------------------------------------------------------------------------

def test_report_has_the_over_time_section(tiny: EventLog) -> None:
    from procflow.report.html import analysis_report

    analysis = procflow.analyze(tiny)
    for lang, heading, rows in (("en", "Over time", "Active weeks"),
                                ("id", "Dari waktu ke waktu", "Minggu aktif")):
        page = analysis_report(tiny, analysis, lang=lang)  # type: ignore[arg-type]
        section = page[page.index('<section id="time">'):]
        section = section[:section.index("</section>")]
        assert f"<h2>{heading}</h2>" in section and rows in section
        assert section.count("<svg ") == 4 and 'href="#time"' in page
        assert "<td>ana</td>" in section and "<td>citra</td>" in section
        assert "in the colour of its activity" in section or "dengan warna aktivitasnya" in (
            section)  # no activity is grey here
    # ana worked 2.5 hours (1 + 0.5 + 0.25 + 0.75)
    assert '<td class="num">2.5</td>' in analysis_report(tiny, analysis, lang="en")


def test_working_hours_with_a_calendar(tmp_path: Path) -> None:
    # Government week in Jakarta: Monday 07:30–12:00 and 13:00–16:00, Friday 07:30–11:30 and
    # 13:00–16:30; a working day is 37.5 / 5 = 7.5 hours.
    log = read_csv(tmp_path, "case,activity,start,end,resource\n"
                   "1,x,2024-01-08 11:00,2024-01-08 14:00,r\n"     # Mon: 2 working hours of 3
                   "2,y,2024-01-12 15:00,2024-01-15 09:00,r\n",    # Fri–Mon: 1.5 + 1.5 of 66
                   "Asia/Jakarta")
    plain = time_views(log)
    assert plain["workload"]["rows"][0]["per_period"]["seconds"] == [3 * HOUR, 66 * HOUR]
    assert "median_working_days" not in plain["cycle_by_month"][0]
    working = time_views(log, Settings(calendar="id"))
    assert working["workload"]["periods"] == ["2024-01-08", "2024-01-15"]
    assert working["workload"]["rows"][0]["per_period"]["seconds"] == [2 * HOUR, 3 * HOUR]
    assert working["workload"]["rows"][0]["seconds"] == 5 * HOUR
    month = working["cycle_by_month"][0]
    assert month["median"] == (3 + 66) / 2 * HOUR
    assert month["median_working_days"] == pytest.approx(2.5 / 7.5)


def test_periods_across_a_change_of_utc_offset(tmp_path: Path) -> None:
    # Amsterdam: CET (UTC+1) until 2024-03-31 02:00, then CEST (UTC+2). 2024-04-01 00:30
    # CEST is 2024-03-31 22:30 UTC: April locally, March at the winter offset.
    log = read_csv(tmp_path, "case,activity,start,end,resource\n"
                   "1,a,2024-03-01 10:00,2024-03-01 10:00,x\n"
                   "2,a,2024-04-01 00:30,2024-04-01 00:30,x\n", "Europe/Amsterdam")
    assert Local.of("Europe/Amsterdam", 1_709_283_600_000_000, 1_711_924_200_000_000
                    ).offset_us is None
    assert Local.of("Asia/Jakarta", 0, 10**15).offset_us == 7 * 3600 * 10**6
    views = time_views(log, bucket="month")
    assert [(r["start"], r["arrivals"]) for r in views["flow"]] == [
        ("2024-03-01", 1), ("2024-04-01", 1)]
    assert [r["month"] for r in views["cycle_by_month"]] == ["2024-03", "2024-04"]
    assert pd.Timestamp(views["dots"]["local_us"][-1], unit="us") == pd.Timestamp(
        "2024-04-01 00:30")
