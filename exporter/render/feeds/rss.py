"""RSS 2.0 and the feedgen setup shared with the Atom documents."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exporter.render import Job
from exporter.render.feeds.common import (
    ATOM,
    CONTENT,
    DC,
    FH,
    GENERATOR,
    HTML_TYPE,
    ICON,
    MEDIA,
    RSS_TYPE,
    STYLESHEET,
    SY,
    TTL_MINUTES,
    FeedMeta,
    Item,
    relative_to,
    xml_bytes,
)


def _feedgen(job: Job, meta: FeedMeta, items: Sequence[Item], self_type: str) -> Any:
    from feedgen.feed import FeedGenerator

    pub = job.publication
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(meta.id)
    fg.title(meta.title)
    fg.subtitle(meta.subtitle)  # also the RSS description
    fg.link(href=pub.url(meta.path), rel="self", type=self_type)
    for extra in meta.links:
        fg.link(**extra)
    fg.link(href=meta.home, rel="alternate", type=HTML_TYPE)  # RSS's <link> is the last one added
    fg.language(pub.language)
    fg.author({"name": pub.publisher_name})
    if pub.copyright:
        fg.rights(pub.copyright)
    fg.generator(GENERATOR)
    fg.icon(pub.url(ICON))
    fg.image(url=pub.url(ICON), title=meta.title, link=meta.home, width="144", height="144")
    fg.ttl(TTL_MINUTES)
    fg.updated(meta.updated)
    if meta.published is not None:
        fg.pubDate(meta.published)
    for item in items:  # already newest first: append keeps that order (feedgen prepends by default)
        fe = fg.add_entry(order="append")
        fe.id(item.id)  # also the RSS guid, isPermaLink="false" (a tag: URI)
        fe.title(item.title)
        fe.link(href=item.url, rel="alternate", type=HTML_TYPE)
        for name in item.authors:
            fe.author({"name": name})
        if item.authors:
            fe.dc.dc_creator(list(item.authors))
        fe.summary(item.summary)  # Atom summary, RSS description
        fe.content(item.content_html, type="html")  # Atom content, RSS content:encoded
        fe.published(item.published)
        fe.updated(item.updated)
        if item.categories:
            fe.category([{"term": c.term, "scheme": c.scheme, "label": c.label} for c in item.categories])
        if item.enclosure is not None:
            enc = item.enclosure
            fe.link(href=enc.url, rel="enclosure", type=enc.media_type, length=str(enc.length), title=enc.label)
    return fg


def rss_document(job: Job, meta: FeedMeta, items: Sequence[Item]) -> bytes:
    fg = _feedgen(job, meta, items, RSS_TYPE)
    root = etree.fromstring(fg.rss_str(pretty=False), etree.XMLParser(remove_blank_text=True))
    channel = root.find("channel")
    # RSS descriptions are HTML to every reader: escape the plain-text summaries ("a < b & c").
    channel.find("description").text = html.escape(meta.subtitle, quote=False)
    for element, item in zip(channel.iterfind("item"), items, strict=True):
        element.find("description").text = html.escape(item.summary, quote=False)
    # sy:updatePeriod (feedgen's syndication extension writes misspelled element names).
    after = channel.find("ttl")
    period = etree.Element(f"{{{SY}}}updatePeriod")
    period.text = "weekly"
    freq = etree.Element(f"{{{SY}}}updateFrequency")
    freq.text = "1"
    after.addnext(period)
    period.addnext(freq)
    # feedgen writes only the self link into RSS: the RFC 5005 links follow it as atom:link elements.
    anchor = channel.find(f"{{{ATOM}}}link[@rel='self']")
    for extra in reversed(meta.links):
        anchor.addnext(etree.Element(f"{{{ATOM}}}link", **extra))
    if meta.archive:
        anchor.addnext(etree.Element(f"{{{FH}}}archive"))
    for element, item in zip(channel.iterfind("item"), items, strict=True):
        if item.alternate:  # <link> is the file itself; the web page stays reachable, as a related link
            # (rel="alternate" would make feedparser and the readers built on it take the page as the link)
            element.find("link").addnext(
                etree.Element(f"{{{ATOM}}}link", rel="related", type=HTML_TYPE, href=item.alternate)
            )
        if item.image:  # Media RSS: the thumbnail readers show in their lists
            media = etree.SubElement(element, f"{{{MEDIA}}}content", url=item.image, medium="image")
            if item.image_type:
                media.set("type", item.image_type)
            if all(item.image_size):
                media.set("width", str(item.image_size[0]))
                media.set("height", str(item.image_size[1]))
    top = {"atom": ATOM, "content": CONTENT, "dc": DC, "sy": SY, "media": MEDIA} | ({"fh": FH} if meta.archive else {})
    etree.cleanup_namespaces(root, top_nsmap=top)
    return xml_bytes(root, relative_to(meta.path, STYLESHEET))
