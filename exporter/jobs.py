"""Render issues in parallel: every issue in a fresh child process, at most ``jobs`` at a time.

``exporter build --jobs N`` (the build option ``jobs``, default the CPU count; ``workers`` is its
older name, still accepted): the build process loads, plans, links reused issues and assembles the
edition (archive pages, feeds, catalogs, the release swap); every issue that needs rendering is
rendered, all of its formats (PDF, EPUB, cover, its web pages), by a child process of its own, which
writes the issue's files into the staging release and sends back the records of what it wrote
(:class:`~exporter.release.Output`). N children run at once; when one ends the next issue starts.

The children are started with the multiprocessing **"forkserver"** method, deliberately:

* the build process never imports WeasyPrint (nor ebooklib, nor the PDF code): it holds the archive's
  model and the release records, and its memory does not grow with what was rendered;
* the fork server is a fresh interpreter started once per build process (the CLI, the service) that
  imports the render engines (:data:`PRELOAD`) and does nothing else: no content loaded, no threads,
  no open files of a build. Each issue's child is forked from it, so it starts with the engines
  imported (importing them costs ~0.8 s, a third of an archive issue's render, paid once) and from the
  same clean state whatever the issues before it did (WeasyPrint's and the justifier's caches, a
  fragmented heap), and it returns all of its memory when it exits: the peak memory of a build is
  the build process plus N children, whatever the number of issues;
* plain "fork" from the build process would copy its state (the whole archive's model; a service's
  threads, and forking a threaded process is unsafe) and need the engines imported there or again
  in every child; "spawn" imports everything again for every child.

What a child gets is pickled (:class:`Task`): the publication, its issue, paths, options, and the
renderers by their registry entry (``module:Class``), so a renderer registered at run time is imported
in the child under that name. Inside the child the PDF renders in-process (the child is the isolation),
unless fewer issues are to render than there are jobs: then it renders in a process forked from the
child, beside the issue's other formats, so a lone new issue uses both cores. The build process
enforces the time limit (``pdf_timeout``) on the whole child and kills it after that.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporter.errors import RenderError
from exporter.model import Issue, Publication
from exporter.release import Output, Release

# What the fork server imports before it forks any child (a module that fails to import is skipped).
# Not pypdfium2: it initialises PDFium as it is imported, so each child (the replica) imports it itself.
PRELOAD = [
    "exporter.jobs",
    "exporter.render",
    "exporter.render.pdf",
    "exporter.render.epub",
    "exporter.render.site",
    "exporter.cover",
    "exporter.justify",
    "exporter.jumps",
    "exporter.fetch",
    "exporter.replica",
    "weasyprint",
    "ebooklib.epub",
]
DEFAULT_TIMEOUT = 300.0  # seconds one issue's render may take; options["pdf_timeout"] overrides it


def jobs_option(options: Mapping[str, object]) -> int:
    """The number of render processes: ``jobs`` (or its old name ``workers``), else the CPU count."""
    value = options.get("jobs", options.get("workers"))
    if value is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return max(1, int(str(value)))


def context() -> Any:
    """The forkserver context, its server set to import the render engines once."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


@dataclass
class Task:
    """One issue to render: what its child needs (pickled to it)."""

    publication: Publication
    issue: Issue
    out: Path  # the staging release
    source: Path  # the folder the issue's files are read from
    formats: tuple[str, ...]
    templates_dir: Path
    options: dict[str, object]
    key: str
    renderers: list[tuple[str, str]]  # (name, "module:Class"), in per-issue order
    order: list[str]  # the registry's names (the order downloads are listed in)
    output_root: Path  # the releases folder: an OSError on a path below it means the output is unwritable
    first: str = ""  # the renderer the child starts with (named when it times out before it says)
    overlap: bool = False  # a core is spare: the PDF renders in a process of its own beside the other formats


