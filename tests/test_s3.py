"""``exporter publish --to s3://…`` against a real S3-compatible server: moto's, in server mode.

The fixture starts ``moto_server`` (a separate process, on a free loopback port) and stops it after;
nothing of boto3 or S3 is mocked. What a reader of the bucket sees is checked by an independent reader
(lxml, not :mod:`exporter.links`): from the index, the feeds and the catalogs, every document reached
and every file they point at must be in the bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import posixpath
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import boto3
import httpx
import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from exporter import manifest as manifest_file
from exporter import paths
from exporter.cli import main
from exporter.errors import PublishError
from exporter.publish import build
from exporter.s3 import CRASH_ENV, MANIFEST_NAME, PENDING_NAME, Target, client, publish
from exporter.serve import create_app
from tests.archive import generate, issue_id, write_issue

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BASE = "https://paper.example.cn/herald/"
FORMATS = ("site", "feeds", "opds", "epub")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
ENTRY_POINTS = (paths.INDEX, paths.RSS, paths.ATOM, paths.JSON_FEED, paths.EDITIONS, paths.EDITIONS_JSON,
                paths.EDITIONS_PDF, paths.EDITIONS_EPUB, paths.OPML, paths.OPDS_CATALOG, paths.OPDS_ISSUES,
                paths.OPDS_ARCHIVE, paths.OPDS2_CATALOG, paths.SITEMAP, paths.SITEMAP_NEWS, paths.ROBOTS)  # fmt: skip


# -- the server --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto_server) on loopback, for this module."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv(CRASH_ENV, raising=False)


_buckets = iter(range(10_000))


@pytest.fixture
def s3(endpoint: str) -> Any:
    return client(endpoint)


@pytest.fixture
def target(s3: Any) -> Target:
    """A new, empty bucket for each test; the release goes below ``herald/``."""
    name = f"paper-{os.getpid()}-{next(_buckets)}"
    s3.create_bucket(Bucket=name)
    return Target.parse(f"s3://{name}/herald")


# -- releases ----------------------------------------------------------------------------------------


def _build(content: Path, out: Path) -> dict[str, Any]:
    result = build(content, out, FORMATS, options={"base_url": BASE})
    assert result.ok, result.problems
    manifest = manifest_file.read(out.parent / f".{out.name}.releases" / f"{result.release}.json")
    assert manifest
    return manifest


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four issues, built once (site, feeds, OPDS, EPUB); tests copy it."""
    root = tmp_path_factory.mktemp("archive")
    content = generate(root / "content", 4)
    _build(content, root / "output")
    return root


@pytest.fixture
def site(archive: Path, tmp_path: Path) -> Path:
    """A private copy of the built archive: ``content/``, ``output`` (a link) and its releases."""
    root = tmp_path / "site"
    shutil.copytree(archive, root, symlinks=True)
    return root


def _manifest(site: Path) -> dict[str, Any]:
    out = site / "output"
    return manifest_file.read(out.parent / ".output.releases" / f"{os.readlink(out).rsplit('/', 1)[-1]}.json")


def _change(site: Path) -> dict[str, Any]:
    """Edit issue 1's first article, add issue 4, remove issue 0; rebuild. The new manifest."""
    content = site / "content"
    article = sorted((content / issue_id(1)).glob("*.md"))[0]
    article.write_text(article.read_text("utf-8") + "\n更正：本文第一段有误，已改。\n", "utf-8")
    write_issue(content, 4)
    shutil.rmtree(content / issue_id(0))
    return _build(content, site / "output")


# -- what a reader sees --------------------------------------------------------------------------


