"""The EPUB edition: one EPUB 3.3 book per issue, built like a periodical e-book, with an NCX fallback.

Per issue it writes ``issues/<id>/<id>.epub``; the edition pass has nothing to do. Inside the package::

    mimetype                     first, stored
    META-INF/container.xml
    EPUB/content.opf             metadata (collection, print source, accessibility), manifest, spine
    EPUB/nav.xhtml               toc (issue → 第N版 → articles), landmarks, page-list (print pages)
    EPUB/toc.ncx                 the same hierarchy and the page list for EPUB 2 readers
    EPUB/cover.xhtml             the generated cover (images/cover.png)
    EPUB/contents.xhtml          the contents page: 本期导读, then each page's articles with kicker and byline
    EPUB/text/<slug>.xhtml       one document per article, in page order, from the shared macros
    EPUB/images/<sha>.<ext>      photos, named by content hash
    EPUB/styles/epub.css
    EPUB/fonts/rare-<n>.ttf      subsets of the fallback faces, only for characters Noto CJK SC lacks

ebooklib (imported lazily) writes the package: OPF, manifest, spine and the zip. Every document is made
here from templates/epub/ and handed to ebooklib as finished XHTML, because ebooklib would otherwise
re-parse it, drop whatever it does not know in ``<head>`` and stamp ``lang="en"``. Article bodies are
cleaned again with the loader's allowlist (the model does not forbid raw HTML) and converted from HTML5
to XHTML with lxml. File names are checked to stay inside the package. The zip is rewritten with fixed
entry times so that the same issue gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
import re
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from exporter import markup, paths, texts
from exporter.assets import read_inside
from exporter.errors import RenderError
from exporter.model import (
    MAX_IMAGE_BYTES,
    SAMPLE_LABEL,
    SLUG_RE,
    Article,
    Highlight,
    Image,
    Issue,
    Publication,
)
from exporter.render import Base, Job, Output

XHTML = "application/xhtml+xml"
OPF_NAME = "EPUB/content.opf"  # where ebooklib puts the package document
CSS_NAME = "styles/epub.css"
COVER_IMAGE = "images/cover.png"
IMAGE_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
# Options (job.options) this renderer reads: "epub_font" embeds a subset of a CJK font file.
FONT_OPTION = "epub_font"
FONT_NAME = "fonts/body.otf"
# Rare characters (生僻字) that Noto CJK SC lacks: each fallback face that draws some of them is embedded,
# subset to those characters, under its own family name (the stylesheet lists the chain).
RARE_FONT_NAME = "fonts/rare-{n}.ttf"
ACCESSIBILITY_FEATURES = (
    "tableOfContents",
    "readingOrder",
    "structuralNavigation",
    "pageNavigation",
    "pageBreakMarkers",
    "printPageNumbers",
    "alternativeText",
    "displayTransformability",
)


# -- names inside the package ------------------------------------------------------------------------


def confine(name: str) -> str:
    """Return ``name`` if it is a plain relative path inside the package; raise RenderError otherwise.

    ebooklib writes ``file_name`` into the zip as it is, ``../`` and absolute paths included.
    """
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or ":" in name
        or posixpath.normpath(name) != name
        or any(part in ("", ".", "..") for part in name.split("/"))
        or not re.fullmatch(r"[A-Za-z0-9._/-]+", name)
    ):
        raise RenderError(f"EPUB member name {name!r} is not a plain path inside the package")
    return name


def chapter_name(article: Article) -> str:
    """``text/<slug>.xhtml``: derived from the slug, which the model already restricts to [a-z0-9-]."""
    if not re.fullmatch(SLUG_RE, article.slug):
        raise RenderError(f"article slug {article.slug!r} cannot name an EPUB document")
    return confine(f"text/{article.slug}.xhtml")


# -- HTML5 fragment → XHTML ------------------------------------------------------------------------------


def to_xhtml(fragment: str) -> str:
    """Sanitise an HTML5 fragment with the loader's allowlist and serialise it as well-formed XHTML.

    The result has void elements closed (``<br/>``), entities resolved to characters, no scripts, no
    event handlers, no embedded resources, and only links that work from inside a book: absolute
    http(s) and mailto links. Links to fragments are unwrapped, since the book has no such ids.
    """
    import nh3
    from lxml import etree  # type: ignore[import-untyped,unused-ignore]
    from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]

    clean = nh3.clean(
        fragment,
        tags=markup.ALLOWED_TAGS,
        clean_content_tags=markup.CLEAN_CONTENT_TAGS,
        attributes=markup.ALLOWED_ATTRIBUTES,
        url_schemes=markup.URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    root = lxml_html.fragment_fromstring(clean, create_parent="div")
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        scheme = urlsplit(href).scheme.lower() if href else ""
        if (scheme in ("http", "https") and urlsplit(href).netloc) or scheme == "mailto":
            link.set("href", href)
        else:
            link.drop_tag()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in list(element.attrib):
            if name.lower().startswith("on") or name not in ("href", "title", "colspan", "rowspan"):
                del element.attrib[name]
    # Drop paragraphs left empty (a removed script or iframe leaves <p></p> behind).
    for p in list(root.iter("p")):
        if not len(p) and not (p.text or "").strip():
            p.drop_tree()
    parts = [_escape(root.text or "")]
    for child in root:
        parts.append(etree.tostring(child, method="xml", encoding="unicode", with_tail=True))
    return "".join(parts).strip() + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- the renderer ---------------------------------------------------------------------------------------


class EpubRenderer(Base):
    name = "epub"

    def fingerprint(self) -> str:
        from importlib.metadata import version

        from exporter import cover

        try:
            fonts = cover.fingerprint()
        except RenderError:
            fonts = "no cover font"  # render() reports it for each issue; the build key must not fail
        return f"ebooklib {version('ebooklib')};lxml {version('lxml')};nh3 {version('nh3')};{fonts}"

    def render_issue(self, job: Job) -> list[Output]:
        assert job.issue is not None
        from exporter import cover

        # The cover also goes beside the EPUB, where the OPDS catalog and the web pages find it.
        png = cover.make_cover(job.publication, job.issue)
        data = build_epub(job, job.issue, png)
        return [
            job.write(job.issue.epub_path, data, "download", "EPUB 电子书"),
            job.write(paths.cover(job.issue.id), png, "cover", "封面"),
        ]


def identifier(pub: Publication, issue: Issue) -> str:
    """Stable per issue: a name-based UUID of the issue's tag URI."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, issue.tag_uri(pub)))


