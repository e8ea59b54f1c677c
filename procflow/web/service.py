"""What the web pages and their JSON twins share: workspace access (reads side by side, one
writer per file), upload previews, imports and cached analyses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import re
import secrets
import tempfile
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

import duckdb
from markupsafe import Markup
from starlette.datastructures import UploadFile

from procflow import mine
from procflow.compare.comparison import Comparison, Stage, compare, split
from procflow.conform.conformance import Conformance, Method, conform
from procflow.core import db
from procflow.core.i18n import Texts
from procflow.core.zones import offset_zone
from procflow.errors import InputError, ProcflowError, WorkspaceError
from procflow.eventlog import EventLog
from procflow.filters import Filter, Slice, filter_log, reopen, slice_of
from procflow.filters.choices import handoff_pairs, layer_sequences
from procflow.ingest import read_source
from procflow.ingest.importer import ImportOptions
from procflow.ingest.readable import readable_activity
from procflow.ingest.schema import ROW, suggest_mapping
from procflow.ingest.timeparse import DayOrder, missing_zone
from procflow.measure.analysis import Analysis, analyze
from procflow.measure.cases import CaseSort, CaseTable, case_table
from procflow.measure.decision_hints import MIN_RETURN_SHARE
from procflow.measure.ends import open_cases
from procflow.measure.precision import time_precision
from procflow.measure.prepare import HandoffBy, Settings, prepared
from procflow.measure.timeline import case_timeline
from procflow.measure.variants import case_variants
from procflow.render import map_budget
from procflow.render.map_budget import MapTooLarge
from procflow.render.process_map import MapLink, abstraction
from procflow.render.timeline import case_gantt
from procflow.report.html import (
    analysis_report,
    analysis_sections,
    drawing_names,
    headline,
)
from procflow.report.html import section_drawing as section_drawing_of
from procflow.report.svg import inline_svg
from procflow.report.workbook import analysis_book
from procflow.report.xlsx import write_workbook
from procflow.store import rewrite
from procflow.store.workspace import ImportResult, Workspace, load_file
from procflow.web import slices, views
from procflow.web.limits import size_text
from procflow.web.views import DEFAULT_VIEW, DEFAULT_ZONE, CaseLinks, LogView

#: Mapping fields offered in the upload form (form key → canonical field).
MAPPED_FIELDS: dict[str, str] = {
    "case": "case_id", "activity": "activity", "timestamp": "timestamp",
    "start": "start_timestamp", "resource": "resource", "role": "role", "unit": "unit",
    "level": "level"}
ZONES: dict[str, str] = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA",
                         "Asia/Jayapura": "WIT"}
ORDERS: tuple[DayOrder, ...] = ("auto", "dayfirst", "monthfirst")
LOG_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
PREVIEW_ROWS = 10
#: Most steps listed in the decision-step form besides the suggested ones.
MAX_LISTED = 60
CACHE_SIZE = 64
#: How an import reports progress: the phase and the bytes read so far.
ImportProgress = Callable[..., None]
LOCK_STRIPES = 16
T = TypeVar("T")


@functools.cache
def other_zones() -> tuple[str, ...]:
    """UTC and every IANA zone named Region/City besides WIB, WITA and WIT, for logs from
    elsewhere."""
    return ("UTC", *sorted(z for z in zoneinfo.available_timezones()
                           if "/" in z and z not in ZONES
                           and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))))


class OpenFile:
    """One workspace file of the app: its shared connection, its write lock, and the requests
    reading it. A rewrite (:mod:`procflow.store.rewrite`) copies the file while reads go on,
    then waits for the reads under way, holds new ones back while it swaps the file, and opens
    the new file for them."""

    def __init__(self, path: Path):
        self.path = path
        self.con = Workspace(path).con
        self.write_lock = threading.Lock()
        self._state = threading.Condition()
        self._readers = 0
        self._swapping = False
        self._mine = threading.local()

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own for a read (held back while the file is swapped)."""
        depth = getattr(self._mine, "depth", 0)
        with self._state:
            while self._swapping and not depth:
                self._state.wait()
            self._readers += 1
            con = db.cursor(self.con)
        self._mine.depth = depth + 1
        try:
            yield con
        finally:
            con.close()
            self._mine.depth = depth
            with self._state:
                self._readers -= 1
                self._state.notify_all()

    def rewrite_if_marked(self) -> None:
        """Rewrite the file if a change deleted data (called with the write lock held). When
        it cannot be swapped now, it stays marked and the next write tries again."""
        with self.reading() as con:
            if not rewrite.pending(con):
                return
            try:
                rewrite.copy_live(con, self.path)
            except WorkspaceError as err:  # e.g. a full disk: the next write tries again
                logging.getLogger(__name__).warning("%s", err)
                return
        with self._state:
            self._swapping = True
            while self._readers:
                self._state.wait()
        try:
            self.con = rewrite.swap_in(self.con, self.path)
        except rewrite.Postponed as err:
            self.con = err.con
            logging.getLogger(__name__).warning("%s", err)
        finally:
            with self._state:
                self._swapping = False
                self._state.notify_all()

    def close(self) -> None:
        """Close the file (after the write under way)."""
        with self.write_lock:
            self.con.close()