def _objects(s3: Any, target: Target) -> dict[str, dict[str, Any]]:
    """rel → {ETag, LastModified, Size} of every object below the prefix."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
        for item in page.get("Contents", []):
            found[item["Key"][len(target.prefix) :]] = {k: item[k] for k in ("ETag", "LastModified", "Size")}
    return found


def _get(s3: Any, target: Target, rel: str) -> tuple[bytes, str]:
    response = s3.get_object(Bucket=target.bucket, Key=target.key(rel))
    return response["Body"].read(), response["ContentType"]


def _links(rel: str, data: bytes, ctype: str) -> set[str]:
    """Every URL a document points at, made absolute against its public URL (independent of exporter.links)."""
    url = BASE + rel
    found: set[str] = set()
    mtype = ctype.split(";", 1)[0].strip()

    def html_links(text: str, base: str) -> None:
        try:
            tree = lxml.html.fromstring(text)
        except etree.ParserError:  # no markup after all ("3 < 5")
            return
        for _el, _attr, link, _pos in tree.iterlinks():
            found.add(urljoin(base, link))

    if mtype == "text/html":
        html_links(data.decode("utf-8"), url)
    elif mtype.endswith("json"):
        stack = [json.loads(data)]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                for key, value in item.items():
                    if key == "content_html" and isinstance(value, str):
                        html_links(value, url)
                    elif isinstance(value, str) and value.startswith(("http://", "https://")):
                        found.add(value)
                    else:
                        stack.append(value)
            elif isinstance(item, list):
                stack.extend(item)
    elif mtype.endswith("xml") or mtype == "text/x-opml":
        tree = etree.fromstring(data)
        for node in tree.getroottree().getroot().itersiblings(preceding=True):
            if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-stylesheet":
                found.add(urljoin(url, node.get("href")))
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in ("href", "src", "url", "xmlUrl", "htmlUrl"):
                value = el.get(attr)
                if value and "{pageNumber}" in value:  # an OPDS-PSE stream: pages 0 … pse:count - 1
                    for number in range(int(el.get(f"{{{paths.PSE_NS}}}count", "0"))):
                        found.add(urljoin(url, value.replace("{pageNumber}", str(number)).split("?")[0]))
                elif value:
                    found.add(urljoin(url, value))
            if el.text and "<" in el.text and el.get("type") in ("html", None):
                html_links(el.text, el.get("{http://www.w3.org/XML/1998/namespace}base") or url)
    return found


def _local(link: str) -> str | None:
    if not link.startswith(BASE):
        return None
    path = unquote(urlsplit(link).path)[len(urlsplit(BASE).path) :]
    return path + "index.html" if path == "" or path.endswith("/") else posixpath.normpath(path)


def dangling(s3: Any, target: Target) -> list[tuple[str, str]]:
    """(document, missing file) for every link, in a document a reader can reach from the index, the feeds
    or the catalogs, to a file of the site that is not in the bucket."""
    present = set(_objects(s3, target))
    todo = [rel for rel in ENTRY_POINTS if rel in present]
    seen = set(todo)
    missing = []
    while todo:
        rel = todo.pop()
        data, ctype = _get(s3, target, rel)
        mtype = ctype.split(";", 1)[0]
        if not (mtype in ("text/html", "text/x-opml") or mtype.endswith(("xml", "json"))):
            continue  # not a document (the XSL style sheet's links are templates)
        for link in _links(rel, data, ctype):
            path = _local(link)
            if path is None:
                continue
            if path not in present:
                missing.append((rel, path))
            elif path not in seen:
                seen.add(path)
                todo.append(path)
    return sorted(missing)


def assert_published(s3: Any, target: Target, site: Path) -> None:
    """The bucket holds exactly the current release (bytes and headers) and its manifest."""
    manifest = _manifest(site)
    objects = _objects(s3, target)
    assert set(objects) == set(manifest["files"]) | {MANIFEST_NAME}
    out = (site / "output").resolve()
    for rel in manifest["files"]:
        assert objects[rel]["Size"] == (out / rel).stat().st_size, rel
    remote = json.loads(_get(s3, target, MANIFEST_NAME)[0])
    assert remote["release"] == manifest["release"] and remote["files"] == manifest["files"]
    assert dangling(s3, target) == []


# -- tests ---------------------------------------------------------------------------------------


def test_target_parses_bucket_and_prefix() -> None:
    assert Target.parse("s3://paper/herald") == Target("paper", "herald/")
    assert Target.parse("s3://paper/a/b/") == Target("paper", "a/b/")
    assert Target.parse("s3://paper") == Target("paper", "")
    for bad in ("paper/herald", "s3://P/x", "s3://paper/a/../b", "s3://paper/a//b"):
        with pytest.raises(ValueError):
            Target.parse(bad)


def test_publish_uploads_the_release_with_the_servers_headers(s3: Any, target: Target, site: Path) -> None:
    result = publish(site / "output", target, s3)
    manifest = _manifest(site)
    assert result.uploaded == len(manifest["files"]) and result.deleted == 0
    assert_published(s3, target, site)
    out = (site / "output").resolve()
    sample = [paths.INDEX, paths.RSS, paths.ATOM, paths.JSON_FEED, paths.EDITIONS_PDF, paths.OPML,
              paths.OPDS_CATALOG, paths.OPDS_ISSUES, paths.SITE_CSS, paths.STYLESHEET, paths.ICON,
              paths.issue_page(issue_id(2)), paths.epub(issue_id(2)), paths.cover(issue_id(2)),
              paths.feed_archive(issue_id(1))]  # fmt: skip
    sample += [rel for rel in manifest["files"] if "/media/" in rel][:1]
    sample += [rel for rel in manifest["files"] if rel.startswith("feeds/pages/")][:1]
    served_by = asyncio.run(_serve(site / "output", sample))
    for rel in sample:
        assert rel in manifest["files"], rel
        head = s3.head_object(Bucket=target.bucket, Key=target.key(rel))
        served = served_by[rel]
        assert served.status_code == 200, rel
        # the same headers as the built-in server, from one place (paths.headers)
        assert head["ContentType"] == served.headers["content-type"], rel
        assert head["CacheControl"] == served.headers["cache-control"], rel
        assert (head["ContentType"], head["CacheControl"]) == paths.headers(rel, manifest["types"][rel])
        assert head["Metadata"]["sha256"] == manifest["files"][rel]
        assert _get(s3, target, rel)[0] == (out / rel).read_bytes()
    assert head_of(s3, target, paths.RSS)[0] == "application/rss+xml; charset=utf-8"
    assert head_of(s3, target, paths.OPDS_ISSUES)[0].startswith("application/atom+xml;profile=opds-catalog")
    assert head_of(s3, target, paths.epub(issue_id(2))) == ("application/epub+zip", paths.CACHE_LONG)


async def _serve(out: Path, rels: list[str]) -> dict[str, httpx.Response]:
    """The built-in server's answers (its ASGI app, in process) for these paths."""
    transport = httpx.ASGITransport(app=create_app(out))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as server:
        return {rel: await server.get("/" + rel) for rel in rels}


