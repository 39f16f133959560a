"""Markdown → sanitised HTML, once, at load. Every format uses the result as it is.

markdown-it-py renders CommonMark (raw HTML allowed, then cleaned); nh3 keeps only an allowlist of
tags, attributes and URL schemes. Relative links are made absolute against the article's permalink so
the same HTML works in the web edition, in feeds and in the EPUB.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "sub", "sup", "a", "ul", "ol", "li",
    "blockquote", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "caption",
    "code", "pre", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Elements whose text is dropped along with them (nh3 would otherwise keep script text as text).
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}

MAX_TAGS = 10_000
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
# Make every link a link and let nh3's scheme allowlist drop the URL: markdown-it would otherwise
# print a refused link (file:, javascript:, data:) as literal text, URL and all, into the page.
_md.validateLink = lambda url: True  # type: ignore[method-assign]
_HREF = re.compile(r'href="([^"]*)"')


def render_markdown(source: str, base_url: str) -> str:
    """Render Markdown and sanitise it; relative links become absolute against ``base_url``.

    Raises ValueError for more than MAX_TAGS tags: the sanitiser is quadratic in nesting depth
    (40,000 nested <div> take seconds), and no article needs that many.
    """
    raw = _md.render(source)
    tags = raw.count("<")  # text '<' is escaped by markdown-it, so this counts tags
    if tags > MAX_TAGS:
        raise ValueError(f"has {tags} HTML tags; the limit is {MAX_TAGS}")
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    )

    def absolute(match: re.Match[str]) -> str:
        href = html.unescape(match.group(1))
        if href.startswith("#"):
            return match.group(0)
        target = urljoin(base_url, href)
        if urlsplit(target).scheme not in URL_SCHEMES:
            return 'href="#"'
        return f'href="{html.escape(target, quote=True)}"'

    clean = _HREF.sub(absolute, clean)
    # Drop paragraphs left empty by the cleaner (e.g. a lone <script>).
    clean = re.sub(r"<p>\s*</p>\n?", "", clean)
    return clean.strip() + "\n" if clean.strip() else ""


class _Text(HTMLParser):
    BLOCKS: ClassVar[set[str]] = {"p", "li", "h2", "h3", "h4", "tr", "blockquote", "pre", "br", "caption"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "td", "th"):
            self.parts.append("\n" if tag == "br" else " ")


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment, one line per block."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def summarize(fragment: str, limit: int = 120) -> str:
    """The opening of the text, cut at a sentence end when one falls late enough."""
    text = plain_text(fragment).replace("\n", "")
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(mark) for mark in "。！？；")
    if cut >= limit // 2:
        return head[: cut + 1]
    return head.rstrip("，、,;； ") + "…"
