"""The cleaning rules used to turn the seed page and the corpus into content."""

from __future__ import annotations

from exporter.importers import fullwidth_punctuation, markdown_escape, person_names, rejoin_print_columns
from exporter.load import load_content
from exporter.markup import render_markdown
from tests.conftest import CORPUS, CORPUS_ID


def test_rejoin_joins_column_breaks_but_keeps_paragraphs() -> None:
    parts = ["“……重要组成部分。”中", "国工程院院士于海斌说。", "下一段。", "加大力度推动科", "技创新。"]
    assert rejoin_print_columns(parts) == [
        "“……重要组成部分。”中国工程院院士于海斌说。",
        "下一段。",
        "加大力度推动科技创新。",
    ]


def test_fullwidth_punctuation_only_between_chinese() -> None:
    assert fullwidth_punctuation("3月26日,以主题") == "3月26日，以主题"
    assert fullwidth_punctuation("生产总值(GDP)。") == "生产总值（GDP）。"
    assert fullwidth_punctuation("1,000 units (approx)") == "1,000 units (approx)"


def test_markdown_escape_keeps_text_literal() -> None:
    for text in ["1. 不是列表", "# 不是标题", "a*b*c_d_ <script>", "- 项", "[链接](x)"]:
        html = render_markdown(markdown_escape(text), "https://example.cn/")
        assert html.startswith("<p>"), html
        assert "<script" not in html and "<em>" not in html and "<a " not in html


def test_person_names_drop_body_text_fragments() -> None:
    assert person_names("颉满斌") == ["颉满斌"]
    assert person_names("了解到，在年货运") == []
    assert person_names("从“普益标准”金") == []
    assert person_names("走访北京多个商圈") == []


def test_corpus_fixture_holds_all_29_articles_on_six_pages() -> None:
    content = load_content(CORPUS)
    assert not content.failed
    (issue,) = content.issues
    assert issue.id == CORPUS_ID and len(issue.articles) == 29 and len(issue.pages) == 6
    longest = max(issue.articles, key=lambda a: len(a.text))
    assert 3000 < len(longest.text.replace("\n", "")) < 3600
    table = max(issue.articles, key=lambda a: a.body_html.count("<p>"))
    assert table.body_html.count("<p>") == 278
    assert (CORPUS / "README.md").is_file()
