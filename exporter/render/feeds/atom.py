"""Atom (RFC 4287) documents of articles, archived per RFC 5005, through feedgen."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree  # type: ignore[import-untyped]

from exporter.render import Job
from exporter.render.feeds.common import (
    ATOM,
    ATOM_TYPE,
    FH,
    HTML_TYPE,
    LOGO,
    STYLESHEET,
    XML_LANG,
    FeedMeta,
    Item,
    relative_to,
    xml_bytes,
)
from exporter.render.feeds.rss import _feedgen


def atom_document(job: Job, meta: FeedMeta, items: Sequence[Item]) -> bytes:
    fg = _feedgen(job, meta, items, ATOM_TYPE)
    fg.logo(job.publication.url(LOGO))  # after fg.image: logo() would replace the RSS image
    root = etree.fromstring(fg.atom_str(pretty=False), etree.XMLParser(remove_blank_text=True))
    root.set(XML_LANG, job.publication.language)
    by_id = {item.id: item for item in items}
    for entry in root.iterfind(f"{{{ATOM}}}entry"):
        # feedgen drops every attribute of entry links but href (lkiesow/python-feedgen#135): restore them.
        item = by_id[entry.findtext(f"{{{ATOM}}}id")]
        for link in entry.iterfind(f"{{{ATOM}}}link"):
            if link.get("href") == item.url:
                link.set("rel", "alternate")
                link.set("type", HTML_TYPE)
            elif item.enclosure is not None and link.get("href") == item.enclosure.url:
                link.set("rel", "enclosure")
                link.set("type", item.enclosure.media_type)
                link.set("length", str(item.enclosure.length))
        content = entry.find(f"{{{ATOM}}}content")
        if content is not None:
            content.set("{http://www.w3.org/XML/1998/namespace}base", item.url)
    if meta.archive:
        # RFC 5005 §4: <fh:archive/> marks a document whose entries never change.
        marker = etree.Element(f"{{{FH}}}archive")
        root.find(f"{{{ATOM}}}updated").addnext(marker)
        etree.cleanup_namespaces(root, top_nsmap={"fh": FH})
    return xml_bytes(root, relative_to(meta.path, STYLESHEET))
