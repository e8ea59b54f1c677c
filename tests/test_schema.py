"""Column mapping presets and overrides."""

from __future__ import annotations

import pytest

from procflow.ingest.schema import ColumnMapping, normalize_header, suggest_mapping


def test_xes_keys() -> None:
    m = suggest_mapping(["case:concept:name", "concept:name", "time:timestamp", "org:resource",
                         "org:role", "org:group", "lifecycle:transition", "start_timestamp"])
    assert m == ColumnMapping("case:concept:name", "concept:name", "time:timestamp",
                              "start_timestamp", "org:resource", "org:role", "org:group", None,
                              "lifecycle:transition")


def test_indonesian_export_headers() -> None:
    m = suggest_mapping(["No. Permohonan", "Tahapan", "Waktu Mulai", "Waktu Selesai", "Petugas",
                         "Jabatan", "Unit Kerja", "Eselon", "Keterangan"])
    assert m.used() == {"case_id": "No. Permohonan", "activity": "Tahapan",
                        "timestamp": "Waktu Selesai", "start_timestamp": "Waktu Mulai",
                        "resource": "Petugas", "role": "Jabatan", "unit": "Unit Kerja",
                        "level": "Eselon"}


def test_common_english_headers() -> None:
    m = suggest_mapping(["Case ID", "Activity", "Complete Timestamp", "Variant", "org:group"])
    assert m.used() == {"case_id": "Case ID", "activity": "Activity",
                        "timestamp": "Complete Timestamp", "unit": "org:group"}
    mobis = suggest_mapping(["activity", "case", "start", "end", "org:role", "org:resource"])
    assert mobis.used() == {"case_id": "case", "activity": "activity", "timestamp": "end",
                            "start_timestamp": "start", "resource": "org:resource",
                            "role": "org:role"}


def test_overrides_win_and_are_not_reused() -> None:
    m = suggest_mapping(["Nomor Surat", "Aktivitas", "Tanggal", "Status"],
                        activity="Status", timestamp="Tanggal")
    assert m.activity == "Status"
    assert m.case_id == "Nomor Surat"
    assert "Aktivitas" not in m.used().values()
    assert m.missing_required() == []


def test_unmapped_required_fields_are_listed() -> None:
    assert suggest_mapping(["foo", "bar"]).missing_required() == ["case_id", "activity",
                                                                  "timestamp"]
    with pytest.raises(TypeError, match="unknown mapping fields"):
        suggest_mapping(["a"], cas="a")


def test_normalize_header() -> None:
    assert normalize_header("\ufeffNo. Permohonan ") == "nopermohonan"
    assert normalize_header("case:concept:name") == "case:concept:name"
