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
SITE_JS = "assets/cite.js"  # the article pages' copy button for the 引用本文 line (the only script)
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


PAGES = "pages/"  # an issue's 数字报 replica inside its folder: per-版 PDFs, sheet images, views


def ban_pdf(issue_id: str, number: int) -> str:
    """The PDF of 版 ``number`` alone (its sheets): ``issues/<id>/pages/01.pdf``."""
    return f"{issue_dir(issue_id)}{PAGES}{number:02d}.pdf"


def ban_view(issue_id: str, number: int) -> str:
    """The view of 版 ``number``: its sheet images with a link over every article."""
    return f"{issue_dir(issue_id)}{PAGES}{number:02d}.html"


def ban_image(issue_id: str, number: int, sheet: int, thumb: bool = False) -> str:
    """Sheet ``sheet`` (1-based) of 版 ``number`` as an image (~150 dpi), or its ~300 px thumbnail."""
    return f"{issue_dir(issue_id)}{PAGES}{number:02d}-{sheet}{'-thumb' if thumb else ''}.jpg"


def ban_layout(issue_id: str) -> str:
    """Where each article lies on each sheet (PDF points), and each sheet's 版: the views' source."""
    return f"{issue_dir(issue_id)}{PAGES}layout.json"


def cover(issue_id: str) -> str:
    return issue_dir(issue_id) + COVER_NAME


def media(issue_id: str, name: str) -> str:
    return f"{issue_dir(issue_id)}{MEDIA}{name}"


# 往期: the archive by year and month (one page per year and per month with issues; adding an issue
# rewrites its month, its year and the index, not one long list).
ARCHIVE = "archive/"


def archive_year(year: int) -> str:
    return f"{ARCHIVE}{year:04d}/index.html"


def archive_month(year: int, month: int) -> str:
    return f"{ARCHIVE}{year:04d}/{month:02d}.html"


# For search engines: a sitemap index over one sitemap per month and a news sitemap of the latest issue.
SITEMAP = "sitemap.xml"
SITEMAP_NEWS = "sitemaps/news.xml"
ROBOTS = "robots.txt"


def sitemap_month(year: int, month: int) -> str:
    return f"sitemaps/{year:04d}-{month:02d}.xml"


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


# OPDS 1.2 navigation by year and month: years → months → an acquisition feed of a month's issues.
OPDS_ARCHIVE = "opds/archive.xml"
# OPDS-PSE page streaming: no file, a route of exporter.serve answering from the 版 images of the issue
# (pageNumber counts the issue's sheets from 0; maxWidth <= THUMB_WIDTH gets the thumbnail).
PSE_STREAM = "opds/pse/"
PSE_REL = "http://vaemendis.net/opds-pse/stream"
PSE_NS = "http://vaemendis.net/opds-pse/ns"


def pse_stream(issue_id: str) -> str:
    """The stream URL template of an issue (relative to the output root), {pageNumber} and {maxWidth} in it."""
    return f"{PSE_STREAM}{issue_id}/{{pageNumber}}?maxWidth={{maxWidth}}"


def opds_year(year: int, suffix: str = ".xml") -> str:
    return f"opds/archive/{year:04d}{suffix}"


def opds_month(year: int, month: int, suffix: str = ".xml") -> str:
    return f"opds/archive/{year:04d}/{month:02d}{suffix}"


# OPDS 2.0 (JSON) beside it: the same newest-first pages and the same year/month navigation.
OPDS2_CATALOG = "opds/catalog.json"


