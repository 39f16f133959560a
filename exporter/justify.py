"""CJK inter-character justification and punctuation squeezing (标点挤压) for WeasyPrint 70.

WeasyPrint 70 justifies a line by widening its spaces only (upstream issue #2893), so
``text-align: justify`` does nothing for Chinese, which has no spaces. This module gives justified
lines the semantics of CSS ``text-justify: inter-character`` as W3C clreq and Chromium do: the extra
width of a non-final line is spread over its CJK characters (east-asian wide or fullwidth) and its
spaces, as Pango letter spacing, never by inserting characters, so text extraction (``pdftotext``)
still gives the source text. Lines without CJK characters keep WeasyPrint's own justification.

Punctuation squeezing: when the rest of a justified paragraph after a line break would be one lone
character, the full-width punctuation of the line (，。、；：“”《》…, drawn in a full em with a half
blank) is set half-width with the OpenType ``halt`` feature, and if that makes the lone character fit,
the paragraph ends one line earlier. The same holds for a character left alone with its closing
punctuation ("司。"); when squeezing does not make room, the line breaks one opportunity earlier so
the last line gets two characters or more, if the line stays justified within PUSH_SPACING.

It is installed only around the PDF render (:func:`installed`), by replacing module globals of
``weasyprint.layout.inline`` (``justify_line``, ``split_first_line``, ``split_text_box``) and
``weasyprint.layout.block`` (``iter_line_boxes``, which marks a paragraph's last text box) and
restoring them afterwards. While installed, the splits of lines are remembered (column balancing
lays the same paragraphs out many times at the same width), which also makes the PDF build faster.
It relies on WeasyPrint internals, so it is pinned: :func:`check_pins` compares the WeasyPrint version
and a hash of the source of every function it replaces or relies on with the values it was written
for, and refuses to run (a :class:`~exporter.errors.RenderError`) when any differs.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from exporter.errors import RenderError

PINNED_VERSION = "70.0"
# sha256 (first 16 hex digits) of inspect.getsource() of each WeasyPrint function this module
# replaces or whose behaviour it relies on. Update only after re-reading the new code.
PINNED: dict[str, str] = {
    "weasyprint.layout.inline.justify_line": "f83b21ff8793ba6b",
    "weasyprint.layout.inline.add_word_spacing": "879516e71f1b80fa",
    "weasyprint.layout.inline.text_align": "e953d41b87ccfc30",
    "weasyprint.layout.inline.split_text_box": "8c564329599ef23f",
    "weasyprint.text.line_break.split_first_line": "39ad1016863ca34d",
    "weasyprint.text.line_break.first_line_metrics": "55ec5d0b58b29a8b",
    "weasyprint.text.line_break.create_layout": "6587192cc0ab3ffa",
    "weasyprint.text.line_break.Layout.set_text": "fe23ca9937dbf520",
    "weasyprint.text.line_break.Layout.reactivate": "0b89ee097104b713",
    "weasyprint.text.line_break.Layout.deactivate": "bfec3ec8406e1c82",
    "weasyprint.draw.text.draw_first_line": "1bb8eae6d88e71b1",
    "weasyprint.layout.inline.iter_line_boxes": "04aec48abfcad809",
    "weasyprint.formatting_structure.boxes.Box.copy": "22622e6493869089",
}

SPACES = " \u00a0"
# At most this much (in em of the line's smallest font) is added between two characters: looser
# lines stay start-aligned (partly justified), and text extraction starts to see word gaps above it.
MAX_SPACING = 0.38
# Text extraction starts a new word where two characters are more than 0.1 em apart, unless the
# whole line is spaced evenly; a multi-character glyph (see EXTEND) is not spaced inside, so a line
# holding one gets at most this.
SAFE_SPACING = 0.09
# Spacing this close to 0.1 em would leave some gaps above that threshold and some below (the PDF's
# positions are rounded to 1/1000 em), which extraction reads as word breaks: such lines get the
# lower bound instead (at most a few hundredths of a point per gap short of flush).
AMBIGUOUS = (0.097, 0.103)
# Full-width punctuation drawn in one em with a half blank, which ``halt`` sets half-width.
SQUEEZABLE = "，。、；：“”‘’（）《》〈〉「」『』【】〔〕"


# East-asian wide and fullwidth characters (CJK ideographs and radicals, kana, hangul, CJK and
# fullwidth punctuation): a line holding one is justified inter-character.
CJK = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0003fffd]"
)


# Characters that do not start a new glyph cluster, which Pango spaces as one: combining marks,
# joiners, variation selectors (also the ideographic ones), and the second dash of "——" (Noto CJK
# draws the pair as one glyph).
EXTEND = re.compile("[\u0300-\u036f\u200c\u200d\u20d0-\u20ff\ufe00-\ufe0f\U000e0100-\U000e01ef]|(?<=\u2014)\u2014")


def units(text: str) -> int:
    """How many glyph clusters (letter-spacing units) ``text`` makes, as Pango shapes it."""
    return len(text) - len(EXTEND.findall(text))


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds a character that takes inter-character justification."""
    return CJK.search(text) is not None


