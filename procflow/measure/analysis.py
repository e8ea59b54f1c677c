"""Run every measure on a backend and assemble ``analysis.json`` (METRICS.md §11)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from procflow.calendar import Calendar
from procflow.errors import InputError
from procflow.eventlog import EventLog
from procflow.measure.backends import Backend, DuckDBBackend, SparkBackend
from procflow.measure.figures import compute
from procflow.measure.prepare import HandoffBy, Settings
from procflow.measure.sla import parse_sla
from procflow.result import JsonResult

if TYPE_CHECKING:
    import pandas as pd

Engine = Literal["duckdb", "spark"]


@dataclass
class Analysis(JsonResult):
    """The figures of one log; ``to_dict()`` is ``analysis.json`` (the JSON contract)."""

    settings: Settings = field(default_factory=Settings)
    FILENAME: ClassVar[str] = "analysis.json"

    def table(self, name: str) -> pd.DataFrame:
        """A list in the result as a flat DataFrame: ``dfg``, ``activities``, ``bottlenecks``,
        ``handoff_pairs``, ``variants``, ``layer_sequences`` or ``decisions_by_<key>``."""
        import pandas as pd

        lists = {
            "dfg": self.data["dfg"]["edges"], "activities": self.data["activities"],
            "bottlenecks": self.data["bottlenecks"], "variants": self.data["variants"]["top"],
            "handoff_pairs": self.data["handoffs"]["pairs"],
            "layer_sequences": (self.data["layers"] or {}).get("sequences", []),
        }
        for key in ("activity", "role", "unit", "level", "resource"):
            lists[f"decisions_by_{key}"] = self.data["decisions"][f"by_{key}"]
        if name not in lists:
            raise KeyError(f"no table {name!r}; tables: {', '.join(lists)}")
        return pd.json_normalize(lists[name])


def checked_settings(decisions: str | None, decision_activities: Sequence[str] | None,
                     handoff_by: HandoffBy | None, top_variants: int,
                     calendar: str | Calendar | None, calendar_zone: str | None,
                     sla: Sequence[str] | None, pause: Sequence[str] | None) -> Settings:
    """The :class:`Settings` of an analysis, its service standards checked (they need a
    calendar)."""
    settings = Settings(decisions,
                        None if decision_activities is None else tuple(decision_activities),
                        handoff_by, top_variants, calendar, calendar_zone,
                        tuple(sla) if sla else None, tuple(pause) if pause else None)
    if calendar is None and (settings.sla or settings.pause):
        raise InputError("service standards (--sla) and pausing the clock (--pause) are "
                         "measured in working time and need a calendar.",
                         fix="add --calendar id (or id-sat, or an override file).")
    for spec in settings.sla or ():
        parse_sla(spec)
    return settings


def analyze(
    log: EventLog | str | Path,
    *,
    decisions: str | None = None,
    decision_activities: list[str] | None = None,
    handoff_by: HandoffBy | None = None,
    engine: Engine = "duckdb",
    spark_master: str = "local[*]",
    top_variants: int = 20,
    calendar: str | Calendar | None = None,
    calendar_zone: str | None = None,
    sla: Sequence[str] | None = None,
    pause: Sequence[str] | None = None,
    **read_options: Any,
) -> Analysis:
    """Measure ``log``: an EventLog, or a file path read with ``read_options``.

    With ``engine="spark"``, a path to canonical Parquet (``procflow export NAME --to
    x.parquet``, or a folder or cluster URL of such files) is read by Spark directly.

    ``decision_activities`` names the decision steps (an empty list: none), ``decisions``
    finds them with a regular expression; without either the default pattern applies, and
    ``warnings`` says when it took none, or more than 4 steps making more than 15% of the
    activities.

    ``calendar`` (``"id"``, ``"id-sat"``, an override CSV path, or a :class:`Calendar`) adds
    the working-time twins of every duration (``calendar_zone`` is the zone of a named
    calendar, default Asia/Jakarta). With a calendar, ``sla`` checks service standards
    (``"case=20 working days"``, ``"ACTIVITY=3 working days"``) and ``pause`` names
    activities whose elapsed time into them does not count as service time.
    """
    settings = checked_settings(decisions, decision_activities, handoff_by, top_variants,
                                calendar, calendar_zone, sla, pause)
    if engine == "spark" and not isinstance(log, EventLog) and is_parquet_source(log):
        return _run(SparkBackend(log, spark_master), Path(str(log)).stem, settings)
    if not isinstance(log, EventLog):
        from procflow.api import read

        log = read(log, **read_options)
    if engine == "duckdb":
        return _run(DuckDBBackend(log.con, log.table, log.subset), log.name, settings,
                    log.selection)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "events.parquet"
        log.relation.write_parquet(str(parquet))
        return _run(SparkBackend(parquet, spark_master), log.name, settings, log.selection)


def is_parquet_source(source: str | Path) -> bool:
    """A cluster URL, a folder, or a file ending in ``.parquet``."""
    text = str(source)
    return "://" in text or text.endswith(".parquet") or Path(text).is_dir()


def _run(backend: Backend, name: str, settings: Settings,
         selection: dict[str, Any] | None = None) -> Analysis:
    """The analysis on ``backend``, with the ``filter`` block of a filtered log."""
    try:
        data = compute(backend, name, settings)
    finally:
        backend.close()
    if selection is not None:
        data["filter"] = selection
    return Analysis(data, settings)