def opds2_issues_page(number: int) -> str:
    return f"opds/issues/{number:04d}.json"


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
OPDS2_TYPE = "application/opds+json"
SITEMAP_TYPE = "application/xml"

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
    OPDS_ARCHIVE: NAVIGATION_TYPE,
    OPDS2_CATALOG: OPDS2_TYPE,
}
_PATTERN_TYPES = (
    (re.compile(r"feeds/pages/[^/]+\.xml"), ATOM_TYPE),
    (re.compile(r"feeds/archive/[^/]+\.xml"), ATOM_TYPE),
    (re.compile(r"feeds/archive/editions(-pdf|-epub)/[0-9]+\.xml"), RSS_TYPE),
    (re.compile(r"feeds/archive/editions/[0-9]+\.xml"), ATOM_TYPE),
    (re.compile(r"feeds/archive/editions/[0-9]+\.json"), JSON_FEED_TYPE),
    (re.compile(r"opds/issues/[0-9]+\.xml"), ACQUISITION_TYPE),
    (re.compile(r"opds/archive/[0-9]+\.xml"), NAVIGATION_TYPE),
    (re.compile(r"opds/archive/[0-9]+/[0-9]+\.xml"), ACQUISITION_TYPE),
    (re.compile(r"opds/(issues|archive)/[0-9/]+\.json"), OPDS2_TYPE),
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
    if (
        rel.startswith(("feeds/", "opds/", "sitemaps/"))
        or "/" not in rel
        or mtype.startswith(("text/", "application/json"))
    ):
        return CACHE_SHORT
    return CACHE_LONG


# -- the README's table ----------------------------------------------------------------------------

# (paths, what): the README's "What it publishes" table, row by row (tests/test_release.py compares).
TABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    ((INDEX,), "home: the latest issue with its 本期导读, the recent issues and the 往期 years and months"),
    (("archive/YYYY/index.html",), "往期 by year: twelve month calendars, issue days linked"),
    (
        ("archive/YYYY/MM.html",),
        "往期 by month: a calendar (Monday first) with the issue days linked, and the month's issues",
    ),
    ((issue_page("<id>"),), "one issue: masthead, 导读, the pages (版) carried, teasers"),
    ((article("<id>", "<slug>"),), "one article (permalink), with schema.org `NewsArticle` JSON-LD"),
    ((media("<id>", "<file>"),), "the article photos, as the content folder has them"),
    ((pdf("<id>"),), "the print-style PDF edition"),
    ((epub("<id>"),), "the EPUB 3 edition"),
    (
        ("issues/<id>/pages/NN.html",),
        "数字报 view of one page (版): its sheet images, every article a link over its columns, 版面导航",
    ),
    (("issues/<id>/pages/NN.pdf",), "the PDF of one page (版) alone; every PDF is linearised"),
    (
        ("issues/<id>/pages/NN-<k>.jpg", "issues/<id>/pages/NN-<k>-thumb.jpg"),
        "each sheet of a page (版) as an image at 150 dpi and as a 300 px wide thumbnail",
    ),
    ((ban_layout("<id>"),), "where each article lies on each sheet (PDF points), the views' source"),
    ((cover("<id>"),), "the issue's cover (masthead, date, numbers, 导读), also used by OPDS"),
    ((SITE_CSS,), "the web pages' style sheet"),
    ((SITE_JS,), "the article pages' only script: a 复制 (copy) button for the 引用本文 line"),
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
    (
        (OPDS_ARCHIVE, "opds/archive/YYYY.xml", "opds/archive/YYYY/MM.xml"),
        "OPDS 1.2 navigation by year and month, down to an acquisition feed of a month's issues",
    ),
    (
        (OPDS2_CATALOG, "opds/issues/NNNN.json", "opds/archive/YYYY.json", "opds/archive/YYYY/MM.json"),
        "OPDS 2.0 (`application/opds+json`): the same newest-first pages and year/month navigation",
    ),
    ((SITEMAP, "sitemaps/YYYY-MM.xml"), "sitemap index and one sitemap per month: issue and article pages"),
    ((SITEMAP_NEWS,), "Google News sitemap of the latest issue's articles"),
    ((ROBOTS,), "allows every crawler and names the sitemap"),
)


def table_pattern(path: str) -> re.Pattern[str]:
    """A path of :data:`TABLE` as a pattern: ``<id>``, ``<slug>``, ``<file>``, ``<k>``, ``NNNN``, ``YYYY``,
    ``MM``, ``NN``, ``*`` and ``…``."""
    out = ""
    for token in re.split(r"(<id>|<slug>|<file>|<k>|NNNN|YYYY|MM|NN|\*|…)", path):
        out += {
            "<id>": r"[^/]+",
            "<k>": r"[1-9][0-9]*",
            "NN": r"[0-9]{2,}",
            "<slug>": r"[^/]+",
            "<file>": r".+",
            "NNNN": r"[0-9]{4}",
            "YYYY": r"[0-9]{4}",
            "MM": r"[0-9]{2}",
            "*": r"[^/]*",
            "…": r".+",
        }.get(token, re.escape(token))
    return re.compile(out)
