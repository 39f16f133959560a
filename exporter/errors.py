"""Exceptions with exit codes, and the Problem record every validation message uses.

Exit codes (click keeps 1 for its own failures and 2 for usage errors):
  0 success · 3 content problems (some issue or the publication is invalid) · 4 a renderer failed ·
  5 the output folder cannot be published to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """The stable code of every problem, so an editor can look a message up in the README.

    Each member carries its meaning: the README's "Messages and codes" table is exactly these rows
    (tests/test_codes.py compares them and has one case of real input per code).
    """

    meaning: str

    def __new__(cls, value: str, meaning: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    SYNTAX = (
        "E101",
        ("YAML or front matter cannot be parsed (syntax, tags such as `!!python/…`, aliases, duplicate keys)"),
    )
    ENCODING = "E102", "the file is not UTF-8"
    MISSING = "E201", "a required field is missing"
    UNKNOWN_KEY = "E202", "an unknown key (or one that is derived, such as `slug`)"
    WRONG_TYPE = "E203", "a value of the wrong type (a date that is not a date, a word where a number goes)"
    BAD_VALUE = (
        "E204",
        (
            "a value outside its rules (control characters, HTML in a title, a path with `..`, a hidden image name, "
            "a bad image, a reserved name)"
        ),
    )
    BROKEN_REFERENCE = (
        "E205",
        ("a reference that does not hold (a slug, page or file that does not exist; numbers going backwards)"),
    )
    OUT_OF_RANGE = (
        "E206",
        (
            "a value that cannot exist or is out of range: 2026-02-30, hour 25, an offset of 24 hours or more, "
            "a number of 19 or more digits; dates and times must lie in 1900–2099 (`publish_time` also in the "
            "publication's time zone), `number` ≤ 9999, `total_number` ≤ 9,999,999"
        ),
    )
    TOO_LARGE = (
        "E207",
        (
            "too large or too many: an article body over 100,000 characters (1,000,000 for all articles of an "
            "issue), more than 1,000 characters in a row with no space or Chinese character, more than 200 "
            "articles or pages, 50 highlights, 20 images per article or 200 per issue"
        ),
    )
    UNUSABLE_FILE = "E301", "a file that cannot be used (missing, too large, a link out of the folder)"
    RENDER_FAILED = "E401", "a renderer failed for this issue (its last good version stays published)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content: ``file: field: message [code]``."""

    file: str
    field: str
    message: str
    code: Code  # required: every place that finds a problem says which one it is

    def __post_init__(self) -> None:
        if not isinstance(self.code, Code):  # a bare "E204" would print the same and hide a typo
            raise TypeError(f"Problem code must be a Code, not {self.code!r}")

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message} [{self.code}]"


class ExporterError(Exception):
    exit_code = 1


class ContentError(ExporterError):
    """The content is invalid. Carries every problem found, each naming its file and field."""

    exit_code = 3

    def __init__(self, *problems: Problem) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in problems))


class RenderError(ExporterError):
    """A renderer could not produce its output (a missing font, a refused resource, a timeout)."""

    exit_code = 4


class PublishError(ExporterError):
    """The output folder cannot be written or swapped."""

    exit_code = 5
