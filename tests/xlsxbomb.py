"""Workbooks for the zip-bomb tests: valid ``.xlsx`` files whose sheet XML is huge but
compresses to almost nothing, written without ever holding the sheet in memory."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
FIXED = {
    "[Content_Types].xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>'),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>'),
}
SHEET = "xl/worksheets/sheet1.xml"


def row(*values: str) -> bytes:
    """One sheet row of inline strings."""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


def _flushed(data: bytes, final: bool = False) -> bytes:
    """Raw deflate of ``data``, byte-aligned and independent of what comes before it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def write_xlsx(path: Path, body_row: bytes, repeat: int, *, chunk_rows: int = 4096,
               declared_size: int | None = None, extra_members: int = 0) -> int:
    """Write a workbook whose sheet is a header row and ``repeat`` × ``chunk_rows`` copies of
    ``body_row``; ``declared_size`` makes the zip directory lie about the sheet's size.
    Returns the sheet XML's real size in bytes."""
    head = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'
            ).encode() + row("case", "activity", "timestamp")
    tail = b"</sheetData></worksheet>"
    chunk = body_row * chunk_rows
    packed_chunk = _flushed(chunk)
    crc = zlib.crc32(head)
    for _ in range(repeat):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(chunk) * repeat + len(tail)
    members = [(name, text.encode()) for name, text in FIXED.items()]
    members += [(f"extra/{i}.txt", b"") for i in range(extra_members)]
    with open(path, "wb") as out:
        directory = []
        for name, data in members:
            directory.append(_member(out, name, _flushed(data, True), zlib.crc32(data),
                                     len(data)))
        offset = out.tell()
        out.write(_local(SHEET, crc, 0, declared_size or size))
        start = out.tell()
        out.write(_flushed(head))
        for _ in range(repeat):
            out.write(packed_chunk)
        out.write(_flushed(tail, True))
        packed = out.tell() - start
        out.seek(offset)
        out.write(_local(SHEET, crc, packed, declared_size or size))
        out.seek(0, 2)
        directory.append(_central(SHEET, crc, packed, declared_size or size, offset))
        cd_start = out.tell()
        for entry in directory:
            out.write(entry)
        cd_size = out.tell() - cd_start
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(directory),
                              len(directory), cd_size, cd_start, 0))
    return size


def _local(name: str, crc: int, packed: int, size: int) -> bytes:
    raw = name.encode()
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, packed, size,
                       len(raw), 0) + raw


def _central(name: str, crc: int, packed: int, size: int, offset: int) -> bytes:
    raw = name.encode()
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                       packed, size, len(raw), 0, 0, 0, 0, 0, offset) + raw


def _member(out: BinaryIO, name: str, packed: bytes, crc: int, size: int) -> bytes:
    offset = out.tell()
    out.write(_local(name, crc, len(packed), size) + packed)
    return _central(name, crc, len(packed), size, offset)
