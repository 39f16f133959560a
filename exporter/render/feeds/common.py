"""What every feed document shares: namespaces, paths, times, items, stable pages (also used by
exporter.render.opds)."""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exporter import paths, texts
from exporter.model import Article, Image, Issue, Page, Publication
from exporter.render import Job, Output

ATOM = "http://www.w3.org/2005/Atom"
FH = "http://purl.org/syndication/history/1.0"  # RFC 5005
SY = "http://purl.org/rss/1.0/modules/syndication/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
MEDIA = "http://search.yahoo.com/mrss/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

RSS_TYPE = paths.RSS_TYPE
ATOM_TYPE = paths.ATOM_TYPE
JSON_TYPE = paths.JSON_FEED_TYPE
HTML_TYPE = paths.HTML_TYPE
EPUB_TYPE = paths.EPUB_TYPE

RSS_PATH = paths.RSS
ATOM_PATH = paths.ATOM
JSON_PATH = paths.JSON_FEED
EDITIONS_PATH = paths.EDITIONS
EDITIONS_JSON_PATH = paths.EDITIONS_JSON
# RSS editions feeds, one per file type: RSS allows one enclosure per item, and most podcast apps read RSS only.
EDITIONS_RSS = {paths.PDF_TYPE: paths.EDITIONS_PDF, paths.EPUB_TYPE: paths.EDITIONS_EPUB}
OPML_PATH = paths.OPML
STYLESHEET = paths.STYLESHEET
ICON = paths.ICON
LOGO = paths.LOGO
STATIC = (STYLESHEET, ICON, LOGO)  # copied from templates/<same path>

GENERATOR = "exporter"
TTL_MINUTES = 1440  # a weekly paper; corrections appear within a day
PAGE_ISSUES = 20  # issues per stable page of the documents that list every issue (editions, OPDS)

# (path attribute of Issue, media type, label): the files of the RSS editions feeds, one feed per type.
DOWNLOADS = (
    ("pdf_path", paths.PDF_TYPE, "PDF 版"),
    ("epub_path", paths.EPUB_TYPE, "EPUB 电子书"),
)
COVER_NAMES = paths.COVER_NAMES
THUMB_NAMES = paths.THUMB_NAMES
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


def download(job: Job, output: Output) -> Download:
    """A file of the release as a feed links it: URL and length (in bytes)."""
    size = job.file(output).stat().st_size
    return Download(output.path, job.publication.url(output.path), output.media_type, output.label, size)


def downloads(job: Job, issue: Issue) -> list[Download]:
    """The issue's whole-issue files (PDF, EPUB, …) the release holds, in registry order."""
    return [download(job, d) for d in job.release.downloads(issue.id)]


def covers(job: Job, issue: Issue) -> tuple[Download | None, Download | None]:
    """(cover, thumbnail) of an issue when a renderer wrote them (the thumbnail is the cover otherwise)."""
    cover, thumb = job.release.cover(issue.id), job.release.thumbnail(issue.id)
    return (download(job, cover) if cover else None), (download(job, thumb) if thumb else None)


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
                url = html.escape(pub.url(paths.article(issue.id, h.article)))
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
    alternate: str = ""  # the web page, when ``url`` is the file itself (RSS: an atom:link rel=related)


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
    images = [img for img in a.images if paths.media(issue.id, img.file) in job.release]
    return Item(
        id=issue.tag_uri(pub, a),
        url=url,
        title=a.headline,
        authors=authors,
        summary=f"{issue.sample_notice}{a.summary}",
        content_html=article_html(
            pub, issue, a, [(img, pub.url(paths.media(issue.id, img.url_path))) for img in images]
        ),
        published=local(pub, issue.article_published(a)),
        updated=local(pub, issue.article_updated(a)),
        categories=tuple(cats),
        image=pub.url(paths.media(issue.id, images[0].url_path)) if images else None,
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


# -- per-page feeds ------------------------------------------------------------------------------


def page_key(page: Page) -> str:
    """Pages are grouped by name (要闻 on whatever number it runs), unnamed pages by number."""
    return f"name:{page.name}" if page.name else f"number:{page.number}"


def page_feed_path(key: str) -> str:
    kind, _, value = key.partition(":")
    return paths.page_feed(kind, value)


def page_title(pub: Publication, key: str) -> str:
    kind, _, value = key.partition(":")
    return f"{pub.title} · " + (texts.page_ordinal(int(value)) if kind == "number" else value)


def archive_path(issue: Issue) -> str:
    return paths.feed_archive(issue.id)


def editions_page_path(current: str, number: int) -> str:
    """An older page of the editions feed at ``current``: feeds/editions.xml → feeds/archive/editions/0001.xml."""
    return paths.editions_page(current, number)


def link(rel: str, href: str, media_type: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type}
