"""The URL fetcher WeasyPrint gets for the PDF: regular files inside the issue folder and ``data:`` URLs.

WeasyPrint's default fetcher embeds any local file (``<link rel=attachment href=file:///etc/passwd>``),
connects to any host (SSRF) and blocks forever on ``file:///dev/urandom``. This one refuses all of
that with :class:`FetchRefused`, which WeasyPrint does not swallow (it derives from
``FatalURLFetchingError``), so a refused resource stops the render with a message naming it.

The document is rendered with the fixed base URL :data:`BASE_URL`, never the folder's real path:
WeasyPrint names embedded images by a hash of their URL, so a real path would make the PDF's bytes
depend on where the content folder is. The fetcher maps that prefix back to the issue folder.

WeasyPrint is imported when :func:`issue_fetcher` is called, never at module import.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from exporter.assets import AssetError, read_inside

MAX_BYTES = 20 * 1024 * 1024  # the model's image limit; nothing else is read from disk
BASE_URL = "file:///exporter-issue/"  # the base URL of every issue document (see the module doc)
BASE_PATH = urlsplit(BASE_URL).path


def issue_fetcher(root: Path) -> Any:
    """A ``weasyprint.urls.URLFetcher`` that serves only files below ``root`` and ``data:`` URLs."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class FetchRefused(FatalURLFetchingError):  # type: ignore[misc]
        """A resource the PDF may not load; the message says which and why."""

    class IssueFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, folder: Path) -> None:
            # No network handlers are used: fetch() below answers every URL itself.
            super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = folder.resolve()

        def refuse(self, url: str, why: str) -> FetchRefused:
            shown = url if len(url) < 120 else url[:117] + "..."
            return FetchRefused(f"refused to load {shown}: {why}")

        def why(self, exc: AssetError) -> str:
            if exc.kind == "outside":
                return f"{exc.path or exc.rel} is outside the issue folder {self.root}"
            if exc.kind == "not-regular":
                return "not a regular file"
            if exc.kind == "too-large":
                return f"{exc.size} bytes; the limit is {MAX_BYTES}"
            return f"cannot open: {exc.strerror}"

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)  # urllib's DataHandler: decoded in memory
            if scheme != "file":
                raise self.refuse(url, "only files inside the issue folder and data: URLs may be loaded")
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise self.refuse(url, f"file URL on another host {parts.netloc!r}")
            raw = unquote(parts.path)
            if "\0" in raw:
                raise self.refuse(url, "NUL in the path")
            if any(seg == ".." for seg in raw.split("/")):
                raise self.refuse(url, "'..' in the path")
            if not raw.startswith(BASE_PATH) or raw == BASE_PATH:
                raise self.refuse(url, f"{raw} is outside the issue folder")
            rel = raw[len(BASE_PATH) :]
            try:  # inside the folder, no-follow, non-blocking, regular, bounded: see exporter.assets
                data = read_inside(self.root, rel, MAX_BYTES)
            except AssetError as exc:
                raise self.refuse(url, self.why(exc)) from None
            media_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=data, headers={"Content-Type": media_type})

    return IssueFetcher(root)


def refused_type() -> type[BaseException]:
    """The base class of refusals (WeasyPrint's FatalURLFetchingError), for ``except`` clauses."""
    from weasyprint.urls import FatalURLFetchingError

    return FatalURLFetchingError  # type: ignore[no-any-return]
