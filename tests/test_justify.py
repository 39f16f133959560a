"""CJK inter-character justification and punctuation squeezing (exporter/justify.py), issue #13.

Every test renders with the real WeasyPrint 70 and reads the PDF back with ``pdftotext``
(``-bbox-layout`` for the line edges): a justified line must reach both column edges and still
extract as its source text, with no inserted spaces.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from exporter import justify
from exporter.errors import RenderError

pytestmark = pytest.mark.slow

LEFT = 20.0  # pt: the page margin, where the column starts
TOLERANCE = 0.5  # pt
LINE_START = "，。、；：？！”）》"

NEWS = (
    "中国证券监督管理委员会今天发布公告，决定对三家上市公司的信息披露违规行为立案调查。公告指出，"
    "相关公司在年报中存在虚假记载、误导性陈述，涉及金额超过十二亿元。市场人士认为，此举表明监管部门"
    "“零容忍”的态度没有改变；投资者应当关注上市公司的治理水平和信息披露质量，审慎决策！"
)
MIXED = (
    "Wind数据显示，2026年一季度GDP同比增长5.3%，沪深300指数上涨1.2%，A股IPO募资额达到1200亿元。"
    "——立体追责链条正在闭合，证监会提出“一体推进发现、惩处、退市、投保有机衔接”，"
    "行政处罚与刑事追诉（包括*ST公司）正在形成闭环。New York与London的分析师……也表示关注。"
)
LATIN = "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun by the river bank."


@dataclass(frozen=True)
class Line:
    x_min: float
    x_max: float
    text: str


def render(paragraph: str, width: float, *, extension: bool = True, extra_css: str = "") -> bytes:
    """One justified paragraph in a column ``width`` pt wide, starting at LEFT."""
    from weasyprint import HTML

    html = (
        '<html lang="zh-CN"><style>'
        f"@page {{ size: {width + 2 * LEFT}pt 600pt; margin: {LEFT}pt }} body {{ margin: 0 }}"
        'p { font-family: "Noto Serif CJK SC"; font-size: 10pt; line-height: 1.5; margin: 0;'
        f" text-align: justify; font-kerning: none; {extra_css} }}"
        f"</style><p>{paragraph}</p>"
    )
    with justify.installed() if extension else contextlib.nullcontext():
        return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def lines(pdf: bytes) -> list[Line]:
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    found = []
    for match in re.finditer(
        r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</line>', xml, re.S
    ):
        words = re.findall(r">([^<]*)</word>", match.group(3))
        found.append(Line(float(match.group(1)), float(match.group(2)), " ".join(words)))
    return found


def text(pdf: bytes, source: str) -> str:
    """What pdftotext extracts, its lines joined: with nothing between them, or with the space the
    source has exactly there (a line broken at a space does not draw it)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    joined = ""
    for line in out.replace("\f", "").splitlines():
        if joined and len(joined) < len(source) and source[len(joined)] == " ":
            joined += " "
        joined += line
    return joined


def assert_justified(found: list[Line], width: float) -> None:
    assert len(found) >= 3, found
    for line in found[:-1]:
        assert abs(line.x_min - LEFT) <= TOLERANCE, line
        assert abs(line.x_max - (LEFT + width)) <= TOLERANCE, line
    last = found[-1]
    assert abs(last.x_min - LEFT) <= TOLERANCE, last  # the last line stays start-aligned
    assert last.x_max <= LEFT + width + TOLERANCE, last


@pytest.mark.parametrize("width", [100.0, 103.7, 147.3])
def test_cjk_lines_reach_both_column_edges(width: float) -> None:
    found = lines(render(NEWS, width))
    assert_justified(found, width)
    assert found[-1].x_max < LEFT + width - 5  # the last line is not stretched


def test_without_the_extension_cjk_lines_are_ragged() -> None:
    """The baseline the extension fixes: WeasyPrint alone widens spaces only."""
    found = lines(render(NEWS, 103.7, extension=False))
    ragged = [line for line in found[:-1] if abs(line.x_max - (LEFT + 103.7)) > TOLERANCE]
    assert len(ragged) >= len(found) // 2


