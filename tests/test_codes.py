"""Error codes: the enum is the README's table, every code has a case of real input that produces it, and
no problem gets a code by default (Problem needs one; every pydantic error type is mapped explicitly).
"""

from __future__ import annotations

import os
import re
import shutil
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ErrorType

from exporter import load, model
from exporter.errors import Code, Problem
from exporter.publish import build
from tests.conftest import ROOT, SAMPLE, SEED_ID, copy_content

ARTICLE = f"{SEED_ID}/ai-plus-industry-forum.md"
ISSUE = f"{SEED_ID}/issue.yaml"


# -- the README's table ----------------------------------------------------------------------------------


def readme_codes() -> dict[str, str]:
    """The rows of README.md's "Messages and codes" table: code → meaning."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n### Messages and codes\n", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| *(E\d{3}) *\| *(.*?) *\|$", section, re.M)
    assert rows, "no code rows found under ### Messages and codes"
    assert len({code for code, _ in rows}) == len(rows), "a code repeats in the README"
    return dict(rows)


def test_the_readme_table_is_the_enum() -> None:
    assert readme_codes() == {code.value: code.meaning for code in Code}


def test_codes_are_unique_and_each_has_a_one_line_meaning() -> None:
    assert len({code.value for code in Code}) == len(Code)
    for code in Code:
        assert re.fullmatch(r"E\d{3}", code.value), code
        assert code.meaning.strip() == code.meaning and code.meaning and "\n" not in code.meaning, code


def test_every_hostile_case_names_a_known_code() -> None:
    cases = sorted((ROOT / "tests" / "hostile").glob("*/case.yaml"))
    assert len(cases) >= 40
    named = {}
    for path in cases:
        data = yaml.safe_load(path.read_text("utf-8"))
        if data.get("code"):
            named[path.parent.name] = data["code"]
    assert named and {name: code for name, code in named.items() if code not in set(Code)} == {}


# -- no default code -------------------------------------------------------------------------------------


def test_a_problem_needs_a_code_of_the_enum() -> None:
    with pytest.raises(TypeError):
        Problem("a.md", "headline", "is required")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="must be a Code"):
        Problem("a.md", "headline", "is required", "E201")  # type: ignore[arg-type]
    problem = Problem("a.md", "headline", "is required", Code.MISSING)
    assert str(problem) == "a.md: headline: is required [E201]"
    assert str(Problem("a.md", "", "is not UTF-8", Code.ENCODING)) == "a.md: is not UTF-8 [E102]"


def test_every_pydantic_error_type_has_a_code() -> None:
    """A pydantic upgrade that adds an error type fails here instead of giving it a silent default code."""
    own = {model.out_of_range("x").type, model.too_many("x").type}
    assert own == {"range", "limit"}
    assert set(load.PYDANTIC_CODES) == set(typing.get_args(ErrorType)) | own
    assert (load.PYDANTIC_CODES["range"], load.PYDANTIC_CODES["limit"]) == (Code.OUT_OF_RANGE, Code.TOO_LARGE)
    assert load.PYDANTIC_CODES["missing"] == Code.MISSING
    assert load.PYDANTIC_CODES["extra_forbidden"] == Code.UNKNOWN_KEY
    assert load.PYDANTIC_CODES["int_parsing"] == Code.WRONG_TYPE
    assert load.PYDANTIC_CODES["value_error"] == Code.BAD_VALUE


def test_an_unmapped_pydantic_error_type_fails_loudly() -> None:
    class Strange(BaseModel):
        x: int

    error = ValidationError.from_exception_data(
        "Strange", [{"type": PydanticCustomError("strange_new_type", "is strange"), "loc": ("x",), "input": 1}]
    )
    with pytest.raises(LookupError, match="'strange_new_type' has no code"):
        load.problems_from(error, "a.md")
    with pytest.raises(ValidationError) as caught:  # a known type, for contrast
        Strange.model_validate({"x": "one"})
    (problem,) = load.problems_from(caught.value, "a.md")
    assert (problem.field, problem.code) == ("x", Code.WRONG_TYPE)


# -- one case of real input per code ---------------------------------------------------------------------


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text("utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), "utf-8")

    return apply


def gbk_article(root: Path) -> None:
    path = root / ARTICLE
    path.write_bytes(path.read_text("utf-8").encode("gbk"))


def article_linked_outside(root: Path) -> None:
    outside = root.parent / "outside.md"
    (root / ARTICLE).rename(outside)
    os.symlink(outside, root / ARTICLE)


def long_body(root: Path) -> None:
    path = root / ARTICLE
    path.write_text(path.read_text("utf-8") + "\n" + "科技日报。" * (model.MAX_BODY_CHARS // 5 + 1) + "\n", "utf-8")


# code → (how to break the sample content, the file and the field the problem must name)
CASES: dict[Code, tuple[Callable[[Path], None], str, str]] = {
    Code.SYNTAX: (edit(ARTICLE, "dateline: 本报讯\n", "dateline: 本报讯\ndateline: 本报讯\n"), ARTICLE, ""),
    Code.ENCODING: (gbk_article, ARTICLE, ""),
    Code.MISSING: (edit(ARTICLE, "headline: ", "kicker: "), ARTICLE, "headline"),
    Code.UNKNOWN_KEY: (edit(ARTICLE, "headline: ", "colour: red\nheadline: "), ARTICLE, "colour"),
    Code.WRONG_TYPE: (edit(ISSUE, "number: 11", "number: eleven"), ISSUE, "number"),
    Code.BAD_VALUE: (edit(ARTICLE, "headline: 政产学研", "headline: <b>政产学研</b>"), ARTICLE, "headline"),
    Code.BROKEN_REFERENCE: (
        edit(ISSUE, "  - ai-plus-industry-forum\n", "  - ai-plus-industry-forum\n  - no-such-story\n"),
        ISSUE,
        "pages.0.articles.2",
    ),
    Code.OUT_OF_RANGE: (edit(ISSUE, "date: '2026-03-30'", "date: 2026-02-30"), ISSUE, "date"),
    Code.TOO_LARGE: (long_body, ARTICLE, "body"),
    Code.UNUSABLE_FILE: (article_linked_outside, ARTICLE, ""),
    Code.RENDER_FAILED: (lambda root: None, f"{SEED_ID}/", "pdf"),  # rendered with a timeout no PDF can meet
}


def test_every_code_has_a_case() -> None:
    """A new code without a case of real input that produces it fails here."""
    assert list(CASES) == list(Code)


@pytest.mark.parametrize("code", list(CASES), ids=lambda code: f"{code.value}-{code.name}")
def test_real_input_produces_the_code(tmp_path: Path, code: Code) -> None:
    breaks, file, field = CASES[code]
    content = copy_content(SAMPLE, tmp_path / "content")
    shutil.rmtree(content / "2026-03-23")  # the seed issue alone
    breaks(content)
    if code is Code.RENDER_FAILED:
        result = build(content, tmp_path / "out", ("pdf",), options={"pdf_timeout": 0.01})
        problems = result.problems[SEED_ID]
    else:
        loaded = load.load_content(content)
        assert SEED_ID not in {issue.id for issue in loaded.issues}
        problems = loaded.failed[SEED_ID]
    assert [(p.file, p.field, p.code) for p in problems] == [(file, field, code)], [str(p) for p in problems]
    (problem,) = problems
    assert type(problem.code) is Code
    where = f"{file}: {field}: " if field else f"{file}: "
    assert str(problem).startswith(where) and str(problem).endswith(f" [{code.value}]"), str(problem)
