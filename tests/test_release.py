"""One model of what a build produces (#15): public paths, records, the release, the manifest."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from exporter import paths, render
from exporter.errors import RenderError
from exporter.publish import Releases, build
from exporter.release import Output, Release
from exporter.render import Base, Job
from exporter.serve import create_app
from tests.conftest import SEED_ID, tree_bytes

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("pdf", "epub", "site", "feeds", "opds")


def readme_table() -> list[tuple[tuple[str, ...], str]]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## What it publishes", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| path |", "| --- |")):
            continue
        first, what = line[2:-2].split(" | ", 1)
        rows.append((tuple(re.findall(r"`([^`]+)`", first)), what))
    return rows


def test_readme_table_is_the_paths_module() -> None:
    assert readme_table() == [(tuple(ps), what) for ps, what in paths.TABLE]


def test_every_published_file_is_in_the_table_with_a_known_type(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build(content, out, FORMATS)
    assert result.ok, result.problems
    patterns = [paths.table_pattern(p) for ps, _ in paths.TABLE for p in ps]
    root = out.resolve()
    files = [str(p.relative_to(root)) for p in sorted(root.rglob("*")) if p.is_file()]
    assert len(files) > 20
    unlisted = [rel for rel in files if not any(pattern.fullmatch(rel) for pattern in patterns)]
    assert unlisted == []
    untyped = [rel for rel in files if paths.media_type(rel) == "application/octet-stream"]
    assert untyped == []


def test_paths_functions_match_their_table_rows() -> None:
    pattern = {p: paths.table_pattern(p) for ps, _ in paths.TABLE for p in ps}
    assert pattern["issues/<id>/<id>.pdf"].fullmatch(paths.pdf("2026-03-30"))
    assert pattern["issues/<id>/cover.png"].fullmatch(paths.cover("2026-03-30"))
    assert pattern["opds/issues/NNNN.xml"].fullmatch(paths.opds_issues_page(3))
    assert pattern["feeds/archive/editions*/NNNN.xml"].fullmatch(paths.editions_page(paths.EDITIONS_PDF, 2))
    assert not pattern["issues/<id>/<id>.pdf"].fullmatch("issues/a/b/a.pdf")


# -- the order bug, refused writes, a new downloadable format ------------------------------------------

ATOM_NS = "{http://www.w3.org/2005/Atom}"


class TextEdition(Base):
    """A tiny downloadable format: the issue as plain text, ``issues/<id>/<id>.txt`` (one module…)."""

    name = "text"

    def render_issue(self, job: Job) -> list[Output]:
        assert job.issue is not None
        text = "\n\n".join(f"{a.headline}\n{a.summary}" for a in job.issue.articles) + "\n"
        return [job.write(f"{paths.issue_dir(job.issue.id)}{job.issue.id}.txt", text, "download", "纯文本")]


class Outside(Base):
    """Writes an edition-wide file from an issue's render (lost on the next build before #15)."""

    name = "outside"

    def render_issue(self, job: Job) -> list[Output]:
        return [job.write("feeds/stray.xml", "<x/>")]


class Twice(Base):
    """Writes the issue page the site writes too."""

    name = "twice"

    def render_issue(self, job: Job) -> list[Output]:
        assert job.issue is not None
        return [job.write(paths.issue_page(job.issue.id), "<p>mine</p>")]


def served_type(out: Path, path: str) -> tuple[int, str]:
    """(status, Content-Type) the server's application answers a GET of ``path`` with (ASGI, no socket)."""
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": [],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(create_app(out)(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers["content-type"]


def register(mp: pytest.MonkeyPatch, renderer: type) -> None:
    mp.setitem(render.REGISTRY, renderer.name, f"{__name__}:{renderer.__name__}")  # …plus one registry line


def test_format_order_does_not_change_the_release(content: Path, tmp_path: Path) -> None:
    """--format site --format epub gave issue pages without the cover (the site ran before the EPUB)."""
    first = build(content, tmp_path / "a", ("site", "epub"))
    second = build(content, tmp_path / "b", ("epub", "site"))
    assert first.ok and second.ok
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    page = (tmp_path / "a" / paths.issue_page(SEED_ID)).read_text("utf-8")
    assert 'src="cover.png"' in page and f'href="{SEED_ID}.epub"' in page