@pytest.mark.parametrize("width", [100.0, 103.7, 131.1, 147.3])
def test_pdftotext_extracts_the_source_text(width: float) -> None:
    assert text(render(NEWS, width), NEWS) == NEWS


@pytest.mark.parametrize("width", [100.0, 118.3, 147.3, 201.9])
def test_mixed_cjk_and_latin(width: float) -> None:
    pdf = render(MIXED, width)
    assert_justified(lines(pdf), width)
    assert text(pdf, MIXED) == MIXED


def test_extraction_is_clean_at_every_width() -> None:
    """Spacing near pdftotext's 0.1 em word break is avoided: no width inserts a space."""
    wrong = [
        (paragraph[:4], w / 10)
        for paragraph in (NEWS, MIXED)
        for w in range(500, 1700, 23)
        if text(render(paragraph, w / 10), paragraph) != paragraph
    ]
    assert wrong == []


def test_latin_lines_keep_weasyprints_justification() -> None:
    """A line without CJK characters is justified by WeasyPrint itself, widening spaces only."""
    assert lines(render(LATIN, 150.0)) == lines(render(LATIN, 150.0, extension=False))


@pytest.mark.parametrize("width", [100.0, 103.7, 118.3, 131.1, 147.3])
def test_no_line_starts_with_closing_punctuation(width: float) -> None:
    for paragraph in (NEWS, MIXED):
        starts = [line.text[:1] for line in lines(render(paragraph, width))]
        assert not [s for s in starts if s in LINE_START], starts


def test_first_line_indent_is_kept() -> None:
    found = lines(render(NEWS, 103.7, extra_css="text-indent: 2em"))
    assert abs(found[0].x_min - (LEFT + 20)) <= TOLERANCE  # 2em of 10pt
    assert abs(found[0].x_max - (LEFT + 103.7)) <= TOLERANCE
    assert_justified(found[1:], 103.7)


# -- punctuation squeezing --------------------------------------------------------------------------

SQUEEZE = "记者从市场监管部门获悉，今年以来，全市新设市场主体同比增长，民营经济活力持续释放"


def test_squeezing_pulls_a_lone_last_character_back() -> None:
    """At 136 pt WeasyPrint alone leaves 放 alone on the last line; half-width commas make room."""
    before = lines(render(SQUEEZE, 136.0, extension=False))
    assert before[-1].text == "放"
    after = lines(render(SQUEEZE, 136.0))
    assert len(after) == len(before) - 1
    assert after[-1].text.endswith("持续释放") and len(after[-1].text) > 1
    assert after[-1].x_max <= LEFT + 136.0 + TOLERANCE
    assert text(render(SQUEEZE, 136.0), SQUEEZE) == SQUEEZE


def test_no_squeezing_without_punctuation_to_squeeze() -> None:
    plain = "记者从市场监管部门获悉今年以来全市新设市场主体同比增长民营经济活力持续释放"
    for width in (100.0, 110.0, 120.0, 130.0):
        # Nothing to squeeze, so nothing is pulled back: as many lines as WeasyPrint alone sets (a lone
        # 放 instead takes 释 along from the line before, which stays flush).
        found = assert_clean(render(plain, width), plain)
        assert len(found) == len(lines(render(plain, width, extension=False)))
        assert len(found[-1].text) > 1
        assert_justified(found, width)


CLOSED = "记者从市场监管部门获悉，今年以来，全市新设、注销、变更市场主体同比增长，民营经济活力持续释放。"


def assert_clean(pdf: bytes, source: str) -> list[Line]:
    """The paragraph extracts as its source, no line starts with closing punctuation (避头尾), and
    every line but the last reaches both column edges."""
    assert text(pdf, source) == source
    found = lines(pdf)
    assert not [line for line in found if line.text[:1] in LINE_START], found
    return found