@dataclass
class Outcome:
    """What a child sends back: the records of the files it wrote, or the error that stopped it."""

    issue: str
    outputs: list[Output] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    error: str = ""
    where: str = ""  # the renderer at work when it failed
    kind: str = ""  # of the error: "render" (RenderError), "os" (OSError) or "bug" (anything else)
    oserror: tuple[int | None, str | None, str | None] | None = None  # (errno, strerror, filename) of an OSError
    pid: int = 0
    peak_rss: int = 0  # KiB, the child's high-water mark (VmHWM)
    seconds: float = 0.0


def _load(spec: str) -> Any:
    module, _, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)()


def _peak_rss() -> int:
    """KiB: this process's high-water mark, or its PDF process's (``overlap``) when that was higher."""
    import resource

    own = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        own = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), own)
    return max(own, int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))


def _first_oserror(exc: BaseException | None) -> OSError | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def render_issue(task: Task, at: Any = None) -> Outcome:
    """Render every per-issue format of ``task.issue`` in this process (the child's work).

    The same steps as an in-process build: renderers with ``start()`` first (their promised records
    let the pages link them), then the others in order, then the started ones are finished.
    ``at(name)`` is told which renderer is at work (the parent names it when the child times out).
    """
    from exporter.render import Job, run_phase

    started = time.perf_counter()
    issue = task.issue
    outcome = Outcome(issue.id, pid=os.getpid())
    release = Release(task.order)
    # This process is the isolation; with a spare core (a single new issue, say) the PDF renders in a
    # process forked from this one while the EPUB and the pages render here, as a lone issue did before.
    options = dict(task.options, pdf_isolate=task.overlap)
    where = ""

    def job(name: str) -> Job:
        return Job(task.publication, (issue,), issue, task.out, {issue.id: task.source}, task.formats,
                   task.templates_dir, options, {issue.id: task.key}, None, release, name)  # fmt: skip

    def step(name: str) -> None:
        nonlocal where
        where = name
        if at is not None:
            at(name)

    def timed(name: str, since: float) -> None:
        outcome.timings[name] = outcome.timings.get(name, 0.0) + time.perf_counter() - since

    try:
        renderers = [(name, _load(spec)) for name, spec in task.renderers]
        finishes: list[tuple[str, Any]] = []
        for name, renderer in renderers:
            if hasattr(renderer, "start"):
                step(name)
                t0, started_job = time.perf_counter(), job(name)
                release.promise(getattr(renderer, "promises", lambda _job: [])(started_job))
                finishes.append((name, renderer.start(started_job)))
                timed(name, t0)
        for name, renderer in renderers:
            if not hasattr(renderer, "start"):
                step(name)
                t0 = time.perf_counter()
                run_phase(renderer, job(name))
                timed(name, t0)
        for name, finish in finishes:
            step(name)
            t0 = time.perf_counter()
            finish()
            timed(name, t0)
        outcome.outputs = release.outputs(issue.id)
    except BaseException as exc:  # everything is reported; the parent decides (a problem, or unwritable)
        outcome.where = where
        if isinstance(exc, RenderError | OSError):
            outcome.error, outcome.kind = str(exc), "render" if isinstance(exc, RenderError) else "os"
        else:
            outcome.kind = "bug"
            outcome.error = f"{where or 'render'} failed: {type(exc).__name__}: {exc}"
        found = _first_oserror(exc)
        if found is not None:
            filename = os.fsdecode(found.filename) if found.filename is not None else None
            outcome.oserror = (
                (found.errno, found.strerror, filename) if found.errno is not None else (None, str(found), None)
            )
    outcome.seconds = time.perf_counter() - started
    outcome.peak_rss = _peak_rss()
    return outcome


def _child(conn: Any, alive: Any, task: Task) -> None:
    # A service's SIGTERM handler is not ours. When the build process dies (even by SIGKILL) the render
    # dies at once instead of running on as an orphan that writes into a staging folder the next build
    # has removed: ``alive``'s other end is held by the build process alone, so it reads EOF then.
    # (The fork server, our parent, exits then too: PR_SET_PDEATHSIG is the second line.)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    gc.freeze()  # the preloaded engines: collections skip them (no copy-on-write of their pages)
    _die_with_parent(os.getppid())
    threading.Thread(target=_exit_on_eof, args=(alive,), daemon=True).start()
    try:
        outcome = render_issue(task, at=lambda name: conn.send(("at", name)))
        conn.send(("done", outcome))
    finally:
        conn.close()


