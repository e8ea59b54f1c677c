"""Deviation kinds on hand-made traces, and SOP tables read exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from procflow.conform.deviations import END, START, Deviation, Reference, deviations
from procflow.conform.sop import is_sop_file, read_sop
from procflow.errors import InputError, MappingError

# A → B (loop back to A through R allowed) → optional S → C; mandatory A, B, C.
REF = Reference.of(
    activities={"A", "B", "R", "S", "C"}, mandatory={"A", "B", "C"},
    follows={("A", "B"), ("B", "R"), ("R", "A"), ("B", "S"), ("B", "C"), ("S", "C")},
    starts={"A"}, ends={"C"})


def kinds(trace: str, decisions: set[str] | None = None) -> list[tuple[str, str]]:
    found = deviations(tuple(trace.split()), REF, decisions or set())
    return sorted((d.kind, d.subject) for d in found)


def test_fitting_traces_have_no_deviations() -> None:
    assert kinds("A B C") == []
    assert kinds("A B S C") == []
    assert kinds("A B R A B C") == []


def test_extra_step_and_extra_approval_layer() -> None:
    assert kinds("A B X C") == [("extra_step", "X")]
    assert kinds("A B Paraf C Paraf", {"Paraf"}) == [
        ("extra_approval_layer", "Paraf"), ("extra_approval_layer", "Paraf")]


def test_skipped_mandatory_step_is_not_also_wrong_order() -> None:
    assert kinds("A C") == [("skipped_step", "B")]
    assert kinds("A B") == [("skipped_step", "C")]
    assert kinds("B C") == [("skipped_step", "A")]


def test_wrong_order_and_rework() -> None:
    assert kinds("A C B") == [("wrong_order", "A → C"), ("wrong_order", "B → (end)"),
                              ("wrong_order", "C → B")]
    assert kinds("A B A B C") == [("rework", "B → A")]
    assert kinds("A B B C") == [("rework", "B → B")]


def test_start_and_end_markers_in_subjects() -> None:
    found = deviations(("S", "A", "B", "C"), REF, set())
    assert Deviation("wrong_order", f"{START} → S") in found
    assert END == "(end)"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "sop.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_read_sop_indonesian_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "No;Kegiatan;Pelaksana;Waktu;Wajib\n"
                           "1;Daftar;Front Office;30 menit;ya\n"
                           "2;Periksa;Analis;1,5 jam;\n"
                           "3;Survei;Analis;2 hari;tidak\n"
                           "4;Terbit;Front Office;;YA\n")
    sop = read_sop(path)
    assert [(s.name, s.actor, s.norm_seconds, s.mandatory) for s in sop.steps] == [
        ("Daftar", "Front Office", 1800.0, True), ("Periksa", "Analis", 5400.0, True),
        ("Survei", "Analis", 172800.0, False), ("Terbit", "Front Office", None, True)]
    assert sop.sequence == [("Daftar", True), ("Periksa", True), ("Survei", False),
                            ("Terbit", True)]
    assert is_sop_file(path)


def test_read_sop_english_headers_and_bare_minutes(tmp_path: Path) -> None:
    path = write(tmp_path, "step,actor,norm,mandatory\nRegister,Clerk,45,yes\nApprove,,,no\n",
                 "cp1252")
    assert [(s.name, s.norm_seconds, s.mandatory) for s in read_sop(path).steps] == [
        ("Register", 2700.0, True), ("Approve", None, False)]


@pytest.mark.parametrize(("text", "needle"), [
    ("Pelaksana;Waktu\nA;1 jam\n", "no step column"),
    ("Kegiatan;Waktu\nA;sebentar\n", "row 1: cannot read the norm duration 'sebentar'"),
    ("Kegiatan;Waktu\nA;3 hari kerja\n", "until a calendar is set"),
    ("Kegiatan;Wajib\nA;mungkin\n", "row 1: mandatory must be ya/tidak"),
    ("Kegiatan;Wajib\nA;ya\nB;ya\nA;tidak\n", "row 3: step 'A' repeats row 1"),
    ("Kegiatan;Pelaksana\n;Kepala\n", "row 1: the step name is empty"),
])
def test_bad_sop_tables_name_the_row(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(InputError) as err:
        read_sop(write(tmp_path, text))
    assert needle in str(err.value)
    assert str(tmp_path / "sop.csv") in str(err.value)
    if needle == "no step column":
        assert isinstance(err.value, MappingError)


def test_models_folder_sop_reads() -> None:
    sop = read_sop(Path(__file__).parents[1] / "models" / "permit-to-be-sop.csv")
    assert len(sop.steps) == 7
    assert [s.name for s in sop.steps if not s.mandatory] == [
        "Perbaikan Berkas oleh Pemohon", "Survei Lapangan"]
