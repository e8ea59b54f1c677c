"""Report charts: the numbers drawn, the words in both languages, safe and identical SVG."""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from lxml import etree

from procflow.core.i18n import Texts
from procflow.render import charts
from procflow.render.charts import box_stats, label

DAY = 86400.0
HOUR = 3600.0
SVG = "{http://www.w3.org/2000/svg}"
ID, EN = Texts("id"), Texts("en")


def texts(svg: str) -> list[str]:
    """The text of every ``<text>`` element, in drawing order (fails on invalid XML)."""
    root = etree.fromstring(svg.encode("utf-8"))
    assert root.tag == SVG + "svg"
    return ["".join(el.itertext()) for el in root.iter(SVG + "text")]


def words(svg: str) -> str:
    """All the text of a drawing on one line (wrapped notes joined again)."""
    return " ".join(" ".join(texts(svg)).split())


def ids(svg: str, tag: str) -> set[str]:
    return {el.get("id") for el in etree.fromstring(svg.encode()).iter(SVG + tag)}


# --- fixed inputs, rendered once per language ---------------------------------------------

GROUPS = {"Verifikasi": np.array([1.0, 2.0, 3.0, 4.0]) * DAY,      # median 2.5 days
          "Paraf Kabid": np.array([2.0, 3.0, 4.0]) * DAY,          # median 3 days
          "TTE": np.array([0.5, 1.0, np.nan]) * DAY}                # NaN ignored: median 0.75
BARS = {"Verifikasi": 0.5, "TTE": 0.125, "Paraf": 0.375}
LAYERS = {"10": 8, "2": 1578, "3": 414}
BEFORE = {"2": 1500, "3": 500}
AFTER = {"2": 900, "4": 100}
FOREST = [("Cycle time", -3.2 * DAY, -4.5 * DAY, -1.9 * DAY, "improved"),
          ("Decision latency", 0.6 * DAY, 0.1 * DAY, 1.2 * DAY, "worsened"),
          ("Handoffs", -0.2 * DAY, -0.9 * DAY, 0.4 * DAY, "unchanged")]


MONTHS = {"2024-03": 0.5, "2024-01": 0.75, "2024-02": 1.0}  # drawn in this order


@cache
def box(lang: str) -> str:
    return charts.box_plot(GROUPS, title="Latency", t=Texts(lang))  # type: ignore[arg-type]


@cache
def bars(lang: str) -> str:
    return charts.bar_chart(BARS, title="Shares", t=Texts(lang), unit="share")  # type: ignore[arg-type]


@cache
def hist(lang: str) -> str:
    return charts.histogram(LAYERS, title="Layers", xlabel="Layers", t=Texts(lang))  # type: ignore[arg-type]


@cache
def paired(lang: str) -> str:
    return charts.paired_histogram(BEFORE, AFTER, title="Layers", xlabel="Layers",
                                   t=Texts(lang))  # type: ignore[arg-type]


@cache
def forest(lang: str) -> str:
    return charts.forest_plot(FOREST, title="Change", t=Texts(lang), unit="seconds")  # type: ignore[arg-type]


@cache
def periods(lang: str) -> str:
    return charts.share_by_period(MONTHS, title="Within", xlabel="Month",
                                  t=Texts(lang))  # type: ignore[arg-type]


ALL = (box, bars, hist, paired, forest, periods)


# --- box statistics ---------------------------------------------------------------------------

@pytest.mark.parametrize("values", [
    [5.0], [3.0, 1.0], [1.0, 2.0, 3.0, 4.0], [7.0, 1.0, 3.0, 9.0, 2.0],
    list(np.random.default_rng(7).lognormal(10, 1, 1001)),
    list(np.random.default_rng(8).exponential(5000, 20)),
])
def test_box_stats_are_numpys(values: list[float]) -> None:
    stats = box_stats(np.array([*values, math.nan, math.inf]))  # non-finite values are dropped
    a = np.array(values)
    assert stats == {"n": len(values), "median": np.median(a), "q1": np.percentile(a, 25),
                     "q3": np.percentile(a, 75), "p5": np.percentile(a, 5),
                     "p95": np.percentile(a, 95)}