class WorkspaceFiles:
    """The app's DuckDB workspace files and its cache of computed results.

    Each file is opened once and kept open (:class:`OpenFile`); every use gets its own
    connection to it (:func:`procflow.core.db.cursor`), so reads run side by side on DuckDB's
    snapshots, and writes take the file's one write lock: a single writer per file, as DuckDB
    requires. A write that removed data rewrites the file before it lets go of the lock.
    Results are cached by key (least recently used first out); one thread computes a
    missing result while others asking for the same key wait for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._roots: dict[Path, OpenFile] = {}
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._making = [threading.RLock() for _ in range(LOCK_STRIPES)]

    def _root(self, path: Path) -> OpenFile:
        key = path.resolve()
        with self._guard:
            if key not in self._roots:
                self._roots[key] = OpenFile(key)
            return self._roots[key]

    @contextmanager
    def read(self, path: Path) -> Iterator[Workspace]:
        """The workspace at ``path`` on a connection of its own, for reading."""
        with self._root(path).reading() as con, Workspace(path, con=con) as ws:
            yield ws

    @contextmanager
    def write(self, path: Path) -> Iterator[Workspace]:
        """The workspace at ``path``, with its write lock held until the block ends (and the
        file is rewritten, if the block removed data)."""
        root = self._root(path)
        with root.write_lock:
            with Workspace(path, con=db.cursor(root.con)) as ws:
                yield ws
            root.rewrite_if_marked()

    def close(self) -> None:
        """Close every open workspace file."""
        with self._guard:
            for root in self._roots.values():
                root.close()
            self._roots.clear()

    def memo(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """The cached result for ``key``, made by ``make()`` when missing."""
        found = self._cached(key)
        if found is not None:
            return cast(T, found)
        with self._making[hash(key) % LOCK_STRIPES]:
            found = self._cached(key)
            if found is None:
                found = make()
                with self._guard:
                    self._cache[key] = found
                    while len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
        return cast(T, found)

    def _cached(self, key: tuple[Any, ...]) -> Any:
        with self._guard:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None


def jsonable(value: Any) -> Any:
    """Datetimes and other scalars of registry rows as JSON-friendly values."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def list_logs(files: WorkspaceFiles, path: Path) -> list[dict[str, Any]]:
    with files.read(path) as ws:
        return [jsonable(row) for row in ws.logs()]


def oldest_first(files: WorkspaceFiles, path: Path, names: list[str]) -> list[str]:
    """The logs ``names`` by their first event, oldest first (for the comparison form's
    defaults: before = the oldest, after = the newest)."""
    with files.read(path) as ws:
        firsts = {}
        for name in names:
            log = ws.log(name)
            firsts[name] = str(db.scalar(log.con, f"SELECT min(timestamp) FROM {log.table}"))
    return sorted(names, key=lambda name: (firsts[name], name))


def preview(files: WorkspaceFiles, upload_id: str, path: Path, original_name: str
            ) -> dict[str, Any]:
    """Headers, the first rows and the suggested mapping of an uploaded file (cached)."""
    return files.memo(("preview", upload_id), lambda: _preview(path, original_name))


def _preview(path: Path, original_name: str) -> dict[str, Any]:
    source = read_source(path)
    headers = [c for c in source.table.column_names if c != ROW]
    rows = source.table.select(headers).slice(0, PREVIEW_ROWS).to_pylist()
    mapping = suggest_mapping(headers).as_dict()
    readable = readable_activity(source.table, mapping["activity"])
    if readable is not None:
        mapping["activity"] = readable.column
    time = mapping["timestamp"]
    naive = None
    if time is not None:
        naive = missing_zone(time, source.table[time].slice(0, 1000).combine_chunks())
    return {
        "format": source.format, "details": source.details, "headers": headers,
        "rows": [[_cell(r[h]) for h in headers] for r in rows],
        "total_rows": source.table.num_rows,
        "mapping": {key: mapping[canonical] for key, canonical in MAPPED_FIELDS.items()},
        "zones": ZONES, "other_zones": other_zones(), "orders": list(ORDERS),
        "original_name": original_name,
        "readable": None if readable is None else dataclasses.asdict(readable),
        "no_zone": None if naive is None else {"column": time, "examples": naive},
    }


def _cell(value: Any) -> str:
    return "" if value is None else str(value)[:200]