def test_a_write_outside_the_issue_folder_is_refused(content: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        register(mp, Outside)
        result = build(content, tmp_path / "out", ("site", "outside"))
    assert set(result.problems) == {SEED_ID, "2026-03-23"}
    [problem] = result.problems[SEED_ID]
    assert problem.code == "E401" and problem.field == "outside"
    assert f"outside: feeds/stray.xml is outside issues/{SEED_ID}/" in problem.message
    assert not (tmp_path / "out" / "feeds/stray.xml").exists()


def test_a_second_write_to_the_same_path_is_refused(content: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        register(mp, Twice)
        result = build(content, tmp_path / "out", ("site", "twice"))
    [problem] = result.problems[SEED_ID]
    assert problem.code == "E401" and problem.field == "site"
    assert f"site: issues/{SEED_ID}/index.html was written already in this build (by twice)" in problem.message


def test_the_release_refuses_before_anything_is_written(tmp_path: Path) -> None:
    release = Release()
    release.claim("pdf", SEED_ID, paths.pdf(SEED_ID))
    with pytest.raises(RenderError, match=r"pdf: feeds/x.xml is outside issues/2026-03-30/"):
        release.claim("pdf", SEED_ID, "feeds/x.xml")
    with pytest.raises(RenderError, match=r"outside issues/2026-03-30/"):
        release.claim("pdf", SEED_ID, "issues/2026-03-300/x.pdf")  # a prefix is not the folder
    release.add(Output(paths.pdf(SEED_ID), paths.PDF_TYPE, SEED_ID, "download", "PDF 版", "pdf"))
    with pytest.raises(RenderError, match="written already in this build \\(by pdf\\)"):
        release.claim("epub", SEED_ID, paths.pdf(SEED_ID))


def test_a_new_downloadable_format_is_one_module_and_one_registry_line(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as mp:
        register(mp, TextEdition)
        result = build(content, out, ("epub", "site", "feeds", "opds", "text"))
    assert result.ok, result.problems
    rel = f"issues/{SEED_ID}/{SEED_ID}.txt"
    url = f"http://127.0.0.1:8000/{rel}"
    # the issue page's downloads, after the EPUB (registry order)
    page = (out / paths.issue_page(SEED_ID)).read_text("utf-8")
    offered = re.findall(r'<a href="([^"]+)" type="([^"]+)">([^<]+)</a>', page.split('class="downloads"', 1)[1])
    assert offered[:2] == [
        (f"{SEED_ID}.epub", paths.EPUB_TYPE, "EPUB 电子书"),
        (f"{SEED_ID}.txt", "text/plain", "纯文本"),
    ]
    # the editions feed: an enclosure with its type, length and label
    feed = etree.parse(str(out / paths.EDITIONS)).getroot()
    [entry] = [e for e in feed.iter(f"{ATOM_NS}entry") if e.findtext(f"{ATOM_NS}id", "").endswith(SEED_ID)]
    links = {link.get("href"): link for link in entry.iter(f"{ATOM_NS}link") if link.get("rel") == "enclosure"}
    assert links[url].get("type") == "text/plain" and links[url].get("title") == "纯文本"
    assert links[url].get("length") == str((out / rel).stat().st_size)
    # the OPDS acquisition links
    catalog = etree.parse(str(out / paths.OPDS_ISSUES)).getroot()
    acquire = [
        link.get("type")
        for link in catalog.iter(f"{ATOM_NS}link")
        if link.get("rel", "").startswith("http://opds-spec.org/acquisition") and link.get("href") == url
    ]
    assert acquire == ["text/plain"]
    # the manifest records its type and record, and the server serves it with that type
    releases = Releases(out)
    current = releases.manifest()
    assert current["types"][rel] == "text/plain"
    records = {record["path"]: record for record in current["issues"][SEED_ID]["outputs"]}
    assert records[rel] == {
        "path": rel,
        "media_type": "text/plain", "kind": "download", "label": "纯文本", "renderer": "text"
    }  # fmt: skip
    assert served_type(out, "/" + rel) == (200, "text/plain; charset=utf-8")
    # what the server says comes from the manifest (not the suffix): record another type, serve that
    path = releases.root / f"{current['release']}.json"
    data = json.loads(path.read_text("utf-8"))
    data["types"][rel] = "text/markdown"
    path.write_text(json.dumps(data), "utf-8")
    assert served_type(out, "/" + rel) == (200, "text/markdown; charset=utf-8")


def test_reused_issues_keep_their_downloads_in_the_edition(content: Path, tmp_path: Path) -> None:
    """A rebuild reuses an issue (its records read back from the manifest): the edition still offers its files."""
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as mp:
        register(mp, TextEdition)
        build(content, out, ("epub", "site", "feeds", "text"))
        shutil.rmtree(content / "2026-03-23")  # the edition changes, the seed issue does not
        result = build(content, out, ("epub", "site", "feeds", "text"))
    assert result.ok and result.reused == [SEED_ID] and result.rendered == []
    editions = (out / paths.EDITIONS).read_text("utf-8")
    assert f"{SEED_ID}/{SEED_ID}.txt" in editions and f"{SEED_ID}/{SEED_ID}.epub" in editions
    assert f"{SEED_ID}/cover.png" in (out / paths.EDITIONS_JSON).read_text("utf-8")
    index = (out / paths.INDEX).read_text("utf-8")
    assert f'href="issues/{SEED_ID}/{SEED_ID}.txt"' in index
