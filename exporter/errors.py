"""Exceptions with exit codes, and the Problem record every validation message uses.

Exit codes (click keeps 1 for its own failures and 2 for usage errors):
  0 success · 3 content problems (some issue or the publication is invalid) · 4 a renderer failed ·
  5 the output folder cannot be published to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content: ``file: field: message [code]``."""

    file: str
    field: str
    message: str
    code: str = "E204"

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
