"""The hostile input corpus (tests/hostile/, one folder per case; see its README.md).

Every case adds a hostile issue (or breaks a published one) in a private copy of the sample content
that has been built once, then checks what an editor and a reader would see:

- ``exporter validate`` exits 3 for refused and kept cases and names file, field and code; 0 for
  cleaned cases;
- the build returns (the service keeps running) within CASE_SECONDS;
- refused: the issue is reported with the code and the published edition stays byte-identical;
  kept: a published issue broken by an edit stays at its last good version, byte-identical;
  cleaned: the issue is published without any of the ``absent`` strings in any output file;
- nothing is written outside the output (the content, the secret files beside it, /tmp/pwned*);
- the next build, with the hostile issue gone, publishes the edition as it was.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import importlib.util
import os
import shutil
import signal
import stat
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image, PngImagePlugin

from exporter import load
from exporter.cli import main
from exporter.publish import BuildResult, build
from tests.conftest import SAMPLE, tree_bytes

# Every case is built with all five formats: a promise that holds only for the cheap ones proves nothing.
FORMATS: tuple[str, ...] = ("pdf", "epub", "site", "feeds", "opds")

HOSTILE = Path(__file__).resolve().parent / "hostile"
BASE = HOSTILE / "_base"
CASES = sorted(p.name for p in HOSTILE.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
DEFAULT_TARGET = "2026-04-06"
CASE_SECONDS = 30  # a generous bound on this loaded 2-core machine; a hang fails here, not in CI's timeout
CANARY = "SECRET-CANARY-5b1e"  # in every file outside the content; must never reach the output
ALWAYS_ABSENT = ("pwned", CANARY)


@dataclasses.dataclass
class Case:
    name: str
    about: str
    expect: str  # refused | cleaned | kept
    code: str = ""
    file: str = ""
    field: str = ""
    message: str = ""
    target: str = DEFAULT_TARGET
    vanish: str = ""  # "", "after-load", "during-render": the issue folder is removed then
    swap: str = ""  # an image path the build finds replaced by a link to outside/secret.png as it renders
    xfail: str = ""  # a known bug, with where it is: the case is expected to fail until it is fixed
    absent: list[str] = dataclasses.field(default_factory=list)
    present: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def read(cls, name: str) -> Case:
        data: dict[str, Any] = yaml.safe_load((HOSTILE / name / "case.yaml").read_text("utf-8"))
        case = cls(name=name, **data)
        assert case.expect in ("refused", "cleaned", "kept"), name
        assert case.vanish in ("", "after-load", "during-render"), name
        assert not (case.vanish and case.swap), name
        if case.expect != "cleaned":
            assert case.code and case.file and case.message, f"{name}: a refusal names code, file and message"
        return case

    @property
    def where(self) -> str:
        """How the message starts: ``file: field:`` (Problem.__str__)."""
        return f"{self.file}: {self.field}: " if self.field else f"{self.file}: "


def test_the_corpus_is_large_and_covers_every_outcome() -> None:
    cases = [Case.read(name) for name in CASES]
    assert len(cases) >= 40
    assert {c.expect for c in cases} == {"refused", "cleaned", "kept"}
    assert {c.vanish for c in cases} == {"", "after-load", "during-render"}
    assert len({c.name.split("-", 1)[1] for c in cases}) == len(cases), "case names repeat"


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the sample edition published as ``out`` (built once; each case copies it)."""
    folder = tmp_path_factory.mktemp("published")
    result = build(SAMPLE, folder / "out", FORMATS)
    assert result.ok, result.problems
    return folder


@pytest.fixture(scope="session")
def baseline(published: Path) -> dict[str, bytes]:
    """The sample edition as published without any hostile issue."""
    return tree_bytes(published / "out")


def make_outside(folder: Path) -> None:
    """Files beside the content that a hostile issue tries to reach; each carries the canary."""
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{CANARY}\n", "utf-8")
    (folder / "secret.md").write_text(
        f"---\nheadline: 秘密 {CANARY}\n---\n\n{CANARY} 正文。\n", "utf-8"
    )  # a valid article
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", CANARY)
    Image.new("RGB", (8, 8), (0, 0, 0)).save(folder / "secret.png", pnginfo=info)
    (folder / "issue.yaml").write_text(
        (BASE / "issue.yaml").read_text("utf-8") + f"note: {CANARY}\n", "utf-8"
    )  # a valid issue


def install(case: Case, content: Path, outside: Path) -> Path:
    """Lay the case's files into the content; run its make.py. Returns the issue folder."""
    folder = content / case.target
    if case.expect != "kept":
        assert not folder.exists(), f"{case.name}: target {case.target} exists in the sample content"
        shutil.copytree(BASE, folder)
    files = HOSTILE / case.name / "issue"
    if files.is_dir():
        shutil.copytree(files, folder, dirs_exist_ok=True)
    maker = HOSTILE / case.name / "make.py"
    if maker.exists():
        spec = importlib.util.spec_from_file_location(f"hostile_{case.name.replace('-', '_')}", maker)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make(folder, outside)
    return folder