def import_options(form: dict[str, str], headers: list[str]) -> ImportOptions:
    """ImportOptions from the mapping form (``col_<field>``: a column, ``""`` for none, absent
    for the suggestion); unknown columns, zones and orders are refused (InputError)."""
    columns: dict[str, str | None] = {}
    for key, canonical in MAPPED_FIELDS.items():
        if f"col_{key}" not in form:
            continue  # not stated: the suggested column
        chosen = form[f"col_{key}"]
        if chosen and chosen not in headers:
            raise InputError(f"unknown column {chosen!r} for {key}.", code="unknown_column",
                             params={"column": chosen, "field": key})
        columns[canonical] = chosen or None  # None: explicitly not mapped
    tz = form.get("tz", "")
    if tz and tz not in ZONES and tz not in other_zones():
        raise InputError(f"unknown time zone {tz!r}; choose WIB, WITA, WIT or a zone of the "
                         "list (Region/City, e.g. Asia/Singapore).", code="unknown_zone",
                         params={"zone": tz})
    order = form.get("order", "auto") or "auto"
    if order not in ORDERS:
        raise InputError(f"unknown day order {order!r}; choose one of {', '.join(ORDERS)}.",
                         code="unknown_order", params={"order": order})
    return ImportOptions(columns=cast(dict[str, str], columns), tz=tz or None,
                         order=cast(DayOrder, order))


async def keep_orgchart(data_dir: Path, chart: UploadFile, limit: int) -> tuple[Path, str]:
    """Save an org chart sent with the import form under a generated name (the caller
    deletes it); returns its path and the name the user gave it. A chart over ``limit`` bytes
    is a ValueError, and nothing is kept."""
    folder = data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"orgchart-{secrets.token_hex(16)}.csv"
    written = 0
    try:
        with open(path, "wb") as out:
            while chunk := await chart.read(64 * 1024):
                written += len(chunk)
                if written > limit:
                    raise ValueError(f"the org chart (field 'orgchart') is larger than "
                                     f"{size_text(limit)}; send a smaller org chart.")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, Path(str(chart.filename).replace("\\", "/")).name[:200] or "orgchart.csv"


def import_upload(files: WorkspaceFiles, workspace: Path, path: Path, name: str,
                  options: ImportOptions, progress: ImportProgress | None = None, *,
                  original_name: str | None = None) -> ImportResult:
    """Import an uploaded file: it is read and checked before the workspace's write lock is
    taken, so only the storing waits for other imports. ``progress("reading", n)`` hears the
    bytes read so far, ``progress("storing")`` when storing starts. The log's source and its
    import report name ``original_name`` (the name the file was uploaded with), never the
    server's upload path."""
    loaded = load_file(path, options, progress=(lambda n: progress("reading", n))
                       if progress else None)
    if original_name:
        loaded = dataclasses.replace(
            loaded, report=dataclasses.replace(loaded.report, source=original_name))
    if progress:
        progress("storing")
    with files.write(workspace) as ws:
        return ws.store(loaded, name=name)


def remove_log(files: WorkspaceFiles, workspace: Path, name: str) -> None:
    """Remove log ``name`` from the workspace (a WorkspaceError if there is none)."""
    with files.write(workspace) as ws:
        ws.remove(name)


def version(ws: Workspace, wid: str, name: str) -> tuple[Any, ...]:
    """The cache key part naming one import of a log."""
    row = ws.entry(name)
    return (wid, name, row["sha256"], row["imported_at"])


def log_facts(files: WorkspaceFiles, path: Path, wid: str, name: str) -> dict[str, Any]:
    """What a log's settings may choose from: its ``steps`` (activities, sorted) and the
    ``granularities`` it has (resource, role, unit); and how ``precise`` its times are
    (:func:`time_precision`); cached per import."""
    with files.read(path) as ws:
        key = version(ws, wid, name)

        def facts() -> dict[str, Any]:
            log = ws.log(name)
            steps = sorted(r[0] for r in db.rows(
                log.con, f"SELECT DISTINCT activity FROM {log.table}"))
            counts = db.rows(log.con, "SELECT " + ", ".join(
                f"count({g})" for g in views.HANDOFFS) + f" FROM {log.table}")[0]
            return {"steps": steps, "granularities": [
                g for g, n in zip(views.HANDOFFS, counts, strict=True) if n],
                "precise": time_precision(log.con, log.table), "zone": log.zone}

        return files.memo(("facts", *key), facts)


def step_picker(steps: list[str], suggestions: list[dict[str, Any]], chosen: Sequence[str],
                find: str, t: Texts) -> dict[str, Any]:
    """What the decision-step form offers: the ``suggested`` steps (by the log's structure,
    with the reasons), the other ``ticked`` chosen steps (all of them, so that each can be
    unticked), and the other steps matching ``find`` (case-insensitive; at most
    :data:`MAX_LISTED`, ``more`` counts those left out), each ``checked`` when in ``chosen``."""
    chosen_set = set(chosen)
    suggested = [{"activity": s["activity"], "checked": s["activity"] in chosen_set,
                  "reasons": _reasons(s, t)} for s in suggestions]
    offered = {s["activity"] for s in suggested}
    ticked = [{"activity": a, "checked": True} for a in sorted(chosen_set - offered)]
    needle = find.casefold()
    matching = [a for a in steps
                if a not in offered and a not in chosen_set and needle in a.casefold()]
    listed = [{"activity": a, "checked": False} for a in matching[:MAX_LISTED]]
    return {"suggested": suggested, "ticked": ticked, "listed": listed,
            "more": len(matching) - len(listed), "find": find, "total": len(steps),
            "chosen": len(chosen_set)}


