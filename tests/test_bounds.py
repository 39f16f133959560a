"""Input validation and bounds: out-of-range YAML values, slugs, reserved names, sizes, failed renders.

Every refusal is a ``file: field: message [code]`` problem for the issue alone; nothing raises.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from exporter import load, model
from exporter.errors import ContentError, Problem
from exporter.publish import RETRY_HINT, build
from tests.conftest import SAMPLE, SEED_ID

BASE = Path(__file__).resolve().parent / "hostile" / "_base"
ISSUE = "2026-04-06"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A content root with the publication and one valid issue (the hostile corpus's base issue)."""
    root = tmp_path / "content"
    root.mkdir()
    shutil.copy(SAMPLE / "publication.yaml", root / "publication.yaml")
    shutil.copytree(BASE, root / ISSUE)
    return root


def problems_of(root: Path, issue_id: str = ISSUE) -> list[Problem]:
    content = load.load_content(root)
    assert issue_id not in {i.id for i in content.issues}
    return content.failed[issue_id]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


# -- item 1: values YAML cannot construct, and values out of the supported range -------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "2026-02-30 is not a valid date or time: day is out of range for month"),
        ("2026-13-01", "month must be in 1..12"),
        ("0000-01-01", "year 0 is out of range"),
        ("2026-04-06T25:00:00+08:00", "hour must be in 0..23"),
        ("2026-04-06T06:00:00+25:00", "the time zone offset must be under 24 hours"),
        ("9" * 4400, "…(4400 characters) is too large a number"),
        ("0x" + "f" * 5000, "is too large a number"),
        ("1" + "0" * 18, "is too large a number"),
        ("59:" * 3000 + "1", "is too large a number"),  # YAML 1.1 base 60
    ],
)
def test_yaml_values_that_cannot_exist_are_problems_naming_the_field(value: str, message: str) -> None:
    with pytest.raises(ContentError) as caught:
        load.parse_yaml(f"date: '2026-04-06'\nhighlights:\n- headline: 甲\n  page: {value}\n", "x/issue.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.field, problem.code) == ("x/issue.yaml", "highlights.0.page", "E206")
    assert message in problem.message
    assert len(str(problem)) < 300, "the message quotes a huge value in full"


def test_every_bad_value_of_a_file_is_reported_and_keys_too() -> None:
    text = "a: 2026-02-30\nb: [1, {c: 2026-13-01}]\n2026-02-31: x\nd: 2026-04-06\n"
    with pytest.raises(ContentError) as caught:
        load.parse_yaml(text, "f.yaml")
    assert [(p.field, p.code) for p in caught.value.problems] == [("a", "E206"), ("b.1.c", "E206"), ("", "E206")]


def test_good_yaml_values_load_as_before() -> None:
    data = load.parse_yaml("d: 2026-04-06\nt: 2026-04-06T06:00:00+08:00\nn: 2664\nx: 0x10\nf: 1.5\n", "f.yaml")
    assert data["n"] == 2664 and data["x"] == 16 and data["f"] == 1.5
    assert str(data["d"]) == "2026-04-06" and data["t"].utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("date: '2026-04-06'", "date: 0001-01-01", "date", "the year must be between 1900 and 2099"),
        ("date: '2026-04-06'", "date: 2100-01-01", "date", "the year must be between 1900 and 2099"),
        ("number: 12", "number: 10000", "number", "must be at most 9999"),
        ("total_number: 2664", "total_number: 10000000", "total_number", "must be at most 9999999"),
        (
            "number: 12",
            "number: 12\npublish_time: 9999-12-31T23:59:59-12:00",
            "publish_time",
            "the year must be between 1900 and 2099",
        ),
        (
            "number: 12",
            "number: 12\npublish_time: 2099-12-31T23:00:00-12:00",  # 2100 in Shanghai
            "",
            "the year must be between 1900 and 2099",
        ),
    ],
)
def test_dates_and_numbers_are_bounded(root: Path, old: str, new: str, field: str, message: str) -> None:
    edit(root / ISSUE / "issue.yaml", old, new)
    (problem,) = problems_of(root)
    assert (problem.file, problem.field, problem.code) == (f"{ISSUE}/issue.yaml", field, "E206")
    assert message in problem.message


