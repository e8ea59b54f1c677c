"""Errors worded for the web: in the page's language, naming the form's fields where the
command line names its options.

procflow's errors carry a ``code`` and ``params`` besides their command-line text
(:class:`procflow.errors.ProcflowError`); each code has its wording here. An error without a
code keeps its own message, without the command line's fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException

from procflow.core.i18n import Texts, catalog
from procflow.errors import ProcflowError
from procflow.web.service import MAPPED_FIELDS, labels

#: The form key of each canonical field (``case_id`` → ``case``).
FORM_KEYS = {canonical: key for key, canonical in MAPPED_FIELDS.items()}
#: Most rows or values an error lists.
LISTED = 5

Words = Callable[[dict[str, Any], Texts], str]


class WebError(HTTPException):
    """An HTTP error whose text is an English message with values, said in the page's
    language when it is shown."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 **values: Any):
        super().__init__(status, message.format(**values) if values else message,
                         dict(headers) if headers else None)
        self.template, self.values = message, values

    def translated(self, t: Texts) -> str:
        return t(self.template, **self.values)


def localized(text: str, t: Texts) -> str:
    """A fixed English message in the language of ``t`` (unchanged when it has no
    translation: the text may hold the user's own values)."""
    return catalog(t.lang).get(text, text) if t.lang != "en" else text


def error_text(err: ProcflowError, t: Texts, shown: Mapping[Path, str] | None = None) -> str:
    """``err`` for a page or the API in the language of ``t``, naming the form's fields; the
    server's paths of uploads in ``shown`` are replaced by the names the user gave them."""
    words = WORDS.get(err.code or "")
    text = words(err.params, t) if words else _uncoded(err, t)
    if err.source:
        text = f"{err.source}: {text}"
    for path, name in (shown or {}).items():
        text = text.replace(str(path), name)
    return text


def _uncoded(err: ProcflowError, t: Texts) -> str:
    """An error without a code: its message, and its fix unless that names options; on a
    page in another language, said to be in English."""
    text = err.message
    if err.fix and "--" not in err.fix and "procflow " not in err.fix:
        text = f"{text} {err.fix[:1].upper()}{err.fix[1:]}"
    return text if t.lang == "en" else t("This cannot be done; the reason, in English: {text}",
                                         text=text)


def _quoted(name: str) -> str:
    return f"“{name}”"


def _field(key: str, t: Texts) -> str:
    """A mapping field's label as the form shows it, quoted."""
    return _quoted(labels(t)[FORM_KEYS.get(key, key)])


def _listed(values: list[Any], t: Texts) -> str:
    """At most :data:`LISTED` values, then how many more."""
    shown = ", ".join(str(v) for v in values[:LISTED])
    more = len(values) - LISTED
    return shown + (" " + t("and {n} more", n=t.integer(more)) if more > 0 else "")


def _zone_field(t: Texts) -> str:
    return _quoted(t("Time zone of times without one"))


def _order_field(t: Texts) -> str:
    return _quoted(t("Dates like 03/04/2024"))


def _chart_field(t: Texts) -> str:
    return _quoted(t("Org chart (optional)"))


def _split_fix(p: dict[str, Any], t: Texts) -> str:
    """The dates a log can be split at, or that it cannot be split."""
    if not p["from"]:
        return t("Every case arrives on the same day: compare two logs instead.")
    return t("Choose a date from {lo} to {hi} under {field}.", lo=p["from"], hi=p["to"],
             field=_quoted(t("or split at the date")))


