"""Charts of a log over time: what is drawn (dots, cells, gaps), the words in both languages,
dates on the axes, safe and identical SVG."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import procflow
from procflow.core.i18n import Texts
from procflow.measure.time_views import time_views
from procflow.render import time_charts as tc
from procflow.report.svg import inline_svg
from tests.test_charts import texts, words
from tests.test_time_views import TINY, read_csv

ID, EN = Texts("id"), Texts("en")


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return time_views(read_csv(tmp_path_factory.mktemp("charts"), TINY))


def draw(views: dict[str, Any], t: Texts) -> dict[str, str]:
    return {"flow": tc.flow_chart(views["flow"], views["bucket"], zone=views["zone"],
                                  title="Flow", t=t),
            "cycle": tc.cycle_chart(views["cycle_by_month"], title="Cycle", t=t),
            "dots": tc.dotted_chart(views["dots"], title="Dots", t=t),
            "work": tc.workload_heatmap(views["workload"], views["bucket"], title="Work", t=t)}


def dots_of(svg: str) -> int:
    return len(re.findall(r"M-?[\d.]+ -?[\d.]+h0", svg))


def cells_of(svg: str) -> list[str]:
    """The colour of each heat-map cell: the closed rectangles of the clipped patches."""
    patches = re.findall(r'<g id="patch_\d+">\s*<path d="([^"]+)" clip-path="[^"]+" '
                         r'style="fill: (#[0-9a-f]{6})"', svg)
    return [colour for d, colour in patches for _ in range(d.count("z"))]


def test_words_in_both_languages(views: dict[str, Any]) -> None:
    en, id_ = draw(views, EN), draw(views, ID)
    assert "Cases per week" in words(en["flow"]) and "Open cases" in words(en["flow"])
    assert "Kasus per minggu" in words(id_["flow"]) and "Kasus terbuka" in words(id_["flow"])
    assert "Periods in UTC" in words(en["flow"]) and "Periode dalam zona UTC" in words(id_["flow"])
    assert "masuk" in texts(id_["flow"]) and "selesai" in texts(id_["flow"])
    assert "Cycle time (days)" in words(en["cycle"]) and "Waktu penyelesaian (hari)" in words(
        id_["cycle"])
    assert "Persentil ke-90" in texts(id_["cycle"])
    assert "All 4 cases." in words(en["dots"]) and "Semua 4 kasus." in words(id_["dots"])
    assert "Events per week" in words(en["work"]) and "Peristiwa per minggu" in words(
        id_["work"])


def test_dates_are_numeric_on_the_axes(views: dict[str, Any]) -> None:
    svg = draw(views, EN)["flow"]
    dates = [s for s in texts(svg) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s)]
    assert len(dates) >= 3 and dates == sorted(dates)
    assert all("2024-01-01" <= d <= "2024-02-12" for d in dates)
    assert texts(draw(views, ID)["flow"]).count(dates[0]) == 1  # the same in Indonesian


def test_one_dot_per_event_and_the_legend(views: dict[str, Any]) -> None:
    svg = draw(views, EN)["dots"]
    assert dots_of(svg) == len(views["dots"]["row"]) == 9
    legend = texts(svg)
    assert {"Submit", "Review", "Approve"} <= set(legend)
    assert "other activities" not in legend  # every activity has its colour


def test_sampled_dotted_chart_says_so(views: dict[str, Any]) -> None:
    sample = {**views["dots"], "cases": 12_345, "sampled": True, "shown": 4}
    en = words(tc.dotted_chart(sample, title="Dots", t=EN))
    assert "4 of 12,345 cases shown: an even sample by arrival" in en
    id_ = words(tc.dotted_chart(sample, title="Dots", t=ID))
    assert "4 dari 12.345 kasus ditampilkan" in id_


def test_other_activities_are_grey(views: dict[str, Any]) -> None:
    dots = {**views["dots"], "activities": ["Submit"],
            "activity": [0 if a == 0 else -1 for a in views["dots"]["activity"]]}
    svg = tc.dotted_chart(dots, title="Dots", t=EN)
    assert "other activities" in texts(svg) and tc.OTHER in svg
    assert dots_of(svg) == 9


def test_heat_map_draws_a_cell_per_busy_period(views: dict[str, Any]) -> None:
    svg = draw(views, EN)["work"]
    busy = sum(1 for r in views["workload"]["rows"] for n in r["per_period"]["events"] if n)
    colours = cells_of(svg)
    assert len(colours) == busy == 8  # ana 3, budi 3, citra 2 weeks with events
    # two shades: ana's 2 events in the first week are the one darker cell
    shades = sorted(set(colours), key=lambda c: sum(int(c[i:i + 2], 16) for i in (1, 3, 5)))
    assert len(shades) == 2 and colours.count(shades[0]) == 1
    assert [label for label in texts(svg) if label in ("ana", "budi", "citra")] == [
        "ana", "budi", "citra"]


def test_heat_map_says_how_many_performers_are_left_out(views: dict[str, Any]) -> None:
    work = {**views["workload"], "performers": 40}
    assert "The 3 most active of 40; white: no event." in words(
        tc.workload_heatmap(work, "week", title="Work", t=EN))


def test_months_without_arrivals_are_gaps() -> None:
    months = [{"month": "2024-01", "cases": 2, "median": 2 * 86400.0, "p90": 4 * 86400.0},
              {"month": "2024-02", "cases": 0, "median": None, "p90": None},
              {"month": "2024-03", "cases": 1, "median": 86400.0, "p90": 86400.0}]
    svg = tc.cycle_chart(months, title="Cycle", t=EN)
    lines = re.findall(r'<path d="([^"]+)"[^>]*stroke-width: 1.5', svg)
    # median and p90: January and March are points not joined across February (no "L");
    # the legend's two samples are the other lines
    data = [d for d in lines if "L" not in d]
    assert len(data) == 2 and all(d.count("M") == 2 for d in data)


def test_empty_input_says_no_data() -> None:
    for svg in (tc.flow_chart([], "week", zone="UTC", title="F", t=EN),
                tc.cycle_chart([], title="C", t=EN),
                tc.dotted_chart({"cases": 0, "shown": 0, "sampled": False, "activities": [],
                                 "row": [], "local_us": [], "activity": []}, title="D", t=EN),
                tc.workload_heatmap({"by": None, "hours": False, "periods": [], "rows": [],
                                     "performers": 0, "unknown": 0}, "week", title="W", t=EN)):
        assert "No data" in texts(svg)


def test_inline_ready_deterministic_and_safe(views: dict[str, Any]) -> None:
    first, second = draw(views, EN), draw(views, EN)
    assert first == second
    for name, svg in first.items():
        assert svg.startswith("<svg ") and "<image" not in svg, name
        etree.fromstring(svg.encode("utf-8"))
        inlined = str(inline_svg(svg))
        assert dots_of(inlined) == dots_of(svg) and len(inlined) > 0.9 * len(svg), name


def test_hostile_activity_names_stay_text(views: dict[str, Any]) -> None:
    dots = {**views["dots"], "activities": ["<script>alert(1)</script>", "$x^2$", "Approve"]}
    svg = tc.dotted_chart(dots, title="Dots", t=EN)
    assert "<script>" not in svg and "<script>alert(1)</script>" in texts(svg)
    assert "$x^2$" in texts(svg)


def test_real_log_charts_stay_small(tmp_path: Path) -> None:
    """sepsis: 1,050 cases, 15,214 events in one chart of well under a megabyte."""
    from tests.conftest import shared_file

    real = time_views(procflow.read(shared_file("sepsis.csv"), tz="UTC"))
    charts = draw(real, ID)
    assert dots_of(charts["dots"]) == len(real["dots"]["row"]) == 15_214
    assert len(charts["dots"]) < 400_000
    assert len(charts["work"]) < 250_000