def state(root: Path, skip: set[Path]) -> dict[str, str]:
    """What is below root (links and pipes described, never followed or read), minus ``skip``."""
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        for name in dirnames + filenames:
            path = here / name
            if path in skip:
                continue
            info = path.lstat()
            rel = str(path.relative_to(root))
            if stat.S_ISREG(info.st_mode):
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 1 << 20 else "big"
                seen[rel] += f" {info.st_size}"
            elif stat.S_ISLNK(info.st_mode):
                seen[rel] = "-> " + os.readlink(path)
            else:
                seen[rel] = f"mode {stat.S_IFMT(info.st_mode):o}"
    return seen


def pwned_in_tmp() -> set[str]:
    return set(glob.glob("/tmp/pwned*"))


class Timeout(Exception):
    pass


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail a case that takes longer than CASE_SECONDS (a hang on a pipe, a bomb, a slow parser)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Timeout(f"the case took longer than {CASE_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(CASE_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def found(files: dict[str, bytes], needle: str) -> list[str]:
    low = needle.lower().encode("utf-8")
    return [rel for rel, data in files.items() if low in data.lower()]


# -- the corpus ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_hostile_case(
    name: str,
    tmp_path: Path,
    published: Path,
    baseline: dict[str, bytes],
    deadline: None,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    case = Case.read(name)
    if case.xfail:
        request.applymarker(pytest.mark.xfail(reason=case.xfail, strict=True))
    for needle in (*ALWAYS_ABSENT, *case.absent):
        assert not found(baseline, needle), f"{needle!r} is in the clean edition already: the check proves nothing"
    content = shutil.copytree(SAMPLE, tmp_path / "content")
    # The sample edition is published already (a copy of the session's build: the link is relative).
    out, releases = tmp_path / "out", tmp_path / ".out.releases"
    shutil.copytree(published / ".out.releases", releases, symlinks=True)
    os.symlink(os.readlink(published / "out"), out)
    before = tree_bytes(out)
    assert before == baseline

    outside = tmp_path / "outside"
    make_outside(outside)
    folder = install(case, content, outside)
    skip = {out, releases} | ({folder} if case.vanish or case.swap else set())
    files_before, pwned_before = state(tmp_path, skip), pwned_in_tmp()

    # An editor checks the content first.
    checked = CliRunner().invoke(main, ["validate", "--content", str(content)])
    assert checked.exception is None or isinstance(checked.exception, SystemExit), checked.exception
    if case.expect == "cleaned" or case.vanish or case.swap or case.code == "E401":  # E401: fails as it renders
        assert checked.exit_code == 0, checked.output
    else:
        assert checked.exit_code == 3, checked.output
        lines = [line for line in checked.output.splitlines() if line.startswith(case.where)]
        assert lines, f"no message starts with {case.where!r}:\n{checked.output}"
        assert any(case.message in line and f"[{case.code}]" in line for line in lines), checked.output

    # Then the build runs (the scheduler would call the same function).
    progress = None
    if case.vanish == "during-render":

        def progress(message: str) -> None:
            if message.startswith("[") and message.endswith(f" {case.target}"):
                shutil.rmtree(folder)

    elif case.swap:

        def progress(message: str) -> None:
            if message.startswith("[") and message.endswith(f" {case.target}"):
                (folder / case.swap).unlink()
                (folder / case.swap).symlink_to(outside / "secret.png")

    elif case.vanish == "after-load":
        real = load.load_content

        def load_then_vanish(*args: Any, **kwargs: Any) -> load.Content:
            loaded = real(*args, **kwargs)
            shutil.rmtree(folder)
            return loaded

        monkeypatch.setattr(load, "load_content", load_then_vanish)
    result: BuildResult = build(content, out, FORMATS, progress=progress)
    monkeypatch.undo()
    after = tree_bytes(out)

    if case.vanish:
        assert not folder.exists(), "the folder was not removed: the case tests nothing"
    if case.expect == "cleaned":
        assert result.ok, result.problems
        assert case.target in result.rendered
        page = f"issues/{case.target}/index.html"
        assert page in after
        for needle in case.present:
            assert found({k: v for k, v in after.items() if k.startswith(f"issues/{case.target}/")}, needle), needle
    else:
        problems = result.problems.get(case.target, [])
        assert any(p.code == case.code and case.message in str(p) for p in problems), result.problems
        assert set(result.problems) == {case.target}, "other issues were affected"
        assert after == before, "the published edition changed"
        if case.expect == "kept":
            assert result.kept == [case.target]
        else:
            assert case.target not in result.rendered and not result.kept
    for needle in (*ALWAYS_ABSENT, *case.absent):
        assert not found(after, needle), f"{needle!r} reached {found(after, needle)}"
    assert state(tmp_path, skip) == files_before, "something was written outside the output"
    assert pwned_in_tmp() == pwned_before

    # The service goes on: without the hostile issue the next build publishes the edition as before.
    if case.expect != "kept":
        if folder.is_symlink():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        again = build(content, out, FORMATS)
        assert again.ok, again.problems
        assert tree_bytes(out) == before
