"""期, 版 and 导读 display texts come from one place, exporter.texts (#15)."""

from __future__ import annotations

import re

from exporter import texts
from exporter.load import load_content
from exporter.render import TEMPLATES_DIR
from tests.conftest import ROOT, SAMPLE, SEED_ID

# A 期 or 版 text formatted by hand: 第{n}版, 总第{n}期, {n:02d}版 in Python, 第{{ n }}版 in a template.
HAND_MADE = re.compile(r"第\{|总第\{|:02d\}版|\}\}版|\}\}期")


def test_the_wording() -> None:
    assert texts.numbers(11, 2663) == "第11期（总第2663期）"
    assert texts.page_label(1, "要闻") == "第1版 要闻"
    assert texts.page_label(1, "要闻", " · ") == "第1版 · 要闻"
    assert texts.page_label(3, "") == "第3版"
    assert texts.page_code(1) == "01版" and texts.page_code(12) == "12版"
    assert texts.print_note(3) == "（见印刷版第3版）"
    assert texts.pages_today(16) == "今日16版"
    assert texts.listing(texts.HIGHLIGHTS, ["甲", "乙"]) == "本期导读：甲；乙"


def test_highlight_entries_carry_the_parts_each_output_asks_for() -> None:
    issue = next(i for i in load_content(SAMPLE).issues if i.id == SEED_ID)
    h = issue.highlights[0]
    assert issue.print_only(h)  # 第2版 is not in the digital edition
    assert texts.highlight_entry(issue, h, page=True, print_only=False) == f"{h.headline}（第{h.page}版）"
    assert texts.highlight_entry(issue, h, page=True, print_only=True) == f"{h.headline}（见印刷版第{h.page}版）"
    assert texts.highlight_entry(issue, h, page=False, print_only=False) == h.headline
    assert texts.highlights_line(issue, page=False, print_only=False).startswith(f"本期导读：{h.headline}；")
    assert issue.numbers_text == "第11期（总第2663期）" and issue.number_text == "第11期"
    assert issue.pages[0].heading == "第1版 · 要闻" and issue.pages[0].code == "01版"
    assert texts.contents_line(issue).startswith("本期要目：") and "（第1版）" in texts.contents_line(issue)


def test_no_output_formats_a_number_or_page_text_by_hand() -> None:
    files = [
        *(ROOT / "exporter" / "render").glob("*.py"),
        ROOT / "exporter" / "cover.py",
        ROOT / "exporter" / "model.py",
        *(p for p in TEMPLATES_DIR.rglob("*") if p.suffix in {".html", ".xhtml", ".xml", ".xsl", ".css"}),
    ]
    assert len(files) > 20
    found = [
        f"{path}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if HAND_MADE.search(line)
    ]
    assert found == [], "use exporter.texts (or the model's properties, or the templates' texts global)"
