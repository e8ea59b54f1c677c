"""Say in words where and why a CSV file cannot be parsed, instead of the parser's own text.

When the fast parser stops (a row with too many or too few fields, a quote that is never
closed, a value too long for a block), the text is read again by Python's ``csv`` module to
find the rows at fault; rows are numbered as everywhere in procflow (1 = the first row under
the header, blank lines not counted).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Any

from procflow.errors import FormatError

_FIX_FIELDS = ("quote values that contain the delimiter, check that every row has one value "
               "per column, or pass --delimiter.")
_FIX_QUOTE = ('close the quote, write quotes inside values as two quotes (""), or export the '
              "file again.")
_ARROW_NOISE = ("CSV parse error: ", "CSV conversion error: ")
_COLUMNS = re.compile(r"Expected (\d+) columns, got (\d+)")


@dataclass(frozen=True)
class BadRow:
    """A row the parser cannot use: its number, field count, start and fault (``fields``,
    ``unclosed`` quote, ``long`` value or stray carriage ``return``)."""

    row: int
    fields: int
    text: str
    fault: str = "fields"

    @property
    def unclosed(self) -> bool:
        """Whether a quote opened in the row is never closed."""
        return self.fault == "unclosed"

    def describe(self, expected: int) -> str:
        """The row's fault in words."""
        if self.fault == "unclosed":
            return (f"row {self.row:,} opens a quoted value that is never closed, so the rest "
                    f"of the file reads as one value ({self.text!r})")
        if self.fault == "long":
            return f"row {self.row:,} holds a value longer than 128 KB ({self.text!r})"
        if self.fault == "return":
            return (f"row {self.row:,} holds a carriage return (\\r) outside quotes "
                    f"({self.text!r})")
        return f"row {self.row:,} has {self.fields} fields, not {expected} ({self.text!r})"


class Lines:
    """The lines of ``text`` from ``start``, one slice at a time (no copy of the whole text);
    ``pos`` is where the next line starts."""

    def __init__(self, text: str, start: int = 0):
        self.text, self.pos = text, start

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.text):
            raise StopIteration
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end + 1
        line, self.pos = self.text[self.pos:end], end
        return line


def bad_rows(text: str, start: int, delimiter: str, expected: int,
             limit: int = 3) -> list[BadRow]:
    """The first ``limit`` rows of ``text[start:]`` whose field count is not ``expected``."""
    stream = Lines(text, start)
    reader = csv.reader(stream, delimiter=delimiter)
    found: list[BadRow] = []
    row = 0
    while len(found) < limit:
        at = stream.pos
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            fault = "return" if "new-line" in str(err) else (
                "unclosed" if text.count('"', at) % 2 else "long")
            found.append(BadRow(row + 1, 0, _snippet(text, at), fault))
            break
        if not record:
            continue
        row += 1
        if len(record) != expected:
            odd = text.count('"', at, stream.pos) % 2 == 1
            found.append(BadRow(row, len(record), _snippet(text, at),
                                "unclosed" if odd else "fields"))
    return found


def _snippet(text: str, at: int) -> str:
    line = text[at:at + 200].split("\n", 1)[0]
    return line[:80] + ("…" if len(line) > 80 else "")


def wrong_fields(path: str, text: str, start: int, delimiter: str, expected: int,
                 count: int) -> FormatError:
    """The error for ``count`` rows whose field count is wrong (found by the fast parser)."""
    rows = bad_rows(text, start, delimiter, expected)
    where = "; ".join(r.describe(expected) for r in rows) or "rows could not be located"
    unclosed = any(r.unclosed for r in rows)
    return FormatError(
        f"{count:,} row(s) have the wrong number of fields (the header has {expected}): "
        f"{where}.",
        source=path, fix=_FIX_QUOTE if unclosed else _FIX_FIELDS, **_coded(rows, expected))


def parse_failure(path: str, err: Exception, text: str, start: int, delimiter: str,
                  expected: int) -> FormatError:
    """The error for a failure of the fast parser, with the row at fault where it is found."""
    message = str(err)
    for noise in _ARROW_NOISE:
        message = message.replace(noise, "")
    rows = bad_rows(text, start, delimiter, expected)
    unclosed = [r for r in rows if r.unclosed]
    if "straddl" in message or unclosed:
        if unclosed:
            return FormatError(f"{unclosed[0].describe(expected)}.", source=path, fix=_FIX_QUOTE,
                               **_coded(rows, expected))
        return FormatError(
            "a quoted value is never closed, or one value is longer than 8 MB"
            f"{_near(rows, expected)}.", source=path, fix=_FIX_QUOTE, code="csv_quote",
            params={"rows": [r.row for r in rows]})
    if _COLUMNS.search(message):
        where = "; ".join(r.describe(expected) for r in rows) or _COLUMNS.sub(
            lambda m: f"a row has {m[2]} fields, not {m[1]}", message).split(":")[0]
        return FormatError(f"rows have the wrong number of fields (the header has "
                           f"{expected}): {where}.", source=path, fix=_FIX_FIELDS,
                           **_coded(rows, expected))
    if "UTF8" in message or "UTF-8" in message:
        return FormatError("a value is not valid UTF-8 text.",
                           source=path, fix="pass the file's real encoding with --encoding "
                                            "(e.g. cp1252 or latin-1), or save it as UTF-8.",
                           code="bad_encoding", params={"byte": None, "line": None})
    detail = message.strip().split("\n")[0][:120]
    return FormatError(f"the file cannot be read as CSV ({detail}){_near(rows, expected)}.",
                       source=path, fix=_FIX_FIELDS, code="not_csv")


def _coded(rows: list[BadRow], expected: int) -> dict[str, Any]:
    """The code and values of a file whose rows have the wrong number of fields, or a quote
    never closed: the rows (numbers) and the fields the header has."""
    if any(r.unclosed for r in rows):
        return {"code": "csv_quote", "params": {"rows": [r.row for r in rows if r.unclosed]}}
    return {"code": "csv_fields", "params": {"rows": [r.row for r in rows],
                                             "expected": expected}}


def _near(rows: list[BadRow], expected: int) -> str:
    return f": {rows[0].describe(expected)}" if rows else ""


__all__ = ["BadRow", "Lines", "bad_rows", "parse_failure", "wrong_fields"]
