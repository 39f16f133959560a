"""The 数字报 replica, made from the PDF's own layout: geometry, per-版 PDFs, page images, linearising.

Everything here runs in the PDF render (:func:`exporter.render.pdf._render`), on the laid-out
WeasyPrint document, so there is one layout and no second render:

* :func:`geometry`: for every sheet (PDF page) the 版 it belongs to and, for every article on it, the
  rectangles its boxes cover (one per text column fragment, one per head/photo run), in PDF points.
  A sheet belongs to the 版 that starts on it (its running head names it), else to the 版 it continues;
  its image is named after that 版. ``bans`` lists every 版 with content on it (a shared sheet: two).
* :func:`ban_sheets`: the sheets each 版 is on (its per-版 PDF and its view show them);
* :func:`linearize`: qpdf ``--linearize --deterministic-id`` (fast first page; same bytes in, same out);
* :func:`page_images`: each sheet rendered with PDFium (pypdfium2) at ~150 dpi and as a ~300 px
  thumbnail, JPEG with fixed settings (byte-identical for the same PDF; JPEG as the 数字报 sites use:
  its encoder is 15× faster than WebP's for a 150 dpi sheet, for 1.3× the bytes).

The geometry is plain JSON (``issues/<id>/pages/layout.json``); the site renderer makes the 版 views
from it (:func:`exporter.render.site.ban_views`).
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

PT_PER_PX = 0.75  # CSS px → PDF points
READABLE_DPI = 150
THUMB_WIDTH = 300  # px
JPEG = {"quality": 82, "optimize": False, "progressive": False}  # fixed settings: same pixels → same bytes
THUMB_JPEG = {"quality": 80, "optimize": True, "progressive": False}
LAYOUT_FORMAT = 1
QPDF_TIMEOUT = 120.0


# -- geometry --------------------------------------------------------------------------------------


def _rect(box: Any) -> list[float]:
    """A box's border box as [x, y, width, height] in CSS px."""
    return [box.border_box_x(), box.border_box_y(), box.border_width(), box.border_height()]


def _union(a: list[float], b: list[float]) -> list[float]:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return [x0, y0, x1 - x0, y1 - y0]


def _columns(box: Any) -> list[Any] | None:
    """The column boxes of a multi-column container (WeasyPrint 70 lays each column out as a copy of
    the container: same element), else None."""
    children = [c for c in getattr(box, "children", ()) if getattr(c, "element", None) is box.element]
    if children and len(children) == len(getattr(box, "children", ())):
        return children
    return None


def _article_rects(article: Any) -> list[list[float]]:
    """The rectangles an article's boxes cover on one sheet: a text column each, and the runs of its
    other blocks (head, byline, photo, jump line) merged while they stack at the same width."""
    rects: list[list[float]] = []
    run: list[float] | None = None
    for child in getattr(article, "children", ()):
        if not child.is_in_normal_flow() or child.border_height() <= 0:
            continue
        columns = _columns(child)
        if columns is not None:
            if run is not None:
                rects.append(run)
                run = None
            rects += [_rect(c) for c in columns if c.border_height() > 0 and c.children]
            continue
        rect = _rect(child)
        if run is not None and abs(run[0] - rect[0]) < 1 and abs(run[2] - rect[2]) < 1:
            run = _union(run, rect)
        else:
            if run is not None:
                rects.append(run)
            run = rect
    if run is not None:
        rects.append(run)
    return rects


def _walk_articles(box: Any) -> Iterator[Any]:
    """The article boxes below ``box`` (not below another article)."""
    for child in getattr(box, "children", ()):
        element = getattr(child, "element", None)
        if child.element_tag == "article" and element is not None and element.get("id"):
            yield child
        else:
            yield from _walk_articles(child)


def _sections(page_box: Any) -> list[Any]:
    """The 版 sections on a sheet (html > body > section.ban), in order."""
    found = []
    for html in page_box.children:
        for body in getattr(html, "children", ()):
            for section in getattr(body, "children", ()):
                element = section.element
                if section.element_tag == "section" and element is not None and "ban" in str(element.get("class", "")):
                    found.append(section)
    return found