# -- the pin ---------------------------------------------------------------------------------------


def _resolve(dotted: str) -> Any:
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        # While installed, the module globals are this module's replacements: pin the originals.
        replaced = {
            justify_line: "justify_line",
            split_first_line: "split_first_line",
            split_text_box: "split_text_box",
        }
        return _ORIGINAL[replaced[obj]] if obj in replaced else obj
    raise ImportError(dotted)


def source_hash(dotted: str) -> str:
    """The pinned form of a function's source: the first 16 hex digits of its sha256."""
    return hashlib.sha256(inspect.getsource(_resolve(dotted)).encode()).hexdigest()[:16]


_PASSED: set[tuple[str, tuple[tuple[str, str], ...]]] = set()  # checks passed in this process


def check_pins(pins: dict[str, str] | None = None, version: str = PINNED_VERSION) -> None:
    """Refuse (RenderError) unless WeasyPrint is ``version`` and every pinned source hash matches.

    A check that passed is not repeated in the same process (WeasyPrint's code cannot change there).
    """
    import weasyprint

    pins = PINNED if pins is None else pins
    key = (version, tuple(sorted(pins.items())))
    if key in _PASSED:
        return
    if weasyprint.__version__ != version:
        raise RenderError(
            f"CJK justification (exporter/justify.py) is written for WeasyPrint {version}, "
            f"found {weasyprint.__version__}: re-read its internals and update the pins"
        )
    changed = []
    for dotted, expected in pins.items():
        try:
            actual = source_hash(dotted)
        except (ImportError, AttributeError, OSError, TypeError):
            actual = "missing"
        if actual != expected:
            changed.append(f"{dotted} ({actual}, pinned {expected})")
    if changed:
        raise RenderError(
            "CJK justification (exporter/justify.py): WeasyPrint internals changed since it was "
            "written: " + "; ".join(changed)
        )
    _PASSED.add(key)


# -- Pango layouts with letter spacing and squeezed punctuation ------------------------------------