def book_title(pub: Publication, issue: Issue) -> str:
    return f"{pub.title} {issue.date_text}" + (f"（{SAMPLE_LABEL}）" if issue.sample else "")


def print_source(pub: Publication, issue: Issue) -> str:
    """dc:source: the print edition the page numbers come from."""
    ids = " ".join(
        part
        for part in (pub.cn_number and f"CN {pub.cn_number.removeprefix('CN ')}", pub.issn and f"ISSN {pub.issn}")
        if part
    )
    text = f"《{pub.title}》印刷版 {issue.date_text} {issue.numbers_text} 共{issue.page_count}版"
    return f"{text}（{ids}）" if ids else text


def description(issue: Issue) -> str:
    if issue.highlights:
        text = texts.highlights_line(issue, page=True, print_only=True) + "。"
    else:
        text = texts.listing(texts.CONTENTS, (a.headline for a in issue.articles)) + "。"
    return f"{issue.sample_notice}{text}"


def subjects(issue: Issue) -> list[str]:
    names = [p.name for p in issue.pages if p.name]
    tags = [t for a in issue.articles for t in a.tags]
    return list(dict.fromkeys([*names, *tags]))


def accessibility_summary(issue: Issue, has_photos: bool) -> str:
    parts = [
        "本书为报纸数字版，正文为可重排文本，遵循印刷版的版面顺序。",
        "目录按“期—版—文章”三级组织，并提供对应印刷版版次的页码列表（page-list）。",
        "封面图像配有文字说明。" + ("新闻图片均配有替代文字和图片说明。" if has_photos else ""),
        "不含脚本、音视频和远程资源，不限制字体与字号的调整。",
    ]
    return "".join(parts)


# -- building the book, step by step ----------------------------------------------------------------------