def head_of(s3: Any, target: Target, rel: str) -> tuple[str, str]:
    head = s3.head_object(Bucket=target.bucket, Key=target.key(rel))
    return head["ContentType"], head["CacheControl"]


def test_republishing_an_unchanged_release_writes_nothing(s3: Any, target: Target, site: Path) -> None:
    publish(site / "output", target, s3)
    before = _objects(s3, target)
    time.sleep(1.1)  # LastModified has whole seconds: a rewrite would show
    writes: list[tuple[str, str]] = []
    result = publish(site / "output", target, s3, observer=lambda action, rel: writes.append((action, rel)))
    assert (result.uploaded, result.deleted, writes) == (0, 0, [])
    assert result.unchanged == len(_manifest(site)["files"])
    assert _objects(s3, target) == before  # same keys, ETags and LastModified: not one object rewritten


def test_a_changed_issue_uploads_only_what_changed(s3: Any, target: Target, site: Path) -> None:
    old = _manifest(site)
    publish(site / "output", target, s3)
    before = _objects(s3, target)
    new = _change(site)
    time.sleep(1.1)
    writes: list[tuple[str, str]] = []
    result = publish(site / "output", target, s3, observer=lambda action, rel: writes.append((action, rel)))
    changed = {rel for rel, sha in new["files"].items() if old["files"].get(rel) != sha}
    removed = set(old["files"]) - set(new["files"])
    assert {rel for action, rel in writes if action == "upload"} == changed
    assert {rel for action, rel in writes if action == "delete"} == removed
    assert result.uploaded == len(changed) and result.deleted == len(removed)
    assert any(rel.startswith(paths.issue_dir(issue_id(4))) for rel in changed)
    assert not any(rel.startswith(paths.issue_dir(issue_id(3))) for rel in changed)  # issue 3: untouched
    after = _objects(s3, target)
    for rel in set(new["files"]) - changed:
        assert after[rel] == before[rel], f"{rel} was rewritten"
    assert_published(s3, target, site)


