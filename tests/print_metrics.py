"""Print-quality metrics of a PDF edition, read back from the PDF with poppler (issue #13).

Shared by ``tests/test_print_quality.py`` and ``bench/print_quality.py`` (bench imports it from here; the
tests never import from ``bench/``). Everything is measured on the PDF itself, as a reader sees it:

* ``pdftotext -bbox-layout`` gives every text line with its box and its words' boxes;
* ``pdftohtml -xml`` gives where the images are placed (``pdfimages -list`` knows sizes, not places).

How body lines are told apart (see :func:`body_lines`): by font size. A word box is as high as the font's
ascent + descent, i.e. proportional to the font size (1.437 x size for Noto Serif CJK, 1.448 x for Noto Sans
CJK), and the body text is by far the most common size: the *body height* is the word height that holds the
most characters of the document, and a body line is a line whose median word height is within 0.3 pt of
it. Headlines (15-30 pt), sub-heads (10 pt), bylines and jump lines (9 pt), captions (8.5 pt), running
heads and the 导读 (8-10 pt) all differ from the 9.5 pt body by 0.7 pt of box height or more. Block quotes
and tables (9 and 8 pt) are not counted as body text.

Columns and paragraphs (see :func:`analyse_page`): on each page, body lines are grouped by their left
edge (1 pt tolerance). A group whose left edge is another group's plus the paragraph indent holds that
column's indented first lines (the indent is the most common such offset in the document, 2 em = 19 pt
for the PDF's 9.5 pt body). Lines of one left edge are cut into *column blocks* where the vertical gap
exceeds 3.5 line pitches (another article starts below), and blocks into *runs* where it exceeds 1.5
pitches (a sub-head or a list sits between). A column block's edges are the minimum left and maximum
right edge of its lines (the indented edge: the minimum left of its indented lines).

A paragraph starts with an indented line and ends with the line before the next indented line, before a
gap (the end of a run), or at the foot of a column when the next column of the same article (the block
just right of it, reaching down beside it) does not go on without indent right at its top (a column
that starts lower has a sub-head above it).
A column foot with no next column on its page goes on when the next page has a column that starts
without indent and is nobody's next column on that page (an article continued on another sheet).

Metrics (definitions of issue #13):

* flush: a body line that does not end a paragraph is flush when its left edge is within 0.5 pt of its
  column's left edge (indented edge for a first line) and its right edge within 0.5 pt of the column's
  right edge;
* line-start violations: any text line (not only body) whose first character is one of ，。、；：？！”）》;
* lone last characters: paragraphs whose last line holds a single character (punctuation counts);
* empty area: per sheet, the share of the type area (the page minus the @page margins of pdf.css) not
  covered by text lines or images, each box grown by 2.5 mm on every side (half the 5 mm column gap) so
  gutters and leading between lines do not count as empty while a hole of a few lines does;
* sheets per 版: the running heads (text in the page margins) name the 版 ("第3版"); sheets are counted
  per 版 named.
"""

from __future__ import annotations

import itertools
import re
import statistics
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

XHTML = "{http://www.w3.org/1999/xhtml}"
MM = 72 / 25.4
# The @page margins of exporter/templates/pdf/pdf.css: top, right, bottom, left.
PDF_MARGINS_MM = (20.0, 15.0, 16.0, 15.0)
LINE_START_FORBIDDEN = "，。、；：？！”）》"
CLOSING = LINE_START_FORBIDDEN + "’」』〕】…—·.,;:?!)\"'"
BAN_RE = re.compile(r"第\s*(\d+)\s*版")
OTHER_BAN_RE = re.compile(r"（[转接][^）]*）|第\s*\d+\s*版续")
FLUSH_TOLERANCE = 0.5  # pt
HEIGHT_TOLERANCE = 0.3  # pt of word-box height
EDGE_TOLERANCE = 1.0  # pt: lines of one column share a left edge within this
EMPTY_PAD = 2.5 * MM  # boxes are grown by this on every side when measuring empty area


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Line:
    page: int  # 1-based
    x0: float
    y0: float
    x1: float
    y1: float
    text: str  # the words joined without spaces
    height: float  # median word-box height (∝ font size)


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    images: list[Box] = field(default_factory=list)


