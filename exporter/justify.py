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
the paragraph ends one line earlier.

It is installed only around the PDF render (:func:`installed`), by replacing two module globals of
``weasyprint.layout.inline`` (``justify_line``, ``split_first_line``) and restoring them afterwards.
It relies on WeasyPrint internals, so it is pinned: :func:`check_pins` compares the WeasyPrint version
and a hash of the source of every function it replaces or relies on with the values it was written
for, and refuses to run (a :class:`~exporter.errors.RenderError`) when any differs.
"""

from __future__ import annotations

import hashlib
import inspect
import unicodedata
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
    "weasyprint.draw.text.draw_first_line": "1bb8eae6d88e71b1",
}

SPACES = " \u00a0"
# At most this much (in em of the line's smallest font) is added between two characters: looser
# lines stay start-aligned (partly justified), and text extraction starts to see word gaps above it.
MAX_SPACING = 0.33
# Full-width punctuation drawn in one em with a half blank, which ``halt`` sets half-width.
SQUEEZABLE = "，。、；：“”‘’（）《》〈〉「」『』【】〔〕"


def is_cjk(char: str) -> bool:
    """A character that takes inter-character justification: east-asian wide or fullwidth."""
    return unicodedata.east_asian_width(char) in ("W", "F")


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
        return obj
    raise ImportError(dotted)


def source_hash(dotted: str) -> str:
    """The pinned form of a function's source: the first 16 hex digits of its sha256."""
    return hashlib.sha256(inspect.getsource(_resolve(dotted)).encode()).hexdigest()[:16]


def check_pins(pins: dict[str, str] | None = None, version: str = PINNED_VERSION) -> None:
    """Refuse (RenderError) unless WeasyPrint is ``version`` and every pinned source hash matches."""
    import weasyprint

    if weasyprint.__version__ != version:
        raise RenderError(
            f"CJK justification (exporter/justify.py) is written for WeasyPrint {version}, "
            f"found {weasyprint.__version__}: re-read its internals and update the pins"
        )
    changed = []
    for dotted, expected in (PINNED if pins is None else pins).items():
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


# -- Pango layouts with per-character spacing and squeezed punctuation ----------------------------


def _layout_class() -> type:
    from weasyprint.text.ffi import TO_UNITS, ffi, pango
    from weasyprint.text.line_break import Layout

    class SpacedLayout(Layout):  # type: ignore[misc,valid-type]
        """A WeasyPrint layout whose characters at ``spacing`` indexes get that much letter
        spacing (half before, half after; Pango drops the halves at the layout's edges) and whose
        characters at ``squeeze`` indexes are set with the ``halt`` (half-width) feature. Both
        survive deactivate()/reactivate(), which redraws the text for the PDF."""

        def __init__(
            self,
            style: Any,
            spacing: dict[int, float] | None = None,
            squeeze: frozenset[int] = frozenset(),
            max_width: float | None = None,
        ) -> None:
            self.spacing = spacing or {}
            self.squeeze = squeeze
            super().__init__(style, 0, max_width)

        def set_text(self, text: str, justify: bool = False) -> None:
            super().set_text(text, justify)
            if not (self.spacing or self.squeeze) or not self.text:
                return
            attr_list = pango.pango_layout_get_attributes(self.layout)
            if attr_list == ffi.NULL:
                attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
            base = self.style["letter_spacing"]
            base = 0 if base == "normal" else base
            start = 0
            for index, char in enumerate(self.text):
                end = start + len(char.encode())
                if index in self.spacing:
                    attr = pango.pango_attr_letter_spacing_new(int((base + self.spacing[index]) * TO_UNITS))
                    attr.start_index, attr.end_index = start, end
                    pango.pango_attr_list_change(attr_list, attr)
                if index in self.squeeze:
                    attr = pango.pango_attr_font_features_new(b"halt")
                    attr.start_index, attr.end_index = start, end
                    pango.pango_attr_list_insert(attr_list, attr)
                start = end
            pango.pango_layout_set_attributes(self.layout, attr_list)

    return SpacedLayout


# -- justification ---------------------------------------------------------------------------------


