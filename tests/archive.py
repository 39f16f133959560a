"""Generated archives of many weekly issues, made from the sample content (the seed issue's two articles
and photo, the sample issue's seven articles, each varied per issue).

Shared by the tests (paging, crash) and the benchmark ``bench/archive.py``, which imports it from here.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "content"
SEED = SAMPLE / "2026-03-30"
HISTORY = SAMPLE / "2026-03-23"
FIRST_DATE = date(2022, 1, 3)  # a Monday; one issue a week from here
FIRST_TOTAL = 2400


def issue_id(index: int) -> str:
    return (FIRST_DATE + timedelta(weeks=index)).isoformat()


def write_issue(root: Path, index: int, variant: str = "") -> Path:
    """Issue number ``index`` (0-based) of a generated archive: 2 pages, 9 articles, 1 photo.

    ``variant`` is added to every article body, so two archives with different variants differ in
    every issue (the crash test uses that to make a build re-render everything).
    """
    day = FIRST_DATE + timedelta(weeks=index)
    folder = root / day.isoformat()
    folder.mkdir(parents=True)
    seed = sorted(p.stem for p in SEED.glob("*.md"))
    history = sorted(p.stem for p in HISTORY.glob("*.md"))
    for source in [*(SEED / f"{s}.md" for s in seed), *(HISTORY / f"{s}.md" for s in history)]:
        text = source.read_text("utf-8")
        text = re.sub(r"^(published|updated): .*\n", "", text, flags=re.M)  # times follow the issue date
        text = text.replace("\nheadline: ", f"\nheadline: （{index + 1}）", 1)
        text = text.rstrip("\n") + f"\n\n（存档第{index + 1}期，{day.isoformat()}{variant}）\n"
        (folder / source.name).write_text(text, "utf-8")
    shutil.copytree(SEED / "images", folder / "images")
    number = 1 + (day - date(day.year, 1, 1)).days // 7
    lines = [
        f"date: '{day.isoformat()}'",
        f"number: {number}",
        f"total_number: {FIRST_TOTAL + index}",
        "page_count: 8",
        "highlights:",
        f"- headline: 第{index + 1}期导读",
        "  page: 1",
        f"  article: {seed[0]}",
        "pages:",
        "- number: 1",
        "  name: 要闻",
        "  articles: [" + ", ".join(seed) + "]",
        "- number: 2",
        "  name: 财经要闻",
        "  articles: [" + ", ".join(history) + "]",
    ]
    (folder / "issue.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def generate(root: Path, count: int, variant: str = "") -> Path:
    """A content root with ``count`` weekly issues and the sample publication.yaml."""
    root.mkdir(parents=True)
    shutil.copyfile(SAMPLE / "publication.yaml", root / "publication.yaml")
    for index in range(count):
        write_issue(root, index, variant)
    return root
