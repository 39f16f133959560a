"""Plan, build and publish a release: incremental, deterministic and atomic.

The output path (``OUT``) is a symbolic link to a complete release folder, ``.OUT.releases/<id>/``
beside it. A build renders into a staging folder, then swaps the link in one ``rename``: a reader of
``OUT`` sees the previous complete release or the new one, never a mix, and a build killed at any
point leaves the previous release in place (the next build clears its staging folder).

Incremental: every issue has a key, the hash of its source files, the publication file, the templates,
the enabled formats and the tool versions (never mtimes). An issue whose key is in the current
release is not rendered again: its files are hard-linked from there. Files whose bytes did not change
are hard-linked too, so an unchanged file is never rewritten; a build in which nothing changed makes no
release at all.

Last good version: when an issue that is published becomes invalid, it stays published as it was and
the problem is reported. Its files are hard-linked from the current release, byte-identical (the
manifest's ``basis`` says ``release``); only when the build environment changed (templates, tools) are
they made again, from a snapshot of its sources kept beside the releases (``basis``: ``snapshot``).

Byte identity: the release depends on the content alone, not on the content folder's path (the PDF's
base URL is fixed, see :mod:`exporter.fetch`), the output path, the umask (files 0644, folders 0755),
the time zone, the locale or the hash seed.

What a build produces is an in-memory :class:`~exporter.release.Release`: the renderers' records
(path, media type, issue, kind, label), in two phases (every issue that needs rendering, then the
edition, which reads the records of every published issue, reused and kept ones read back from the
manifest). The manifest lists the files with their hashes and media types (:mod:`exporter.manifest`).

Render processes: every issue that needs rendering is rendered, all of its formats, in a fresh child
process of its own, up to ``jobs`` at once (``exporter build --jobs N``, default the CPU count; see
:mod:`exporter.jobs`), which sends back the records of what it wrote; the build process never imports
WeasyPrint. ``pdf_isolate=false`` renders every issue in the build process instead, one at a time.
The release is the same, byte for byte, whatever the number of jobs.

An output that cannot be written (a full disk, a read-only file system) is a :class:`PublishError`
(exit 5) naming the file; the build stops there and the previous release stays in place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import importlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from exporter import load, paths
from exporter import manifest as manifest_file
from exporter.assets import read_inside
from exporter.cache import PACKAGE_ROOT, Memo, hash_files, hash_package, named
from exporter.errors import Code, ContentError, Problem, PublishError, RenderError
from exporter.jobs import DEFAULT_TIMEOUT, Outcome, Pool, Task, jobs_option
from exporter.model import MAX_IMAGE_BYTES, Issue, Publication, is_visible, next_embargo
from exporter.release import Release
from exporter.render import DEFAULT_FORMATS, REGISTRY, TEMPLATES_DIR, Job, Renderer, get, order, run_phase
from exporter.rendercache import RenderCache

MANIFEST_FORMAT = manifest_file.FORMAT
RUN_OPTIONS = ("pdf_timeout", "pdf_isolate", "jobs", "workers", "job_timeout", "job_retries")  # never change bytes
RETRY_OPTIONS = ("pdf_timeout", "pdf_isolate")  # run options under which a failed render may succeed
# Folders of the releases folder that are not releases: source snapshots, validated issues, render memos.
SPECIAL_FOLDERS = ("sources", "cache", "render-cache")
MAX_SNAPSHOT_BYTES = max(MAX_IMAGE_BYTES, load.MAX_TEXT_BYTES)
KEEP_RELEASES = 3
TOOLS = ("exporter", "weasyprint", "pydyf", "ebooklib", "feedgen", "lxml", "nh3", "markdown-it-py",
         "Jinja2", "pydantic", "fonttools", "Pillow", "pypdfium2")  # fmt: skip

FAILED = "failed-render"  # render-cache entries: renders that failed, not tried again for the same key
RETRY_HINT = " (failed in an earlier build; not tried again until the issue, the build options or the tools change)"

Progress = Callable[[str], None]
DONE = "done "  # the progress message of an issue whose render ended: "done 3/20 issues (<id> rendered), ETA 0:42"


# -- result ---------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    release: str | None = None  # the release now served
    changed: bool = False  # whether this build published a new release
    rendered: list[str] = field(default_factory=list)  # issues rendered in this build
    reused: list[str] = field(default_factory=list)  # issues taken unchanged from the last release
    kept: list[str] = field(default_factory=list)  # invalid now, last good version kept
    cached: list[str] = field(default_factory=list)  # issues taken from the render cache (--cache)
    queued: list[str] = field(default_factory=list)  # issues sent to the render workers (--broker)
    embargoed: list[str] = field(default_factory=list)
    problems: dict[str, list[Problem]] = field(default_factory=dict)  # issue id → problems
    files: int = 0  # files in the release
    written: int = 0  # files whose bytes are new in this release
    timings: dict[str, float] = field(default_factory=dict)  # format → seconds
    seconds: float = 0.0
    next_embargo: datetime | None = None
    children: dict[str, tuple[int, int]] = field(default_factory=dict)  # issue → (pid, peak RSS KiB) of its render

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = f"release {self.release}" if self.release else "no release"
        parts = [
            ("published" if self.changed else "unchanged") + f" {state}",
            f"{len(self.rendered)} rendered",
            f"{len(self.reused)} reused",
            *(
                [f"{len(self.cached)} from the render cache ({len(self.queued)} rendered by workers)"]
                if self.cached or self.queued
                else []
            ),
            f"{self.written} files written of {self.files}",
        ]
        if self.kept:
            parts.append(f"{len(self.kept)} kept at last good version")
        if self.problems:
            parts.append(f"{len(self.problems)} with errors")
        if self.embargoed:
            parts.append(f"{len(self.embargoed)} embargoed")
        times = " ".join(f"{k}={v:.2f}s" for k, v in self.timings.items())
        return "; ".join(parts) + f" in {self.seconds:.2f}s" + (f" ({times})" if times else "")


# -- the releases folder ---------------------------------------------------------------------------


class Releases:
    """``OUT`` (a link) and ``.OUT.releases/`` (release folders, manifests, source snapshots)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(os.path.abspath(out))
        self.root = self.out.parent / f".{self.out.name}.releases"

    def prepare(self) -> None:
        if self.out.exists() and not self.out.is_symlink():
            if self.out.is_dir() and not any(self.out.iterdir()):
                self.out.rmdir()  # an empty placeholder folder: take its place
            else:
                raise PublishError(
                    f"{self.out} exists and is not an exporter output link; move it away or choose another --out"
                )
        self.root.mkdir(parents=True, exist_ok=True)
        if stat.S_IMODE(self.root.stat().st_mode) != FOLDER_MODE:  # the server reads releases through it
            self.root.chmod(FOLDER_MODE)
        (self.root / "sources").mkdir(exist_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One build at a time per output (CLI and scheduler alike)."""
        self.prepare()
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def current_id(self) -> str | None:
        if not self.out.is_symlink():
            return None
        target = os.readlink(self.out)
        return Path(target).name

    def manifest(self, release: str | None = None) -> dict[str, Any]:
        release = release or self.current_id()
        if not release:
            return {}
        return manifest_file.read(self.root / f"{release}.json")

    def release_dir(self, release: str) -> Path:
        return self.root / release

    def new_staging(self) -> Path:
        path = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        path.chmod(0o755)  # mkdtemp makes it private; the web server must read the release
        return path

    def clear_staging(self) -> None:
        for path in self.root.glob(".staging-*"):
            shutil.rmtree(path, ignore_errors=True)

    def switch(self, release: str) -> None:
        """Point OUT at the release in one atomic rename."""
        tmp = self.out.parent / f".{self.out.name}.link-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.path.relpath(self.release_dir(release), self.out.parent), tmp)
        os.replace(tmp, self.out)
        fsync_dir(self.out.parent)

    def kept_releases(self, count: int = KEEP_RELEASES) -> set[str]:
        """The current release and the newest others, ``count`` in all."""
        manifests = sorted(self.root.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        current = self.current_id()
        keep = {current} if current else set()
        for path in manifests:
            if len(keep) >= count:
                break
            keep.add(path.stem)
        return keep

    def collect_releases(self, count: int = KEEP_RELEASES) -> None:
        """Remove the releases (folders and manifests) older than the ``count`` kept.

        Safe during a build (it runs while the last PDFs render, keeping one release fewer to make room
        for the one being built): staging folders start with a dot and the current release is kept.
        """
        keep = self.kept_releases(count)
        for path in self.root.glob("*.json"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)
        for folder in self.root.iterdir():
            is_release = folder.is_dir() and not folder.name.startswith(".") and folder.name not in SPECIAL_FOLDERS
            if is_release and folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)

    def collect_garbage(self) -> None:
        """Keep the newest releases and the source snapshots they use; remove the rest."""
        self.collect_releases()
        used_sources: set[str] = set()
        for release in self.kept_releases():
            for entry in self.manifest(release).get("issues", {}).values():
                used_sources.add(entry.get("source", ""))
        for snap in (self.root / "sources").glob("*/*"):
            if f"sources/{snap.parent.name}/{snap.name}" not in used_sources:
                shutil.rmtree(snap.parent, ignore_errors=True)


# -- hashing ---------------------------------------------------------------------------------------


def issue_files(issue: Issue) -> list[str]:
    """The source files an issue is made of (what its key and snapshot cover)."""
    files = {load.ISSUE_FILE} | {f"{a.slug}.md" for a in issue.articles}
    files |= {img.file for a in issue.articles for img in a.images}
    return sorted(files)


def environment_key(
    formats: tuple[str, ...], templates_dir: Path, renderers: list[Renderer], options: dict[str, object]
) -> str:
    digest = hashlib.sha256()
    digest.update(f"{MANIFEST_FORMAT} {sys.version_info[:2]} {','.join(formats)}".encode())
    # Build options that change outputs (an embedded EPUB font, say); not those that only steer the run.
    shaping = {k: v for k, v in options.items() if k not in RUN_OPTIONS}
    digest.update(json.dumps(shaping, sort_keys=True, default=str).encode())
    for dist in TOOLS:
        try:
            digest.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=?;".encode())
    # The code that shapes outputs: the whole package with its package data (every module, not a hand-kept
    # list: fonts.py, fetch.py and cover.py shape outputs too), plus a renderer's module from elsewhere.
    hash_package(digest)
    for name in sorted({type(renderer).__module__ for renderer in renderers}):
        module = Path(importlib.import_module(name).__file__ or "")
        if not module.resolve().is_relative_to(PACKAGE_ROOT):
            digest.update(name.encode() + hashlib.sha256(module.read_bytes()).digest())
    # The templates actually used (a build may be given its own folder).
    hash_files(
        digest, templates_dir, [str(p.relative_to(templates_dir)) for p in templates_dir.rglob("*") if p.is_file()]
    )
    for renderer in renderers:
        fingerprint = getattr(renderer, "fingerprint", None)
        if fingerprint is not None:
            digest.update(f"{renderer.name}:{fingerprint()};".encode())
    return digest.hexdigest()


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- writing ---------------------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same folder → fsync → rename → fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise named(exc, path) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


FILE_MODE, FOLDER_MODE = 0o644, 0o755  # a release's modes, whatever the umask of the build


def set_modes(root: Path) -> None:
    """Give every file below ``root`` mode 0644 and every folder 0755 (readable by the web server), so the
    modes are the same whatever the build's umask; only what differs is changed (hard links share modes)."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name, mode in [(d, FOLDER_MODE) for d in dirnames] + [(f, FILE_MODE) for f in filenames]:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
                os.chmod(path, mode)
    if stat.S_IMODE(os.stat(root).st_mode) != FOLDER_MODE:
        os.chmod(root, FOLDER_MODE)


def _folders_of(rels: Iterable[str]) -> list[str]:
    """Every folder holding one of ``rels`` and their ancestors up to the root (""), deepest first."""
    folders: set[str] = set()
    for rel in rels:
        folder = os.path.dirname(rel)
        while folder not in folders:
            folders.add(folder)
            if not folder:
                break
            folder = os.path.dirname(folder)
    return sorted(folders, key=lambda f: f.count("/") + bool(f), reverse=True)


# -- the build --------------------------------------------------------------------------------------


@dataclass
class _Plan:
    publication: Publication
    issues: list[Issue]  # visible, newest first
    sources: dict[str, Path]
    keys: dict[str, str]
    hidden: list[Issue]  # embargoed: valid, but not public yet


def build(
    content_root: Path,
    out: Path,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    now: datetime | None = None,
    progress: Progress | None = None,
    templates_dir: Path = TEMPLATES_DIR,
    options: dict[str, object] | None = None,
    cache: Path | None = None,
    broker: str | None = None,
) -> BuildResult:
    """Load, validate, render what changed and publish it atomically.

    Raises ContentError when the publication file itself is invalid (nothing can be built) and
    PublishError when the output cannot be written. Problems of single issues do not raise: they
    are in ``result.problems`` and the other issues are published.

    ``cache``: the render cache folder (:mod:`exporter.rendercache`): issues whose key is there are
    taken from it, issues rendered here are kept there. ``broker`` (with ``cache``): a Redis URL; the
    issues the cache lacks are rendered by ``exporter worker`` processes (:mod:`exporter.distributed`)
    before the edition is assembled here.
    """
    if broker is not None and cache is None:
        raise PublishError("--broker needs --cache: the workers put what they render in the render cache")
    started = time.perf_counter()
    for name in formats:
        if name not in REGISTRY:
            raise PublishError(f"unknown format {name!r}; known: {', '.join(REGISTRY)}")
    formats = tuple(sorted(set(formats), key=list(REGISTRY).index))  # the --format order changes nothing
    now = now or datetime.now(UTC)
    say = progress or (lambda _msg: None)
    releases = Releases(out)
    try:
        return _build(Path(content_root), releases, formats, now, say, templates_dir, options or {}, started,
                      RenderCache(cache) if cache is not None else None, broker)  # fmt: skip
    except OSError as exc:  # the previous release is still served (the staging folder is removed)
        broken = output_error(exc, releases)
        if broken is None:
            raise
        raise PublishError(cannot_write(broken, releases)) from exc


def _build(
    content_root: Path,
    releases: Releases,
    formats: tuple[str, ...],
    now: datetime,
    say: Progress,
    templates_dir: Path,
    options: dict[str, object],
    started: float,
    cache: RenderCache | None = None,
    broker: str | None = None,
) -> BuildResult:
    result = BuildResult()
    base_url = str(options["base_url"]) if options.get("base_url") else None
    with releases.lock():
        releases.clear_staging()
        renderers = order([get(name) for name in formats])
        env_key = environment_key(formats, templates_dir, renderers, options)
        release = Release(list(REGISTRY))
        current = releases.manifest()
        staging = releases.new_staging()
        early: dict[str, _Started] = {}
        pool = _pool(options)
        try:
            if broker is None:  # with workers, the issues the cache lacks are theirs
                early = _start_early(Path(content_root), releases, current, env_key, renderers, staging, now,
                                     formats, templates_dir, options, release, cache, pool)  # fmt: skip
            plan = _plan(Path(content_root), releases, current, env_key, now, result, base_url)
            result.next_embargo = next_embargo(plan.hidden, now)
            publication_text = load.publication_bytes(Path(content_root), base_url)
            edition_key = hashlib.sha256(
                env_key.encode()
                + hashlib.sha256(publication_text).digest()
                + json.dumps([(i.id, plan.keys[i.id]) for i in plan.issues]).encode()
                # The problems are not in any output file, but in the manifest (what /_status reports):
                # when they change, the release (the same files, the same id) is recorded again.
                + json.dumps(_problem_texts(result.problems)).encode()
            ).hexdigest()
            result.release = releases.current_id()
            if current and current.get("edition_key") == edition_key:
                _cancel(e.waits for e in early.values())
                if pool is not None:
                    pool.close()
                shutil.rmtree(staging, ignore_errors=True)
                result.reused = [i.id for i in plan.issues]
                result.files = len(current.get("files", {}))
                result.seconds = time.perf_counter() - started
                return result
            remote: dict[str, tuple[str, str, bool]] = {}
            if broker is not None and cache is not None:
                from exporter import distributed

                remote = distributed.render_missing(broker, cache, Path(content_root), plan, current, releases,
                                                    formats, templates_dir, options, say, result)  # fmt: skip
            ctx = RenderContext(plan, renderers, formats, staging, releases, current, templates_dir, options,
                                say, result, early, release, cache, remote, pool)  # fmt: skip
            manifest, carried = _Render(ctx).run()
            # A render failure is retried by the next build: do not record the edition as done.
            render_failed = any(p.code == Code.RENDER_FAILED for ps in result.problems.values() for p in ps)
            manifest["edition_key"] = None if render_failed else edition_key
            manifest["env_key"] = env_key
            release_id = _finish(staging, releases, current, manifest, carried, result)
        except BaseException:
            _cancel(e.waits for e in early.values())
            if pool is not None:
                pool.close()  # no render left behind (SIGTERM, a full disk)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        result.changed = release_id != result.release
        result.release = release_id
        with contextlib.suppress(OSError):  # published already; what is left is removed by the next build
            releases.collect_garbage()
    result.seconds = time.perf_counter() - started
    return result


# errno values that only writing gives: whatever the file, the output cannot be written
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def output_error(exc: BaseException | None, releases: Releases) -> OSError | None:
    """The OSError (``exc`` or one it was raised from) that says the output cannot be written, or None.

    That is a full disk or quota, a read-only file system, or any error on a path of the output (the
    releases folder, the output link and its temporary link). Errors reading the content (a file that
    vanished during the build) are not: they are problems of their issue.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and (exc.errno in WRITE_ERRNOS or any(
            _is_output_path(name, releases) for name in (exc.filename, exc.filename2)
        )):  # fmt: skip
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _is_output_path(name: object, releases: Releases) -> bool:
    if not isinstance(name, str | bytes | os.PathLike):
        return False
    path = Path(os.path.abspath(os.fsdecode(name)))
    out = releases.out
    return (
        path == out
        or path == releases.root
        or releases.root in path.parents
        or (path.parent == out.parent and path.name.startswith(f".{out.name}."))
    )


def cannot_write(exc: OSError, releases: Releases) -> str:
    """``cannot write the output: <path>: <reason> [ENOSPC]; <out> still shows release <id>``."""
    reason = exc.strerror or str(exc)
    if exc.errno is not None and exc.errno in errno.errorcode:
        reason += f" [{errno.errorcode[exc.errno]}]"
    where = f"{os.fsdecode(exc.filename)}: " if exc.filename is not None else ""
    current = releases.current_id()
    state = f"still shows release {current}" if current else "has no release yet"
    return f"cannot write the output: {where}{reason}; {releases.out} {state}"


def _problem_texts(problems: dict[str, list[Problem]]) -> dict[str, list[str]]:
    return {k: [str(p) for p in v] for k, v in sorted(problems.items())}


def _failure_parts(key: str, options: dict[str, object]) -> list[str]:
    """A failed render's memo key: the issue's build key and the options that steer the run (a longer
    pdf_timeout may succeed where a shorter one failed)."""
    return [key, json.dumps({k: options.get(k) for k in RETRY_OPTIONS}, sort_keys=True, default=str)]


def remembered_failure(memo: Memo, key: str, options: dict[str, object]) -> tuple[str, str] | None:
    """(renderer, message) of an earlier failed render of the same issue, key and options."""
    data = memo.find(FAILED, _failure_parts(key, options))
    if data is None:
        return None
    where, _, message = data.decode("utf-8", "replace").partition("\0")
    return where, message


def _issue_key(env_key: str, pub_hash: str, issue_id: str, fingerprint: str) -> str:
    """The key of an issue in its folder, from the hash of the folder's files (IssueCache.key)."""
    return hashlib.sha256(f"{env_key}{pub_hash}{issue_id}{fingerprint}".encode()).hexdigest()


def files_key(env_key: str, pub_hash: str, issue: Issue, folder: Path) -> str:
    """The key of an issue from the files it is made of (a source snapshot, or a folder the loader could not
    fingerprint); raises OSError when one of them cannot be read."""
    digest = hashlib.sha256(f"{env_key}{pub_hash}{issue.id}".encode())
    for rel in issue_files(issue):
        try:
            data = read_inside(folder, rel, load.MAX_TEXT_BYTES if rel.endswith((".md", ".yaml")) else MAX_IMAGE_BYTES)
        except ValueError as exc:
            raise OSError(str(exc)) from None
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


Waits = list[tuple[str, Any, float]]  # background renders of an issue: (renderer, finish, started at)


@dataclass
class _Started:
    """Background renders of an issue started before the whole edition was loaded."""

    key: str
    waits: Waits


def _cancel(*groups: Iterable[Waits]) -> None:
    """Cancel background renders (each group: an iterable of an issue's waits)."""
    for group in groups:
        for waits in group:
            for _, finish, _ in waits:
                with contextlib.suppress(Exception):
                    finish(cancel=True)


def _start_early(
    root: Path,
    releases: Releases,
    current: dict[str, Any],
    env_key: str,
    renderers: list[Renderer],
    staging: Path,
    now: datetime,
    formats: tuple[str, ...],
    templates_dir: Path,
    options: dict[str, object],
    release: Release,
    cache: RenderCache | None = None,
    pool: Pool | None = None,
) -> dict[str, _Started]:
    """Start the background renders (the PDF) of new or changed issues, newest first, before loading
    the rest of the archive: adding an issue to a large archive then costs about what its PDF costs.

    Only what is cheap to know: a folder whose files (stat index) give a key the current release does
    not have, that loads, and that is public. Everything is checked again by the full plan; a render
    the plan does not want, or started from files that changed since, is cancelled by the caller.

    With a render ``pool`` (the default) the whole issue, every format, starts in its child.
    """
    starters = [r for r in renderers if hasattr(r, "start")]
    workers = jobs_option(options)
    if not starters and pool is None:
        return {}
    try:
        base_url = str(options["base_url"]) if options.get("base_url") else None
        publication = load.load_publication(root, base_url)
        pub_text = load.publication_bytes(root, base_url)
        folders = load.issue_dirs(root)
    except (ContentError, OSError):
        return {}  # the plan reports it
    issues = load.IssueCache(releases.root / "cache", pub_text)
    failures = Memo(releases.root / "render-cache")  # looked up only; the build's own memo keeps entries
    pub_hash = hashlib.sha256(pub_text).hexdigest()
    published = current.get("issues", {})
    started: dict[str, _Started] = {}
    waits: Waits = []
    try:
        for folder in reversed(folders):  # issue ids are dates: newest first
            if len(started) >= workers:
                break
            try:
                fingerprint = issues.key(folder)
                if fingerprint is None:
                    continue
                key = _issue_key(env_key, pub_hash, folder.name, fingerprint)
                if published.get(folder.name, {}).get("key") == key:
                    continue
                if remembered_failure(failures, key, options) is not None or (cache is not None and key in cache):
                    continue
                issue = issues.load(folder, publication)
            except (ContentError, OSError):
                continue
            if issue.id != folder.name or issue.draft or not is_visible(issue, now):
                continue
            if pool is not None:  # the issue's own renders need nothing of the other issues
                try:
                    # a new issue or two (the usual case): a spare core for each one's PDF
                    pool.start(_task(publication, issue, staging, folder, formats, templates_dir, options, key,
                                     renderers, releases, overlap=pool.jobs > 1))  # fmt: skip
                except OSError:
                    continue
                started[issue.id] = _Started(key, [])
                continue
            # the edition is not loaded yet: job.issues holds this issue alone (start() needs no more)
            waits = []
            try:
                for renderer in starters:
                    job = Job(publication, (issue,), issue, staging, {issue.id: folder}, formats, templates_dir,
                              options, {issue.id: key}, None, release, renderer.name)  # fmt: skip
                    release.promise(getattr(renderer, "promises", lambda _job: [])(job))
                    waits.append((renderer.name, renderer.start(job), time.perf_counter()))
            except (RenderError, OSError):
                _cancel([waits])
                release.drop_issue(issue.id)
                continue  # the plan renders it again and reports the problem
            started[issue.id] = _Started(key, waits)
            waits = []
    except BaseException:  # interrupted (SIGTERM): leave no render behind
        _cancel((e.waits for e in started.values()), [waits])
        raise
    return started


def _pool(options: dict[str, object]) -> Pool | None:
    """The render processes of a build (see :mod:`exporter.jobs`); None with ``pdf_isolate=false``:
    then every issue renders in the build process, one after the other (debugging, profiling)."""
    if not options.get("pdf_isolate", True):
        return None
    timeout = float(options.get("pdf_timeout", DEFAULT_TIMEOUT))  # type: ignore[arg-type]
    return Pool(jobs_option(options), timeout)


def _task(
    publication: Publication,
    issue: Issue,
    staging: Path,
    source: Path,
    formats: tuple[str, ...],
    templates_dir: Path,
    options: dict[str, object],
    key: str,
    renderers: list[Renderer],
    releases: Releases,
    overlap: bool = False,
) -> Task:
    specs = [(r.name, f"{type(r).__module__}:{type(r).__qualname__}") for r in renderers]
    first = next((r.name for r in renderers if hasattr(r, "start")), renderers[0].name if renderers else "")
    return Task(publication, issue, staging, source, formats, templates_dir, dict(options), key, specs,
                list(REGISTRY), releases.root, first, overlap)  # fmt: skip


def _outcome_error(outcome: Outcome) -> Exception:
    """The exception a child's failure stands for: an OSError (a file of the content vanished, or the
    output cannot be written: :func:`output_error` tells) or a RenderError."""
    cause: OSError | None = None
    if outcome.oserror is not None:
        number, reason, filename = outcome.oserror
        if number is None:
            cause = OSError(reason)
        else:
            cause = OSError(number, reason or os.strerror(number), *([filename] if filename is not None else []))
    if outcome.kind == "os" and cause is not None:
        return cause  # the child's OSError itself: "[Errno 2] No such file or directory: '…'"
    exc = RenderError(outcome.error)
    exc.__cause__ = cause
    return exc


def _plan(
    root: Path,
    releases: Releases,
    current: dict[str, Any],
    env_key: str,
    now: datetime,
    result: BuildResult,
    base_url: str | None = None,
) -> _Plan:
    content = load.load_content(root, cache=releases.root / "cache", base_url=base_url)  # see SPECIAL_FOLDERS
    pub_hash = hashlib.sha256(load.publication_bytes(root, base_url)).hexdigest()
    issues: list[Issue] = []
    sources: dict[str, Path] = {}
    keys: dict[str, str] = {}

    def key_of(folder: Path, issue: Issue) -> str:
        fingerprint = content.fingerprints.get(issue.id) if folder == root / issue.id else None
        if fingerprint:  # the loader hashed every file of the folder already
            return _issue_key(env_key, pub_hash, issue.id, fingerprint)
        return files_key(env_key, pub_hash, issue, folder)

    for issue in content.issues:
        folder = root / issue.id
        try:
            keys[issue.id] = key_of(folder, issue)
        except OSError as exc:  # the folder changed after it was loaded (e.g. removed): treat as invalid
            content.failed[issue.id] = [
                Problem(f"{issue.id}/", "", f"changed during the build: {exc}", Code.UNUSABLE_FILE)
            ]
            continue
        issues.append(issue)
        sources[issue.id] = folder
    for issue_id, problems in sorted(content.failed.items()):
        result.problems[issue_id] = problems
        previous = current.get("issues", {}).get(issue_id)
        if not previous:
            continue
        last_good = _last_good(releases, content.publication, previous)
        if last_good is None:
            continue
        snapshot = releases.root / previous["source"]
        issues.append(last_good)
        sources[issue_id] = snapshot
        # Kept as published: with the same build environment its files are hard-linked from the current
        # release under their old key (byte-identical); otherwise they are made again from the snapshot.
        same_env = current.get("env_key") == env_key
        keys[issue_id] = previous["key"] if same_env else key_of(snapshot, last_good)
        result.kept.append(issue_id)
    # A kept issue is published under its last good numbers: a new issue with the same 总第N期 would
    # publish that number twice (the loader only compares the issues that are valid now).
    kept_totals = {i.total_number: i.id for i in issues if i.id in result.kept}
    published = current.get("issues", {})
    for issue in list(issues):
        other = kept_totals.get(issue.total_number)
        if other is None or other == issue.id or issue.id in published:
            continue
        issues.remove(issue)
        del sources[issue.id], keys[issue.id]
        result.problems[issue.id] = [
            Problem(f"{issue.id}/{load.ISSUE_FILE}", "total_number",
                    f"{issue.total_number} is also the number of issue {other} (published; its last good "
                    "version is kept while its source is broken)", Code.BROKEN_REFERENCE)
        ]  # fmt: skip
    visible = [i for i in issues if is_visible(i, now)]
    hidden = [i for i in issues if not is_visible(i, now)]
    result.embargoed = sorted(i.id for i in hidden)
    visible.sort(key=lambda i: (i.date, i.total_number), reverse=True)
    return _Plan(content.publication, visible, sources, keys, hidden)


@dataclass
class RenderContext:
    """Everything one build's render needs: the plan, where it writes, what it keeps, what it reports."""

    plan: _Plan
    renderers: list[Renderer]  # the enabled ones, in per-issue order (see exporter.render.order)
    formats: tuple[str, ...]
    staging: Path
    releases: Releases
    current: dict[str, Any]  # the manifest of the release served now, or {}
    templates_dir: Path
    options: dict[str, object]
    say: Progress
    result: BuildResult
    early: dict[str, _Started]  # background renders already started (see _start_early)
    release: Release  # the records of what this build wrote (and of the issues it reused or kept)
    cache: RenderCache | None = None  # the render cache (--cache): rendered issues by key
    remote: dict[str, tuple[str, str, bool]] = field(default_factory=dict)  # failed on the workers: issue id →
    # (renderer, message, whether the same render would fail again: a renderer's error, not a lost worker)
    pool: Pool | None = None  # the render processes; None: render in this process
    memo: Memo = field(init=False)
    manifest: dict[str, Any] = field(init=False)
    carried: dict[str, str] = field(default_factory=dict)  # files of reused issues, linked → sha256

    def __post_init__(self) -> None:
        self.memo = Memo(self.releases.root / "render-cache")
        self.manifest = {"format": MANIFEST_FORMAT, "issues": {}}

    @property
    def current_dir(self) -> Path | None:
        return self.releases.release_dir(self.current["release"]) if self.current else None


class _Render:
    """Render into staging: every issue that needs it (phase one), then the edition (phase two).

    Each issue that renders gets its ``early`` background render or starts one; the records of what it
    wrote (or, for a reused or kept issue, what the current manifest lists) go into ``ctx.release``,
    which the edition phase reads.
    """

    def __init__(self, ctx: RenderContext) -> None:
        self.ctx = ctx
        self.where = ""  # the renderer at work on the current issue (named in its problem)

    def job(self, issue: Issue | None, renderer: Renderer) -> Job:
        c = self.ctx
        return Job(c.plan.publication, tuple(c.plan.issues), issue, c.staging, c.plan.sources, c.formats,
                   c.templates_dir, c.options, c.plan.keys, c.memo, c.release, renderer.name)  # fmt: skip

    @staticmethod
    def rank(name: str) -> int:
        return list(REGISTRY).index(name) if name in REGISTRY else len(REGISTRY)

    def timed(self, name: str, since: float) -> None:
        timings = self.ctx.result.timings
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - since

    def keep(self, issue_id: str, entry: dict[str, Any]) -> None:
        """Record an issue carried over from the current release, with the records its manifest lists."""
        self.ctx.manifest["issues"][issue_id] = entry
        for output in manifest_file.issue_outputs(issue_id, entry):
            self.ctx.release.add(output)

    def fail(
        self, issue: Issue, previous: dict[str, Any] | None, exc: Exception, where: str, remember: bool = True
    ) -> None:
        """Drop what the issue's render left; keep its last good version when there is one.

        The output that cannot be written (a full disk, a read-only folder) is no problem of the issue:
        it aborts the whole build, and the previous release stays (no release with the issue failed)."""
        c = self.ctx
        broken = output_error(exc, c.releases)
        if broken is not None:
            raise broken
        shutil.rmtree(c.staging / issue.dir, ignore_errors=True)
        c.release.drop_issue(issue.id)
        if remember and isinstance(exc, RenderError) and not str(exc).endswith(RETRY_HINT):  # OSError: may pass
            c.memo.put(FAILED, _failure_parts(c.plan.keys[issue.id], c.options), f"{where}\0{exc}".encode())
        c.result.problems.setdefault(issue.id, []).append(Problem(f"{issue.id}/", where, str(exc), Code.RENDER_FAILED))
        c.plan.issues.remove(issue)
        last_good = _last_good(c.releases, c.plan.publication, previous)
        if previous and last_good and c.current_dir and _reuse(c.current_dir, c.staging, previous["files"]):
            c.plan.issues.append(last_good)
            c.plan.issues.sort(key=lambda i: (i.date, i.total_number), reverse=True)
            c.plan.sources[issue.id] = c.releases.root / previous["source"]
            c.plan.keys[issue.id] = previous["key"]  # what the kept files are made from (documents kept by key)
            c.result.kept.append(issue.id)
            self.keep(issue.id, dict(previous, basis="release"))

    def complete(self, issue: Issue, previous: dict[str, Any] | None, waits: Waits) -> None:
        """Wait for the issue's background renders, then record it (or fall back)."""
        c = self.ctx
        where = ""
        try:
            for where, finish, since in waits:
                finish()
                self.timed(where, since)
            where = ""
            source = _snapshot(c.releases, c.plan, issue)
        except (RenderError, OSError) as exc:  # OSError: the issue's files vanished during the build
            _cancel([waits])
            self.fail(issue, previous, exc, where)
            return
        outputs = c.release.outputs(issue.id)
        if issue.id in c.result.cached:
            pass
        elif c.cache is not None:
            with contextlib.suppress(OSError):  # the cache only saves work; a full cache disk must not fail
                c.cache.store(c.plan.keys[issue.id], issue.id, c.staging, outputs)
            c.result.rendered.append(issue.id)
        else:
            c.result.rendered.append(issue.id)
        basis = "snapshot" if c.plan.sources[issue.id].is_relative_to(c.releases.root) else "content"
        c.manifest["issues"][issue.id] = {"key": c.plan.keys[issue.id], "files": sorted(o.path for o in outputs),
                                          "outputs": [o.to_json() for o in outputs],
                                          "source": source, "basis": basis}  # fmt: skip

    def prefinish(self) -> None:
        """Work that does not wait for the PDFs: account for the files carried over unchanged from the
        current release (their hashes are in its manifest) and sync their folders; drop old releases."""
        c = self.ctx
        known = c.current.get("files", {})
        for issue_id in c.result.reused:
            for rel in c.manifest["issues"][issue_id]["files"]:
                if rel in known:
                    c.carried[rel] = known[rel]
        for folder in _folders_of(c.carried):
            fsync_dir(c.staging / folder)
        c.releases.collect_releases(KEEP_RELEASES - 1)  # room for this build's release

    def cancel_early(self, started: Iterable[tuple[str, _Started]]) -> None:
        for issue_id, early in list(started):
            _cancel([early.waits])
            self.ctx.release.drop_issue(issue_id)
            if self.ctx.pool is not None and issue_id in self.ctx.pool.running:
                self.ctx.pool.cancel(issue_id)  # the child wrote into the staging release: remove it
                shutil.rmtree(self.ctx.staging / paths.issue_dir(issue_id), ignore_errors=True)

    def start_issue(self, issue: Issue, key: str) -> Waits:
        """The issue's background renders: taken over from ``early``, or started now (with their promises)."""
        c = self.ctx
        started = c.early.pop(issue.id, None)
        if started is not None and started.key == key:
            return started.waits
        if started is not None:  # its files changed since: start again
            self.cancel_early([(issue.id, started)])
        waits: Waits = []
        try:
            for renderer in c.renderers:
                if hasattr(renderer, "start"):
                    self.where, job = renderer.name, self.job(issue, renderer)
                    c.release.promise(getattr(renderer, "promises", lambda _job: [])(job))
                    waits.append((renderer.name, renderer.start(job), time.perf_counter()))
        except BaseException:
            _cancel([waits])
            raise
        return waits

    def settled(self, issue: Issue, previous: dict[str, Any] | None) -> bool:
        """Whether the issue needs no render: reused from the current release (its key is there), or
        failed with the same key before (a timeout, say: not tried again)."""
        c = self.ctx
        key = c.plan.keys[issue.id]
        if (
            previous
            and previous["key"] == key
            and c.current_dir
            and _reuse(c.current_dir, c.staging, previous["files"])
        ):
            c.result.reused.append(issue.id)
            # basis: what the files were made from; "release": hard-linked as they were published
            # (a kept issue: its new source is invalid), not made again from its source snapshot.
            self.keep(issue.id, dict(previous, basis="release") if issue.id in c.result.kept else previous)
            return True
        failed = remembered_failure(c.memo, key, c.options)
        if failed is not None:  # the same render failed before (a timeout, say): do not retry it
            if issue.id in c.early:
                self.cancel_early([(issue.id, c.early.pop(issue.id))])
            self.fail(issue, previous, RenderError(failed[1] + RETRY_HINT), failed[0])
            return True
        return False

    def elsewhere(self, issue: Issue, previous: dict[str, Any] | None) -> bool | None:
        """An issue rendered elsewhere: True when its files were taken from the render cache (rendered
        before, here or by a worker), False when its render failed on the workers; None: render it here."""
        c = self.ctx
        if issue.id in c.remote:  # its render failed on the workers
            where, message, again = c.remote[issue.id]
            self.fail(issue, previous, RenderError(message), where, remember=again)
            return False
        taken = c.cache.take(c.plan.keys[issue.id], issue.id, c.staging) if c.cache is not None else None
        if taken is None:
            return None
        if issue.id in c.early:
            self.cancel_early([(issue.id, c.early.pop(issue.id))])
        for output in taken:
            c.release.add(output)
        c.result.cached.append(issue.id)
        return True

    def issue(self, n: int, total: int, issue: Issue) -> tuple[Issue, dict[str, Any] | None, Waits] | None:
        """Phase one for an issue: reuse it, or render it (its background renders are left running)."""
        c = self.ctx
        previous = c.current.get("issues", {}).get(issue.id)
        key = c.plan.keys[issue.id]
        if self.settled(issue, previous):
            return None
        elsewhere = self.elsewhere(issue, previous)
        if elsewhere is not None:
            return (issue, previous, []) if elsewhere else None
        c.say(f"[{n}/{total}] {issue.id}")
        waits: Waits = []
        self.where = ""
        try:
            waits = self.start_issue(issue, key)
            for renderer in c.renderers:
                if not hasattr(renderer, "start"):
                    self.where, t0 = renderer.name, time.perf_counter()
                    run_phase(renderer, self.job(issue, renderer))
                    self.timed(renderer.name, t0)
        except (RenderError, OSError) as exc:
            _cancel([waits])
            self.fail(issue, previous, exc, self.where)
            return None
        return issue, previous, waits

    def edition(self) -> None:
        """Phase two: the archive pages, feeds and catalogs, from the records of every published issue."""
        c = self.ctx
        c.say("edition")
        for renderer in c.renderers:
            t0 = time.perf_counter()
            try:
                run_phase(renderer, self.job(None, renderer))
            except RenderError as exc:
                broken = output_error(exc, c.releases)
                if broken is not None:
                    raise broken from exc
                raise PublishError(f"{renderer.name}: {exc}") from exc
            self.timed(renderer.name, t0)

    def run(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Render into staging. Returns the manifest so far and the files carried over unchanged."""
        c = self.ctx
        if c.pool is not None:
            self.run_pool(c.pool)
        else:
            self.run_here()
        self.edition()
        c.memo.forget_unused()
        timings = c.result.timings  # in registry order, whatever order the renderers finished in
        c.result.timings = {name: timings[name] for name in sorted(timings, key=self.rank)}
        c.manifest["types"] = {o.path: o.media_type for o in c.release.outputs()}
        return c.manifest, c.carried

    # -- every issue in a child process of its own (exporter.jobs) ---------------------------------

    def task(self, issue: Issue, overlap: bool = False) -> Task:
        c = self.ctx
        return _task(c.plan.publication, issue, c.staging, c.plan.sources[issue.id], c.formats, c.templates_dir,
                     c.options, c.plan.keys[issue.id], c.renderers, c.releases, overlap)  # fmt: skip

    def run_pool(self, pool: Pool) -> None:
        """Phase one with render processes: up to ``jobs`` issues at once, each in a fresh child that
        renders every format of it; the records it sends back go into the release as it ends.

        Progress: ``[n/total] <id>`` when an issue starts (n counts every issue of the plan), and
        ``done d/r issues …, ETA m:ss`` when one ends (r: the issues rendered in this build).
        """
        c = self.ctx
        issues = list(c.plan.issues)
        index = {issue.id: n for n, issue in enumerate(issues, 1)}
        todo: list[tuple[Issue, dict[str, Any] | None]] = []
        for issue in issues:
            previous = c.current.get("issues", {}).get(issue.id)
            if self.settled(issue, previous):
                continue
            elsewhere = self.elsewhere(issue, previous)
            if elsewhere:
                self.complete(issue, previous, [])
            elif elsewhere is None:
                todo.append((issue, previous))
        wanted = {issue.id: c.plan.keys[issue.id] for issue, _ in todo}
        # started early for an issue the plan does not render, or from files that changed since
        self.cancel_early([(i, e) for i, e in c.early.items() if wanted.get(i) != e.key])
        waiting = {issue.id: (issue, previous) for issue, previous in todo if issue.id in pool.running}
        for issue_id in waiting:
            c.say(f"[{index[issue_id]}/{len(issues)}] {issue_id}")
        c.early.clear()
        queue = deque(item for item in todo if item[0].id not in waiting)
        total, done, since, prefinished = len(todo), 0, time.perf_counter(), False
        try:
            while queue or pool.running:
                while queue and not pool.full:
                    issue, previous = queue.popleft()
                    c.say(f"[{index[issue.id]}/{len(issues)}] {issue.id}")
                    pool.start(self.task(issue, overlap=total < pool.jobs))  # fewer issues than jobs
                    waiting[issue.id] = (issue, previous)
                if not queue and not prefinished:
                    self.prefinish()  # while the last issues render
                    prefinished = True
                for outcome in pool.wait():
                    issue, previous = waiting.pop(outcome.issue)
                    done += 1
                    self.finished(issue, previous, outcome)
                    state = "failed" if outcome.error else "rendered"
                    c.say(f"{DONE}{done}/{total} issues ({issue.id} {state}), ETA {_eta(since, done, total)}")
        finally:  # an abandoned build (SIGTERM) must not leave render processes behind
            pool.close()
        if not prefinished:
            self.prefinish()
        c.result.rendered.sort(key=lambda issue_id: index.get(issue_id, 0))  # plan order, not finishing order

    def finished(self, issue: Issue, previous: dict[str, Any] | None, outcome: Outcome) -> None:
        """Record an issue whose child ended (or fall back to its last good version)."""
        c = self.ctx
        c.result.children[issue.id] = (outcome.pid, outcome.peak_rss)
        for name, seconds in outcome.timings.items():
            c.result.timings[name] = c.result.timings.get(name, 0.0) + seconds
        if outcome.error:
            self.fail(issue, previous, _outcome_error(outcome), outcome.where)
            return
        for output in outcome.outputs:
            c.release.add(output)
        self.complete(issue, previous, [])

    # -- every issue in this process ---------------------------------------------------------------

    def run_here(self) -> None:
        """Phase one in the build process (``pdf_isolate=false``): one issue after the other."""
        c = self.ctx
        pending: list[tuple[Issue, dict[str, Any] | None, Waits]] = []
        issues = list(c.plan.issues)
        try:
            for n, issue in enumerate(issues, 1):
                started = self.issue(n, len(issues), issue)
                if started is None:
                    continue
                pending.append(started)  # a start()ed render finishes in this process: one at a time
                self.complete(*pending.pop(0))
            # started for issues the plan does not render (found invalid)
            self.cancel_early(c.early.items())
            c.early.clear()
            self.prefinish()  # while the last PDFs render
            while pending:
                self.complete(*pending.pop(0))
        finally:  # an abandoned build (SIGTERM) must not leave render processes behind
            _cancel((e.waits for e in c.early.values()), (waits for _, _, waits in pending))


def _eta(since: float, done: int, total: int) -> str:
    """The time left at the pace so far: ``m:ss`` (``h:mm:ss`` from an hour)."""
    left = round((time.perf_counter() - since) / max(done, 1) * (total - done))
    hours, rest = divmod(left, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _last_good(releases: Releases, publication: Publication, previous: dict[str, Any] | None) -> Issue | None:
    """The issue as it was last published, from its source snapshot."""
    if not previous:
        return None
    try:
        return load.load_issue(releases.root / previous["source"], publication)
    except (ContentError, OSError):
        return None


def _reuse(current_dir: Path, staging: Path, files: list[str]) -> bool:
    """Hard-link an issue's files from the current release (string paths: this runs for every issue)."""
    old, new = str(current_dir), str(staging)
    if not all(os.path.isfile(f"{old}/{rel}") for rel in files):
        return False
    for folder in sorted({os.path.dirname(rel) for rel in files}):
        os.makedirs(f"{new}/{folder}", exist_ok=True)
    for rel in files:
        try:
            os.link(f"{old}/{rel}", f"{new}/{rel}")
        except OSError:
            shutil.copy2(f"{old}/{rel}", f"{new}/{rel}")
    return True


def _snapshot(releases: Releases, plan: _Plan, issue: Issue) -> str:
    """Keep a copy of the issue's sources, so a later broken edit can fall back to it."""
    key = plan.keys[issue.id]
    rel = f"sources/{key[:32]}/{issue.id}"
    target = releases.root / rel
    if not target.exists():
        tmp = Path(tempfile.mkdtemp(prefix=".snap-", dir=releases.root / "sources"))
        for name in issue_files(issue):
            copy = tmp / issue.id / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                copy.write_bytes(read_inside(plan.sources[issue.id], name, MAX_SNAPSHOT_BYTES))
            except ValueError as exc:  # swapped or removed since it was validated
                shutil.rmtree(tmp, ignore_errors=True)
                raise OSError(str(exc)) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / issue.id, target)
        shutil.rmtree(tmp, ignore_errors=True)
    return rel


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _finish(
    staging: Path,
    releases: Releases,
    current: dict[str, Any],
    manifest: dict[str, Any],
    carried: dict[str, str],
    result: BuildResult,
) -> str:
    """Hard-link unchanged files, fsync, move the release into place and switch the link.

    ``carried`` files (the reused issues', already linked and synced) are taken as they are; the rest
    of the release's records (``manifest["types"]``: the staging folder is not walked) is hashed,
    linked to the current release's copy when the bytes are the same, or synced.
    """
    current_dir = releases.release_dir(current["release"]) if current else None
    known = current.get("files", {})
    files: dict[str, str] = dict(carried)
    for rel in sorted(set(manifest["types"]) - set(carried)):  # what the renderers recorded
        path = staging / rel
        old = current_dir / rel if current_dir else None
        if old is not None and rel in known and _same_file(old, path):  # linked from the current release
            files[rel] = known[rel]
            continue
        sha = file_sha(path)
        files[rel] = sha
        if old is not None and old.is_file() and known.get(rel) == sha:
            tmp = path.with_name(f".{path.name}.link")
            os.link(old, tmp)
            os.replace(tmp, path)
            continue
        result.written += 1
        with open(path, "rb") as handle:
            try:
                os.fsync(handle.fileno())
            except OSError as exc:  # delayed write errors surface here
                raise named(exc, path) from exc
    for folder in _folders_of([rel for rel in files if rel not in carried]):
        fsync_dir(staging / folder)
    result.files = len(files)
    release = hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()[:16]
    manifest["release"] = release
    manifest["files"] = files
    manifest["problems"] = _problem_texts(result.problems)
    set_modes(staging)
    target = releases.release_dir(release)
    if target.exists():
        shutil.rmtree(staging)  # the same release exists already (content went back to it)
    else:
        os.replace(staging, target)
    fsync_dir(releases.root)
    compact = json.dumps(manifest, sort_keys=True, separators=(",", ":"))  # the C encoder: no indent
    atomic_write(releases.root / f"{release}.json", compact.encode())
    releases.switch(release)
    return release