@dataclass
class BodyLine:
    """A body line as placed in its column."""

    line: Line
    indented: bool = False  # a paragraph's first line
    last: bool = False  # a paragraph's last line
    flush: bool = False  # both edges on the column's edges (only meaningful when not last)


@dataclass
class Column:
    left: float
    lines: list[BodyLine]
    runs: list[list[BodyLine]]

    @property
    def top(self) -> float:
        return self.lines[0].line.y0

    @property
    def right(self) -> float:
        return max(b.line.x1 for b in self.lines)


@dataclass
class Report:
    sheets: int
    body_height: float
    indent: float
    body: int  # body lines
    non_final: int
    flush: int
    paragraphs: int
    lone: list[Line]  # last lines holding one character
    multiline: int  # paragraphs of two lines or more
    lone_loose: list[Line]  # last lines of those holding one character, maybe followed by closing punctuation
    violations: list[Line]  # lines starting with forbidden punctuation
    empty: list[float]  # per sheet, share of the type area
    ban_sheets: dict[str, int]  # "第1版" -> sheets whose running head names it

    @property
    def flush_share(self) -> float:
        return self.flush / self.non_final if self.non_final else 0.0

    @property
    def lone_share(self) -> float:
        return len(self.lone) / self.paragraphs if self.paragraphs else 0.0

    @property
    def lone_loose_share(self) -> float:
        return len(self.lone_loose) / self.multiline if self.multiline else 0.0


# -- reading the PDF ------------------------------------------------------------------------------


def parse_bbox_layout(xhtml: str) -> list[Page]:
    """The pages of ``pdftotext -bbox-layout`` output: lines with their boxes and word heights."""
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml, count=1))  # noqa: S314 (poppler's output)
    pages = []
    for number, page_el in enumerate(root.iter(f"{XHTML}page"), start=1):
        page = Page(number, float(page_el.get("width", 0)), float(page_el.get("height", 0)))
        for line_el in page_el.iter(f"{XHTML}line"):
            words = line_el.findall(f"{XHTML}word")
            if not words:
                continue
            page.lines.extend(split_line(number, words))
        pages.append(page)
    return pages


def split_line(number: int, words: Sequence[ET.Element]) -> list[Line]:
    """One pdftotext line as Line(s); cut where two words are further apart than a line is high
    (pdftotext may join the lines of neighbouring columns that stand at the same height)."""
    boxes = [
        (
            float(w.get("xMin", 0)),
            float(w.get("yMin", 0)),
            float(w.get("xMax", 0)),
            float(w.get("yMax", 0)),
            w.text or "",
        )
        for w in words
    ]
    boxes.sort()
    groups: list[list[tuple[float, float, float, float, str]]] = [[boxes[0]]]
    for box in boxes[1:]:
        prev = groups[-1][-1]
        if box[0] - prev[2] > (prev[3] - prev[1]):
            groups.append([box])
        else:
            groups[-1].append(box)
    return [
        Line(
            number,
            min(b[0] for b in g),
            min(b[1] for b in g),
            max(b[2] for b in g),
            max(b[3] for b in g),
            "".join(b[4] for b in g),
            statistics.median(round(b[3] - b[1], 2) for b in g),
        )
        for g in groups
    ]


def parse_images(xml: str) -> dict[int, list[Box]]:
    """Image placements per page from ``pdftohtml -xml -zoom 1`` (whole points)."""
    root = ET.fromstring(xml)  # noqa: S314 (poppler's output of a PDF we made)
    found: dict[int, list[Box]] = {}
    for page_el in root.iter("page"):
        number = int(page_el.get("number", 0))
        for img in page_el.iter("image"):
            x, y = float(img.get("left", 0)), float(img.get("top", 0))
            w, h = float(img.get("width", 0)), float(img.get("height", 0))
            found.setdefault(number, []).append(Box(x, y, x + w, y + h))
    return found


