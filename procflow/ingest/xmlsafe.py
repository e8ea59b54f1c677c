"""Checks run on XML files before any XML parser sees them (SECURITY: DTDs and entities).

A DOCTYPE or ENTITY declaration is refused outright, wherever it appears (even inside a
comment): the formats procflow reads (XES, BPMN 2.0, PNML) never need one, and refusing is
simpler and safer than deciding which declarations a parser would act on.
"""

from __future__ import annotations

import re

from lxml import etree

from procflow.errors import FormatError, UnsafeInputError

_DTD = re.compile(rb"<!\s*(?:doctype|entity)", re.IGNORECASE)


def refuse_dtd(data: bytes, source: str) -> None:
    """Raise :class:`UnsafeInputError` naming ``source`` if ``data`` declares a DTD or entity.

    NUL bytes are dropped before searching, so UTF-16 and UTF-32 texts are caught as well.
    """
    if _DTD.search(data) or (b"\x00" in data and _DTD.search(data.replace(b"\x00", b""))):
        raise UnsafeInputError(
            "the file contains a DOCTYPE or ENTITY declaration, refused for safety "
            "(entity expansion, access to other files).", source=source,
            fix="remove the DOCTYPE and ENTITY declarations; the format does not need them.",
            code="unsafe_xml")


def safe_parser() -> etree.XMLParser:
    """An lxml parser that never loads DTDs, resolves entities or reaches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def parse_root(data: bytes, source: str, *, expected: str) -> etree._Element:
    """The root element of ``data`` (already checked by :func:`refuse_dtd`).

    A syntax error becomes a :class:`FormatError` naming ``source``; ``expected`` says what
    the file must be (for the fix).
    """
    refuse_dtd(data, source)
    try:
        return etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as err:
        raise FormatError(f"not well-formed XML ({err}).", source=source,
                          fix=f"check that the file is {expected}.", code="bad_xml",
                          params={"line": err.lineno}) from None
