"""Every public path of the output, its media type and how long a client may cache it.

The output folder is served as it is: these paths are public URLs and never change. Renderers,
the pipeline (:mod:`exporter.publish`) and the server (:mod:`exporter.serve`) take them from here,
and the README's table ("What it publishes") is :data:`TABLE` (a test keeps the two equal).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re

# -- the web edition -------------------------------------------------------------------------------

INDEX = "index.html"  # the archive, newest issue first
SITE_CSS = "assets/site.css"
ISSUES = "issues/"
PAGE_NAME = "index.html"  # an issue's page inside its folder
MEDIA = "media/"  # an issue's photos inside its folder
COVER_NAME = "cover.png"  # the generated cover inside an issue's folder
COVER_NAMES = ("cover.jpg", "cover.jpeg", "cover.png", "cover.webp")  # what a cover may be called
THUMB_NAMES = ("thumbnail.jpg", "thumbnail.jpeg", "thumbnail.png", "thumbnail.webp")


def issue_dir(issue_id: str) -> str:
    """``issues/<id>/``: every file of an issue is below it (the pipeline refuses others)."""
    return f"{ISSUES}{issue_id}/"


def issue_page(issue_id: str) -> str:
    return issue_dir(issue_id) + PAGE_NAME


def article(issue_id: str, slug: str) -> str:
    return f"{issue_dir(issue_id)}{slug}.html"


def pdf(issue_id: str) -> str:
    return f"{issue_dir(issue_id)}{issue_id}.pdf"


def epub(issue_id: str) -> str:
    return f"{issue_dir(issue_id)}{issue_id}.epub"


def cover(issue_id: str) -> str:
    return issue_dir(issue_id) + COVER_NAME


def media(issue_id: str, name: str) -> str:
    return f"{issue_dir(issue_id)}{MEDIA}{name}"


def issue_of(rel: str) -> str | None:
    """The issue id of a path below ``issues/<id>/``, else None."""
    if not rel.startswith(ISSUES):
        return None
    issue_id, sep, _ = rel[len(ISSUES) :].partition("/")
    return issue_id if sep and issue_id else None


# -- feeds -----------------------------------------------------------------------------------------

RSS = "feeds/rss.xml"
ATOM = "feeds/atom.xml"
JSON_FEED = "feeds/feed.json"
EDITIONS = "feeds/editions.xml"
EDITIONS_JSON = "feeds/editions.json"
# RSS editions feeds, one per file type: RSS allows one enclosure per item, and most podcast apps read RSS only.
EDITIONS_PDF = "feeds/editions-pdf.xml"
EDITIONS_EPUB = "feeds/editions-epub.xml"
OPML = "feeds/feeds.opml"
STYLESHEET = "feeds/feed.xsl"
ICON = "feeds/icon.png"
LOGO = "feeds/logo.png"


def feed_archive(issue_id: str) -> str:
    """The RFC 5005 archive document of one issue's articles."""
    return f"feeds/archive/{issue_id}.xml"


def page_feed(kind: str, value: str) -> str:
    """The Atom feed of a page (版): by number, or by name (hashed: names are free Chinese text)."""
    if kind == "number":
        return f"feeds/pages/page-{int(value):02d}.xml"
    return f"feeds/pages/section-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:12]}.xml"


def editions_page(current: str, number: int) -> str:
    """An older page of the editions feed at ``current``: feeds/editions.xml → feeds/archive/editions/0001.xml."""
    name, suffix = posixpath.splitext(posixpath.basename(current))
    return f"feeds/archive/{name}/{number:04d}{suffix}"


# -- OPDS ------------------------------------------------------------------------------------------

OPDS_CATALOG = "opds/catalog.xml"
OPDS_ISSUES = "opds/issues.xml"


def opds_issues_page(number: int) -> str:
    return f"opds/issues/{number:04d}.xml"


# -- media types -----------------------------------------------------------------------------------

HTML_TYPE = "text/html"
PDF_TYPE = "application/pdf"
EPUB_TYPE = "application/epub+zip"
PNG_TYPE = "image/png"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_FEED_TYPE = "application/feed+json"
OPML_TYPE = "text/x-opml"
OPDS_TYPE = "application/atom+xml;profile=opds-catalog"
NAVIGATION_TYPE = OPDS_TYPE + ";kind=navigation"
ACQUISITION_TYPE = OPDS_TYPE + ";kind=acquisition"

SUFFIX_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".xml": "application/xml",
    ".xsl": "text/xsl",
    ".xslt": "application/xslt+xml",
    ".opml": OPML_TYPE,
    ".rss": RSS_TYPE,
    ".atom": ATOM_TYPE,
    ".svg": "image/svg+xml",
    ".pdf": PDF_TYPE,
    ".epub": EPUB_TYPE,
    ".png": PNG_TYPE,
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
}