def test_squeezing_pulls_back_a_character_with_its_closing_punctuation() -> None:
    """At 126 pt WeasyPrint alone ends the paragraph with 放。; half-width punctuation on the line
    before (the comma after 长) makes room for both, and the paragraph ends one line earlier."""
    before = lines(render(CLOSED, 126.0, extension=False))
    assert before[-1].text == "放。"
    pdf = render(CLOSED, 126.0)
    after = assert_clean(pdf, CLOSED)
    assert len(after) == len(before) - 1
    assert after[-1].text.endswith("持续释放。") and len(after[-1].text) > 2
    assert after[-1].x_max <= LEFT + 126.0 + TOLERANCE  # the squeezed line does not stick out
    assert_justified(after, 126.0)


@pytest.mark.parametrize("width", [120.0, 124.0, 154.0])
def test_a_character_with_its_closing_punctuation_gets_company(width: float) -> None:
    """Where squeezing cannot make room, the line before breaks one character earlier and stays
    justified flush: the last line holds two characters and the full stop."""
    before = lines(render(CLOSED, width, extension=False))
    assert before[-1].text == "放。"
    after = assert_clean(render(CLOSED, width), CLOSED)
    assert len(after) == len(before)
    assert after[-1].text == "释放。"
    assert_justified(after, width)


def test_no_push_that_would_make_the_line_too_loose() -> None:
    """At 106 pt the line before 放。 holds nine characters and no punctuation: breaking it earlier
    would space it more than PUSH_SPACING, so the paragraph keeps its lines (and its flush lines)."""
    source = "记者从市场监管部门获悉，今年以来，全市新设市场主体同比增长，民营经济活力持续释放。"
    found = assert_clean(render(source, 106.0), source)
    assert [line.text for line in found] == [line.text for line in lines(render(source, 106.0, extension=False))]
    assert_justified(found, 106.0)


@pytest.mark.parametrize("width", [120.0, 126.0])
def test_only_the_paragraphs_end_is_pulled_back_or_pushed(width: float) -> None:
    """A text box whose rest would be 放。 but which another (bold) one follows does not end the
    paragraph: its lines break as WeasyPrint alone breaks them."""
    source = CLOSED + "<b>另据统计，全年新设市场主体有望再创新高</b>"
    plain = CLOSED + "另据统计，全年新设市场主体有望再创新高"
    found = assert_clean(render(source, width), plain)
    assert [line.text for line in found] == [line.text for line in lines(render(source, width, extension=False))]
    assert_justified(found, width)


@pytest.mark.parametrize(
    ("rest", "lone"),
    [("放", True), ("放。", True), ("说”。", True), ("。", True), ("释放。", False), ("A B", False), ("", False)],
)
def test_lone_rest(rest: str, lone: bool) -> None:
    assert justify.lone_rest(rest) is lone


# -- the pin ----------------------------------------------------------------------------------------


def test_pins_match_the_installed_weasyprint() -> None:
    justify.check_pins()  # raises if WeasyPrint or any pinned function changed
    assert set(justify.PINNED) >= {
        "weasyprint.layout.inline.justify_line",
        "weasyprint.text.line_break.split_first_line",
    }


def test_a_changed_function_is_refused() -> None:
    pins = dict(justify.PINNED, **{"weasyprint.layout.inline.justify_line": "0000000000000000"})
    with pytest.raises(RenderError, match=r"internals changed.*weasyprint\.layout\.inline\.justify_line"):
        justify.check_pins(pins)


def test_a_missing_function_is_refused() -> None:
    with pytest.raises(RenderError, match=r"weasyprint\.layout\.inline\.no_such_function \(missing"):
        justify.check_pins({"weasyprint.layout.inline.no_such_function": "0000000000000000"})


def test_another_weasyprint_version_is_refused() -> None:
    with pytest.raises(RenderError, match=r"written for WeasyPrint 69\.0, found 70\.0"):
        justify.check_pins(version="69.0")


def test_installing_refuses_changed_internals_and_restores_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.layout import inline

    original = inline.justify_line, inline.split_first_line
    with justify.installed():
        assert inline.justify_line is justify.justify_line
        with justify.installed():  # nested use keeps it installed
            assert inline.split_first_line is justify.split_first_line
        assert inline.justify_line is justify.justify_line
    assert (inline.justify_line, inline.split_first_line) == original
    monkeypatch.setitem(justify.PINNED, "weasyprint.text.line_break.Layout.set_text", "0000000000000000")
    with pytest.raises(RenderError, match=r"Layout\.set_text"), justify.installed():
        pass
    assert (inline.justify_line, inline.split_first_line) == original