@functools.cache
def _layout_class() -> type:
    from weasyprint.text.ffi import TO_UNITS, ffi, pango
    from weasyprint.text.line_break import Layout

    class SpacedLayout(Layout):  # type: ignore[misc]
        """A WeasyPrint layout whose characters ``spacing = (start, end, amount)`` (indexes of its
        text) get ``amount`` more letter spacing (Pango adds half before and half after a character
        and drops the outer halves at the layout's edges), and whose characters at ``squeeze``
        indexes are set half-width (OpenType ``halt``). Both are applied again by reactivate(),
        which WeasyPrint calls to draw the text."""

        spacing: tuple[int, int, float] | None = None
        squeeze: frozenset[int] = frozenset()

        def set_text(self, text: str, justify: bool = False) -> None:
            super().set_text(text, justify)
            if not (self.spacing or self.squeeze) or not self.text:
                return
            attr_list = pango.pango_layout_get_attributes(self.layout)
            if attr_list == ffi.NULL:
                attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
            if self.spacing:
                start, end, amount = self.spacing
                base = self.style["letter_spacing"]
                base = 0 if base == "normal" else base
                attr = pango.pango_attr_letter_spacing_new(int(base * TO_UNITS) + int(amount * TO_UNITS))
                attr.start_index = len(self.text[:start].encode())
                attr.end_index = len(self.text[:end].encode())
                pango.pango_attr_list_change(attr_list, attr)
            for index in sorted(self.squeeze):
                if index < len(self.text):
                    attr = pango.pango_attr_font_features_new(b"halt")
                    attr.start_index = len(self.text[:index].encode())
                    attr.end_index = attr.start_index + len(self.text[index].encode())
                    pango.pango_attr_list_insert(attr_list, attr)
            pango.pango_layout_set_attributes(self.layout, attr_list)

    return SpacedLayout


def spaced_layout(style: Any, squeeze: frozenset[int], max_width: float | None) -> Any:
    """A live SpacedLayout (shaped now), for line breaking."""
    layout = _layout_class()(style, 0, max_width)
    layout.squeeze = squeeze
    return layout


def deferred_layout(text: str, spacing: tuple[int, int, float], squeeze: frozenset[int], max_width: Any) -> Any:
    """A deactivated SpacedLayout: shaped only when WeasyPrint reactivates it to draw the text."""
    layout: Any = object.__new__(_layout_class())
    layout.text, layout.spacing, layout.squeeze = text, spacing, squeeze
    layout.justification_spacing, layout.max_width = 0, max_width
    return layout


# -- justification ---------------------------------------------------------------------------------


# WeasyPrint's box classes and Pango's unit, set by installed() (WeasyPrint loads lazily).
_TEXT: Any = None
_CONTAINERS: Any = None
_TO_UNITS = 1024


def _text_boxes(box: Any, found: list[Any]) -> list[Any]:
    if isinstance(box, _TEXT):
        found.append(box)
    elif isinstance(box, _CONTAINERS):
        for child in box.children:
            if child.is_in_normal_flow():
                _text_boxes(child, found)
    return found


def _plan(line: Any) -> tuple[dict[int, tuple[int, int]], float, float, float] | None:
    """For the line's text boxes (by id) the range of their characters that expand (those from the
    line's first visible character to its last), the count of expansions (in units of the spacing)
    the largest spacing allowed and the smallest font size; None when the line has no CJK character."""
    children = line.children
    if len(children) == 1 and type(children[0]) is _TEXT:  # the common case: one run of text
        texts = [children[0]]
    else:
        texts = _text_boxes(line, [])
    joined = "".join(box.text for box in texts)
    if not is_cjk(joined):
        return None
    for box in texts:
        if box.style["word_spacing"] or box.style["direction"] == "rtl":
            return None
    stripped = joined.strip()
    if not stripped:
        return None
    clustered = EXTEND.search(stripped) is not None
    first = len(joined) - len(joined.lstrip())
    last = first + len(stripped) - 1
    ranges: dict[int, tuple[int, int]] = {}
    count = 0.0
    offset = 0
    for box in texts:
        size = len(box.text)
        lo, hi = max(first - offset, 0), min(last - offset, size - 1)
        if lo <= hi:
            ranges[id(box)] = (lo, hi + 1)
            count += units(box.text[lo : hi + 1]) if clustered else hi + 1 - lo
            if offset + lo == first and lo == 0:
                count -= 0.5  # the line's first character: no spacing before it
            if offset + hi == last and hi == size - 1:
                count -= 0.5  # the line's last character: no spacing after it
        offset += size
    font_size = min(box.style["font_size"] for box in texts)
    limit = SAFE_SPACING if clustered else MAX_SPACING
    return ranges, count, limit * font_size, font_size


