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


class ProcflowError(Exception):
    """Base class; carries the place (file, row, column) and the fix."""

    def __init__(self, message: str, *, source: str | None = None, fix: str | None = None):
        self.message = message
        self.source = source
        self.fix = fix
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