def _exit_on_eof(alive: Any) -> None:
    with contextlib.suppress(BaseException):
        alive.recv()  # nothing is ever sent: this returns only by EOF (or an error)
    os._exit(1)


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


@dataclass
class _Child:
    process: Any
    receiver: Any
    started: float
    alive: Any  # the build process's end of the child's liveness pipe (see _child)
    where: str = ""


class Pool:
    """At most ``jobs`` issue renders at once, each in a fresh child of the fork server."""

    def __init__(self, jobs: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.running: dict[str, _Child] = {}
        self._ctx = context()

    @property
    def full(self) -> bool:
        return len(self.running) >= self.jobs

    def start(self, task: Task) -> None:
        if task.issue.id in self.running:
            raise RuntimeError(f"issue {task.issue.id} is rendering already")
        receiver, sender = self._ctx.Pipe(duplex=False)
        alive_r, alive_w = self._ctx.Pipe(duplex=False)
        # not a daemon: it may fork the PDF render beside the other formats (overlap)
        process = self._ctx.Process(target=_child, args=(sender, alive_r, task), daemon=False)
        started = time.monotonic()
        try:
            process.start()
        finally:
            sender.close()
            alive_r.close()
        self.running[task.issue.id] = _Child(process, receiver, started, alive_w, task.first)

    def cancel(self, issue_id: str) -> None:
        """Kill an issue's render (its files in the staging release are the caller's to remove)."""
        child = self.running.pop(issue_id, None)
        if child is not None:
            _stop(child)

    def close(self) -> None:
        """Kill every render still running (an abandoned or interrupted build)."""
        for issue_id in list(self.running):
            self.cancel(issue_id)

    def wait(self) -> list[Outcome]:
        """Wait until at least one render ends (done, failed, died or timed out); their outcomes."""
        ended: list[Outcome] = []
        while self.running and not ended:
            now = time.monotonic()
            deadline = min(c.started for c in self.running.values()) + self.timeout
            receivers = {c.receiver: issue_id for issue_id, c in self.running.items()}
            ready = multiprocessing.connection.wait(list(receivers), timeout=max(0.0, deadline - now))
            for receiver in ready:
                issue_id = receivers[receiver]
                outcome = self._receive(issue_id, self.running[issue_id])
                if outcome is not None:
                    ended.append(outcome)
            now = time.monotonic()
            for issue_id, child in list(self.running.items()):
                if issue_id not in {o.issue for o in ended} and now - child.started >= self.timeout:
                    self.cancel(issue_id)
                    ended.append(
                        Outcome(issue_id, where=child.where, error=f"render did not finish within {self.timeout:g} s "
                                "(pdf_timeout); the render process was killed")
                    )  # fmt: skip
        return ended

    def _receive(self, issue_id: str, child: _Child) -> Outcome | None:
        try:
            kind, value = child.receiver.recv()
        except (EOFError, OSError):
            self.running.pop(issue_id, None)
            _stop(child)
            return Outcome(issue_id, where=child.where,
                           error=f"the render process died (exit code {child.process.exitcode})")  # fmt: skip
        if kind == "at":
            child.where = value
            return None
        self.running.pop(issue_id, None)
        child.receiver.close()
        child.alive.close()
        child.process.join(10)
        if child.process.is_alive():
            child.process.kill()
            child.process.join(5)
        outcome: Outcome = value
        return outcome


def _stop(child: _Child) -> None:
    with contextlib.suppress(Exception):
        child.process.kill()
        child.process.join(5)
    with contextlib.suppress(Exception):
        child.receiver.close()
    with contextlib.suppress(Exception):
        child.alive.close()
