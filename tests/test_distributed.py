"""The render cache and the distributed render: a real redis-server and real `exporter worker` processes.

The fixture starts redis-server on a free loopback port without persistence and stops it after; the
workers are `exporter worker` subprocesses (RQ workers forking one work-horse per issue). No mocks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CORPUS_ID, SEED_ID, tree_bytes

from exporter.distributed import QUEUE
from exporter.publish import BuildResult, build
from exporter.rendercache import RenderCache

pytestmark = pytest.mark.slow

NOW = datetime.fromisoformat("2026-07-01T00:00:00+08:00")
SAMPLE_ID = "2026-03-23"
EXPORTER = str(Path(sys.executable).with_name("exporter"))


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc: each process's parent)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """redis-server on a free loopback port, no persistence (no RDB, no AOF), in a private folder."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: `make test-setup` installs it (APT_TEST)")
    port = _free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    client = Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except OSError:
                time.sleep(0.05)
            except Exception:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


class Workers:
    def __init__(self, url: str, logs: Path) -> None:
        self.url, self.logs = url, logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *extra: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the worker writes it until stopped
        self.processes[name] = subprocess.Popen(
            [EXPORTER, "worker", "--broker", self.url, "--name", name, "--heartbeat", "1", *extra],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,  # its own group: horse and PDF child
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # RQ logs to stdout: see each line as it is written
        )  # fmt: skip
        log.close()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text("utf-8", "replace")

    def kill(self, name: str) -> None:
        """SIGKILL the worker, its work-horse and the horse's PDF child (a machine that died). RQ starts each
        horse in a session of its own, so the worker's process group is not enough: kill every descendant."""
        process = self.processes[name]
        family = [process.pid, *_descendants(process.pid)]
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)  # none may finish the job (or start another) meanwhile
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def workers(broker: str, tmp_path: Path) -> Iterator[Workers]:
    """Two `exporter worker` processes on the broker."""
    logs = tmp_path / "worker-logs"
    logs.mkdir()
    group = Workers(broker, logs)
    try:
        group.start("w1")
        group.start("w2")
        yield group
    finally:
        group.stop()


def _queued(url: str) -> int:
    from redis import Redis

    with Redis.from_url(url) as client:
        return int(client.llen(f"rq:queue:{QUEUE}"))


def test_a_build_with_a_cache_takes_rendered_issues_from_it(tmp_path: Path, content: Path) -> None:
    """Local build with --cache: every issue goes in; a build into another output takes them all, byte-identical."""
    cache = tmp_path / "cache"
    first = build(content, tmp_path / "a", now=NOW, cache=cache)
    assert first.ok and sorted(first.rendered) == [SAMPLE_ID, SEED_ID] and not first.cached
    entries = sorted(p.name for p in cache.glob("*/*") if not p.name.startswith("."))
    assert len(entries) == 2
    second = build(content, tmp_path / "b", now=NOW, cache=cache)
    assert second.ok and not second.rendered and sorted(second.cached) == [SAMPLE_ID, SEED_ID]
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    assert second.release == first.release


def test_a_damaged_cache_entry_is_rendered_again(tmp_path: Path, content: Path) -> None:
    shutil.rmtree(content / SAMPLE_ID)
    cache = tmp_path / "cache"
    first = build(content, tmp_path / "a", ("epub", "site"), now=NOW, cache=cache)
    (entry,) = [p for p in cache.glob("*/*") if not p.name.startswith(".")]
    epub = next(entry.rglob("*.epub"))
    epub.unlink()
    epub.write_bytes(b"truncated")  # a short copy on a network file system
    second = build(content, tmp_path / "b", ("epub", "site"), now=NOW, cache=cache)
    assert second.ok and second.rendered == [SEED_ID] and not second.cached
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b") and second.release == first.release


def test_workers_render_what_a_local_build_renders_byte_for_byte(
    tmp_path: Path, content: Path, broker: str, workers: Workers
) -> None:
    local = build(content, tmp_path / "local", now=NOW)
    assert local.ok
    cache = tmp_path / "cache"
    queued = build(content, tmp_path / "queued", now=NOW, cache=cache, broker=broker)
    assert queued.ok, queued.problems
    assert sorted(queued.queued) == [SAMPLE_ID, SEED_ID]  # both issues went to the workers ...
    assert not queued.rendered and sorted(queued.cached) == [SAMPLE_ID, SEED_ID]  # ... none rendered here
    assert tree_bytes(tmp_path / "queued") == tree_bytes(tmp_path / "local")
    assert queued.release == local.release
    assert "Job OK" in workers.log("w1") + workers.log("w2")
    # A second build (another output, the same cache) enqueues nothing and publishes the same release.
    again = build(content, tmp_path / "again", now=NOW, cache=cache, broker=broker)
    assert again.ok and again.queued == [] and _queued(broker) == 0
    assert again.release == local.release and tree_bytes(tmp_path / "again") == tree_bytes(tmp_path / "local")


