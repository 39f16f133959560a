"""OPDS Catalog 1.2: a root navigation feed and a newest-first acquisition feed of the issues.

Written in the edition pass (``job.issue is None``)::

    opds/catalog.xml   navigation feed (the URL an e-reader is given)
    opds/issues.xml    acquisition feed, newest issue first: EPUB and PDF acquisition links with their
                       media type and length, cover/thumbnail when ``issues/<id>/cover.*`` exists,
                       the issue's metadata (dcterms issued, language, publisher, identifier)
    opds/issues/NNNN.xml  its older pages (``next``), 20 issues each, counted from the oldest issue so
                       that they stay the same as issues are added
    opds/archive.xml   navigation by year (newest first) → opds/archive/YYYY.xml, the year's months →
                       opds/archive/YYYY/MM.xml, an acquisition feed of the month's issues (a month's
                       and a year's documents change only when one of their issues does)
    opds/catalog.json  and the same pages and navigation in OPDS 2.0 (:mod:`exporter.render.opds2`)

Newest first matters: KOReader and other e-readers sync a catalog by reading it from the top until
they see an entry they already have. Only issues whose PDF or EPUB exists in the release are listed
(an acquisition entry without a file to acquire is a dead end on an e-reader).
feedgen cannot write OPDS acquisition links (it accepts only five entry ``rel`` values), so both
documents are built with lxml.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from exporter import paths
from exporter.errors import RenderError
from exporter.model import Issue, Publication
from exporter.render import Base, Job, Output, archive, opds2
from exporter.render.feeds.common import (
    ATOM,
    DCTERMS,
    HTML_TYPE,
    ICON,
    XML_LANG,
    covers,
    downloads,
    feed_updated,
    highlights_html,
    highlights_text,
    page_parts,
    rfc3339,
    stable_pages,
    sub,
    xml_bytes,
)

OPDS = "http://opds-spec.org/2010/catalog"
CATALOG_PATH = paths.OPDS_CATALOG
ISSUES_PATH = paths.OPDS_ISSUES
NAVIGATION_TYPE = paths.NAVIGATION_TYPE
ACQUISITION_TYPE = paths.ACQUISITION_TYPE
ACQUIRE = "http://opds-spec.org/acquisition/open-access"  # free to read: no payment, no borrowing
IMAGE = "http://opds-spec.org/image"
THUMBNAIL = "http://opds-spec.org/image/thumbnail"
SORT_NEW = "http://opds-spec.org/sort/new"


def _feed(pub: Publication, path: str, title: str, updated: str, kind_type: str) -> Any:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DCTERMS, "opds": OPDS})
    root.set(XML_LANG, pub.language)
    sub(root, "id", pub.url(path))
    sub(root, "title", title)
    sub(root, "updated", updated)
    author = sub(root, "author")
    sub(author, "name", pub.publisher_name)
    sub(root, "icon", pub.url(ICON))
    sub(root, "link", rel="self", type=kind_type, href=pub.url(path))
    sub(root, "link", rel="start", type=NAVIGATION_TYPE, href=pub.url(CATALOG_PATH))
    return root


def catalog_document(job: Job) -> bytes:
    pub = job.publication
    updated = feed_updated(pub, job.issues).isoformat()
    root = _feed(pub, CATALOG_PATH, f"{pub.title} 数字版书库", updated, NAVIGATION_TYPE)
    sub(root, "link", rel=SORT_NEW, type=ACQUISITION_TYPE, href=pub.url(ISSUES_PATH), title="最新各期")
    sub(root, "link", rel="alternate", type=HTML_TYPE, href=pub.base_url)
    sub(root, "link", rel="alternate", type=paths.OPDS2_TYPE, href=pub.url(paths.OPDS2_CATALOG), title="OPDS 2.0")
    entry = sub(root, "entry")
    sub(entry, "title", "全部各期（最新在前）")
    sub(entry, "id", pub.url(ISSUES_PATH))
    sub(entry, "updated", updated)
    sub(entry, "link", rel="subsection", type=ACQUISITION_TYPE, href=pub.url(ISSUES_PATH))
    sub(entry, "link", rel=SORT_NEW, type=ACQUISITION_TYPE, href=pub.url(ISSUES_PATH))
    sub(entry, "content", f"{pub.title}每期的 EPUB 电子书与 PDF 版，最新一期在最前。", type="text")
    entry = sub(root, "entry")
    sub(entry, "title", "往期（按年月）")
    sub(entry, "id", pub.url(paths.OPDS_ARCHIVE))
    sub(entry, "updated", updated)
    sub(entry, "link", rel="subsection", type=NAVIGATION_TYPE, href=pub.url(paths.OPDS_ARCHIVE))
    sub(entry, "content", "按年份、月份浏览各期。", type="text")
    return xml_bytes(root)


def _issue_entry(job: Job, root: Any, issue: Issue) -> None:
    pub = job.publication
    files = downloads(job, issue)
    # EPUB first: e-readers take the first acquisition link they can open.
    files.sort(key=lambda d: d.media_type != paths.EPUB_TYPE)
    entry = sub(root, "entry")
    sub(entry, "title", f"{pub.title} {issue.title_text}")
    sub(entry, "id", issue.tag_uri(pub))
    sub(entry, "updated", rfc3339(pub, issue.updated))
    sub(entry, "published", rfc3339(pub, issue.published))
    author = sub(entry, "author")
    sub(author, "name", pub.publisher_name)
    sub(entry, f"{{{DCTERMS}}}identifier", issue.tag_uri(pub))
    sub(entry, f"{{{DCTERMS}}}issued", issue.date.isoformat())
    sub(entry, f"{{{DCTERMS}}}language", pub.language)
    sub(entry, f"{{{DCTERMS}}}publisher", pub.publisher_name)
    if pub.issn:
        sub(entry, f"{{{DCTERMS}}}isPartOf", f"urn:issn:{pub.issn}")
    sub(entry, "category", term=issue.total_number_text, label=issue.numbers_text)
    sub(entry, "summary", highlights_text(issue), type="text")
    sub(entry, "content", highlights_html(pub, issue), type="html")
    cover, thumb = covers(job, issue)
    if cover is not None:
        sub(entry, "link", rel=IMAGE, type=cover.media_type, href=cover.url)
    if thumb is not None:
        sub(entry, "link", rel=THUMBNAIL, type=thumb.media_type, href=thumb.url)
    for d in files:
        sub(entry, "link", rel=ACQUIRE, type=d.media_type, length=str(d.length), title=d.label, href=d.url)
    sheets = [o for o in job.release.outputs(issue.id) if o.path.startswith(issue.dir + paths.PAGES) and
              o.path.endswith("-thumb.jpg")]  # fmt: skip
    if sheets:  # OPDS-PSE: the sheets' images one by one (served by exporter.serve from the 版 images)
        link = etree.SubElement(entry, f"{{{ATOM}}}link", nsmap={"pse": paths.PSE_NS})  # declared where used
        link.set("rel", paths.PSE_REL)
        link.set("type", "image/jpeg")
        link.set("href", pub.url(paths.pse_stream(issue.id)))
        link.set(f"{{{paths.PSE_NS}}}count", str(len(sheets)))
    sub(entry, "link", rel="alternate", type=HTML_TYPE, href=pub.url(issue.dir))


def issues_document(
    job: Job,
    issues: Sequence[Issue],
    path: str = ISSUES_PATH,
    links: Sequence[tuple[str, str]] = (),
    title: str = "各期（最新在前）",
    up: str = CATALOG_PATH,
) -> bytes:
    """An acquisition feed of ``issues`` (newest first) with paging ``links``: (rel, path)."""
    pub = job.publication
    listed = [issue for issue in issues if downloads(job, issue)]
    updated = feed_updated(pub, listed).isoformat()
    root = _feed(pub, path, f"{pub.title} {title}", updated, ACQUISITION_TYPE)
    sub(root, "link", rel="up", type=NAVIGATION_TYPE, href=pub.url(up))
    for rel, target in links:
        sub(root, "link", rel=rel, type=ACQUISITION_TYPE, href=pub.url(target))
    sub(root, "link", rel="alternate", type=HTML_TYPE, href=pub.base_url)
    for issue in listed:
        _issue_entry(job, root, issue)
    return xml_bytes(root)


def issues_page_path(number: int) -> str:
    return paths.opds_issues_page(number)


def issues_documents(job: Job) -> dict[str, bytes | Path]:
    """The acquisition feed, paged (RFC 5005 paged feed: first, next, previous).

    ``opds/issues.xml`` holds the newest issues; older ones are on stable pages, ``next`` from page
    to page, kept between builds (see :func:`~exporter.render.feeds.common.stable_pages`).
    """
    current, pages = stable_pages(job.issues)
    newest = issues_page_path(pages[0].number) if pages else None
    docs: dict[str, bytes | Path] = {
        ISSUES_PATH: issues_document(job, current, ISSUES_PATH, [("next", newest)] if newest else [])
    }
    for page in pages:
        path = issues_page_path(page.number)
        newer = ISSUES_PATH if page is pages[0] else issues_page_path(page.number + 1)
        links = [("first", ISSUES_PATH), ("previous", newer)]
        if page.number > 1:
            links.append(("next", issues_page_path(page.number - 1)))
        docs[path] = job.memoized(
            "opds/issues",
            page_parts(job, page, *(f"{rel} {target}" for rel, target in links)),
            lambda page=page, path=path, links=links: issues_document(job, page.issues, path, links),  # type: ignore[misc]
        )
    return docs


# -- navigation by year and month ------------------------------------------------------------------


def listed_issues(job: Job) -> list[Issue]:
    """The issues a catalog lists: those with a file to acquire (newest first)."""
    return [issue for issue in job.issues if job.release.downloads(issue.id)]


def _navigation_entry(
    pub: Publication, root: Any, title: str, target: str, kind_type: str, updated: str, text: str
) -> None:
    entry = sub(root, "entry")
    sub(entry, "title", title)
    sub(entry, "id", pub.url(target))
    sub(entry, "updated", updated)
    sub(entry, "link", rel="subsection", type=kind_type, href=pub.url(target))
    sub(entry, "content", text, type="text")


def archive_document(job: Job, years: Sequence[archive.Year]) -> bytes:
    """``opds/archive.xml``: a navigation feed of the years, newest first."""
    pub = job.publication
    updated = feed_updated(pub, [i for y in years for i in y.issues]).isoformat()
    root = _feed(pub, paths.OPDS_ARCHIVE, f"{pub.title} 往期（按年月）", updated, NAVIGATION_TYPE)
    sub(root, "link", rel="up", type=NAVIGATION_TYPE, href=pub.url(CATALOG_PATH))
    for year in years:
        _navigation_entry(
            pub, root, year.title, paths.opds_year(year.year), NAVIGATION_TYPE,
            feed_updated(pub, year.issues).isoformat(), f"{len(year.issues)} 期",
        )  # fmt: skip
    return xml_bytes(root)


def year_document(job: Job, year: archive.Year) -> bytes:
    """``opds/archive/YYYY.xml``: a navigation feed of the year's months, newest first."""
    pub = job.publication
    path = paths.opds_year(year.year)
    root = _feed(pub, path, f"{pub.title} {year.title}", feed_updated(pub, year.issues).isoformat(), NAVIGATION_TYPE)
    sub(root, "link", rel="up", type=NAVIGATION_TYPE, href=pub.url(paths.OPDS_ARCHIVE))
    for month in year.months:
        _navigation_entry(
            pub, root, month.title, paths.opds_month(month.year, month.month), ACQUISITION_TYPE,
            feed_updated(pub, month.issues).isoformat(), f"{len(month.issues)} 期",
        )  # fmt: skip
    return xml_bytes(root)


