"""Feeds: RSS 2.0, Atom (RFC 4287, archived per RFC 5005), JSON Feed 1.1, per-page feeds, editions, OPML.

Everything here is written in the edition pass (``job.issue is None``)::

    feeds/rss.xml  feeds/atom.xml  feeds/feed.json   articles of the latest ``feed_issues`` issues
    feeds/archive/<issue id>.xml                     RFC 5005 archive document of one issue
    feeds/pages/<key>.xml                            one Atom feed per 版 name (or number, unnamed)
    feeds/editions.xml  feeds/editions.json          one entry per issue, PDF and EPUB as enclosures/attachments
    feeds/editions-pdf.xml  feeds/editions-epub.xml  the same as RSS, one enclosure per item (podcast apps)
    feeds/archive/editions*/NNNN.{xml,json}          their older pages, 20 issues each (see stable_pages)
    feeds/feeds.opml                                 every feed above (not the archives)
    feeds/feed.xsl  feeds/icon.png  feeds/logo.png   copied from templates/feeds/

Every time comes from the content (issue and article times, in the publication's zone), so the same
content gives the same bytes. feedgen writes the RSS and the article Atom documents; its Atom output
is post-processed with lxml (entry link attributes, RFC 5005 links, the stylesheet instruction), and the
editions feed, which needs enclosures on Atom entries, is written with lxml directly (GUIDE §2).
All documents are made in memory first and written only when every one of them succeeded, so a failure
never leaves a feed that half-exists.
"""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exporter import texts
from exporter.errors import RenderError
from exporter.model import Article, Image, Issue, Page, Publication
from exporter.render import Job

ATOM = "http://www.w3.org/2005/Atom"
FH = "http://purl.org/syndication/history/1.0"  # RFC 5005
SY = "http://purl.org/rss/1.0/modules/syndication/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
MEDIA = "http://search.yahoo.com/mrss/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"
HTML_TYPE = "text/html"

RSS_PATH = "feeds/rss.xml"
ATOM_PATH = "feeds/atom.xml"
JSON_PATH = "feeds/feed.json"
EDITIONS_PATH = "feeds/editions.xml"
EDITIONS_JSON_PATH = "feeds/editions.json"
# RSS editions feeds, one per file type: RSS allows one enclosure per item, and most podcast apps read RSS only.
EDITIONS_RSS = {"application/pdf": "feeds/editions-pdf.xml", "application/epub+zip": "feeds/editions-epub.xml"}
OPML_PATH = "feeds/feeds.opml"
STYLESHEET = "feeds/feed.xsl"
ICON = "feeds/icon.png"
LOGO = "feeds/logo.png"
STATIC = (STYLESHEET, ICON, LOGO)  # copied from templates/<same path>

GENERATOR = "exporter"
TTL_MINUTES = 1440  # a weekly paper; corrections appear within a day
PAGE_ISSUES = 20  # issues per stable page of the documents that list every issue (editions, OPDS)

# (path attribute of Issue, media type, label): the whole-issue files, attached when they exist.
DOWNLOADS = (
    ("pdf_path", "application/pdf", "PDF 版"),
    ("epub_path", "application/epub+zip", "EPUB 电子书"),
)
COVER_NAMES = ("cover.jpg", "cover.jpeg", "cover.png", "cover.webp")
THUMB_NAMES = ("thumbnail.jpg", "thumbnail.jpeg", "thumbnail.png", "thumbnail.webp")
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
_FRAGMENT_HREF = re.compile(r'href="(#[^"]*)"')


# -- shared helpers (also used by exporter.render.opds) ------------------------------------------


def local(pub: Publication, value: datetime) -> datetime:
    """A content time in the publication's zone, to the second (+08:00 for Asia/Shanghai)."""
    return value.astimezone(pub.tz).replace(microsecond=0)


def rfc3339(pub: Publication, value: datetime) -> str:
    return local(pub, value).isoformat()


def rfc822(pub: Publication, value: datetime) -> str:
    return format_datetime(local(pub, value))


def epoch(pub: Publication) -> datetime:
    """The time of a feed with no issues at all (Atom needs one; it must not be now())."""
    return datetime.fromtimestamp(0, pub.tz)


