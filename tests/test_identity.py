"""Byte identity: the release depends on the content alone.

The same content, built by ``exporter build`` in separate processes from different content folders, into
different output paths, under different umasks, time zones, locales and hash seeds, gives the same bytes
and the same modes for every file and folder of all five formats (pdf, epub, site, feeds, opds).

A published issue whose new source is broken stays published as it was: every file byte-identical (its
files hard-linked from the last release, not made again from its source snapshot), the edition's
feeds and catalogs (which carry the PDF's length) unchanged too.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exporter.publish import Releases, build
from exporter.render import DEFAULT_FORMATS
from tests.conftest import ROOT, SAMPLE, SEED_ID, copy_content, tree_bytes, tree_inodes

NOW = "2026-07-01T00:00:00+0800"  # the embargo clock: every sample issue is public


def tree_modes(root: Path) -> dict[str, int]:
    """Every file and folder below root (following the output link) with its permission bits."""
    root = root.resolve()
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode) for p in sorted(root.rglob("*"))} | {
        ".": stat.S_IMODE(root.stat().st_mode)
    }


def build_in_process(content: Path, out: Path, *, umask: int, env: dict[str, str]) -> None:
    """``exporter build`` in a child process with its own umask and environment."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "TZ", "PYTHONHASHSEED"))}
    full |= env
    full["PYTHONPATH"] = str(ROOT)
    code = f"import os, sys; os.umask({umask:#o}); from exporter.cli import main; sys.argv[0] = 'exporter'; main()"
    args = ["build", "--content", str(content), "--out", str(out), "--now", NOW, "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=full, capture_output=True, text=True, timeout=600, cwd=content.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr


VARIANTS = {
    "plain": (0o022, {"TZ": "UTC", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"}),
    "private umask, far zone, C locale": (
        0o077,
        {"TZ": "Pacific/Kiritimati", "LC_ALL": "C", "LANG": "C", "PYTHONHASHSEED": "4242"},
    ),
    "open umask, west zone, Chinese locale": (
        0o002,
        {"TZ": "America/Los_Angeles", "LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8", "PYTHONHASHSEED": "random"},
    ),
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, int]]:
    base = tmp_path_factory.mktemp("identity-ref")
    content = copy_content(SAMPLE, base / "content")
    umask, env = VARIANTS["plain"]
    build_in_process(content, base / "out", umask=umask, env=env)
    return tree_bytes(base / "out"), tree_modes(base / "out")


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "plain"])
def test_paths_umask_zone_locale_and_hash_seed_do_not_change_a_byte_or_a_mode(
    variant: str, tmp_path: Path, reference: tuple[dict[str, bytes], dict[str, int]]
) -> None:
    ref_bytes, ref_modes = reference
    # Everything about the place differs: a deeper content folder with a space and CJK in its name, and
    # an output with another name elsewhere.
    content = copy_content(SAMPLE, tmp_path / "编辑 部" / "another content folder")
    out = tmp_path / "elsewhere" / "public html"
    out.parent.mkdir()
    umask, env = VARIANTS[variant]
    build_in_process(content, out, umask=umask, env=env)
    got = tree_bytes(out)
    # Every format is there (the comparison must cover all five renderers).
    for rel in (f"issues/{SEED_ID}/{SEED_ID}.pdf", f"issues/{SEED_ID}/{SEED_ID}.epub", "index.html",
                "feeds/atom.xml", "opds/catalog.xml"):  # fmt: skip
        assert rel in got, rel
    assert got.keys() == ref_bytes.keys()
    assert got == ref_bytes
    modes = tree_modes(out)
    assert modes == ref_modes
    assert set(modes.values()) == {0o644, 0o755}
    # The release folder the server reads through is readable under any umask.
    assert stat.S_IMODE(Releases(out).root.stat().st_mode) == 0o755


