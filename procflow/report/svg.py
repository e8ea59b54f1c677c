"""SVG drawings made safe to inline in a report: no scripts, links, images or handlers."""

from __future__ import annotations

from lxml import etree
from markupsafe import Markup

from procflow.ingest.xmlsafe import refuse_dtd

DROPPED = {"script", "foreignObject", "a", "image", "iframe", "object", "embed"}


def inline_svg(text: str | bytes, source: str = "drawing", *, links: bool = False) -> Markup:
    """``text`` (an SVG document) as markup for inlining: the XML prolog and DOCTYPE removed,
    every element that could run code or load anything dropped, ``on*`` attributes and links
    other than references inside the drawing (``#id``, as matplotlib's markers use) removed.
    With ``links``, ``<a>`` elements to a path of the same site (``/w/…``) stay, as links."""
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
        if links and name == "a" and _local_link(element):
            continue
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


def _local_link(element: etree._Element) -> bool:
    """Whether every attribute of an ``<a>`` is a link to a path of this site, a title or a
    target, and it has a link."""
    found = False
    for attribute, value in element.attrib.items():
        local = etree.QName(attribute).localname.lower()
        if local == "href":
            if not (value.startswith("/") and not value.startswith("//")) or "\\" in value:
                return False
            found = True
        elif local not in ("title", "target"):
            return False
    return found
