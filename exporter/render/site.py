"""The web edition: archive index, one page per issue, one permalink page per article.

Per issue it writes ``issues/<id>/index.html``, ``issues/<id>/<slug>.html`` and the photos under
``issues/<id>/media/``; for the edition, ``index.html`` and ``assets/site.css``. Pages link each other
relatively (the folder works anywhere) and carry absolute canonical URLs and schema.org JSON-LD.
"""

from __future__ import annotations

import posixpath
from typing import Any

from exporter import paths
from exporter.assets import read_inside
from exporter.errors import RenderError
from exporter.model import MAX_IMAGE_BYTES, Article, Highlight, Image, Issue, Page, Publication
from exporter.render import EDITION_LINKS, Base, Job, Output


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
        }

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
            downloads=self._downloads(job, issue, ""),
            cover=posixpath.basename(cover.path) if (cover := job.release.cover(issue.id)) else "",
            highlight_href=highlight_href,
            nav=ban_nav(job, issue, None, paths.PAGES),
        )
        written.append(job.write(paths.issue_page(issue.id), html))

        template = env.get_template("site/article.html")
        articles = issue.articles
        for i, article in enumerate(articles):
            page = issue.page_of(article)
            ctx = self._context(
                job, "../../", pub.url(issue.article_path(article)), article_jsonld(pub, issue, page, article)
            )
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
        written = [job.write(paths.SITE_CSS, css)]
        items = [
            {
                "issue": issue,
                "href": paths.issue_page(issue.id),
                "downloads": self._downloads(job, issue, issue.dir),
            }
            for issue in job.issues
        ]
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
        html = job.templates.get_template("site/index.html").render(
            **self._context(job, "", pub.base_url, periodical_jsonld(pub, job.issues)),
            issues=items,
            latest=latest,
        )
        written.append(job.write(paths.INDEX, html))
        return written


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
        boxes = []  # every link's rectangle, placed by a rule of the page's style sheet (no style attributes)
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


def periodical_jsonld(pub: Publication, issues: tuple[Issue, ...]) -> dict[str, Any]:
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
