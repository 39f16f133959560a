"""The print-quality metrics of issue #13 (tests/print_metrics.py), each shown to pass and to fail on small
real PDFs made with WeasyPrint here and read back with poppler, as bench/print_quality.py reads the edition."""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint
from PIL import Image

from tests import print_metrics as pm
from tests.conftest import GOLDEN, SEED_ID

# A page like the edition's, smaller: the body in Noto Serif CJK SC 9.5 pt, paragraphs indented 2 em.
MARGINS_MM = (20.0, 15.0, 16.0, 15.0)
CSS = """
@page { size: A5; margin: 20mm 15mm 16mm 15mm; }
html { font-family: "Noto Serif CJK SC"; font-size: 9.5pt; line-height: 1.5; }
body { margin: 0; }
p { margin: 0; text-indent: 2em; }
h1 { font-family: "Noto Sans CJK SC"; font-size: 20pt; line-height: 1.3; margin: 0 0 2mm; }
.cols { columns: 2; column-gap: 5mm; }
.justify p { text-align: justify; }
"""
LATIN = (
    "The quick brown fox jumps over the lazy dog while the printer sets every line of this column with "
    "care, and the reader follows the text from the top of one column to the foot of the next one without "
    "ever noticing how the spaces between the words were stretched to fill the measure exactly. "
)


def render(tmp_path: Path, body: str, css: str = "", name: str = "t.pdf") -> Path:
    pdf = tmp_path / name
    html = f"<!DOCTYPE html><html lang='zh'><head><style>{CSS}{css}</style></head><body>{body}</body></html>"
    weasyprint.HTML(string=html, base_url=str(tmp_path)).write_pdf(pdf)
    return pdf


def measure(pdf: Path) -> pm.Report:
    return pm.measure(pdf, MARGINS_MM)


def paragraphs(n: int, text: str = LATIN * 2) -> str:
    return "".join(f"<p>{text}</p>" for _ in range(n))


def test_flush_share_tells_justified_columns_from_ragged_ones(tmp_path: Path) -> None:
    body = "<h1>A headline long enough to wrap onto a second line of its own</h1>" + paragraphs(3)
    justified = measure(render(tmp_path, f"<div class='cols justify'>{body}</div>", name="j.pdf"))
    ragged = measure(render(tmp_path, f"<div class='cols'>{body}</div>", name="r.pdf"))
    # the same paragraphs, found as such across the column break; the headline is no body text
    assert justified.paragraphs == ragged.paragraphs == 3
    assert justified.body == ragged.body
    assert justified.non_final == ragged.non_final >= 20
    assert justified.flush_share == 1.0
    assert ragged.flush_share < 0.3


def test_a_line_starting_with_closing_punctuation_is_a_violation(tmp_path: Path) -> None:
    clean = measure(render(tmp_path, "<p>一二三四五六，七八九。</p>", name="c.pdf"))
    broken = measure(render(tmp_path, "<p>一二三四五六<br>，七八九。</p>", name="b.pdf"))
    assert clean.violations == []
    assert [line.text for line in broken.violations] == ["，七八九。"]


@pytest.mark.parametrize(
    ("text", "lone", "loose"),
    [
        ("国" * 19, 1, 1),  # 8 + 10 + 1: the last line holds one character
        ("国" * 17 + "国。", 0, 1),  # 8 + 10 + "国。": one character with its full stop (not strictly lone)
        ("国" * 20, 0, 0),  # 8 + 10 + 2
    ],
)
def test_a_lone_last_character_is_counted(tmp_path: Path, text: str, lone: int, loose: int) -> None:
    # a column of ten characters; the first line is indented by two
    body = "<div style='width: 10em'>" + paragraphs(2, "中" * 25) + f"<p>{text}</p></div>"
    report = measure(render(tmp_path, body))
    assert report.paragraphs == 3
    assert report.multiline == 3
    assert len(report.lone) == lone
    assert len(report.lone_loose) == loose
    assert report.lone_share == pytest.approx(lone / 3)


def test_empty_area_counts_text_and_images(tmp_path: Path) -> None:
    full = measure(render(tmp_path, paragraphs(40), ".justify p, p { text-align: justify; }", name="f.pdf"))
    assert full.sheets >= 2
    assert full.empty[0] < 0.05  # a page of text: gutters and leading do not count as empty
    assert full.empty[-1] > 0.3  # the rest of the text on the last page

    one_line = measure(render(tmp_path, "<p>一行。</p>", name="o.pdf"))
    assert one_line.empty[0] > 0.95

    Image.new("RGB", (60, 80), (200, 30, 30)).save(tmp_path / "photo.png")
    photo = measure(render(tmp_path, "<img src='photo.png' style='width: 100%'><p>图片说明。</p>", name="p.pdf"))
    assert photo.empty[0] < 0.1  # the picture fills the type area's width and most of its height


def test_sheets_are_counted_per_ban_named_by_the_running_heads(tmp_path: Path) -> None:
    css = """
    @page { @top-right { content: string(ban); font-size: 8pt; } }
    section { string-set: ban attr(data-label); break-before: page; }
    """
    body = (
        "<section data-label='第1版 · 要闻'>" + paragraphs(40) + "</section>"
        "<section data-label='第2版 · 证券'>" + paragraphs(2) + "</section>"
    )
    report = measure(render(tmp_path, body, css))
    assert report.sheets >= 3
    assert report.ban_sheets == {"第1版": report.sheets - 1, "第2版": 1}


def test_the_seed_pdf_of_the_golden_tree_has_its_paragraphs_found() -> None:
    # the seed issue's PDF as published: its two articles' 13 paragraphs (as in their Markdown), all on 第1版
    # (on one sheet or continued on more: the paragraphs are followed onto the next sheet)
    pdf = GOLDEN / "sample" / "issues" / SEED_ID / f"{SEED_ID}.pdf"
    report = pm.measure(pdf)
    assert report.paragraphs == 13
    assert report.violations == []
    assert set(report.ban_sheets) == {"第1版"}
    assert report.body > 100
