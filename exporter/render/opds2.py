"""OPDS 2.0 (JSON, ``application/opds+json``) beside the OPDS 1.2 catalog, with the same structure::

    opds/catalog.json          the newest issues as publications (the issues of ``opds/issues.xml``), a
                               ``next`` link to the older pages, and navigation by year
    opds/issues/NNNN.json      the older pages, 20 issues each, stable as issues are added
    opds/archive/YYYY.json     a year: navigation by month
    opds/archive/YYYY/MM.json  a month: its issues as publications

A publication carries its metadata (``PublicationIssue``: title, identifier, dates, language,
publisher, the newspaper it belongs to with 总第N期 as position), open-access acquisition links to
the EPUB (first) and the PDF with their size, the cover as image and the issue's web page. Written by
the OPDS renderer in its edition pass; validated in the tests against the OPDS 2.0 JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exporter import paths
from exporter.model import Issue, Publication
from exporter.render import Job, archive
from exporter.render.feeds.common import covers, downloads, feed_updated, highlights_text, rfc3339, stable_pages

OPDS2_TYPE = paths.OPDS2_TYPE
ACQUIRE = "http://opds-spec.org/acquisition/open-access"
SORT_NEW = "http://opds-spec.org/sort/new"
ISSUE_TYPE = "http://schema.org/PublicationIssue"


def _link(pub: Publication, rel: str, path: str, media_type: str = OPDS2_TYPE, **extra: Any) -> dict[str, Any]:
    return {"rel": rel, "href": pub.url(path), "type": media_type, **extra}


def publication(job: Job, issue: Issue) -> dict[str, Any] | None:
    """An issue as an OPDS 2.0 publication, or None when it has no file to acquire."""
    pub = job.publication
    files = downloads(job, issue)
    if not files:
        return None
    files.sort(key=lambda d: d.media_type != paths.EPUB_TYPE)  # EPUB first, as in OPDS 1.2
    newspaper: dict[str, Any] = {"name": pub.title, "position": issue.total_number}
    if pub.issn:
        newspaper["identifier"] = f"urn:issn:{pub.issn}"
    metadata: dict[str, Any] = {
        "@type": ISSUE_TYPE,
        "identifier": issue.tag_uri(pub),
        "title": f"{pub.title} {issue.title_text}",
        "modified": rfc3339(pub, issue.updated),
        "published": issue.date.isoformat(),
        "language": pub.language,
        "publisher": pub.publisher_name,
        "description": highlights_text(issue),
        "belongsTo": {"newspaper": newspaper},
    }
    links = [
        {
            "rel": ACQUIRE,
            "href": d.url,
            "type": d.media_type,
            "title": d.label,
            **({"size": d.length} if d.length else {}),
        }
        for d in files
    ]
    links.append({"rel": "alternate", "href": pub.url(issue.dir), "type": paths.HTML_TYPE})
    data: dict[str, Any] = {"metadata": metadata, "links": links}
    cover, thumb = covers(job, issue)
    images = []
    if cover is not None:
        images.append({"href": cover.url, "type": cover.media_type})
    if thumb is not None and thumb.url != (cover.url if cover else None):
        images.append({"href": thumb.url, "type": thumb.media_type, "rel": "http://opds-spec.org/image/thumbnail"})
    if images:
        data["images"] = images
    return data


def feed_document(
    job: Job,
    path: str,
    title: str,
    issues: Sequence[Issue],
    links: Sequence[dict[str, Any]] = (),
    navigation: Sequence[dict[str, Any]] = (),
    updated_from: Sequence[Issue] | None = None,
) -> bytes:
    """A feed: ``issues`` as publications (those with files), then ``navigation``; never neither."""
    pub = job.publication
    publications = [p for p in (publication(job, issue) for issue in issues) if p is not None]
    listed = [issue for issue in issues if job.release.downloads(issue.id)]
    metadata: dict[str, Any] = {
        "title": f"{pub.title} {title}",
        "modified": feed_updated(pub, listed if updated_from is None else updated_from).isoformat(),
    }
    if publications:
        metadata["numberOfItems"] = len(publications)
    data: dict[str, Any] = {
        "metadata": metadata,
        "links": [
            _link(pub, "self", path),
            _link(pub, "start", paths.OPDS2_CATALOG),
            *links,
        ],
    }
    if not publications and not navigation:  # a feed needs one or the other: lead back to the newest issues
        navigation = [_link(pub, SORT_NEW, paths.OPDS2_CATALOG, title="最新各期")]
    if navigation:
        data["navigation"] = list(navigation)
    if publications:
        data["publications"] = publications
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def year_navigation(pub: Publication, years: Sequence[archive.Year]) -> list[dict[str, Any]]:
    return [
        _link(pub, "subsection", paths.opds_year(y.year, ".json"), title=f"{y.title}（{len(y.issues)} 期）")
        for y in years
    ]


def documents(job: Job) -> dict[str, bytes | Path]:
    pub = job.publication
    html = {"rel": "alternate", "href": pub.base_url, "type": paths.HTML_TYPE}
    listed = [issue for issue in job.issues if job.release.downloads(issue.id)]
    years = archive.years(listed)
    current, pages = stable_pages(job.issues)
    first_links = [{**_link(pub, "alternate", paths.OPDS_CATALOG, paths.NAVIGATION_TYPE), "title": "OPDS 1.2"}, html]
    if pages:
        first_links.insert(0, _link(pub, "next", paths.opds2_issues_page(pages[0].number)))
    docs: dict[str, bytes | Path] = {
        paths.OPDS2_CATALOG: feed_document(
            job,
            paths.OPDS2_CATALOG,
            "数字版书库（最新在前）",
            current,
            first_links,
            year_navigation(pub, years),
            listed,
        )
    }
    for page in pages:
        path = paths.opds2_issues_page(page.number)
        newer = paths.OPDS2_CATALOG if page is pages[0] else paths.opds2_issues_page(page.number + 1)
        links = [_link(pub, "first", paths.OPDS2_CATALOG), _link(pub, "previous", newer)]
        if page.number > 1:
            links.append(_link(pub, "next", paths.opds2_issues_page(page.number - 1)))
        docs[path] = job.memoized(
            "opds2/issues",
            archive.parts(job, page.issues, *(f"{x['rel']} {x['href']}" for x in links)),
            lambda page=page, path=path, links=links: feed_document(  # type: ignore[misc]
                job, path, "各期（最新在前）", page.issues, links
            ),
        )
    for year in years:
        path = paths.opds_year(year.year, ".json")
        up = [_link(pub, "up", paths.OPDS2_CATALOG)]
        navigation = [
            _link(
                pub, "subsection", paths.opds_month(m.year, m.month, ".json"), title=f"{m.title}（{len(m.issues)} 期）"
            )
            for m in year.months
        ]
        docs[path] = job.memoized(
            "opds2/year",
            archive.parts(job, year.issues),
            lambda year=year, path=path, up=up, navigation=navigation: feed_document(  # type: ignore[misc]
                job, path, year.title, (), up, navigation, year.issues
            ),
        )
        for month in year.months:
            path = paths.opds_month(month.year, month.month, ".json")
            up = [_link(pub, "up", paths.opds_year(month.year, ".json"))]
            docs[path] = job.memoized(
                "opds2/month",
                archive.parts(job, month.issues),
                lambda month=month, path=path, up=up: feed_document(  # type: ignore[misc]
                    job, path, month.title, month.issues, up
                ),
            )
    return docs