def _starts(section: Any) -> bool:
    first = section.children[0] if section.children else None
    return first is not None and first.element is not None and first.element.get("class") == "ban-start"


def ban_number(section_id: str) -> int:
    return int(section_id.removeprefix("page-"))


def geometry(document: Any) -> dict[str, Any]:
    """The sheets of the laid-out document: size, 版, and each article's rectangles (PDF points)."""
    sheets: list[dict[str, Any]] = []
    previous = 0
    for page in document.pages:
        sections = _sections(page._page_box)
        starting = [s for s in sections if _starts(s)]
        if starting:
            owner = ban_number(starting[0].element.get("id"))
        elif sections:
            owner = ban_number(sections[0].element.get("id"))
        else:  # no 版 on it (a front sheet of masthead and 导读 alone): the 版 before, or the first one after
            owner = previous
        previous = owner
        areas: dict[str, list[list[float]]] = {}
        for article in _walk_articles(page._page_box):
            rects = _article_rects(article)
            if rects:
                areas.setdefault(article.element.get("id"), []).extend(rects)
        sheets.append(
            {
                "ban": owner,
                "bans": sorted({owner, *(ban_number(s.element.get("id")) for s in sections)}),
                "width": _pt(page.width),
                "height": _pt(page.height),
                "areas": [
                    {"slug": slug, "rects": [[_pt(v) for v in rect] for rect in rects]} for slug, rects in areas.items()
                ],
            }
        )
    first = next((sheet["ban"] for sheet in sheets if sheet["ban"]), 0)
    for sheet in sheets:
        if not sheet["ban"]:
            sheet["ban"], sheet["bans"] = first, sorted({first, *sheet["bans"]} - {0})
    return {"format": LAYOUT_FORMAT, "sheets": sheets}


def _pt(px: float) -> float:
    return round(px * PT_PER_PX, 2)


def ban_sheets(layout: dict[str, Any]) -> dict[int, list[int]]:
    """版 number → the indexes (0-based) of the sheets it is on, in order: a shared sheet (the end of a
    long 版, then a short 版 starting) is in both 版's PDFs and views."""
    found: dict[int, list[int]] = {}
    for index, sheet in enumerate(layout["sheets"]):
        for ban in sheet["bans"]:
            found.setdefault(int(ban), []).append(index)
    return dict(sorted(found.items()))


def own_pages(pages: list[Any]) -> list[Any]:
    """Copies of WeasyPrint pages for a document of their own (a 版's PDF): links to anchors on other
    sheets (导读 lines, jump lines to another 版) are dropped, as they lead nowhere there."""
    import copy

    anchors = {name for page in pages for name in page.anchors}
    copies = []
    for page in pages:
        own = copy.copy(page)
        own.links = [link for link in page.links if link[0] != "internal" or link[1] in anchors]
        copies.append(own)
    return copies


# -- sharing the work with a forked helper ---------------------------------------------------------


