"""Shared test helpers: the sample content, the corpus fixture, and builds into temporary folders."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from exporter.publish import BuildResult, build

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "content"  # the seed edition (2026-03-30) and a sample history issue
CORPUS = ROOT / "tests" / "fixtures" / "corpus"  # 29 real articles, one page per channel
SEED_ID = "2026-03-30"
CORPUS_ID = "2026-06-12"
GOLDEN = ROOT / "tests" / "golden"  # expected release trees (tests/test_golden.py)

# Property tests explore new random examples on every local run; on CI they replay the same examples
# (derived from each test), so a CI result depends on the commit alone. Failures print a reproduction blob.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected release trees in tests/golden/ from a fresh build (review with git diff)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the golden trees instead of only comparing with them."""
    return bool(request.config.getoption("--update-golden"))


def copy_content(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private, writable copy of the sample content."""
    return copy_content(SAMPLE, tmp_path / "content")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private, writable copy of the corpus fixture."""
    return copy_content(CORPUS, tmp_path / "corpus")


Builder = Callable[..., BuildResult]


@pytest.fixture
def run_build() -> Builder:
    """build(content, out, formats=...) with a clear failure when an issue did not publish."""

    def run(content: Path, out: Path, formats: tuple[str, ...] = ("site",), **kw: object) -> BuildResult:
        result = build(content, out, formats, **kw)  # type: ignore[arg-type]
        return result

    return run


class Blob(bytes):
    """A file's bytes that print as their length and digest.

    Trees of whole releases are compared with ``==``; when they differ, pytest prints the differing items,
    and on CI (where it does not truncate) a full diff of megabytes of PDF bytes took CI past its time limit.
    """

    def __repr__(self) -> str:
        return f"<{len(self)} bytes sha256:{hashlib.sha256(self).hexdigest()[:16]}>"


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below root (following the output link) with its bytes (which print short)."""
    root = root.resolve()
    return {str(p.relative_to(root)): Blob(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def tree_inodes(root: Path) -> dict[str, int]:
    root = root.resolve()
    return {str(p.relative_to(root)): p.stat().st_ino for p in sorted(root.rglob("*")) if p.is_file()}