def test_cli_build_with_broker_and_worker_with_its_own_cache_path(
    tmp_path: Path, content: Path, broker: str, workers: Workers
) -> None:
    """`exporter build --broker --cache`; a worker that names its own mount of the cache (a link here)."""
    workers.stop()
    cache = tmp_path / "cache"
    cache.mkdir()
    mount = tmp_path / "mount"
    mount.symlink_to(cache)
    workers.start("w3", "--cache", str(mount))
    shutil.rmtree(content / SAMPLE_ID)
    command = [EXPORTER, "build", "--content", str(content), "--out", str(tmp_path / "out"), "--format", "epub",
               "--format", "site", "--cache", str(cache), "--broker", broker]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "1 from the render cache (1 rendered by workers)" in done.stdout
    assert (tmp_path / "out" / "issues" / SEED_ID / "index.html").is_file()
    assert "Job OK" in workers.log("w3")
    usage = subprocess.run([EXPORTER, "build", "--content", str(content), "--broker", broker], capture_output=True,
                           text=True, timeout=60, check=False)  # fmt: skip
    assert usage.returncode == 2 and "--broker needs --cache" in usage.stderr


def test_a_failing_issue_is_reported_and_the_rest_publish(
    tmp_path: Path, content: Path, broker: str, workers: Workers
) -> None:
    from tests.test_pdf import a_char_outside_the_chain

    char = a_char_outside_the_chain(elsewhere=False)
    article = content / SEED_ID / "ai-plus-industry-forum.md"
    article.write_text(article.read_text("utf-8").replace("论坛现场", f"捷克代表{char}apek在论坛现场"), "utf-8")
    result = build(content, tmp_path / "out", now=NOW, cache=tmp_path / "cache", broker=broker)
    assert sorted(result.queued) == [SAMPLE_ID, SEED_ID]
    (problem,) = result.problems[SEED_ID]
    assert problem.code == "E401" and problem.file == f"{SEED_ID}/" and problem.field == "pdf"
    assert "ai-plus-industry-forum: no glyph" in problem.message and f"U+{ord(char):04X}" in problem.message
    assert result.cached == [SAMPLE_ID]
    assert (tmp_path / "out" / "issues" / SAMPLE_ID / "index.html").is_file()
    assert not (tmp_path / "out" / "issues" / SEED_ID).exists()
    # a renderer's error is the issue's: the same render is not sent again until something changes
    again = build(content, tmp_path / "out", now=NOW, cache=tmp_path / "cache", broker=broker)
    assert again.queued == [] and "failed in an earlier build" in again.problems[SEED_ID][0].message


def test_the_job_of_a_killed_worker_is_retried_by_the_other(
    tmp_path: Path, content: Path, broker: str, workers: Workers
) -> None:
    """Kill the worker (and its horse and PDF child) that took the first issue mid-render: the job is
    abandoned, found by the waiting build, retried (RQ Retry) on the other worker, and the edition publishes."""
    outcome: dict[str, BuildResult | BaseException] = {}

    def run() -> None:
        try:
            outcome["result"] = build(content, tmp_path / "out", now=NOW, cache=tmp_path / "cache", broker=broker)
        except BaseException as exc:
            outcome["result"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        for name in ("w1", "w2"):
            if "render issue" in workers.log(name):
                victim = name
                break
        time.sleep(0.05)
    assert victim is not None, "no worker took a job"
    time.sleep(0.5)  # mid-render: loading and laying out the issue
    workers.kill(victim)
    thread.join(timeout=600)
    result = outcome["result"]
    assert isinstance(result, BuildResult), result
    assert result.ok, result.problems
    assert sorted(result.cached) == [SAMPLE_ID, SEED_ID]
    survivor = "w2" if victim == "w1" else "w1"
    logs = f"{victim}:\n{workers.log(victim)}\n{survivor}:\n{workers.log(survivor)}"
    assert workers.log(survivor).count("Job OK") == 2, logs  # its own issue, and the retried one
    assert "Job OK" not in workers.log(victim)
    assert build(content, tmp_path / "local", now=NOW).release == result.release
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "local")