def _reasons(suggestion: dict[str, Any], t: Texts) -> str:
    """Why a step looks like a decision, in words."""
    out = []
    if suggestion["branches"] >= 2:
        out.append(t("cases go {n} ways after it", n=t.integer(suggestion["branches"])))
    if suggestion["returns"] >= MIN_RETURN_SHARE:
        out.append(t("{share} go back to an earlier step after it",
                     share=t.percent(suggestion["returns"])))
    if suggestion["level"] is not None:
        out.append(t("done at level {level}", level=suggestion["level"]))
    return "; ".join(out)


def overview_suggestions(files: WorkspaceFiles, path: Path, wid: str, name: str
                         ) -> list[dict[str, Any]]:
    """The decision steps a log's structure suggests (from its cached default analysis)."""
    _, analysis = analysis_of(files, path, wid, name)
    suggested: list[dict[str, Any]] = analysis.to_dict()["decisions"].get("suggestions") or []
    return suggested


def analysis_of(files: WorkspaceFiles, path: Path, wid: str, name: str,
                view: LogView = DEFAULT_VIEW) -> tuple[dict[str, Any], Analysis]:
    """The log's info and its analysis with the view's settings (cached per import of the
    log and settings)."""
    with files.read(path) as ws:
        return _analysis(files, ws, wid, name, view)


def _analysis(files: WorkspaceFiles, ws: Workspace, wid: str, name: str, view: LogView
              ) -> tuple[dict[str, Any], Analysis]:
    key = version(ws, wid, name)
    info = files.memo(("info", *key), lambda: jsonable(ws.info(name)))
    zone = (info.get("options") or {}).get("tz")
    return info, files.memo(("analysis", *key, *view.analysis), lambda: analyze(
        sliced(files, ws, wid, name, view), **view.keywords(zone)))


def sliced(files: WorkspaceFiles, ws: Workspace, wid: str, name: str, view: LogView
           ) -> EventLog:
    """Log ``name`` cut to the view's filters (temporary tables of the workspace's
    connection: one per request). The filters run once per import and filters: then the
    cases they kept are cut again (:func:`procflow.filters.reopen`). A slice without cases
    is an InputError."""
    log = ws.log(name)
    if not view.applied:
        return log
    kept = _slice(files, ws, wid, name, view)
    if kept.codes is None or not kept.cases:
        return filter_log(log, view.applied, check=False)
    return reopen(log, kept)


def _slice(files: WorkspaceFiles, ws: Workspace, wid: str, name: str, view: LogView) -> Slice:
    """What the view's filters and case set keep of log ``name`` (cached per import,
    filters and set)."""
    return files.memo(("slice", *version(ws, wid, name), view.filters, view.case_set),
                      lambda: slice_of(filter_log(ws.log(name), view.applied, check=False,
                                                  allow_empty=True)))


def check_slice(files: WorkspaceFiles, path: Path, wid: str, name: str, view: LogView,
                t: Texts) -> None:
    """ValueError naming the filter panel's field when the view's filters name a field or
    value the log lacks, or leave no case (checked once per import and filters)."""
    if not view.filters:
        return
    with files.read(path) as ws:
        def check() -> bool:
            slices.check(ws.log(name), view.filter_list, t)
            return True

        files.memo(("slice-checked", *version(ws, wid, name), view.filters, t.lang), check)
        slices.check_kept(_slice(files, ws, wid, name, view).selection, view.filter_list, t)


def slice_facts(files: WorkspaceFiles, path: Path, wid: str, name: str, field: str,
                find: str) -> dict[str, Any]:
    """What the filter panel offers: the log's ``fields`` and the values of ``field`` matching
    ``find`` (:func:`procflow.web.slices.values`), cached per import."""
    with files.read(path) as ws:
        key = version(ws, wid, name)
        log = ws.log(name)
        found = files.memo(("slice-fields", *key), lambda: slices.fields(log))
        if field not in found:
            field = "activity"
        listed = files.memo(("slice-values", *key, field, find),
                            lambda: slices.values(log, field, find))
        return {"fields": found, **listed}


def slice_choices(files: WorkspaceFiles, path: Path, wid: str, name: str, handoff_by: str | None,
                  decisions: tuple[str, ...] | None, finds: tuple[str, str]
                  ) -> dict[str, Any]:
    """What the filter panel's handoff and layers forms offer: the log's handoff pairs
    between each ``handoff_by`` (None: no pairs) and its approval layer sequences with the
    ``decisions`` steps (None: found by name), those containing ``finds`` (for pairs, for
    sequences), cached per import."""
    find, find_layers = finds
    with files.read(path) as ws:
        key = version(ws, wid, name)
        log = ws.log(name)
        pairs = (files.memo(("slice-handoffs", *key, handoff_by, find),
                            lambda: handoff_pairs(log, handoff_by, find))
                 if handoff_by else {"by": None, "pairs": [], "total": 0})
        layers = files.memo(("slice-layers", *key, decisions, find_layers),
                            lambda: layer_sequences(log, decisions, find_layers))
        return {"handoffs": pairs, "layers": layers}


