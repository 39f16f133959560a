"""An output that cannot be written: a full disk (ENOSPC) and a read-only file system (EROFS).

Real conditions, no mocks: the output lives on a small tmpfs mounted for the test, filled up or
remounted read-only. Either way ``exporter build`` prints one clear line and exits 5, the previous
release stays served byte for byte, and no release with an issue marked "renderer failed" appears.
Root ignores file permissions, so a read-only mount is the way to make a folder unwritable here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.errors import PublishError
from exporter.publish import Releases, build
from exporter.render import DEFAULT_FORMATS
from tests.conftest import SAMPLE, SEED_ID, copy_content, tree_bytes

MOUNT_SIZE = "48m"  # the sample with all five formats needs a few MB (releases, snapshots, caches)


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A private tmpfs of MOUNT_SIZE, unmounted afterwards; skipped where mounting is not permitted."""
    point = tmp_path / "disk"
    point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here: cannot make a small or read-only file system")
    done = _mount("-t", "tmpfs", "-o", f"size={MOUNT_SIZE},mode=0755", "tmpfs", str(point))
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], capture_output=True, timeout=30)
        if os.path.ismount(point):
            subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` so that about ``leave`` bytes stay free."""
    filler = folder / "filler"
    info = os.statvfs(folder)
    free = info.f_bavail * info.f_frsize
    assert free > leave, "the disk is fuller than the test expects"
    with open(filler, "wb") as handle:
        remaining = free - leave
        block = b"\0" * (1 << 20)
        while remaining > 0:
            remaining -= handle.write(block[: min(len(block), remaining)])
    info = os.statvfs(folder)
    assert info.f_bavail * info.f_frsize <= leave + 4096 * 4
    return filler


def edit_seed(content: Path) -> None:
    """A change to the published issue, so that it is rendered again (PDF, EPUB and pages)."""
    path = content / SEED_ID / "ai-plus-industry-forum.md"
    path.write_text(path.read_text("utf-8").replace("论坛现场", "论坛现场（更正）", 1), "utf-8")


def run_cli(content: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--content", str(content), "--out", str(out), "--quiet"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def staging_left(out: Path) -> list[str]:
    return [p.name for p in Releases(out).root.glob(".staging-*")]


def test_a_full_disk_during_an_issue_render_exits_5_and_keeps_the_release(tmp_path: Path, disk: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = disk / "out"
    first = build(content, out, DEFAULT_FORMATS)
    assert first.ok, first.problems
    release, before = Releases(out).current_id(), tree_bytes(out)
    manifest = Releases(out).manifest()

    edit_seed(content)
    filler = fill(disk, leave=64 * 1024)  # far less than the issue's PDF and EPUB
    code, output = run_cli(content, out)
    assert code == 5, output
    line = output.strip().splitlines()[-1]
    assert line.startswith("cannot write the output: "), output
    assert f"{Releases(out).root}/" in line, "the message names the file"
    assert ": No space left on device [ENOSPC]; " in line
    assert line.endswith(f"{out} still shows release {release}"), line
    assert "Traceback" not in output

    # No half-updated release: the same release, byte for byte, the same manifest, no staging left.
    assert Releases(out).current_id() == release
    assert tree_bytes(out) == before
    assert Releases(out).manifest() == manifest
    assert staging_left(out) == []

    # With room again, the next build renders the issue (no failure was remembered for it).
    filler.unlink()
    again = build(content, out, DEFAULT_FORMATS)
    assert again.ok, again.problems
    assert SEED_ID in again.rendered and again.changed


def test_a_full_disk_in_the_first_build_says_there_is_no_release(tmp_path: Path, disk: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = disk / "out"
    fill(disk, leave=256 * 1024)
    with pytest.raises(PublishError, match=r"No space left on device \[ENOSPC\]; .* has no release yet") as info:
        build(content, out, DEFAULT_FORMATS)
    assert info.value.exit_code == 5
    assert not out.exists() and not out.is_symlink()
    assert staging_left(out) == []


def test_a_read_only_output_exits_5_and_keeps_the_release(tmp_path: Path, disk: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = disk / "out"
    assert build(content, out, DEFAULT_FORMATS).ok
    release, before = Releases(out).current_id(), tree_bytes(out)

    edit_seed(content)
    done = _mount("-o", "remount,ro", str(disk))
    assert done.returncode == 0, done.stderr
    try:
        code, output = run_cli(content, out)
    finally:
        assert _mount("-o", "remount,rw", str(disk)).returncode == 0
    assert code == 5, output
    line = output.strip().splitlines()[-1]
    assert line.startswith(f"cannot write the output: {Releases(out).root}"), output
    assert "Read-only file system [EROFS]" in line
    assert line.endswith(f"{out} still shows release {release}"), line
    assert Releases(out).current_id() == release
    assert tree_bytes(out) == before
