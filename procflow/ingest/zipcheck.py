"""Check an Excel workbook's zip container before any reader inflates it (zip bombs).

The end record and the central directory are read first: the number of members, each
member's declared size and compression ratio and their totals are held against
:class:`~procflow.ingest.limits.Limits`. Declared sizes can lie, so every member is then
inflated through a counting stream that stops as soon as it yields more than the member
declared (or more than the caps allow); its output is thrown away and its CRC checked. Only
a container that passes is handed to the workbook reader.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from procflow.errors import FormatError, UnsafeInputError
from procflow.ingest.limits import Limits

_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_ENTRY = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_STORED, _DEFLATED = 0, 8
_CHUNK = 1 << 20
_FIX_BOMB = ("raise PROCFLOW_MAX_BYTES / PROCFLOW_MAX_RATIO if the workbook is genuine, or "
             "save it again from Excel.")
_FIX_DAMAGED = "save the workbook again from Excel (or export the log as CSV)."


@dataclass(frozen=True)
class Member:
    """One file inside the zip container, as its central directory entry states it."""

    name: str
    method: int
    flags: int
    crc: int
    packed: int
    size: int
    offset: int


def check_zip(path: Path, limits: Limits | None = None) -> list[Member]:
    """Refuse a workbook whose container is damaged or would inflate past ``limits``."""
    limits = limits or Limits()
    source = str(path)
    with open(path, "rb") as f:
        file_size = f.seek(0, 2)
        members = _directory(f, file_size, source, limits)
        _check_declared(members, file_size, source, limits)
        for member in members:
            _inflate_counting(f, member, source, limits)
    return members


def _damaged(what: str, source: str) -> FormatError:
    return FormatError(f"not a readable Excel workbook: {what}.", source=source, fix=_FIX_DAMAGED,
                       code="bad_workbook")


def _directory(f: BinaryIO, file_size: int, source: str, limits: Limits) -> list[Member]:
    """The central directory's entries, counted against the member cap before parsing."""
    tail_start = max(0, file_size - (22 + 65535))
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        raise _damaged("the zip directory is missing (is the file truncated?)", source)
    _, _, _, _, count, cd_size, cd_offset, _ = struct.unpack("<4sHHHHIIH", tail[at:at + 22])
    end_at = tail_start + at
    if count == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        count, cd_size, cd_offset = _zip64_end(f, end_at, source)
    if count > limits.max_members:
        raise _too_many(count, source, limits)
    if cd_offset + cd_size > end_at or cd_size > file_size:
        raise _damaged("the zip directory points outside the file", source)
    f.seek(cd_offset)
    directory = f.read(cd_size)
    if directory.count(_ENTRY) > limits.max_members:
        raise _too_many(directory.count(_ENTRY), source, limits)
    members, pos = [], 0
    while pos < len(directory):
        if directory[pos:pos + 4] != _ENTRY or pos + 46 > len(directory):
            raise _damaged("the zip directory is damaged", source)
        (_, _, _, flags, method, _, _, crc, packed, size, n_name, n_extra, n_comment, _, _, _,
         offset) = struct.unpack("<4sHHHHHHIIIHHHHHII", directory[pos:pos + 46])
        name_bytes = directory[pos + 46:pos + 46 + n_name]
        extra = directory[pos + 46 + n_name:pos + 46 + n_name + n_extra]
        packed, size, offset = _zip64_sizes(extra, packed, size, offset)
        name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        members.append(Member(name, method, flags, crc, packed, size, offset))
        pos += 46 + n_name + n_extra + n_comment
    return members


def _zip64_end(f: BinaryIO, end_at: int, source: str) -> tuple[int, int, int]:
    """Entry count, directory size and offset from the zip64 end record."""
    f.seek(max(0, end_at - 20))
    locator = f.read(20)
    if len(locator) < 20 or locator[:4] != _END64_LOCATOR:
        raise _damaged("the zip64 directory locator is missing", source)
    (where,) = struct.unpack("<Q", locator[8:16])
    f.seek(where)
    record = f.read(56)
    if len(record) < 56 or record[:4] != _END64:
        raise _damaged("the zip64 directory record is missing", source)
    count, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
    return count, cd_size, cd_offset