@dataclass(frozen=True)
class Download:
    """A whole-issue file (PDF, EPUB) that exists in the release."""

    path: str
    url: str
    media_type: str
    label: str
    length: int


def downloads(job: Job, issue: Issue) -> list[Download]:
    found = []
    for attr, media_type, label in DOWNLOADS:
        rel: str = getattr(issue, attr)
        if job.exists(rel):
            size = (job.out / rel).stat().st_size
            found.append(Download(rel, job.publication.url(rel), media_type, label, size))
    return found


def first_existing(job: Job, issue: Issue, names: Iterable[str]) -> Download | None:
    for name in names:
        rel = issue.dir + name
        if job.exists(rel):
            mtype = IMAGE_TYPES[Path(name).suffix]
            return Download(rel, job.publication.url(rel), mtype, name, (job.out / rel).stat().st_size)
    return None


def covers(job: Job, issue: Issue) -> tuple[Download | None, Download | None]:
    """(cover, thumbnail) of an issue when a renderer left ``issues/<id>/cover.*`` / ``thumbnail.*``."""
    cover = first_existing(job, issue, COVER_NAMES)
    thumb = first_existing(job, issue, THUMB_NAMES) or cover
    return cover, thumb


def highlights_text(issue: Issue) -> str:
    """本期导读 as one line of plain text; the article headlines when the issue has no 导读."""
    if issue.highlights:
        return issue.sample_notice + texts.highlights_line(issue, page=True, print_only=False)
    return issue.sample_notice + texts.contents_line(issue)


def highlights_html(pub: Publication, issue: Issue) -> str:
    """本期导读 and the pages carried, as an HTML fragment with absolute links."""
    out = [f"<p><strong>{html.escape(issue.sample_notice)}</strong></p>\n"] if issue.sample else []
    if issue.highlights:
        out.append(f"<p>{texts.HIGHLIGHTS}</p>\n<ul>\n")
        for h in issue.highlights:
            label = html.escape(texts.highlight_entry(issue, h, page=True, print_only=False))
            if h.article:
                url = html.escape(pub.url(f"{issue.dir}{h.article}.html"))
                out.append(f'<li><a href="{url}">{label}</a></li>\n')
            else:
                out.append(f"<li>{label}</li>\n")
        out.append("</ul>\n")
    for page in issue.pages:
        out.append(f"<p>{html.escape(page.label)}</p>\n<ul>\n")
        for a in page.articles:
            url = html.escape(pub.url(issue.article_path(a)))
            out.append(f'<li><a href="{url}">{html.escape(a.headline)}</a></li>\n')
        out.append("</ul>\n")
    return "".join(out)


def xml_bytes(root: Any, stylesheet: str | None = None) -> bytes:
    """Serialise an lxml element (UTF-8, declaration, indented), with an optional xml-stylesheet PI."""
    etree.indent(root, space="  ")
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    if stylesheet is not None:
        head += f'<?xml-stylesheet type="text/xsl" href="{html.escape(stylesheet)}"?>\n'.encode()
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return head + body + b"\n"


def sub(parent: Any, tag: str, value: str | None = None, /, **attrib: str) -> Any:
    """A child element with text ``value`` and attributes (``type_=`` for a Python keyword)."""
    elem = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrib.items()})
    if value is not None:
        elem.text = value
    return elem


def relative_to(doc: str, target: str) -> str:
    """The href from the document at output path ``doc`` to ``target`` (both relative to the root)."""
    return posixpath.relpath(target, posixpath.dirname(doc) or ".")


# -- the items of the article feeds --------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    term: str
    scheme: str
    label: str


@dataclass(frozen=True)
class Item:
    """One article as every feed format shows it."""

    id: str
    url: str
    title: str
    authors: tuple[str, ...]
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    categories: tuple[Category, ...]
    image: str | None = None  # the first photo, for list views (JSON image, Media RSS)
    image_type: str = ""
    image_size: tuple[int, int] = (0, 0)
    enclosure: Download | None = None  # RSS allows one per item (the editions feeds for podcast apps)


def schemes(pub: Publication) -> dict[str, str]:
    """Category schemes (Atom) / domains (RSS): the page (第1版), its name (section), the tags."""
    return {kind: f"{pub.base_url}#{kind}" for kind in ("page", "section", "tag")}


