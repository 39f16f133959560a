"""One model of what a build produces (#15): public paths, records, the release, the manifest."""

from __future__ import annotations

import re
from pathlib import Path

from exporter import paths
from exporter.publish import build

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