def test_article_times_are_bounded(root: Path) -> None:
    edit(root / ISSUE / "story.md", "headline:", "published: 0001-01-01T00:00:00+08:00\nheadline:")
    (problem,) = problems_of(root)
    assert (problem.file, problem.field, problem.code) == (f"{ISSUE}/story.md", "published", "E206")


def test_the_bounds_themselves_are_valid(root: Path) -> None:
    edit(root / ISSUE / "issue.yaml", "number: 12", "number: 9999\npublish_time: 2099-12-31T23:59:59+08:00")
    edit(root / ISSUE / "issue.yaml", "total_number: 2664", "total_number: 9999999")
    edit(root / ISSUE / "issue.yaml", "date: '2026-04-06'", "date: '2099-12-31'")
    content = load.load_content(root)
    assert not content.failed and [i.id for i in content.issues] == [ISSUE]


# -- item 2: slugs match as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2026-04-06\n", "a\n", "-a", "A", "a_b", "", "a" * 81, "a/b", "a.md"])
def test_is_slug_refuses(name: str) -> None:
    assert not model.is_slug(name)


@pytest.mark.parametrize("name", ["2026-04-06", "a", "a-b-1", "a" * 80])
def test_is_slug_accepts(name: str) -> None:
    assert model.is_slug(name)


def test_a_folder_name_ending_in_a_newline_is_not_a_second_issue(root: Path) -> None:
    shutil.copytree(root / ISSUE, root / f"{ISSUE}\n")
    content = load.load_content(root)
    assert [i.id for i in content.issues] == [ISSUE]
    (problem,) = content.failed[f"{ISSUE}\n"]
    assert str(problem).startswith("'2026-04-06\\n': issue folder name must be a slug")


def test_an_article_file_name_ending_in_a_newline_is_refused(root: Path) -> None:
    shutil.copy(root / ISSUE / "story.md", root / ISSUE / "story\n.md")
    assert any("file name must be a slug" in p.message for p in problems_of(root))


# -- item 3: reserved article names ------------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(model.RESERVED_SLUGS | {ISSUE}))
def test_reserved_article_names_are_refused(root: Path, slug: str) -> None:
    shutil.copy(root / ISSUE / "story.md", root / ISSUE / f"{slug}.md")
    edit(root / ISSUE / "issue.yaml", "  - story\n", f"  - story\n  - '{slug}'\n")
    problems = problems_of(root)
    assert len(problems) == 1, problems
    assert "reserved name" in problems[0].message or "has the name of the issue" in problems[0].message
    assert problems[0].code == "E204"


def test_a_reserved_article_name_never_replaces_the_issue_page(root: Path, tmp_path: Path) -> None:
    shutil.copy(root / ISSUE / "story.md", root / ISSUE / "index.md")
    edit(root / ISSUE / "issue.yaml", "  - story\n", "  - story\n  - index\n")
    result = build(root, tmp_path / "out", ("site",))
    assert ISSUE in result.problems and not (tmp_path / "out" / "issues" / ISSUE).exists()


# -- item 7: sizes ------------------------------------------------------------------------------------


def test_a_flood_of_image_brackets_is_refused_in_a_moment(root: Path) -> None:
    (root / ISSUE / "story.md").write_text("---\nheadline: 甲\n---\n" + "![" * 900_000, "utf-8")
    started = time.perf_counter()
    (problem,) = problems_of(root)
    assert time.perf_counter() - started < 5  # 26 s before the body limit
    assert (problem.field, problem.code) == ("body", "E207")
    assert "has 1800000 characters; the limit is 100000" in problem.message


