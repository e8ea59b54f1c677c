"""The Excel workbook of an analysis and of a comparison: headline first, a sheet per table and
per case, localized names and headers, durations as Excel durations with their exact seconds,
headers on empty sheets, frozen header rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

import procflow
from procflow.cli import main
from procflow.core.i18n import Texts
from procflow.measure.cases import case_table
from procflow.report.workbook import analysis_book
from procflow.report.xlsx import write_workbook

SAMPLE = Path(__file__).parent.parent / "logs" / "permit-delayering"
SHEETS = {
    "en": ["Headline", "Activities", "Paths", "Bottlenecks", "Decisions by activity",
           "Decisions by role", "Decisions by level", "Decisions by unit",
           "Decisions by resource", "Handoffs", "Approval layers", "Variants", "Cases"],
    "id": ["Ringkasan", "Aktivitas", "Alur", "Hambatan", "Keputusan per aktivitas",
           "Keputusan per jabatan", "Keputusan per eselon", "Keputusan per unit",
           "Keputusan per pelaksana", "Serah terima", "Lapisan persetujuan", "Varian", "Kasus"],
}
ACTIVITY_HEADERS = {
    "en": ["Activity", "Instances", "Cases", "Processing: median",
           "Processing: median (seconds)", "Processing: 90th percentile"],
    "id": ["Aktivitas", "Kejadian", "Kasus", "Pengerjaan: median",
           "Pengerjaan: median (detik)", "Pengerjaan: persentil ke-90"],
}


@pytest.fixture(scope="module")
def after(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Path]]:
    """analysis.json of the sample's after.csv and its workbook in English and Indonesian."""
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Jakarta")
    analysis = procflow.analyze(log)
    cases = case_table(log, analysis.settings)
    folder = tmp_path_factory.mktemp("books")
    books = {lang: write_workbook(analysis_book(analysis, Texts(lang), cases=cases,  # type: ignore[arg-type]
                                                source="after.csv"), folder / f"{lang}.xlsx")
             for lang in ("en", "id")}
    return analysis.to_dict(), books


def header(sheet: Worksheet) -> list[Any]:
    return [c.value for c in sheet[1]]


def column(sheet: Worksheet, name: str) -> list[Any]:
    """The values under the header ``name``."""
    index = header(sheet).index(name)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_sheets_and_headers_in_the_run_language(after: tuple[dict[str, Any], dict[str, Path]],
                                                lang: str) -> None:
    _, books = after
    book = load_workbook(books[lang])
    assert book.sheetnames == SHEETS[lang]
    activities = book.worksheets[1]
    assert header(activities)[:6] == ACTIVITY_HEADERS[lang]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(c.font.bold for c in sheet[1]), sheet.title
        assert all(isinstance(h, str) and h for h in header(sheet)), sheet.title
    # the seconds behind each duration are there but hidden; the durations are wide enough
    assert activities.column_dimensions["E"].hidden and not activities.column_dimensions[
        "D"].hidden
    assert activities.column_dimensions["A"].width >= len("Persetujuan dan TTE Kepala Dinas")


def test_empty_tables_keep_their_headers(after: tuple[dict[str, Any], dict[str, Path]],
                                         tmp_path: Path) -> None:
    data, books = after
    assert data["decisions"]["by_level"] == []  # the sample has no levels
    level = load_workbook(books["en"])["Decisions by level"]
    assert header(level)[:3] == ["Level", "Decisions", "Decision latency: median"]
    # under the header, why the sheet is empty (in italics), and nothing else
    assert level.max_row == 2 and level["A2"].font.italic
    assert level["A2"].value == ("Empty: the log names no level for the performers of the "
                                 "decision steps.")
    assert load_workbook(books["id"])["Keputusan per eselon"]["A2"].value == (
        "Kosong: log tidak menyebut level pelaksana langkah keputusan.")
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Jakarta")
    none = procflow.analyze(log, decision_activities=[])
    book = load_workbook(write_workbook(analysis_book(none, Texts("id")), tmp_path / "n.xlsx"))
    for title in ("Keputusan per aktivitas", "Lapisan persetujuan"):
        assert book[title].max_row == 2 and header(book[title])[0], title
        assert book[title]["A2"].value == (
            "Kosong: belum ada langkah keputusan yang dipilih, sehingga tidak ada keputusan. "
            "Pilih langkah keputusan di pengaturan analisis."), title
    # a sheet with rows has no note
    assert book["Aktivitas"]["A2"].value and not book["Aktivitas"]["A2"].font.italic
    assert book.sheetnames[-1] == "Varian"  # without a case table, no case sheet


