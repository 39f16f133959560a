"""The print-style PDF of an issue (WeasyPrint): ``issues/<id>/<id>.pdf``.

One HTML document per issue from ``templates/pdf/issue.html`` (articles through the shared macros),
laid out on A3 pages with a masthead, 本期导读, running heads showing the print page (第N版) and an
outline 版 → articles. Strict by design, in every build:

* any WeasyPrint log record at WARNING or above (a missing glyph, an unreadable image, bad CSS, the
  fontTools subsetting fallback) is a :class:`~exporter.errors.RenderError`;
* every font in the PDF must be one of the named Noto CJK SC faces or of the rare-character chain
  (BabelStone Han, HanaMinB: see :mod:`exporter.fonts`): any other face (DejaVu...) is an error
  naming the article and the character it was needed for;
* resources load only through :func:`exporter.fetch.issue_fetcher` (issue folder and ``data:``);
* the layout is checked: no empty page, nothing placed off the page;
* the render runs in a forked child process with a time limit, so a hang is killed;
* body text is justified inter-character, with punctuation squeezing (:mod:`exporter.justify`, an
  extension of WeasyPrint 70's line justification installed only around the render, pinned to it).

The same input gives the same bytes: dates come from the issue, the file identifier from the HTML.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from exporter import fonts, paths, texts
from exporter.errors import RenderError
from exporter.model import Article, Highlight, Image, Issue, Page, Publication
from exporter.render import Base, Job, Output

DEFAULT_TIMEOUT = 300.0  # seconds for one issue; options["pdf_timeout"] overrides it
LOGGERS = ("weasyprint", "weasyprint.progress")
WRITE_OPTIONS: dict[str, Any] = {
    "pdf_variant": "pdf/ua-1",  # tagged PDF (structure tree, /Lang, XMP metadata); implies PDF 1.7
    "presentational_hints": False,  # HTML attributes must not style anything
    "custom_metadata": False,
}
EPSILON = 0.5  # CSS px of tolerance in the overflow check


@dataclass(frozen=True)
class Slot:
    """How an article sits on its page: headline size, text columns and its share of the row."""

    size: str  # lead | normal | short
    columns: int
    share: int = 1  # short articles sit side by side: 1, 2 or 3 in a row
    span: int = 5  # its width in fifths of the page's type area (one text column each)


@dataclass(frozen=True)
class Block:
    """A full-width article, or a row of short articles side by side."""

    articles: tuple[Article, ...]
    slots: tuple[Slot, ...]

    @property
    def row(self) -> bool:
        return len(self.articles) > 1


@dataclass
class Outcome:
    """What a render returns across the process boundary."""

    pdf: bytes = b""
    pages: int = 0
    font_families: list[str] = field(default_factory=list)
    error: str = ""
    layout: dict[str, Any] = field(default_factory=dict)  # exporter.replica.geometry (JSON-able)
    bans: dict[int, bytes] = field(default_factory=dict)  # 版 number → its own PDF (its sheets)
    images: list[tuple[bytes, bytes, tuple[int, int]]] = field(default_factory=list)  # per sheet, see replica


Finish = Callable[..., list[Output]]  # finish(cancel: bool = False) -> the records of the files written
LABEL = "PDF 版"


class PdfRenderer(Base):
    name = "pdf"

    def fingerprint(self) -> str:
        """The font files (path, index, size): replacing a font re-renders every PDF."""
        return fonts.fingerprint()

    def render_issue(self, job: Job) -> list[Output]:
        return self.start(job)()

    def promises(self, job: Job) -> list[Output]:
        """The records :meth:`start`'s finish() writes that pages link: the PDF, and with the replica
        each 版's PDF and view (one per 版, whatever the layout)."""
        issue = job.issue
        if issue is None:
            return []
        promised = [job.output("download", LABEL, issue.pdf_path)]
        if job.options.get("replica", True):
            for page in issue.pages:
                promised.append(job.output("asset", ban_label(page), paths.ban_pdf(issue.id, page.number)))
                if "site" in job.formats:
                    promised.append(job.output("page", page.heading, paths.ban_view(issue.id, page.number)))
        return promised

    def start(self, job: Job) -> Finish:
        """Begin the render in a child process; the returned function waits for it and writes the PDF.

        The pipeline starts this first and renders the other formats meanwhile, on the other core.
        ``finish(cancel=True)`` kills the render instead (another format of the issue failed).
        """
        issue = job.issue
        if issue is None:
            return lambda cancel=False: []
        source = job.source(issue)
        html = issue_html(job, issue)
        timeout = float(job.options.get("pdf_timeout", DEFAULT_TIMEOUT))  # type: ignore[arg-type]
        replica = bool(job.options.get("replica", True))
        if not job.options.get("pdf_isolate", True):
            running = None
        else:
            running = _start_child(html, source, identifier(html), replica)

        def finish(cancel: bool = False) -> list[Output]:
            if running is None:
                if cancel:
                    return []
                outcome = _render(html, source, identifier(html), replica)
            else:
                outcome = _wait_child(running, timeout, cancel)
                if cancel:
                    return []
            try:
                if outcome.error:
                    raise RenderError(outcome.error)
            except RenderError as exc:
                culprit = glyph_report(issue) if ".notdef" in str(exc) else ""
                if culprit:
                    raise RenderError(f"{culprit} ({exc})") from None
                raise
            check_outcome(outcome, issue)
            written = [job.write(issue.pdf_path, outcome.pdf, "download", LABEL)]
            if replica:
                written += write_replica(job, issue, outcome)
            return written

        return finish