def _text_boxes(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        yield box
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                yield from _text_boxes(child)


def _plan(line: Any) -> tuple[list[Any], list[list[bool]], float] | None:
    """The line's text boxes, which of their characters expand, and the line's expansion count
    (in units of the per-character spacing); None when the line has no CJK character."""
    texts = list(_text_boxes(line))
    joined = "".join(box.text for box in texts)
    if not any(is_cjk(char) for char in joined):
        return None
    for box in texts:
        if box.style["word_spacing"] or box.style["direction"] == "rtl":
            return None
    visible = [i for i, char in enumerate(joined) if char not in SPACES and not char.isspace()]
    if not visible:
        return None
    first, last = visible[0], visible[-1]
    flags: list[list[bool]] = []
    count = 0.0
    offset = 0
    for box in texts:
        own = [
            first <= offset + i <= last for i, _char in enumerate(box.text)
        ]
        flags.append(own)
        count += sum(own)
        if own and own[0] and offset == first:
            count -= 0.5  # the line's first character: no spacing before it
        if own and own[-1] and offset + len(own) - 1 == last:
            count -= 0.5  # the line's last character: no spacing after it
        offset += len(box.text)
    return texts, flags, count


def justify_line(context: Any, line: Any, extra_width: float) -> None:
    """Spread ``extra_width`` over the line's CJK characters and spaces (inter-character)."""
    plan = _plan(line)
    if plan is None or plan[2] <= 0:
        _ORIGINAL["justify_line"](context, line, extra_width)
        return
    texts, flags, count = plan
    spacing = min(extra_width / count, MAX_SPACING * min(box.style["font_size"] for box in texts))
    by_id = {id(box): own for box, own in zip(texts, flags, strict=True)}
    first_box, last_box = id(texts[0]), id(texts[-1])
    _spread(line, spacing, by_id, first_box, last_box, 0.0)


def _spread(box: Any, spacing: float, flags: dict[int, list[bool]], first: int, last: int, x_advance: float) -> float:
    """Like WeasyPrint's add_word_spacing: widen text boxes, move everything after them."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.line_break import line_size

    if isinstance(box, boxes.TextBox):
        own = flags.get(id(box), [])
        box.position_x += x_advance
        if not any(own):
            return x_advance
        # Pango drops the outer halves of the spacing at the layout's edges: put them back as
        # space between boxes, except at the line's own edges.
        before = spacing / 2 if own[0] and id(box) != first else 0.0
        after = spacing / 2 if own[-1] and id(box) != last else 0.0
        squeeze = getattr(box.pango_layout, "squeeze", frozenset())
        layout = _layout_class()(
            box.style, {i: spacing for i, flag in enumerate(own) if flag}, squeeze, box.pango_layout.max_width
        )
        layout.set_text(box.text)
        first_line, _ = layout.get_first_line()
        width, _ = line_size(first_line, box.style)
        layout.deactivate()
        box.pango_layout = layout
        box.position_x += before
        x_advance += before + (width - box.width) + after
        box.width = width
        return x_advance
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        previous = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _spread(child, spacing, flags, first, last, x_advance)
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
    """WeasyPrint's split_first_line, but a lone last character is pulled back onto the line when
    setting the line's full-width punctuation half-width (``halt``) makes room for it."""
    result = _ORIGINAL["split_first_line"](
        text, style, context, max_width, justification_spacing, is_line_start=is_line_start, minimum=minimum
    )
    resume = result[2]
    if resume is None or max_width is None or minimum or style["text_align_all"] != "justify":
        return result
    encoded = text.encode()
    rest = encoded[resume:].decode().rstrip(" ")
    if len(rest) != 1 or not is_cjk(rest):
        return result
    head = encoded[:resume].decode()
    squeeze = frozenset(i for i, char in enumerate(head) if char in SQUEEZABLE)
    if not squeeze:
        return result
    from weasyprint.text.ffi import TO_UNITS, pango
    from weasyprint.text.line_break import first_line_metrics, line_size

    layout = _layout_class()(style, None, squeeze, max_width)
    pango.pango_layout_set_width(layout.layout, int(max(0, max_width) * TO_UNITS))
    layout.set_text(text.rstrip(" "))
    first_line, index = layout.get_first_line()
    if index is not None or line_size(first_line, style)[0] > max_width:
        return result
    space_collapse = style["white_space"] in ("normal", "nowrap", "pre-line")
    return first_line_metrics(first_line, text.rstrip(" "), layout, None, space_collapse, style)


# -- installation ----------------------------------------------------------------------------------

_ORIGINAL: dict[str, Any] = {}


@contextmanager
def installed() -> Iterator[None]:
    """Within: WeasyPrint justifies CJK lines inter-character and squeezes punctuation."""
    from weasyprint.layout import inline

    check_pins()
    if inline.justify_line is justify_line:  # already installed (nested use)
        yield
        return
    _ORIGINAL["justify_line"] = inline.justify_line
    _ORIGINAL["split_first_line"] = inline.split_first_line
    inline.justify_line = justify_line
    inline.split_first_line = split_first_line
    try:
        yield
    finally:
        inline.justify_line = _ORIGINAL["justify_line"]
        inline.split_first_line = _ORIGINAL["split_first_line"]