def read_pdf(pdf: Path) -> list[Page]:
    """Text lines (pdftotext -bbox-layout) and image placements (pdftohtml -xml) of every page."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True)
    pages = parse_bbox_layout(out.stdout.decode("utf-8"))
    with tempfile.TemporaryDirectory(prefix="print-metrics-") as tmp:
        stem = Path(tmp) / "x"  # pdftohtml writes the image files beside the XML
        subprocess.run(["pdftohtml", "-q", "-xml", "-zoom", "1", str(pdf), str(stem)], check=True, capture_output=True)
        images = parse_images(stem.with_suffix(".xml").read_text(encoding="utf-8"))
    for page in pages:
        page.images = images.get(page.number, [])
    return pages


# -- body lines, columns, paragraphs -------------------------------------------------------------


def body_height(pages: Iterable[Page]) -> float:
    """The word-box height that holds the most characters: the body text's size."""
    chars: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            chars[round(line.height, 1)] += len(line.text)
    return chars.most_common(1)[0][0] if chars else 0.0


def body_lines(page: Page, height: float) -> list[Line]:
    return [line for line in page.lines if abs(line.height - height) <= HEIGHT_TOLERANCE]


def left_groups(lines: Iterable[Line]) -> list[tuple[float, list[Line]]]:
    """Lines grouped by left edge (within EDGE_TOLERANCE), groups sorted by edge."""
    groups: list[tuple[float, list[Line]]] = []
    for line in sorted(lines, key=lambda ln: ln.x0):
        if groups and line.x0 - groups[-1][0] <= EDGE_TOLERANCE:
            groups[-1][1].append(line)
        else:
            groups.append((line.x0, [line]))
    return groups


def find_indent(pages: Iterable[Page], height: float) -> float:
    """The paragraph indent: the most common offset (0.5 pt steps) between two left edges of body lines on a
    page that is between half and three times the body height, weighted by the lines at the larger edge."""
    offsets: Counter[float] = Counter()
    for page in pages:
        groups = left_groups(body_lines(page, height))
        for i, (edge, lines) in enumerate(groups):
            for other, _ in groups[:i]:
                if 0.5 * height <= edge - other <= 3 * height:
                    offsets[round((edge - other) * 2) / 2] += len(lines)
    return offsets.most_common(1)[0][0] if offsets else 0.0


def line_pitch(lines: Sequence[Line]) -> float:
    steps = Counter(round(b.y0 - a.y0, 1) for a, b in itertools.pairwise(lines) if b.y0 > a.y0)
    return steps.most_common(1)[0][0] if steps else 0.0


def columns_of(page: Page, height: float, indent: float) -> list[Column]:
    """The page's body lines as column blocks (see the module docstring)."""
    groups = left_groups(body_lines(page, height))
    edges = [edge for edge, _ in groups]
    by_base: dict[float, list[BodyLine]] = {}
    for edge, lines in groups:
        base = next((e for e in edges if indent and abs(edge - e - indent) <= EDGE_TOLERANCE), None)
        for line in lines:
            by_base.setdefault(edge if base is None else base, []).append(BodyLine(line, indented=base is not None))
    columns = []
    for base, items in by_base.items():
        items.sort(key=lambda b: b.line.y0)
        pitch = line_pitch([b.line for b in items]) or height
        block: list[BodyLine] = []
        for item in items:
            if block and item.line.y0 - block[-1].line.y0 > 3.5 * pitch:
                columns.append(make_column(base, block, pitch))
                block = []
            block.append(item)
        columns.append(make_column(base, block, pitch))
    columns.sort(key=lambda c: (c.left, c.top))
    return columns


def make_column(left: float, lines: list[BodyLine], pitch: float) -> Column:
    runs: list[list[BodyLine]] = []
    for item in lines:
        if runs and item.line.y0 - runs[-1][-1].line.y0 <= 1.5 * pitch:
            runs[-1].append(item)
        else:
            runs.append([item])
    return Column(left, lines, runs)