def justify_line(context: Any, line: Any, extra_width: float) -> None:
    """Spread ``extra_width`` over the line's characters (inter-character) when it holds CJK."""
    plan = _plan(line)
    if plan is None or plan[1] <= 0:
        _ORIGINAL["justify_line"](context, line, extra_width)
        return
    ranges, count, limit, font_size = plan
    spacing = min(extra_width / count, limit)
    if AMBIGUOUS[0] * font_size < spacing < AMBIGUOUS[1] * font_size:
        spacing = AMBIGUOUS[0] * font_size
    ids = list(ranges)
    _spread(line, spacing, ranges, ids[0], ids[-1], 0.0)


def _spread(
    box: Any, spacing: float, ranges: dict[int, tuple[int, int]], first: int, last: int, x_advance: float
) -> float:
    """Like WeasyPrint's add_word_spacing: widen text boxes, move everything after them.

    The widths are computed, not measured: Pango adds a character's letter spacing half before and
    half after it, except the outer halves at the edges of its layout (one text box). The new layout
    is only recorded here and shaped when the PDF is drawn, because column balancing lays the same
    lines out many times.
    """
    if isinstance(box, _TEXT):
        box.position_x += x_advance
        if id(box) not in ranges:
            return x_advance
        lo, hi = ranges[id(box)]
        amount = int(spacing * _TO_UNITS) / _TO_UNITS  # what Pango will add, in its units
        at_start, at_end = lo == 0, hi == len(box.text)
        # The halves Pango drops at the box's edges come back as space between boxes, except at
        # the line's own edges.
        before = amount / 2 if at_start and id(box) != first else 0.0
        after = amount / 2 if at_end and id(box) != last else 0.0
        old = box.pango_layout
        box.pango_layout = deferred_layout(
            box.text, (lo, hi, spacing), getattr(old, "squeeze", frozenset()), getattr(old, "max_width", None)
        )
        grown = amount * (units(box.text[lo:hi]) - at_start / 2 - at_end / 2)
        box.position_x += before
        x_advance += before + grown + after
        box.width += grown
        return x_advance
    if isinstance(box, _CONTAINERS):
        box.position_x += x_advance
        previous = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _spread(child, spacing, ranges, first, last, x_advance)
        box.width += x_advance - previous
        return x_advance
    box.translate(x_advance, 0)  # an atomic inline-level box
    return x_advance


# -- punctuation squeezing -------------------------------------------------------------------------


def split_first_line(
    text: str,
    style: Any,
    context: Any,
    max_width: float | None,
    justification_spacing: float,
    is_line_start: bool = True,
    minimum: bool = False,
) -> Any:
    """WeasyPrint's split_first_line, but a paragraph does not end with a lone character, alone or
    with its closing punctuation ("放", "司。", see :func:`lone_rest`):

    1. the rest is pulled back onto the line when setting the line's full-width punctuation
       half-width (``halt``) makes room for it (标点挤压); the rest's own punctuation stays full-width,
       as text extraction boxes a squeezed glyph with its full width (a squeezed full stop at the end
       of the line would seem to stick out of the column);
    2. otherwise the line breaks at its previous break opportunity, so one more character goes to
       the last line, when the justification of the shorter line stays within
       :data:`PUSH_SPACING` (the line stays flush).

    Only the paragraph's last text box (see :func:`iter_line_boxes`) is treated so: the rest of
    an earlier one is not the paragraph's end. Both only accept a line that Pango broke at a legal
    break opportunity (UAX #14, which keeps 避头尾): a pushed break that needed ``overflow-wrap``
    to break inside a word, or that would start a line with closing punctuation, is refused.

    Each split is made once per render (:data:`_SPLITS`): column balancing asks for it again and
    again, and gets a copy of the layout found the first time.
    """
    width = None if max_width is None else round(max_width, WIDTH_DIGITS)
    key = (text, width, justification_spacing, is_line_start, minimum, _AT_END, id(style), id(context))
    known = _SPLITS.get(key)
    if known is None or known[0] is not style or known[1] is not context:
        found = _split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if hasattr(found[0], "layout"):  # a live Pango layout (never from WeasyPrint 70): not copied
            return found
        known = _SPLITS[key] = (style, context, found)  # the references keep the ids from being reused
    layout, *metrics = known[2]
    return (_clone(layout), *metrics)


