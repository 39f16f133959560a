"""The editions feeds: one entry per issue, the whole-issue files as enclosures (Atom, RSS, JSON Feed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exporter.model import Issue
from exporter.render import Job
from exporter.render.feeds.common import (
    ATOM,
    ATOM_TYPE,
    EDITIONS_JSON_PATH,
    EDITIONS_PATH,
    EPUB_TYPE,
    FH,
    GENERATOR,
    HTML_TYPE,
    ICON,
    LOGO,
    STYLESHEET,
    XML_LANG,
    Download,
    FeedMeta,
    Item,
    covers,
    downloads,
    feed_updated,
    highlights_html,
    highlights_text,
    local,
    relative_to,
    rfc3339,
    sub,
    xml_bytes,
)
from exporter.render.feeds.rss import rss_document


def editions_document(
    job: Job,
    issues: Sequence[Issue],
    path: str = EDITIONS_PATH,
    links: Sequence[dict[str, str]] = (),
    archive: bool = False,
) -> bytes:
    """One entry per issue: 导读 as summary, the PDF and EPUB as enclosures (only files that exist)."""
    pub = job.publication
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set(XML_LANG, pub.language)
    sub(root, "id", pub.url(EDITIONS_PATH))  # pages are parts of the same logical feed (RFC 5005)
    sub(root, "title", f"{pub.title} 整期（PDF / EPUB）", type="text")
    sub(root, "subtitle", f"{pub.title}每期的 PDF 版与 EPUB 电子书", type="text")
    sub(root, "updated", feed_updated(pub, issues).isoformat())
    if archive:
        etree.SubElement(root, f"{{{FH}}}archive", nsmap={"fh": FH})
    author = sub(root, "author")
    sub(author, "name", pub.publisher_name)
    sub(root, "link", rel="self", type=ATOM_TYPE, href=pub.url(path))
    for link in links:
        sub(root, "link", **link)
    sub(root, "link", rel="alternate", type=HTML_TYPE, href=pub.base_url)
    sub(root, "generator", GENERATOR)
    sub(root, "icon", pub.url(ICON))
    sub(root, "logo", pub.url(LOGO))
    if pub.copyright:
        sub(root, "rights", pub.copyright, type="text")
    for issue in issues:
        entry = sub(root, "entry")
        sub(entry, "id", issue.tag_uri(pub))
        sub(entry, "title", f"{pub.title} {issue.title_text}", type="text")
        sub(entry, "updated", rfc3339(pub, issue.updated))
        sub(entry, "published", rfc3339(pub, issue.published))
        sub(entry, "link", rel="alternate", type=HTML_TYPE, href=pub.url(issue.dir))
        for d in downloads(job, issue):
            sub(entry, "link", rel="enclosure", type=d.media_type, length=str(d.length), title=d.label, href=d.url)
        sub(entry, "summary", highlights_text(issue), type="text")
        content = sub(entry, "content", highlights_html(pub, issue), type="html")
        content.set("{http://www.w3.org/XML/1998/namespace}base", pub.url(issue.dir))
    return xml_bytes(root, relative_to(path, STYLESHEET))


def edition_item(job: Job, issue: Issue, enclosure: Download | None = None, link_file: bool = False) -> Item:
    """An issue as a feed item: 导读 as summary, the contents as HTML, the cover as image.

    ``link_file``: the item's link is the enclosed file itself and the issue page its alternate. KOReader's
    news downloader fetches an item's ``<link>`` (never its enclosure) and keeps what is served as
    ``application/epub+zip`` as the book (koreader/koreader#15065); an HTML link it converts to a one-page book.
    """
    pub = job.publication
    cover, _ = covers(job, issue)
    page = pub.url(issue.dir)
    return Item(
        id=issue.tag_uri(pub) + (f"/{Path(enclosure.path).name}" if enclosure else ""),
        url=enclosure.url if enclosure and link_file else page,
        alternate=page if enclosure and link_file else "",
        title=f"{pub.title} {issue.title_text}",
        authors=(),
        summary=highlights_text(issue),
        content_html=highlights_html(pub, issue),
        published=local(pub, issue.published),
        updated=local(pub, issue.updated),
        categories=(),
        image=cover.url if cover else None,
        image_type=cover.media_type if cover else "",
        enclosure=enclosure,
    )


# The RSS editions feeds whose items link the file itself (e-readers fetch the link), not the issue page.
LINK_FILE = frozenset({EPUB_TYPE})


def editions_rss_document(
    job: Job,
    issues: Sequence[Issue],
    path: str,
    media_type: str,
    title: str,
    links: Sequence[dict[str, str]] = (),
    archive: bool = False,
) -> bytes:
    """RSS 2.0 with one enclosure per item: the issues whose file of ``media_type`` exists."""
    pub = job.publication
    items, listed = [], []
    for issue in issues:
        for d in downloads(job, issue):
            if d.media_type == media_type:
                items.append(edition_item(job, issue, d, link_file=media_type in LINK_FILE))
                listed.append(issue)
    meta = FeedMeta(
        path=path,
        id=pub.url(path),
        title=title,
        subtitle=f"{title}：每期一条，文件作为附件",
        home=pub.base_url,
        updated=feed_updated(pub, listed),
        published=local(pub, listed[0].published) if listed else None,
        links=list(links),
        archive=archive,
    )
    return rss_document(job, meta, items)


def editions_json_document(
    job: Job, issues: Sequence[Issue], path: str = EDITIONS_JSON_PATH, next_path: str | None = None
) -> bytes:
    """The editions feed as JSON Feed 1.1: the PDF and EPUB as attachments; ``next_path``: older issues."""
    pub = job.publication
    items = []
    for issue in issues:
        item: dict[str, Any] = {
            "id": issue.tag_uri(pub),
            "url": pub.url(issue.dir),
            "title": f"{pub.title} {issue.title_text}",
            "content_html": highlights_html(pub, issue),
            "summary": highlights_text(issue),
            "date_published": rfc3339(pub, issue.published),
            "date_modified": rfc3339(pub, issue.updated),
            "language": pub.language,
        }
        cover, _ = covers(job, issue)
        if cover is not None:
            item["image"] = cover.url
        files = downloads(job, issue)
        if files:
            item["attachments"] = [
                {"url": d.url, "mime_type": d.media_type, "title": d.label, "size_in_bytes": d.length} for d in files
            ]
        items.append(item)
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{pub.title} 整期（PDF / EPUB）",
        "home_page_url": pub.base_url,
        "feed_url": pub.url(path),
        "description": f"{pub.title}每期的 PDF 版与 EPUB 电子书",
        "icon": pub.url(ICON),
        "favicon": pub.url(ICON),
        "authors": [{"name": pub.publisher_name}],
        "language": pub.language,
        "items": items,
    }
    if next_path:
        data["next_url"] = pub.url(next_path)
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