# -- HTML -----------------------------------------------------------------------------------------


def css_string(text: str) -> Markup:
    """A CSS string literal, safe inside a <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return Markup(f'"{escaped}"')  # noqa: S704  (escaped above for CSS; '<' cannot close <style>)


SHORT = 500  # characters: an article below this shares a row with its short neighbours
LEAD = 600  # characters: the first article of a page gets the big headline from this length
ROW = 3  # short articles per row at most
SPANS = 5  # text columns across the page; a row shares them out
HEAD_WEIGHT = 40  # characters a short article's headline, byline and gaps weigh in sharing a row
MEDIUM = 1200  # characters: a lone short article shares a row with a neighbour up to this long


def spans(weights: list[int], total: int = SPANS) -> list[int]:
    """Share ``total`` columns out in proportion to ``weights`` (each gets one at least).

    Side by side articles of a row then run about equally deep, so the row leaves no hole under the
    shorter ones. Largest remainder; ties go to the earlier article, so the result is deterministic.
    At most ``total`` weights.
    """
    whole = sum(weights) or 1
    exact = [w * total / whole for w in weights]
    given = [max(1, int(e)) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    for i in order[: max(0, total - sum(given))]:
        given[i] += 1
    while sum(given) > total:  # the minimum of one column each overdrew: the widest gives back
        widest = max(range(len(given)), key=lambda i: (given[i], -i))
        given[widest] -= 1
    return given


def layout(page: Page) -> list[Block]:
    """The blocks of a page (版): long articles full width in five columns, short ones in rows.

    A row's columns are shared out by length (:func:`spans`), one text column per fifth of the width,
    so short articles side by side end at about the same depth.
    """
    blocks: list[Block] = []
    run: list[Article] = []

    def flush() -> None:
        while run:
            chunk, run[:] = run[:ROW], run[ROW:]
            share = len(chunk)
            widths = spans([len(a.text) + HEAD_WEIGHT for a in chunk])
            blocks.append(Block(tuple(chunk), tuple(Slot("short", width, share, width) for width in widths)))

    for i, article in enumerate(page.articles):
        length = len(article.text)
        if length < SHORT and not article.images:
            run.append(article)
            continue
        flush()
        size = "lead" if i == 0 and length >= LEAD else "normal"
        blocks.append(Block((article,), (Slot(size, SPANS),)))
    flush()
    return pair_lone_shorts(blocks)


def pair_lone_shorts(blocks: list[Block]) -> list[Block]:
    """A short article alone across the page would run five columns of two or three lines: it shares
    a row with the next (else the previous) full-width article when that one is of medium length and
    has no photo, each taking columns by length. The order of the articles stays as it is."""

    def medium(block: Block) -> bool:
        if block.row or block.slots[0].size != "normal":
            return False
        article = block.articles[0]
        return len(article.text) <= MEDIUM and not article.images

    out = list(blocks)
    i = 0
    while i < len(out):
        block = out[i]
        lone = block.slots[0].size == "short" and len(block.articles) == 1
        if lone:
            for j in (i + 1, i - 1):
                if 0 <= j < len(out) and medium(out[j]):
                    first, second = sorted((i, j))
                    pair = (out[first].articles[0], out[second].articles[0])
                    widths = spans([len(a.text) + HEAD_WEIGHT for a in pair])
                    sizes = ["short" if k == i else "normal" for k in (first, second)]
                    slots = tuple(Slot(size, width, 2, width) for size, width in zip(sizes, widths, strict=True))
                    out[first : second + 1] = [Block(pair, slots)]
                    i = first
                    break
        i += 1
    return out


# How much of an A3 sheet a 版 fills, estimated from its text (measured on the corpus and seed issues:
# 4,330-4,730 characters of body text fill a sheet, whatever the article lengths).
CHARS_PER_SHEET = 4500
ARTICLE_CHARS = 60  # a headline, byline and rule weigh about this many characters
PHOTO_SHEET = 0.2  # a photo with its caption: at most 95 mm deep of the 384 mm type area
MASTHEAD_SHEET = 0.2  # the masthead, 导读 and coverage line on the front sheet
SHARE_AT_MOST = 0.9  # a 版 estimated to fill more of a sheet never shares one
SHARE_AFTER = 1.25  # ... and shares only with a 版 estimated this long, which surely has run on


def fill(page: Page, front: bool = False) -> float:
    """The estimated share of a sheet the 版 ``page`` fills (1.5 = one sheet and a half)."""
    chars = sum(len(a.text) + ARTICLE_CHARS for a in page.articles)
    photos = sum(len(a.images) for a in page.articles)
    return chars / CHARS_PER_SHEET + photos * PHOTO_SHEET + (MASTHEAD_SHEET if front else 0.0)


def sharing(issue: Issue) -> set[int]:
    """The 版 whose articles may be set on the last sheet of the 版 before them (转版).

    A short 版 after a long one: the long 版 runs on over sheets of its own, and its last sheet, often
    half empty, also takes the short 版's articles, under the continued text and a rule, when they fit
    there whole (``break-inside: avoid``: else they start a sheet of their own, as every other 版). The
    sheet's running head names the short 版, which starts there; the jump line on the sheet before
    names it too (:mod:`exporter.jumps`). The estimates only choose the candidates: the layout decides,
    and a 版 that would start on another 版's first sheet (:func:`crowded_starts`) is set again without
    sharing.
    """
    shared: set[int] = set()
    for i, (before, page) in enumerate(itertools.pairwise(issue.pages)):
        if before.number in shared:
            continue
        if fill(before, front=i == 0) >= SHARE_AFTER and fill(page) <= SHARE_AT_MOST:
            shared.add(page.number)
    return shared


def continuation_label(number: int) -> str:
    """第1版续: how jump lines name the continuation sheet(s) of 版 ``number``.

    A 版 is one sheet; what does not fit runs on at once on the next sheet(s), headed
    "第1版 · 要闻（续）". The running head says which 版 a sheet continues; "（转第1版续）" at the
    foot of a sheet sends the reader to the next one, "（接第1版）" at its head names the 版 the
    article comes from.
    """
    return texts.continued(texts.page_ordinal(number))


def keywords(pub: Publication, issue: Issue) -> list[str]:
    words = [pub.title, *(p.name for p in issue.pages if p.name), *(t for a in issue.articles for t in a.tags)]
    return list(dict.fromkeys(w.replace(",", " ") for w in words))


def issue_html(job: Job, issue: Issue) -> str:
    pub = job.publication
    css = (job.templates_dir / "pdf" / "pdf.css").read_text("utf-8")

    def img_src(image: Image) -> str:
        return image.url_path  # relative to the issue folder, the base URL; the fetcher decodes it

    def page_href(n: int) -> str:
        return f"#page-{n}" if issue.carries(n) else ""

    def highlight_href(h: Highlight) -> str:
        if h.article:
            return f"#{h.article}"
        return page_href(h.page)

    uncarried = sorted({h.page for h in issue.highlights if not issue.carries(h.page)})
    footer = "  ".join(
        part
        for part in (
            f"{pub.website_name} {pub.website}".strip() if pub.website else "",
            f"微信公众号：{pub.wechat}" if pub.wechat else "",
            pub.copyright,
        )
        if part
    )
    description = f"{pub.title} {issue.title_text}" + (
        f"。{issue.sample_notice.removesuffix('。')}" if issue.sample else ""
    )
    if issue.highlights:
        description += "。" + texts.highlights_line(issue, page=False, print_only=False)
    return job.templates.get_template("pdf/issue.html").render(
        pub=pub,
        issue=issue,
        css=Markup(css.replace("</", "<\\/")),  # noqa: S704  (our own stylesheet; '</' cannot close <style>)
        css_paper=css_string(pub.title),
        css_date=css_string(f"{issue.date_text} {issue.weekday}  {issue.numbers_text}"),
        css_footer=css_string(footer),
        front_is_page_one=issue.pages[0].number == 1,
        description=description,
        keywords=keywords(pub, issue),
        layouts={page.number: layout(page) for page in issue.pages},
        jump_to={p.number: css_string(texts.jump_to(continuation_label(p.number))) for p in issue.pages},
        jump_from={p.number: css_string(texts.jump_from(p.number)) for p in issue.pages},
        sharing=sharing(issue),
        uncarried=[texts.page_code(n) for n in uncarried],
        img_src=img_src,
        page_href=page_href,
        highlight_href=highlight_href,
    )


def identifier(html: str) -> bytes:
    """The PDF file identifier: a hash of the document, so equal input gives equal bytes."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")


