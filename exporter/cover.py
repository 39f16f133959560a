"""The issue cover for e-readers: a PNG drawn from the masthead, the issue's date and numbers and its 导读.

Library views (Kobo, Apple Books, calibre, KOReader's file browser) show a raster cover image reliably; an
SVG cover is often shown blank. The text is drawn with Noto Serif CJK SC (Debian ``fonts-noto-cjk``) using
Pillow's basic layout engine, so the same fonts and Pillow version give the same bytes. A rare character
(生僻字, CJK Extension B and later) Noto lacks is drawn with the first face of the fallback chain that
has it (BabelStone Han, HanaMinB: see :mod:`exporter.fonts`).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from exporter import fonts, texts
from exporter.errors import RenderError
from exporter.model import Issue, Publication

WIDTH, HEIGHT = 1200, 1600
MARGIN = 90
FAMILY = "Noto Serif CJK SC"
PAPER = (251, 248, 241)
INK = (28, 28, 28)
GREY = (96, 96, 96)
RED = (200, 22, 29)
# Files that usually hold the family (Debian/Ubuntu fonts-noto-cjk, Fedora, Arch); fc-match is asked last.
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-{style}.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-{style}.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-{style}.ttc",
)
# Characters that must not start a line (a small subset of clreq's line-start prohibition rules).
NO_LINE_START = set("，。、；：？！”’）》」』〕】…—·,.;:?!)")


def _face(path: str, style: str) -> int | None:
    from PIL import ImageFont

    for index in range(16):
        try:
            font = ImageFont.truetype(path, 10, index=index)
        except OSError:
            return None
        if font.getname() == (FAMILY, style):
            return index
    return None


@lru_cache(maxsize=4)
def find_font(style: str) -> tuple[str, int]:
    """(file, face index) of Noto Serif CJK SC in ``style`` ("Bold" or "Regular"); RenderError if absent."""
    paths = [c.format(style=style) for c in CANDIDATES]
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(
            [fc_match, "-f", "%{file}", f"{FAMILY}:style={style}"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found:
            paths.append(found)
    for path in paths:
        if Path(path).is_file():
            index = _face(path, style)
            if index is not None:
                return path, index
    raise RenderError(f"the EPUB cover needs the font {FAMILY} {style} (Debian package fonts-noto-cjk)")


def fingerprint() -> str:
    """What the cover's bytes depend on besides the issue: Pillow and the font files."""
    import PIL

    parts = [f"Pillow {PIL.__version__}"]
    for style in ("Bold", "Regular"):
        path, index = find_font(style)
        parts.append(f"{path}#{index}:{Path(path).stat().st_size}")
    parts += [f"{f.path}#{f.index}:{f.path.stat().st_size}" for f in fonts.fallback_faces()]
    return ";".join(parts)


@lru_cache(maxsize=4)
def _covers(path: str, index: int) -> frozenset[int]:
    return fonts._codepoints(Path(path), index, Path(path).stat().st_size)


class Face:
    """A font at one size that draws what Noto Serif CJK SC lacks with the fallback chain, run by run."""

    def __init__(self, path: str, index: int, size: int) -> None:
        from PIL import ImageFont

        self.size = size
        self.main = ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)
        self.covered = _covers(path, index)
        self._fallback: list[tuple[Any, frozenset[int]]] | None = None

    def fallback(self) -> list[tuple[Any, frozenset[int]]]:
        from PIL import ImageFont

        if self._fallback is None:
            self._fallback = [
                (
                    ImageFont.truetype(str(f.path), self.size, index=f.index, layout_engine=ImageFont.Layout.BASIC),
                    fonts.codepoints(f),
                )
                for f in fonts.fallback_faces()
            ]
        return self._fallback

    def runs(self, text: str) -> list[tuple[Any, str]]:
        """``text`` cut into (font, part) runs; a character no face has stays with the main font."""
        out: list[tuple[Any, str]] = []
        for char in text:
            font = self.main
            if ord(char) not in self.covered and not char.isspace():
                font = next((f for f, has in self.fallback() if ord(char) in has), self.main)
            if out and out[-1][0] is font:
                out[-1] = (font, out[-1][1] + char)
            else:
                out.append((font, char))
        return out

    def plain(self, text: str) -> bool:
        return all(ord(c) in self.covered or c.isspace() for c in text)

    def getlength(self, text: str) -> float:
        if self.plain(text):
            return float(self.main.getlength(text))
        return float(sum(font.getlength(part) for font, part in self.runs(text)))

    def height(self, text: str) -> float:
        """Ink height of ``text`` (top to bottom of its glyphs)."""
        if self.plain(text):
            box = self.main.getbbox(text)
            return float(box[3] - box[1])
        boxes = [font.getbbox(part, anchor="ls") for font, part in self.runs(text)]
        return float(max(b[3] for b in boxes) - min(b[1] for b in boxes))

    def draw(
        self, draw: Any, xy: tuple[float, float], text: str, fill: tuple[int, int, int], anchor: str = "la"
    ) -> None:
        """Like ``ImageDraw.text``; anchors ``la``, ``ra`` (ascender) and ``mt`` (top) are supported."""
        if self.plain(text):
            draw.text(xy, text, font=self.main, fill=fill, anchor=anchor)
            return
        x, y = xy
        runs = self.runs(text)
        width = sum(font.getlength(part) for font, part in runs)
        x -= {"l": 0.0, "m": width / 2, "r": width}[anchor[0]]
        if anchor[1] == "t":
            baseline = y - min(font.getbbox(part, anchor="ls")[1] for font, part in runs)
        else:
            baseline = y + self.main.getmetrics()[0]
        for font, part in runs:
            draw.text((x, baseline), part, font=font, fill=fill, anchor="ls")
            x += font.getlength(part)