def _zip64_sizes(extra: bytes, packed: int, size: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset, taking the zip64 extra field where the entry says 0xFFFFFFFF."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[pos:pos + 4])
        body = extra[pos + 4:pos + 4 + length]
        if kind == 1:
            values = [v for (v,) in struct.iter_unpack("<Q", body[:len(body) // 8 * 8])]
            if size == 0xFFFFFFFF and values:
                size = values.pop(0)
            if packed == 0xFFFFFFFF and values:
                packed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
        pos += 4 + length
    return packed, size, offset


def _too_many(count: int, source: str, limits: Limits) -> UnsafeInputError:
    return UnsafeInputError(
        f"the workbook holds {count:,} files inside its zip container, more than the limit "
        f"of {limits.max_members:,} (a decompression bomb?); reading stopped.", source=source,
        fix="raise PROCFLOW_MAX_MEMBERS if the workbook is genuine, or save it again from Excel.",
        code="bomb")


def _check_declared(members: list[Member], file_size: int, source: str,
                    limits: Limits) -> None:
    """Refuse by the sizes the directory declares: each member and the total."""
    for m in members:
        if m.flags & 0x1:
            raise FormatError("the workbook is encrypted (password-protected).", source=source,
                              fix="save it again in Excel without a password.",
                              code="encrypted")
        if m.method not in (_STORED, _DEFLATED):
            raise _damaged(f"member {m.name!r} uses zip compression method {m.method}, which "
                           "Excel does not write", source)
        _check_amount(m.size, m.packed, f"member {m.name!r}", source, limits)
    total = sum(m.size for m in members)
    _check_amount(total, file_size, "its members together", source, limits)


def _check_amount(size: int, packed: int, what: str, source: str, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise UnsafeInputError(
            f"the workbook's {what} would inflate to {size:,} bytes, more than the limit of "
            f"{limits.max_bytes:,} (a decompression bomb?); reading stopped.",
            source=source, fix=_FIX_BOMB, code="bomb")
    if size > limits.ratio_grace and size / max(packed, 1) > limits.max_ratio:
        raise UnsafeInputError(
            f"the workbook's {what} would inflate {size / max(packed, 1):,.0f} times (limit "
            f"{limits.max_ratio:g}:1, a decompression bomb?); reading stopped.",
            source=source, fix=_FIX_BOMB, code="bomb")


def _inflate_counting(f: BinaryIO, member: Member, source: str, limits: Limits) -> None:
    """Inflate one member, discarding the output; stop once it exceeds what it declared."""
    f.seek(member.offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != _LOCAL:
        raise _damaged(f"member {member.name!r} is missing", source)
    n_name, n_extra = struct.unpack("<HH", local[26:30])
    f.seek(member.offset + 30 + n_name + n_extra)
    counter = _Counter(member, source, min(member.size, limits.max_bytes))
    inflater = zlib.decompressobj(-15) if member.method == _DEFLATED else None
    left = member.packed
    while inflater is None or not inflater.eof:
        pending = inflater.unconsumed_tail if inflater is not None else b""
        if not pending and left == 0:
            if inflater is not None:
                counter.add(inflater.flush())
            break
        if not pending:
            pending = f.read(min(_CHUNK, left))
            if not pending:
                raise _damaged(f"member {member.name!r} is cut off (truncated file?)", source)
            left -= len(pending)
        if inflater is None:
            counter.add(pending)
            continue
        try:
            counter.add(inflater.decompress(pending, _CHUNK))
        except zlib.error as err:
            raise _damaged(f"member {member.name!r} is corrupt ({err})", source) from None
    counter.finish()


class _Counter:
    """Counts and checksums a member's inflated bytes; refuses past ``cap``."""

    def __init__(self, member: Member, source: str, cap: int):
        self.member, self.source, self.cap = member, source, cap
        self.count = self.crc = 0

    def add(self, data: bytes) -> None:
        self.count += len(data)
        if self.count > self.cap:
            raise UnsafeInputError(
                f"the workbook's member {self.member.name!r} inflates to more than "
                f"{self.cap:,} bytes, the size its zip directory declares (a damaged file or "
                "a decompression bomb); reading stopped.", source=self.source, fix=_FIX_BOMB,
                code="bomb")
        self.crc = zlib.crc32(data, self.crc)

    def finish(self) -> None:
        if self.count != self.member.size or self.crc != self.member.crc:
            raise _damaged(f"member {self.member.name!r} does not match its declared size or "
                           "checksum", self.source)


__all__ = ["Member", "check_zip"]
