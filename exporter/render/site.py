"""The web edition: archive index, one page per issue, one permalink page per article.

Per issue it writes ``issues/<id>/index.html``, ``issues/<id>/<slug>.html`` and the photos under
``issues/<id>/media/``; for the edition, ``index.html``, ``assets/site.css`` and ``assets/cite.js``. Pages
link each other relatively (the folder works anywhere) and carry absolute canonical URLs, schema.org JSON-LD,
Open Graph and Twitter card tags, and on article pages the citation tags and the 引用本文 line
(:mod:`exporter.share`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from exporter import paths, share
from exporter.assets import read_inside
from exporter.errors import RenderError
from exporter.model import MAX_IMAGE_BYTES, Article, Highlight, Image, Issue, Page, Publication
from exporter.render import EDITION_LINKS, Base, Job, Output, archive
from exporter.share import ShareImage

RECENT_ISSUES = 12  # the home page lists these; older issues are in the 往期 pages by year and month


class SiteRenderer(Base):
    name = "site"
    reads_release = True  # an issue's page links its downloads and cover: render it after them

    def render_issue(self, job: Job) -> list[Output]:
        assert job.issue is not None
        return self._issue(job, job.issue)

    def render_edition(self, job: Job) -> list[Output]:
        return self._edition(job)

    # -- shared context ----------------------------------------------------------------------

    def _context(self, job: Job, root: str, canonical: str, jsonld: Any) -> dict[str, Any]:
        pub = job.publication
        built = [link for link in EDITION_LINKS if link[0] in job.formats]
        alternates = [
            {"type": mtype, "href": pub.url(path), "title": f"{pub.title} {label}"} for _, path, mtype, label in built
        ]
        formats_links = [{"type": mtype, "href": root + path, "label": label} for _, path, mtype, label in built]
        return {
            "pub": pub,
            "root": root,
            "canonical": canonical,
            "jsonld": jsonld,
            "alternates": alternates,
            "formats_links": formats_links,
            "share": [],  # Open Graph, Twitter and citation tags (exporter.share): each page sets its own
        }

    def _cover(self, job: Job, issue: Issue) -> ShareImage | None:
        """The issue's cover as a link preview shows it, when this release has one (the EPUB renderer's)."""
        cover = job.release.cover(issue.id)
        if cover is None:
            return None
        from exporter.cover import cover_alt

        width, height = image_size(job.file(cover))
        return ShareImage(
            job.publication.url(cover.path), width, height, cover.media_type, cover_alt(job.publication, issue)
        )

    def _pdf_url(self, job: Job, issue: Issue) -> str:
        found = [d for d in job.release.downloads(issue.id) if d.media_type == paths.PDF_TYPE]
        return job.publication.url(found[0].path) if found else ""

    def _downloads(self, job: Job, issue: Issue, prefix: str) -> list[dict[str, str]]:
        # While an issue renders, its PDF may still be on its way (promised): a build publishes the
        # issue only once every enabled format of it succeeded.
        return [
            {"href": prefix + posixpath.basename(d.path), "type": d.media_type, "label": d.label}
            for d in job.release.downloads(issue.id)
        ]

    # -- per issue ---------------------------------------------------------------------------

    def _issue(self, job: Job, issue: Issue) -> list[Output]:
        pub, env = job.publication, job.templates
        written = self._copy_media(job, issue)

        def img_src(image: Image) -> str:
            return paths.MEDIA + image.url_path

        def page_href(n: int) -> str:
            return f"{paths.PAGE_NAME}#page-{n}" if issue.carries(n) else ""

        def highlight_href(h: Highlight) -> str:
            if h.article:
                return f"{h.article}.html"
            return page_href(h.page)

        base = self._context(job, "../../", pub.url(issue.dir), issue_jsonld(pub, issue))
        cover_image = self._cover(job, issue)
        base["share"] = share.page_tags(
            pub,
            kind="website",
            title=f"{pub.title} {issue.date_text} {issue.number_text}",
            description=issue_description(pub, issue),
            url=pub.url(issue.dir),
            image=cover_image,
        )
        page_feeds: dict[int, str] = {}
        if "feeds" in job.formats:  # each page (版) has its own feed: link it for subscribers
            from exporter.render.feeds import page_feed_path, page_key

            page_feeds = {p.number: page_feed_path(page_key(p)) for p in issue.pages}
            base["alternates"] += [
                {"type": paths.ATOM_TYPE, "href": pub.url(page_feeds[p.number]),
                 "title": f"{pub.title} {p.label}"}
                for p in issue.pages
            ]  # fmt: skip
        html = env.get_template("site/issue.html").render(
            **base,
            page_feeds={n: "../../" + path for n, path in page_feeds.items()},
            issue=issue,
            month_href=paths.archive_month(issue.date.year, issue.date.month),
            downloads=self._downloads(job, issue, ""),
            cover=posixpath.basename(cover.path) if (cover := job.release.cover(issue.id)) else "",
            highlight_href=highlight_href,
            nav=ban_nav(job, issue, None, paths.PAGES),
        )
        written.append(job.write(paths.issue_page(issue.id), html))

        template = env.get_template("site/article.html")
        articles = issue.articles
        pdf_url = self._pdf_url(job, issue)
        for i, article in enumerate(articles):
            page = issue.page_of(article)
            url = pub.url(issue.article_path(article))
            ctx = self._context(job, "../../", url, article_jsonld(pub, issue, page, article))
            ctx["share"] = share.page_tags(
                pub,
                kind="article",
                title=article.headline,
                description=article.summary,
                url=url,
                image=share.photo_image(pub, issue, article) or cover_image,
                published=issue.article_published(article).isoformat(timespec="seconds"),
                modified=issue.article_updated(article).isoformat(timespec="seconds"),
                section=page.label,
                tags=article.tags,
            ) + share.citation_tags(pub, issue, page, article, pdf_url)
            html = template.render(
                **ctx,
                issue=issue,
                page=page,
                a=article,
                updated=issue.article_updated(article),
                prev=articles[i - 1] if i > 0 else None,
                next=articles[i + 1] if i + 1 < len(articles) else None,
                img_src=img_src,
                page_href=page_href,
                ban_view=(
                    paths.PAGES + posixpath.basename(view)
                    if (view := paths.ban_view(issue.id, page.number)) in job.release
                    else ""
                ),
                reference=share.reference(pub, issue, page, article),
            )
            written.append(job.write(issue.article_path(article), html))
        return written

    def _copy_media(self, job: Job, issue: Issue) -> list[Output]:
        written: list[Output] = []
        copied = set()
        for article in issue.articles:
            for image in article.images:
                if image.file in copied:  # two articles may show the same photo
                    continue
                copied.add(image.file)
                try:
                    data = read_inside(job.source(issue), image.file, MAX_IMAGE_BYTES)
                except ValueError as exc:
                    raise RenderError(f"{article.slug}: images: {exc}") from None
                written.append(job.write(paths.media(issue.id, image.file), data))
        return written

    # -- edition -----------------------------------------------------------------------------

    def _edition(self, job: Job) -> list[Output]:
        pub = job.publication
        css = (job.templates_dir / "site" / "site.css").read_bytes()
        script = (job.templates_dir / "site" / "cite.js").read_bytes()
        written = [job.write(paths.SITE_CSS, css), job.write(paths.SITE_JS, script)]
        recent = job.issues[:RECENT_ISSUES]
        latest = None
        if job.issues:
            issue = job.issues[0]

            def highlight_href(h: Highlight, issue: Issue = issue) -> str:
                if h.article:
                    return paths.article(issue.id, h.article)
                return f"{paths.issue_page(issue.id)}#page-{h.page}" if issue.carries(h.page) else ""

            latest = {
                "issue": issue,
                "href": paths.issue_page(issue.id),
                "highlight_href": highlight_href,
                "articles": [
                    {"article": a, "page": issue.page_of(a).code, "href": issue.article_path(a)} for a in issue.articles
                ],
            }
        all_years = archive.years(job.issues)
        year_links = [
            {
                "title": y.title,
                "href": paths.archive_year(y.year),
                "months": [
                    {"title": m.title, "month": m.month, "href": paths.archive_month(m.year, m.month)}
                    for m in reversed(y.months)
                ],
            }
            for y in all_years
        ]
        ctx = self._context(job, "", pub.base_url, periodical_jsonld(pub, tuple(recent)))
        ctx["share"] = share.page_tags(
            pub,
            kind="website",
            title=f"{pub.title} · 数字版",
            description=f"{pub.title}数字版",
            url=pub.base_url,
            image=self._cover(job, job.issues[0]) if job.issues else None,
        )
        html = job.templates.get_template("site/index.html").render(
            **ctx, issues=self._items(job, recent, ""), latest=latest, years=year_links
        )
        written.append(job.write(paths.INDEX, html))
        written += self._archive(job, all_years)
        from exporter.render.sitemap import sitemap_documents

        written += [job.write(rel, data) for rel, data in sitemap_documents(job).items()]
        return written

    def _items(self, job: Job, issues: Sequence[Issue], root: str) -> list[dict[str, Any]]:
        return [{"issue": i, "downloads": self._downloads(job, i, root + i.dir)} for i in issues]

    # -- 往期: a page per year and per month ---------------------------------------------------

    def _calendar(self, job: Job, year: int, month: int, m: archive.Month | None, href: str = "") -> dict[str, Any]:
        return {
            "title": f"{year}年{month}月",
            "month": month,
            "count": len(m.issues) if m else 0,
            "href": href,
            "headings": archive.WEEKDAY_HEADINGS,
            "weeks": archive.weeks(year, month, m.issues if m else ()),
        }

    def _archive(self, job: Job, years: list[archive.Year]) -> list[Output]:
        written: list[Output] = []
        root = "../../"
        months = [m for y in years for m in y.months]
        for n, month in enumerate(months):
            older, newer = archive.neighbours(months, n)
            rel = paths.archive_month(month.year, month.month)
            links = {
                name: {"title": other.title, "href": root + paths.archive_month(other.year, other.month)}
                for name, other in (("older", older), ("newer", newer))
                if other is not None
            }

            def make(month: archive.Month = month, links: dict[str, Any] = links, rel: str = rel) -> bytes:
                ctx = self._context(job, root, job.publication.url(rel), archive_jsonld(job.publication, month.issues))
                html = job.templates.get_template("site/month.html").render(
                    **ctx,
                    cal=self._calendar(job, month.year, month.month, month),
                    year_title=f"{month.year}年",
                    issues=self._items(job, month.issues, root),
                    older=links.get("older"),
                    newer=links.get("newer"),
                    up={"title": f"{month.year}年全年", "href": "index.html"},
                )
                return html.encode("utf-8")

            parts = archive.parts(job, month.issues, *(f"{k} {v['href']}" for k, v in sorted(links.items())))
            written.append(job.write(rel, job.memoized("site/month", parts, make)))
        for n, year in enumerate(years):
            older_year, newer_year = archive.neighbours(years, n)
            rel = paths.archive_year(year.year)
            year_links = {
                name: {"title": other.title, "href": root + paths.archive_year(other.year)}
                for name, other in (("older", older_year), ("newer", newer_year))
                if other is not None
            }

            def make_year(year: archive.Year = year, links: dict[str, Any] = year_links, rel: str = rel) -> bytes:
                calendars = [
                    self._calendar(job, year.year, number, m, f"{number:02d}.html" if m else "")
                    for number in range(1, 13)
                    for m in (year.month(number),)
                ]
                canonical = job.publication.url(posixpath.dirname(rel) + "/")
                ctx = self._context(job, root, canonical, archive_jsonld(job.publication, year.issues))
                html = job.templates.get_template("site/year.html").render(
                    **ctx,
                    year=year,
                    count=len(year.issues),
                    calendars=calendars,
                    older=links.get("older"),
                    newer=links.get("newer"),
                )
                return html.encode("utf-8")

            parts = archive.parts(job, year.issues, *(f"{k} {v['href']}" for k, v in sorted(year_links.items())))
            written.append(job.write(rel, job.memoized("site/year", parts, make_year)))
        return written


def issue_description(pub: Publication, issue: Issue) -> str:
    """The issue page's description: the paper, the issue and its 导读 headlines."""
    text = f"{pub.title} {issue.title_text}"
    if issue.highlights:
        text += "：" + "；".join(h.headline for h in issue.highlights)
    return text