def test_no_absolute_path_of_the_content_or_output_reaches_any_file(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "unique-content-marker-7f3a")
    out = tmp_path / "unique-output-marker-9c1d"
    build(content, out, DEFAULT_FORMATS)
    files = tree_bytes(out)
    for needle in (b"unique-content-marker-7f3a", b"unique-output-marker-9c1d", str(tmp_path).encode()):
        assert not [rel for rel, data in files.items() if needle in data], needle


def break_article(content: Path) -> bytes:
    """Put a control character in a headline of the published issue; returns the file's good bytes."""
    path = content / SEED_ID / "ai-plus-industry-forum.md"
    good = path.read_bytes()
    text = good.decode("utf-8")
    assert "\nheadline: " in text
    path.write_text(text.replace("\nheadline: ", '\nheadline: "\\a"\nsubheadline: ', 1), "utf-8")
    return good


def test_a_kept_issue_is_byte_identical_in_every_file_and_hard_linked(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = tmp_path / "out"
    first = build(content, out, DEFAULT_FORMATS)
    assert first.ok, first.problems
    before, inodes = tree_bytes(out), tree_inodes(out)

    # The editor breaks the published issue, and the content folder moves (a new checkout, say).
    moved = tmp_path / "moved" / "content"
    moved.parent.mkdir()
    shutil.move(content, moved)
    good = break_article(moved)
    second = build(moved, out, DEFAULT_FORMATS)
    assert second.kept == [SEED_ID]
    assert [p.field for p in second.problems[SEED_ID]] == ["headline"], second.problems
    assert SEED_ID not in second.rendered
    assert tree_bytes(out) == before
    # Not made again from its snapshot: the very files of the last release.
    after = tree_inodes(out)
    kept = [rel for rel in inodes if rel.startswith(f"issues/{SEED_ID}/")]
    assert kept and all(after[rel] == inodes[rel] for rel in kept)
    manifest = Releases(out).manifest()
    assert manifest["issues"][SEED_ID]["basis"] == "release"
    assert manifest["problems"][SEED_ID], "the manifest records the current problems"

    # Still broken in the next build: still the same; fixed back: the same again, from the content.
    assert build(moved, out, DEFAULT_FORMATS).kept == [SEED_ID]
    assert tree_bytes(out) == before
    (moved / SEED_ID / "ai-plus-industry-forum.md").write_bytes(good)
    third = build(moved, out, DEFAULT_FORMATS)
    assert third.ok and not third.kept, third.problems
    assert tree_bytes(out) == before
    assert json.loads(json.dumps(Releases(out).manifest()["problems"])) == {}


def test_a_kept_issue_made_again_after_a_template_change_is_the_same_as_from_its_folder(tmp_path: Path) -> None:
    """When the build environment changes, a kept issue is rendered again from its snapshot: that must
    give the bytes a render from the content folder would (the snapshot's path reaches no file)."""
    templates = shutil.copytree(ROOT / "templates", tmp_path / "templates")
    content = copy_content(SAMPLE, tmp_path / "content")
    out = tmp_path / "out"
    assert build(content, out, DEFAULT_FORMATS).ok
    (templates / "site" / "extra.txt").write_text("a template change\n", "utf-8")  # a new environment key
    break_article(content)
    kept = build(content, out, DEFAULT_FORMATS, templates_dir=templates)
    assert kept.kept == [SEED_ID] and SEED_ID in kept.rendered
    assert Releases(out).manifest()["issues"][SEED_ID]["basis"] == "snapshot"
    from_snapshot = tree_bytes(out)

    clean = copy_content(SAMPLE, tmp_path / "clean")
    build(clean, tmp_path / "out2", DEFAULT_FORMATS, templates_dir=templates)
    direct = tree_bytes(tmp_path / "out2")
    issue_files = [rel for rel in direct if rel.startswith(f"issues/{SEED_ID}/")]
    assert issue_files
    assert {rel: from_snapshot[rel] for rel in issue_files} == {rel: direct[rel] for rel in issue_files}
