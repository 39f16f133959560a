"""Which files of a release a document points at: the links publishing to object storage orders by.

A document (a web page, a feed, a catalog, the OPML list, a style sheet) may point at another file of
the release relatively (``href="cover.png"``, ``url(../x.png)``) or absolutely, through the URL the
output is served at (``https://paper.example.cn/herald/issues/<id>/``). :func:`targets` finds both, in
attributes and inside escaped markup (a feed's ``<content type="html">``, a JSON Feed's
``content_html``), and keeps those that are files of the release. It errs on the side of finding too
much: a link found in error only makes an upload wait for another.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Collection, Iterable
from urllib.parse import quote, unquote, urljoin, urlsplit

from exporter import paths

_ATTR = re.compile(r"""\b(?:href|src|poster|xmlUrl|htmlUrl|url)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_SRCSET = re.compile(r"""\bsrcset\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
_ABSOLUTE = re.compile(r"""https?://[^\s"'<>()\\]+""")


def is_document(media_type: str) -> bool:
    """Whether a file of this media type may point at others (text: pages, feeds, catalogs, styles)."""
    return paths.content_type(media_type) != media_type


def base_url(documents: dict[str, bytes]) -> str | None:
    """The URL the release is served at, from a document's link to itself (``rel="self"``: the feeds and
    the catalog) or the home page's canonical link; None when no document says."""
    for rel in (paths.ATOM, paths.RSS, paths.OPDS_CATALOG, paths.EDITIONS):
        text = documents.get(rel, b"").decode("utf-8", "replace")
        for url in _ABSOLUTE.findall(text):
            if url.endswith("/" + rel):
                return str(url[: -len(rel)])
    home = documents.get(paths.INDEX, b"").decode("utf-8", "replace")
    found = re.search(r"""<link\s+rel="canonical"\s+href="(https?://[^"]+/)"\s*/?>""", home)
    return str(found.group(1)) if found else None


def _texts(data: bytes, media_type: str) -> Iterable[str]:
    text = data.decode("utf-8", "replace")
    if media_type.split(";", 1)[0].endswith("json"):
        try:
            value = json.loads(text)
        except ValueError:
            yield text
            return
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return
    yield text
    unescaped = html.unescape(text)  # markup inside markup: a feed's escaped HTML content
    if unescaped != text:
        yield unescaped


@functools.lru_cache(maxsize=1 << 16)
def _local(value: str, folder: str, root: str) -> str | None:
    """The release path a link written in a document of ``folder`` ("" or "a/b/") names, or None (elsewhere);
    a link to the document itself (``#top``) names ``folder/-`` (no file)."""
    url = urljoin(root + quote(folder) + "-", html.unescape(value.strip()))
    if not url.startswith(root):
        return None
    path = unquote(urlsplit(url).path)
    root_path = urlsplit(root).path
    if not path.startswith(root_path):
        return None
    target = path[len(root_path) :]
    return target + "index.html" if not target or target.endswith("/") else target


def targets(rel: str, data: bytes, media_type: str, files: Collection[str], base: str | None) -> set[str]:
    """The files of the release (``files``) the document at ``rel`` points at, itself excluded."""
    found: set[str] = set()
    root = base or "http://release.invalid/"  # relative links resolve the same against any root
    folder = rel.rpartition("/")[0] + "/" if "/" in rel else ""
    values: set[str] = set()
    for text in _texts(data, media_type):
        for match in _ATTR.finditer(text):
            values.add(match.group(1) if match.group(1) is not None else match.group(2))
        for match in _SRCSET.finditer(text):
            srcset = match.group(1) if match.group(1) is not None else match.group(2)
            values.update(part.split()[0] for part in srcset.split(",") if part.split())
        for match in _CSS_URL.finditer(text):
            values.add(next(g for g in match.groups() if g is not None))
        if base:
            values.update(url for url in _ABSOLUTE.findall(text) if url.startswith(base))
        if media_type.split(";", 1)[0].endswith("json") and len(text) < 2048:
            values.add(text)  # a JSON string may be a URL by itself
    for value in values:
        target = _local(value, folder, root)
        if target is not None and target != rel and target in files:
            found.add(target)
    return found