def image_size(path: Any) -> tuple[int, int]:
    """Width and height of an image file this build wrote (0, 0 when it cannot be read)."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as img:
            width, height = img.size
    except (OSError, ValueError):
        return 0, 0
    return int(width), int(height)


# -- the 数字报 replica: 版 views and 版面导航 ------------------------------------------------------


def ban_nav(job: Job, issue: Issue, current: int | None, prefix: str) -> dict[str, Any] | None:
    """版面导航 for the issue page (``prefix`` "pages/", ``current`` None) or a 版 view ("", its number):
    None when the build has no 版 views (the PDF's replica is off or the PDF is not built)."""
    items = []
    for page in issue.pages:
        view = paths.ban_view(issue.id, page.number)
        if view not in job.release:
            return None
        pdf = paths.ban_pdf(issue.id, page.number)
        items.append(
            {
                "number": page.number,
                "code": page.code,
                "name": page.name,
                "view": prefix + posixpath.basename(view),
                "pdf": prefix + posixpath.basename(pdf) if pdf in job.release else "",
                "current": page.number == current,
            }
        )
    at = next((i for i, item in enumerate(items) if item["current"]), None)
    return {
        "items": items,
        "prev": items[at - 1] if at is not None and at > 0 else None,
        "next": items[at + 1] if at is not None and at + 1 < len(items) else None,
    }


def ban_views(job: Job, issue: Issue, layout: dict[str, Any]) -> list[Output]:
    """``issues/<id>/pages/NN.html`` for every 版: its sheet images, each article a link over every
    rectangle it covers there (in percent of the image, so the links scale with it), and 版面导航.

    ``layout`` is the PDF's geometry (:func:`exporter.replica.geometry`) with each sheet's image names
    and pixel size, as the PDF renderer writes it to ``issues/<id>/pages/layout.json``.
    """
    pub, template = job.publication, job.templates.get_template("site/ban.html")
    headlines = {a.slug: a.headline for a in issue.articles}
    pdf = paths.pdf(issue.id)
    written: list[Output] = []
    for page in issue.pages:
        sheets = []
        for sheet in layout["sheets"]:
            if page.number not in sheet["bans"]:  # a shared sheet is in the views of both its 版
                continue
            width, height = sheet["width"], sheet["height"]
            areas = [
                {
                    "slug": area["slug"],
                    "href": f"../{area['slug']}.html",
                    "headline": headlines.get(area["slug"], area["slug"]),
                    "rects": [
                        [
                            _percent(x, width),
                            _percent(y, height),
                            _percent(w, width),
                            _percent(h, height),
                        ]
                        for x, y, w, h in area["rects"]
                    ],
                }
                for area in sheet["areas"]
                if area["slug"] in headlines
            ]
            sheets.append(dict(sheet, areas=areas))
        # every link's rectangle, placed by a rule of the page's style sheet (no style attributes)
        boxes: list[tuple[str, list[float]]] = []
        for sheet in sheets:
            for area in sheet["areas"]:
                area["ids"] = []
                for rect in area["rects"]:
                    area["ids"].append(f"r{len(boxes) + 1}")
                    boxes.append((area["ids"][-1], rect))
        view = paths.ban_view(issue.id, page.number)
        ctx = SiteRenderer()._context(job, "../../../", pub.url(view), ban_jsonld(pub, issue, page))
        html = template.render(
            **ctx,
            issue=issue,
            page=page,
            sheets=sheets,
            boxes=boxes,
            nav=ban_nav(job, issue, page.number, ""),
            ban_pdf=f"{page.number:02d}.pdf" if paths.ban_pdf(issue.id, page.number) in job.release else "",
            issue_pdf=f"../{posixpath.basename(pdf)}" if pdf in job.release else "",
        )
        written.append(job.write(view, html, "page", page.heading))
    return written


def _percent(value: float, whole: float) -> float:
    return round(100 * value / whole, 3) if whole else 0.0


def ban_jsonld(pub: Publication, issue: Issue, page: Page) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": f"{pub.title} {issue.date_text} {page.label}",
        "url": pub.url(paths.ban_view(issue.id, page.number)),
        "isPartOf": publication_issue(pub, issue),
        "hasPart": [
            {"@type": "NewsArticle", "headline": a.headline, "url": pub.url(issue.article_path(a))}
            for a in page.articles
        ],
    }