def _wrap(text: str, font: Face, width: int) -> list[str]:
    """Greedy line breaking by character, keeping closing punctuation off the start of a line."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and font.getlength(line + char) > width and char not in NO_LINE_START:
            lines.append(line.rstrip())
            line = char.lstrip()
        else:
            line += char
    if line:
        lines.append(line)
    # No single character alone on the last line (a widow): take one more from the line above.
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2:
        lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]
    return lines


def cover_entries(issue: Issue) -> tuple[str, list[tuple[str, str]]]:
    """The list the cover shows: its label and (headline, page code) lines. A 导读 story the book does not
    carry (a print-only page) says so: （见印刷版第3版）."""
    if not issue.highlights:
        return texts.CONTENTS, [(a.headline, issue.page_of(a).code) for a in issue.articles]
    return texts.HIGHLIGHTS, [
        (texts.highlight_entry(issue, h, page=False, print_only=True), "" if issue.print_only(h) else h.page_code)
        for h in issue.highlights
    ]


def make_cover(pub: Publication, issue: Issue) -> bytes:
    """The cover as PNG bytes: masthead, date, 第N期（总第N期）, 今日N版 and the 导读 headlines."""
    from PIL import Image, ImageDraw

    bold_path, bold_index = find_font("Bold")
    regular_path, regular_index = find_font("Regular")

    def font(size: int, bold: bool = False) -> Face:
        path, index = (bold_path, bold_index) if bold else (regular_path, regular_index)
        return Face(path, index, size)

    img = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(img)
    inner = WIDTH - 2 * MARGIN

    def centred(y: int, text: str, f: Face, fill: tuple[int, int, int]) -> int:
        f.draw(draw, (WIDTH / 2, y), text, fill, anchor="mt")
        return int(y + max(f.height(text), f.size) + 4)

    if issue.sample:  # the band says so: a library view shows the cover, not the book's notes
        draw.rectangle((0, 0, WIDTH, 76), fill=RED)
        notice, size = issue.sample_notice, 34
        while size > 16 and font(size, True).getlength(notice) > WIDTH - 40:
            size -= 2
        font(size, True).draw(draw, (WIDTH / 2, 38), notice, PAPER, anchor="mm")  # the notice is plain text
    else:
        draw.rectangle((0, 0, WIDTH, 28), fill=RED)
    # Masthead: as large as fits on one line.
    size = 150
    while size > 40 and font(size, True).getlength(pub.title) > inner:
        size -= 4
    y = centred(110, pub.title, font(size, True), RED) + 18
    if pub.english_title:
        y = centred(y, pub.english_title, font(30), GREY) + 10
    draw.rectangle((MARGIN, y + 14, WIDTH - MARGIN, y + 20), fill=INK)
    draw.rectangle((MARGIN, y + 28, WIDTH - MARGIN, y + 30), fill=INK)
    y += 70
    y = centred(y, f"{issue.date_text} {issue.weekday}", font(58, True), INK) + 16
    y = centred(y, f"{issue.numbers_text}  {texts.pages_today(issue.page_count)}", font(40), INK) + 26
    draw.rectangle((MARGIN, y, WIDTH - MARGIN, y + 3), fill=RED)
    y += 60

    label, entries = cover_entries(issue)
    font(48, True).draw(draw, (MARGIN, y), label, RED)
    y += 90
    body, code_font = font(44, True), font(34)
    bottom_limit = HEIGHT - 230
    for headline, code in entries:
        lines = _wrap(headline, body, inner - 150)
        needed = 62 * len(lines) + 22
        if y + needed > bottom_limit:
            break
        draw.rectangle((MARGIN, y + 16, MARGIN + 12, y + 28), fill=RED)
        for i, line in enumerate(lines):
            body.draw(draw, (MARGIN + 34, y), line, INK)
            if i == 0:
                code_font.draw(draw, (WIDTH - MARGIN, y + 6), code, GREY, anchor="ra")
            y += 62
        y += 22

    bodies = " ".join(
        part for part in (pub.supervisor and f"{pub.supervisor}主管", pub.sponsor and f"{pub.sponsor}主办") if part
    )
    codes = "  ".join(
        part
        for part in (
            pub.cn_number and f"国内统一连续出版物号 {pub.cn_number}",
            pub.issn and f"ISSN {pub.issn}",
            pub.postal_code and f"邮发代号 {pub.postal_code}",
        )
        if part
    )
    y = HEIGHT - 180
    draw.rectangle((MARGIN, y, WIDTH - MARGIN, y + 2), fill=INK)
    y += 28
    for line in (bodies, codes):
        if line:
            y = centred(y, line, font(30), GREY) + 10
    draw.rectangle((0, HEIGHT - 28, WIDTH, HEIGHT), fill=RED)

    # A 64-colour palette without dithering looks the same (flat colours, anti-aliased text) at a third of the size.
    out = io.BytesIO()
    img.quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def cover_alt(pub: Publication, issue: Issue) -> str:
    """Alt text of the cover image: what it shows, in words."""
    today = texts.pages_today(issue.page_count)
    text = f"《{pub.title}》{issue.date_text} {issue.weekday} {issue.numbers_text} {today} 封面"
    if issue.sample:
        text += "。" + issue.sample_notice.removesuffix("。")
    if issue.highlights:
        text += "。" + texts.highlights_line(issue, page=False, print_only=True)
    return text
