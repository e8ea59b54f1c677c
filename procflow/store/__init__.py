"""The workspace: one DuckDB file of logs, raw files and derived tables (:mod:`~.workspace`),
and exports of a log to CSV, Parquet (:mod:`~.export`) and XES (:mod:`~.export_xes`)."""