def article_item(job: Job, issue: Issue, page: Page, a: Article) -> Item:
    pub = job.publication
    url = pub.url(issue.article_path(a))
    scheme = schemes(pub)
    cats = [Category(page.ordinal, scheme["page"], page.ordinal)]
    if page.name:
        cats.append(Category(page.name, scheme["section"], page.name))
    cats += [Category(tag, scheme["tag"], tag) for tag in a.tags]
    authors = tuple(a.authors) or ((a.source,) if a.source else ())
    images = [img for img in a.images if job.exists(f"{issue.dir}media/{img.file}")]
    return Item(
        id=issue.tag_uri(pub, a),
        url=url,
        title=a.headline,
        authors=authors,
        summary=f"{issue.sample_notice}{a.summary}",
        content_html=article_html(
            pub, issue, a, [(img, pub.url(f"{issue.dir}media/{img.url_path}")) for img in images]
        ),
        published=local(pub, issue.article_published(a)),
        updated=local(pub, issue.article_updated(a)),
        categories=tuple(cats),
        image=pub.url(f"{issue.dir}media/{images[0].url_path}") if images else None,
        image_type=images[0].media_type if images else "",
        image_size=(images[0].width, images[0].height) if images else (0, 0),
    )


def article_html(pub: Publication, issue: Issue, a: Article, images: Sequence[tuple[Image, str]]) -> str:
    """The full article for a feed reader: heading lines, credit, photos, then the sanitised body."""
    esc = html.escape
    parts = [f"<p><strong>{esc(issue.sample_notice)}</strong></p>\n"] if issue.sample else []
    if a.kicker:
        parts.append(f"<p><em>{esc(a.kicker)}</em></p>\n")
    if a.subheadline:
        parts.append(f"<p><strong>——{esc(a.subheadline)}</strong></p>\n")
    if a.credit_line:
        parts.append(f"<p>{esc(a.credit_line)}</p>\n")
    for img, src in images:
        caption = " ".join(x for x in (img.caption, f"（{img.credit}）" if img.credit else "") if x)
        size = f' width="{img.width}" height="{img.height}"' if img.width and img.height else ""
        parts.append(f'<figure><img src="{esc(src)}" alt="{esc(img.alt)}"{size} />')
        parts.append(f"<figcaption>{esc(caption)}</figcaption></figure>\n" if caption else "</figure>\n")
    if a.source:
        parts.append(f"<p>来源：{esc(a.source)}</p>\n")
    permalink = pub.url(issue.article_path(a))
    # In-page links (#note) would resolve against the feed, not the article: anchor them to the permalink.
    body = _FRAGMENT_HREF.sub(
        lambda m: f'href="{esc(permalink)}{m.group(1) if m.group(1) != "#" else ""}"', a.body_html
    )
    parts.append(body)
    return "".join(parts)


def issue_items(job: Job, issue: Issue, pages: Iterable[Page] | None = None) -> list[Item]:
    """The articles of one issue in page order (the order of the print edition)."""
    chosen = list(pages) if pages is not None else issue.pages
    return [article_item(job, issue, page, a) for page in chosen for a in page.articles]


# -- stable pages of a long list of issues ---------------------------------------------------------


@dataclass(frozen=True)
class IssuePage:
    number: int  # 1 holds the PAGE_ISSUES oldest issues, 2 the next ones…
    issues: tuple[Issue, ...]  # newest first