# The splits of this render by (text, max_width rounded to WIDTH_DIGITS decimals, justification
# spacing, is_line_start, minimum, whether the text ends its paragraph, style, layout context):
# column balancing lays the same paragraphs out again and again at the same column width, and a
# line's split depends on nothing else. The columns of one element differ in width in the last
# bits of their floats (1e-9 px), which must not make different keys (Pango works in 1/1024 px).
# Emptied when the extension is uninstalled.
_SPLITS: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
WIDTH_DIGITS = 5


def _clone(layout: Any) -> Any:
    """A copy of a deactivated layout (plain values only: text, widths, spacing), so that no two
    boxes share one: drawing reactivates a box's layout and may change its text (ellipsis)."""
    clone = object.__new__(type(layout))
    clone.__dict__.update(layout.__dict__)
    return clone


def _split_first_line(
    text: str,
    style: Any,
    context: Any,
    max_width: float | None,
    justification_spacing: float,
    is_line_start: bool,
    minimum: bool,
) -> Any:
    result = _ORIGINAL["split_first_line"](
        text, style, context, max_width, justification_spacing, is_line_start=is_line_start, minimum=minimum
    )
    resume = result[2]
    if not _AT_END or resume is None or max_width is None or minimum or style["text_align_all"] != "justify":
        return result
    encoded = text.encode()
    rest = encoded[resume:].decode().rstrip(" ")
    if not lone_rest(rest):
        return result
    head = encoded[:resume].decode()
    squeeze = frozenset(i for i, char in enumerate(head) if char in SQUEEZABLE)
    found = _pull_back(text, squeeze, style, max_width)
    if found is not None:
        return found
    found = _push(text, style, context, max_width, resume, result[3])
    if found is not None:
        return found
    return result


# Closing punctuation that may follow a lone last character on its line ("司。", "司”。").
CLOSING = "，。、；：？！”’）》〉」』】〕…—·.,;:?!)]}\"'"
# Push one character onto the last line only if the shorter line is then justified with at most this
# much (em of the font) between two characters.
PUSH_SPACING = 0.3


def lone_rest(rest: str) -> bool:
    """Whether ``rest`` (the text after a line break) would make a lone last line: one character,
    alone or followed only by closing punctuation, or closing punctuation only."""
    if not rest or " " in rest or len(rest) > 4:
        return False
    return all(char in CLOSING for char in rest[1:])


def _fits_whole(text: str, style: Any, squeeze: frozenset[int], max_width: float) -> Any:
    from weasyprint.text.ffi import TO_UNITS, pango
    from weasyprint.text.line_break import first_line_metrics, line_size

    layout = spaced_layout(style, squeeze, max_width)
    pango.pango_layout_set_width(layout.layout, int(max(0, max_width) * TO_UNITS))
    layout.set_text(text.rstrip(" "))
    first_line, index = layout.get_first_line()
    if index is not None or line_size(first_line, style)[0] > max_width:
        return None
    space_collapse = style["white_space"] in ("normal", "nowrap", "pre-line")
    return first_line_metrics(first_line, text.rstrip(" "), layout, None, space_collapse, style)


def _pull_back(text: str, squeeze: frozenset[int], style: Any, max_width: float) -> Any:
    # Only the line's own punctuation: the rest stays full-width, so that the drawn line ends where
    # its last glyph's box ends (text extraction boxes a squeezed glyph with its full width).
    if not squeeze:
        return None
    return _fits_whole(text, style, squeeze, max_width)