def test_box_stats_small_example_by_hand() -> None:
    assert box_stats([1, 2, 3, 4]) == pytest.approx(
        {"n": 4, "p5": 1.15, "q1": 1.75, "median": 2.5, "q3": 3.25, "p95": 3.85}, abs=1e-12)


def test_box_stats_of_nothing() -> None:
    stats = box_stats([math.nan])
    assert stats["n"] == 0
    assert all(math.isnan(stats[k]) for k in ("p5", "q1", "median", "q3", "p95"))


# --- box plot ---------------------------------------------------------------------------------

def test_box_plot_rows_by_median_with_median_and_n() -> None:
    drawn = texts(box("id"))
    assert [x for x in drawn if x in GROUPS] == ["Paraf Kabid", "Verifikasi", "TTE"]
    notes = [x for x in drawn if x.startswith("median")]
    assert notes == ["median 3,0 hari · n = 3", "median 2,5 hari · n = 4",
                     "median 18,0 jam · n = 2"]
    assert "hari" in drawn and "Latency" in drawn
    assert "median 2.5 days · n = 4" in texts(box("en")) and "days" in texts(box("en"))


def test_box_plot_ticks_in_locale_format() -> None:
    groups = {"a": np.array([0.0, 0.5, 1.0, 1.5, 2.0]), "b": np.array([0.2, 0.4])}
    id_ = texts(charts.box_plot(groups, title="x", t=ID, unit="count"))
    en = texts(charts.box_plot(groups, title="x", t=EN, unit="count"))
    assert "median 1 · n = 5" in id_ and "median 0,3 · n = 2" in id_
    assert "median 0.3 · n = 2" in en
    assert {"0", "1", "2"} <= set(id_) and "0,5" not in id_  # counts: whole-number ticks
    rows = [("a", -1.0, -1.5, -0.5, "improved")]
    id_ = texts(charts.forest_plot(rows, title="x", t=ID, unit="count"))
    en = texts(charts.forest_plot(rows, title="x", t=EN, unit="count"))
    assert {"−1,5", "−1,0", "−0,5", "0,0"} <= set(id_)
    assert {"−1.5", "−1.0", "−0.5", "0.0"} <= set(en)


@pytest.mark.parametrize(("seconds", "t", "unit"), [
    (600.0, ID, "menit"), (5 * HOUR, EN, "hours"), (47 * HOUR, ID, "jam"), (48 * HOUR, EN, "days")])
def test_box_plot_unit_follows_the_data(seconds: float, t: Texts, unit: str) -> None:
    drawn = texts(charts.box_plot({"a": np.array([seconds / 2, seconds])}, title="x", t=t))
    assert unit in drawn
    assert {"menit", "minutes", "jam", "hours", "hari", "days"} & set(drawn) == {unit}


def test_box_plot_limit_says_what_is_left_out() -> None:
    groups = {f"step {i}": np.array([i, i + 1.0]) * DAY for i in range(5)}
    svg = charts.box_plot(groups, title="x", t=ID, limit=3)
    shown = [x for x in texts(svg) if x.startswith("step")]
    assert shown == ["step 4", "step 3", "step 2"]
    assert "3 dari 5 ditampilkan, median tertinggi lebih dulu; 2 tidak ditampilkan." in words(svg)
    en = charts.box_plot(groups, title="x", t=EN, limit=3)
    assert "3 of 5 shown, highest median first; 2 not shown." in words(en)
    assert "not shown" not in words(charts.box_plot(groups, title="x", t=EN, limit=5))


def test_small_groups_show_outliers_big_ones_do_not() -> None:
    values = np.arange(1.0, 21.0) * DAY  # 20 values: 1 below the 5th, 1 above the 95th percentile
    small = charts.box_plot({"a": values}, title="x", t=EN)
    big = charts.box_plot({"a": np.repeat(values, 5)}, title="x", t=EN)
    assert small.count("<use ") - big.count("<use ") == 2


# --- bars and histograms ----------------------------------------------------------------------