def ban_label(page: Page) -> str:
    """How the issue page and the 版 views offer a 版's PDF: "第1版 PDF"."""
    return f"{page.ordinal} PDF"


def write_replica(job: Job, issue: Issue, outcome: Outcome) -> list[Output]:
    """Write the 数字报 replica of a rendered issue: each 版's PDF, the sheet images, the layout, and
    (with the site format) the 版 views, from the outcome of the render."""
    from exporter import replica as rp
    from exporter.render.site import ban_views

    written: list[Output] = []
    pages = {page.number: page for page in issue.pages}
    for ban, data in sorted(outcome.bans.items()):
        label = ban_label(pages[ban]) if ban in pages else ""
        written.append(job.write(paths.ban_pdf(issue.id, ban), data, "asset", label))
    layout = dict(outcome.layout)
    sheets = []
    for sheet, (ban, k), (readable, thumb, size) in zip(
        layout["sheets"], rp.image_names(layout), outcome.images, strict=True
    ):
        image, small = paths.ban_image(issue.id, ban, k), paths.ban_image(issue.id, ban, k, thumb=True)
        written.append(job.write(image, readable, "asset", ""))
        written.append(job.write(small, thumb, "asset", ""))
        sheets.append(dict(sheet, k=k, image=image.rsplit("/", 1)[1], thumb=small.rsplit("/", 1)[1],
                           pixels=list(size)))  # fmt: skip
    layout["sheets"] = sheets
    text = json.dumps(layout, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    written.append(job.write(paths.ban_layout(issue.id), text, "asset", ""))
    if "site" in job.formats:
        written += ban_views(job, issue, layout)
    return written


# -- rendering ------------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) in self.seen:  # attached to both loggers: a propagated record arrives twice
            return
        self.seen.add(id(record))
        try:
            self.messages.append(f"{record.levelname}: {record.getMessage()}")
        except Exception:  # a broken format string must still fail the build
            self.messages.append(f"{record.levelname}: {record.msg!r}")


@contextmanager
def capture_weasyprint_logs() -> Iterator[list[str]]:
    """Collect WeasyPrint's WARNING and ERROR records (both of its loggers) while the block runs."""
    handler = _Collect()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        if logger.level == logging.NOTSET or logger.level > logging.WARNING:
            logger.setLevel(logging.WARNING)
        logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


def render_pdf(
    html: str,
    base_dir: Path,
    *,
    identifier: bytes = b"",
    timeout: float = DEFAULT_TIMEOUT,
    isolate: bool = True,
) -> Outcome:
    """Render ``html`` (resources relative to ``base_dir``) to PDF bytes, strictly.

    With ``isolate`` the work runs in a forked child that is killed after ``timeout`` seconds.
    Raises RenderError for a refused resource, a WeasyPrint warning, a bad layout or a timeout.
    """
    if not isolate:
        outcome = _render(html, base_dir, identifier)
    else:
        outcome = _render_in_child(html, base_dir, identifier, timeout)
    if outcome.error:
        raise RenderError(outcome.error)
    return outcome


@dataclass
class _Running:
    """A render going on in a forked child."""

    child: Any
    receiver: Any
    started: float


def _render_in_child(html: str, base_dir: Path, ident: bytes, timeout: float) -> Outcome:
    return _wait_child(_start_child(html, base_dir, ident), timeout)


def _start_child(html: str, base_dir: Path, ident: bytes, replica: bool = False) -> _Running:
    import weasyprint  # noqa: F401  (imported once in the parent: every forked child inherits it)

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(sender, html, base_dir, ident, os.getpid(), replica), daemon=True)
    started = time.monotonic()
    child.start()
    sender.close()
    return _Running(child, receiver, started)