@pytest.mark.parametrize("jobs", [1, 4])
def test_every_write_keeps_every_reachable_link_whole(s3: Any, target: Target, site: Path, jobs: int) -> None:
    """After each single write of an update (a changed, an added and a removed issue), a reader of the
    bucket finds every file the index, feeds and catalogs lead to; deletions come after every upload.
    With 4 uploads at a time, the bucket is read while others are in flight."""
    publish(site / "output", target, s3)
    old = _manifest(site)
    _change(site)
    log: list[tuple[str, str, list[tuple[str, str]]]] = []

    def check(action: str, rel: str) -> None:
        log.append((action, rel, dangling(s3, target)))

    publish(site / "output", target, s3, jobs=jobs, observer=check)
    assert [(action, rel) for action, rel, broken in log if broken] == [], [b for *_, b in log if b][:1]
    actions = [action for action, _, _ in log]
    assert actions == sorted(actions, key=["upload", "delete", "manifest"].index)  # uploads, deletions, manifest
    assert actions[-1] == "manifest" and "delete" in actions
    uploads = [rel for action, rel, _ in log if action == "upload"]
    new_issue = [n for n, rel in enumerate(uploads) if rel.startswith(paths.issue_dir(issue_id(4)))]
    documents = [n for n, rel in enumerate(uploads) if rel in ENTRY_POINTS]
    if jobs == 1:
        assert max(new_issue) < min(documents)  # the new issue's files before the index, feeds and catalogs
    deleted = {rel for action, rel, _ in log if action == "delete"}
    assert deleted == set(old["files"]) - set(_manifest(site)["files"])
    assert_published(s3, target, site)