@dataclass(frozen=True)
class MapDrawing:
    """A log's process map for the page: the sanitised SVG and the steps on it, or the message
    saying why it is not drawn and the settings that fit (shares of activities and paths in
    percent, None for the share asked for), best first."""

    svg: Markup | None = None
    steps: tuple[str, ...] = ()
    message: str | None = None
    fits: tuple[tuple[int | None, int | None], ...] = ()


def map_drawing(files: WorkspaceFiles, info: dict[str, Any], data: dict[str, Any], wid: str,
                name: str, t: Texts, view: LogView, link: MapLink | None = None
                ) -> MapDrawing:
    """The map of the view (cached per import, language and map settings, refusals too);
    ``link`` gives each step and path the address of its cases."""
    options = dataclasses.replace(view.options(t), link=link)

    def draw() -> MapDrawing:
        try:
            svg = inline_svg(map_budget.draw(data, options, "svg"), "process map",
                             links=link is not None)
        except MapTooLarge as err:
            return MapDrawing(message=err.explain(t, "web"),
                              fits=tuple((fit.activities, fit.paths) for fit in err.fits))
        return MapDrawing(svg=svg, steps=abstraction(data, options).activities)

    try:
        return files.memo(("map", wid, name, info["sha256"], info["imported_at"], t.lang,
                           *view.drawing, link is not None), draw)
    except ProcflowError as err:  # Graphviz missing or failing: said on the page, not cached
        return MapDrawing(message=t("Graphviz could not draw this map: {reason}",
                                    reason=err.message))


def overview(files: WorkspaceFiles, path: Path, wid: str, name: str, t: Texts,
             view: LogView = DEFAULT_VIEW, link: MapLink | None = None) -> dict[str, Any]:
    """Headline figures and the process map (sanitised inline SVG, or why there is none;
    ``link`` makes its steps and paths links), the slice kept and the top variants."""
    info, analysis = analysis_of(files, path, wid, name, view)
    data = analysis.to_dict()
    drawn = map_drawing(files, info, data, wid, name, t, view, link)
    report = info.get("report") or {}
    return {
        "name": name,
        "log": {**{k: info.get(k) for k in ("cases", "events", "activities", "start", "end",
                                            "source_name", "format", "imported_at", "sha256")},
                "zone": shown_zone(info)},
        "open_cases": open_cases(data),
        "figures": {"cases": data["log"]["cases"],
                    "cycle_time_median_s": data["cycle_time"]["median"],
                    "cycle_time_p90_s": data["cycle_time"]["p90"],
                    "decision_latency_median_s": data["decisions"]["overall"]["median"]},
        "headline": [{"label": label, "value": value} for label, value in headline(data, t)],
        "steps": sorted(a["activity"] for a in data["activities"]),
        "decisions": data["decisions"]["activities"],
        "suggestions": data["decisions"].get("suggestions") or [],
        "warnings": data.get("warnings") or [],
        "handoff_by": data["handoffs"]["granularity"],
        "discovery": {"activities": data["log"]["activities"],
                      "fall_throughs": not mine.skips_fall_throughs(data["log"]["activities"])},
        "import": {k: report.get(k) for k in ("rows", "accepted", "rejected")},
        "map_svg": Markup(view.sized(drawn.svg)) if drawn.svg is not None else None,
        "map_steps": list(drawn.steps),
        "map_message": drawn.message,
        "map_fits": [{"activities": a, "paths": p} for a, p in drawn.fits],
        "filter": data.get("filter"),
        "variants": data["variants"],
    }


def sections(files: WorkspaceFiles, path: Path, wid: str, name: str, t: Texts,
             view: LogView = DEFAULT_VIEW, links: CaseLinks | None = None) -> Markup:
    """The report's sections (decisions, handoffs, layers, bottlenecks, service standards,
    variants, over time) of a log as an HTML fragment, its counts linking to their cases with
    ``links`` (cached per import, settings and language). With ``links``, the drawings and
    the "Over time" section are placeholders that load :func:`section_drawing` (at
    ``links.drawing``) after the page, so that the page comes without waiting for them."""
    with files.read(path) as ws:
        _, analysis = _analysis(files, ws, wid, name, view)
        if links is not None:
            def later(which: str) -> Markup:
                return placeholder(links.drawing(which, t.lang), t)

            return files.memo(("sections", *version(ws, wid, name), *view.analysis, t.lang,
                               links),
                              lambda: analysis_sections(None, analysis, t, links, later))
        return files.memo(("sections", *version(ws, wid, name), *view.analysis, t.lang),
                          lambda: analysis_sections(sliced(files, ws, wid, name, view),
                                                    analysis, t))