def _wait_child(running: _Running, timeout: float, cancel: bool = False) -> Outcome:
    child, receiver, started = running.child, running.receiver, running.started
    if cancel:
        child.kill()
        child.join(5)
        receiver.close()
        return Outcome(error="cancelled")
    remaining = max(0.0, timeout - (time.monotonic() - started))
    try:
        if not receiver.poll(remaining):
            raise RenderError(f"PDF render did not finish within {timeout:g} s; the render process was killed")
        try:
            outcome: Outcome = receiver.recv()
        except EOFError:
            child.join(5)
            raise RenderError(f"the PDF render process died (exit code {child.exitcode})") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(max(1.0, timeout - (time.monotonic() - started)))
    return outcome


def _child(conn: Any, html: str, base_dir: Path, ident: bytes, parent: int, replica: bool = False) -> None:
    # The parent's signal handlers (a service's graceful SIGTERM) are not ours; and when the parent
    # dies (even by SIGKILL) the render dies with it instead of running on as an orphan.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # The parent's objects are shared copy-on-write: a collection walking them would copy their pages
    # (all of the parent's heap, large after a long build). Only the render's own objects are collected.
    gc.freeze()
    _die_with_parent(parent)
    try:
        outcome = _render(html, base_dir, ident, replica)
    except BaseException as exc:  # report everything; the parent raises RenderError
        outcome = Outcome(error=f"PDF render failed: {type(exc).__name__}: {exc}")
    conn.send(outcome)
    conn.close()


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _render(html: str, base_dir: Path, ident: bytes, replica: bool = False) -> Outcome:
    """The render itself (in whichever process): HTML → checked layout → PDF bytes, linearised.

    With ``replica``, also from the same layout: the geometry of the articles, one PDF per 版 and the
    sheet images (:mod:`exporter.replica`).
    """
    import weasyprint

    from exporter import jumps, justify
    from exporter import replica as rp
    from exporter.fetch import BASE_URL, issue_fetcher, refused_type

    base_url = BASE_URL  # not the folder's path: image names in the PDF are hashes of their URLs
    with capture_weasyprint_logs() as messages, justify.installed(), jumps.installed():
        try:
            source = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=issue_fetcher(base_dir))
            # <link rel=attachment> would embed a file in the PDF: never, whatever it points at.
            attachments = [
                str(link.get("href"))
                for link in source.etree_element.iter("link")
                if "attachment" in str(link.get("rel", "")).lower().split()
            ]
            if attachments:
                return Outcome(error=f"refused to embed attachments: {', '.join(attachments)}")
            document = source.render(**WRITE_OPTIONS)
            crowded = crowded_starts(document)
            if crowded:  # a 版 the estimate let share a sheet started on another 版's first one
                for section in crowded:
                    html = html.replace(
                        f'<section class="ban shares" id="{section}"', f'<section class="ban" id="{section}"'
                    )
                source = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=issue_fetcher(base_dir))
                document = source.render(**WRITE_OPTIONS)
            problem = check_layout(document)
            if problem:
                return Outcome(error=problem)
            layout: dict[str, Any] = {}
            part = rp.Part()
            pdf = document.write_pdf(pdf_identifier=ident, **WRITE_OPTIONS)
            if replica:  # from the issue's PDF: the 版 PDFs (cut from it) and the sheet images
                layout = rp.geometry(document)
                labels = {
                    rp.ban_number(str(section.get("id"))): str(section.get("data-label"))
                    for section in source.etree_element.iter("section")
                    if "ban" in str(section.get("class", "")).split()
                }
                try:
                    part = rp.Part(
                        bans=rp.ban_pdfs(pdf, rp.ban_sheets(layout), labels),
                        images=dict(enumerate(rp.page_images(pdf))),  # each sheet one image, named after its 版
                    )
                except RuntimeError as exc:
                    part.error = str(exc)
            if replica:
                messages += part.messages
                if part.error:
                    return Outcome(error=part.error)
        except refused_type() as exc:
            return Outcome(error=str(exc))
    if messages:
        return Outcome(error="WeasyPrint reported: " + " | ".join(dict.fromkeys(messages)))
    families = sorted({font.family for font in document.fonts.values()})
    try:
        pdf = rp.linearize(pdf)
    except RuntimeError as exc:
        return Outcome(error=str(exc))
    bans = dict(sorted(part.bans.items()))
    images = [part.images[i] for i in sorted(part.images)]
    return Outcome(pdf=pdf, pages=len(document.pages), font_families=families, layout=layout, bans=bans, images=images)


