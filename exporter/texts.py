"""Display texts of an issue, derived in one place: 期 numbers, 版 labels and 导读 lines.

Every output (web pages, feeds, OPDS, PDF, EPUB and its cover) says 第11期（总第2663期）, 第1版 · 要闻,
01版 and 本期导读 through these functions (the model's properties and the templates' ``texts`` global
call them), so a change of wording happens once.

Each output still chooses which parts a 导读 entry carries (a feed names the page, the cover marks a
print-only story, the PDF's description gives headlines alone): see :func:`highlight_entry`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exporter.model import Highlight, Issue

HIGHLIGHTS = "本期导读"  # the 导读 list's title
CONTENTS = "本期要目"  # its stand-in when an issue has no 导读: the article headlines
# A 导读 entry whose story the digital edition does not carry (print-only page).
PRINT_ONLY = "（见印刷版第{page}版）"


# -- 期 -------------------------------------------------------------------------------------------


def issue_number(number: int) -> str:
    """第11期."""
    return f"第{number}期"


def total_number(total: int) -> str:
    """总第2663期."""
    return f"总第{total}期"


def numbers(number: int, total: int) -> str:
    """第11期（总第2663期）."""
    return f"{issue_number(number)}（{total_number(total)}）"


# -- 版 -------------------------------------------------------------------------------------------


def page_ordinal(number: int) -> str:
    """第1版."""
    return f"第{number}版"


def sheet_of(k: int, total: int = 0) -> str:
    """（第2页）, or （第2页，共3页）: which sheet of a 版 a picture shows."""
    return f"（第{k}页，共{total}页）" if total else f"（第{k}页）"


def jump_to(label: str) -> str:
    """（转第2版）: the jump line under an article that goes on at ``label`` (a 版 or "第1版续")."""
    return f"（转{label}）"


def continued(ordinal: str) -> str:
    """第1版续: how jump lines and running heads name a 版's sheets after its first."""
    return f"{ordinal}续"


def jump_from(number: int) -> str:
    """（接第1版）: the head of a sheet that goes on with an article of 版 ``number``."""
    return f"（接{page_ordinal(number)}）"


def page_code(number: int) -> str:
    """01版: how lists of pages and 导读 entries name a page."""
    return f"{number:02d}版"


def page_label(number: int, name: str, separator: str = " ") -> str:
    """第1版 要闻 (or 第1版 · 要闻 with ``separator=" · "``); 第1版 for a page without a name."""
    return page_ordinal(number) + (f"{separator}{name}" if name else "")


def pages_today(count: int) -> str:
    """今日8版: how many pages the print edition has today."""
    return f"今日{count}版"


def page_ref(number: int) -> str:
    """（第3版）: the page an entry runs on, after its headline."""
    return f"（{page_ordinal(number)}）"


def print_note(number: int) -> str:
    """（见印刷版第3版）: how outputs mark a print-only 导读 entry."""
    return PRINT_ONLY.format(page=number)


# -- 导读 -----------------------------------------------------------------------------------------


def highlight_entry(issue: Issue, highlight: Highlight, *, page: bool, print_only: bool) -> str:
    """A 导读 entry as text: the headline, then the print-only note (when ``print_only`` and the digital
    edition does not carry the story), else the page it runs on (when ``page``)."""
    if print_only and issue.print_only(highlight):
        return highlight.headline + print_note(highlight.page)
    return highlight.headline + (page_ref(highlight.page) if page else "")


def listing(title: str, entries: Iterable[str]) -> str:
    """本期导读：甲；乙 — a list of entries on one line."""
    return f"{title}：" + "；".join(entries)


def highlights_line(issue: Issue, *, page: bool, print_only: bool) -> str:
    """本期导读：headline（第1版）；… — the issue's 导读 on one line (see :func:`highlight_entry`)."""
    return listing(HIGHLIGHTS, (highlight_entry(issue, h, page=page, print_only=print_only) for h in issue.highlights))


def contents_line(issue: Issue) -> str:
    """本期要目：headline（第1版）；… — the article headlines, for an issue without 导读."""
    return listing(CONTENTS, (a.headline + page_ref(issue.page_of(a).number) for a in issue.articles))