WORDS: dict[str, Words] = {
    "unknown_zone": lambda p, t: t(
        "Unknown time zone {zone}. Choose one from the list under {field}.",
        zone=repr(p["zone"]), field=_zone_field(t)),
    "no_zone": lambda p, t: t(
        "The column {column} has times without a zone (e.g. {examples}). Choose their zone "
        "under {field}.", column=repr(p["column"]), examples=p["examples"],
        field=_zone_field(t)),
    "not_times": lambda p, t: t(
        "The column {column} does not hold dates or times (e.g. {examples}). Choose the "
        "column with the times under {timestamp} or {start}, or correct the values.",
        column=repr(p["column"]), examples=p["examples"], timestamp=_field("timestamp", t),
        start=_field("start", t)),
    "mixed_dates": lambda p, t: t(
        "The column {column} mixes date formats. Make every value use one format (export the "
        "file again or convert the column), then upload it again.", column=repr(p["column"])),
    "day_order_conflict": lambda p, t: t(
        "The numeric dates in {columns} fit only day-first in some values and only "
        "month-first in others (e.g. {examples}). Correct the data, or choose the day order "
        "under {field}: values impossible under it become rejected rows.",
        columns=_listed([repr(c) for c in p["columns"]], t),
        examples="; ".join(p["examples"][:2]), field=_order_field(t)),
    "day_order_ambiguous": lambda p, t: t(
        "The numeric dates in {columns} fit both day-first and month-first (e.g. {examples}). "
        "Choose which under {field}.", columns=_listed([repr(c) for c in p["columns"]], t),
        examples="; ".join(p["examples"][:2]), field=_order_field(t)),
    "missing_columns": lambda p, t: t(
        "No column is chosen for {fields}. Choose one from the file's columns ({columns}).",
        fields=", ".join(_field(f, t) for f in p["fields"]),
        columns=_listed(p["columns"], t)),
    "unknown_column": lambda p, t: t(
        "The column {column} chosen under {field} is not in the file.",
        column=repr(p["column"]), field=_field(p["field"], t)),
    "unknown_order": lambda p, t: t(
        "Unknown day order {order}. Choose one under {field}.", order=repr(p["order"]),
        field=_order_field(t)),
    "bad_name": lambda p, t: t(
        "{field}: log names use letters, digits, '.', '_' and '-'.",
        field=_quoted(t("Log name"))),
    "no_sheet": lambda p, t: t(
        "The workbook has no sheet named {sheet}; its sheets are: {sheets}.",
        sheet=repr(p["sheet"]), sheets=_listed(p["sheets"], t)),
    "bad_encoding": lambda p, t: (t(
        "The file is not UTF-8 or Windows-1252 text (byte 0x{byte} on line {line}).",
        byte=p["byte"], line=t.integer(p["line"])) if p.get("byte") else t(
        "The file is not UTF-8 or Windows-1252 text.")) + " " + t(
        "Save it as UTF-8 (in Excel: “CSV UTF-8”) and upload it again."),
    "no_delimiter": lambda p, t: t(
        "The separator between the columns cannot be found (tried , ; tab |): the file has "
        "one column or is not a CSV file. Save it as CSV or Excel and upload it again."),
    "csv_fields": lambda p, t: t(
        "Rows {rows} do not have the header's {expected} values. Put values that contain the "
        "separator in quotes, or export the file again.",
        rows=_listed([t.integer(r) for r in p["rows"]], t), expected=t.integer(p["expected"])),
    "csv_quote": lambda p, t: t(
        "Rows {rows} open a quoted value that is never closed. Close the quote, write quotes "
        "inside values as two quotes (\"\"), or export the file again.",
        rows=_listed([t.integer(r) for r in p["rows"]], t) or "?"),
    "no_rows": lambda p, t: t(
        "No events in {file}: it holds no rows of data. Export the log again with its rows "
        "(check the export's filters and dates).", file=p["file"]),
    "all_rejected": lambda p, t: t(
        "No events in {file}: all {rows} rows were rejected ({reasons}). Check the columns "
        "chosen under {case}, {activity} and {timestamp}, or correct the values.",
        file=p["file"], rows=t.integer(p["rows"]),
        reasons="; ".join(f"{t(reason)}: {t.integer(n)}" for reason, n in p["rejected"].items()),
        case=_field("case", t), activity=_field("activity", t),
        timestamp=_field("timestamp", t)),
    "split_empty": lambda p, t: t(
        "No case of {log} arrives {where}, so the {side} side of the comparison is empty: its "
        "cases arrive from {first} to {last}. {fix}", log=repr(p["log"]),
        where=t("before {date}", date=p["at"]) if p["side"] == "before" else t(
            "on or after {date}", date=p["at"]), side=t(p["side"]), first=p["first"],
        last=p["last"], fix=_split_fix(p, t)),
    "no_completed_cases": lambda p, t: t(
        "No case of the {side} log {log} ends at a common end step ({ends}), so with completed "
        "cases only that side of the comparison is empty. Untick {field}.", side=t(p["side"]),
        log=repr(p["log"]), ends=_listed(p["ends"], t) or "–",
        field=_quoted(t("Completed cases only"))),
    "no_cases": lambda p, t: t(
        "The {side} log {log} has no cases, so that side of the comparison is empty. Choose a "
        "log that holds cases.", side=t(p["side"]), log=repr(p["log"])),
    "log_exists": lambda p, t: t(
        "A different log named {name} is already in the workspace. Choose another name under "
        "{field}, or remove that log first.", name=repr(p["name"]),
        field=_quoted(t("Log name"))),
    "file_empty": lambda p, t: t(
        "The file is empty. Export the log again and upload it again."),
    "binary_file": lambda p, t: t(
        "This is not an event log: it is neither CSV, Excel, XES nor Parquet. Export "
        "the log in one of these formats and upload it again."),
    "truncated_gzip": lambda p, t: t(
        "The compressed file stops in the middle (the copy was cut off). Download or "
        "copy it again, or compress it again from the original."),
    "damaged_gzip": lambda p, t: t(
        "The compressed data is damaged. Download or copy the file again, or compress "
        "it again from the original."),
    "unsafe_xml": lambda p, t: t(
        "The file contains a DOCTYPE or ENTITY declaration, refused for safety. Remove "
        "those declarations (the format does not need them) and upload it again."),
    "not_xml": lambda p, t: t(
        "This is not an XES file: it does not start with an XML tag. Export the log as "
        "XES again."),
    "xes_declaration": lambda p, t: t(
        "The XML declaration on line 1 is not well-formed. Export the log as XES again."),
    "xes_unclosed": lambda p, t: t(
        "A comment, CDATA section or processing instruction is never closed (was the "
        "export cut off?). Export the log as XES again."),
    "xes_unreadable": lambda p, t: t(
        "The XES content cannot be read. Check that the export finished, or export the "
        "log again."),
    "csv_header": lambda p, t: t(
        "The first line (the column names) cannot be read. Check it: one name per "
        "column, quotes closed on the same line."),
    "not_csv": lambda p, t: t(
        "The file cannot be read as CSV. Export it again as CSV or Excel and upload it "
        "again."),
    "bad_parquet": lambda p, t: t(
        "The Parquet file is cut off or damaged. Export it again and upload it again."),
    "no_sheets": lambda p, t: t(
        "The workbook has no sheets. Save it again from Excel, or export the log as "
        "CSV."),
    "encrypted": lambda p, t: t(
        "The workbook is protected by a password. Save it again in Excel without a "
        "password and upload it again."),
    "bad_workbook": lambda p, t: t(
        "The workbook cannot be read: a sheet or its zip container is damaged. Save it "
        "again from Excel (or export the log as CSV) and upload it again."),
    "bomb": lambda p, t: t(
        "The file would unpack to far more than its size (a decompression bomb?); "
        "reading stopped. Upload the log uncompressed, or ask an administrator to raise "
        "the limit if the file is genuine."),
    "pnml_no_places": lambda p, t: t(
        "The Petri net has no places. Export it again with its places, transitions and "
        "arcs."),
    "pnml_no_initial": lambda p, t: t(
        "The Petri net has no initial marking. Mark its start place with one token in "
        "the modelling tool and export it again."),
    "pnml_no_final": lambda p, t: t(
        "The Petri net has no final marking and no single end place. Save it with its "
        "final marking."),
    "sop_no_steps": lambda p, t: t(
        "The SOP table has no steps. Add one row per step, in order."),
    "too_large": lambda p, t: t(
        "The file unpacks to more than {limit} bytes; reading stopped. Upload a smaller log, "
        "or ask an administrator to raise the limit.", limit=t.integer(p["limit"])),
    "too_many_columns": lambda p, t: t(
        "The file has {count} columns, more than the limit of {limit}. Export only the columns "
        "the log needs (case, activity, times, performer, …).", count=t.integer(p["count"]),
        limit=t.integer(p["limit"])),
    "xes_malformed": lambda p, t: t(
        "Malformed XES at line {line}: {what}. Check that the export finished, or export the "
        "log again.", line=t.integer(p["line"]), what=t(p["what"])),
    "xes_encoding": lambda p, t: t(
        "The file is in the {encoding} encoding, which cannot be read. Save it as UTF-8 and "
        "upload it again.", encoding=p["encoding"]),
    "bad_xml": lambda p, t: t(
        "The file is not well-formed XML (line {line}): it may be cut off. Export it again "
        "and upload it again.", line=t.integer(p["line"] or 1)),
    "bad_model": lambda p, t: t(
        "The {kind} model cannot be read. Export it again from the modelling tool as BPMN "
        "2.0 XML or PNML.", kind=p["kind"]),
    "not_model": lambda p, t: t(
        "This is not a process model: its root element is <{root}>, not BPMN 2.0 "
        "<definitions> nor <pnml>. Upload a BPMN 2.0 file, a PNML Petri net or an SOP table "
        "(CSV).", root=p["root"]),
    "model_too_big": lambda p, t: t(
        "The model file is larger than {limit} MB; a process model is far smaller. Check that "
        "this is the model and not a log.", limit=t.integer(p["limit"])),
    "too_many_states": lambda p, t: t(
        "The model has more than {limit} reachable states (much parallelism, or a net that is "
        "not a sound workflow net). Simplify the model.", limit=t.integer(p["limit"])),
    "sop_no_step_column": lambda p, t: t(
        "The SOP table has no step column (its columns: {columns}). Name the column with the "
        "activities “Kegiatan” or “step”.", columns=_listed(p["columns"], t) or "–"),
    "sop_repeat": lambda p, t: t(
        "SOP table row {row}: the step {step} repeats row {first}. List each step once, in "
        "the SOP's order.", row=t.integer(p["row"]), step=_quoted(p["step"]),
        first=t.integer(p["first"])),
    "sop_empty_step": lambda p, t: t(
        "SOP table row {row}: the step name is empty. Fill it in or delete the row.",
        row=t.integer(p["row"])),
    "sop_norm": lambda p, t: t(
        "SOP table row {row}: the norm duration {value} cannot be read. Write a number and a "
        "unit, e.g. “30 menit”, “2 jam”, “1 hari”.", row=t.integer(p["row"]),
        value=_quoted(p["value"])),
    "sop_mandatory": lambda p, t: t(
        "SOP table row {row}: “mandatory” must be ya or tidak, not {value}.",
        row=t.integer(p["row"]), value=_quoted(p["value"])),
    "orgchart_columns": lambda p, t: t(
        "The org chart under {field} needs the columns “level” and “resource” or “role”; it "
        "has {columns}.", field=_chart_field(t), columns=_listed(p["columns"], t) or "–"),
    "orgchart_no_key": lambda p, t: t(
        "Org chart row {row}: neither resource nor role is given.", row=t.integer(p["row"])),
    "orgchart_level": lambda p, t: t(
        "Org chart row {row}: the level {value} is not a number (1 for the top level, 2, "
        "3, …).", row=t.integer(p["row"]), value=_quoted(p["value"])),
    "orgchart_dates": lambda p, t: t(
        "Org chart row {row}: valid_to is before valid_from.", row=t.integer(p["row"])),
    "orgchart_date": lambda p, t: t(
        "Org chart row {row}: the date {value} is not written YYYY-MM-DD.",
        row=t.integer(p["row"]), value=_quoted(p["value"])),
    "orgchart_overlap": lambda p, t: t(
        "Org chart rows {a} and {b} give {key} overlapping validity: make one end before the "
        "other starts.", a=t.integer(p["rows"][0]), b=t.integer(p["rows"][1]),
        key=_quoted(p["key"])),
    "import_out_of_memory": lambda p, t: t(
        "Importing {name} ran out of memory (DuckDB's limit is {limit}); the workspace is "
        "unchanged. Ask the administrator to raise PROCFLOW_MEMORY_LIMIT, then import again.",
        name=repr(p["name"]), limit=p["limit"]),
    "import_disk_full": lambda p, t: t(
        "Importing {name} ran out of disk space in the spill folder {folder}; the workspace is "
        "unchanged. Free space on that disk, then import again.", name=repr(p["name"]),
        folder=p["folder"]),
}

