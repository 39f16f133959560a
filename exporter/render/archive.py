"""往期: the published issues grouped by year and month, for the web archive, OPDS and the sitemaps.

2,663 issues on one page would be one long page rewritten on every build. Grouped by month, a new
issue changes its month's documents, its year's and the edition's front documents only: every other
month's and year's bytes stay the same (and with a memo they are not even made again; see
:func:`parts`). Links between months and years go to the nearest month (year) that has issues, so
a month first gains a ``next`` link when the next month with issues appears.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from exporter.model import Issue
from exporter.render import Job

T = TypeVar("T")
WEEKDAY_HEADINGS = "一二三四五六日"  # Monday first, as Chinese calendars are printed


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    issues: tuple[Issue, ...]  # newest first

    @property
    def title(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def key(self) -> tuple[int, int]:
        return (self.year, self.month)


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]  # newest first, only months with issues

    @property
    def title(self) -> str:
        return f"{self.year}年"

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for m in self.months for i in m.issues)

    def month(self, number: int) -> Month | None:
        return next((m for m in self.months if m.month == number), None)


def months(issues: Sequence[Issue]) -> list[Month]:
    """The months with issues, newest first; each month's issues newest first (as ``issues`` are)."""
    found: dict[tuple[int, int], list[Issue]] = {}
    for issue in issues:
        found.setdefault((issue.date.year, issue.date.month), []).append(issue)
    return [
        Month(y, m, tuple(sorted(found[(y, m)], key=lambda i: (i.date, i.total_number), reverse=True)))
        for y, m in sorted(found, reverse=True)
    ]


def years(issues: Sequence[Issue]) -> list[Year]:
    """The years with issues, newest first, each with its months with issues."""
    by_year: dict[int, list[Month]] = {}
    for month in months(issues):
        by_year.setdefault(month.year, []).append(month)
    return [Year(y, tuple(ms)) for y, ms in by_year.items()]


def neighbours(items: Sequence[T], index: int) -> tuple[T | None, T | None]:
    """(older, newer) of ``items[index]`` in a newest-first list."""
    older = items[index + 1] if index + 1 < len(items) else None
    newer = items[index - 1] if index > 0 else None
    return older, newer


@dataclass(frozen=True)
class Day:
    day: int  # 0: a cell outside the month
    issues: tuple[Issue, ...] = ()  # the issues of that day (usually one)


def weeks(year: int, month: int, issues: Sequence[Issue]) -> list[list[Day]]:
    """The month as calendar rows, Monday first; days outside the month have day 0."""
    by_day: dict[date, list[Issue]] = {}
    for issue in issues:
        by_day.setdefault(issue.date, []).append(issue)
    rows = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    return [
        [Day(d.day, tuple(sorted(by_day.get(d, []), key=lambda i: i.total_number))) if d.month == month else Day(0)
         for d in row]
        for row in rows
    ]  # fmt: skip


def parts(job: Job, issues: Sequence[Issue], *extra: str) -> list[str]:
    """What a month's or a year's document is made from, for :meth:`Job.memoized`: the keys of its
    issues (each covers the issue's sources, the templates, the code and the formats), the
    publication and ``extra`` (its links to other months). Without keys (no pipeline) nothing is kept."""
    keys = [job.keys.get(issue.id, "") for issue in issues]
    return [*keys, job.publication.model_dump_json(), ",".join(job.formats), *extra]