@dataclass
class Book:
    """An issue's book while it is made: the ebooklib book and what the steps share."""

    job: Job
    issue: Issue
    epub: Any  # the ebooklib.epub module (imported lazily)
    book: Any  # its EpubBook
    images: dict[str, str] = field(default_factory=dict)  # image.file → its name in the package

    @property
    def pub(self) -> Publication:
        return self.job.publication

    @property
    def lang(self) -> str:
        return self.pub.language

    @cached_property
    def uid(self) -> str:
        return identifier(self.pub, self.issue)

    @cached_property
    def title(self) -> str:
        return book_title(self.pub, self.issue)

    @cached_property
    def page_start(self) -> dict[int, Article]:
        """Where each carried page starts: its first article carries the page-break marker."""
        return {p.number: p.articles[0] for p in self.issue.pages}

    def page_target(self, n: int, from_dir: str) -> str:
        """The page-break marker of print page n, seen from a document in ``from_dir``; "" if not carried."""
        if n not in self.page_start:
            return ""
        return _relative(chapter_name(self.page_start[n]), from_dir) + f"#print-page-{n}"

    def render(self, template: str, **context: Any) -> str:
        """A template of templates/epub/ with what every document gets (pub, issue, lang, title_text)."""
        common = {"pub": self.pub, "issue": self.issue, "lang": self.lang, "title_text": self.title}
        return self.job.templates.get_template(template).render(**common, **context)

    def document(self, uid: str, file_name: str, title: str, content: str, properties: tuple[str, ...] = ()) -> Any:
        """A finished XHTML document, which ebooklib writes as it is."""
        document_type = _document_type(self.epub)
        return document_type(uid, confine(file_name), title, self.lang, content, list(properties))

    def meta(self, name: str, value: str, attributes: dict[str, str]) -> None:
        """An OPF ``<meta>`` element."""
        self.book.add_metadata(None, name, value, attributes)


def build_epub(job: Job, issue: Issue, cover_png: bytes | None = None) -> bytes:
    """The issue's EPUB: metadata, stylesheet, photos, cover, documents, fonts, then the fixed zip."""
    from ebooklib import epub

    b = Book(job, issue, epub, epub.EpubBook())
    add_metadata(b)
    css_item = add_stylesheet(b)
    add_photos(b)
    add_cover_image(b, cover_png)
    add_accessibility(b)
    add_documents(b)
    _embed_font(job, b.book, epub)
    _embed_rare_fonts(b.book, epub, css_item)
    check_members(b.book)
    return package(b)


