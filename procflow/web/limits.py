"""Request bodies: each route's cap, counted on the bytes as they stream in (``Content-Length``
or chunked alike), how long a body may stall, and multipart bodies that end too soon.

:class:`Body` wraps the ASGI ``receive`` of one request; the :class:`~procflow.web.security.Guard`
middleware gives every request one. A refusal is a :class:`BodyRefused` (an HTTP error raised
from ``receive``), so the app answers it in its usual error shape.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

KiB = 1024
MiB = 1024 * KiB
FORM_LIMIT = 1 * MiB
ORGCHART_LIMIT = 1 * MiB
FIELDS_ALLOWANCE = 64 * KiB  # the import form's other fields, besides its org chart
PROGRESS_BYTES = 1 * KiB  # a stalled body is one that brings less than this in `stall` seconds
IMPORT_FORM = re.compile(r"^/w/[^/]+/uploads/[^/]+/import$")

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]


class BodyRefused(HTTPException):
    """A request body over its cap (413), stalled (408) or cut short (400)."""


def size_text(limit: int) -> str:
    """``1048576`` → ``1 MiB``; ``65536`` → ``64 KiB``; else bytes."""
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit} bytes"


@dataclass(frozen=True)
class BodyLimits:
    """The caps on request bodies and how long a body may stall (seconds)."""

    upload: int = 200 * MiB
    form: int = FORM_LIMIT
    import_form: int = ORGCHART_LIMIT + FIELDS_ALLOWANCE
    stall: float = 30.0

    def cap(self, path: str) -> tuple[int, str]:
        """The cap of the route at ``path`` and the message that refuses a larger body."""
        if path.endswith("/upload"):
            return self.upload, (f"the upload is larger than the limit ({size_text(self.upload)});"
                                 " send a smaller file, or ask the site's administrator to "
                                 "raise the limit.")
        if IMPORT_FORM.match(path):
            return self.import_form, (f"the org chart (field 'orgchart') is larger than "
                                      f"{size_text(ORGCHART_LIMIT)}; send a smaller org chart.")
        return self.form, (f"the request body is larger than {size_text(self.form)}, the limit "
                           "for this address; send less data.")


class Body:
    """One request's body as the app receives it: counted against ``cap`` as it arrives (past
    the cap: 413 at once, without reading the rest); refused with 408 when ``stall`` seconds of
    waiting bring less than :data:`PROGRESS_BYTES`; a multipart body must reach its closing
    boundary (else 400)."""

    def __init__(self, receive: Receive, headers: Headers, *, cap: int, too_large: str,
                 stall: float):
        self._receive = receive
        self.cap = cap
        self.too_large = too_large
        self.stall = stall
        length = headers.get("content-length", "")
        self.declared = int(length) if length.isdigit() else None
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self.done = not chunked and not self.declared
        self.received = 0
        self._waited = 0.0
        self._unproven = 0
        self._closing = _closing_delimiter(headers.get("content-type", ""))
        self._tail = b""
        self._closed = False

    @property
    def over_cap(self) -> bool:
        """Whether the declared ``Content-Length`` is already over the cap."""
        return self.declared is not None and self.declared > self.cap

    async def receive(self) -> Message:
        """The next ASGI message, checked."""
        if self.done:
            return await self._receive()
        if self.over_cap:
            raise BodyRefused(413, self.too_large)
        message = await self._next()
        if message["type"] != "http.request":
            self.done = True
            return message
        chunk: bytes = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.cap:
            raise BodyRefused(413, self.too_large)
        self._unproven += len(chunk)
        if self._unproven >= PROGRESS_BYTES:
            self._waited, self._unproven = 0.0, 0
        if self._closing is not None:
            self._watch_closing(chunk)
        if not message.get("more_body", False):
            self.done = True
            if self._closing is not None and not self._closed:
                raise BodyRefused(400, "the multipart body ended before its closing boundary "
                                       "(the form or file arrived incomplete); send it again.")
        return message

    async def _next(self) -> Message:
        """The next message from the server, within what is left of the stall time."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(max(self.stall - self._waited, 0.0)):
                return await self._receive()
        except TimeoutError:
            raise BodyRefused(408, f"the request body stopped arriving for {self.stall:g} s; "
                                   "send it again without pauses.") from None
        finally:
            self._waited += time.monotonic() - started

    def _watch_closing(self, chunk: bytes) -> None:
        assert self._closing is not None
        window = self._tail + chunk
        if self._closing in window:
            self._closed = True
        self._tail = window[-(len(self._closing) - 1):]


def _closing_delimiter(content_type: str) -> bytes | None:
    """``--BOUNDARY--`` of a multipart/form-data body, else None."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        return None
    return b"--" + boundary + b"--"