def test_values_and_formats_match_analysis_json(after: tuple[dict[str, Any], dict[str, Path]]
                                                ) -> None:
    data, books = after
    book = load_workbook(books["en"])
    head = {row[0]: row[1:] for row in book["Headline"].iter_rows(min_row=2, values_only=True)}
    assert head["Log"][0] == "after" and head["Source file"][0] == "after.csv"
    assert head["Cases"][0] == data["log"]["cases"] == 2000
    median, seconds, unit = head["Cycle time: median"]
    assert seconds == data["cycle_time"]["median"] == 1283940.0 and unit == "hours:minutes"
    assert median == dt.timedelta(seconds=1283940)
    assert head["Cases with ping-pong"][0] == data["handoffs"]["ping_pong"]["share"]
    assert head["Handoffs per case: mean"][0] == data["handoffs"]["per_case"]["mean"]
    assert head["Approval layers per case: mean"][0] == (data["layers"] or {}).get(
        "per_case", {}).get("mean")
    assert head["Decision steps"][0] == ", ".join(data["decisions"]["activities"])
    assert head["Handoffs between"][0] == "resource"
    formats = {row[0].value: row[1].number_format for row in book["Headline"].iter_rows(min_row=2)}
    assert formats["Cases"] == "#,##0" and formats["Cycle time: median"] == "[h]:mm"
    assert formats["Cases with ping-pong"] == "0.0%"
    assert formats["First event (UTC)"] == "yyyy-mm-dd hh:mm"
    activities = book["Activities"]
    assert column(activities, "Activity") == [a["activity"] for a in data["activities"]]
    assert column(activities, "Waiting: median (seconds)") == [
        a["wait"]["median"] for a in data["activities"]]
    assert activities["D2"].number_format == "[h]:mm" and activities["B2"].number_format == (
        "#,##0")
    variants = book["Variants"]
    assert column(variants, "Cases") == [v["cases"] for v in data["variants"]["top"]]
    assert column(variants, "Share of cases") == [v["cases"] / 2000
                                                  for v in data["variants"]["top"]]
    assert variants["C2"].number_format == "0.0%"
    cases = book["Cases"]
    cycle = sorted(column(cases, "Cycle time (seconds)"))
    assert len(cycle) == 2000 and (cycle[999] + cycle[1000]) / 2 == data["cycle_time"]["median"]
    assert sum(column(cases, "Handoffs")) == data["handoffs"]["total"]
    assert cases["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert isinstance(cases["B2"].value, dt.datetime)


def test_indonesian_headline(after: tuple[dict[str, Any], dict[str, Path]]) -> None:
    _, books = after
    head = {row[0]: row[1:] for row in load_workbook(books["id"])["Ringkasan"].iter_rows(
        min_row=1, values_only=True)}
    assert head["Angka"] == ("Nilai", "Nilai (detik)", "Satuan")
    assert head["Waktu penyelesaian: median"] == (dt.timedelta(seconds=1283940), 1283940.0,
                                                  "jam:menit")
    assert head["Serah terima antar"][0] == "pelaksana"


def test_comparison_workbook(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["compare", str(SAMPLE / "before.csv"),
                                    str(SAMPLE / "after.csv"), "--tz", "Asia/Jakarta", "--out",
                                    str(tmp_path), "--xlsx", "--lang", "id"])
    assert out.exit_code == 0, out.output
    data = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    book = load_workbook(tmp_path / "tables.xlsx")
    assert book.sheetnames == ["Ringkasan", "Ukuran", "Alur yang dihapus",
                               "Alur yang ditambahkan", "Alur yang berubah",
                               "Varian yang muncul", "Varian yang hilang"]
    kpis = book["Ukuran"]
    cycle = next(r for r in kpis.iter_rows(min_row=2) if r[0].value == "Waktu penyelesaian")
    heads = header(kpis)
    change = heads.index("Perubahan median")
    kpi = next(k for k in data["kpis"] if k["name"] == "cycle_time")
    assert cycle[change + 1].value == kpi["diff_median"]
    assert cycle[change].value == pytest.approx(kpi["diff_median"] / 86400)
    assert cycle[change].number_format == '+#,##0.000" hr";-#,##0.000" hr";0" hr"'
    assert cycle[heads.index("Kesimpulan")].value == "membaik"
    assert cycle[heads.index("Sebelum: median")].number_format == "[h]:mm"
    head = {(r[0], r[1]): r[2] for r in book["Ringkasan"].iter_rows(min_row=2, values_only=True)}
    assert head[("Tahap keputusan", "Sebelum")] == ", ".join(data["decisions"]["before"])
    assert head[("Tahap keputusan", "Sesudah")] == ", ".join(data["decisions"]["after"])
    rows = {r[0]: r[1] for r in book["Ringkasan"].iter_rows(min_row=2, values_only=True)}
    assert rows["Serah terima antar"] == "pelaksana"
    assert rows["Hanya kasus yang sudah selesai"] == "tidak"
    removed = book["Alur yang dihapus"]
    assert header(removed)[:3] == ["Dari", "Kepada", "Perpindahan"]
    assert removed.max_row == len(data["dfg_diff"]["removed"]) + 1