def placeholder(address: str, t: Texts) -> Markup:
    """Where a drawing loads after the page (``static/map.js``): "drawing…" until it comes,
    and a link to it without script."""
    return Markup('<div class="deferred" data-drawing="{0}" role="status" aria-busy="true" '
                  'data-failed="{1}"><p class="note">{2}</p><noscript><p><a href="{0}">{3}'
                  '</a></p></noscript></div>').format(
        address, t("The drawing could not be loaded; reload the page."), t("Drawing…"),
        t("Open the drawing"))


#: One drawing at a time: matplotlib's style settings are global while a chart is drawn.
_DRAWING = threading.Lock()


def section_drawing(files: WorkspaceFiles, path: Path, wid: str, name: str, t: Texts,
                    view: LogView, which: str) -> Markup:
    """One drawing of a log page's sections, or its "Over time" section (``which``: a name
    of :func:`procflow.report.html.drawing_names`; KeyError for another), cached per import,
    settings and language."""
    with files.read(path) as ws:
        _, analysis = _analysis(files, ws, wid, name, view)

        def draw() -> Markup:
            with _DRAWING:
                return section_drawing_of(sliced(files, ws, wid, name, view), analysis, t, which)

        if which not in drawing_names(analysis.to_dict()):
            raise KeyError(which)
        return files.memo(("drawing", *version(ws, wid, name), *view.analysis, t.lang, which),
                          draw)


def report_html(files: WorkspaceFiles, path: Path, wid: str, name: str, lang: str,
                view: LogView = DEFAULT_VIEW) -> str:
    """The full offline HTML report of a log with the view's analysis settings."""
    info, analysis = analysis_of(files, path, wid, name, view)
    with files.read(path) as ws:
        return analysis_report(sliced(files, ws, wid, name, view), analysis,
                               lang=lang,  # type: ignore[arg-type]
                               import_report=info.get("report"), zone=shown_zone(info))


# the cases behind a number ------------------------------------------------------------------
@dataclass(frozen=True)
class CaseList:
    """The case table of a view's slice, with the slice's ``filter`` block (None: the whole
    log), the zone its times are shown in (:func:`shown_zone`) and :func:`zone_note`."""

    table: CaseTable
    selection: dict[str, Any] | None
    zone: str | None
    zone_note: dict[str, str] | None = None


def file_offsets(info: dict[str, Any]) -> list[str]:
    """The offsets a log's time column carried in the file, most common first (``UTC+07:00``;
    empty when its times carried none)."""
    offsets: dict[str, dict[str, int]] = (info.get("report") or {}).get("time_offsets") or {}
    column = (info.get("mapping") or {}).get("timestamp")
    counts = offsets.get(str(column)) or next(iter(offsets.values()), {})
    return [offset_zone(int(m)) for m, _ in sorted(counts.items(),
                                                   key=lambda item: -int(item[1]))]


def shown_zone(info: dict[str, Any]) -> str | None:
    """The zone a log's times are shown in: the one chosen at import, else the offset its
    time column's values carried most (``UTC+07:00``), else None (UTC)."""
    chosen: str | None = (info.get("options") or {}).get("tz")
    return chosen or next(iter(file_offsets(info)), None)


def zone_note(info: dict[str, Any]) -> dict[str, str] | None:
    """When times are shown in the most common of several offsets the file carried: the
    zone shown and the others (a page says so, and how to show each in its own)."""
    offsets = file_offsets(info)
    if (info.get("options") or {}).get("tz") or len(offsets) < 2:
        return None
    return {"zone": offsets[0], "others": ", ".join(offsets[1:])}


def case_settings(view: LogView, zone: str | None) -> Settings:
    """The analysis settings of ``view`` for the case table and timelines."""
    words = view.keywords(zone)
    chosen = words.get("decision_activities")
    return Settings(decision_activities=None if chosen is None else tuple(chosen),
                    handoff_by=words.get("handoff_by"), calendar=words.get("calendar"),
                    calendar_zone=words.get("calendar_zone"),
                    sla=tuple(words["sla"]) if words.get("sla") else None)


def case_list(files: WorkspaceFiles, path: Path, wid: str, name: str, view: LogView,
              sort: CaseSort = "cycle") -> CaseList:
    """One row per case of the view's slice (:func:`procflow.measure.cases.case_table`),
    sorted by ``sort`` (cached per import, settings, filters and sort)."""
    with files.read(path) as ws:
        key = version(ws, wid, name)
        info = files.memo(("info", *key), lambda: jsonable(ws.info(name)))
        zone = (info.get("options") or {}).get("tz")

        def make() -> CaseList:
            log = sliced(files, ws, wid, name, view)
            return CaseList(case_table(log, case_settings(view, zone), sort=sort),
                            log.selection, shown_zone(info), zone_note(info))

        return files.memo(("cases", *key, *view.analysis, sort), make)