def stable_pages(issues: Sequence[Issue], size: int = PAGE_ISSUES) -> tuple[list[Issue], list[IssuePage]]:
    """Split newest-first ``issues`` into the current document's issues and older, stable pages.

    Pages are counted from the oldest issue, ``size`` issues each. The current document holds the
    newest full page and the issues after it (``size`` to ``2 * size - 1`` issues, or all when there
    are fewer), so adding an issue changes the current document only, and an older page changes only
    when one of its issues does. Returns (current issues, older pages newest first).
    """
    stable = max(len(issues) // size - 1, 0)
    cut = len(issues) - stable * size
    pages = [IssuePage(number, tuple(issues[cut + (stable - number) * size :][:size]))
             for number in range(stable, 0, -1)]  # fmt: skip
    return list(issues[:cut]), pages


def page_parts(job: Job, page: IssuePage, *extra: str) -> list[str]:
    """What a page's document is made from, for :meth:`Job.memoized`: its issues' keys and ``extra``."""
    return [*(job.keys.get(issue.id, "") for issue in page.issues), job.publication.model_dump_json(), *extra]


# -- feed metadata -------------------------------------------------------------------------------


@dataclass
class FeedMeta:
    path: str  # where the document is written, relative to the output root
    id: str
    title: str
    subtitle: str
    home: str  # the web page this feed follows
    updated: datetime
    published: datetime | None
    links: list[dict[str, str]] = field(default_factory=list)  # extra Atom feed links (RFC 5005)
    archive: bool = False


def feed_updated(pub: Publication, issues: Sequence[Issue]) -> datetime:
    return local(pub, max(i.updated for i in issues)) if issues else epoch(pub)


# -- RSS and Atom through feedgen ----------------------------------------------------------------


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


# -- JSON Feed 1.1 -------------------------------------------------------------------------------


def json_document(job: Job, meta: FeedMeta, items: Sequence[Item]) -> bytes:
    pub = job.publication
    data: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home,
        "feed_url": pub.url(meta.path),
        "description": meta.subtitle,
        "icon": pub.url(ICON),
        "favicon": pub.url(ICON),
        "authors": [{"name": pub.publisher_name}],
        "language": pub.language,
        "items": [],
    }
    for item in items:
        entry: dict[str, Any] = {
            "id": item.id,
            "url": item.url,
            "title": item.title,
            "content_html": item.content_html,
            "summary": item.summary,
            "date_published": item.published.isoformat(),
            "date_modified": item.updated.isoformat(),
            "tags": list(dict.fromkeys(c.label for c in item.categories)),
            "language": pub.language,
        }
        if item.image:
            entry["image"] = item.image
        if item.authors:
            entry["authors"] = [{"name": name} for name in item.authors]
        data["items"].append(entry)
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# -- the editions feed (Atom, lxml) --------------------------------------------------------------


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