def test_the_worker_preloads_and_freezes_its_code_hash(tmp_path: Path) -> None:
    """The horses are forked from the worker with the renderers and WeasyPrint's modules imported (as the
    local build's parent before it forks its PDF children), and the keys say what code the worker runs:
    a change on disk after it started does not change them (the build's keys then differ: jobs refused)."""
    code = (
        "import hashlib, sys, shutil; from pathlib import Path; from exporter import cache\n"
        f"root = Path({str(tmp_path)!r}) / 'pkg'; shutil.copytree(cache.PACKAGE_ROOT, root)\n"
        "def key():\n    d = hashlib.sha256(); cache.hash_package(d, root); return d.hexdigest()\n"
        "before = key(); cache.freeze_package(root); frozen = key()\n"
        "(root / 'fonts.py').write_text('# changed')\n"
        "print(before == frozen, key() == frozen)\n"
        "cache._frozen.clear(); print(key() != frozen)\n"
        "from exporter.distributed import preload; from exporter.render import DEFAULT_FORMATS\n"
        "preload(DEFAULT_FORMATS); print('weasyprint' in sys.modules, 'exporter.render.site' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "True", "True", "True", "True"], done.stderr


def test_an_unreachable_broker_is_a_publish_error(tmp_path: Path, content: Path) -> None:
    from exporter.errors import PublishError

    shutil.rmtree(content / SAMPLE_ID)
    url = f"redis://127.0.0.1:{_free_port()}/0"
    with pytest.raises(PublishError, match="the broker does not answer"):
        build(content, tmp_path / "out", ("site",), now=NOW, cache=tmp_path / "cache", broker=url)
    assert not (tmp_path / "out").exists()


def test_a_cache_entry_is_whole_or_absent(tmp_path: Path) -> None:
    """Storing the same key twice (two workers) keeps the first entry; a half-made one is never found."""
    cache = RenderCache(tmp_path / "cache")
    staging = tmp_path / "staging"
    (staging / "issues" / "x").mkdir(parents=True)
    (staging / "issues" / "x" / "index.html").write_bytes(b"<p>1</p>")
    from exporter.release import Output

    outputs = [Output("issues/x/index.html", "text/html; charset=utf-8", "x", "page")]
    key = "ab" * 32
    assert key not in cache
    assert cache.store(key, "x", staging, outputs) is True
    (staging / "issues" / "x" / "index.html").unlink()  # as Job.write does: never write through a link
    (staging / "issues" / "x" / "index.html").write_bytes(b"<p>2</p>")
    assert cache.store(key, "x", staging, outputs) is False
    target = tmp_path / "out"
    assert cache.take(key, "x", target) == outputs
    assert (target / "issues" / "x" / "index.html").read_bytes() == b"<p>1</p>"
    assert cache.take(key, "y", tmp_path / "other") is None  # another issue's key: a miss
    assert not list((tmp_path / "cache" / "ab").glob(".*"))  # no temporary folder left


def test_a_job_over_its_time_limit_is_reported_after_its_tries(
    tmp_path: Path, corpus: Path, broker: str, workers: Workers
) -> None:
    """job_timeout: the horse is stopped at the limit; with job_retries=1 it is tried twice, then reported.
    The corpus issue (6 pages, 15 A3 PDF pages) takes seconds: more than a 1 s limit."""
    formats = ("pdf", "site")
    result = build(corpus, tmp_path / "out", formats, now=NOW, cache=tmp_path / "cache", broker=broker,
                   options={"job_timeout": 1.0, "job_retries": 1})  # fmt: skip
    (problem,) = result.problems[CORPUS_ID]
    assert problem.code == "E401" and problem.file == f"{CORPUS_ID}/"
    assert "failed on the workers after 2 tries" in problem.message and "timeout" in problem.message.lower()
    assert not result.cached and not (tmp_path / "out" / "issues" / CORPUS_ID).exists()
    # not remembered as the issue's failure: the next build (the default limit) sends it again and publishes
    again = build(corpus, tmp_path / "out", formats, now=NOW, cache=tmp_path / "cache", broker=broker)
    assert again.ok and again.queued == [CORPUS_ID] and again.cached == [CORPUS_ID]


def test_a_build_with_no_worker_listening_gives_up(
    tmp_path: Path, content: Path, broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exporter import distributed
    from exporter.errors import PublishError

    monkeypatch.setattr(distributed, "NO_WORKER", 1.0)  # the grace period, not the broker: Redis is real
    shutil.rmtree(content / SAMPLE_ID)
    with pytest.raises(PublishError, match=r"no exporter worker has listened on .* 1 of 1 issues not rendered"):
        build(content, tmp_path / "out", ("site",), now=NOW, cache=tmp_path / "cache", broker=broker)
    assert _queued(broker) == 0  # the job was taken back
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("issue", ["../content", "/etc", ".hidden", ""])
def test_a_job_naming_a_path_outside_the_content_is_refused(tmp_path: Path, issue: str) -> None:
    """Anyone who can push to the queue names the folder: an issue id is a plain name, a key 64 hex digits."""
    from exporter.distributed import render_job

    payload = {"content": str(tmp_path), "cache": str(tmp_path / "cache"), "issue": issue, "key": "a" * 64,
               "formats": ["site"], "options": {}, "templates": str(tmp_path)}  # fmt: skip
    outcome = render_job(payload)
    assert outcome["status"] == "stale" and "refused" in outcome["error"]
    assert render_job({**payload, "issue": "2026-03-30", "key": "../x"})["status"] == "stale"
    assert not (tmp_path / "cache").exists()