def next_column(col: Column, columns: Sequence[Column], pitch: float) -> Column | None:
    """The column just right of ``col`` (within three lines' height of its right edge) that starts no more than
    three lines lower than ``col`` (a sub-head) and reaches down beside it: where the foot of ``col`` goes on."""
    right = col.right
    candidates = [
        c
        for c in columns
        if right < c.left <= right + 3 * pitch
        and c.top <= col.top + 3 * pitch
        and c.lines[-1].line.y0 >= col.top - pitch
    ]
    return min(candidates, key=lambda c: (c.left, abs(c.top - col.top)), default=None)


def analyse_page(page: Page, height: float, indent: float) -> tuple[list[Column], list[Column]]:
    """Marks paragraph ends and flush lines on one page; returns the columns and the columns whose foot has
    no next column on the page (their end is decided by the caller, which knows the next page)."""
    columns = columns_of(page, height, indent)
    pitch = statistics.median(line_pitch([b.line for b in c.lines]) or height for c in columns) if columns else height
    open_feet = []
    for col in columns:
        for run in col.runs:
            for item, after in itertools.pairwise(run):
                item.last = after.indented
            run[-1].last = True  # before a gap: a sub-head, a list, a photo
        follow = next_column(col, columns, pitch)
        if follow is None:
            open_feet.append(col)
        else:
            col.runs[-1][-1].last = follow.lines[0].indented or follow.top > col.top + 0.5 * pitch
        mark_flush(col)
    return columns, open_feet


def mark_flush(col: Column) -> None:
    right = col.right
    indented = [b.line.x0 for b in col.lines if b.indented]
    indent_edge = min(indented) if indented else col.left + 0.0
    left = min(b.line.x0 for b in col.lines if not b.indented) if any(not b.indented for b in col.lines) else col.left
    for item in col.lines:
        edge = indent_edge if item.indented else left
        item.flush = abs(item.line.x0 - edge) <= FLUSH_TOLERANCE and abs(item.line.x1 - right) <= FLUSH_TOLERANCE


def continued_starts(columns: Sequence[Column], pitch: float) -> list[Column]:
    """Columns that start without indent and are no column's next column: text continued from elsewhere."""
    targets = {id(n) for c in columns if (n := next_column(c, columns, pitch)) is not None}
    return [c for c in columns if not c.lines[0].indented and id(c) not in targets]


# -- sheets ---------------------------------------------------------------------------------------


def type_area(page: Page, margins_mm: tuple[float, float, float, float] = PDF_MARGINS_MM) -> Box:
    top, right, bottom, left = (m * MM for m in margins_mm)
    return Box(left, top, page.width - right, page.height - bottom)


def empty_share(page: Page, area: Box, pad: float = EMPTY_PAD) -> float:
    """Share of ``area`` not covered by the page's text lines and images, each grown by ``pad``."""
    x0, y0 = int(area.x0), int(area.y0)
    width, height = int(area.x1) - x0, int(area.y1) - y0
    if width <= 0 or height <= 0:
        return 0.0
    grid = bytearray(width * height)
    boxes = [Box(ln.x0, ln.y0, ln.x1, ln.y1) for ln in page.lines] + page.images
    for box in boxes:
        bx0 = max(0, int(box.x0 - pad) - x0)
        bx1 = min(width, int(box.x1 + pad + 1) - x0)
        by0 = max(0, int(box.y0 - pad) - y0)
        by1 = min(height, int(box.y1 + pad + 1) - y0)
        if bx1 <= bx0:
            continue
        ones = b"\x01" * (bx1 - bx0)
        for y in range(by0, by1):
            grid[y * width + bx0 : y * width + bx1] = ones
    return 1 - grid.count(1) / len(grid)


def running_ban(page: Page, area: Box) -> str | None:
    """The 版 the page's running heads (text in the top or bottom margin) name, e.g. "第3版".

    Jump lines name other 版 ("（接第3版）", "（转第4版）"), and so does the head of a sheet a short
    版 shares with the end of a long one ("第3版续"): those do not count."""
    for line in page.lines:
        if line.y1 <= area.y0 + 1 or line.y0 >= area.y1 - 1:
            found = BAN_RE.search(OTHER_BAN_RE.sub("", line.text))
            if found:
                return f"第{int(found.group(1))}版"
    return None