def test_the_body_limit_is_inclusive(root: Path) -> None:
    (root / ISSUE / "story.md").write_text("---\nheadline: 甲\n---\n" + "字" * model.MAX_BODY_CHARS, "utf-8")
    assert not load.load_content(root).failed
    (root / ISSUE / "story.md").write_text("---\nheadline: 甲\n---\n" + "字" * (model.MAX_BODY_CHARS + 1), "utf-8")
    assert problems_of(root)[0].code == "E207"


def test_unbroken_runs_are_bounded_in_linear_time() -> None:
    ok = ("a" * model.MAX_UNBROKEN + " ") * 90 + "中文" * 10_000 + "。" * 1000
    started = time.perf_counter()
    assert model._UNBROKEN.search(ok) is None
    assert time.perf_counter() - started < 0.5
    assert model._UNBROKEN.search("中" + "[" * (model.MAX_UNBROKEN + 1) + "中")


def test_an_unbroken_run_is_refused_with_its_length(root: Path) -> None:
    (root / ISSUE / "story.md").write_text("---\nheadline: 甲\n---\n正文 " + "x" * 5000 + "\n", "utf-8")
    (problem,) = problems_of(root)
    assert (problem.field, problem.code) == ("body", "E207")
    assert "has 5000 characters in a row without a space (xxxxxxxxxx…); the limit is 1000" in problem.message


def test_highlights_pages_and_images_are_counted(root: Path) -> None:
    many = "".join(f"- headline: 导读{n}\n  page: 1\n" for n in range(model.MAX_HIGHLIGHTS))
    edit(root / ISSUE / "issue.yaml", "highlights:\n", "highlights:\n" + many)
    (problem,) = problems_of(root)
    assert (problem.field, problem.code) == ("highlights", "E207")
    assert f"{model.MAX_HIGHLIGHTS + 1} entries; the limit is {model.MAX_HIGHLIGHTS}" in problem.message

    images = "images:\n" + "".join(f"- file: missing-{n}.png\n  alt: 图\n" for n in range(model.MAX_IMAGES + 1))
    edit(root / ISSUE / "story.md", "headline:", images + "headline:")
    problems = load.load_content(root).failed[ISSUE]
    assert [(p.file, p.field, p.code) for p in problems] == [(f"{ISSUE}/story.md", "images", "E207")]


def test_too_many_pages_are_refused(root: Path) -> None:
    pages = "".join(f"- number: {n}\n  articles: []\n" for n in range(2, model.MAX_PAGES + 2))
    edit(root / ISSUE / "issue.yaml", "page_count: 4", "page_count: 999")
    edit(root / ISSUE / "issue.yaml", "  - story\n", "  - story\n" + pages)
    problems = problems_of(root)
    assert any(p.field == "pages" and p.code == "E207" for p in problems), problems


# -- item 7: a failed render is remembered, not retried on every build ---------------------------------


def test_a_failed_render_is_not_retried_for_the_same_key_and_options(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(SAMPLE, content)
    shutil.rmtree(content / "2026-03-23")
    out, fast = tmp_path / "out", {"pdf_timeout": 0.01}  # the render process cannot even start in time
    seen: list[str] = []

    first = build(content, out, ("pdf", "null"), options=fast, progress=seen.append)
    assert f"[1/1] {SEED_ID}" in seen
    (problem,) = first.problems[SEED_ID]
    assert problem.code == "E401" and "did not finish within" in problem.message and RETRY_HINT not in problem.message
    memo = out.parent / f".{out.name}.releases" / "render-cache"
    assert len([p for p in memo.iterdir() if p.read_bytes().startswith(b"pdf\0")]) == 1

    seen.clear()
    started = time.perf_counter()
    second = build(content, out, ("pdf", "null"), options=fast, progress=seen.append)
    assert not [m for m in seen if m.endswith(SEED_ID)], "the failed render was tried again"
    assert [p.message for p in second.problems[SEED_ID]] == [problem.message + RETRY_HINT]
    assert SEED_ID not in second.rendered
    assert time.perf_counter() - started < 5

    # Other run options (a longer timeout) try again, and succeed.
    third = build(content, out, ("pdf", "null"), progress=seen.append)
    assert third.ok and third.rendered == [SEED_ID], third.problems
