"""Sitemaps (sitemaps.org 0.9) and robots.txt, written by the site renderer in the edition pass::

    sitemap.xml            a sitemap index: the news sitemap, then one sitemap per month, newest first
    sitemaps/YYYY-MM.xml   the month's archive page, its issue pages and article permalinks
    sitemaps/news.xml      the home page and the latest issue's articles with Google News ``news:`` tags
    robots.txt             allows every crawler, names the sitemap index by its absolute URL

One sitemap for 2,663 issues of some twenty articles each would pass the protocol's 50,000 URLs and be
rewritten on every build; a month's sitemap changes only when one of its issues does. Every
``lastmod`` is a content time (an issue's or an article's ``updated``), never the build time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exporter import paths
from exporter.model import Issue, Publication
from exporter.render import Job, archive
from exporter.render.feeds.common import epoch, rfc3339, xml_bytes

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def _el(parent: Any, tag: str, text: str | None = None, ns: str = SITEMAP_NS) -> Any:
    elem = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        elem.text = text
    return elem


def _url(root: Any, loc: str, lastmod: str) -> Any:
    url = _el(root, "url")
    _el(url, "loc", loc)
    _el(url, "lastmod", lastmod)
    return url


def news_language(language: str) -> str:
    """Google News wants an ISO 639 code, except zh-cn and zh-tw for Chinese (simplified, traditional)."""
    lower = language.lower()
    if lower.startswith("zh"):
        return "zh-tw" if lower in ("zh-tw", "zh-hk", "zh-mo", "zh-hant") or "hant" in lower else "zh-cn"
    return lower.split("-", 1)[0]


def month_sitemap(pub: Publication, month: archive.Month) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    newest = max(i.updated for i in month.issues)
    _url(root, pub.url(paths.archive_month(month.year, month.month)), rfc3339(pub, newest))
    for issue in sorted(month.issues, key=lambda i: (i.date, i.total_number)):
        _url(root, pub.url(issue.dir), rfc3339(pub, issue.updated))  # the canonical URL
        for a in issue.articles:
            _url(root, pub.url(issue.article_path(a)), rfc3339(pub, issue.article_updated(a)))
    return xml_bytes(root)


def news_sitemap(pub: Publication, issues: Sequence[Issue]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    if not issues:
        _url(root, pub.base_url, rfc3339(pub, epoch(pub)))
        return xml_bytes(root)
    latest = issues[0]
    _url(root, pub.base_url, rfc3339(pub, max(i.updated for i in issues)))
    for a in latest.articles:
        url = _url(root, pub.url(latest.article_path(a)), rfc3339(pub, latest.article_updated(a)))
        news = _el(url, "news", ns=NEWS_NS)
        publication = _el(news, "publication", ns=NEWS_NS)
        _el(publication, "name", pub.title, ns=NEWS_NS)
        _el(publication, "language", news_language(pub.language), ns=NEWS_NS)
        _el(news, "publication_date", rfc3339(pub, latest.article_published(a)), ns=NEWS_NS)
        _el(news, "title", a.headline, ns=NEWS_NS)
    return xml_bytes(root)


def sitemap_index(pub: Publication, issues: Sequence[Issue], months: Sequence[archive.Month]) -> bytes:
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    newest = max((i.updated for i in issues), default=epoch(pub))
    entries = [(paths.SITEMAP_NEWS, newest)]
    entries += [(paths.sitemap_month(m.year, m.month), max(i.updated for i in m.issues)) for m in months]
    for rel, lastmod in entries:
        sitemap = _el(root, "sitemap")
        _el(sitemap, "loc", pub.url(rel))
        _el(sitemap, "lastmod", rfc3339(pub, lastmod))
    return xml_bytes(root)


def robots(pub: Publication) -> bytes:
    lines = ["# Every page may be crawled.", "User-agent: *", "Allow: /", "", f"Sitemap: {pub.url(paths.SITEMAP)}"]
    return ("\n".join(lines) + "\n").encode()


def sitemap_documents(job: Job) -> dict[str, bytes | Path]:
    pub = job.publication
    months = archive.months(job.issues)
    docs: dict[str, bytes | Path] = {}
    for month in months:
        docs[paths.sitemap_month(month.year, month.month)] = job.memoized(
            "site/sitemap",
            archive.parts(job, month.issues),
            lambda month=month: month_sitemap(pub, month),  # type: ignore[misc]
        )
    docs[paths.SITEMAP_NEWS] = news_sitemap(pub, job.issues)
    docs[paths.SITEMAP] = sitemap_index(pub, job.issues, months)
    docs[paths.ROBOTS] = robots(pub)
    return docs