#: The web's wording of each coded note of an import report.
NOTE_WORDS: dict[str, Words] = {
    "levels_unknown": lambda p, t: t(
        "Level: values not understood in {n} events ({values}) were left empty; give their "
        "levels in an org chart under {field}.", n=t.integer(p["count"]),
        values=_listed(p["values"], t), field=_quoted(t("Org chart (optional)"))),
    "lifecycle_not_transitions": lambda p, t: t(
        "The lifecycle column's values are not XES lifecycle transitions; every event is taken "
        "as one completed activity instance."),
    "orgchart_levels": lambda p, t: t(
        "Org chart {chart}: level known for {known} of {total} events.", chart=p["chart"],
        known=t.integer(p["known"]), total=t.integer(p["total"])),
    "orgchart_missing": lambda p, t: t(
        "Org chart: {n} events have no level (e.g. {examples}); add them to the chart.",
        n=t.integer(p["count"]), examples=_listed(p["examples"], t)),
    "column_as_json": lambda p, t: t(
        "The column {column} ({kind}) is kept as JSON text.", column=_quoted(p["column"]),
        kind=p["kind"]),
    "column_as_text": lambda p, t: t(
        "The column {column} ({kind}) is kept as text.", column=_quoted(p["column"]),
        kind=p["kind"]),
    "pseudonymised": lambda p, t: t(
        "{columns} pseudonymised ({key}); the raw file was not kept.",
        columns=_listed(p["columns"], t), key=t("key stored in this workspace")
        if p["key"] == "workspace" else t("key from an outside key file")),
}


def note_texts(report: Mapping[str, Any], t: Texts) -> list[str]:
    """The notes of an import report (``ImportReport.to_dict()``) in the language of ``t``;
    a note without a known code as it is."""
    codes = report.get("note_codes") or [None] * len(report.get("notes") or [])
    return [NOTE_WORDS[code["code"]](code["params"], t)
            if code and code["code"] in NOTE_WORDS else text
            for text, code in zip(report.get("notes") or [], codes, strict=True)]
