"""Filter options on every command that reads a log: exit codes, the ``filter`` block of each
result, the order of the options, and one-line errors naming the option and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from procflow import ImportOptions, Workspace
from procflow.cli import main
from procflow.cli.filtering import filters_in_order
from procflow.filters import TopVariants, Values
from tests.conftest import SAMPLE

PERIOD = ["--period", "2024-03-01..2024-06-30"]
DROP = "activity=Perbaikan Berkas oleh Pemohon"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "w.duckdb"
    with Workspace(path) as workspace:
        for side in ("before", "after"):
            workspace.import_file(SAMPLE / f"{side}.csv", options=ImportOptions(
                tz="Asia/Makassar", orgchart=SAMPLE / "orgchart.csv"))
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def ok(*args: str) -> str:
    code, out = run(*args)
    assert code == 0, out
    return out


def test_analyze_writes_the_filter_block_and_says_what_was_kept(ws: str, tmp_path: Path) -> None:
    out = ok("analyze", "after", "--workspace", ws, "--out", str(tmp_path), *PERIOD,
             "--with", "role=Kepala Dinas", "--top-variants", "3")
    data = json.loads((tmp_path / "analysis.json").read_text(encoding="utf-8"))
    block = data["filter"]
    assert block["filters"] == [
        {"kind": "period", "from": "2024-03-01", "to": "2024-06-30", "mode": "started",
         "tz": None},
        {"kind": "with", "field": "role", "values": ["Kepala Dinas"]},
        {"kind": "top_variants", "n": 3}]
    assert block["cases"]["kept"] == data["log"]["cases"] < block["cases"]["total"] == 2000
    assert block["steps"][0]["zone"] == "Asia/Makassar"  # the import zone
    kept, total = block["cases"]["kept"], block["cases"]["total"]
    assert (f"Filtered: {kept:,} of {total:,} cases ({kept / total:.1%}), "
            f"{block['events']['kept']:,} of 13,273 events") in out
    assert "1. cases that started from 2024-03-01 to 2024-06-30 (Asia/Makassar time)" in out
    assert "3. cases of the 3 most frequent variants" in out


def test_options_apply_in_command_line_order(ws: str, tmp_path: Path) -> None:
    def block(*options: str) -> dict[str, Any]:
        out = ok("analyze", "after", "--workspace", ws, "--out", str(tmp_path), "--json",
                 *options)
        return json.loads(out)["filter"]

    ends = "activity=Pendaftaran Permohonan,Penerbitan Izin"
    cut_first = block("--keep-events", ends, "--top-variants", "1")
    rank_first = block("--top-variants", "1", "--keep-events", ends)
    assert [f["kind"] for f in cut_first["filters"]] == ["keep_events", "top_variants"]
    assert [f["kind"] for f in rank_first["filters"]] == ["top_variants", "keep_events"]
    # Cut to its ends, every case has the one variant; ranked first, the top variant's 664.
    assert (cut_first["cases"]["kept"], rank_first["cases"]["kept"]) == (2000, 664)
    # Repeated options and --filter JSON keep their places too.
    mixed = block("--with", "role=Kepala Dinas", "--filter", '[{"kind": "top_variants", "n": 2}]',
                  "--with", "activity=Penerbitan Izin")
    assert [f["kind"] for f in mixed["filters"]] == ["with", "top_variants", "with"]


def test_order_recovery_of_interleaved_values() -> None:
    order = ["filter_with", "filter_top_variants", "filter_with"]
    values = {"filter_with": ["activity=A", "activity=B"], "filter_top_variants": ["2"],
              "filter_json": []}
    assert filters_in_order(order, values, "started", None) == [
        Values("with", "activity", ("A",)), TopVariants(2), Values("with", "activity", ("B",))]


def test_filter_json_from_a_file(ws: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('[{"kind": "duration", "min": "30d", "max": null}]', encoding="utf-8")
    data = json.loads(ok("analyze", "after", "--workspace", ws, "--out", str(tmp_path),
                         "--json", "--filter", f"@{spec}"))
    assert data["filter"]["filters"] == [{"kind": "duration", "min": 2592000.0, "max": None}]
    assert data["cycle_time"]["n"] == data["filter"]["cases"]["kept"]
    assert data["cycle_time"]["max"] >= data["cycle_time"]["median"] >= 2592000.0


def test_a_file_read_on_the_fly_is_filtered_too(tmp_path: Path) -> None:
    out = ok("analyze", str(SAMPLE / "before.csv"), "--tz", "Asia/Makassar", "--out",
             str(tmp_path), "--json", "--starts-with", "Pendaftaran Permohonan",
             "--directly-follows", "Verifikasi Berkas>Perbaikan Berkas oleh Pemohon")
    data = json.loads(out)
    assert data["filter"]["cases"]["total"] == 2000
    assert data["log"]["cases"] == data["filter"]["cases"]["kept"] == 579
    assert data["dfg"]["start"] == {"Pendaftaran Permohonan": data["log"]["cases"]}


def test_map_and_handoff_map(ws: str, tmp_path: Path) -> None:
    out = ok("map", "after", "--workspace", ws, "--out", str(tmp_path / "m.dot"), *PERIOD)
    assert "Filtered:" in out
    assert "Filtered: " in (tmp_path / "m.dot").read_text(encoding="utf-8")
    data = json.loads(ok("handoff-map", "after", "--workspace", ws, "--out",
                         str(tmp_path / "h.svg"), "--json", "--follows",
                         "Paraf Koordinator>Penerbitan Izin"))
    assert data["filter"]["filters"] == [{"kind": "follows", "from": "Paraf Koordinator",
                                          "to": "Penerbitan Izin"}]
    assert json.loads((tmp_path / "h.json").read_text(encoding="utf-8"))["filter"] == \
        data["filter"]


def test_report_says_it_is_filtered(ws: str, tmp_path: Path) -> None:
    ok("report", "after", "--workspace", ws, "--out", str(tmp_path), "--lang", "id", *PERIOD,
       "--period-mode", "contained")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Disaring: " in html and "kasus yang seluruhnya berlangsung dari 2024-03-01" in html
    assert json.loads((tmp_path / "analysis.json").read_text(encoding="utf-8"))["filter"]


def test_compare_filters_each_side(ws: str, tmp_path: Path) -> None:
    data = json.loads(ok(
        "compare", "before", "after", "--workspace", ws, "--json", "--out", str(tmp_path),
        "--top-variants", "5", "--after-filter",
        '[{"kind": "duration", "min": null, "max": "60d"}]'))
    before, after = data["filter"]["before"], data["filter"]["after"]
    assert [f["kind"] for f in before["filters"]] == ["top_variants"]
    assert [f["kind"] for f in after["filters"]] == ["top_variants", "duration"]
    assert (data["before"]["cases"], data["after"]["cases"]) == (
        before["cases"]["kept"], after["cases"]["kept"])
    assert "Disaring" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_compare_split_is_a_filter(ws: str, tmp_path: Path) -> None:
    both = pd.concat([pd.read_csv(SAMPLE / f"{s}.csv", sep=";", encoding="utf-8-sig")
                      for s in ("before", "after")])
    path = tmp_path / "both.csv"
    both.to_csv(path, sep=";", index=False)
    out = ok("compare", str(path), "--split", "2024-01-01", "--tz", "Asia/Makassar", "--json",
             "--without", "activity=Perbaikan Berkas oleh Pemohon")
    data = json.loads(out)
    assert data["before"]["name"] == "both before 2024-01-01"
    assert data["after"]["name"] == "both from 2024-01-01"
    assert [f["kind"] for f in data["filter"]["before"]["filters"]] == ["without", "split"]
    assert data["filter"]["after"]["filters"][1] == {
        "kind": "split", "at": "2024-01-01T00:00:00+08:00", "side": "after"}
    assert data["filter"]["before"]["cases"]["total"] == 4000


def test_conform_discover_and_export(ws: str, tmp_path: Path) -> None:
    data = json.loads(ok("conform", "after", "--workspace", ws, "--json", "--model",
                         str(SAMPLE.parents[1] / "models" / "permit-to-be.bpmn"),
                         "--top-variants", "2"))
    assert data["cases"] == data["filter"]["cases"]["kept"]
    out = ok("discover", "after", "--workspace", ws, "--out", str(tmp_path / "m.pnml"),
             "--keep-events", "activity=Pendaftaran Permohonan,Penerbitan Izin")
    assert "2,000 of 2,000 cases" in out and (tmp_path / "m.pnml").exists()
    out = ok("export", "after", "--workspace", ws, "--to", str(tmp_path / "x.csv"),
             "--drop-events", DROP, "--save-as", "after-cut")
    rows = pd.read_csv(tmp_path / "x.csv")
    assert "Stored 'after-cut'" in out
    assert "Perbaikan Berkas oleh Pemohon" not in set(rows["activity"])
    info = json.loads(ok("info", "after-cut", "--workspace", ws, "--json"))
    assert info["events"] == len(rows) and info["options"]["tz"] == "Asia/Makassar"
    assert "filtered to 2,000 of 2,000 cases" in info["report"]["notes"][-1]
    code, message = run("export", "after", "--workspace", ws)
    assert code == 2 and "--save-as" in message


def test_cases_command(ws: str, tmp_path: Path) -> None:
    out = ok("cases", "after", "--workspace", ws, "--top", "3", "--sort", "handoffs")
    lines = out.splitlines()
    assert lines[0].startswith("after: 2,000 cases, largest handoffs first; handoffs by "
                               "resource")
    assert lines[1].split()[:4] == ["case", "arrival", "(UTC)", "cycle"]
    assert len(lines) == 6 and lines[-1].startswith("… 1,997 more cases")
    data = json.loads(ok("cases", "after", "--workspace", ws, "--json", "--top-variants", "1"))
    assert data["filter"]["cases"]["kept"] == len(data["cases"])
    assert {c["variant"] for c in data["cases"]} == {1}
    assert data["cases"][0]["arrival"].endswith("Z")
    for suffix in ("csv", "xlsx", "json"):
        out = ok("cases", "after", "--workspace", ws, "--out", str(tmp_path / f"c.{suffix}"),
                 *PERIOD)
        assert "Wrote" in out and (tmp_path / f"c.{suffix}").exists()
    table = pd.read_csv(tmp_path / "c.csv")
    assert len(table) == json.loads((tmp_path / "c.json").read_text())["filter"]["cases"]["kept"]
    sheets = pd.read_excel(tmp_path / "c.xlsx", sheet_name=None, engine="openpyxl")
    assert set(sheets) == {"cases", "filter"} and len(sheets["cases"]) == len(table)
    code, message = run("cases", "after", "--workspace", ws, "--out", str(tmp_path / "c.txt"))
    assert code == 2 and ".csv, .xlsx or .json" in message


def test_case_command(ws: str, tmp_path: Path) -> None:
    out = ok("case", "after", "PBG-2024-000114", "--workspace", ws, "--out",
             str(tmp_path / "g.svg"))
    assert out.startswith("Case PBG-2024-000114 of after: 16 steps")
    assert "Pendaftaran Permohonan" in out and "Wrote" in out
    assert (tmp_path / "g.svg").read_text(encoding="utf-8").startswith("<svg")
    data = json.loads(ok("case", "after", "PBG-2024-000114", "--workspace", ws, "--json"))
    assert len(data["steps"]) == 16 and data["steps"][1]["waiting"] == 5280.0
    code, message = run("case", "after", "PBG-2024-00114", "--workspace", ws)
    assert code == 2 and "closest ids are 'PBG-2024-000114'" in message


@pytest.mark.parametrize(("args", "message"), [
    (["--with", "unti=X"], "--with: the log has no field 'unti' (did you mean 'unit'?)"),
    (["--with", "activity=Penerbitan izin"], "did you mean 'Penerbitan Izin'?"),
    (["--period", "2024-13-01.."], "as in --period 2024-01-01..2024-03-31"),
    (["--duration", "5..10"], "--duration 2d..30d"),
    (["--period-mode", "trim"], "--period-mode applies to --period"),
    (["--follows", "A"], "separated by '>'"),
    (["--top-variants", "0"], "at least 1"),
    (["--filter", "[1]"], "unknown filter kind"),
    (["--with", "activity=Penerbitan Izin", "--duration", "..1s"], "--duration: no case is left"),
])
def test_bad_filters_exit_2_with_one_line(ws: str, tmp_path: Path, args: list[str],
                                          message: str) -> None:
    for command in (["analyze", "after", "--out", str(tmp_path)], ["cases", "after"]):
        code, out = run(*command, "--workspace", ws, *args)
        assert code == 2, out
        assert message in out and out.startswith("error: ") and out.count("\n") == 1