# -- the report -----------------------------------------------------------------------------------


def measure_pages(pages: list[Page], margins_mm: tuple[float, float, float, float] = PDF_MARGINS_MM) -> Report:
    height = body_height(pages)
    indent = find_indent(pages, height)
    analysed = [analyse_page(page, height, indent) for page in pages]
    pitches = [line_pitch([b.line for b in c.lines]) for cols, _ in analysed for c in cols]
    pitch = statistics.median([p for p in pitches if p] or [height])
    for i, (_, feet) in enumerate(analysed):
        later = continued_starts(analysed[i + 1][0], pitch) if i + 1 < len(analysed) else []
        for col in sorted(feet, key=lambda c: (c.top, c.left)):
            # the foot of the last column on a page goes on where the next page continues some text
            col.runs[-1][-1].last = not later
            if later:
                later.pop(0)
    items = [b for cols, _ in analysed for c in cols for b in c.lines]
    non_final = [b for b in items if not b.last]
    last = [b for b in items if b.last]
    ban_sheets: Counter[str] = Counter()
    empty = []
    for page in pages:
        area = type_area(page, margins_mm)
        empty.append(empty_share(page, area))
        ban = running_ban(page, area)
        if ban:
            ban_sheets[ban] += 1
    return Report(
        sheets=len(pages),
        body_height=height,
        indent=indent,
        body=len(items),
        non_final=len(non_final),
        flush=sum(b.flush for b in non_final),
        paragraphs=len(last),
        lone=[b.line for b in last if len("".join(b.line.text.split())) == 1],
        multiline=sum(not b.indented for b in last),
        lone_loose=[b.line for b in last if not b.indented and lone_with_punctuation(b.line.text)],
        violations=[ln for page in pages for ln in page.lines if ln.text[:1] in LINE_START_FORBIDDEN],
        empty=empty,
        ban_sheets=dict(ban_sheets),
    )


def lone_with_punctuation(text: str) -> bool:
    """One character, alone or followed only by closing punctuation ("司。", "司”。"): what 避头尾 leaves of a
    lone last character (a line may not start with the punctuation, so the character comes along)."""
    text = "".join(text.split())
    return len(text) >= 1 and text[0] not in CLOSING and all(c in CLOSING for c in text[1:])


def measure(pdf: Path, margins_mm: tuple[float, float, float, float] = PDF_MARGINS_MM) -> Report:
    return measure_pages(read_pdf(pdf), margins_mm)


def ban_number(label: str) -> int:
    found = BAN_RE.search(label)
    return int(found.group(1)) if found else 0


def format_report(name: str, report: Report) -> str:
    """A few lines of figures for people (bench/print_quality.py prints these)."""
    bans = ", ".join(f"{ban} {n}" for ban, n in sorted(report.ban_sheets.items(), key=lambda kv: ban_number(kv[0])))
    out = [
        f"{name}: {report.sheets} sheets; body {report.body_height:.2f} pt boxes, indent {report.indent:.1f} pt, "
        f"{report.body} body lines",
        f"  flush (non-final body lines flush to both column edges): {report.flush}/{report.non_final} = "
        f"{100 * report.flush_share:.1f} %",
        f"  line-start punctuation violations: {len(report.violations)}"
        + "".join(f"\n    p{ln.page} {ln.text[:20]}" for ln in report.violations[:10]),
        f"  one-character last lines: {len(report.lone)}/{report.paragraphs} paragraphs = "
        f"{100 * report.lone_share:.1f} %",
        f"  one character + closing punctuation (\u201c司。\u201d): {len(report.lone_loose)}/{report.multiline} "
        f"paragraphs of 2+ lines = {100 * report.lone_loose_share:.1f} %",
        "  empty share of the type area per sheet: " + " ".join(f"{100 * e:.0f}%" for e in report.empty),
        f"  sheets per 版: {bans} ({len(report.ban_sheets)} 版 on {report.sheets} sheets)",
    ]
    return "\n".join(out)