def add_metadata(b: Book) -> None:
    """Dublin Core, the print source, the series (EPUB 3 collection and calibre's series) and the EPUB 2 cover."""
    pub, issue, book = b.pub, b.issue, b.book
    book.set_identifier(b.uid)
    book.set_title(b.title)
    book.set_language(b.lang)
    book.add_author(pub.title, uid="creator")
    meta = book.add_metadata
    meta("DC", "publisher", pub.publisher_name)
    meta("DC", "date", issue.date.isoformat())
    meta("DC", "description", description(issue))
    for subject in subjects(issue):
        meta("DC", "subject", subject)
    if pub.copyright:
        meta("DC", "rights", pub.copyright)
    meta("DC", "source", print_source(pub, issue), {"id": "print-source"})
    b.meta("meta", "pagination", {"refines": "#print-source", "property": "source-of"})
    b.meta("meta", pub.title, {"property": "belongs-to-collection", "id": "collection"})
    b.meta("meta", "series", {"refines": "#collection", "property": "collection-type"})
    b.meta("meta", str(issue.total_number), {"refines": "#collection", "property": "group-position"})
    if pub.issn:
        b.meta("meta", f"urn:issn:{pub.issn}", {"refines": "#collection", "property": "dcterms:identifier"})
    # The same series for the tools that read only calibre's EPUB 2 metadata (calibre-web, Kobo tools).
    b.meta("meta", "", {"name": "calibre:series", "content": pub.title})
    b.meta("meta", "", {"name": "calibre:series_index", "content": str(issue.total_number)})
    b.meta("meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers (Kindle conversion)


def add_stylesheet(b: Book) -> Any:
    """styles/epub.css; returned, since the rare-font step appends its @font-face rules to it."""
    css_item = b.epub.EpubItem(
        uid="css", file_name=confine(CSS_NAME), media_type="text/css", content=_stylesheet(b.job)
    )
    b.book.add_item(css_item)
    return css_item


def add_photos(b: Book) -> None:
    """The articles' photos, named by their content so names never come from the editors' paths."""
    issue, source = b.issue, b.job.source(b.issue)
    for article in issue.articles:
        for image in article.images:
            if image.file in b.images:
                continue
            try:  # no-follow, regular files only, bounded: the file may have changed since it was loaded
                data = read_inside(source, image.file, MAX_IMAGE_BYTES)
            except ValueError as exc:
                raise RenderError(f"{issue.id}: image {exc}") from None
            media_type = _sniff(data)  # the bytes decide, not the name or what the loader saw earlier
            if media_type not in IMAGE_SUFFIX:
                raise RenderError(f"{issue.id}: image {image.file} is not PNG, JPEG, GIF or WebP")
            digest = hashlib.sha256(data).hexdigest()[:20]
            name = confine(f"images/{digest}.{IMAGE_SUFFIX[media_type]}")
            if not any(item.file_name == name for item in b.book.items):
                image_item = b.epub.EpubImage(uid=f"img-{digest}", file_name=name, media_type=media_type, content=data)
                b.book.add_item(image_item)
            b.images[image.file] = name


def add_cover_image(b: Book, cover_png: bytes | None) -> None:
    from exporter import cover

    b.book.add_item(b.epub.EpubCover(uid="cover-image", file_name=confine(COVER_IMAGE)))
    cover_item = b.book.get_item_with_id("cover-image")
    cover_item.media_type = "image/png"
    cover_item.content = cover_png or cover.make_cover(b.pub, b.issue)


def add_accessibility(b: Book) -> None:
    """EPUB Accessibility 1.1: schema.org access modes, features, hazards and a summary."""
    for mode in ("textual", "visual"):
        b.meta("meta", mode, {"property": "schema:accessMode"})
    b.meta("meta", "textual", {"property": "schema:accessModeSufficient"})
    for feature in ACCESSIBILITY_FEATURES:
        b.meta("meta", feature, {"property": "schema:accessibilityFeature"})
    b.meta("meta", "none", {"property": "schema:accessibilityHazard"})
    summary = accessibility_summary(b.issue, bool(b.images))
    b.meta("meta", summary, {"property": "schema:accessibilitySummary"})
    # No dcterms:conformsTo / a11y:certifiedBy: nobody has evaluated the book against WCAG, and a
    # conformance claim must name an evaluation that happened. Only the verifiable facts above are stated.


def cover_document(b: Book) -> Any:
    from exporter import cover

    alt = cover.cover_alt(b.pub, b.issue)
    html = b.render("epub/cover.xhtml", css=CSS_NAME, src=COVER_IMAGE, alt=alt)
    return b.document("cover", "cover.xhtml", "封面", html)


def contents_document(b: Book) -> Any:
    """The contents page: 本期导读 (linked to the articles or their pages), then each page's articles."""
    issue = b.issue
    by_slug = {a.slug: a for a in issue.articles}

    def highlight_href(h: Highlight) -> str:
        if h.article in by_slug:
            return chapter_name(by_slug[h.article])
        return b.page_target(h.page, "")

    html = b.render(
        "epub/contents.xhtml",
        css=CSS_NAME,
        chapter=chapter_name,
        highlight_href=highlight_href,
        missing=[n for n in range(1, issue.page_count + 1) if not issue.carries(n)],
    )
    return b.document("contents", "contents.xhtml", "目录", html)


def article_documents(b: Book) -> list[Any]:
    """One XHTML document per article, in page order, from the shared article macros."""
    issue = b.issue

    def img_src(image: Image) -> str:
        return _relative(b.images[image.file], "text")

    def page_href(n: int) -> str:
        return b.page_target(n, "text")

    docs = []
    for article in issue.articles:
        page = issue.page_of(article)
        html = b.render(
            "epub/article.xhtml",
            css=_relative(CSS_NAME, "text"),
            contents="../contents.xhtml",
            a=article.model_copy(update={"body_html": to_xhtml(article.body_html)}),
            page=page,
            page_start=b.page_start[page.number] is article,
            img_src=img_src,
            page_href=page_href,
            updated=issue.article_updated(article),
        )
        docs.append(b.document(f"a-{article.slug}", chapter_name(article), article.headline, html))
    return docs


def toc_pages(b: Book) -> list[dict[str, Any]]:
    """The toc's pages: an entry opens the page's first article; the page list points at its marker."""
    return [
        {
            "page": p,
            "href": chapter_name(p.articles[0]),
            "target": b.page_target(p.number, ""),
            "articles": [{"a": a, "href": chapter_name(a)} for a in p.articles],
        }
        for p in b.issue.pages
    ]


def play_order(b: Book) -> dict[str, int]:
    """NCX playOrder: one number per distinct target, in reading order (a page's marker follows its file start)."""
    issue = b.issue
    order: dict[str, int] = {"contents.xhtml": 1}
    for a in issue.articles:
        order[chapter_name(a)] = len(order) + 1
        if b.page_start[issue.page_of(a).number] is a:
            order[b.page_target(issue.page_of(a).number, "")] = len(order) + 1
    return order


def add_documents(b: Book) -> None:
    """Cover, contents, articles, nav and NCX; then the spine and the EPUB 2 guide."""
    cover_doc, contents_doc, article_docs = cover_document(b), contents_document(b), article_documents(b)
    pages = toc_pages(b)
    first = chapter_name(b.issue.articles[0])
    nav_html = b.render("epub/nav.xhtml", css=CSS_NAME, pages=pages, first=first)
    nav_doc = b.document("nav", "nav.xhtml", "目录", nav_html, ("nav",))
    ncx = b.render("epub/toc.ncx.xml", uid=b.uid, pages=pages, order=play_order(b))
    ncx_item = b.epub.EpubItem(
        uid="ncx", file_name=confine("toc.ncx"), media_type="application/x-dtbncx+xml", content=ncx.encode("utf-8")
    )
    for doc in (nav_doc, cover_doc, contents_doc, *article_docs):
        b.book.add_item(doc)
    b.book.add_item(ncx_item)
    b.book.spine = [cover_doc, contents_doc, *article_docs]
    b.book.guide = [
        {"type": "cover", "href": "cover.xhtml", "title": "封面"},
        {"type": "toc", "href": "contents.xhtml", "title": "目录"},
        {"type": "text", "href": first, "title": "正文"},
    ]


def check_members(book: Any) -> None:
    """Every member's name stays inside the package and every member has a media type."""
    for item in book.items:
        confine(item.file_name)
        if not item.media_type:
            raise RenderError(f"EPUB member {item.file_name} has no media type")


def package(b: Book) -> bytes:
    """ebooklib's zip, rewritten with fixed entry times and xml:lang on the package document."""
    issue = b.issue
    raw = io.BytesIO()
    modified = issue.updated.astimezone(UTC)
    b.epub.write_epub(raw, b.book, {"mtime": modified, "raise_exceptions": True, "epub3_pages": False})
    when = issue.updated.astimezone(issue.tz).replace(tzinfo=None)
    return normalise_zip(raw.getvalue(), when, {OPF_NAME: lambda data: _package_language(data, b.lang)})


@cache
def _document_type(epub: Any) -> type:
    """ebooklib's EpubHtml for a finished XHTML document: ebooklib writes it as it is (made once, lazily)."""

    class Document(epub.EpubHtml):  # type: ignore[misc]
        def __init__(
            self, uid: str, file_name: str, title: str, lang: str, content: str, properties: list[str]
        ) -> None:
            super().__init__(uid=uid, file_name=file_name, media_type=XHTML, title=title, lang=lang)
            self.content = content.encode("utf-8")
            self.properties = list(properties)

        def get_content(self, default: Any = None) -> bytes:
            return bytes(self.content)

    return Document


def _sniff(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _relative(target: str, from_dir: str) -> str:
    """``target`` (a package path) as seen from a document in ``from_dir``; no cwd involved."""
    if not from_dir:
        return target
    prefix = from_dir.rstrip("/") + "/"
    if target.startswith(prefix):
        return target[len(prefix) :]
    return "../" * (prefix.count("/")) + target


def _stylesheet(job: Job) -> bytes:
    css = (job.templates_dir / "epub" / "epub.css").read_text("utf-8")
    if job.options.get(FONT_OPTION):
        css += (
            '\n@font-face {\n  font-family: "Exporter Body";\n  font-weight: normal;\n  font-style: normal;\n'
            f'  src: url("../{FONT_NAME}");\n}}\n'
        )
        css = css.replace('font-family: "Noto Serif CJK SC"', 'font-family: "Exporter Body", "Noto Serif CJK SC"')
    return css.encode("utf-8")


def _embed_font(job: Job, book: Any, epub: Any) -> None:
    """With ``options["epub_font"] = path``: embed that font, subset to the characters the book uses."""
    font_path = job.options.get(FONT_OPTION)
    if not font_path:
        return
    from fontTools.ttLib import TTCollection, TTFont

    text = _book_text(book)
    path = Path(str(font_path))
    if not path.is_file():
        raise RenderError(f"epub_font {path} is not a file")
    if path.suffix.lower() == ".ttc":
        font = TTCollection(str(path)).fonts[int(str(job.options.get("epub_font_index", 0)))]
    else:
        font = TTFont(str(path))
    data = _subset(font, "".join(sorted(text)))
    book.add_item(epub.EpubItem(uid="font-body", file_name=confine(FONT_NAME), media_type="font/otf", content=data))


def _book_text(book: Any) -> set[str]:
    text: set[str] = set()
    for item in book.items:
        if item.media_type == XHTML:
            text.update(item.get_content().decode("utf-8"))
    return text


def _subset(font: Any, chars: str) -> bytes:
    """``font`` cut down to ``chars``, with its names and layout features; same input, same bytes."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    # Tables it cannot subset (BabelStone Han's meta, FFTM) are dropped with a warning: expected, not news.
    logger = logging.getLogger("fontTools.subset")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        subsetter.subset(font)
    finally:
        logger.setLevel(level)
    font.recalcTimestamp = False  # keep head.modified from the font file
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _embed_rare_fonts(book: Any, epub: Any, css_item: Any) -> None:
    """Embed subsets of the fallback faces for the book's characters Noto CJK SC lacks (生僻字).

    A reader's own fonts rarely have CJK Extension B and later; without this they show tofu. The
    stylesheet gets an ``@font-face`` per embedded face, under the family name it already lists.
    """
    from fontTools.ttLib import TTFont

    from exporter import fonts

    needed = fonts.assign(_book_text(book))
    rules = []
    for n, (face, chars) in enumerate(needed.items(), 1):
        name = confine(RARE_FONT_NAME.format(n=n))
        with TTFont(str(face.path), fontNumber=face.index) as font:
            data = _subset(font, chars)
        book.add_item(epub.EpubItem(uid=f"font-rare-{n}", file_name=name, media_type="font/ttf", content=data))
        rules.append(
            f'@font-face {{\n  font-family: "{face.family}";\n  font-weight: normal;\n  font-style: normal;\n'
            f'  src: url("../{name}");\n}}\n'
        )
    if rules:
        css_item.content = css_item.content + ("\n" + "".join(rules)).encode("utf-8")


def _package_language(opf: bytes, lang: str) -> bytes:
    """Add xml:lang to <package> (ebooklib cannot): the language of the metadata text, e.g. the title."""
    from lxml import etree  # type: ignore[import-untyped,unused-ignore]

    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return data


def normalise_zip(data: bytes, when: datetime, patches: Mapping[str, Callable[[bytes], bytes]] | None = None) -> bytes:
    """Rewrite an EPUB zip with fixed entry times and attributes: mimetype first and stored, rest deflated.

    ``patches`` maps a member name to a function that rewrites its bytes on the way.
    """
    patches = patches or {}
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        if names[0] != "mimetype":
            raise RenderError("ebooklib did not write mimetype first")
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                dst.writestr(info, src.read(name))
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                member = src.read(name)
                if name in patches:
                    member = patches[name](member)
                dst.writestr(info, member, compresslevel=9)
    return out.getvalue()


__all__: list[str] = [
    "EpubRenderer",
    "build_epub",
    "confine",
    "normalise_zip",
    "to_xhtml",
]
