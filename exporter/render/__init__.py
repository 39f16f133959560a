"""The renderer seam: a renderer is a name and one method, ``render(job) -> list[Path]``.

The pipeline (:mod:`exporter.publish`) calls every enabled renderer once per issue that needs
rendering (``job.issue`` set; write only below ``issues/<id>/``) and once for the whole edition
(``job.issue is None``; archive pages, feeds, catalogs). A renderer returns the files it wrote; for a
scope it has nothing to do in, it returns ``[]``. :mod:`exporter.render.null` shows the whole contract.

Adding a format is one module plus one line in ``REGISTRY``.

Two optional methods: ``fingerprint() -> str`` adds what else the outputs depend on (font files) to
the build key; ``start(job) -> finish`` lets a slow renderer work in the background (the PDF renders in
a child process): the pipeline starts it first, runs the other renderers of the issue meanwhile, then
calls ``finish()`` for the files, or ``finish(cancel=True)`` when another format of the issue failed.
A new or changed issue is started before the rest of the archive is loaded, so ``start()`` must need
nothing of ``job.issues`` (it holds that issue alone then); the start is cancelled when the full plan
does not render the issue after all.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from exporter.cache import Memo, named
from exporter.model import Issue, Publication

if TYPE_CHECKING:
    from jinja2 import Environment

# name → "module:Class". Per-issue renders run in this order, so the site can link the PDF and EPUB.
# Imported lazily: `exporter --help` and `validate` must not import WeasyPrint.
REGISTRY: dict[str, str] = {
    "pdf": "exporter.render.pdf:PdfRenderer",
    "epub": "exporter.render.epub:EpubRenderer",
    "site": "exporter.render.site:SiteRenderer",
    "feeds": "exporter.render.feeds:FeedsRenderer",
    "opds": "exporter.render.opds:OpdsRenderer",
    "null": "exporter.render.null:NullRenderer",
}
DEFAULT_FORMATS = ("pdf", "epub", "site", "feeds", "opds")

# Public paths of the edition-wide documents (relative to the output root; never change them).
# (format that writes it, path, media type, title suffix) — the web pages link every one that is built.
EDITION_LINKS = (
    ("feeds", "feeds/rss.xml", "application/rss+xml", "RSS"),
    ("feeds", "feeds/atom.xml", "application/atom+xml", "Atom"),
    ("feeds", "feeds/feed.json", "application/feed+json", "JSON Feed"),
    ("feeds", "feeds/editions.xml", "application/atom+xml", "整期 PDF/EPUB"),
    ("feeds", "feeds/feeds.opml", "text/x-opml", "OPML 订阅列表"),
    ("opds", "opds/catalog.xml", "application/atom+xml;profile=opds-catalog;kind=navigation", "OPDS"),
)

# Inside the package (package data), so an installed wheel renders; the top-level templates/ links here.
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class Job:
    """What a renderer gets: the validated edition, the issue to render, and where to write."""

    publication: Publication
    issues: tuple[Issue, ...]  # every published issue, newest first
    issue: Issue | None  # the issue to render; None for the edition-wide pass
    out: Path  # the staging release: write files at their final paths below it
    sources: Mapping[str, Path]  # issue id → the folder its files (images) are read from
    formats: tuple[str, ...] = DEFAULT_FORMATS  # the renderers enabled in this build
    templates_dir: Path = TEMPLATES_DIR
    options: Mapping[str, object] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict)  # issue id → hash of everything it is made from
    memo: Memo | None = None  # documents kept between builds, see Memo

    def source(self, issue: Issue) -> Path:
        return self.sources[issue.id]

    @cached_property
    def templates(self) -> Environment:
        from exporter.templating import environment

        return environment(self.templates_dir)

    @cached_property
    def _out(self) -> str:
        return os.path.realpath(self.out)

    def write(self, rel: str, data: bytes | str | Path) -> Path:
        """Write a file of this release at ``rel`` (a path relative to the output root).

        ``data`` is the bytes or text, or a file from :meth:`memoized`, which is hard-linked (an
        unchanged document costs no write, and the release finds it is the same file as before).
        """
        # Renderers make no links in the release: normalising ".." is enough (resolve() costs per file).
        target = Path(os.path.normpath(os.path.join(self._out, rel)))
        if not str(target).startswith(self._out + os.sep):
            raise ValueError(f"{rel} is outside the output folder")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)  # never write through a link into a memo entry
            if isinstance(data, Path):
                try:
                    os.link(data, target)
                except OSError:
                    shutil.copyfile(data, target)
            else:
                target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        except OSError as exc:  # a full disk, a read-only folder: name the file
            raise named(exc, target) from exc
        return target

    def memoized(self, name: str, parts: Sequence[str], make: Callable[[], bytes]) -> bytes | Path:
        """``make()``, or what it gave in an earlier build for the same ``parts`` (see Memo).

        With a memo this is the file holding the bytes (give it to :meth:`write`), else the bytes.
        """
        if self.memo is None or not all(parts):
            return make()
        return self.memo.entry(name, parts, make)

    def exists(self, rel: str) -> bool:
        """Whether this release already has ``rel`` (e.g. the PDF, for links to it)."""
        return os.path.isfile(os.path.join(self.out, rel))  # not pathlib: feeds ask this per issue


@runtime_checkable
class Renderer(Protocol):
    name: str

    def render(self, job: Job) -> list[Path]: ...


def get(name: str) -> Renderer:
    if name not in REGISTRY:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(REGISTRY)}")
    module, _, cls = REGISTRY[name].partition(":")
    renderer: Renderer = getattr(importlib.import_module(module), cls)()
    return renderer
