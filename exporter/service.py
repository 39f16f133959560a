"""The publishing service an editor leaves running: watch, rebuild, publish on time, serve.

``schedule.py`` and ``exporter run`` start it. The wiring::

    watchdog Observer ──events──▶ notify(): note the time; (re)schedule the "rebuild" date job
                                  DEBOUNCE seconds ahead, so a burst of writes is one rebuild
    APScheduler BackgroundScheduler (memory job store, the publication's time zone)
        "rebuild"    date job      debounced rebuild after changes; also the reconcile at start-up
        "reconcile"  interval job  safety net: inotify drops events (queue overflow, network shares)
        "embargo"    date job      at BuildResult.next_embargo, in the publication's zone
    every job runs _run(): one build at a time. A trigger that arrives during a build marks the
    service dirty and the running job makes another pass afterwards (APScheduler itself drops a
    trigger while a job is at max_instances, so that must not be the only record of a change).
    uvicorn in the main thread serves OUT (exporter.serve) with the service state on /_status
    (loopback only unless ``status_from`` widens it; embargoed issues as a count, no paths).

Publishing rules:

- nothing is built until the content folder has been quiet for DEBOUNCE seconds (no watch events,
  no file modified more recently), so a half-copied issue is not read mid-copy; what is then still
  incomplete fails validation and build() skips it (a previously published issue stays at its last
  good version) while the rest keeps publishing. Hidden names (``.x``) are ignored: copy an issue to
  ``.2026-04-06/`` and rename it for an atomic drop;
- an issue whose publish time is ahead stays out of every output (build() hides it); the "embargo"
  job rebuilds at that time;
- SIGTERM / SIGINT: stop serving, stop watching, abandon the build at its next issue boundary (its
  staging folder is removed; the last complete release stays in place), wait at most STOP_TIMEOUT
  seconds, then exit 0. A build killed outright (kill -9) leaves only a staging folder, which the
  next build removes: the output link only ever points at a complete release.

Logs are one line per event, ``key=value`` after a short tag, for grep: ``build status=published
trigger=watch release=… rendered=2026-04-06 … timings=site:0.120,null:0.001`` and one
``problem issue=<id> status=skipped|kept <file>: <field>: <message> [code]`` line per problem.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from exporter import load
from exporter.errors import ContentError, ExporterError
from exporter.publish import BuildResult, Releases, build
from exporter.render import DEFAULT_FORMATS

log = logging.getLogger("exporter.service")

DEFAULT_ZONE = "Asia/Shanghai"
JOB_DEFAULTS = {
    "coalesce": True,  # a backlog of missed runs is one run
    "max_instances": 1,  # never two runs of one job; _run serialises the different jobs too
    "misfire_grace_time": 600,  # the default (1 s) silently skips a run that starts late
}
# The events that can change content; "opened"/"closed_no_write" (our own reads) are not asked for.
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
    DirCreatedEvent, DirMovedEvent, DirDeletedEvent,
]  # fmt: skip


@dataclass
class Settings:
    content: Path
    out: Path
    formats: tuple[str, ...] = DEFAULT_FORMATS
    host: str = "127.0.0.1"
    port: int = 8000
    debounce: float = 2.0  # seconds of quiet before a rebuild
    reconcile: float = 60.0  # seconds between safety-net rebuilds
    stop_timeout: float = 10.0  # seconds a shutdown waits for a build to stop
    max_wait: float = 120.0  # build anyway after waiting this long for quiet (a file written forever)
    access_log: bool = False
    options: dict[str, object] = field(default_factory=dict)
    status_from: tuple[str, ...] = ()  # networks that may read /_status; () is loopback only


class BuildAbandoned(Exception):
    """Raised from build()'s progress callback when the service stops; build() removes its staging."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _ids(ids: list[str]) -> str:
    return ",".join(ids) or "-"


def _one_line(text: str) -> str:
    return " | ".join(line.strip() for line in str(text).splitlines() if line.strip())