def case_page(files: WorkspaceFiles, path: Path, wid: str, name: str, case_id: str,
              view: LogView, t: Texts) -> dict[str, Any]:
    """One case of the log, whole: its ``steps`` (:func:`procflow.measure.timeline.
    case_timeline`), its Gantt chart as sanitised inline ``svg`` and the ``zone`` its times
    are shown in (an InputError offering close ids for an unknown case)."""
    with files.read(path) as ws:
        key = version(ws, wid, name)
        info = files.memo(("info", *key), lambda: jsonable(ws.info(name)))
        zone = (info.get("options") or {}).get("tz")

        def make() -> dict[str, Any]:
            steps = case_timeline(ws.log(name), case_id, case_settings(view, zone))
            title = t("Case {case} of {log}", case=case_id, log=name)
            shown = shown_zone(info)
            svg = inline_svg(case_gantt(steps, title=title, t=t, zone=shown), "case timeline")
            return {"steps": steps, "svg": svg, "zone": shown, "zone_note": zone_note(info)}

        return files.memo(("case", *key, *view.analysis, case_id, t.lang), make)


def labels(t: Texts) -> dict[str, str]:
    """Visible names of mapping fields, roles and day orders, in the page's language."""
    return {
        "case": t("Case ID"), "activity": t("Activity"), "timestamp": t("Time (completed)"),
        "start": t("Start time"), "resource": t("Resource (person)"), "role": t("Role"),
        "unit": t("Unit"), "level": t("Hierarchy level"),
        "admin": t("administrator"), "analyst": t("analyst"), "viewer": t("viewer"),
        "auto": t("detect (refuse if ambiguous)"), "dayfirst": t("day first (3 April)"),
        "monthfirst": t("month first (4 March)"),
    }


# comparisons, conformance checks and downloads ---------------------------------------------
RESULT_ID = re.compile(r"^[0-9a-f]{32}$")
RESULT_KINDS = ("comparison", "conformance")
#: How a conformance check computes fitness.
METHODS: tuple[Method, ...] = ("token", "alignments")
#: Seconds the alignments of a web conformance check may take.
CONFORM_TIME_LIMIT = 60.0


def calendar_names(t: Texts) -> dict[str, str]:
    """Visible names of the working calendars, in the page's language."""
    return {"id": t("Indonesian government week (Mon–Fri)"),
            "id-sat": t("Monday–Saturday week")}


def method_names(t: Texts) -> dict[str, str]:
    """Visible names of the fitness methods, in the page's language."""
    return {"token": t("token-based replay"), "alignments": t("alignments")}


class CompareProgress(Protocol):
    """Told how far a comparison is: the side it reads, each later phase, the thousandths
    of KPIs tested."""

    def reading(self, side: str) -> None: ...

    def stage(self, phase: Stage) -> None: ...

    def tested(self, done: int) -> None: ...


def run_compare(files: WorkspaceFiles, path: Path, before: str, after: str | None,
                split_at: dt.date | None, *, completed: bool = False,
                calendar: str | None = None, decisions: Sequence[str] | None = None,
                handoff: str | None = None,
                slices: tuple[Sequence[Filter], Sequence[Filter]] = ((), ()),
                progress: CompareProgress | None = None) -> Comparison:
    """Compare two logs, or one log split at local midnight of ``split_at`` (the time zone
    the log was imported with, else UTC); ``completed`` keeps completed cases only,
    ``calendar`` adds working-time KPIs in the before-log's import zone, ``decisions`` names
    the decision steps (None: found by name; empty: none), ``handoff`` who hands over to
    whom, ``slices`` the filters of each side (a saved view's) and ``progress`` is told how
    far it is."""
    with files.read(path) as ws:
        if progress:
            progress.reading("before")
        first = ws.log(before)
        tz = json.loads(ws.entry(before)["options"]).get("tz")
        zone = (tz or DEFAULT_ZONE) if calendar else None
        if split_at is not None:
            at = dt.datetime.combine(split_at, dt.time(), tzinfo=ZoneInfo(tz or "UTC"))
            older, newer = split(first, at)
        else:
            assert after is not None
            if progress:
                progress.reading("after")
            older, newer = first, ws.log(after)
        older, newer = (filter_log(side, list(items)) if items else side
                        for side, items in zip((older, newer), slices, strict=True))
        return compare(older, newer, completed=completed, calendar=calendar,
                       calendar_zone=zone, seed=0,
                       decision_activities=None if decisions is None else list(decisions),
                       handoff_by=cast(HandoffBy | None, handoff),
                       progress=progress.tested if progress else None,
                       stage=progress.stage if progress else None)


def run_conform(files: WorkspaceFiles, path: Path, wid: str, name: str, model: Path, *,
                method: Method = "token", model_name: str | None = None,
                view: LogView = DEFAULT_VIEW) -> Conformance:
    """Check a log (cut to the view's filters, with its decision steps) against the model or
    SOP table at ``model`` (fitness by ``method``); ``model_name`` is the file's name as
    uploaded."""
    with files.read(path) as ws:
        return conform(sliced(files, ws, wid, name, view), model, method=method,
                       decision_activities=None if view.decisions is None
                       else list(view.decisions),
                       time_limit=CONFORM_TIME_LIMIT, model_name=model_name, case_sets=True)


