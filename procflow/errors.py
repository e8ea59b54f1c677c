"""Errors procflow raises, each saying what went wrong, where, and how to fix it.

    ProcflowError                 base; ``str(err)`` is one readable line
    ├── InputError                the user's input cannot be used (CLI exit code 2)
    │   ├── FormatError           unreadable file: unknown format, empty, binary, broken XML
    │   ├── UnsafeInputError      refused for safety: DTD/entities, decompression bombs
    │   ├── MappingError          columns cannot be mapped to the canonical log
    │   ├── TimestampError        a time column is ambiguous, mixed, or lacks a zone
    │   └── OrgChartError         the org chart file is malformed or contradictory
    └── WorkspaceError            the workspace cannot do what was asked (unknown log, name taken)
"""

from __future__ import annotations

from typing import Any


class ProcflowError(Exception):
    """Base class; carries the place (file, row, column) and the fix.

    ``str(err)`` is the command line's wording (its fix names options such as ``--tz``).
    ``code`` and ``params`` say the same for other shells: a stable name of the problem and
    its values (columns, rows, fields), from which the web app words the error in the page's
    language around its own form fields."""

    def __init__(self, message: str, *, source: str | None = None, fix: str | None = None,
                 code: str | None = None, params: dict[str, Any] | None = None):
        self.message = message
        self.source = source
        self.fix = fix
        self.code = code
        self.params = params or {}
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.source}: {self.message}" if self.source else self.message
        return f"{text} Fix: {self.fix}" if self.fix else text


class InputError(ProcflowError):
    """The user's input cannot be used as given."""


class FormatError(InputError):
    """The file cannot be read in the detected or stated format."""


class UnsafeInputError(InputError):
    """The file was refused because reading it could be unsafe."""


class MappingError(InputError):
    """Source columns cannot be mapped to the canonical event log."""


class TimestampError(InputError):
    """A time column cannot be parsed without guessing."""


class OrgChartError(InputError):
    """The org chart is malformed or contradictory."""


class WorkspaceError(ProcflowError):
    """The workspace cannot perform the request."""
