"""Spark reads canonical Parquet directly and gives the DuckDB figures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import procflow
from procflow.core import db
from procflow.errors import InputError
from procflow.store.export import export_log
from tests.conftest import SAMPLE


def _same(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), (path, a, b)
    else:
        assert a == b, (path, a, b)


@pytest.mark.slow
def test_spark_on_exported_parquet_equals_duckdb(tmp_path: Path) -> None:
    log = procflow.read(SAMPLE / "after.csv", tz="Asia/Makassar",
                        orgchart=SAMPLE / "orgchart.csv")
    parquet = export_log(log, tmp_path / "after.parquet")
    duck = procflow.analyze(log).to_dict()
    spark = procflow.analyze(parquet, engine="spark", spark_master="local[2]").to_dict()
    del duck["settings"], spark["settings"]
    _same(duck, spark)


@pytest.mark.slow
def test_spark_refuses_parquet_that_is_not_canonical(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "raw.parquet"
    pq.write_table(pa.table({"case": ["1"], "activity": ["A"]}), path)
    with pytest.raises(InputError, match="missing columns event_id, case_id, timestamp"):
        procflow.analyze(path, engine="spark", spark_master="local[2]")


@pytest.mark.slow
def test_spark_on_a_folder_partitioned_by_month_equals_duckdb(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from procflow.cli import main

    ws = tmp_path / "w.duckdb"
    runner = CliRunner()
    done = runner.invoke(main, ["import", str(SAMPLE / "after.csv"), "--tz", "Asia/Makassar",
                                "--workspace", str(ws)])
    assert done.exit_code == 0, done.output
    folder = tmp_path / "events"
    done = runner.invoke(main, ["export", "after", "--to", str(folder), "--partition-by",
                                "month", "--workspace", str(ws)])
    assert done.exit_code == 0, done.output
    months = sorted(p.name for p in folder.iterdir())
    assert months[0].startswith("month=20") and len(months) > 3
    with procflow.Workspace(ws) as opened:
        log = opened.log("after")
        first = db.one(log.con, f"SELECT strftime(min(timestamp), '%Y-%m') FROM {log.table}")
        inside = [p.name for p in (folder / f"month={first[0] if first else ''}").iterdir()]
        duck = procflow.analyze(log).to_dict()
    assert inside and all(name.endswith(".parquet") for name in inside)
    done = runner.invoke(main, ["analyze", str(folder), "--engine", "spark", "--spark-master",
                                "local[2]", "--out", str(tmp_path / "spark")])
    assert done.exit_code == 0, done.output
    spark = json.loads((tmp_path / "spark" / "analysis.json").read_text(encoding="utf-8"))
    del duck["settings"], spark["settings"]
    duck["log"]["name"] = spark["log"]["name"]
    _same(duck, spark)
