"""Streaming multipart upload: the file goes to ``DATA/uploads/<generated id>`` as it arrives.

The body is counted while it streams; past the limit the request is refused with 413 without
reading the rest. A body that ends before its closing boundary is refused (400) and leaves
no file. The client's file name is kept only as display text, never in a path.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header

FIELD_LIMIT = 4096


class UploadRefused(Exception):
    """The upload cannot be accepted; ``status`` is the HTTP code to answer."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


def display_name(name: str) -> str:
    """The client's file name as harmless display text (control characters dropped)."""
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:255] or "upload"


def log_name_from(name: str) -> str:
    """A log name proposed from the client's file name: ``../../x.csv`` → ``x``."""
    base = PurePosixPath(display_name(name).replace("\\", "/")).name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", base).strip("-")[:64] or "log"


@dataclass
class Received:
    """An upload written to disk."""

    upload_id: str
    path: Path
    original_name: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


class _Parts:
    """python-multipart callbacks: the ``file`` part to disk, small fields to memory."""

    def __init__(self, dest: Path, csrf_ok: Callable[[dict[str, str]], bool]):
        self.dest = dest
        self.csrf_ok = csrf_ok
        self.fields: dict[str, str] = {}
        self.original_name: str | None = None
        self.size = 0
        self.error: UploadRefused | None = None
        self.complete = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._buffer = bytearray()
        self._out: IO[bytes] | None = None

    def _fail(self, status: int, text: str) -> None:
        if self.error is None:
            self.error = UploadRefused(status, text)

    def on_part_begin(self) -> None:
        self._headers = {}
        self._buffer = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in params and self._name == "file":
            if self.original_name is not None:
                self._fail(400, "send one file per upload.")
                return
            if not self.csrf_ok(self.fields):
                self._fail(403, "missing or wrong CSRF token (send it before the file).")
                return
            self.original_name = display_name(params[b"filename"].decode("utf-8", "replace"))
            self._out = open(self.dest, "wb")  # noqa: SIM115 - closed in on_part_end/cleanup

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        if self._out is not None:
            self._out.write(data[start:end])
            self.size += end - start
        else:
            self._buffer += data[start:end]
            if len(self._buffer) > FIELD_LIMIT:
                self._fail(400, f"form field {self._name!r} is too long.")

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._name:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")

    def on_end(self) -> None:
        self.complete = True

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


async def receive(stream: AsyncIterator[bytes], content_type: str, content_length: str | None,
                  *, folder: Path, limit: int,
                  csrf_ok: Callable[[dict[str, str]], bool]) -> Received:
    """Stream a ``multipart/form-data`` body holding one ``file`` part into ``folder``."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError as err:
            raise UploadRefused(400, "bad Content-Length.") from err
        if declared > limit:
            raise UploadRefused(413, f"the upload is larger than the limit ({limit} bytes).")
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadRefused(415, "send the file as multipart/form-data.")
    upload_id = secrets.token_hex(16)
    partial = folder / f"{upload_id}.part"
    final = folder / f"{upload_id}.upload"
    parts = _Parts(partial, csrf_ok)
    parser = MultipartParser(boundary, {
        "on_part_begin": parts.on_part_begin, "on_part_data": parts.on_part_data,
        "on_part_end": parts.on_part_end, "on_header_field": parts.on_header_field,
        "on_header_value": parts.on_header_value, "on_header_end": parts.on_header_end,
        "on_headers_finished": parts.on_headers_finished, "on_end": parts.on_end,
    })
    received = 0
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > limit:
                raise UploadRefused(413, f"the upload is larger than the limit ({limit} bytes).")
            parser.write(chunk)
            if parts.error is not None:
                raise parts.error
        parser.finalize()
        if parts.error is not None:
            raise parts.error
        if not parts.complete:
            raise UploadRefused(400, "the multipart body ended before its closing boundary "
                                     "(the file arrived incomplete); send it again.")
        if parts.original_name is None:
            if not parts.csrf_ok(parts.fields):
                raise UploadRefused(403, "missing or wrong CSRF token.")
            raise UploadRefused(400, "no file in the upload (form field 'file').")
        if parts.size == 0:
            raise UploadRefused(400, "the file is empty.")
        os.replace(partial, final)
    except BaseException:
        parts.close()
        partial.unlink(missing_ok=True)
        raise
    return Received(upload_id, final, parts.original_name, parts.size, parts.fields)