def test_the_pdf_render_refuses_changed_internals(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The pin is checked by the PDF renderer itself: a changed WeasyPrint stops the render loudly."""
    from exporter.render import pdf

    monkeypatch.setitem(justify.PINNED, "weasyprint.draw.text.draw_first_line", "0000000000000000")
    with pytest.raises(RenderError, match=r"internals changed.*draw_first_line"):
        pdf._render('<html lang="zh-CN"><p>中文</p></html>', tmp_path, b"0123456789abcdef")


# -- remembered splits --------------------------------------------------------------------------------


class _Forgetful(dict):  # type: ignore[type-arg]
    """A stand-in for justify._SPLITS that remembers nothing: every split is made afresh."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


def _columns_pdf() -> bytes:
    """Balanced justified columns (laid out many times) with a pulled-back and a pushed paragraph end."""
    from weasyprint import HTML

    paragraphs = [
        NEWS,
        SQUEEZE,
        MIXED,
        "记者从市场监管部门获悉，今年以来新设市场主体同比增长二成，民营经济活力释放。",
        NEWS,
    ]
    html = (
        '<html lang="zh-CN"><style>@page { size: 420pt 400pt; margin: 20pt } body { margin: 0 }'
        'div { columns: 3; column-gap: 12pt } p { font-family: "Noto Serif CJK SC"; font-size: 10pt;'
        " line-height: 1.5; margin: 0; text-indent: 2em; text-align: justify; font-kerning: none }</style>"
        "<div>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    )
    with justify.installed():
        return HTML(string=html).write_pdf(pdf_identifier=b"0123456789abcdef")  # type: ignore[no-any-return]


def test_remembered_splits_give_the_same_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Column balancing splits the same lines again: the remembered splits spare that work (fewer
    real splits) and change nothing in the PDF."""
    made = []
    split = justify._split_first_line

    def counted(*args: object) -> object:
        made.append(args[0])
        return split(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(justify, "_split_first_line", counted)
    remembered = _columns_pdf()
    with_memory = len(made)
    assert justify._SPLITS == {}  # forgotten after the render
    made.clear()
    monkeypatch.setattr(justify, "_SPLITS", _Forgetful())
    afresh = _columns_pdf()
    assert remembered == afresh
    assert with_memory < 0.7 * len(made), (with_memory, len(made))


def test_a_remembered_split_is_a_copy_and_only_at_the_same_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widths that differ in the last bits of their floats (the columns of one element) share a
    split; another width does not, nor the same text where it ends its paragraph (squeezed there).
    Every caller gets its own copy of the layout."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    css = "font-family: Noto Serif CJK SC; font-size: 10pt; text-align: justify"
    document = HTML(string=f'<html lang="zh-CN"><p style="{css}">{SQUEEZE}</p>').render()
    style = next(b for b in document.pages[0]._page_box.descendants() if isinstance(b, boxes.TextBox)).style
    width = 136.0 * 4 / 3  # px: where WeasyPrint alone leaves 放 alone on the last line
    with justify.installed():
        first = justify.split_first_line(SQUEEZE, style, None, width, 0)
        again = justify.split_first_line(SQUEEZE, style, None, width + 3e-9, 0)
        assert len(justify._SPLITS) == 1
        assert again[0] is not first[0] and vars(again[0]) == vars(first[0])
        assert again[1:] == first[1:]
        other = justify.split_first_line(SQUEEZE, style, None, width / 2, 0)
        assert len(justify._SPLITS) == 2 and other[1] < first[1]
        rest = SQUEEZE
        while (split := justify.split_first_line(rest, style, None, width, 0))[2] is not None:
            last, rest = rest, rest.encode()[split[2] :].decode()
        assert rest == "放"
        before = justify.split_first_line(last, style, None, width, 0)
        monkeypatch.setattr(justify, "_AT_END", True)
        assert before[2] is not None and justify.split_first_line(last, style, None, width, 0)[2] is None
    assert justify._SPLITS == {}
