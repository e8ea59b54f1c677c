"""SECURITY.md "Files": hostile or messy inputs end in a clear refusal or the right events."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import procflow
from procflow.errors import FormatError, TimestampError, UnsafeInputError
from procflow.ingest.sniff import Limits
from procflow.store.workspace import Workspace


def _csv(tmp_path: Path, body: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text("case;activity;time\n" + body)
    return path


def test_ambiguous_day_order_is_refused_with_examples(tmp_path: Path) -> None:
    path = _csv(tmp_path, "1;A;03/04/2024 08.00\n1;B;05/06/2024 09.00\n")
    with pytest.raises(TimestampError) as err:
        procflow.read(path, tz="Asia/Jakarta")
    assert "03/04/2024" in str(err.value) and "--dayfirst" in str(err.value)
    df = procflow.read(path, tz="Asia/Jakarta", order="monthfirst").to_pandas()
    assert str(df["timestamp"][0]) == "2024-03-04 01:00:00+00:00"


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "1;A;2024-04-03 08:00\n1;B;13/04/2024 09.00\n")
    with pytest.raises(TimestampError) as err:
        procflow.read(path, tz="Asia/Jakarta")
    assert "2024-04-03 08:00" in str(err.value) and "13/04/2024 09.00" in str(err.value)


def test_indonesian_dates_and_zone_suffixes(tmp_path: Path) -> None:
    path = _csv(tmp_path, "1;A;3 Agu 2024\n1;B;17 Agustus 2024 14.05 WIB\n"
                          "1;C;17 Agustus 2024 14.05 WITA\n1;D;17 Agustus 2024 14.05 WIT\n")
    df = procflow.read(path, tz="Asia/Jakarta").to_pandas()
    assert [str(t) for t in df["timestamp"]] == [
        "2024-08-02 17:00:00+00:00", "2024-08-17 07:05:00+00:00",
        "2024-08-17 06:05:00+00:00", "2024-08-17 05:05:00+00:00"]


def test_equal_timestamps_keep_file_order(tmp_path: Path) -> None:
    body = "".join(f"1;step {i};2024-01-01T08:00Z\n" for i in (5, 3, 9, 1, 7))
    path = _csv(tmp_path, body)
    for _ in range(3):
        with Workspace(tmp_path / "w.duckdb") as ws:
            ws.import_file(path, replace=True)
            acts = [r[0] for r in ws.con.execute(
                "SELECT activity FROM events_1 ORDER BY timestamp, event_id").fetchall()]
        assert acts == ["step 5", "step 3", "step 9", "step 1", "step 7"]
        (tmp_path / "w.duckdb").unlink()


def test_gzip_bomb_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"case;activity;time\n")
        chunk = b"1;A;2024-01-01T00:00Z\n" * 50_000
        for _ in range(40):
            f.write(chunk)
    assert path.stat().st_size < 200_000
    events = procflow.api.load_events  # the same path every import takes
    with pytest.raises(UnsafeInputError, match=r"bomb\.csv\.gz: decompressed content exceeds"):
        events(path, procflow.ImportOptions(), limits=Limits(max_bytes=10_000_000))
    with pytest.raises(UnsafeInputError, match="compression ratio above"):
        events(path, procflow.ImportOptions(), limits=Limits(max_ratio=50, ratio_grace=1_000_000))


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(b"case;activity;time\n1;A;2024-01-01T00:00Z\n" * 1000)
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(data[:40] + bytes(reversed(data[40:80])) + data[80:])
    with pytest.raises(FormatError, match="broken.csv.gz"):
        procflow.read(path)


def test_refused_import_leaves_workspace_untouched(tmp_path: Path) -> None:
    good = _csv(tmp_path, "1;A;2024-01-01T08:00Z\n", "good.csv")
    bad = _csv(tmp_path, "1;A;03/04/2024\n", "bad.csv")
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_file(good)
        with pytest.raises(TimestampError):
            ws.import_file(bad, options=procflow.ImportOptions(tz="UTC"))
        assert [r["name"] for r in ws.logs()] == ["good"]