def _push(text: str, style: Any, context: Any, max_width: float, first_resume: int, width: float) -> Any:
    """The line broken at its previous break opportunity (its natural break: ``first_resume``,
    ``width``), if that is a legal break and the shorter line stays flush; else None."""
    font_size = style["font_size"]
    shorter = _ORIGINAL["split_first_line"](
        text, style, context, width - 0.01 * font_size, 0, is_line_start=False, minimum=False
    )
    resume = shorter[2]
    if resume is None or resume >= first_resume or shorter[3] > width - 0.01 * font_size:
        return None
    encoded = text.encode()
    line = encoded[: shorter[1]].decode().rstrip(" ")
    rest = encoded[resume:].decode()
    if not line or not rest or rest[0] in LINE_START or lone_rest(rest.rstrip(" ")):
        return None
    gaps = units(line) - 1
    limit = SAFE_SPACING if EXTEND.search(line) else PUSH_SPACING  # as justify_line will allow
    if not is_cjk(line) or gaps <= 0 or (max_width - shorter[3]) / gaps > limit * font_size:
        return None
    return shorter


# Characters that may not start a line (避头尾), checked again on every pushed break.
LINE_START = "，。、；：？！”’）》〉」』】〕"


# -- the paragraph's last text box ------------------------------------------------------------------

PARAGRAPH_END = "exporter_paragraph_end"  # attribute of a block's last text box (kept by Box.copy)
_AT_END = False  # whether split_first_line is splitting a paragraph's last text box


def _last_text(box: Any) -> Any:
    while isinstance(box, _CONTAINERS):
        children = [child for child in box.children if child.is_in_normal_flow()]
        if not children:
            return None
        box = children[-1]
    return box if isinstance(box, _TEXT) else None


def iter_line_boxes(context: Any, box: Any, *args: Any, **kwargs: Any) -> Any:
    """WeasyPrint's iter_line_boxes (the lines of a block's inline content, ``box`` its LineBox),
    with the block's last text box marked: only there is the rest of a text the paragraph's end."""
    last = _last_text(box)
    if last is not None:
        setattr(last, PARAGRAPH_END, True)
    return _ORIGINAL["iter_line_boxes"](context, box, *args, **kwargs)


def split_text_box(context: Any, box: Any, available_width: Any, skip: Any, is_line_start: bool = True) -> Any:
    """WeasyPrint's split_text_box, telling split_first_line whether ``box`` ends its paragraph."""
    global _AT_END
    _AT_END = getattr(box, PARAGRAPH_END, False)
    try:
        return _ORIGINAL["split_text_box"](context, box, available_width, skip, is_line_start)
    finally:
        _AT_END = False


# -- installation ----------------------------------------------------------------------------------

_ORIGINAL: dict[str, Any] = {}


@contextmanager
def installed() -> Iterator[None]:
    """Within: WeasyPrint justifies CJK lines inter-character and squeezes punctuation."""
    global _TEXT, _CONTAINERS, _TO_UNITS
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import block, inline
    from weasyprint.text.ffi import TO_UNITS

    _TEXT, _CONTAINERS, _TO_UNITS = boxes.TextBox, (boxes.LineBox, boxes.InlineBox), TO_UNITS
    if inline.justify_line is justify_line:  # already installed (nested use)
        yield
        return
    check_pins()
    _ORIGINAL["justify_line"] = inline.justify_line
    _ORIGINAL["split_first_line"] = inline.split_first_line
    _ORIGINAL["split_text_box"] = inline.split_text_box
    _ORIGINAL["iter_line_boxes"] = block.iter_line_boxes
    inline.justify_line = justify_line
    inline.split_first_line = split_first_line
    inline.split_text_box = split_text_box
    block.iter_line_boxes = iter_line_boxes
    try:
        yield
    finally:
        inline.justify_line = _ORIGINAL["justify_line"]
        inline.split_first_line = _ORIGINAL["split_first_line"]
        inline.split_text_box = _ORIGINAL["split_text_box"]
        block.iter_line_boxes = _ORIGINAL["iter_line_boxes"]
        _SPLITS.clear()
