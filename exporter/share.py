"""Share and cite: Open Graph and Twitter card tags, Google Scholar's ``citation_*`` tags, the GB/T 7714 line.

Every value comes from the model and the release (no clock): the same content gives the same tags.
Every URL is absolute, made from the publication's ``base_url`` (link previews and citation managers
fetch them from elsewhere). A tag is a ``(attribute, name, content)`` triple, written by
``templates/site/base.html`` as ``<meta attribute="name" content="content" />``: Open Graph uses
``property``, Twitter and the citation tags ``name``.

The reference line follows GB/T 7714-2015 for an article in a newspaper (析出文献 of a 连续出版物,
type [N]): ``主要责任者. 题名[N]. 报纸名, 出版日期(版次).`` with the date as YYYY-MM-DD and the page
(版) number in parentheses; at most three authors, then ``, 等``; with no author it starts with the title.
The printed (not the online, [N/OL]) form is given: the online form needs the reader's 引用日期.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from exporter import paths
from exporter.model import Article, Image, Issue, Page, Publication

Tag = tuple[str, str, str]

TWITTER_DESCRIPTION = 200  # characters X (Twitter) shows of twitter:description at most
TWITTER_ALT = 420  # and of twitter:image:alt
MAX_AUTHORS = 3  # GB/T 7714-2015: the first three 责任者, then 等
ET_AL = "等"


@dataclass(frozen=True)
class ShareImage:
    """The picture a link preview shows: an absolute URL, its size when known, type and alt text."""

    url: str
    width: int = 0
    height: int = 0
    media_type: str = ""
    alt: str = ""


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def og_locale(language: str) -> str:
    """Open Graph's ``language_TERRITORY``: zh-CN → zh_CN (a bare language stays as it is)."""
    parts = language.split("-")
    regions = [p for p in parts[1:] if len(p) == 2 and p.isalpha()]
    return f"{parts[0].lower()}_{regions[0].upper()}" if regions else parts[0].lower()


def photo_image(pub: Publication, issue: Issue, article: Article) -> ShareImage | None:
    """The article's first real photo (a placeholder standing in for a missing photo is not shown)."""
    for image in article.images:
        if not image.placeholder:
            return _photo(pub, issue, image)
    return None


def _photo(pub: Publication, issue: Issue, image: Image) -> ShareImage:
    return ShareImage(
        pub.url(paths.media(issue.id, image.url_path)), image.width, image.height, image.media_type, image.alt
    )


def page_tags(
    pub: Publication,
    *,
    kind: str,
    title: str,
    description: str,
    url: str,
    image: ShareImage | None,
    published: str = "",
    modified: str = "",
    section: str = "",
    tags: tuple[str, ...] | list[str] = (),
) -> list[Tag]:
    """Open Graph (``kind``: website or article) and the Twitter card of one page."""
    out: list[Tag] = [
        ("property", "og:type", kind),
        ("property", "og:site_name", pub.title),
        ("property", "og:locale", og_locale(pub.language)),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
    ]
    if image is not None:
        out.append(("property", "og:image", image.url))
        if image.media_type:
            out.append(("property", "og:image:type", image.media_type))
        if image.width and image.height:
            out += [
                ("property", "og:image:width", str(image.width)),
                ("property", "og:image:height", str(image.height)),
            ]
        if image.alt:
            out.append(("property", "og:image:alt", image.alt))
    if kind == "article":
        if published:
            out.append(("property", "article:published_time", published))
        if modified:
            out.append(("property", "article:modified_time", modified))
        if section:
            out.append(("property", "article:section", section))
        out += [("property", "article:tag", tag) for tag in tags]
    out += [
        ("name", "twitter:card", "summary_large_image" if image is not None else "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", clip(description, TWITTER_DESCRIPTION)),
    ]
    if image is not None:
        out.append(("name", "twitter:image", image.url))
        if image.alt:
            out.append(("name", "twitter:image:alt", clip(image.alt, TWITTER_ALT)))
    return out


def scholar_date(value: date) -> str:
    """Google Scholar's date form: 2026/03/30."""
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def citation_tags(pub: Publication, issue: Issue, page: Page, article: Article, pdf_url: str = "") -> list[Tag]:
    """Google Scholar / Zotero tags of an article page (Highwire Press ``citation_*`` names).

    ``citation_issue`` is the number within the year (第11期), as the masthead prints it beside the date;
    the running number (总第2663期) is the JSON-LD ``issueNumber``. ``citation_firstpage`` is the 版.
    ``citation_pdf_url`` is the whole issue's PDF, when this release has it.
    """
    out: list[Tag] = [("name", "citation_title", article.headline)]
    out += [("name", "citation_author", name) for name in article.authors]
    when = scholar_date(issue.date)
    out += [
        ("name", "citation_publication_date", when),
        ("name", "citation_date", when),
        ("name", "citation_journal_title", pub.title),
    ]
    if pub.issn:
        out.append(("name", "citation_issn", pub.issn))
    out += [
        ("name", "citation_publisher", pub.publisher_name),
        ("name", "citation_issue", str(issue.number)),
        ("name", "citation_firstpage", str(page.number)),
        ("name", "citation_language", pub.language.split("-")[0].lower()),
    ]
    if pdf_url:
        out.append(("name", "citation_pdf_url", pdf_url))
    out.append(("name", "citation_public_url", pub.url(issue.article_path(article))))
    return out


def gbt7714(authors: list[str] | tuple[str, ...], title: str, paper: str, day: date, page: int) -> str:
    """The GB/T 7714-2015 reference of a newspaper article: 王五. 题名[N]. 报纸名, 2026-03-30(1)."""
    names = list(authors[:MAX_AUTHORS]) + ([ET_AL] if len(authors) > MAX_AUTHORS else [])
    head = f"{', '.join(names)}. " if names else ""
    return f"{head}{title}[N]. {paper}, {day.isoformat()}({page})."


def reference(pub: Publication, issue: Issue, page: Page, article: Article) -> str:
    """引用本文: the article as GB/T 7714-2015 cites a newspaper article (see :func:`gbt7714`)."""
    return gbt7714(article.authors, article.headline, pub.title, issue.date, page.number)