def edition_item(job: Job, issue: Issue, enclosure: Download | None = None) -> Item:
    """An issue as a feed item: 导读 as summary, the contents as HTML, the cover as image."""
    pub = job.publication
    cover, _ = covers(job, issue)
    return Item(
        id=issue.tag_uri(pub) + (f"/{Path(enclosure.path).name}" if enclosure else ""),
        url=pub.url(issue.dir),
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
                items.append(edition_item(job, issue, d))
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


# -- OPML 2.0 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedRef:
    path: str
    title: str
    media_type: str
    description: str = ""


def opml_document(job: Job, groups: Sequence[tuple[str, Sequence[FeedRef]]]) -> bytes:
    pub = job.publication
    root = etree.Element("opml", version="2.0")
    head = sub(root, "head")
    sub(head, "title", f"{pub.title} 订阅源")
    if job.issues:
        sub(head, "dateCreated", rfc822(pub, job.issues[-1].published))
    sub(head, "dateModified", rfc822(pub, feed_updated(pub, job.issues)))
    sub(head, "ownerName", pub.publisher_name)
    sub(head, "docs", "http://opml.org/spec2.opml")
    body = sub(root, "body")
    for title, refs in groups:
        group = sub(body, "outline", text=title, title=title)
        for ref in refs:
            attrs = {"text": ref.title, "title": ref.title, "type": "rss", "xmlUrl": pub.url(ref.path),
                     "htmlUrl": pub.base_url, "language": pub.language}  # fmt: skip
            if ref.description:
                attrs["description"] = ref.description
            sub(group, "outline", **attrs)
    return xml_bytes(root)


# -- per-page feeds ------------------------------------------------------------------------------


def page_key(page: Page) -> str:
    """Pages are grouped by name (要闻 on whatever number it runs), unnamed pages by number."""
    return f"name:{page.name}" if page.name else f"number:{page.number}"


def page_feed_path(key: str) -> str:
    kind, _, value = key.partition(":")
    if kind == "number":
        return f"feeds/pages/page-{int(value):02d}.xml"
    # Names are Chinese and free text: a stable hash keeps the URL ASCII and safe.
    return f"feeds/pages/section-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:12]}.xml"


def page_title(pub: Publication, key: str) -> str:
    kind, _, value = key.partition(":")
    return f"{pub.title} · " + (texts.page_ordinal(int(value)) if kind == "number" else value)


# -- the renderer --------------------------------------------------------------------------------


class FeedsRenderer:
    name = "feeds"

    def render(self, job: Job) -> list[Path]:
        if job.issue is not None:
            return []
        try:
            documents = self.documents(job)
        except RenderError:
            raise
        except (OSError, ValueError, TypeError, KeyError, etree.LxmlError) as exc:
            raise RenderError(f"feeds: cannot write the feeds: {exc}") from exc
        return [job.write(rel, data) for rel, data in documents.items()]

    def documents(self, job: Job) -> dict[str, bytes | Path]:
        """Every feed document, path → bytes, made in memory."""
        pub = job.publication
        docs: dict[str, bytes | Path] = {}
        recent = job.issues[: pub.feed_issues]
        items = [item for issue in recent for item in issue_items(job, issue)]
        older = job.issues[pub.feed_issues :]
        links = []
        if older:
            links.append({"href": pub.url(archive_path(older[0])), "rel": "prev-archive", "type": ATOM_TYPE})
        subtitle = f"{pub.title}最近 {pub.feed_issues} 期的文章"
        published = local(pub, recent[0].published) if recent else None
        updated = feed_updated(pub, recent)

        def meta(path: str, extra: list[dict[str, str]] | None = None) -> FeedMeta:
            return FeedMeta(path, pub.url(ATOM_PATH), pub.title, subtitle, pub.base_url, updated, published,
                            extra or [])  # fmt: skip

        docs[RSS_PATH] = rss_document(job, meta(RSS_PATH), items)
        docs[ATOM_PATH] = atom_document(job, meta(ATOM_PATH, links), items)
        docs[JSON_PATH] = json_document(job, meta(JSON_PATH), items)

        # RFC 5005 archives: one per issue. It depends only on that issue and the ones before it.
        pub_state = pub.model_dump_json()
        for n, issue in enumerate(job.issues):
            path = archive_path(issue)
            arch_links = [{"href": pub.url(ATOM_PATH), "rel": "current", "type": ATOM_TYPE}]
            if n + 1 < len(job.issues):
                arch_links.append({"href": pub.url(archive_path(job.issues[n + 1])), "rel": "prev-archive",
                                   "type": ATOM_TYPE})  # fmt: skip
            arch = FeedMeta(
                path=path,
                id=pub.url(ATOM_PATH),  # the same logical feed as the subscription document
                title=f"{pub.title} {issue.title_text}",
                subtitle=f"{pub.title}存档：{issue.title_text}",
                home=pub.url(issue.dir),
                updated=local(pub, issue.updated),
                published=local(pub, issue.published),
                links=arch_links,
                archive=True,
            )
            # the same issue (key) and the same older neighbour give the same document: keep it
            older_id = job.issues[n + 1].id if n + 1 < len(job.issues) else "-"
            docs[path] = job.memoized(
                "feeds/archive",
                [job.keys.get(issue.id, ""), older_id, pub_state],
                lambda arch=arch, issue=issue: atom_document(job, arch, issue_items(job, issue)),  # type: ignore[misc]
            )

        page_refs = []
        for _key, path, title, page_items, page_issues in self.page_feeds(job):
            page_meta = FeedMeta(path, pub.url(path), title, f"{title}：最近 {len(page_issues)} 期",
                                 pub.base_url, feed_updated(pub, page_issues),
                                 local(pub, page_issues[0].published))  # fmt: skip
            docs[path] = atom_document(job, page_meta, page_items)
            page_refs.append(FeedRef(path, title, ATOM_TYPE))

        docs.update(self.editions(job))
        rss_editions = []
        for mtype, path in EDITIONS_RSS.items():
            label = next(label for _, t, label in DOWNLOADS if t == mtype)
            title = f"{pub.title} 整期（{label}）"
            rss_editions.append(FeedRef(path, title, RSS_TYPE, f"{pub.title}每期的{label}，作为附件（enclosure）"))
        groups = [
            ("全部文章", [FeedRef(RSS_PATH, f"{pub.title}（RSS）", RSS_TYPE, subtitle),
                          FeedRef(ATOM_PATH, f"{pub.title}（Atom）", ATOM_TYPE, subtitle),
                          FeedRef(JSON_PATH, f"{pub.title}（JSON Feed）", JSON_TYPE, subtitle)]),
            ("整期", [FeedRef(EDITIONS_PATH, f"{pub.title} 整期（PDF / EPUB）", ATOM_TYPE),
                      FeedRef(EDITIONS_JSON_PATH, f"{pub.title} 整期（JSON Feed）", JSON_TYPE),
                      *rss_editions]),
            ("分版", page_refs),
        ]  # fmt: skip
        docs[OPML_PATH] = opml_document(job, groups)
        for rel in STATIC:
            docs[rel] = (job.templates_dir / rel).read_bytes()
        return docs

    def editions(self, job: Job) -> dict[str, bytes | Path]:
        """The editions feeds (Atom, JSON Feed, RSS per file type), paged: see :func:`stable_pages`.

        The current documents list the newest issues. Older issues are in stable pages kept between
        builds: RFC 5005 archive documents for Atom and RSS (``prev-archive`` from the current
        document, then from page to page), ``next_url`` for JSON Feed.
        """
        pub = job.publication
        rss_types = {path: mtype for mtype, path in EDITIONS_RSS.items()}

        def document(current: str, issues: Sequence[Issue], path: str, older: str | None, archive: bool) -> bytes:
            """A document of the editions feed ``current`` (its path); ``older``: the next older page."""
            if current == EDITIONS_JSON_PATH:
                return editions_json_document(job, issues, path, older)
            self_type = RSS_TYPE if current in rss_types else ATOM_TYPE
            links = [link("current", pub.url(current), self_type)] if archive else []
            if older:
                links.append(link("prev-archive", pub.url(older), self_type))
            if current == EDITIONS_PATH:
                return editions_document(job, issues, path, links, archive)
            mtype = rss_types[current]
            label = next(label for _, t, label in DOWNLOADS if t == mtype)
            return editions_rss_document(job, issues, path, mtype, f"{pub.title} 整期（{label}）", links, archive)

        current_issues, pages = stable_pages(job.issues)
        docs: dict[str, bytes | Path] = {}
        for current in (EDITIONS_PATH, EDITIONS_JSON_PATH, *rss_types):
            newest = editions_page_path(current, pages[0].number) if pages else None
            docs[current] = document(current, current_issues, current, newest, False)
            for page in pages:
                path = editions_page_path(current, page.number)
                older = editions_page_path(current, page.number - 1) if page.number > 1 else None
                docs[path] = job.memoized(
                    "feeds/editions",
                    page_parts(job, page, path, older or "-"),
                    lambda page=page, path=path, older=older, current=current: document(  # type: ignore[misc]
                        current, page.issues, path, older, True
                    ),
                )
        return docs

    def page_feeds(self, job: Job) -> list[tuple[str, str, str, list[Item], list[Issue]]]:
        """(key, path, title, items, issues) for every 版 that appears in any issue."""
        pub = job.publication
        keys: dict[str, list[tuple[Issue, Page]]] = {}
        for issue in job.issues:
            for page in issue.pages:
                keys.setdefault(page_key(page), []).append((issue, page))
        out = []
        seen_paths: dict[str, str] = {}
        for key in sorted(keys):
            path = page_feed_path(key)
            if seen_paths.setdefault(path, key) != key:
                raise RenderError(f"feeds: pages {seen_paths[path]!r} and {key!r} map to the same feed {path}")
            chosen = keys[key][: pub.feed_issues]  # newest first, like the issues
            items: list[Item] = []
            issues = []
            for issue, page in chosen:
                items += issue_items(job, issue, [page])
                if issue not in issues:
                    issues.append(issue)
            out.append((key, path, page_title(pub, key), items, issues))
        return out


def archive_path(issue: Issue) -> str:
    return f"feeds/archive/{issue.id}.xml"


def editions_page_path(current: str, number: int) -> str:
    """An older page of the editions feed at ``current``: feeds/editions.xml → feeds/archive/editions/0001.xml."""
    name, suffix = posixpath.splitext(posixpath.basename(current))
    return f"feeds/archive/{name}/{number:04d}{suffix}"


def link(rel: str, href: str, media_type: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type}
