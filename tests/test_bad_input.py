"""Bad input: each case gives a clear file: field message, a non-zero `validate`, and leaves the
published edition byte-identical (the broken issue stays at its last good version or is not published).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.publish import build
from exporter.render import DEFAULT_FORMATS
from tests.conftest import SEED_ID, tree_bytes

ALL_FORMATS = DEFAULT_FORMATS  # every refusal is checked through all five renderers

ARTICLE = f"{SEED_ID}/ai-plus-industry-forum.md"
PHOTO_ARTICLE = f"{SEED_ID}/world-leading-science-parks.md"
ISSUE = f"{SEED_ID}/issue.yaml"


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text("utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), "utf-8")

    return apply


def new_issue(files: dict[str, str | bytes]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        folder = root / "2026-04-06"
        folder.mkdir()
        for name, data in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return apply


def symlinked_image(root: Path) -> None:
    outside = root.parent / "outside.png"
    (root / SEED_ID / "images" / "kevin-kelly-ai-glasses.png").rename(outside)
    os.symlink(outside, root / SEED_ID / "images" / "kevin-kelly-ai-glasses.png")


def gbk_article(root: Path) -> None:
    path = root / ARTICLE
    path.write_bytes(path.read_text("utf-8").encode("gbk"))


GOOD_ISSUE = (
    "date: 2026-04-06\nnumber: 12\ntotal_number: 2664\npage_count: 16\npages:\n  - number: 1\n    articles: [a]\n"
)

CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing required field": (edit(ARTICLE, "headline: ", "kicker: "), f"{ARTICLE}: headline: is required"),
    "wrong type": (edit(ISSUE, "number: 11", "number: eleven"), f"{ISSUE}: number: "),
    "bad date": (edit(ISSUE, "date: '2026-03-30'", "date: '2026-02-30'"), f"{ISSUE}: date: "),
    "duplicate slug": (
        edit(ISSUE, "  - ai-plus-industry-forum", "  - ai-plus-industry-forum\n  - ai-plus-industry-forum"),
        f"{ISSUE}: pages.0.articles.2: article 'ai-plus-industry-forum' is placed twice",
    ),
    "control character in headline": (
        edit(ARTICLE, "headline: 政产学研共谋", 'headline: "政产学研\\a共谋"\nsubheadline: '),
        f"{ARTICLE}: headline: contains the control character U+0007",
    ),
    "control character in body": (
        edit(ARTICLE, "论坛现场还启动了", "论坛现场\x1b还启动了"),
        f"{ARTICLE}: body: contains the control character U+001B",
    ),
    "image path with ..": (
        edit(PHOTO_ARTICLE, "file: images/kevin", "file: ../2026-03-30/images/kevin"),
        f"{PHOTO_ARTICLE}: images.0.file: must not contain '..'",
    ),
    "absolute image path": (
        edit(PHOTO_ARTICLE, "file: images/kevin-kelly-ai-glasses.png", "file: /etc/passwd"),
        f"{PHOTO_ARTICLE}: images.0.file: must be relative",
    ),
    "image symlink out of the folder": (
        symlinked_image,
        f"{PHOTO_ARTICLE}: images.0.file: images/kevin-kelly-ai-glasses.png resolves outside the issue folder",
    ),
    "missing image": (
        edit(PHOTO_ARTICLE, "file: images/kevin", "file: images/no-such-kevin"),
        f"{PHOTO_ARTICLE}: images.0.file: image file images/no-such-kevin-kelly-ai-glasses.png does not exist",
    ),
    "non-UTF-8 file": (gbk_article, f"{ARTICLE}: is not UTF-8"),
    "YAML with a Python tag": (
        edit(ARTICLE, "headline: 政产学研", "headline: !!python/object/apply:os.system ['touch /tmp/pwned'] #"),
        f"{ARTICLE}: YAML error",
    ),
    "empty issue": (
        new_issue({"issue.yaml": GOOD_ISSUE.split("pages:")[0] + "pages: []\n"}),
        "2026-04-06/issue.yaml: pages: List should have at least 1 item",
    ),
    "issue without articles on a page": (
        new_issue({"issue.yaml": GOOD_ISSUE.replace("articles: [a]", "articles: []")}),
        "2026-04-06/issue.yaml: pages.0.articles: List should have at least 1 item",
    ),
    "unknown keys": (
        edit(ARTICLE, "headline: ", "colour: red\nheadline: "),
        f"{ARTICLE}: colour: unknown key",
    ),
    "unknown key in issue.yaml": (edit(ISSUE, "number: 11", "number: 11\nvolume: 3"), f"{ISSUE}: volume: unknown key"),
    "article not placed on a page": (
        new_issue(
            {
                "issue.yaml": GOOD_ISSUE,
                "a.md": "---\nheadline: 甲\n---\n正文。\n",
                "b.md": "---\nheadline: 乙\n---\n正文。\n",
            }
        ),
        "2026-04-06/b.md: is not placed on any page",
    ),
    "page beyond page_count": (edit(ISSUE, "- number: 1\n", "- number: 17\n"), f"{ISSUE}: pages: page 17 exceeds"),
    "naive publish time": (
        edit(ISSUE, "publish_time: '2026-03-30T06:00:00+08:00'", "publish_time: '2026-03-30T06:00:00'"),
        f"{ISSUE}: publish_time: needs a time zone offset",
    ),
    "HTML in a headline": (
        edit(ARTICLE, "headline: 政产学研", "headline: <b>政产学研</b>"),
        f"{ARTICLE}: headline: contains HTML markup",
    ),
    "issue number going backwards": (
        new_issue({"issue.yaml": GOOD_ISSUE.replace("2664", "2600"), "a.md": "---\nheadline: 甲\n---\n正文。\n"}),
        "2026-04-06/issue.yaml: total_number: 总第2600期 on 2026-04-06 does not follow 总第2663期",
    ),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """The sample built once; each case starts from a copy of this state."""
    from tests.conftest import SAMPLE, copy_content

    base = tmp_path_factory.mktemp("published")
    content = copy_content(SAMPLE, base / "content")
    build(content, base / "out", ALL_FORMATS)
    return content, base / "out", tree_bytes(base / "out")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_and_publishes_nothing(
    case: str, tmp_path: Path, published: tuple[Path, Path, dict[str, bytes]]
) -> None:
    import shutil

    src_content, src_out, before = published
    content = tmp_path / "content"
    shutil.copytree(src_content, content)
    # Carry the published state over: the output link and its releases folder.
    shutil.copytree(src_out.parent / ".out.releases", tmp_path / ".out.releases", symlinks=True)
    os.symlink(os.readlink(src_out), tmp_path / "out")
    assert tree_bytes(tmp_path / "out") == before

    mutate, expected = CASES[case]
    mutate(content)

    result = CliRunner().invoke(main, ["validate", "--content", str(content)])
    assert result.exit_code == 3, result.output
    assert expected in result.output, result.output
    assert re.search(r"\[E\d{3}\]", result.output)

    outcome = build(content, tmp_path / "out", ALL_FORMATS)
    assert outcome.problems, "the build must report the problem"
    assert any(expected in str(p) for ps in outcome.problems.values() for p in ps)
    assert tree_bytes(tmp_path / "out") == before, "the published edition changed"
    assert not Path("/tmp/pwned").exists()


def test_invalid_publication_file_stops_the_build_and_keeps_the_output(tmp_path: Path, content: Path) -> None:
    build(content, tmp_path / "out", ("site",))
    before = tree_bytes(tmp_path / "out")
    (content / "publication.yaml").write_text("title: 报\nbase_url: paper.example.cn\n", "utf-8")
    result = CliRunner().invoke(
        main, ["build", "--content", str(content), "--out", str(tmp_path / "out"), "--format", "site"]
    )
    assert result.exit_code == 3
    assert "publication.yaml: base_url: must be an absolute http(s) URL" in result.output
    assert tree_bytes(tmp_path / "out") == before


def test_other_issues_still_publish_when_one_is_invalid(tmp_path: Path, content: Path) -> None:
    new_issue({"issue.yaml": GOOD_ISSUE, "a.md": "---\nheadline: 新一期头条\n---\n正文。\n"})(content)
    edit("2026-03-23/issue.yaml", "number: 10", "number: ten")(content)  # never published: skipped
    result = build(content, tmp_path / "out", ("site",))
    assert sorted(result.rendered) == ["2026-03-30", "2026-04-06"]
    assert "2026-03-23" in result.problems
    assert (tmp_path / "out" / "issues" / "2026-04-06" / "a.html").is_file()
    assert not (tmp_path / "out" / "issues" / "2026-03-23").exists()
