"""The renderer seam: a renderer is a name and two phases, each returning records of what it wrote.

``render_issue(job) -> list[Output]`` runs once per issue that needs rendering (``job.issue`` set;
write only below ``issues/<id>/``: the release refuses anything else) and ``render_edition(job) ->
list[Output]`` once for the whole edition (``job.issue is None``; archive pages, feeds, catalogs). A
renderer writes through :meth:`Job.write`, which records an :class:`~exporter.release.Output` (path,
media type, issue, kind, label) in the build's :class:`~exporter.release.Release`; a phase it has
nothing to do in returns ``[]``. :mod:`exporter.render.null` shows the whole contract.

Per-issue renders run in ``REGISTRY`` order whatever the ``--format`` order, renderers that read the
release (``reads_release = True``: the site, which links the issue's downloads and cover) last. The
edition phase gets the records of every published issue: ask ``job.release.downloads(issue_id)`` and
``job.release.cover(issue_id)``, never the file system.

Adding a downloadable format is one module plus one line in ``REGISTRY``: its issue phase writes
``issues/<id>/<id>.<ext>`` with ``kind="download"`` and a label, and the pages, the editions feed and
the OPDS catalog offer it.

Two optional methods: ``fingerprint() -> str`` adds what else the outputs depend on (font files) to
the build key; ``start(job) -> finish`` lets a slow renderer work in the background (the PDF renders in
a child process): the pipeline starts it first (with ``promises(job)``, the records it will write, so
the pages can link them), runs the other renderers of the issue meanwhile, then calls ``finish()``, or
``finish(cancel=True)`` when another format of the issue failed. A new or changed issue is started
before the rest of the archive is loaded, so ``start()`` must need nothing of ``job.issues`` (it
holds that issue alone then); the start is cancelled when the full plan does not render the issue
after all.

Where the phases run: a build renders each issue in a render process of its own (:mod:`exporter.jobs`),
which imports the renderer by its module and class name and runs its issue phase (``start()`` and
``finish()`` included) there; the edition phase runs in the build process. So an issue's render may
keep nothing in the renderer object or its class for the edition phase: what the edition needs is in
the release's records (``job.release``).
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

from exporter import paths
from exporter.cache import Memo, named
from exporter.model import Issue, Publication
from exporter.release import Output as Output
from exporter.release import Release as Release
from exporter.release import default_kind

if TYPE_CHECKING:
    from jinja2 import Environment

# name → "module:Class". Per-issue renders run in this order (readers of the release last); downloads are
# listed in it.
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
    ("feeds", paths.RSS, paths.RSS_TYPE, "RSS"),
    ("feeds", paths.ATOM, paths.ATOM_TYPE, "Atom"),
    ("feeds", paths.JSON_FEED, paths.JSON_FEED_TYPE, "JSON Feed"),
    ("feeds", paths.EDITIONS, paths.ATOM_TYPE, "整期 PDF/EPUB"),
    ("feeds", paths.OPML, paths.OPML_TYPE, "OPML 订阅列表"),
    ("opds", paths.OPDS_CATALOG, paths.NAVIGATION_TYPE, "OPDS"),
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
    release: Release = field(default_factory=Release)  # what this build wrote so far (and kept issues)
    renderer: str = ""  # the renderer this job is for (named in refusals and records)

    def source(self, issue: Issue) -> Path:
        return self.sources[issue.id]

    @cached_property
    def templates(self) -> Environment:
        from exporter.templating import environment

        return environment(self.templates_dir)

    @cached_property
    def _out(self) -> str:
        return os.path.realpath(self.out)

    def write(self, rel: str, data: bytes | str | Path, kind: str | None = None, label: str | None = None) -> Output:
        """Write a file of this release at ``rel`` (a path relative to the output root) and record it.

        ``data`` is the bytes or text, or a file from :meth:`memoized`, which is hard-linked (an
        unchanged document costs no write, and the release finds it is the same file as before).
        ``kind`` and ``label`` say what the file is for (see :class:`~exporter.release.Output`); by
        default what its public path is for. Refused (RenderError) outside the issue's folder in an
        issue's render, and for a path this build wrote already.
        """
        # Renderers make no links in the release: normalising ".." is enough (resolve() costs per file).
        target = Path(os.path.normpath(os.path.join(self._out, rel)))
        if not str(target).startswith(self._out + os.sep):
            raise ValueError(f"{rel} is outside the output folder")
        rel = str(target)[len(self._out) + 1 :]
        issue = self.issue.id if self.issue is not None else None
        self.release.claim(self.renderer or "renderer", issue, rel)
        if kind is None or label is None:
            guess = default_kind(rel)
            kind, label = kind or guess[0], guess[1] if label is None else label
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
        output = Output(rel, paths.media_type(rel), issue, kind, label, self.renderer)
        self.release.add(output)
        return output

    def output(self, kind: str, label: str, rel: str) -> Output:
        """The record a write of ``rel`` will make (for :meth:`promises` of a background render)."""
        issue = self.issue.id if self.issue is not None else None
        return Output(rel, paths.media_type(rel), issue, kind, label, self.renderer)

    def memoized(self, name: str, parts: Sequence[str], make: Callable[[], bytes]) -> bytes | Path:
        """``make()``, or what it gave in an earlier build for the same ``parts`` (see Memo).

        With a memo this is the file holding the bytes (give it to :meth:`write`), else the bytes.
        """
        if self.memo is None or not all(parts):
            return make()
        return self.memo.entry(name, parts, make)

    def file(self, output: Output) -> Path:
        return self.out / output.path


@runtime_checkable
class Renderer(Protocol):
    name: str

    def render_issue(self, job: Job) -> list[Output]: ...

    def render_edition(self, job: Job) -> list[Output]: ...


class Base:
    """What every built-in renderer shares: ``render(job)``, either phase by ``job.issue``, giving the
    files written (for callers outside the pipeline: tests, benchmarks)."""

    name = ""
    reads_release = False  # True: runs after the other renderers of an issue (it links their files)

    def render_issue(self, job: Job) -> list[Output]:
        return []

    def render_edition(self, job: Job) -> list[Output]:
        return []

    def render(self, job: Job) -> list[Path]:
        outputs = self.render_issue(job) if job.issue is not None else self.render_edition(job)
        return [job.file(o) for o in outputs]


def run_phase(renderer: object, job: Job) -> list[Output]:
    """Run the phase of ``job`` (issue or edition); a renderer with ``render(job)`` only is run as one."""
    method = getattr(renderer, "render_issue" if job.issue is not None else "render_edition", None)
    if method is not None:
        return list(method(job))
    before = {o.path for o in job.release.outputs(job.issue.id if job.issue is not None else None)}
    getattr(renderer, "render")(job)  # noqa: B009 - the older one-method contract
    return [o for o in job.release.outputs(job.issue.id if job.issue is not None else None) if o.path not in before]


def order(renderers: Sequence[Renderer]) -> list[Renderer]:
    """Per-issue order: registry order, whatever the --format order; readers of the release last."""
    names = list(REGISTRY)
    return sorted(
        renderers,
        key=lambda r: (getattr(r, "reads_release", False), names.index(r.name) if r.name in names else len(names)),
    )


def get(name: str) -> Renderer:
    if name not in REGISTRY:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(REGISTRY)}")
    module, _, cls = REGISTRY[name].partition(":")
    renderer: Renderer = getattr(importlib.import_module(module), cls)()
    return renderer
