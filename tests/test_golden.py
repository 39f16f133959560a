"""Golden output trees: the seed issue's whole release, byte for byte (#15).

The sample content folder (the seed issue 2026-03-30 and the history issue 2026-03-23, so feeds and
OPDS have their normal shape) is built with all five formats at a fixed clock, and every file of the
release is compared with ``tests/golden/<name>/``: web pages, feeds, catalogs, cover, PDF and EPUB.
Nothing is excluded: the pipeline makes the same bytes on every machine with the same fonts and tool
versions (``tests/test_identity.py`` shows paths, umask, zone, locale and hash seed change nothing).

When an output changes on purpose, rewrite the trees and review the change in ``git diff``::

    .venv/bin/python -m pytest tests/test_golden.py --update-golden

(the same flag Pelican's and Standard Ebooks' test suites use for their expected outputs).
"""

from __future__ import annotations

import difflib
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exporter.publish import build
from exporter.render import DEFAULT_FORMATS
from tests.conftest import GOLDEN, SAMPLE, SEED_ID, Blob, copy_content, tree_bytes

pytestmark = pytest.mark.slow

NOW = datetime(2026, 7, 1, tzinfo=ZoneInfo("Asia/Shanghai"))  # every sample issue is public
TREES = {"sample": SAMPLE}  # name → content folder; expected files in tests/golden/<name>/
TEXT = (".html", ".xml", ".xsl", ".json", ".opml", ".css", ".txt")  # shown as a diff when changed
DIFF_LINES = 30  # per changed text file in a failure message
# Files made with the system's fonts: when only these differ, the fonts (or font tools) likely changed.
FONT_MADE = (".pdf", ".epub", "cover.png")


def release(content: Path, out: Path) -> dict[str, bytes]:
    result = build(content, out, DEFAULT_FORMATS, now=NOW)
    assert result.ok, result.problems
    assert not result.embargoed, "the golden clock must make every sample issue public"
    return tree_bytes(out)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Each golden content folder built once: name → release tree."""
    trees = {}
    for name, source in TREES.items():
        base = tmp_path_factory.mktemp(f"golden-{name}")
        trees[name] = release(copy_content(source, base / "content"), base / "out")
    return trees


def describe(expected: dict[str, bytes], got: dict[str, bytes]) -> str:
    """Missing, extra and changed files, with the first lines of a diff for changed text files."""
    missing = sorted(expected.keys() - got.keys())
    extra = sorted(got.keys() - expected.keys())
    changed = sorted(rel for rel in expected.keys() & got.keys() if expected[rel] != got[rel])
    lines = [f"missing ({len(missing)}, in the golden tree, not built): {rel}" for rel in missing]
    lines += [f"extra ({len(extra)}, built, not in the golden tree): {rel}" for rel in extra]
    for rel in changed:
        lines.append(f"changed: {rel} {Blob(expected[rel])!r} → {Blob(got[rel])!r}")
        if not rel.endswith(TEXT):
            continue  # PDF, EPUB, PNG: the digests say enough
        old, new = (data.decode("utf-8", "replace") for data in (expected[rel], got[rel]))
        diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "golden", "built", lineterm="", n=1))
        lines += ["    " + line for line in diff[:DIFF_LINES]]
        if len(diff) > DIFF_LINES:
            lines.append(f"    … {len(diff) - DIFF_LINES} more diff lines")
    if changed and all(rel.endswith(FONT_MADE) for rel in changed) and not missing and not extra:
        lines.append("only files drawn with the system fonts differ: were the fonts or WeasyPrint/HarfBuzz updated?")
    lines.append("if the change is intended: pytest tests/test_golden.py --update-golden, then review git diff")
    return "\n".join(lines)


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.mark.parametrize("name", sorted(TREES))
def test_release_matches_the_golden_tree_byte_for_byte(
    name: str, built: dict[str, dict[str, bytes]], update_golden: bool
) -> None:
    got = built[name]
    # The comparison covers all five renderers and both issues.
    for rel in (f"issues/{SEED_ID}/{SEED_ID}.pdf", f"issues/{SEED_ID}/{SEED_ID}.epub", f"issues/{SEED_ID}/index.html",
                "issues/2026-03-23/index.html", "index.html", "feeds/atom.xml", "opds/catalog.xml"):  # fmt: skip
        assert rel in got, rel
    folder = GOLDEN / name
    if update_golden:
        write_tree(folder, got)
    assert folder.is_dir(), f"no golden tree {folder}: run pytest tests/test_golden.py --update-golden"
    expected = tree_bytes(folder)
    assert expected == got, describe(expected, got)


def test_the_golden_build_does_not_depend_on_where_it_runs(tmp_path: Path, built: dict[str, dict[str, bytes]]) -> None:
    """A fresh clone at another path (spaces and CJK in it) builds the same bytes."""
    content = copy_content(SAMPLE, tmp_path / "另一个 clone" / "tests data" / "content")
    out = tmp_path / "elsewhere" / "public html"
    out.parent.mkdir()
    got = release(content, out)
    assert got == built["sample"], describe(built["sample"], got)


def test_a_difference_is_reported_as_missing_extra_and_changed_files() -> None:
    expected = {"a.html": b"<p>one</p>\n<p>two</p>\n", "b.pdf": b"%PDF-1", "gone.xml": b"<x/>"}
    got = {"a.html": b"<p>one</p>\n<p>2</p>\n", "b.pdf": b"%PDF-2", "new.json": b"{}"}
    text = describe(expected, got)
    assert "missing (1, in the golden tree, not built): gone.xml" in text
    assert "extra (1, built, not in the golden tree): new.json" in text
    assert "changed: a.html" in text and "-<p>two</p>" in text and "+<p>2</p>" in text
    assert "changed: b.pdf <6 bytes sha256:" in text  # binary: digests, never megabytes of bytes
    assert "%PDF" not in text
