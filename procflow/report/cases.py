"""The case table written as CSV, Excel or JSON, with the filters it was made with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from procflow.core.i18n import Lang, Texts
from procflow.errors import InputError
from procflow.filters.words import describe_block, kept_text
from procflow.measure.cases import CaseTable
from procflow.report.xlsx import Kind, Sheet, write_workbook
from procflow.store.export import write_csv

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".xlsx", ".json")
TIMES = ("arrival", "completion")
#: The figures of a case in a reader's workbook: header and kind.
COLUMNS: dict[str, tuple[str, Kind]] = {
    "case_id": ("Case", "text"), "arrival": ("Arrival", "time"),
    "completion": ("Completion", "time"), "cycle_time": ("Cycle time", "duration"),
    "events": ("Events", "count"), "variant": ("Variant", "count"),
    "handoffs": ("Handoffs", "count"), "layers": ("Approval layers", "count"),
    "ping_pongs": ("Ping-pongs", "count"), "decision_latency": ("Decision latency", "duration")}


def write_case_table(table: CaseTable, path: Path, *, log: str,
                     selection: dict[str, Any] | None = None, lang: Lang | None = None
                     ) -> Path:
    """Write the table to ``path`` (.csv, .xlsx or .json; times in UTC). JSON and Excel
    carry the ``filter`` block too (Excel as a second sheet). With ``lang``, Excel is for a
    reader: headers in that language, durations as hours and minutes (their seconds in a
    hidden column)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"cannot tell the table format of {path.name!r}.",
                         fix="end --out with .csv, .xlsx or .json.")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = table.frame
    if suffix == ".csv":
        write_csv(_arrow(frame), path)
    elif suffix == ".xlsx" and lang is not None:
        write_workbook(_reader_sheets(frame, selection, Texts(lang)), path)
    elif suffix == ".xlsx":
        sheets = {"cases": _naive(frame)}
        if selection:
            t = Texts("en")
            sheets["filter"] = pd.DataFrame({"filter": [kept_text(selection, t),
                                                        *describe_block(selection, t)]})
        write_workbook(sheets, path)
    else:
        path.write_text(json.dumps(case_json(table, log=log, selection=selection),
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _reader_sheets(frame: pd.DataFrame, selection: dict[str, Any] | None, t: Texts
                   ) -> list[Sheet]:
    """The cases, and the filters when there are some, as sheets for a reader."""
    naive = _naive(frame).rename(columns={f"{name} (UTC)": name for name in TIMES})
    headers, kinds = [], []
    for name in naive.columns:
        header, kind = COLUMNS.get(str(name), (str(name), "text"))
        label = t(header) if name in COLUMNS else header
        headers.append(t("{name} (UTC)", name=label) if name in TIMES else label)
        kinds.append(kind)
    rows = [list(row) for row in naive.itertuples(index=False)]
    sheets = [Sheet(t("Cases"), headers, kinds, rows, seconds=t("seconds"))]
    if selection:
        sheets.append(Sheet(t("Filter"), [t("Filter")], ["text"], [
            [line] for line in [kept_text(selection, t), *describe_block(selection, t)]]))
    return sheets


def case_json(table: CaseTable, *, log: str, selection: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The JSON form: the log's name, the ``filter`` block, what the counts were made with
    and one object per case (times ISO 8601 UTC, empty values null)."""
    import pandas as pd

    frame = table.frame.copy()
    for name in TIMES:
        frame[name] = frame[name].map(lambda v: None if pd.isna(v) else
                                      v.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    records = [{k: (None if not isinstance(v, str | list) and pd.isna(v) else
                    v.item() if hasattr(v, "item") else v) for k, v in row.items()}
               for row in frame.to_dict(orient="records")]
    return {"log": log, "filter": selection, "handoff_by": table.handoff_by,
            "layers_by": table.layers_by, "decision_activities": table.decisions,
            "cases": records}


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow with plain strings (CSV neutralises formula-like text in those)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return pa.table({name: (table[name].cast(pa.string())
                            if pa.types.is_large_string(table[name].type) else table[name])
                     for name in table.column_names})


def _naive(frame: pd.DataFrame) -> pd.DataFrame:
    """Times as naive UTC (Excel has no zones), their columns renamed to say so."""
    out = frame.copy()
    for name in TIMES:
        out[name] = out[name].dt.tz_convert("UTC").dt.tz_localize(None)
    return out.rename(columns={name: f"{name} (UTC)" for name in TIMES})