def save_result(data_dir: Path, wid: str, kind: str, data: dict[str, Any]) -> str:
    """Store a comparison or conformance result; returns its generated id."""
    rid = secrets.token_hex(16)
    folder = data_dir / "results" / wid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kind}-{rid}.json").write_text(json.dumps(data, ensure_ascii=False),
                                               encoding="utf-8")
    return rid


def result_path(data_dir: Path, wid: str, kind: str, rid: str) -> Path | None:
    """Where a stored result lives, or None when an id or the kind is not well-formed."""
    if kind not in RESULT_KINDS or not RESULT_ID.fullmatch(rid) or not re.fullmatch(
            r"[0-9a-f]{16}", wid):
        return None
    return data_dir / "results" / wid / f"{kind}-{rid}.json"


def load_result(data_dir: Path, wid: str, kind: str, rid: str) -> dict[str, Any] | None:
    """A stored result, or None when there is no such result in the workspace."""
    target = result_path(data_dir, wid, kind, rid)
    if target is None or not target.is_file():
        return None
    found: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return found


def case_sets_path(data_dir: Path, wid: str, rid: str) -> Path | None:
    """Where the case sets of a stored conformance check live (None: a malformed id)."""
    target = result_path(data_dir, wid, "conformance", rid)
    return None if target is None else target.with_suffix(".cases.json")


def has_case_sets(data_dir: Path, wid: str, rid: str) -> bool:
    """Whether the conformance check ``rid`` has its case sets stored (checks stored before
    they were kept have none)."""
    target = case_sets_path(data_dir, wid, rid)
    return target is not None and target.is_file()


#: The deviations of a check whose cases its page links to (the first of ``items``).
LINKED_DEVIATIONS = 10


def save_case_sets(data_dir: Path, wid: str, rid: str, sets: dict[str, list[str]]) -> None:
    """Store the case ids behind a conformance check's counts beside the check (those of
    the deviations its page lists: all cases, each kind, the first LINKED_DEVIATIONS)."""
    target = case_sets_path(data_dir, wid, rid)
    assert target is not None
    kept = {k: v for k, v in sets.items() if not k.startswith("item-")
            or int(k[5:]) < LINKED_DEVIATIONS}
    target.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")


def load_case_set(data_dir: Path, wid: str, reference: str) -> tuple[str, ...] | None:
    """The case ids of ``reference`` (``RID/KEY``, :data:`procflow.web.views.CASE_SET`), or
    None when there is no such set."""
    rid, _, key = reference.partition("/")
    target = case_sets_path(data_dir, wid, rid)
    if target is None or not target.is_file():
        return None
    found = json.loads(target.read_text(encoding="utf-8")).get(key)
    return None if found is None else tuple(str(c) for c in found)


def remove_result(data_dir: Path, wid: str, kind: str, rid: str) -> bool:
    """Delete a stored result's file (and a check's case sets); False when there is no such
    result."""
    target = result_path(data_dir, wid, kind, rid)
    if target is None:
        return False
    target.with_suffix(".cases.json").unlink(missing_ok=True)
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    return True


def xlsx_bytes(files: WorkspaceFiles, path: Path, wid: str, name: str, t: Texts,
               view: LogView = DEFAULT_VIEW) -> bytes:
    """The analysis of a log as an Excel workbook in the language of ``t``: the headline,
    its tables and one row per case."""
    with files.read(path) as ws:
        info, analysis = _analysis(files, ws, wid, name, view)
        cases = case_table(ws.log(name), analysis.settings)
    sheets = analysis_book(analysis, t, cases=cases, source=info.get("source_name"))
    with tempfile.TemporaryDirectory() as tmp:
        return write_workbook(sheets, Path(tmp) / "tables.xlsx").read_bytes()


def map_bytes(files: WorkspaceFiles, path: Path, wid: str, name: str, fmt: str, t: Texts,
              view: LogView = DEFAULT_VIEW) -> bytes:
    """The process map of a log as SVG or PNG (:class:`MapTooLarge` when it cannot be laid
    out in time)."""
    info, analysis = analysis_of(files, path, wid, name, view)
    return files.memo(("map-file", wid, name, info["sha256"], info["imported_at"], t.lang, fmt,
                       *view.drawing),
                      lambda: map_budget.draw(analysis.to_dict(), view.options(t), fmt))


def model_bytes(files: WorkspaceFiles, path: Path, wid: str, name: str, suffix: str) -> bytes:
    """The model discovered by the inductive miner, as BPMN or PNML (``suffix``)."""
    with files.read(path) as ws:
        def discover() -> mine.Model:
            with prepared(ws.log(name)) as prep:
                counts = case_variants(prep).counts
            return mine.discover(counts, algorithm="inductive", name=name)

        model = files.memo(("model", *version(ws, wid, name)), discover)
    with tempfile.TemporaryDirectory() as tmp:
        return mine.write_model(model, Path(tmp) / f"model{suffix}").read_bytes()