@dataclass
class Part:
    """What a worker made: 版 PDFs (linearised), sheet images by sheet index, WeasyPrint's complaints."""

    bans: dict[int, bytes] = field(default_factory=dict)
    images: dict[int, tuple[bytes, bytes, tuple[int, int]]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    error: str = ""

    def merge(self, other: Part) -> Part:
        return Part({**self.bans, **other.bans}, {**self.images, **other.images}, self.messages + other.messages,
                    self.error or other.error)  # fmt: skip


def halves(layout: dict[str, Any], head_start: float = 0.0) -> list[list[int]]:
    """The 版 in two lists of about equal work (a document each, and its sheets) for two workers, the
    first of which has ``head_start`` units of other work (a unit: a sheet's PDF and images)."""
    work = {ban: 1.0 + len(sheets) for ban, sheets in ban_sheets(layout).items()}
    bins: list[list[int]] = [[], []]
    loads = [head_start, 0.0]
    for ban in sorted(work, key=lambda b: (-work[b], b)):
        lighter = 0 if loads[0] <= loads[1] else 1
        bins[lighter].append(ban)
        loads[lighter] += work[ban]
    return [sorted(b) for b in bins]


@dataclass
class Forked:
    pid: int
    reader: int


def fork(work: Callable[[], Part]) -> Forked:
    """Run ``work()`` in a forked process (the render child is a daemon: multiprocessing cannot)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper: report, and leave without running the parent's clean-up
        code = 0
        try:
            os.close(reader)
            try:
                result = work()
            except BaseException as exc:
                result = Part(error=f"PDF helper failed: {type(exc).__name__}: {exc}")
            with os.fdopen(writer, "wb") as out:
                pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    return Forked(pid, reader)


def join(helper: Forked) -> Part:
    """What the helper made (an error Part when it died)."""
    with os.fdopen(helper.reader, "rb") as inp:
        data = inp.read()
    os.waitpid(helper.pid, 0)
    try:
        result: Part = pickle.loads(data)  # noqa: S301 - our own forked process wrote it
    except Exception:
        return Part(error="the PDF helper process died")
    return result


def cancel(helper: Forked) -> None:
    """Stop a helper whose work is no longer wanted."""
    with contextlib.suppress(OSError):
        os.kill(helper.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(helper.pid, 0)
    with contextlib.suppress(OSError):
        os.close(helper.reader)


# -- linearising -----------------------------------------------------------------------------------


def linearize(pdf: bytes) -> bytes:
    """``pdf`` linearised by qpdf, with an identifier from its content (same bytes in, same out)."""
    with tempfile.TemporaryDirectory(prefix="exporter-qpdf-") as folder:
        source, target = os.path.join(folder, "in.pdf"), os.path.join(folder, "out.pdf")
        with open(source, "wb") as f:
            f.write(pdf)
        try:
            done = subprocess.run(
                ["qpdf", "--linearize", "--deterministic-id", "--", source, target],
                capture_output=True,
                timeout=QPDF_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise RuntimeError("qpdf is not installed (apt-get install qpdf): it linearises the PDFs") from None
        if done.returncode not in (0, 3):  # 3: warnings, file written
            raise RuntimeError(f"qpdf could not linearise the PDF: {done.stderr.decode(errors='replace').strip()}")
        with open(target, "rb") as f:
            return f.read()


# -- page images -----------------------------------------------------------------------------------


def image_names(layout: dict[str, Any]) -> list[tuple[int, int]]:
    """(版 number, k) of each sheet, k counting the sheets of that 版 from 1."""
    names = []
    seen: dict[int, int] = {}
    for sheet in layout["sheets"]:
        ban = int(sheet["ban"])
        seen[ban] = seen.get(ban, 0) + 1
        names.append((ban, seen[ban]))
    return names


def page_images(pdf: bytes, indexes: list[int] | None = None) -> list[tuple[bytes, bytes, tuple[int, int]]]:
    """Pages of ``pdf`` (every one, or those at ``indexes``, 0-based): (readable JPEG at ~150 dpi,
    thumbnail JPEG 300 px wide, the readable one's size)."""
    import pypdfium2
    from PIL import Image

    images = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)) if indexes is None else indexes:
            page = document[index]
            try:
                bitmap = page.render(scale=READABLE_DPI / 72, may_draw_forms=False)
                picture = bitmap.to_pil().convert("RGB")
            finally:
                page.close()
            readable = io.BytesIO()
            picture.save(readable, "JPEG", **JPEG)
            height = round(THUMB_WIDTH * picture.height / picture.width)
            thumb = io.BytesIO()
            small = picture.reduce(max(1, picture.width // (THUMB_WIDTH * 2)))  # a box filter first: 4× faster
            small.resize((THUMB_WIDTH, height), Image.Resampling.LANCZOS).save(thumb, "JPEG", **THUMB_JPEG)
            images.append((readable.getvalue(), thumb.getvalue(), picture.size))
    finally:
        document.close()
    return images
