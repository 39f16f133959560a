"""Distributed render on RQ and Redis: ``exporter worker`` renders issues into the render cache; ``exporter
build --broker`` sends it the issues the cache lacks, waits, then assembles the edition locally.

Why RQ: its worker forks a fresh work-horse process per job, so every issue renders in a new process
(WeasyPrint keeps whole documents, fonts and caches in memory; a horse's memory is returned when it
exits) and a job over its time limit is killed with its horse. Retries, per-job time limits and the
registries of started and failed jobs are RQ's, on a Redis the user already runs.

A job names the content folder, the issue and its key; the machines share the content folder and the
render cache (NFS, say) at the same paths (a worker's ``--cache`` may name its own mount of the cache).
The worker computes the key again from the files it sees, with its own code, templates, fonts and
tools, and renders only when it is the build's key: a worker on another version, or content changed
since, cannot put wrong bytes under the key. Payloads and results are JSON (RQ's JSON serializer), so
a job from the broker is never unpickled.

A worker whose machine dies leaves its job in RQ's started registry: its heartbeat is short (twice
``--heartbeat``), and the waiting build cleans the registry every few seconds, so the job is retried by
another worker (RQ Retry) soon after, or reported when its retries are spent.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from exporter.rendercache import RenderCache

if TYPE_CHECKING:
    from redis import Redis
    from rq.job import Job as RqJob

    from exporter.publish import BuildResult, Releases, _Plan

QUEUE = "exporter-render"
DEFAULT_JOB_TIMEOUT = 600.0  # seconds one issue may take on a worker (the option job_timeout)
DEFAULT_RETRIES = 2  # further tries of a job that failed on a worker (the option job_retries)
POLL = 0.25  # seconds between looks at the jobs
DONE = "done"
CLEANUP = 2.0  # seconds between cleanups of the started registry (jobs of dead workers)
NO_WORKER = 60.0  # seconds a build waits with no worker on the queue before it gives up

_cache_override: Path | None = None  # set by `exporter worker --cache`: this machine's mount of the cache


class BrokerError(ValueError):
    """A broker URL that is not a Redis URL, or a broker that does not answer."""


def connect(url: str) -> Redis:
    """A Redis connection for ``redis://HOST:PORT/DB`` (or ``rediss://``, ``unix://``), checked with PING."""
    from redis import Redis
    from redis.exceptions import RedisError

    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise BrokerError(f"{url}: a broker is a Redis URL such as redis://127.0.0.1:6379/0")
    try:
        connection = Redis.from_url(url)
        connection.ping()
    except (RedisError, ValueError, OSError) as exc:
        raise BrokerError(f"{url}: the broker does not answer: {exc}") from None
    return connection


def _serializer() -> Any:
    from rq.serializers import JSONSerializer

    return JSONSerializer


# -- the worker side --------------------------------------------------------------------------------


def render_job(payload: dict[str, Any]) -> dict[str, Any]:
    """The RQ job (runs in the work-horse): render one issue into the render cache."""
    cache = _cache_override or Path(payload["cache"])
    issue, key = str(payload.get("issue", "")), str(payload.get("key", ""))
    if not issue or "/" in issue or "\0" in issue or issue.startswith(".") or not _is_key(key):
        return {"status": "stale", "where": "", "error": f"refused: {issue!r} is not an issue id, or {key!r} no key"}
    return render_to_cache(
        Path(payload["content"]), payload["issue"], payload["key"], cache, tuple(payload["formats"]),
        dict(payload["options"]), Path(payload["templates"]),
    )  # fmt: skip