class _Watcher(FileSystemEventHandler):
    def __init__(self, service: Service) -> None:
        self.service = service

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path)]
        if event.dest_path:
            paths.append(os.fsdecode(event.dest_path))
        self.service.notify(paths, event.event_type)


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.content = Path(os.path.abspath(settings.content))
        self.out = Path(os.path.abspath(settings.out))
        self.releases_root = Releases(self.out).root
        self.zone = self._zone()
        self.scheduler = BackgroundScheduler(
            timezone=self.zone, job_defaults=JOB_DEFAULTS, executors={"default": ThreadPoolExecutor(4)}
        )
        self.observer: Any = None
        self.server: Any = None
        self._lock = threading.Lock()  # guards the fields below
        self._running = False
        self._pending = False
        self._last_event = float("-inf")  # time.monotonic() of the last content event
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self.state = "starting"
        self.started = datetime.now(UTC)
        self.builds = 0
        self.last_build: dict[str, Any] | None = None
        self.last_error: dict[str, str] | None = None
        self.next_embargo: datetime | None = None
        self._logged_problems: dict[str, list[str]] | None = None

    # -- time zone -------------------------------------------------------------------------------

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(load.load_publication(self.content).timezone)
        except (ContentError, OSError, ValueError):
            return ZoneInfo(DEFAULT_ZONE)

    # -- events ----------------------------------------------------------------------------------

    def _ignored(self, path: str) -> bool:
        try:
            rel = Path(path).relative_to(self.content)
        except ValueError:
            return True
        target = self.content / rel
        if target == self.out or self.releases_root in target.parents or target == self.releases_root:
            return True
        return any(part.startswith(".") for part in rel.parts)

    def notify(self, paths: list[str], kind: str = "changed") -> None:
        """A file in the content folder changed: rebuild once it has been quiet for a while."""
        if all(self._ignored(p) for p in paths):
            return
        with self._lock:
            self._last_event = time.monotonic()
            self._pending = True
            running = self._running
        log.debug("watch event=%s path=%s", kind, paths[-1])
        if not running and not self._stop.is_set():
            self._schedule("rebuild", self.settings.debounce, "watch")

    def _schedule(self, job_id: str, delay: float, trigger: str) -> None:
        run_date = datetime.now(self.zone) + timedelta(seconds=delay)
        self.scheduler.add_job(self._run, "date", run_date=run_date, args=[trigger], id=job_id, replace_existing=True)

    def _newest_mtime(self) -> float:
        newest = 0.0
        skip = {str(self.releases_root), str(self.out)}
        for folder, dirs, files in os.walk(self.content):
            dirs[:] = [d for d in dirs if not d.startswith(".") and os.path.join(folder, d) not in skip]
            for name in files:
                if name.startswith("."):
                    continue
                try:
                    newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
                except OSError:
                    continue
        return newest

    def quiet_remaining(self) -> float:
        """Seconds until the content has been quiet for ``debounce`` seconds (0: build now)."""
        debounce = self.settings.debounce
        with self._lock:
            remaining = debounce - (time.monotonic() - self._last_event)
        age = time.time() - self._newest_mtime()
        if 0 <= age < debounce:  # a file written just now (events may be lost); future mtimes ignored
            remaining = max(remaining, debounce - age)
        return max(0.0, remaining)

    # -- building --------------------------------------------------------------------------------

    def _run(self, trigger: str) -> None:
        """Every job's body: build when quiet; build again if something changed meanwhile."""
        with self._lock:
            if self._running:
                if trigger != "reconcile":  # a reconcile adds nothing to a build under way
                    self._pending = True
                return
            self._running = True
            self._idle.clear()
        try:
            waited = 0.0
            while not self._stop.is_set():
                wait = self.quiet_remaining()
                if wait > 0 and waited < self.settings.max_wait:
                    wait = min(wait, self.settings.max_wait - waited) + 0.05
                    waited += wait
                    if self._stop.wait(wait):
                        break
                    continue
                with self._lock:
                    self._pending = False
                self._build(trigger)
                with self._lock:
                    if not self._pending or self._stop.is_set():
                        self._running = False
                        self._idle.set()
                        return
                trigger, waited = "changed-during-build", 0.0
        finally:
            with self._lock:
                self._running = False
                self._idle.set()

    def _progress(self, message: str) -> None:
        if self._stop.is_set():
            raise BuildAbandoned(message)
        log.debug("progress %s", message)

    def _build(self, trigger: str) -> None:
        self.state = "building"
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        try:
            result = build(
                self.content,
                self.out,
                self.settings.formats,
                now=datetime.now(UTC),
                progress=self._progress,
                options=self.settings.options,
            )
        except BuildAbandoned as exc:
            log.warning("build status=abandoned trigger=%s at=%s (the last complete release stays)", trigger, exc)
            return
        except ExporterError as exc:
            self._failed(trigger, started, f"{type(exc).__name__}: {_one_line(str(exc))}", traceback=False)
            return
        except Exception as exc:
            self._failed(trigger, started, f"{type(exc).__name__}: {_one_line(str(exc))}", traceback=True)
            return
        finally:
            self.state = "stopping" if self._stop.is_set() else "idle"
        self._record(trigger, started, time.perf_counter() - t0, result)
        self._schedule_embargo(result.next_embargo)

    def _failed(self, trigger: str, started: datetime, message: str, traceback: bool) -> None:
        repeated = self.last_error is not None and self.last_error.get("message") == message
        self.last_error = {"at": _iso(datetime.now(UTC)) or "", "trigger": trigger, "message": message}
        self.builds += 1
        if repeated:
            log.warning("build status=failed trigger=%s error=%s (again)", trigger, message)
        else:
            log.error("build status=failed trigger=%s error=%s", trigger, message, exc_info=traceback)

    def _record(self, trigger: str, started: datetime, seconds: float, result: BuildResult) -> None:
        problems = {issue: [str(p) for p in ps] for issue, ps in sorted(result.problems.items())}
        news = result.changed or problems != self._logged_problems or trigger == "startup"
        status = "published" if result.changed else "unchanged"
        timings = ",".join(f"{name}:{secs:.3f}" for name, secs in result.timings.items()) or "-"
        log.log(
            logging.INFO if news else logging.DEBUG,
            "build status=%s trigger=%s release=%s rendered=%s reused=%s kept=%s embargoed=%s errors=%d "
            "files=%d written=%d seconds=%.3f timings=%s",
            status, trigger, result.release or "-", _ids(result.rendered), _ids(result.reused), _ids(result.kept),
            _ids(result.embargoed), len(problems), result.files, result.written, seconds, timings,
        )  # fmt: skip
        if news:
            for issue, lines in problems.items():
                kept = "kept" if issue in result.kept else "skipped"
                for line in lines:
                    log.warning("problem issue=%s status=%s %s", issue, kept, line)
        self._logged_problems = problems
        self.builds += 1
        self.last_error = None
        self.last_build = {
            "trigger": trigger,
            "started": _iso(started),
            "seconds": round(seconds, 3),
            "status": status,
            "release": result.release,
            "rendered": result.rendered,
            "reused": result.reused,
            "kept": result.kept,
            "embargoed": len(result.embargoed),  # a count: /_status must not tell what is coming
            "problems": problems,
            "timings": {k: round(v, 3) for k, v in result.timings.items()},
            "summary": result.summary(),
        }

    def _schedule_embargo(self, when: datetime | None) -> None:
        previous, self.next_embargo = self.next_embargo, when
        if when is None:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job("embargo")
            return
        run_date = max(when, datetime.now(UTC)).astimezone(self.zone)
        self.scheduler.add_job(self._run, "date", run_date=run_date, args=["embargo"], id="embargo",
                               replace_existing=True)  # fmt: skip
        if when != previous:
            log.info("embargo next=%s", run_date.isoformat(timespec="seconds"))

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        jobs = []
        for job in self.scheduler.get_jobs():
            jobs.append({"id": job.id, "next_run": _iso(getattr(job, "next_run_time", None))})
        return {
            "state": self.state,
            "started": _iso(self.started),
            "formats": list(self.settings.formats),
            "builds": self.builds,
            "last_build": self.last_build,
            "last_error": self.last_error,
            "next_embargo": _iso(self.next_embargo.astimezone(self.zone)) if self.next_embargo else None,
            "jobs": sorted(jobs, key=lambda j: str(j["id"])),
        }

    # -- running ---------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():
            if signum == signal.SIGINT:
                log.warning("stop signal=SIGINT again: exiting now (the last complete release stays)")
                logging.shutdown()
                os._exit(130)
            return
        log.info("stop signal=%s", signal.Signals(signum).name)
        self._stop.set()
        if self.server is not None:
            self.server.should_exit = True

    def run(self) -> int:
        """Start everything, serve until SIGTERM/SIGINT, stop cleanly; the exit status."""
        import uvicorn

        from exporter.serve import create_app, server_config

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        s = self.settings
        app = create_app(self.out, status=self.status, status_from=s.status_from, private=[self.content])
        config = server_config(app, host=s.host, port=s.port, log_config=None, access_log=s.access_log)
        try:
            sock = config.bind_socket()  # first: a taken port fails before anything is built
        except SystemExit:
            log.error("service cannot listen on %s:%d", s.host, s.port)
            return 1
        log.info("service starting content=%s out=%s formats=%s zone=%s debounce=%.1fs reconcile=%.0fs",
                 self.content, self.out, ",".join(s.formats), self.zone.key, s.debounce, s.reconcile)  # fmt: skip
        self.scheduler.start()
        self.scheduler.add_job(self._run, "interval", seconds=s.reconcile, args=["reconcile"], id="reconcile")
        self._schedule("rebuild", 0, "startup")
        self.observer = Observer()
        self.observer.schedule(_Watcher(self), str(self.content), recursive=True, event_filter=WATCHED_EVENTS)
        self.observer.start()
        self.server = uvicorn.Server(config)
        try:
            if not self._stop.is_set():
                self.server.run(sockets=[sock])
        finally:
            sock.close()
            self.shutdown()
        return 0

    def shutdown(self) -> None:
        self._stop.set()
        self.state = "stopping"
        if self.observer is not None:
            self.observer.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if not self._idle.wait(self.settings.stop_timeout):
            log.warning(
                "stopped build=abandoned after=%.0fs (the last complete release stays)", self.settings.stop_timeout
            )
            logging.shutdown()
            os._exit(0)
        if self.observer is not None:
            self.observer.join(timeout=5)
        log.info("stopped builds=%d", self.builds)


def configure_logging(level: str = "INFO") -> None:
    """One line per event on stderr, UTC timestamps (journald and docker add their own too)."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "watchdog", "weasyprint.progress", "fontTools"):  # per-step chatter
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