# The documents whose type their suffix does not tell.
KNOWN_TYPES = {
    RSS: RSS_TYPE,
    ATOM: ATOM_TYPE,
    JSON_FEED: JSON_FEED_TYPE,
    EDITIONS: ATOM_TYPE,
    EDITIONS_JSON: JSON_FEED_TYPE,
    EDITIONS_PDF: RSS_TYPE,
    EDITIONS_EPUB: RSS_TYPE,
    OPML: OPML_TYPE,
    OPDS_CATALOG: NAVIGATION_TYPE,
    OPDS_ISSUES: ACQUISITION_TYPE,
}
_PATTERN_TYPES = (
    (re.compile(r"feeds/pages/[^/]+\.xml"), ATOM_TYPE),
    (re.compile(r"feeds/archive/[^/]+\.xml"), ATOM_TYPE),
    (re.compile(r"feeds/archive/editions(-pdf|-epub)/[0-9]+\.xml"), RSS_TYPE),
    (re.compile(r"feeds/archive/editions/[0-9]+\.xml"), ATOM_TYPE),
    (re.compile(r"feeds/archive/editions/[0-9]+\.json"), JSON_FEED_TYPE),
    (re.compile(r"opds/issues/[0-9]+\.xml"), ACQUISITION_TYPE),
)


def media_type(rel: str) -> str:
    """The media type of the file at output path ``rel`` (without a charset)."""
    if rel in KNOWN_TYPES:
        return KNOWN_TYPES[rel]
    for pattern, mtype in _PATTERN_TYPES:
        if pattern.fullmatch(rel):
            return mtype
    return SUFFIX_TYPES.get(os.path.splitext(rel)[1].lower(), "application/octet-stream")


_TEXTUAL = re.compile(r"^(text/|application/(xml|json|javascript|ecmascript)$|application/[\w.-]+\+(xml|json)$)")


def content_type(mtype: str) -> str:
    """The Content-Type header for a file of media type ``mtype``: text types say UTF-8."""
    return mtype + "; charset=utf-8" if _TEXTUAL.match(mtype.split(";", 1)[0]) else mtype


# -- caching ---------------------------------------------------------------------------------------

CACHE_SHORT = "public, max-age=300"  # feeds, catalogs, pages: a new issue shows within minutes
CACHE_LONG = "public, max-age=3600"  # PDF, EPUB, images, styles
CACHE_NONE = "no-cache"


def cache_control(rel: str, mtype: str) -> str:
    if rel.startswith(("feeds/", "opds/")) or "/" not in rel or mtype.startswith(("text/", "application/json")):
        return CACHE_SHORT
    return CACHE_LONG


def headers(rel: str, mtype: str) -> tuple[str, str]:
    """(Content-Type, Cache-Control) of the file at ``rel`` of media type ``mtype``: what the server
    answers with and what ``exporter publish`` stores on each object."""
    ctype = content_type(mtype)
    return ctype, cache_control(rel, ctype)


# -- the README's table ----------------------------------------------------------------------------

# (paths, what): the README's "What it publishes" table, row by row (tests/test_release.py compares).
TABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    ((INDEX,), "archive, newest first, with the latest issue's 本期导读"),
    ((issue_page("<id>"),), "one issue: masthead, 导读, the pages (版) carried, teasers"),
    ((article("<id>", "<slug>"),), "one article (permalink), with schema.org `NewsArticle` JSON-LD"),
    ((media("<id>", "<file>"),), "the article photos, as the content folder has them"),
    ((pdf("<id>"),), "the print-style PDF edition"),
    ((epub("<id>"),), "the EPUB 3 edition"),
    ((cover("<id>"),), "the issue's cover (masthead, date, numbers, 导读), also used by OPDS"),
    ((SITE_CSS,), "the web pages' style sheet"),
    ((RSS, ATOM, JSON_FEED), "article feeds (RSS 2.0, Atom, JSON Feed 1.1)"),
    (
        ("feeds/pages/…",),
        "one Atom feed per page (版) name or number, linked from the issue pages and listed in `feeds/feeds.opml`",
    ),
    (
        (EDITIONS, EDITIONS_JSON, EDITIONS_PDF, EDITIONS_EPUB),
        "one entry per issue with the PDF and EPUB attached (the newest issues; older ones on pages, below)",
    ),
    ((feed_archive("<id>"),), "RFC 5005 archive documents, one per issue, linked by `prev-archive`"),
    (
        ("feeds/archive/editions*/NNNN.xml", "feeds/archive/editions/NNNN.json"),
        "older pages of the editions feeds, 20 issues each (`prev-archive`, JSON Feed `next_url`)",
    ),
    ((OPML,), "OPML 2.0 list of every feed"),
    ((STYLESHEET, ICON, LOGO), "the feeds' browser style sheet, icon and logo"),
    (
        (OPDS_CATALOG, OPDS_ISSUES, "opds/issues/NNNN.xml"),
        "OPDS 1.2 catalog and its newest-first acquisition feed, paged (`next`) into older pages",
    ),
)


def table_pattern(path: str) -> re.Pattern[str]:
    """A path of :data:`TABLE` as a pattern: ``<id>``, ``<slug>``, ``<file>``, ``NNNN``, ``*`` and ``…``."""
    out = ""
    for token in re.split(r"(<id>|<slug>|<file>|NNNN|\*|…)", path):
        out += {
            "<id>": r"[^/]+",
            "<slug>": r"[^/]+",
            "<file>": r".+",
            "NNNN": r"[0-9]{4}",
            "*": r"[^/]*",
            "…": r".+",
        }.get(token, re.escape(token))
    return re.compile(out)
