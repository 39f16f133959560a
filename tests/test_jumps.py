"""exporter.jumps: jump lines name the 版 whose sheet a continued text goes on to (issue #13).

Its effect on the edition is tested on the corpus PDF (tests/test_pdf.py, jump lines and shared sheets);
here: the pin on WeasyPrint's internals, and the wrapper on a small real document."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import weasyprint

from exporter import jumps, justify
from exporter.errors import RenderError

CSS = """
@page { size: A6; margin: 15mm 10mm;
  @top-left { content: string(sharedfrom); font-family: "Noto Sans CJK SC"; font-size: 8pt; }
  @top-right { content: string(ban); font-family: "Noto Sans CJK SC"; font-size: 8pt; }
  @bottom-right { content: string(jumpto, last); font-family: "Noto Sans CJK SC"; font-size: 8pt; } }
html { font-family: "Noto Serif CJK SC"; font-size: 10pt; line-height: 1.5; }
.start { string-set: ban attr(data-label), banno attr(data-number); }
.head { string-set: jumpto "（转第1版续）"; }
.end { string-set: jumpto ""; }
section + section { break-before: auto; }
"""
LONG = "这是一段需要跨页排版的正文，用来检查转版的提示。" * 40


def pages(tmp_path: Path, wrapped: bool = True) -> list[str]:
    html = (
        f"<html lang='zh-CN'><head><style>{CSS}</style></head><body>"
        "<section><div class='start' data-label='第1版 · 要闻' data-number='第1版'></div>"
        f"<h1 class='head'>长文</h1><p>{LONG}</p><div class='end'></div></section>"
        "<section><div class='start' data-label='第2版 · 综合' data-number='第2版'></div><p>短讯。</p></section>"
        "</body></html>"
    )
    pdf = tmp_path / "t.pdf"
    if wrapped:
        with jumps.installed():
            weasyprint.HTML(string=html).write_pdf(pdf)
    else:
        weasyprint.HTML(string=html).write_pdf(pdf)
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def test_the_jump_line_names_the_ban_whose_sheet_the_text_goes_on_to(tmp_path: Path) -> None:
    found = pages(tmp_path)
    assert len(found) >= 3
    last = found[-1]
    assert "第2版 · 综合" in last and "第1版续" in last  # the shared sheet: its own 版, and whose end it holds
    before = found[-2]
    assert "（转第2版）" in before and "（转第1版续）" not in before
    for page in found[:-2]:  # sheets followed by a sheet of 版1's own keep the CSS wording
        assert "（转第1版续）" in page and not re.search(r"第\d版续\s", page.splitlines()[0])


def test_without_the_wrapper_the_jump_line_keeps_the_css_wording(tmp_path: Path) -> None:
    found = pages(tmp_path, wrapped=False)
    assert "（转第1版续）" in found[-2] and "第1版续" not in found[-1].splitlines()[0]
    from weasyprint.layout import LayoutContext

    assert LayoutContext.get_string_set_for is not jumps.get_string_set_for  # restored after use


def test_the_pins_match_the_installed_weasyprint() -> None:
    justify.check_pins(jumps.PINNED)


def test_a_changed_function_is_refused_before_anything_is_wrapped() -> None:
    from weasyprint.layout import LayoutContext

    pins = dict(jumps.PINNED, **{"weasyprint.layout.layout_document": "0000000000000000"})
    with pytest.raises(RenderError, match="layout_document"):
        justify.check_pins(pins)
    original = jumps.PINNED.copy()
    try:
        jumps.PINNED["weasyprint.layout.layout_document"] = "0000000000000000"
        with pytest.raises(RenderError, match="layout_document"), jumps.installed():
            pass
    finally:
        jumps.PINNED.clear()
        jumps.PINNED.update(original)
    assert LayoutContext.get_string_set_for is not jumps.get_string_set_for
