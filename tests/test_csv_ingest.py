"""CSV reading: encodings, delimiters, line endings, quoting — same events every way."""

from __future__ import annotations

from pathlib import Path

import pytest

import procflow
from procflow.errors import FormatError, MappingError
from procflow.ingest.csv import sniff_delimiter

ROWS = [
    ("No. Permohonan", "Tahapan", "Waktu", "Petugas", "Unit Kerja"),
    ("NA", "Pendaftaran", "03/04/2024 08.15", "Ayu", "Kabupatén Sleman"),
    ("NA", "Verifikasi Berkas", "13/04/2024 09.30", "Budi", "Seksi Verifikasi"),
    ("null", "Pendaftaran", "05/04/2024 10.00", "Citra", 'Bidang "Perizinan"; Lantai 2'),
    ("None", "Catatan\nbaris dua", "06/04/2024 11.45", "Dewi", "Front Office"),
]


def _write(path: Path, delimiter: str, encoding: str, newline: str) -> Path:
    def cell(v: str) -> str:
        needs = any(ch in v for ch in (delimiter, '"', "\n"))
        return '"' + v.replace('"', '""') + '"' if needs else v

    text = newline.join(delimiter.join(cell(v) for v in row) for row in ROWS) + newline
    path.write_bytes(text.encode(encoding))
    return path


def _events(path: Path) -> list[tuple]:
    log = procflow.read(path, tz="Asia/Makassar")
    df = log.to_pandas()
    return list(df[["case_id", "activity", "timestamp", "resource", "unit"]]
                .itertuples(index=False, name=None))


def test_every_export_habit_gives_the_same_events(tmp_path: Path) -> None:
    clean = _events(_write(tmp_path / "clean.csv", ",", "utf-8", "\n"))
    assert len(clean) == 4
    assert [e[0] for e in clean] == ["NA", "NA", "null", "None"]  # real ids, not missing
    assert clean[2][4] == 'Bidang "Perizinan"; Lantai 2'
    assert clean[3][1] == "Catatan\nbaris dua"
    assert str(clean[0][2]) == "2024-04-03 00:15:00+00:00"  # 08.15 WITA, day-first
    variants = [(";", "utf-8-sig", "\r\n"), (";", "cp1252", "\r\n"), ("\t", "utf-8", "\n"),
                ("|", "cp1252", "\n"), (",", "utf-8-sig", "\r\n")]
    for i, (d, enc, nl) in enumerate(variants):
        assert _events(_write(tmp_path / f"v{i}.csv", d, enc, nl)) == clean, (d, enc, nl)


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    path = _write(tmp_path / "win.csv", ";", "cp1252", "\r\n")
    assert b"Kabupat\xe9n" in path.read_bytes()
    log = procflow.read(path, tz="Asia/Makassar")
    assert log.report is not None
    assert log.report.details["encoding"] == "cp1252"
    assert log.to_pandas()["unit"][0] == "Kabupatén Sleman"


def test_empty_and_binary_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match=r"empty\.csv: the file is empty"):
        procflow.read(empty)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(FormatError, match="garbage.csv: .*binary"):
        procflow.read(garbage)


def test_one_column_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("just text\nmore text\n")
    with pytest.raises(FormatError, match="delimiter"):
        procflow.read(path)


def test_ragged_rows_are_refused_with_examples(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("case,activity,time\n1,a,2024-01-01T00:00Z\n2,b,2024-01-01T00:00Z,extra\n")
    with pytest.raises(FormatError, match="1 row.*wrong number of fields.*extra"):
        procflow.read(path)


def test_missing_columns_name_the_options(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(MappingError, match="no column found for case_id, activity, timestamp.*"
                       "columns are: a, b, c.*--case COLUMN"):
        procflow.read(path)
    with pytest.raises(MappingError, match="'nope' .*not in the file"):
        procflow.read(path, case_id="nope", activity="b", timestamp="c")


def test_sniff_delimiter_prefers_consistent_widths() -> None:
    sample = "a;b,c;d\n1;2,5;3\n4;5,5;6\n"
    assert sniff_delimiter(sample, Path("x.csv")) == ";"
