"""SVG drawings made safe to inline in a report: no scripts, links, images or handlers."""

from __future__ import annotations

from lxml import etree
from markupsafe import Markup

from procflow.ingest.xmlsafe import refuse_dtd

DROPPED = {"script", "foreignObject", "a", "image", "iframe", "object", "embed"}


def inline_svg(text: str | bytes, source: str = "drawing") -> Markup:
    """``text`` (an SVG document) as markup for inlining: the XML prolog and DOCTYPE removed,
    every element that could run code or load anything dropped, ``on*`` attributes and links
    other than references inside the drawing (``#id``, as matplotlib's markers use) removed."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    start = data.find(b"<svg")
    if start < 0:
        return Markup("")
    refuse_dtd(data[start:], source)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(data[start:], parser)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in DROPPED and element.getparent() is not None:
            element.getparent().remove(element)
            continue
        for attribute in list(element.attrib):
            local = etree.QName(attribute).localname.lower()
            internal = local == "href" and element.attrib[attribute].startswith("#")
            if local.startswith("on") or (local == "href" and not internal) or (
                    "javascript:" in element.attrib[attribute].lower()):
                del element.attrib[attribute]
    return Markup(etree.tostring(root, encoding="unicode"))