def test_bar_chart_largest_first_with_values() -> None:
    drawn = texts(bars("id"))
    assert [x for x in drawn if x in BARS] == ["Verifikasi", "Paraf", "TTE"]
    assert {"50,0%", "37,5%", "12,5%", "Bagian dari total"} <= {x.strip() for x in drawn}
    assert {"50.0%", "Share of the total"} <= {x.strip() for x in texts(bars("en"))}


def test_bar_chart_durations_and_limit() -> None:
    values = {f"s{i}": (i + 1) * DAY for i in range(20)}
    svg = charts.bar_chart(values, title="x", t=ID, unit="seconds", limit=4)
    drawn = [x.strip() for x in texts(svg)]
    assert [x for x in drawn if x in values] == ["s19", "s18", "s17", "s16"]
    assert {"20,0 hari", "hari"} <= set(drawn)
    assert "4 dari 20 ditampilkan, terbesar lebih dulu; 16 tidak ditampilkan." in words(svg)


def test_histogram_numeric_order_counts_and_shares() -> None:
    drawn = texts(hist("id"))
    assert [x for x in drawn if x in LAYERS] == ["2", "3", "10"]
    assert {"1.578", "79%", "414", "21%", "8", "0,4%", "Kasus", "Layers"} <= set(drawn)
    assert {"1,578", "Cases"} <= set(texts(hist("en")))


def test_paired_histogram_shares_and_legend() -> None:
    drawn = texts(paired("id"))
    assert {"sebelum (n = 2.000)", "sesudah (n = 1.000)", "Porsi kasus"} <= set(drawn)
    assert [x for x in drawn if x in ("2", "3", "4")][:3] == ["2", "3", "4"]
    assert sorted(x for x in drawn if x.endswith("%") and len(x) <= 3) == sorted(
        ["75%", "25%", "0%",  # before: 2, 3, 4 layers
         "90%", "0%", "10%",  # after
         "0%", "20%", "40%", "60%", "80%"])  # axis
    assert {"before (n = 2,000)", "after (n = 1,000)"} <= set(texts(paired("en")))


def test_share_by_period_keeps_the_order_with_percentages() -> None:
    drawn = [x.strip() for x in texts(periods("id"))]
    assert [x for x in drawn if x in MONTHS] == ["2024-03", "2024-01", "2024-02"]
    assert {"50%", "75%", "100%", "Month", "Within"} <= set(drawn)
    assert drawn.count("100%") == 2  # the bar's label and the axis


# --- forest plot ------------------------------------------------------------------------------

def test_forest_plot_numbers_verdicts_and_axis() -> None:
    drawn = texts(forest("id"))
    assert [x for x in drawn if x in dict.fromkeys(r[0] for r in FOREST)] == [
        "Cycle time", "Decision latency", "Handoffs"]
    assert {"−3,2 [−4,5; −1,9]", "+0,6 [+0,1; +1,2]", "−0,2 [−0,9; +0,4]"} <= set(drawn)
    assert {"membaik", "memburuk", "tidak berubah",
            "Perubahan median, sesudah − sebelum (hari)"} <= set(drawn)
    en = set(texts(forest("en")))
    assert {"improved", "worsened", "unchanged", "−3.2 [−4.5; −1.9]",
            "Change in median, after − before (days)"} <= en


def test_forest_plot_colours_only_verdicts_present() -> None:
    svg = charts.forest_plot([("a", -2.0, -3.0, -1.0, "improved"), ("b", 0.0, None, None, "x")],
                             title="t", t=EN, unit="count")
    drawn = texts(svg)
    assert "improved" in drawn and "unchanged" in drawn and "worsened" not in drawn
    assert "#009e73" in svg and "#8c8c8c" in svg and "#d55e00" not in svg
    assert "−2 [−3; −1]" in drawn and "0" in drawn
    assert "Change in median, after − before" in drawn


# --- all charts -------------------------------------------------------------------------------

@pytest.mark.parametrize("chart", ALL)
def test_inline_ready_and_deterministic(chart: object) -> None:
    svg = chart("id")  # type: ignore[operator]
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "DOCTYPE" not in svg
    assert "<image" not in svg and "<script" not in svg and 'xlink:href="http' not in svg
    assert "<a " not in svg and "<text" in svg  # text stays text
    assert "Date" not in svg and "matplotlib.org" not in svg
    chart.cache_clear()  # type: ignore[attr-defined]
    assert chart("id") == svg  # type: ignore[operator]