# -- schema.org ----------------------------------------------------------------------------------


def periodical(pub: Publication) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "Periodical",
        "@id": pub.base_url + "#periodical",
        "name": pub.title,
        "inLanguage": pub.language,
        "url": pub.base_url,
        "publisher": {"@type": "Organization", "name": pub.publisher_name},
    }
    if pub.english_title:
        data["alternateName"] = pub.english_title
    if pub.issn:
        data["issn"] = pub.issn
    return data


def archive_jsonld(pub: Publication, issues: Sequence[Issue]) -> dict[str, Any]:
    """A month's or a year's page: a collection of the periodical's issues."""
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "isPartOf": periodical(pub),
        "hasPart": [
            {"@type": "PublicationIssue", "@id": pub.url(i.dir), "issueNumber": str(i.total_number),
             "datePublished": i.date.isoformat(), "url": pub.url(i.dir)}
            for i in issues
        ],
    }  # fmt: skip


def periodical_jsonld(pub: Publication, issues: Sequence[Issue]) -> dict[str, Any]:
    data = {"@context": "https://schema.org", **periodical(pub)}
    if issues:
        data["hasPart"] = [
            {"@type": "PublicationIssue", "@id": pub.url(i.dir), "issueNumber": str(i.total_number),
             "datePublished": i.date.isoformat(), "url": pub.url(i.dir)}
            for i in issues
        ]  # fmt: skip
    return data