def _is_key(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def render_to_cache(
    content: Path,
    issue_id: str,
    key: str,
    cache_dir: Path,
    formats: tuple[str, ...],
    options: dict[str, object],
    templates_dir: Path,
) -> dict[str, Any]:
    """Render the issue into the cache under ``key``, after checking that its files here give that key.

    Returns ``{"status": "cached" | "rendered" | "stale" | "failed", "where": renderer, "error": text}``;
    a renderer's error is a result (the same render would fail again: not retried), anything else
    raises, and RQ retries the job.
    """
    import hashlib

    from exporter import load
    from exporter.errors import ContentError, RenderError
    from exporter.publish import _issue_key, environment_key, files_key
    from exporter.release import Release
    from exporter.render import REGISTRY, Job, get, order, run_phase

    started = time.perf_counter()
    cache = RenderCache(cache_dir)
    if key in cache:
        return {"status": "cached"}
    base_url = str(options["base_url"]) if options.get("base_url") else None
    renderers = order([get(name) for name in formats])
    env_key = environment_key(formats, templates_dir, renderers, options)
    folder = content / issue_id
    scratch = Path(tempfile.mkdtemp(prefix=".exporter-worker-"))
    try:
        try:
            publication = load.load_publication(content, base_url)
            pub_text = load.publication_bytes(content, base_url)
            fingerprint = load.IssueCache(scratch, pub_text).key(folder)
            issue = load.load_issue(folder, publication)
            pub_hash = hashlib.sha256(pub_text).hexdigest()
            mine = (
                _issue_key(env_key, pub_hash, issue_id, fingerprint)
                if fingerprint
                else files_key(env_key, pub_hash, issue, folder)
            )
        except ContentError as exc:
            return {"status": "stale", "where": "", "error": f"the worker cannot load the issue: {exc}"}
        except OSError as exc:
            return {"status": "stale", "where": "", "error": f"the worker cannot read the issue: {exc}"}
        if mine != key:
            return {"status": "stale", "where": "",
                    "error": "the worker computes another key for the issue: its content changed since the "
                    "build, or the worker runs other code, templates, fonts or tool versions"}  # fmt: skip
        cache.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".render-", dir=cache.root))
        release = Release(list(REGISTRY))
        where = ""
        waits: list[Callable[..., Any]] = []

        def job(renderer: Any) -> Job:
            return Job(publication, (issue,), issue, staging, {issue_id: folder}, formats, templates_dir, options,
                       {issue_id: key}, None, release, renderer.name)  # fmt: skip

        try:
            for renderer in renderers:  # background renders (the PDF) first, as the local build does
                if hasattr(renderer, "start"):
                    where = renderer.name
                    release.promise(getattr(renderer, "promises", lambda _job: [])(job(renderer)))
                    waits.append(renderer.start(job(renderer)))
            for renderer in renderers:
                if not hasattr(renderer, "start"):
                    where = renderer.name
                    run_phase(renderer, job(renderer))
            names = [r.name for r in renderers if hasattr(r, "start")]
            while waits:
                where = names.pop(0)
                waits.pop(0)()
            cache.store(key, issue_id, staging, release.outputs(issue_id))
        except RenderError as exc:
            return {"status": "failed", "where": where, "error": str(exc)}
        finally:
            for finish in waits:  # left when a format failed
                with contextlib.suppress(Exception):
                    finish(cancel=True)
            shutil.rmtree(staging, ignore_errors=True)
        return {"status": "rendered", "seconds": round(time.perf_counter() - started, 3)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def preload(formats: tuple[str, ...]) -> None:
    """Do once in the worker what every job needs, so each forked horse starts with it: import the pipeline,
    the renderers and WeasyPrint's modules (imported only, as the local build's parent does before it forks
    its PDF children: no document, no font is loaded here), hash the package's code (frozen: the keys say
    what code this worker runs), and find the fonts (their fingerprint is part of the key)."""
    import exporter.publish  # noqa: F401
    from exporter import fonts, load
    from exporter.cache import freeze_package
    from exporter.render import get

    renderers = [get(name) for name in formats]
    if any(hasattr(renderer, "start") for renderer in renderers):
        import weasyprint  # noqa: F401
    freeze_package()
    load._loader_code_hash()
    for renderer in renderers:
        fingerprint = getattr(renderer, "fingerprint", None)
        if fingerprint is not None:
            fingerprint()
    fonts.fingerprint()


def run_worker(
    broker: str, cache: Path | None = None, name: str | None = None, burst: bool = False, heartbeat: int = 10
) -> bool:
    """Run an RQ worker on the render queue until SIGTERM (or, ``burst``, until the queue is empty)."""
    from rq import Queue, Worker

    from exporter.render import DEFAULT_FORMATS

    global _cache_override
    _cache_override = Path(os.path.abspath(cache)) if cache is not None else None
    connection = connect(broker)
    preload(DEFAULT_FORMATS)

    class RenderWorker(Worker):
        def get_heartbeat_ttl(self, job: RqJob) -> int:
            """RQ waits a minute past the monitoring interval before it calls a silent worker's job abandoned;
            here twice the interval, so a job of a dead machine is tried again soon."""
            interval = self.job_monitoring_interval
            if job.timeout and job.timeout > 0:
                interval = max(1, min(interval, int(job.timeout - self.current_job_working_time)))
            return int(interval + 2 * self.job_monitoring_interval)

    queue = Queue(QUEUE, connection=connection, serializer=_serializer())
    worker = RenderWorker([queue], connection=connection, name=name, serializer=_serializer(),
                          job_monitoring_interval=heartbeat)  # fmt: skip
    return bool(worker.work(burst=burst, logging_level="INFO", with_scheduler=False))


# -- the build side ---------------------------------------------------------------------------------


def render_missing(
    broker: str,
    cache: RenderCache,
    content_root: Path,
    plan: _Plan,
    current: dict[str, Any],
    releases: Releases,
    formats: tuple[str, ...],
    templates_dir: Path,
    options: dict[str, object],
    say: Callable[[str], None],
    result: BuildResult,
) -> dict[str, tuple[str, str, bool]]:
    """Send the workers every issue the build must render that the cache lacks, and wait for them.

    Returns the issues that failed: issue id → (renderer, reason, whether the same render fails again).
    """
    from rq import Queue, Retry, Worker
    from rq.job import Job as RqJob
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry
    from rq.worker_registration import clean_worker_registry

    from exporter.cache import Memo
    from exporter.errors import PublishError
    from exporter.publish import remembered_failure

    root = Path(os.path.abspath(content_root))
    failures = Memo(releases.root / "render-cache")  # looked up only
    published = current.get("issues", {})
    wanted = []
    for issue in plan.issues:
        key = plan.keys[issue.id]
        if os.path.abspath(plan.sources[issue.id]) != str(root / issue.id):
            continue  # kept at its last good version, from its snapshot: the local render does it
        if published.get(issue.id, {}).get("key") == key or key in cache:
            continue
        if remembered_failure(failures, key, options) is not None:
            continue
        wanted.append(issue)
    if not wanted:
        return {}
    try:
        connection = connect(broker)
    except BrokerError as exc:
        raise PublishError(str(exc)) from None
    serializer = _serializer()
    queue = Queue(QUEUE, connection=connection, serializer=serializer)
    timeout = max(1, round(float(options.get("job_timeout", DEFAULT_JOB_TIMEOUT))))  # type: ignore[arg-type]
    retries = int(options.get("job_retries", DEFAULT_RETRIES))  # type: ignore[call-overload]
    shared = {"content": str(root), "cache": str(cache.root), "formats": list(formats),
              "options": dict(options), "templates": str(Path(templates_dir).resolve())}  # fmt: skip
    data = [
        Queue.prepare_data(
            render_job, args=({**shared, "issue": issue.id, "key": plan.keys[issue.id]},), timeout=timeout,
            result_ttl=86400, failure_ttl=86400, description=f"render issue {issue.id}",
            retry=Retry(max=retries) if retries else None,
        )
        for issue in wanted
    ]  # fmt: skip
    jobs = queue.enqueue_many(data)
    result.queued = [issue.id for issue in wanted]
    pending = {job.id: issue.id for job, issue in zip(jobs, wanted, strict=True)}
    failed: dict[str, tuple[str, str, bool]] = {}
    total, begun, cleaned = len(pending), time.monotonic(), 0.0
    heard = begun  # when a worker was last seen on the queue
    try:
        while pending:
            time.sleep(POLL)
            if time.monotonic() - cleaned > CLEANUP:  # retry the jobs of workers that died
                StartedJobRegistry(queue=queue).cleanup()
                cleaned = time.monotonic()
                clean_worker_registry(queue)  # forget workers whose key expired (dead ones)
                if Worker.count(queue=queue):
                    heard = cleaned
                elif cleaned - heard > NO_WORKER:
                    raise PublishError(
                        f"no exporter worker has listened on {broker} for {NO_WORKER:.0f}s; {len(pending)} of "
                        f"{total} issues not rendered. Start one: exporter worker --broker {broker}"
                    )
            ids = list(pending)
            for job_id, job in zip(ids, RqJob.fetch_many(ids, connection=connection, serializer=serializer),
                                   strict=True):  # fmt: skip
                issue_id = pending[job_id]
                outcome = _outcome(job, cache, issue_id, plan.keys[issue_id], retries, JobStatus)
                if outcome is None:
                    continue
                del pending[job_id]
                if not isinstance(outcome, str):
                    failed[issue_id] = outcome
            done = total - len(pending)
            elapsed = time.monotonic() - begun
            eta = f", about {elapsed / done * (total - done):.0f}s left" if done else ""
            say(f"workers: {done}/{total} issues done{eta}")
    except BaseException:  # interrupted: take back what no worker started
        for job_id in pending:
            with contextlib.suppress(Exception):
                RqJob.fetch(job_id, connection=connection, serializer=serializer).cancel()
        raise
    return failed


def _outcome(
    job: RqJob | None, cache: RenderCache, issue_id: str, key: str, retries: int, status: Any
) -> tuple[str, str, bool] | str | None:
    """None: still on its way; DONE: in the cache; else (renderer, reason, fails again) of a failed job."""
    if job is None:
        return "", "the job vanished from the broker (was it flushed?)", False
    state = job.get_status(refresh=False)
    if state == status.FINISHED:
        value = job.return_value(refresh=True) or {}
        if value.get("status") in ("rendered", "cached"):
            if key in cache:
                return DONE
            return ("", f"a worker rendered it, but it is not in the render cache {cache.root}: do the "
                    "workers and the build share that folder (exporter worker --cache)?", False)  # fmt: skip
        return (
            str(value.get("where", "")),
            str(value.get("error", "failed on a worker")),
            value.get("status") == "failed",
        )
    if state in (status.FAILED, status.STOPPED, status.CANCELED):
        latest = job.latest_result()
        text = (latest.exc_string if latest is not None else None) or job.exc_info or ""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else str(state)
        if "AbandonedJobError" in reason:
            reason = "its worker stopped answering (killed, or its machine died)"
        tries = f" after {retries + 1} tries" if retries else ""
        return "", f"failed on the workers{tries}: {reason}", False
    return None