def crowded_starts(document: Any) -> list[str]:
    """The ids of the 版 sections that start on a sheet where another 版 started before them.

    Every 版 starts on a sheet whose running head names it: the first 版 starting on a sheet. A 版
    that shares a sheet (:func:`sharing`) must start on a sheet another 版 ran on to, not started on.
    """
    crowded: list[str] = []
    for page in document.pages:
        starts = [
            section.element.get("id")
            for section in _shallow(page._page_box, depth=3)
            if section.element_tag == "section"
            and section.children
            and section.children[0].element is not None
            and section.children[0].element.get("class") == "ban-start"
        ]
        crowded += starts[1:]
    return crowded


def _shallow(box: Any, depth: int) -> Iterator[Any]:
    """``box`` and its descendants down to ``depth`` levels (a 版 section is 3 below the page)."""
    yield box
    if depth:
        for child in getattr(box, "children", ()):
            yield from _shallow(child, depth - 1)


def check_layout(document: Any) -> str:
    """'' when every page has content and no box lies off its page; else what is wrong, and where."""
    from weasyprint.formatting_structure import boxes

    if not document.pages:
        return "the PDF has no pages"
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        width, height = page.width, page.height
        has_content = False
        for box in page_box.descendants():
            if isinstance(box, boxes.MarginBox):
                continue
            if not isinstance(box, boxes.TextBox | boxes.ReplacedBox):
                continue
            if isinstance(box, boxes.TextBox) and not box.text.strip():
                continue
            has_content = True
            right = box.position_x + box.margin_width()
            bottom = box.position_y + box.margin_height()
            if (
                box.position_x < -EPSILON
                or box.position_y < -EPSILON
                or right > width + EPSILON
                or bottom > height + EPSILON
            ):
                what = box.text[:30] if isinstance(box, boxes.TextBox) else box.element_tag
                return (
                    f"PDF page {number}: {what!r} is placed off the page "
                    f"(reaches {right:.0f}×{bottom:.0f} px of {width:.0f}×{height:.0f})"
                )
        if not has_content:
            return f"PDF page {number} is empty"
    return ""


def glyph_report(issue: Issue) -> str:
    """The first article with characters no PDF face can draw, named with the characters; else ''."""
    covered = fonts.coverage()
    for article in issue.articles:
        texts = [article.headline, article.kicker, article.subheadline, article.credit_line, article.source]
        texts += [f"{img.caption} {img.credit} {img.alt}" for img in article.images]
        texts.append(article.text)
        chars = fonts.missing(" ".join(texts), covered)
        if chars:
            return f"{article.slug}: no glyph in {', '.join(fonts.CHAIN)} for {fonts.describe(chars)}"
    return ""


def check_outcome(outcome: Outcome, issue: Issue) -> None:
    """Every font in the PDF must be a face of the chain; name the text that needed another."""
    foreign = [f for f in outcome.font_families if f not in fonts.CHAIN]
    if not foreign:
        return
    culprit = glyph_report(issue)
    if culprit:
        raise RenderError(f"{culprit}; the PDF would fall back to {', '.join(foreign)}")
    raise RenderError(f"the PDF uses font(s) {', '.join(foreign)} outside the chain {', '.join(fonts.CHAIN)}")