def publication_issue(pub: Publication, issue: Issue) -> dict[str, Any]:
    return {
        "@type": "PublicationIssue",
        "@id": pub.url(issue.dir),
        "issueNumber": str(issue.total_number),
        "datePublished": issue.date.isoformat(),
        "numberOfPages": issue.page_count,
        "url": pub.url(issue.dir),
        "isPartOf": periodical(pub),
    }


def issue_jsonld(pub: Publication, issue: Issue) -> dict[str, Any]:
    data = {"@context": "https://schema.org", **publication_issue(pub, issue)}
    data["hasPart"] = [
        {"@type": "NewsArticle", "headline": a.headline, "url": pub.url(issue.article_path(a))} for a in issue.articles
    ]
    return data


def article_jsonld(pub: Publication, issue: Issue, page: Page, a: Article) -> dict[str, Any]:
    url = pub.url(issue.article_path(a))
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "mainEntityOfPage": url,
        "url": url,
        "headline": a.headline,
        "description": a.summary,
        "inLanguage": pub.language,
        "datePublished": issue.article_published(a).isoformat(timespec="seconds"),
        "dateModified": issue.article_updated(a).isoformat(timespec="seconds"),
        "pageStart": str(page.number),
        "printEdition": issue.date_text,
        "printPage": str(page.number),
        "isPartOf": publication_issue(pub, issue),
        "publisher": {"@type": "Organization", "name": pub.publisher_name},
    }
    if a.subheadline:
        data["alternativeHeadline"] = a.subheadline
    if a.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in a.authors]
    elif a.source:
        data["author"] = {"@type": "Organization", "name": a.source}
    if a.images:
        data["image"] = [pub.url(paths.media(issue.id, img.url_path)) for img in a.images]
    if a.tags:
        data["keywords"] = list(a.tags)
    return data
