"""The build pipeline: deterministic, incremental, atomic, and open to a new renderer in one line."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from exporter import render
from exporter.cache import Memo
from exporter.errors import RenderError
from exporter.load import load_content
from exporter.publish import Releases, build
from exporter.release import Release
from exporter.render import Job
from tests.conftest import SAMPLE, SEED_ID, tree_bytes, tree_inodes

FAST = ("site", "null")
HERE = {"pdf_isolate": False}  # every issue rendered in the build process (the renderers' calls are seen here)


def test_two_builds_are_byte_identical_and_the_second_rewrites_nothing(tmp_path: Path, content: Path) -> None:
    first = build(content, tmp_path / "out", FAST)
    assert first.changed and sorted(first.rendered) == ["2026-03-23", SEED_ID]
    before, inodes = tree_bytes(tmp_path / "out"), tree_inodes(tmp_path / "out")
    target = os.readlink(tmp_path / "out")

    second = build(content, tmp_path / "out", FAST)
    assert not second.changed
    assert second.rendered == [] and second.written == 0
    assert os.readlink(tmp_path / "out") == target
    assert tree_bytes(tmp_path / "out") == before
    assert tree_inodes(tmp_path / "out") == inodes, "a file was rewritten"


def test_same_input_gives_the_same_bytes_in_separate_outputs(tmp_path: Path, content: Path) -> None:
    build(content, tmp_path / "a", FAST)
    build(content, tmp_path / "b", FAST)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    assert os.readlink(tmp_path / "a").split("/")[-1] == os.readlink(tmp_path / "b").split("/")[-1]


def test_editing_one_article_rerenders_only_its_issue(tmp_path: Path, content: Path) -> None:
    build(content, tmp_path / "out", FAST)
    old = tree_inodes(tmp_path / "out")
    article = content / SEED_ID / "ai-plus-industry-forum.md"
    article.write_text(article.read_text("utf-8").replace("论坛现场还启动了", "论坛现场同时启动了"), "utf-8")

    result = build(content, tmp_path / "out", FAST)
    assert result.changed
    assert result.rendered == [SEED_ID] and result.reused == ["2026-03-23"]
    new = tree_inodes(tmp_path / "out")
    changed = sorted(path for path in new if old.get(path) != new[path])
    assert f"issues/{SEED_ID}/ai-plus-industry-forum.html" in changed
    assert not any(p.startswith("issues/2026-03-23/") for p in changed), changed
    # unchanged pages of the edited issue are not rewritten either
    assert f"issues/{SEED_ID}/media/images/kevin-kelly-ai-glasses.png" not in changed
    page = (tmp_path / "out" / "issues" / SEED_ID / "ai-plus-industry-forum.html").read_text("utf-8")
    assert "论坛现场同时启动了" in page


def test_output_is_a_link_swapped_to_complete_releases(tmp_path: Path, content: Path) -> None:
    out = tmp_path / "out"
    build(content, out, FAST)
    assert out.is_symlink()
    releases = Releases(out)
    manifest = releases.manifest()
    assert set(manifest["files"]) == set(tree_bytes(out))
    # the release folder is beside the output link, never inside it
    assert releases.root.parent == out.parent
    assert not any(name.startswith(".") for name in os.listdir(out))
    # leftovers of a killed build are cleared by the next one
    stale = releases.root / ".staging-killed"
    stale.mkdir()
    (content / SEED_ID / "issue.yaml").write_text(
        (content / SEED_ID / "issue.yaml").read_text("utf-8").replace("name: 要闻", "name: 头版"), "utf-8"
    )
    build(content, out, FAST)
    assert not stale.exists()
    assert "第1版 · 头版" in (out / "issues" / SEED_ID / "index.html").read_text("utf-8")


def test_refuses_to_overwrite_a_real_folder(tmp_path: Path, content: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("keep me")
    from exporter.errors import PublishError

    with pytest.raises(PublishError, match="not an exporter output link"):
        build(content, tmp_path / "out", FAST)
    assert (tmp_path / "out" / "precious.txt").read_text() == "keep me"


def test_embargoed_issue_is_invisible_until_its_time(tmp_path: Path, content: Path) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    before = datetime(2026, 3, 30, 5, 59, tzinfo=tz)  # seed publish_time is 06:00 +08:00
    result = build(content, tmp_path / "out", FAST, now=before)
    assert result.embargoed == [SEED_ID]
    assert result.next_embargo == datetime(2026, 3, 30, 6, 0, tzinfo=tz)
    assert not (tmp_path / "out" / "issues" / SEED_ID).exists()
    assert SEED_ID not in "".join(b.decode("utf-8", "replace") for b in tree_bytes(tmp_path / "out").values())

    result = build(content, tmp_path / "out", FAST, now=datetime(2026, 3, 30, 6, 0, tzinfo=tz))
    assert result.embargoed == [] and result.rendered == [SEED_ID]
    assert (tmp_path / "out" / "issues" / SEED_ID / "index.html").is_file()


def test_broken_edit_keeps_the_last_good_version(tmp_path: Path, content: Path) -> None:
    build(content, tmp_path / "out", FAST)
    before = tree_bytes(tmp_path / "out")
    issue = content / SEED_ID / "issue.yaml"
    issue.write_text(issue.read_text("utf-8").replace("total_number: 2663", "total_number: -1"), "utf-8")
    result = build(content, tmp_path / "out", FAST)
    assert result.kept == [SEED_ID] and SEED_ID in result.problems
    assert tree_bytes(tmp_path / "out") == before


class CountingRenderer:
    """A renderer defined outside the package: one class, one registry line."""

    name = "counting"
    calls: ClassVar[list[str | None]] = []

    def render(self, job: Job) -> list[Path]:
        CountingRenderer.calls.append(job.issue.id if job.issue else None)
        if job.issue is None:
            data = {"issues": [i.id for i in job.issues], "title": job.publication.title}
            return [job.write("counting.json", json.dumps(data, ensure_ascii=False))]
        return [job.write(f"{job.issue.dir}count.txt", str(len(job.issue.articles)))]


@pytest.mark.parametrize("here", [False, True], ids=["render-processes", "in-process"])
def test_a_new_renderer_is_one_module_and_one_registry_line(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch, here: bool
) -> None:
    monkeypatch.setitem(render.REGISTRY, "counting", f"{__name__}:CountingRenderer")  # the one line
    CountingRenderer.calls.clear()
    result = build(content, tmp_path / "out", ("counting",), options=HERE if here else {})
    assert result.timings.keys() == {"counting"}
    # In render processes each issue's render happens in its child (which imports the renderer by its
    # module and class): this process only runs the edition phase.
    assert sorted(CountingRenderer.calls, key=str) == (["2026-03-23", SEED_ID, None] if here else [None])
    assert json.loads((tmp_path / "out" / "counting.json").read_text("utf-8"))["issues"] == [SEED_ID, "2026-03-23"]
    assert (tmp_path / "out" / "issues" / SEED_ID / "count.txt").read_text() == "2"
    # the null renderer shipped with the package satisfies the same protocol
    assert isinstance(render.get("null"), render.Renderer)


def test_unknown_format_is_refused(tmp_path: Path, content: Path) -> None:
    from exporter.errors import PublishError

    with pytest.raises(PublishError, match="unknown format 'mobi'"):
        build(content, tmp_path / "out", ("mobi",))
    assert not (tmp_path / "out").exists()


def test_unchanged_folders_are_not_read_again_but_any_edit_is_seen(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stat index in front of the folder hashes: no reads when nothing was touched; an edit that
    keeps the size and the modification time is still seen (its change time moved)."""
    import hashlib
    import os

    from exporter import load

    monkeypatch.setattr(load, "RACY_NS", 0)  # trust stat signatures at once (normally: after 3 s)
    build(content, tmp_path / "out", FAST)
    reads: list[object] = []
    real = hashlib.file_digest

    def counting(handle: object, digest: str) -> object:
        reads.append(handle)
        return real(handle, digest)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "file_digest", counting)
    assert not build(content, tmp_path / "out", FAST).changed
    assert reads == [], "unchanged folders were read"

    article = content / SEED_ID / "ai-plus-industry-forum.md"
    before = article.stat()
    article.write_text(article.read_text("utf-8").replace("论坛现场还启动了", "论坛现场也启动了"), "utf-8")
    os.utime(article, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert article.stat().st_size == before.st_size and article.stat().st_mtime_ns == before.st_mtime_ns
    result = build(content, tmp_path / "out", FAST)
    assert result.rendered == [SEED_ID]
    assert "论坛现场也启动了" in (tmp_path / "out" / "issues" / SEED_ID / "ai-plus-industry-forum.html").read_text(
        "utf-8"
    )


def test_job_write_stays_in_the_release_and_never_writes_through_a_memo_link(tmp_path: Path) -> None:
    loaded = load_content(SAMPLE)
    out = tmp_path / "release"
    out.mkdir()
    job = Job(loaded.publication, tuple(loaded.issues), None, out, {}, memo=Memo(tmp_path / "memo"))
    for rel in ("../outside.txt", "/tmp/outside.txt", "feeds/../../outside.txt"):
        with pytest.raises(ValueError, match="outside the output folder"):
            job.write(rel, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]
    stored = job.memoized("doc", ["key"], lambda: b"kept")
    assert isinstance(stored, Path)
    linked = job.file(job.write("feeds/doc.xml", stored))
    assert linked.read_bytes() == b"kept" and linked.stat().st_ino == stored.stat().st_ino  # linked, not copied
    with pytest.raises(RenderError, match=r"feeds/doc\.xml was written already"):  # one write per path and build
        job.write("feeds/doc.xml", b"again")
    # a later write (another release's record) replaces the link, not the memo entry
    dataclasses.replace(job, release=Release()).write("feeds/doc.xml", b"replaced")
    assert stored.read_bytes() == b"kept" and linked.read_bytes() == b"replaced"
    assert job.memoized("doc", ["key"], lambda: b"made again") == stored  # a hit does not call make()


class BackgroundRenderer:
    """A renderer with start(): it works in the background, like the PDF (which takes seconds)."""

    name = "background"
    calls: ClassVar[list[tuple[str, int]]] = []  # (issue, how many issues the job held)
    cancelled: ClassVar[list[str]] = []
    edit: ClassVar[Path | None] = None  # a file to change when first started (an editor saving mid-build)

    def render(self, job: Job) -> list[Path]:
        return []

    def start(self, job: Job) -> Callable[..., list[Path]]:
        issue = job.issue
        assert issue is not None
        BackgroundRenderer.calls.append((issue.id, len(job.issues)))
        if BackgroundRenderer.edit is not None:
            with BackgroundRenderer.edit.open("a", encoding="utf-8") as handle:
                handle.write("\n编辑在构建中追加的一段。\n")
            BackgroundRenderer.edit = None

        def finish(cancel: bool = False) -> list[Path]:
            if cancel:
                BackgroundRenderer.cancelled.append(issue.id)
                return []
            return [job.write(f"{issue.dir}background.html", "".join(a.body_html for a in issue.articles))]

        return finish


def _new_issue(content: Path, issue_id: str, total: int) -> Path:
    """A copy of the seed issue as issue ``issue_id`` with the total number ``total``."""
    folder = content / issue_id
    shutil.copytree(content / SEED_ID, folder)
    meta = folder / "issue.yaml"
    text = meta.read_text("utf-8").replace(f"'{SEED_ID}'", f"'{issue_id}'").replace("2026-03-30T", f"{issue_id}T")
    meta.write_text(text.replace("number: 11", "number: 12").replace("total_number: 2663", f"total_number: {total}"))
    return folder


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    monkeypatch.setitem(render.REGISTRY, "background", f"{__name__}:BackgroundRenderer")
    BackgroundRenderer.calls.clear()
    BackgroundRenderer.cancelled.clear()
    BackgroundRenderer.edit = None
    return ("background", "site")


def test_a_new_issue_starts_before_the_archive_is_loaded(
    tmp_path: Path, content: Path, background: tuple[str, ...]
) -> None:
    assert build(content, tmp_path / "out", background, options=HERE).ok
    BackgroundRenderer.calls.clear()
    _new_issue(content, "2026-04-06", 2664)
    result = build(content, tmp_path / "out", background, options=HERE)
    assert result.ok and result.rendered == ["2026-04-06"]
    # started with the new issue alone (the rest not loaded yet), then taken over by the build
    assert BackgroundRenderer.calls == [("2026-04-06", 1)] and BackgroundRenderer.cancelled == []
    assert (tmp_path / "out/issues/2026-04-06/background.html").is_file()


def test_in_render_processes_a_new_issue_starts_before_the_archive_is_loaded(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same head start with render processes: the new issue's child (every format) is started
    before the archive is loaded, and the build takes it over instead of starting another."""
    from exporter import jobs, load

    assert build(content, tmp_path / "out", FAST).ok
    _new_issue(content, "2026-04-06", 2664)
    events: list[str] = []
    real_start, real_load = jobs.Pool.start, load.load_content

    def start(self: jobs.Pool, task: jobs.Task) -> None:
        events.append(f"start {task.issue.id}")
        real_start(self, task)

    def load_content(*args: object, **kwargs: object) -> load.Content:
        events.append("load")
        return real_load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jobs.Pool, "start", start)
    monkeypatch.setattr(load, "load_content", load_content)
    result = build(content, tmp_path / "out", FAST)
    assert result.ok and result.rendered == ["2026-04-06"]
    assert events == ["start 2026-04-06", "load"]
    assert (tmp_path / "out/issues/2026-04-06/index.html").is_file()


def test_an_early_render_the_plan_refuses_is_cancelled(
    tmp_path: Path, content: Path, background: tuple[str, ...]
) -> None:
    assert build(content, tmp_path / "out", background, options=HERE).ok
    before = tree_bytes(tmp_path / "out")
    BackgroundRenderer.calls.clear()
    _new_issue(content, "2026-04-06", 2663)  # valid alone; the seed issue has this total number
    result = build(content, tmp_path / "out", background, options=HERE)
    assert [p.code for p in result.problems["2026-04-06"]] == ["E205"]
    assert BackgroundRenderer.calls == [("2026-04-06", 1)] and BackgroundRenderer.cancelled == ["2026-04-06"]
    assert tree_bytes(tmp_path / "out") == before and not result.changed
    assert not multiprocessing.active_children()


def test_an_issue_changed_after_its_early_start_is_started_again(
    tmp_path: Path, content: Path, background: tuple[str, ...]
) -> None:
    assert build(content, tmp_path / "out", background, options=HERE).ok
    BackgroundRenderer.calls.clear()
    folder = _new_issue(content, "2026-04-06", 2664)
    BackgroundRenderer.edit = sorted(folder.glob("*.md"))[0]
    result = build(content, tmp_path / "out", background, options=HERE)
    assert result.ok and result.rendered == ["2026-04-06"]
    assert BackgroundRenderer.calls == [("2026-04-06", 1), ("2026-04-06", 3)]
    assert BackgroundRenderer.cancelled == ["2026-04-06"]
    assert "编辑在构建中追加的一段" in (tmp_path / "out/issues/2026-04-06/background.html").read_text("utf-8")


def test_a_draft_made_by_new_is_never_started_nor_published(
    tmp_path: Path, content: Path, background: tuple[str, ...]
) -> None:
    """`exporter new` wrote a placeholder the running service published within seconds: it is a draft now,
    not started early (the PDF's background render), not published, until `draft: true` is removed."""
    from click.testing import CliRunner

    from exporter.cli import main

    out = tmp_path / "out"
    assert build(content, out, background, options=HERE).ok
    before = tree_bytes(out)
    BackgroundRenderer.calls.clear()
    made = CliRunner().invoke(main, ["new", "--content", str(content), "--date", "2026-04-06"])
    assert made.exit_code == 0, made.output
    result = build(content, out, background, options=HERE)
    assert result.ok and not result.changed and result.rendered == []
    assert BackgroundRenderer.calls == [], "a draft must not be started early"
    assert tree_bytes(out) == before and not (out / "issues" / "2026-04-06").exists()

    meta = content / "2026-04-06" / "issue.yaml"
    meta.write_text(meta.read_text("utf-8").replace("draft: true\n", ""), "utf-8")
    result = build(content, out, background, options=HERE)
    assert result.ok and result.rendered == ["2026-04-06"]
    assert BackgroundRenderer.calls == [("2026-04-06", 1)]
    assert (out / "issues" / "2026-04-06" / "index.html").is_file()


def test_a_new_issue_cannot_take_the_number_of_a_kept_issue(tmp_path: Path, content: Path) -> None:
    """The seed issue breaks and is kept as 总第2663期; a new issue numbered 2663 (valid, and the only
    valid one with that number) is refused instead of publishing 总第2663期 twice."""
    out = tmp_path / "out"
    assert build(content, out, FAST).ok
    before = tree_bytes(out)
    _new_issue(content, "2026-04-06", 2663)
    meta = content / SEED_ID / "issue.yaml"
    meta.write_text(meta.read_text("utf-8") + "unknown_key: 1\n", "utf-8")
    result = build(content, out, FAST)
    assert result.kept == [SEED_ID]
    problems = result.problems["2026-04-06"]
    assert [(p.file, p.field, p.code) for p in problems] == [("2026-04-06/issue.yaml", "total_number", "E205")]
    assert f"is also the number of issue {SEED_ID}" in problems[0].message
    assert tree_bytes(out) == before