def archive_documents(job: Job) -> dict[str, bytes | Path]:
    """The year/month navigation: a month's feed and a year's change only when one of their issues does."""
    years = archive.years(listed_issues(job))
    docs: dict[str, bytes | Path] = {paths.OPDS_ARCHIVE: archive_document(job, years)}
    for year in years:
        docs[paths.opds_year(year.year)] = job.memoized(
            "opds/year",
            archive.parts(job, year.issues),
            lambda year=year: year_document(job, year),  # type: ignore[misc]
        )
        for month in year.months:
            path = paths.opds_month(month.year, month.month)
            docs[path] = job.memoized(
                "opds/month",
                archive.parts(job, month.issues),
                lambda month=month, path=path: issues_document(  # type: ignore[misc]
                    job, month.issues, path, (), month.title, paths.opds_year(month.year)
                ),
            )
    return docs


class OpdsRenderer(Base):
    name = "opds"

    def render_edition(self, job: Job) -> list[Output]:
        try:
            documents = {CATALOG_PATH: catalog_document(job), **issues_documents(job), **archive_documents(job)}
            documents.update(opds2.documents(job))
            icon = (job.templates_dir / ICON).read_bytes()
        except (OSError, ValueError, TypeError, etree.LxmlError) as exc:
            raise RenderError(f"opds: cannot write the catalog: {exc}") from exc
        if "feeds" not in job.formats:
            documents[ICON] = icon  # the feeds renderer writes it otherwise
        return [job.write(rel, data) for rel, data in documents.items()]