def _run_publish(site: Path, target: Target, endpoint: str, *extra: str, crash_after: int | None = None) -> Any:
    env = dict(os.environ, **CREDENTIALS)
    if crash_after is not None:
        env[CRASH_ENV] = str(crash_after)
    return subprocess.run(
        [str(BIN / "exporter"), "publish", "--to", str(target), "--out", str(site / "output"),
         "--endpoint-url", endpoint, *extra],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def _counts(stdout: str) -> dict[str, int]:
    """The summary line's counts: uploaded, deleted, unchanged, already (uploaded by a killed publish)."""
    line = stdout.strip().splitlines()[-1]
    found = dict((word, int(n)) for n, word in re.findall(r"(\d+) (uploaded|deleted|unchanged|already)", line))
    return {"uploaded": 0, "deleted": 0, "unchanged": 0, "already": 0, **found}


@pytest.mark.slow
def test_a_publish_killed_midway_leaves_no_dangling_link_and_a_rerun_finishes(
    s3: Any, target: Target, site: Path, endpoint: str
) -> None:
    """The publish process is SIGKILLed after N writes (a real crash, in a real process): the bucket
    still leads readers to whole documents only, and a re-run completes without uploading again what
    the killed one wrote."""
    first = _run_publish(site, target, endpoint, crash_after=20)  # the first publish, to an empty bucket
    assert first.returncode == -9, first.stderr
    there = _objects(s3, target)
    assert len(there) > 20 and MANIFEST_NAME not in there  # 20 files and the pending record
    rerun = _run_publish(site, target, endpoint)
    assert rerun.returncode == 0, rerun.stderr
    counts = _counts(rerun.stdout)
    total = len(_manifest(site)["files"])
    assert counts["already"] >= 20 and counts["uploaded"] + counts["already"] == total, rerun.stdout
    assert_published(s3, target, site)

    _change(site)
    plan = _run_publish(site, target, endpoint, "--dry-run")
    steps = len([line for line in plan.stdout.splitlines() if line.startswith(("upload ", "delete "))])
    kills = 0
    while True:  # kill after a quarter of the writes, again and again, until a publish gets through
        run = _run_publish(site, target, endpoint, crash_after=max(steps // 4, 1))
        if run.returncode == 0:
            break
        assert run.returncode == -9, run.stderr
        assert dangling(s3, target) == [], kills
        kills += 1
        assert kills < 20
    assert kills >= 3
    assert _counts(run.stdout)["uploaded"] < steps // 4, run.stdout  # the killed runs' uploads stay
    assert_published(s3, target, site)
    assert PENDING_NAME not in _objects(s3, target)


def test_a_crashed_publish_of_another_release_is_undone_by_publishing_this_one(
    s3: Any, target: Target, site: Path, endpoint: str
) -> None:
    """Release A is published; a publish of B dies halfway; A is published again (say B was withdrawn):
    the bucket must hold A exactly, though its manifest still said A (B's writes are in the pending record)."""
    publish(site / "output", target, s3)
    release_a = _manifest(site)["release"]
    backup = site.parent / "content-a"
    shutil.copytree(site / "content", backup)
    _change(site)
    killed = _run_publish(site, target, endpoint, crash_after=8)
    assert killed.returncode == -9, killed.stderr
    shutil.rmtree(site / "content")
    shutil.copytree(backup, site / "content")
    assert _build(site / "content", site / "output")["release"] == release_a
    result = publish(site / "output", target, s3)
    assert result.uploaded + result.deleted > 0  # B's files replaced by A's, B's new files removed
    assert_published(s3, target, site)
    for rel in _manifest(site)["files"]:
        head = s3.head_object(Bucket=target.bucket, Key=target.key(rel))
        assert head["Metadata"]["sha256"] == _manifest(site)["files"][rel], rel


def test_dry_run_prints_the_plan_and_changes_nothing(s3: Any, target: Target, site: Path, endpoint: str) -> None:
    publish(site / "output", target, s3)
    _change(site)
    before = _objects(s3, target)
    run = _run_publish(site, target, endpoint, "--dry-run")
    assert run.returncode == 0, run.stderr
    assert _objects(s3, target) == before
    lines = run.stdout.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines[1:-2]]
    assert kinds == sorted(kinds, key=["upload", "delete", "manifest"].index) and "delete" in kinds
    uploads = [line.split()[1] for line in lines if line.startswith("upload ")]
    assert uploads.index(paths.epub(issue_id(4))) < uploads.index(paths.issue_page(issue_id(4)))
    assert uploads.index(paths.issue_page(issue_id(4))) < uploads.index(paths.INDEX)
    assert uploads.index(paths.epub(issue_id(4))) < uploads.index(paths.EDITIONS)
    assert f"upload {paths.epub(issue_id(4))} [new, create] application/epub+zip" in run.stdout
    assert "would publish" in lines[-1]
    assert _run_publish(site, target, endpoint).returncode == 0
    assert_published(s3, target, site)


def test_a_file_written_by_someone_else_meanwhile_stops_the_publish(s3: Any, target: Target, site: Path) -> None:
    """Create-only writes (If-None-Match: *): an object another writer creates after this publish listed
    the bucket is not overwritten; the publish stops, and the remote manifest is not replaced."""
    publish(site / "output", target, s3)
    _change(site)
    intruder = paths.issue_page(issue_id(4))  # new in this release, uploaded after the leaves

    def meanwhile(action: str, rel: str) -> None:
        if action == "upload" and rel == paths.epub(issue_id(4)):
            boto3.client("s3", endpoint_url=s3.meta.endpoint_url).put_object(
                Bucket=target.bucket, Key=target.key(intruder), Body=b"<p>someone else</p>"
            )

    with pytest.raises(PublishError, match=r"changed since this publish listed the bucket"):
        publish(site / "output", target, s3, jobs=1, observer=meanwhile)
    assert _get(s3, target, intruder)[0] == b"<p>someone else</p>"
    remote = json.loads(_get(s3, target, MANIFEST_NAME)[0])
    assert remote["release"] != _manifest(site)["release"]


def test_cli_publish_refuses_a_bad_target_and_a_missing_release(tmp_path: Path, endpoint: str) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["publish", "--to", "bucket/herald", "--out", str(tmp_path / "out")])
    assert bad.exit_code == 2 and "s3://bucket/prefix" in bad.output
    missing = runner.invoke(
        main, ["publish", "--to", "s3://paper/herald", "--out", str(tmp_path / "out"), "--endpoint-url", endpoint]
    )
    assert missing.exit_code == 5 and "has no release to publish" in missing.output


def _release(site: Path, files: dict[str, bytes]) -> None:
    """A release made by hand (its folder, its manifest, the output link): documents no renderer writes
    yet, to pin the order down where the path and the rank alone would get it wrong."""
    releases = site / ".output.releases"
    digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    release = hashlib.sha256(json.dumps(sorted(digests.items())).encode()).hexdigest()[:16]
    for rel, data in files.items():
        (releases / release / rel).parent.mkdir(parents=True, exist_ok=True)
        (releases / release / rel).write_bytes(data)
    record = {"format": 2, "release": release, "files": digests, "issues": {},
              "types": {rel: paths.media_type(rel) for rel in files}}  # fmt: skip
    (releases / f"{release}.json").write_text(json.dumps(record))
    link = site / "output"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(f".output.releases/{release}")


def _page(*links: str) -> bytes:
    body = "".join(f'<a href="{link}">{link}</a>' for link in links)
    return f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>".encode()


def test_a_changed_page_waits_for_the_new_pages_it_points_at(s3: Any, target: Target, tmp_path: Path) -> None:
    """``archive/a.html`` (published, reachable from the index) now points at a new ``archive/z.html``,
    which points at a new photo, and at ``archive/y.html``, which points back at it (a cycle): z and y
    and the photo must all be in the bucket before a.html changes, whatever their names."""
    site = tmp_path / "site"
    (site / ".output.releases").mkdir(parents=True)
    _release(site, {paths.INDEX: _page("archive/a.html"), "archive/a.html": _page("../index.html")})
    publish(site / "output", target, s3)
    _release(
        site,
        {
            paths.INDEX: _page("archive/a.html"),
            "archive/a.html": _page("../index.html", "z.html"),
            "archive/z.html": _page("y.html", "../media/b.png") + b'<img src="../media/b.png">',
            "archive/y.html": _page("z.html", f"{BASE}archive/a.html"),
            "media/b.png": b"\x89PNG\r\n\x1a\n",
        },
    )
    log: list[tuple[str, list[tuple[str, str]]]] = []
    publish(site / "output", target, s3, jobs=1, observer=lambda action, rel: log.append((rel, dangling(s3, target))))
    order = [rel for rel, _ in log]
    assert order.index("media/b.png") < order.index("archive/z.html") < order.index("archive/a.html")
    assert order.index("archive/y.html") < order.index("archive/a.html")
    assert [(rel, broken) for rel, broken in log if broken] == []


def test_publish_finds_the_release_the_pipeline_serves(site: Path) -> None:
    from exporter.publish import Releases
    from exporter.s3 import _release

    releases = Releases(site / "output")
    release, manifest, folder = _release(site / "output")
    assert (release, manifest, folder) == (releases.current_id(), releases.manifest(), releases.release_dir(release))


def test_verify_restores_an_object_deleted_by_hand(s3: Any, target: Target, site: Path, endpoint: str) -> None:
    """Without --verify, a bucket whose manifest is this release's is not listed (a no-change publish
    reads two small objects); with it, every object is listed and a missing one uploaded again."""
    publish(site / "output", target, s3)
    gone = paths.epub(issue_id(2))
    s3.delete_object(Bucket=target.bucket, Key=target.key(gone))
    assert publish(site / "output", target, s3).uploaded == 0
    run = _run_publish(site, target, endpoint, "--verify", "--dry-run")
    assert f"upload {gone} [missing, create]" in run.stdout and "1 to upload" in run.stdout
    run = _run_publish(site, target, endpoint, "--verify")
    assert run.returncode == 0 and _counts(run.stdout)["uploaded"] == 1, run.stdout
    assert_published(s3, target, site)


@pytest.mark.slow
def test_opds_pse_pages_are_objects_with_the_servers_headers(s3: Any, target: Target, tmp_path: Path) -> None:
    """The built-in server answers the catalog's OPDS-PSE stream links (``opds/pse/<issue>/<n>``) from each
    issue's layout; object storage cannot, so each sheet's image is also stored under its stream URL."""
    site = tmp_path / "site"
    content = generate(site / "content", 2)
    result = build(content, site / "output", (*FORMATS, "pdf"), options={"base_url": BASE})
    assert result.ok, result.problems
    manifest = _manifest(site)
    layouts = [rel for rel in manifest["files"] if rel.endswith("/pages/layout.json")]
    assert layouts, "the PDF build made no 版 images"
    publish(site / "output", target, s3)
    objects = _objects(s3, target)
    streams = sorted(rel for rel in objects if rel.startswith(paths.PSE_STREAM))
    assert streams and set(objects) == set(manifest["files"]) | set(streams) | {MANIFEST_NAME}
    assert dangling(s3, target) == []  # the catalog's stream links, page by page, included
    served_by = asyncio.run(_serve(site / "output", [f"{rel}?maxWidth=2000" for rel in streams]))
    for rel in streams:
        body, _ = _get(s3, target, rel)
        served = served_by[f"{rel}?maxWidth=2000"]
        assert served.status_code == 200 and body == served.content, rel
        head = s3.head_object(Bucket=target.bucket, Key=target.key(rel))
        assert (head["ContentType"], head["CacheControl"]) == (
            served.headers["content-type"],
            served.headers["cache-control"],
        ), rel
    assert publish(site / "output", target, s3).uploaded == 0
