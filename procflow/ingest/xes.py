"""Read XES event logs: streaming, fast, and refusing unsafe XML.

The reader takes the document in chunks of whole tags and cuts each chunk at every ``<`` and
``"`` without copying, so the usual ``<string key="k" value="v"/>`` tags are checked and read
with Arrow and NumPy kernels; other shapes (single quotes, ``value`` first, extra XML
attributes) go through a small Python parser. A worker thread prepares the next chunk while
the current one is assembled. Nesting, root, references and encoding are checked.

* One row per ``<event>``, in document order; event attributes become columns named by key,
  trace attributes ``case:<key>`` (a trace attribute wins a name clash, as in pm4py); all text
  exactly as written, entities decoded. ``<global>``, ``<extension>``, ``<classifier>`` and
  log-level attributes are not applied; meta-attributes (children of an attribute) are
  ignored and ``<list>`` / ``<container>`` attributes skipped whole.
* :class:`FormatError` (with the line) for broken XML, an ``<event>`` outside a ``<trace>``,
  text inside elements, and encodings other than UTF-8, US-ASCII and ISO-8859-1.
* :class:`UnsafeInputError` for ``<!DOCTYPE`` or ``<!ENTITY`` anywhere, even in a comment,
  found before the chunk holding it is parsed; no entity is ever expanded.
* ``progress`` receives the number of uncompressed bytes read so far, once per chunk.
* :func:`xes_batches` hands the events over in tables of whole traces as they are read, so
  that memory follows the table size, not the file; :func:`read_xes` is its one-table form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procflow.errors import FormatError, UnsafeInputError
from procflow.ingest.limits import check_columns
from procflow.ingest.schema import ROW
from procflow.ingest.sniff import Limits, open_bytes

CHUNK = 4 * 1024 * 1024
ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
(IGNORE, ATTR, ATTR_OPEN, OPEN, CLOSE, EV_OPEN, EV_CLOSE, EV_EMPTY,
 TR_OPEN, TR_CLOSE, TR_EMPTY, LOG_OPEN, LOG_CLOSE, LOG_EMPTY) = range(14)
_STRUCTURE = {"event": (EV_OPEN, EV_CLOSE, EV_EMPTY), "trace": (TR_OPEN, TR_CLOSE, TR_EMPTY),
              "log": (LOG_OPEN, LOG_CLOSE, LOG_EMPTY)}
_STEP, _EVENT, _TRACE = (np.zeros(14, np.int8) for _ in range(3))
_STEP[[OPEN, ATTR_OPEN]], _STEP[CLOSE] = 1, -1
_EVENT[EV_OPEN], _EVENT[EV_CLOSE], _TRACE[TR_OPEN], _TRACE[TR_CLOSE] = 1, -1, 1, -1
_EV_START, _TR_START, _MARK = (np.zeros(14, bool) for _ in range(3))
_EV_START[[EV_OPEN, EV_EMPTY]] = _TR_START[[TR_OPEN, TR_EMPTY]] = True
_MARK[[OPEN, ATTR_OPEN, CLOSE, *range(EV_OPEN, LOG_EMPTY + 1)]] = True
_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "utf-8", "ascii": "utf-8",
              "iso-8859-1": "latin-1", "latin-1": "latin-1", "latin1": "latin-1"}
_DTD = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)
_SPECIAL = re.compile(rb"<[!?]")
_HIDDEN = ((b"<!--", b"-->"), (b"<?", b"?>"), (b"<![CDATA[", b"]]>"))
_BLANK = bytes(10 if b == 10 else 32 for b in range(256))
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ABOVE_SPACE = bytes(range(32, 256))
_W = "[ \t\r\n]"
_START = (":A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c"
          "\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_NAME = f"[{_START}][{_START}\\-.0-9\u00b7\u0300-\u036f\u203f\u2040]*"  # an XML Name
_TAG = re.compile(rf"(/?)({_NAME})((?:{_W}+{_NAME}{_W}*={_W}*(?:\"[^\"]*\"|'[^']*'))*)"
                  rf"{_W}*(/?)>{_W}*\Z")
_XML_ATTR = re.compile(rf"({_NAME}){_W}*={_W}*(\"[^\"]*\"|'[^']*')")
_BAD_REF = re.compile(rb"&(?!#x[0-9A-Fa-f]+;|#[0-9]+;|amp;|lt;|gt;|quot;|apos;)")
_REF = re.compile(r"&(?:#x([0-9A-Fa-f]{1,8})|#([0-9]{1,10})|(amp|lt|gt|quot|apos));")
_XML_DECL = re.compile(rb"<\?xml\s+version\s*=\s*([\"'])1\.[0-9]+\1(?:\s+encoding\s*=\s*([\"'])"
                       rb"([A-Za-z][\w.-]{0,39})\2)?(?:\s+standalone\s*=\s*([\"'])(?:yes|no)\4)?\s*\?>")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_SPACES = {9: 32, 10: 32, 13: 32}
_NOT_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Tag(NamedTuple):
    kind: int
    name: str
    attrs: list[tuple[str, str]]  # (name, value with its quotes), in document order


def _parse_tag(text: str) -> _Tag | None:
    """Parse one tag (the text after its ``<``); None when it is not well-formed."""
    m = _TAG.match(text)
    if m is None:
        return None
    close, name, xml_attrs, empty = m.group(1, 2, 3, 4)
    attrs = _XML_ATTR.findall(xml_attrs)
    names = {a for a, _ in attrs}
    if (close and (attrs or empty)) or len(names) != len(attrs):
        return None
    local = name.rpartition(":")[2]
    if local in _STRUCTURE:
        opened, closed, both = _STRUCTURE[local]
        return _Tag(closed if close else both if empty else opened, name, attrs)
    if close:
        return _Tag(CLOSE, name, attrs)
    if local in ATTRIBUTE_TAGS and {"key", "value"} <= names:
        return _Tag(ATTR if empty else ATTR_OPEN, name, attrs)
    return _Tag(IGNORE if empty else OPEN, name, attrs)


def _unescape(raw: str) -> str | None:
    """Normalise an attribute value as XML does; None when a reference is invalid."""
    text = raw.replace("\r\n", " ").translate(_SPACES)
    if "&" not in text:
        return text
    if text.count("&") != len(_REF.findall(text)):
        return None
    text = _REF.sub(_expand, text)
    return None if _NOT_CHAR.search(text) else text


def _expand(ref: re.Match[str]) -> str:
    if ref[3]:
        return _NAMED[ref[3]]
    code = int(ref[1], 16) if ref[1] else int(ref[2])
    return chr(code) if code <= 0x10FFFF else "\x00"


class _Problem(Exception):
    """A fault found while preparing a chunk: its message and byte offset in the chunk."""


class _Chunk:
    """One chunk cut into tags, each classified; ``fast`` attribute tags read
    ``<t key="k" value="v"/>``: key at ``base + 2``, value at ``base + 6`` in ``pieces``."""

    def __init__(self, head: bytes, classes: dict[str, tuple[int, str, bool]]):
        self.head, self.classes = head, classes
        self.problem: _Problem | None = None
        self.lines = 0
        self.raw: dict[int, tuple[str, str]] = {}  # key, value of tags parsed one by one
        self.names: dict[int, str] = {}  # element names of tags that open or close nesting
        self.key_texts: pa.Array = pa.array([], pa.string())
        try:
            quotes = self._tokenize()
            count = len(quotes)
            self.kind, self.fast = np.zeros(count, np.int8), np.zeros(count, bool)
            self.key_code = np.full(count, -1, np.int64)  # index in ``key_texts``
            slow = [np.flatnonzero((quotes != 4) & (quotes != 0))]
            for n_quotes in (4, 0):
                group = np.flatnonzero(quotes == n_quotes)
                if len(group):
                    slow.append(self._classify(group, n_quotes))
            self._parse_slow(np.sort(np.concatenate(slow)))
        except _Problem as problem:
            self.problem = problem

    def _tokenize(self) -> np.ndarray:
        """Cut at every ``<`` and ``"`` without copying; return the quotes in each tag."""
        head = self.head
        if len(head) >= 2**31:
            raise _Problem("a single element is larger than 2 GB", 0)
        text = pa.Array.from_buffers(pa.string(), 1, [
            None, pa.py_buffer(np.array([0, len(head)], np.int32)), pa.py_buffer(head)])
        try:
            text.validate(full=True)
        except pa.ArrowInvalid:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as err:
                raise _Problem("the bytes are not UTF-8 text (binary data?)", err.start) from None
        data = np.frombuffer(head, np.uint8)
        self.lines = int(np.count_nonzero(data == 10))
        low = np.count_nonzero(data < 32) - self.lines
        if low and low != np.count_nonzero(data == 9) + np.count_nonzero(data == 13):
            found = _CONTROL.search(head)
            raise _Problem("control characters (binary data?)", found.start() if found else 0)
        bad = _BAD_REF.search(head) if b"&" in head else None
        if bad is not None:
            raise _Problem("an invalid entity or character reference", bad.start())
        cuts = np.flatnonzero((data == 60) | (data == 34))
        tags = np.flatnonzero(data[cuts] == 60)
        self.lt = cuts[tags]  # byte offset of each tag's "<"
        if head[: self.lt[0] if len(tags) else len(head)].strip(b" \t\r\n"):
            raise _Problem("text outside the root element", 0)
        offsets = np.empty(2 * len(cuts) + 2, np.int32)
        offsets[0], offsets[-1] = 0, len(head)
        offsets[1:-1:2], offsets[2:-1:2] = cuts, cuts + 1
        self.pieces = pa.Array.from_buffers(pa.string(), len(offsets) - 1, [
            None, pa.py_buffer(offsets), pa.py_buffer(head)])
        self.base = 2 * tags + 2  # index in ``pieces`` of each tag's text before any quote
        return np.diff(np.r_[tags, len(cuts)]) - 1

    def _classify(self, group: np.ndarray, n_quotes: int) -> np.ndarray:
        """Classify tags by their text outside quotes; return those needing a full parse."""
        base, width = self.base[group], n_quotes // 2 + 1
        enc = self.pieces.take(pa.array((base[:, None] + np.arange(0, 4 * width, 4)).ravel()))
        enc = enc.dictionary_encode()
        parts, size = enc.dictionary.to_pylist(), len(enc.dictionary)
        codes = enc.indices.to_numpy().astype(np.int64).reshape(-1, width) @ (
            size ** np.arange(width - 1, -1, -1, dtype=np.int64))
        combos = pa.array(codes).dictionary_encode()
        table = [self._skeleton_class('""'.join(
            parts[code // size**p % size] for p in range(width - 1, -1, -1)))
            for code in combos.dictionary.to_pylist()]
        kinds, tag_names, fast = (np.array(c) for c in zip(*table, strict=True))
        inverse = combos.indices.to_numpy()
        self.kind[group] = kinds[inverse]
        self.fast[group] = fast[inverse]
        if n_quotes == 4:
            keys = self.pieces.take(pa.array(base + 2)).dictionary_encode()
            self.key_code[group], self.key_texts = keys.indices.to_numpy(), keys.dictionary
        for i in np.flatnonzero(np.isin(kinds, (OPEN, ATTR_OPEN, CLOSE))[inverse]).tolist():
            self.names[int(group[i])] = str(tag_names[inverse[i]])
        return group[(np.isin(kinds, (ATTR, ATTR_OPEN)) & ~fast)[inverse]]

    def _skeleton_class(self, skeleton: str) -> tuple[int, str, bool]:
        """(kind, name, fast) of a tag whose quoted values were emptied. A skeleton that does not
        parse, or has other quoting, counts as a slow attribute: the real tag is then parsed."""
        found = self.classes.get(skeleton)
        if found is None:
            tag = _parse_tag(skeleton)
            found = (ATTR, "", False)
            if tag is not None and all(v == '""' for _, v in tag.attrs):
                order = [a for a, _ in tag.attrs]
                fast = tag.kind in (ATTR, ATTR_OPEN) and order == ["key", "value"]
                found = (tag.kind, tag.name, fast and skeleton.count('"') == 4)
            if len(self.classes) < 4096:
                self.classes[skeleton] = found
        return found

    def _parse_slow(self, group: np.ndarray) -> None:
        ends = np.r_[self.lt[1:], len(self.head)]
        for i in group.tolist():
            tag = _parse_tag(self.head[self.lt[i] + 1: ends[i]].decode("utf-8"))
            if tag is None:
                raise _Problem("a tag is not well-formed, or text stands where XES has none",
                               int(self.lt[i]))
            self.kind[i] = tag.kind
            if tag.kind in (OPEN, ATTR_OPEN, CLOSE):
                self.names[i] = tag.name
            if tag.kind in (ATTR, ATTR_OPEN):
                attrs = dict(tag.attrs)
                self.raw[i] = (attrs["key"][1:-1], attrs["value"][1:-1])


class _Reader:
    """Assembles prepared chunks, in order, into columns; keeps the nesting state."""

    def __init__(self, name: str, limits: Limits | None = None):
        self.name = name
        self.limits = limits or Limits()
        self.depth = self.in_event = self.in_trace = self.in_log = self.roots = 0
        self.n_events = self.n_traces = self.pivoted = self.line = self.offset = 0
        self.emitted_traces = 0
        self.stack: list[str] = []
        self.classes: dict[str, tuple[int, str, bool]] = {}
        self.event_keys: dict[str, int] = {}
        self.trace_keys: dict[str, int] = {}
        self.tables: list[pa.Table] = []
        self.open_event: tuple[np.ndarray, np.ndarray, pa.Array] | None = None
        empty = np.zeros(0, np.int64)
        self.trace_attrs = [(empty, empty, pa.array([], pa.string()))]
        self.event_trace = [empty]
        self.chunk = _Chunk(b"", {})

    def fail(self, message: str, at: int = 0, token: int | None = None) -> FormatError:
        if token is not None:
            at = int(self.chunk.lt[token])
        line = self.line + self.chunk.head.count(b"\n", 0, at) + 1
        return FormatError(
            f"malformed XES at line {line:,} (byte {self.offset + at:,}): {message}.",
            source=self.name, fix="check that the export finished, or export the log again.",
            code="xes_malformed", params={"line": line, "what": message})

    def feed(self, chunk: _Chunk) -> None:
        """Check one prepared chunk's nesting and add its attributes."""
        self.chunk = chunk
        if chunk.problem is not None:
            raise self.fail(*chunk.problem.args)
        kind = chunk.kind
        if len(kind):
            depth, in_event, in_trace, ev_s, tr_s = self._structure(kind)
            event_no = self.n_events + np.cumsum(ev_s) - 1
            trace_no = self.n_traces + np.cumsum(tr_s) - 1
            top = ((kind == ATTR) | (kind == ATTR_OPEN)) & (depth == 0)
            sel = np.flatnonzero(top & (in_event == 1))
            ids, values = self._attributes(sel, self.event_keys)
            self.n_events += int(ev_s.sum())
            self._add_events(event_no[sel], ids, values, self.n_events - self.in_event)
            sel = np.flatnonzero(top & (in_event == 0) & (in_trace == 1))
            ids, values = self._attributes(sel, self.trace_keys)
            self.trace_attrs.append((trace_no[sel], ids, values))
            self.event_trace.append(trace_no[ev_s])
            self.n_traces += int(tr_s.sum())
        self.line += chunk.lines
        self.offset += len(chunk.head)

    def _structure(self, kind: np.ndarray) -> tuple[np.ndarray, ...]:
        """Check the nesting; per tag, the depth of other elements before it, whether it is
        inside an event and a trace, and whether it starts an event or a trace."""
        step = _STEP[kind]
        after = self.depth + np.cumsum(step, dtype=np.int64)
        depth = after - step
        in_event = self.in_event + np.cumsum(_EVENT[kind], dtype=np.int64)
        in_trace = self.in_trace + np.cumsum(_TRACE[kind], dtype=np.int64)
        at = np.flatnonzero(_MARK[kind])
        k, d, e, t = kind[at], depth[at], in_event[at], in_trace[at]
        events, traces = (k >= EV_OPEN) & (k <= EV_EMPTY), (k >= TR_OPEN) & (k <= TR_EMPTY)
        self._check_root(kind, at[k >= LOG_OPEN], depth, in_trace)
        checks = (
            (((k == EV_OPEN) | (k == EV_EMPTY)) & (t != 1), "an <event> outside a <trace>"),
            ((after[at] < 0) | (e < 0) | (e > 1) | (t < 0) | (t > 1)
             | ((events | traces) & (d != 0)) | (traces & (e != 0))
             | ((k == EV_EMPTY) & (e != 0)) | ((k == TR_EMPTY) & (t != 0)),
             "elements are not properly nested"),
        )
        bad = [(int(at[np.argmax(mask)]), text) for mask, text in checks if mask.any()]
        if bad:
            raise self.fail(min(bad)[1], token=min(bad)[0])
        for i, name in sorted(self.chunk.names.items()):
            if kind[i] != CLOSE:
                self.stack.append(name)
            elif not self.stack or self.stack.pop() != name:
                raise self.fail("a closing tag does not match its opening tag", token=i)
        self.depth, self.in_event = int(after[-1]), int(in_event[-1])
        self.in_trace = int(in_trace[-1])
        return depth, in_event, in_trace, _EV_START[kind], _TR_START[kind]

    def _check_root(self, kind: np.ndarray, logs: np.ndarray, depth: np.ndarray,
                    in_trace: np.ndarray) -> None:
        """Everything must sit inside one ``<log>`` element."""
        if not self.in_log and (not len(logs) or logs[0] != 0):
            raise self.fail("content outside the <log> root element", token=0)
        for i in logs.tolist():
            if kind[i] != LOG_CLOSE and (self.in_log or self.roots):
                raise self.fail("a second root element", token=i)
            if kind[i] == LOG_CLOSE and (not self.in_log or depth[i] or in_trace[i]):
                raise self.fail("</log> closes elements that are still open", token=i)
            self.roots, self.in_log = 1, int(kind[i] == LOG_OPEN)
            if not self.in_log and i + 1 < len(kind):
                raise self.fail("content outside the <log> root element", token=i + 1)

    def _attributes(self, sel: np.ndarray,
                    registry: dict[str, int]) -> tuple[np.ndarray, pa.Array]:
        """Key ids and decoded values of the attribute tags ``sel``, in document order."""
        chunk = self.chunk
        fast = chunk.fast[sel]
        codes, slow = chunk.key_code[sel[fast]], sel[~fast].tolist()
        lookup = np.zeros(len(chunk.key_texts), np.int64)
        keys, first = np.unique(codes, return_index=True)
        used, firsts = keys.tolist(), sel[fast][first].tolist()
        slow_ids = {}
        for token, j in sorted([*zip(firsts, used, strict=True), *((i, -1) for i in slow)]):
            raw = chunk.raw[token][0] if j < 0 else chunk.key_texts[j].as_py()
            text = _unescape(raw)
            if text is None:
                raise self.fail("an invalid character or reference", token=token)
            key = registry.setdefault(text, len(registry))
            if j < 0:
                slow_ids[token] = key
            else:
                lookup[j] = key
        check_columns(len(self.event_keys) + len(self.trace_keys), self.name, self.limits,
                      what="different attribute keys (columns)")
        ids = lookup[codes]
        values = chunk.pieces.take(pa.array(chunk.base[sel[fast]] + 6))
        if slow:
            ids = np.concatenate([ids, np.array([slow_ids[i] for i in slow], np.int64)])
            values = pa.concat_arrays(
                [values, pa.array([chunk.raw[i][1] for i in slow], pa.string())])
            order = np.argsort(np.concatenate([sel[fast], sel[~fast]]), kind="stable")
            ids, values = ids[order], values.take(pa.array(order))
        return ids, self._decode_values(values, sel)

    def _decode_values(self, values: pa.Array, sel: np.ndarray) -> pa.Array:
        if b"&" not in self.chunk.head and not _below_space(values):
            return values
        special = pc.match_substring_regex(values, "[&\t\n\r]")
        where = np.flatnonzero(special.to_numpy(zero_copy_only=False))
        fixed = [_unescape(text) for text in values.take(pa.array(where)).to_pylist()]
        for i, text in zip(where.tolist(), fixed, strict=True):
            if text is None:
                raise self.fail("an invalid character or reference", token=int(sel[i]))
        return pc.replace_with_mask(values, special, pa.array(fixed, pa.string()))

    def _add_events(self, rows: np.ndarray, ids: np.ndarray, values: pa.Array,
                    done: int) -> None:
        """Pivot the attributes of events before ``done`` into a table; keep the rest."""
        if self.open_event is not None:
            rows = np.concatenate([self.open_event[0], rows])
            ids = np.concatenate([self.open_event[1], ids])
            values = pa.concat_arrays([self.open_event[2], values])
        split = int(np.searchsorted(rows, done))
        self.open_event = None
        if split < len(rows):
            self.open_event = (rows[split:], ids[split:], values.slice(split))
        if done > self.pivoted:
            cols = _pivot(rows[:split] - self.pivoted, ids[:split], values.slice(0, split),
                          done - self.pivoted, list(self.event_keys))
            cols[ROW] = pa.array(np.arange(self.pivoted + 1, done + 1, dtype=np.int64))
            self.tables.append(pa.table(cols))
            self.pivoted = done

    def check_end(self) -> None:
        """Check that the document ended cleanly."""
        if not self.roots:
            raise self.fail("no <log> root element was found")
        if self.depth or self.in_event or self.in_trace or self.in_log or self.stack:
            self.chunk = _Chunk(b"", {})
            raise self.fail("the file ends inside an element (truncated?)")

    def take(self, rows: int | None) -> pa.Table | None:
        """The events of closed traces not handed over yet, as a table, once there are at
        least ``rows`` of them (all of them when ``rows`` is None); else None.

        Columns: every event key met so far, then ``case:<key>`` for every trace key met so
        far (text, empty where an event or trace has no value), then ``__row``.
        """
        closed = self.n_traces - self.in_trace
        trace_of = np.concatenate(self.event_trace)
        count = int(np.searchsorted(trace_of, closed))
        self.event_trace = [trace_of]
        if rows is not None and count < max(rows, 1):
            return None
        self.event_trace = [trace_of[count:]]
        table = pa.concat_tables(self.tables, promote_options="default") if self.tables else \
            pa.table({ROW: pa.array([], pa.int64())})
        head = table.slice(0, count)
        self.tables = [table.slice(count)] if count < table.num_rows else []
        at, ids = (np.concatenate([part[i] for part in self.trace_attrs]) for i in (0, 1))
        values = pa.concat_arrays([part[2] for part in self.trace_attrs])
        done = at < closed
        cases = _pivot(at[done] - self.emitted_traces, ids[done], values.filter(pa.array(done)),
                       closed - self.emitted_traces, list(self.trace_keys))
        self.trace_attrs = [(at[~done], ids[~done], values.filter(pa.array(~done)))]
        traces = pa.array(trace_of[:count] - self.emitted_traces)
        self.emitted_traces = closed
        present = set(head.column_names)
        out = {key: head[key] if key in present else pa.nulls(count, pa.string())
               for key in self.event_keys}
        for key in self.trace_keys:
            column = cases.get(key)
            out[f"case:{key}"] = (pa.nulls(count, pa.string()) if column is None
                                  else column.take(traces))
        out[ROW] = head[ROW]
        return pa.table(out)


def _pivot(rows: np.ndarray, ids: np.ndarray, values: pa.Array, count: int,
           names: list[str]) -> dict[str, pa.Array]:
    """Long (row, key id, value) triples to one string column per key; last value wins."""
    order = np.argsort(ids.astype(np.uint16) if len(names) < 2**16 else ids, kind="stable")
    bounds = np.flatnonzero(np.diff(ids[order])) + 1
    cols = {}
    for start, end in zip(np.r_[0, bounds], np.r_[bounds, len(ids)], strict=True):
        if start == end:
            continue
        at = order[start:end]
        where = rows[at]
        last = np.r_[where[1:] != where[:-1], True]
        index = np.full(count, -1, np.int64)
        index[where[last]] = at[last]
        cols[names[ids[at[0]]]] = values.take(pa.array(index, mask=index < 0))
    return {name: cols[name] for name in names if name in cols}


def read_xes(path: Path, *, limits: Limits | None = None,
             progress: Callable[[int], None] | None = None) -> pa.Table:
    """Read an XES file (plain or gzip) into a table of text columns plus ``__row``.

    See the module docstring for what is kept, skipped and refused. ``progress`` is called
    once per chunk with the number of uncompressed bytes read so far.
    """
    return next(iter(xes_batches(path, limits=limits, progress=progress)))


def xes_batches(path: Path, *, limits: Limits | None = None,
                progress: Callable[[int], None] | None = None,
                rows: int | None = None) -> Iterator[pa.Table]:
    """Read an XES file as :func:`read_xes` does, handing its events over in tables of at least
    ``rows`` events of whole traces (the last table may be smaller; one table of everything
    when ``rows`` is None). Memory grows with ``rows`` and the longest trace, not the file.

    A later table may have columns an earlier one lacked (keys first met later); the columns
    of the last table are those :func:`read_xes` gives, in its order.
    """
    name = str(path)
    reader = _Reader(name, limits)
    handed: list[str] | None = None  # the columns of the table handed over last
    try:
        with open_bytes(Path(path), limits) as stream, ThreadPoolExecutor(1) as pool:
            pending: Future[_Chunk] | None = None
            for head in _heads(stream, name, progress):
                prepared = pool.submit(_Chunk, head, reader.classes)
                if pending is not None:
                    reader.feed(pending.result())
                    if rows is not None and (table := reader.take(rows)) is not None:
                        handed = table.column_names
                        yield table
                pending = prepared
            if pending is not None:
                reader.feed(pending.result())
        reader.check_end()
        last = reader.take(None)
    except pa.ArrowException as err:
        raise FormatError("the XES content could not be read.", source=name,
                          fix="check that the file is a complete XES export.",
                          code="xes_unreadable") from err
    if last is not None and (last.num_rows or last.column_names != handed):
        yield last


def _heads(stream: BinaryIO, name: str,
           progress: Callable[[int], None] | None) -> Iterator[bytes]:
    """Yield the document in chunks that each end just before a tag."""
    carry, total, codec = b"", 0, ""
    while True:
        data = stream.read(CHUNK if codec else max(CHUNK, 4096))
        total += len(data)
        if progress is not None and data:
            progress(total)
        if not codec:
            data, codec = _prologue(data, name)
        buf, hidden = carry + data, -1
        if b"!" in data or b"?" in data or b"!" in carry or b"?" in carry:
            buf, hidden = _hide(buf, name)
        if not data:
            if hidden >= 0:
                raise FormatError("malformed XES: a comment, CDATA section or processing "
                                  "instruction is never closed.", source=name,
                                  code="xes_unclosed")
            if buf:
                yield _recode(buf, codec)
            return
        cut = buf.rfind(b"<", 0, hidden + 1 if hidden >= 0 else len(buf))
        if cut > 0:
            yield _recode(buf[:cut], codec)
        carry = buf[max(cut, 0):]


def _prologue(data: bytes, name: str) -> tuple[bytes, str]:
    """Check the first bytes: not empty, an XML text, in an encoding we read."""
    if not data.strip():
        raise FormatError("the file is empty.", source=name, fix="export the log again.",
                          code="file_empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
        raise FormatError("UTF-16 and UTF-32 XES files are not supported.", source=name,
                          fix="save the file as UTF-8.", code="xes_encoding",
                          params={"encoding": "UTF-16"})
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.lstrip(b" \t\r\n").startswith(b"<"):
        raise FormatError("not an XML file: it does not start with a tag.", source=name,
                          fix="check that this is an XES export.", code="not_xml")
    declared = _XML_DECL.match(data)
    if declared is None and re.match(rb"<\?xml\s", data):
        raise FormatError("malformed XES: the XML declaration on line 1 is not well-formed.",
                          source=name, fix="check that this is an XES export.",
                          code="xes_declaration")
    encoding = ((declared and declared.group(3)) or b"utf-8").decode("ascii").lower()
    if encoding not in _ENCODINGS:
        raise FormatError(f"the file declares the encoding {encoding!r}, which is not supported.",
                          source=name, fix="save the file as UTF-8.", code="xes_encoding",
                          params={"encoding": encoding})
    return data, _ENCODINGS[encoding]


def _hide(buf: bytes, name: str) -> tuple[bytes, int]:
    """Refuse DTDs; blank out comments, CDATA and processing instructions, keeping lines.

    Returns the buffer and the offset of a construct that is not closed yet, or -1.
    """
    first = _SPECIAL.search(buf)
    if first is None:
        return buf, -1
    if _DTD.search(buf, first.start()):
        raise UnsafeInputError(
            "the file contains a DOCTYPE or ENTITY declaration, refused for safety "
            "(entity expansion, access to other files).", source=name,
            fix="remove the DOCTYPE and ENTITY declarations; XES does not need them.",
            code="unsafe_xml")
    out, pos = bytearray(buf), first.start()
    while (found := _SPECIAL.search(out, pos)) is not None:
        start = found.start()
        closer = next((c for o, c in _HIDDEN if out.startswith(o, start)), None)
        if closer is None:
            pos = start + 2
            continue
        end = out.find(closer, start + 2)
        if end < 0:
            return bytes(out), start
        end += len(closer)
        out[start:end] = out[start:end].translate(_BLANK)
        pos = end
    return bytes(out), -1


def _below_space(values: pa.Array) -> bool:
    """Whether any string in ``values`` holds a character below U+0020."""
    buffers = values.buffers()
    if not len(values) or buffers[2] is None:
        return False
    offsets = np.frombuffer(buffers[1], np.int32, len(values) + 1, values.offset * 4)
    data = bytes(memoryview(buffers[2])[offsets[0]:offsets[-1]])
    return bool(data.translate(None, _ABOVE_SPACE))


def _recode(head: bytes, codec: str) -> bytes:
    return head if codec == "utf-8" else head.decode(codec).encode("utf-8")
