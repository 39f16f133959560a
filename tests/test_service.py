"""The publishing service (schedule.py) as an editor runs it: a real process on a free loopback port.

Every wait polls over HTTP with a deadline; nothing sleeps blindly. The tests use the fast formats
(site, null): ``/null.txt`` lists the published issue ids, ``/issues/<id>/null.txt`` exists per issue.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest

# Real imports, not importorskip: a renderer that does not import fails these tests instead of skipping them.
import exporter.render.epub
import exporter.render.feeds
import exporter.render.opds  # noqa: F401
from tests.conftest import CORPUS, CORPUS_ID, ROOT, SAMPLE, copy_content, tree_bytes

pytestmark = pytest.mark.slow

T = TypeVar("T")
SCHEDULE = ROOT / "schedule.py"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEMPLATE_ISSUE = SAMPLE / "2026-03-23"  # one page, seven articles


# -- helpers ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.1) -> T:
    """Call check until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class Service:
    """schedule.py in a subprocess, its log in a file, an HTTP client for it."""

    def __init__(self, content: Path, out: Path, log: Path, formats: tuple[str, ...] = ("site", "null"),
                 debounce: float = 1.0, extra: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.port = free_port()
        self.log_path = log
        args = [sys.executable, str(SCHEDULE), "--content", str(content), "--out", str(out),
                "--host", "127.0.0.1", "--port", str(self.port),
                "--debounce", str(debounce), "--reconcile", "30", "--stop-timeout", "8"]  # fmt: skip
        for name in formats:
            args += ["--format", name]
        args += extra
        with open(log, "ab") as handle:
            self.proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(f"the service exited with {self.proc.returncode}:\n{self.log()[-3000:]}")

    def get(self, path: str, **kw: Any) -> httpx.Response:
        self.alive()
        return self.client.get(path, **kw)

    def status(self) -> dict[str, Any]:
        response = self.get("/_status")
        assert response.status_code == 200
        doc: dict[str, Any] = response.json()
        return doc

    def published(self) -> list[str]:
        response = self.get("/null.txt")
        assert response.status_code == 200, "the server stopped answering"
        return response.text.splitlines()[1:]

    def wait_ready(self, timeout: float = 40) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            self.alive()
            try:
                doc = self.status()
            except httpx.TransportError:
                return None
            return doc if doc["service"]["builds"] >= 1 and doc["service"]["state"] == "idle" else None

        return poll(ready, timeout, "the service to start and build")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the service did not stop within {timeout}s:\n{self.log()[-3000:]}")
        self.client.close()
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.client.close()


def write_issue(folder: Path, issue_id: str, number: int, total: int, publish_time: str | None = None,
                src: Path = TEMPLATE_ISSUE) -> Path:  # fmt: skip
    """A copy of a sample issue under another id, prepared outside the content root."""
    shutil.copytree(src, folder)
    text = (folder / "issue.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^date: .*$", f"date: '{issue_id}'", text)
    text = re.sub(r"(?m)^number: .*$", f"number: {number}", text)
    text = re.sub(r"(?m)^total_number: .*$", f"total_number: {total}", text)
    text = re.sub(r"(?m)^publish_time: .*\n", "", text)
    if publish_time:
        text = text.replace(f"date: '{issue_id}'\n", f"date: '{issue_id}'\npublish_time: '{publish_time}'\n")
    (folder / "issue.yaml").write_text(text, "utf-8")
    return folder


def release_state(out: Path) -> str | None:
    """Check the output is one complete release and return its id (None: nothing published yet).

    The link points into the releases folder; the release holds exactly the manifest's files, each
    with its recorded sha256; the edition file lists exactly the manifest's issues, and every one of
    them has its per-issue file: never a mix of two builds.
    """
    releases = out.parent / f".{out.name}.releases"
    if not out.is_symlink():
        assert not out.exists()
        return None
    target = out.resolve()
    assert target.parent == releases.resolve()
    manifest = json.loads((releases / f"{target.name}.json").read_text("utf-8"))
    assert manifest["release"] == target.name
    files: dict[str, str] = manifest["files"]
    on_disk = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert on_disk == set(files)
    for rel, sha in files.items():
        assert hashlib.sha256((target / rel).read_bytes()).hexdigest() == sha, rel
    issues = sorted(manifest["issues"], reverse=True)
    assert (target / "null.txt").read_text("utf-8").splitlines()[1:] == issues
    for issue in issues:
        assert f"issues/{issue}/null.txt" in files
    return target.name


def staging(out: Path) -> list[Path]:
    return list((out.parent / f".{out.name}.releases").glob(".staging-*"))


def big_content(root: Path, count: int) -> Path:
    """A content root with `count` issues, each a copy of the 29-article corpus issue."""
    root.mkdir()
    shutil.copy(CORPUS / "publication.yaml", root / "publication.yaml")
    for k in range(count):
        day = date(2026, 1, 2) + timedelta(days=7 * k)
        write_issue(root / day.isoformat(), day.isoformat(), k + 1, 3000 + k, src=CORPUS / CORPUS_ID)
    return root


def touch_publication(content: Path, n: int) -> None:
    """Change publication.yaml: every issue's key changes, so the next build renders them all."""
    path = content / "publication.yaml"
    text = re.sub(r"(?m)^copyright: .*$", f"copyright: © 科技日报社 第{n}版权说明", path.read_text("utf-8"))
    path.write_text(text, "utf-8")


# -- one service for the editing scenarios ------------------------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path, Path]]:
    base = tmp_path_factory.mktemp("service")
    content = copy_content(SAMPLE, base / "content")
    out = base / "out"
    service = Service(content, out, base / "service.log", debounce=2.0)  # the default
    try:
        service.wait_ready()
        yield service, content, out
    finally:
        service.close()


def test_starts_builds_and_serves(running: tuple[Service, Path, Path]) -> None:
    service, _, out = running
    doc = service.status()
    assert doc["published"] == ["2026-03-30", "2026-03-23"]
    assert doc["release"] == release_state(out)
    assert doc["service"]["last_build"]["trigger"] == "startup"
    assert {j["id"] for j in doc["service"]["jobs"]} >= {"reconcile"}
    assert service.published() == ["2026-03-30", "2026-03-23"]
    # /_status names no server folder, and a request a proxy forwards for a remote reader is refused.
    text = service.get("/_status").text
    assert str(out.parent) not in text and os.path.realpath(out.parent) not in text
    assert service.get("/_status", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert re.search(r"build status=published trigger=startup release=\w+ rendered=2026-03-30,2026-03-23 ",
                     service.log())  # fmt: skip
    assert re.search(r"timings=site:\d+\.\d+,null:\d+\.\d+", service.log())


def test_new_issue_appears_while_serving(running: tuple[Service, Path, Path], tmp_path: Path) -> None:
    service, content, out = running
    prepared = write_issue(tmp_path / "2026-04-06", "2026-04-06", 12, 2664)
    shutil.copytree(prepared, content / "2026-04-06")  # file by file, as an editor's copy does
    copied = time.monotonic()
    answers: list[int] = []

    def appeared() -> bool:
        response = service.get("/null.txt")
        answers.append(response.status_code)
        return "2026-04-06" in response.text

    poll(appeared, 20, "the new issue in /null.txt")
    print(f"new issue published {time.monotonic() - copied:.1f}s after the copy")
    assert set(answers) == {200}, "the server must keep answering while it rebuilds"
    page = service.get("/issues/2026-04-06/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert service.published() == ["2026-04-06", "2026-03-30", "2026-03-23"]
    release_state(out)


def test_edit_republishes_only_that_issue(running: tuple[Service, Path, Path]) -> None:
    service, content, out = running
    page = "/issues/2026-03-23/rmw-40739069.html"
    others = ["/issues/2026-03-30/index.html", "/issues/2026-03-30/null.txt", "/issues/2026-04-06/rmw-40739069.html"]
    before = {path: service.get(path).headers["etag"] for path in [page, *others]}
    release_before = service.status()["release"]
    article = content / "2026-03-23" / "rmw-40739069.md"
    article.write_text(article.read_text("utf-8").replace("headline: 长江黄金水道", "headline: 长江黄金航道"), "utf-8")

    poll(lambda: service.get(page).headers["etag"] != before[page], 20, "the edited article to be republished")
    edited = service.get(page)
    assert "长江黄金航道扩能" in edited.text
    for path in others:
        assert service.get(path).headers["etag"] == before[path], path
        assert service.get(path, headers={"If-None-Match": before[path]}).status_code == 304, path
    again = service.get(page, headers={"If-None-Match": edited.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    release_after = release_state(out)
    releases = out.parent / f".{out.name}.releases"
    env = [json.loads((releases / f"{r}.json").read_text())["env_key"] for r in (release_before, release_after)]
    if env[0] == env[1]:  # (another helper editing exporter/*.py mid-run changes the key: all re-render)
        line = [ln for ln in service.log().splitlines() if "build status=published" in ln][-1]
        assert " rendered=2026-03-23 " in line, line


def test_half_copied_issue_is_not_published(running: tuple[Service, Path, Path], tmp_path: Path) -> None:
    service, content, _ = running
    prepared = write_issue(tmp_path / "2026-04-13", "2026-04-13", 13, 2665)
    target = content / "2026-04-13"
    target.mkdir()
    shutil.copy(prepared / "issue.yaml", target / "issue.yaml")  # the articles are not there yet

    def reported() -> list[str] | None:
        return service.status()["service"]["last_build"]["problems"].get("2026-04-13")

    problems = poll(reported, 20, "a build that sees the half-copied folder")
    assert any("2026-04-13/issue.yaml: pages.0.articles." in p and "no article file" in p for p in problems)
    assert "2026-04-13" not in service.published()
    assert service.get("/issues/2026-04-13/").status_code == 404
    assert re.search(r"problem issue=2026-04-13 status=skipped 2026-04-13/issue.yaml: pages\.0\.articles\.\d: ",
                     service.log())  # fmt: skip

    # The rest arrives file by file, faster than the debounce: no build runs in between, one after.
    builds = service.status()["service"]["builds"]
    articles = sorted(prepared.glob("*.md"))
    for path in articles:
        shutil.copy(path, target / path.name)
        assert service.status()["service"]["builds"] == builds, "a build ran while files were still arriving"
        time.sleep(0.3)  # an editor's copy, slower than the disk (shorter than the 2 s debounce)
    poll(lambda: "2026-04-13" in service.published(), 20, "the completed issue")
    for path in articles:
        assert service.get(f"/issues/2026-04-13/{path.stem}.html").status_code == 200
    published = [
        ln for ln in service.log().splitlines() if re.search(r"status=published.*rendered=[^ ]*2026-04-13", ln)
    ]
    assert len(published) == 1, published


def test_broken_issue_changes_nothing(running: tuple[Service, Path, Path], tmp_path: Path) -> None:
    service, content, out = running
    release = service.status()["release"]
    before = tree_bytes(out)
    broken = write_issue(content / ".2026-04-20", "2026-04-20", 14, 2666)
    (broken / "issue.yaml").write_text("date: '2026-04-20'\npages: [\n", "utf-8")
    broken.rename(content / "2026-04-20")  # dropped in at once
    article = content / "2026-03-30" / "ai-plus-industry-forum.md"
    good = article.read_text("utf-8")
    article.write_text(good.replace("headline:", "headlin:", 1), "utf-8")  # a published issue breaks

    def both_reported() -> dict[str, list[str]] | None:
        problems: dict[str, list[str]] = service.status()["service"]["last_build"]["problems"]
        return problems if {"2026-04-20", "2026-03-30"} <= set(problems) else None

    problems = poll(both_reported, 20, "a build that reports both broken issues")
    assert any(p.startswith("2026-04-20/issue.yaml: ") and "YAML error" in p for p in problems["2026-04-20"])
    assert any(p.startswith("2026-03-30/ai-plus-industry-forum.md: headline: ") for p in problems["2026-03-30"])
    doc = service.status()
    assert doc["release"] == release, "a broken issue must not publish a new release"
    assert {"2026-04-20", "2026-03-30"} <= set(doc["problems"]), "the top-level problems are the latest build's"
    assert tree_bytes(out) == before
    assert "2026-03-30" in service.published() and "2026-04-20" not in service.published()
    log = service.log()
    assert "problem issue=2026-04-20 status=skipped 2026-04-20/issue.yaml: " in log
    assert "problem issue=2026-03-30 status=kept 2026-03-30/ai-plus-industry-forum.md: headline: " in log

    article.write_text(good, "utf-8")  # repaired: the problems go away, the output stays the same
    shutil.rmtree(content / "2026-04-20")
    poll(lambda: not service.status()["service"]["last_build"]["problems"], 20, "the problems to clear")
    assert service.status()["problems"] == {}
    assert tree_bytes(out) == before


def test_embargoed_issue_appears_at_its_time(running: tuple[Service, Path, Path], tmp_path: Path) -> None:
    service, content, out = running
    publish_ts = math.ceil(time.time()) + 8
    publish_time = datetime.fromtimestamp(publish_ts, SHANGHAI).isoformat()
    prepared = write_issue(tmp_path / "2026-04-27", "2026-04-27", 15, 2667, publish_time=publish_time)
    shutil.copytree(prepared, content / "2026-04-27")

    def embargoed() -> dict[str, Any] | None:
        doc = service.status()
        return doc if doc["service"]["last_build"]["embargoed"] == 1 else None

    doc = poll(embargoed, 20, "a build that sees the embargoed issue")
    assert time.time() < publish_ts, "the service was too slow to check the embargo; rerun on a quieter machine"
    assert doc["service"]["next_embargo"] == publish_time  # in the publication's zone, +08:00
    embargo_job = [j for j in doc["service"]["jobs"] if j["id"] == "embargo"]
    assert embargo_job and embargo_job[0]["next_run"] == publish_time
    assert "2026-04-27" not in service.published()
    assert "2026-04-27" not in service.get("/_status").text, "/_status tells an embargoed issue's id"
    assert service.get("/issues/2026-04-27/").status_code == 404
    assert service.get("/issues/2026-04-27/null.txt").status_code == 404

    def appeared() -> float | None:
        ids = service.published()
        seen = time.time()
        return seen if "2026-04-27" in ids else None

    seen = poll(appeared, publish_ts - time.time() + 15, "the embargoed issue after its time", every=0.2)
    assert seen >= publish_ts, "published before its publish time"
    print(f"embargoed issue published {seen - publish_ts:.2f}s after its time")
    assert service.get("/issues/2026-04-27/").status_code == 200
    assert service.status()["service"]["next_embargo"] is None
    release_state(out)


def test_a_draft_from_new_is_not_published_until_the_editor_says_so(running: tuple[Service, Path, Path]) -> None:
    """`exporter new` wrote a placeholder article the running service published within seconds."""
    from click.testing import CliRunner

    from exporter.cli import main

    service, content, out = running
    release = service.status()["release"]
    builds = service.status()["service"]["builds"]
    made = CliRunner().invoke(main, ["new", "--content", str(content), "--date", "2026-06-01"])
    assert made.exit_code == 0, made.output

    def built_since() -> dict[str, Any] | None:
        doc = service.status()
        return doc if doc["service"]["builds"] > builds and doc["service"]["state"] == "idle" else None

    doc = poll(built_since, 20, "a build after `exporter new`")
    assert doc["release"] == release and not doc["service"]["last_build"]["problems"]
    time.sleep(3)  # longer than the debounce: nothing more comes
    assert "2026-06-01" not in service.published()
    assert service.get("/issues/2026-06-01/").status_code == 404

    meta = content / "2026-06-01" / "issue.yaml"
    meta.write_text(meta.read_text("utf-8").replace("draft: true\n", ""), "utf-8")
    poll(lambda: "2026-06-01" in service.published(), 20, "the issue once it is no longer a draft")
    assert service.get("/issues/2026-06-01/").status_code == 200
    release_state(out)


def test_sigterm_exits_cleanly(running: tuple[Service, Path, Path]) -> None:
    service, _, out = running
    code, seconds = service.stop(signal.SIGTERM)
    assert code == 0
    assert seconds < 8
    assert "stop signal=SIGTERM" in service.log() and "stopped builds=" in service.log()
    assert not staging(out)
    release_state(out)


# -- crashes and shutdown during a build ------------------------------------------------------------


def test_kill_9_during_build_then_restart_is_consistent(tmp_path: Path) -> None:
    content = big_content(tmp_path / "content", 6)
    out = tmp_path / "out"
    log = tmp_path / "service.log"

    def building(service: Service) -> Callable[[], bool]:
        def check() -> bool:
            try:
                return bool(service.status()["service"]["state"] == "building")
            except httpx.TransportError:
                return False  # not listening yet

        return check

    # 1. killed during the very first build: nothing is published, nothing half-published
    service = Service(content, out, log)
    try:
        poll(lambda: staging(out), 30, "the start-up build to render", every=0.01)
        service.proc.kill()
        service.proc.wait()
    finally:
        service.close()
    assert release_state(out) is None

    # 2. restart: the build completes and clears the leftover staging folder; an issue dropped in
    #    during that build is published by another pass right after it
    leftover = set(staging(out))
    service = Service(content, out, log)
    try:
        poll(building(service), 30, "the start-up build", every=0.05)
        # its own staging folder exists once it has read the content: the late issue comes after that
        poll(lambda: set(staging(out)) - leftover, 30, "the start-up build to render", every=0.01)
        late = write_issue(tmp_path / "late", "2026-06-05", 50, 3100)
        shutil.copytree(late, content / "2026-06-05")
        assert service.status()["service"]["state"] == "building", "the build ended before the change came"

        def settled() -> dict[str, Any] | None:
            doc = service.status()
            return doc if len(doc["published"]) == 7 and doc["service"]["state"] == "idle" else None

        doc = poll(settled, 60, "the pass after the build that publishes the late issue")
        assert "2026-06-05" in doc["published"]
        # Published by a pass right after the start-up build; or, when the build had not read that folder
        # yet (its staging folder exists before it loads the content), by the start-up build itself.
        assert re.search(
            r"build status=published trigger=(changed-during-build|startup) .*rendered=\S*2026-06-05", log.read_text()
        )
        first = release_state(out)
        assert first == doc["release"] and not staging(out)

        # 3. killed while a full rebuild runs: the previous release stays, complete
        touch_publication(content, 1)
        poll(lambda: staging(out), 30, "the rebuild to render", every=0.01)
        service.proc.kill()
        service.proc.wait()
    finally:
        service.close()
    assert staging(out), "killed mid-render: its staging folder is left for the next build to remove"
    assert release_state(out) == first

    # 4. restart again, then SIGTERM during a rebuild: it is abandoned cleanly, quickly
    service = Service(content, out, log)
    try:
        doc = service.wait_ready(60)
        second = release_state(out)
        assert second == doc["release"] and second != first and not staging(out)
        touch_publication(content, 2)
        poll(building(service), 30, "the rebuild", every=0.05)
        code, seconds = service.stop(signal.SIGTERM)
    finally:
        service.close()
    assert code == 0
    assert seconds < 8
    assert not staging(out), "an abandoned build must remove its staging folder"
    if "build status=abandoned" in log.read_text("utf-8"):
        assert release_state(out) == second  # abandoned: the last complete release stays
    else:
        assert release_state(out) not in (None, second)  # it finished before the next issue boundary


def test_kill_9_during_cli_builds_never_mixes(tmp_path: Path) -> None:
    issues = 40  # enough that a build (site + null, no cache hits) lasts long enough to be killed mid-way
    content = big_content(tmp_path / "content", issues)
    out = tmp_path / "out"
    cmd = [str(Path(sys.executable).parent / "exporter"), "build", "--content", str(content), "--out", str(out),
           "--format", "site", "--format", "null", "--quiet"]  # fmt: skip
    assert subprocess.run(cmd, capture_output=True, check=False).returncode == 0
    state = release_state(out)
    mid_render = 0
    for n, delay in enumerate((None, 0.0, 0.1, 0.25), 1):
        touch_publication(content, n)  # every issue changes: the build renders them all
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if delay is None:
            time.sleep(0.05)  # while it starts up
        else:
            poll(lambda p=proc: staging(out) or p.poll() is not None, 30, "the build to render", every=0.01)
            time.sleep(delay)
        proc.kill()
        proc.wait()
        left = staging(out)
        previous, state = state, release_state(out)  # the previous complete release, or the new complete one
        assert state is not None
        if left:  # killed before its release was moved into place: the link cannot have moved
            mid_render += 1
            assert state == previous
    assert mid_render >= 2, "the kills did not land during rendering: the corpus is too small for this machine"
    result = subprocess.run(cmd, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    assert not staging(out), "the next build clears what a killed one left"
    final = release_state(out)
    assert final is not None
    assert len(json.loads((out.parent / ".out.releases" / f"{final}.json").read_text())["issues"]) == issues


# -- with the real feeds and OPDS catalog ------------------------------------------------------------


def test_new_issue_reaches_feeds_and_opds(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    service = Service(content, tmp_path / "out", tmp_path / "service.log", formats=("epub", "site", "feeds", "opds"))
    try:
        service.wait_ready(60)
        atom = service.get("/feeds/atom.xml")
        assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
        catalog = service.get("/opds/catalog.xml")
        assert catalog.headers["content-type"].startswith("application/atom+xml;profile=opds-catalog")
        assert "2026-04-06" not in atom.text
        shutil.copytree(write_issue(tmp_path / "new", "2026-04-06", 12, 2664), content / "2026-04-06")

        poll(lambda: "issues/2026-04-06" in service.get("/feeds/atom.xml").text, 30, "the issue in feeds/atom.xml")

        def in_catalog() -> bool:
            """The catalog, and the OPDS documents it links, list the new issue."""
            text = service.get("/opds/catalog.xml").text
            linked = set(re.findall(r'href="[^"]*?/(opds/[^"#?]+\.xml)"', text))
            return "2026-04-06" in text or any("2026-04-06" in service.get("/" + rel).text for rel in linked)

        poll(in_catalog, 30, "the issue in the OPDS catalog")
        epub = service.get("/issues/2026-04-06/2026-04-06.epub", headers={"Range": "bytes=0-57"})
        assert epub.status_code == 206 and epub.headers["content-type"] == "application/epub+zip"
        assert epub.content[30:58] == b"mimetypeapplication/epub+zip"
        code, _ = service.stop()
        assert code == 0
    finally:
        service.close()


def test_far_future_publish_times_keep_the_scheduler_and_status_running(tmp_path: Path) -> None:
    """Year 9999 at -12:00 overflowed the scheduler's local time after every build and /_status answered
    500: it is refused for that issue alone; the latest allowed time is scheduled and shown."""
    content = copy_content(SAMPLE, tmp_path / "content")
    far, latest = "9999-12-31T23:59:59-12:00", "2099-12-31T23:59:59+08:00"
    write_issue(content / "2026-04-06", "2026-04-06", 12, 2664, publish_time=far)
    write_issue(content / "2026-04-13", "2026-04-13", 13, 2665, publish_time=latest)
    service = Service(content, tmp_path / "out", tmp_path / "service.log", extra=("--status-from", "127.0.0.1/32"))
    try:
        doc = service.wait_ready()["service"]
        assert doc["last_error"] is None, doc["last_error"]
        (problem,) = doc["last_build"]["problems"]["2026-04-06"]
        assert problem.startswith("2026-04-06/issue.yaml: publish_time: the year must be between 1900 and 2099")
        assert problem.endswith("[E206]")
        assert doc["last_build"]["embargoed"] == 1
        assert "2026-04-13" not in service.get("/_status").text
        # --status-from 127.0.0.1/32: a client at 127.0.0.2 (standing for any other address) gets 403.
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=f"http://127.0.0.1:{service.port}", transport=transport, timeout=10) as other:
            assert other.get("/_status").status_code == 403
            assert other.get("/null.txt").status_code == 200
        assert doc["next_embargo"] == latest
        assert [j["next_run"] for j in doc["jobs"] if j["id"] == "embargo"] == [latest]
        assert {"2026-03-30", "2026-03-23"} == set(service.published())
        # The service goes on building: a touch of the content is picked up and nothing fails.
        shutil.copytree(write_issue(tmp_path / "new", "2026-04-20", 14, 2666), content / "2026-04-20")
        poll(lambda: "2026-04-20" in service.published(), 30, "the next issue after the refused one")
        assert service.status()["service"]["last_error"] is None
        assert "Traceback" not in service.log()
        code, _ = service.stop()
        assert code == 0
    finally:
        service.close()


# -- the command line ------------------------------------------------------------------------------


def test_command_line_refuses_bad_settings_before_starting(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from exporter.cli import main

    runner = CliRunner()
    usage = runner.invoke(main, ["run", "--help"])
    assert usage.exit_code == 0 and "--debounce" in usage.output and "--reconcile" in usage.output
    unknown = runner.invoke(main, ["run", "--content", str(SAMPLE), "--format", "nope"])
    assert unknown.exit_code == 2 and "nope" in unknown.output
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("not ours")
    taken = runner.invoke(main, ["run", "--content", str(SAMPLE), "--out", str(tmp_path / "out")])
    assert taken.exit_code == 2 and "not an exporter output link" in taken.output
    missing = runner.invoke(main, ["run", "--content", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    script = subprocess.run([sys.executable, str(SCHEDULE), "--help"], capture_output=True, text=True, check=False)
    assert script.returncode == 0 and "Usage: schedule.py" in script.stdout and "--debounce" in script.stdout