def test_charts_do_not_share_ids() -> None:
    a = charts.histogram({"1": 5}, title="a", xlabel="x", t=EN)
    b = charts.histogram({"1": 6}, title="b", xlabel="x", t=EN)
    assert ids(a, "clipPath") and not ids(a, "clipPath") & ids(b, "clipPath")


EMPTY = [
    lambda t: charts.box_plot({}, title="T", t=t),
    lambda t: charts.box_plot({"a": np.array([np.nan])}, title="T", t=t),
    lambda t: charts.bar_chart({}, title="T", t=t, unit="seconds"),
    lambda t: charts.histogram({}, title="T", xlabel="x", t=t),
    lambda t: charts.histogram({"2": 0}, title="T", xlabel="x", t=t),
    lambda t: charts.paired_histogram({}, {}, title="T", xlabel="x", t=t),
    lambda t: charts.forest_plot([], title="T", t=t, unit="count"),
    lambda t: charts.share_by_period({}, title="T", xlabel="x", t=t),
]


@pytest.mark.parametrize("chart", EMPTY)
def test_empty_input_says_no_data(chart: object) -> None:
    assert sorted(texts(chart(ID))) == ["T", "Tidak ada data"]  # type: ignore[operator]
    assert sorted(texts(chart(EN))) == ["No data", "T"]  # type: ignore[operator]


# --- untrusted names --------------------------------------------------------------------------

HOSTILE = {"<b>x</b>": 3.0, "A & B": 2.0, "$x^2$ \\alpha": 1.5, "😀 Paraf": 1.0,
           "L" * 10_000: 0.5, "bad\x00\x1b\u202eeman": 0.25}


@pytest.mark.parametrize("chart", [
    lambda: charts.box_plot({k: np.array([v, v + 1]) * DAY for k, v in HOSTILE.items()},
                            title="<b>x</b>", t=EN),
    lambda: charts.bar_chart(HOSTILE, title="<b>x</b>", t=EN, unit="count"),
    lambda: charts.forest_plot([(k, v, v - 1, v + 1, "improved") for k, v in HOSTILE.items()],
                               title="<b>x</b>", t=EN, unit="count"),
])
def test_hostile_labels_stay_plain_text(chart: object) -> None:
    svg = chart()  # type: ignore[operator]
    drawn = texts(svg)  # valid XML despite NUL and escape characters
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and "<b>" not in svg and "A &amp; B" in svg
    assert drawn.count("<b>x</b>") == 2  # title and row
    assert "$x^2$ \\alpha" in drawn  # not mathtext
    assert "😀 Paraf" in drawn and "bad eman" in drawn and "\u202e" not in svg
    cut = [x for x in drawn if x.startswith("L")]
    assert len(cut) == 1 and cut[0].endswith("L…") and len(cut[0]) <= 52
    assert "L" * 52 not in svg
    assert "<script" not in svg and "<image" not in svg and len(svg) < 60_000
    assert 'aria-label="&lt;b&gt;x&lt;/b&gt;"' in svg


def test_hostile_title_and_axis_label() -> None:
    svg = charts.histogram({"1": 3}, title='"><script>alert(1)</script>', xlabel="$a$ <i>",
                           t=EN)
    assert "<script" not in svg and "$a$ <i>" in texts(svg)
    assert re.search(r'aria-label="&quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;"', svg)


def test_label() -> None:
    assert label("  a\n\tb  ") == "a b"
    assert label("x" * 41) == "x" * 39 + "…" and len(label("x" * 41)) == 40
    assert label("x" * 40) == "x" * 40
    assert label("\x00\u202e") == "–"
    assert label("ab\ud800c") == "abc"  # lone surrogate dropped: the SVG stays encodable


def test_global_matplotlib_state_untouched() -> None:
    before = dict(mpl.rcParams)
    charts.box_plot({"a": np.array([1.0, 2.0])}, title="x", t=EN)
    assert dict(mpl.rcParams) == before
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from) matplotlib(\.pyplot| import pyplot)", source, re.M)
    assert "mpl.use(" not in source and "matplotlib.use(" not in source
