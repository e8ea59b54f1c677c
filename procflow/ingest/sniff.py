"""Detect a file's format from its bytes and open it, decompressing within safe limits."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Literal

from procflow.errors import FormatError, UnsafeInputError
from procflow.ingest.limits import Limits

Format = Literal["csv", "xlsx", "xes", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "xes", "parquet")

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"


class _CappedGzip(io.RawIOBase):
    """A gzip stream that refuses to expand past the size or ratio limits."""

    def __init__(self, raw: BinaryIO, name: str, limits: Limits):
        self._raw = raw
        self._name = name
        self._limits = limits
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._tail = b""
        self._read_in = 0
        self._given_out = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def _check(self) -> None:
        lim = self._limits
        if self._given_out > lim.max_bytes:
            raise UnsafeInputError(
                f"decompressed content exceeds {lim.max_bytes:,} bytes; reading stopped.",
                source=self._name,
                fix="raise PROCFLOW_MAX_BYTES if the file is genuine.",
                code="too_large", params={"limit": lim.max_bytes},
            )
        ratio = self._given_out / max(self._read_in, 1)
        if self._given_out > lim.ratio_grace and ratio > lim.max_ratio:
            raise UnsafeInputError(
                f"compression ratio above {lim.max_ratio:g}:1 (a decompression bomb?); "
                "reading stopped.",
                source=self._name,
                fix="raise PROCFLOW_MAX_RATIO if the file is genuine.",
                code="bomb", params={"ratio": lim.max_ratio},
            )

    def _check_complete(self) -> None:
        """At the end of the file the last gzip member must have ended too."""
        if not self._inflater.eof:
            raise FormatError(
                f"the file is truncated: its compressed data stops in the middle, after "
                f"{self._given_out + len(self._pending):,} bytes of content.",
                source=self._name,
                fix="copy or download the file again (the copy was cut off), or compress it "
                    "again from the original.", code="truncated_gzip")

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        while len(self._pending) < want and not self._eof:
            data = self._tail or self._raw.read(1 << 20)
            if not self._tail:
                self._read_in += len(data)
            if not data:
                self._eof = True
                self._check_complete()
                break
            try:
                self._pending += self._inflater.decompress(data, max(want, 1 << 16))
            except zlib.error as err:
                raise FormatError(
                    f"the gzip data is damaged after {self._given_out:,} bytes of content "
                    f"({err}).", source=self._name,
                    fix="copy or download the file again, or compress it again from the "
                        "original.", code="damaged_gzip") from err
            self._tail = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data.strip(b"\0"):  # next member
                self._tail = self._inflater.unused_data
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out, self._pending = self._pending[:want], self._pending[want:]
        buffer[: len(out)] = out
        self._given_out += len(out)
        self._check()
        return len(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_bytes(path: Path, limits: Limits | None = None) -> BinaryIO:
    """Open ``path`` for reading, transparently decompressing gzip within ``limits``."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller owns the stream
    head = raw.read(2)
    raw.seek(0)
    if head == GZIP_MAGIC:
        return io.BufferedReader(_CappedGzip(raw, str(path), limits or Limits()), 1 << 20)
    return raw


def content_size(path: Path) -> int:
    """The bytes a reader of ``path`` goes through (what ``progress`` callbacks count): the
    file's size, or for gzip the size its trailer states (modulo 4 GiB, raised past the
    compressed size)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(2) != GZIP_MAGIC or size < 18:
            return size
        f.seek(-4, io.SEEK_END)
        stated = int.from_bytes(f.read(4), "little")
    while stated < size:
        stated += 1 << 32
    return stated


def detect_format(path: Path, limits: Limits | None = None) -> Format:
    """Tell the format from content, not from the file name."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if not magic:
        raise FormatError("the file is empty.", source=str(path), fix="export the log again.",
                          code="file_empty")
    if magic == PARQUET_MAGIC:
        return "parquet"
    if magic == ZIP_MAGIC:
        return "xlsx"
    with open_bytes(path, limits) as stream:
        head = stream.read(64 * 1024)
    if not head.strip():
        raise FormatError("the file holds no data.", source=str(path), fix="export the log again.",
                          code="file_empty")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "xes"
    if b"\x00" in head or _mostly_binary(head):
        raise FormatError(
            "the file is not a CSV, Excel, XES or Parquet event log (binary content).",
            source=str(path),
            fix="export the log as CSV, XLSX, XES or Parquet.",
            code="binary_file",
        )
    return "csv"


def _mostly_binary(head: bytes) -> bool:
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > len(head) // 100


ProgressFn = Callable[[int], None]

__all__ = ["FORMATS", "Format", "Limits", "ProgressFn", "content_size", "detect_format",
           "open_bytes"]
