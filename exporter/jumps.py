"""Jump lines that name the sheet where an article goes on (转版), for WeasyPrint 70.

A 版 is one A3 sheet. What does not fit runs on at once on the next sheet: a continuation sheet of its
own, headed "第1版 · 证券（续）", or, when the next 版 is short, that 版's sheet: the continued text is
set at its top and the short 版's own articles under it, as printed papers do (see
``exporter.render.pdf.sharing``). The jump line at the foot of a sheet is the CSS named string
``jumpto``, set by an article's head ("（转第1版续）") and cleared at its end; which of the two sheets
follows, only the layout knows.

WeasyPrint 70 collects the named strings of every page before it lays out any margin box
(``layout_document``), so when a margin box asks for ``string(jumpto, …)`` the next page's assignments
are known. :func:`installed` wraps ``LayoutContext.get_string_set_for``: on a sheet whose jump line is
set and whose next sheet has a 版 starting on it (that 版's ``banno`` string, "第2版", is assigned
there), the jump line names that 版: "（转第2版）". And ``string(sharedfrom)``, a name no box assigns,
is on a shared sheet what its top holds, "第1版续" (the 版 a sheet starts in, when another 版 starts
on it later; the name jump lines give continuation sheets), else empty: the running head names the
sheet's own 版, this the one whose text is above it.

Pinned like :mod:`exporter.justify`: :data:`PINNED` holds the hashes of the WeasyPrint code it wraps
or relies on, checked before every use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from exporter import justify, texts

JUMP = "jumpto"  # the named string of the jump line at a sheet's foot
NUMBER = "banno"  # the named string a 版's first box assigns: its ordinal, "第2版"
SHARED = "sharedfrom"  # computed here, never assigned: what a shared sheet begins with

PINNED: dict[str, str] = {
    "weasyprint.layout.LayoutContext.get_string_set_for": "192682fffbc08fa2",
    "weasyprint.layout.LayoutContext.get_string_or_element_for": "f40ec28ae3470c6e",
    "weasyprint.layout.layout_document": "a5cbf437e99caf72",
}

_ORIGINAL: dict[str, Any] = {}


def get_string_set_for(self: Any, page: Any, name: str, keyword: str = "first") -> tuple[str, ...]:
    """WeasyPrint's ``string(name, keyword)``; a set jump line names the 版 that starts next page."""
    original = _ORIGINAL["get_string_set_for"]
    if name == SHARED:
        first, start = original(self, page, NUMBER, "first"), original(self, page, NUMBER, "start")
        return (texts.continued(start[0]),) if first and start and first != start else ()
    value: tuple[str, ...] = original(self, page, name, keyword)
    if name != JUMP or not any(value):
        return value
    starting = self.string_set[NUMBER].get(self.current_page + 1)
    if not starting:
        return value
    return (texts.jump_to(starting[0]),)


@contextmanager
def installed() -> Iterator[None]:
    """Within: jump lines name the 版 whose sheet the text goes on to."""
    from weasyprint.layout import LayoutContext

    if LayoutContext.get_string_set_for is get_string_set_for:  # nested use
        yield
        return
    justify.check_pins(PINNED)
    _ORIGINAL["get_string_set_for"] = LayoutContext.get_string_set_for
    LayoutContext.get_string_set_for = get_string_set_for
    try:
        yield
    finally:
        LayoutContext.get_string_set_for = _ORIGINAL.pop("get_string_set_for")
