"""The 数字报 replica (版 views, page images, per-版 PDFs), checked in a real headless browser.

The corpus issue is built once through the real pipeline (every format), served by the built-in
server on a loopback port, and opened in the system Chromium (Debian ``chromium``) driven by
Playwright. Where an article lies on a sheet is read back from the PDF itself (``pdftotext -bbox``
of the 版's own PDF), scaled to the image as the browser laid it out, and must fall inside one of the
links the view puts over that article.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, CORPUS_ID, ROOT, SAMPLE, SEED_ID
from lxml import etree
from test_serve import Server

from exporter import paths, replica
from exporter.load import load_content
from exporter.model import Issue
from exporter.publish import build

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOLERANCE = 2.0  # CSS px: rounding of the percentages and of pdftotext's boxes
XHTML = "{http://www.w3.org/1999/xhtml}"
CONTENT_AREA = ("-x", "0", "-y", "58", "-W", "842", "-H", "1086")  # an A3 sheet below the running head


class Built:
    def __init__(self, out: Path, issue: Issue) -> None:
        self.out, self.issue = out, issue
        self.layout: dict[str, Any] = json.loads((out / paths.ban_layout(issue.id)).read_text("utf-8"))

    def file(self, rel: str) -> Path:
        return self.out / rel


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("replica") / "out"
    result = build(CORPUS, out, now=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    assert result.ok, result.problems
    issue = next(i for i in load_content(CORPUS).issues if i.id == CORPUS_ID)
    return Built(out, issue)


@pytest.fixture(scope="module")
def server(built: Built) -> Iterator[Server]:
    running = Server(built.out)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("the Debian package chromium is needed (make test-setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True, timeout=120).stdout


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """pdftotext's words of a PDF page (1-based) in reading order, a column after another: (text, xMin,
    yMin, xMax, yMax) in PDF points."""
    xml = run("pdftotext", "-bbox-layout", "-f", page, "-l", page, pdf, "-")  # words by block and line
    tree = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True))
    found = []
    for word in tree.iter(f"{XHTML}word", "word"):
        box = (float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
        found.append((word.text or "", *box))
    return found


def locate(found: list[tuple[str, float, float, float, float]], text: str) -> list[tuple[float, float, float, float]]:
    """The boxes of the words holding the first character of ``text``, wherever it is on the page (matched
    over the page's words joined): a headline is also in the front sheet's 导读."""
    joined, owners = "", []
    for index, (word, *_) in enumerate(found):
        joined += word
        owners += [index] * len(word)
    boxes = []
    at = joined.find(squeeze(text))
    while at >= 0:
        boxes.append(found[owners[at]][1:])
        at = joined.find(squeeze(text), at + 1)
    assert boxes, f"{text!r} is not on the page"
    return boxes


def first_text(issue: Issue, slug: str) -> list[str]:
    """What must be found on an article's first sheet: the start of its headline and of its body."""
    article = next(a for a in issue.articles if a.slug == slug)
    head = squeeze(article.headline)[:8]
    body = squeeze(article.text.split("\n")[0])[:10]  # within the first line: pdftotext mixes columns
    # datelines (中国经济网北京6月12日讯…) begin many articles: only text no other article has proves a place
    others = [squeeze(a.headline + a.text) for a in issue.articles if a.slug != slug]
    return [text for text in (head, body) if not any(text in other for other in others)]


def view_rects(page: Any) -> dict[str, dict[str, list[tuple[float, float, float, float]]]]:
    """Per sheet (its image), each article's links as the browser laid them out (left, top, right, bottom),
    and under "__img__" the image's (left, top, width, height)."""
    data = page.evaluate(
        """() => [...document.querySelectorAll('figure.sheet')].map(f => ({
            k: f.dataset.image,
            img: (r => [r.left, r.top, r.width, r.height])(f.querySelector('img').getBoundingClientRect()),
            areas: [...f.querySelectorAll('a.area')].map(a => (r => ({slug: a.dataset.slug,
                rect: [r.left, r.top, r.right, r.bottom]}))(a.getBoundingClientRect())),
        }))"""
    )
    out: dict[str, dict[str, list[tuple[float, float, float, float]]]] = {}
    for sheet in data:
        areas: dict[str, list[tuple[float, float, float, float]]] = {"__img__": [tuple(sheet["img"])]}
        for area in sheet["areas"]:
            areas.setdefault(area["slug"], []).append(tuple(area["rect"]))
        out[sheet["k"]] = areas
    return out


def check_areas_cover_text(built: Built, page: Any, number: int) -> int:
    """Every article starting on a sheet of 版 ``number``: its headline's and body's first characters
    (pdftotext on the 版's PDF, scaled to the image on screen) lie inside one of its links."""
    rects = view_rects(page)
    pdf = built.file(paths.ban_pdf(built.issue.id, number))
    checked = 0
    sheets = [s for s in built.layout["sheets"] if number in s["bans"]]
    assert list(rects) == [s["image"] for s in sheets]
    for index, sheet in enumerate(sheets, 1):  # page ``index`` of the 版's own PDF
        k = sheet["image"]
        left, top, width, height = rects[k]["__img__"][0]
        sx, sy = width / sheet["width"], height / sheet["height"]
        found = words(pdf, index)
        joined = squeeze("".join(w[0] for w in found))
        for area in sheet["areas"]:
            for text in first_text(built.issue, area["slug"]):
                if text not in joined:
                    continue  # this part of the article is on another sheet
                chars = [  # the first character's box: the word's start, one character wide
                    (left + x0 * sx, top + y0 * sy, left + min(x1, x0 + (y1 - y0)) * sx, top + y1 * sy)
                    for x0, y0, x1, y1 in locate(found, text)
                ]
                inside = [
                    r
                    for r in rects[k][area["slug"]]
                    for char in chars
                    if r[0] - TOLERANCE <= char[0]
                    and r[1] - TOLERANCE <= char[1]
                    and char[2] <= r[2] + TOLERANCE
                    and char[3] <= r[3] + TOLERANCE
                ]
                assert inside, f"版 {number} sheet {k}: {text!r} of {area['slug']} at {chars} is in no link of it"
                checked += 1
    return checked


# -- tests ---------------------------------------------------------------------------------------------


def test_every_article_has_areas_and_every_sheet_a_ban(built: Built) -> None:
    issue = built.issue
    sheets = built.layout["sheets"]
    pages = run("qpdf", "--show-npages", built.file(issue.pdf_path)).strip()
    assert len(sheets) == int(pages)
    assert {s["ban"] for s in sheets} == {p.number for p in issue.pages}
    on_sheets = {a["slug"] for s in sheets for a in s["areas"]}
    assert on_sheets == {a.slug for a in issue.articles}
    for index, sheet in enumerate(sheets, 1):  # the running head names the sheet's 版 (the one starting there)
        head = run("pdftotext", "-f", index, "-l", index, "-y", "0", "-H", "58", "-W", "842", "-x", "0",
                   built.file(issue.pdf_path), "-")  # fmt: skip
        page = next(p for p in issue.pages if p.number == sheet["ban"])
        assert index == 1 or page.ordinal in squeeze(head), (index, head)
        for area in sheet["areas"]:
            for x, y, w, h in area["rects"]:
                assert x >= 0 and y >= 0 and x + w <= sheet["width"] + 1 and y + h <= sheet["height"] + 1
                assert w > 0 and h > 0


def test_ban_pdfs_hold_their_ban_and_pass_qpdf(built: Built) -> None:
    issue = built.issue
    for pdf in [built.file(issue.pdf_path)] + [built.file(paths.ban_pdf(issue.id, p.number)) for p in issue.pages]:
        subprocess.run(["qpdf", "--check", pdf], check=True, capture_output=True, timeout=120)
        lin = subprocess.run(["qpdf", "--check-linearization", pdf], capture_output=True, text=True, timeout=120)
        assert lin.returncode == 0 and "no linearization errors" in lin.stdout, lin.stdout + lin.stderr

    def start(article: Any) -> str:
        return squeeze(article.text.split("\n")[0])[:20]

    # an article of the corpus quotes another's first paragraph (two sources): no proof of either
    bodies = [squeeze(a.text) for a in issue.articles]
    unique = {a.slug for a in issue.articles if sum(start(a) in body for body in bodies) == 1}
    for page in issue.pages:
        text = squeeze(run("pdftotext", "-raw", *CONTENT_AREA, built.file(paths.ban_pdf(issue.id, page.number)), "-"))
        sheets = [s for s in built.layout["sheets"] if page.number in s["bans"]]
        sharing = {ban for s in sheets for ban in s["bans"]}  # a shared sheet also holds another 版's end
        for article in issue.articles:
            here = start(article) in text  # its body (the front sheet's 导读 lists headlines)
            if issue.page_of(article).number == page.number:
                assert here and squeeze(article.headline) in text, (page.number, article.headline)
            elif issue.page_of(article).number not in sharing and article.slug in unique:
                assert not here, (page.number, article.headline)
        pages = run("qpdf", "--show-npages", built.file(paths.ban_pdf(issue.id, page.number))).strip()
        assert int(pages) == len(sheets)


def test_page_images_are_deterministic_and_sized(built: Built) -> None:
    from PIL import Image

    issue = built.issue
    first = paths.ban_pdf(issue.id, issue.pages[0].number)
    again = replica.page_images(built.file(first).read_bytes())
    sheet = next(s for s in built.layout["sheets"] if s["ban"] == issue.pages[0].number)
    assert again[0][0] == built.file(paths.ban_image(issue.id, issue.pages[0].number, 1)).read_bytes()
    assert again[0][1] == built.file(paths.ban_image(issue.id, issue.pages[0].number, 1, thumb=True)).read_bytes()
    assert replica.page_images(built.file(first).read_bytes())[0][0] == again[0][0]
    for sheet in built.layout["sheets"]:
        with (
            Image.open(built.file(paths.ban_image(issue.id, sheet["ban"], sheet["k"]))) as image,
            Image.open(built.file(paths.ban_image(issue.id, sheet["ban"], sheet["k"], thumb=True))) as thumb,
        ):
            assert image.format == thumb.format == "JPEG"
            assert abs(image.width - sheet["width"] / 72 * 150) <= 1  # 150 dpi
            assert thumb.width == 300
            assert list(image.size) == sheet["pixels"]


@pytest.mark.parametrize("width", [1280, 390])
def test_areas_cover_their_articles_text_on_the_image(built: Built, server: Server, browser: Any, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        checked = 0
        for ban in built.issue.pages:
            page.goto(f"{server.base}/{paths.ban_view(built.issue.id, ban.number)}")
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal scroll
            checked += check_areas_cover_text(built, page, ban.number)
        # the headline and body start of every article (those no other article has), each seen once at least
        assert checked >= sum(len(first_text(built.issue, a.slug)) for a in built.issue.articles) >= 45
    finally:
        page.close()


def test_clicking_an_area_opens_its_article(built: Built, server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        for ban in built.issue.pages[:3]:
            for article in ban.articles[:2]:
                page.goto(f"{server.base}/{paths.ban_view(built.issue.id, ban.number)}")
                area = page.locator(f'a.area[data-slug="{article.slug}"]').last  # a column, not the head
                area.scroll_into_view_if_needed()
                box = area.bounding_box()
                assert box is not None
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 20))
                page.wait_for_url(f"**/{article.slug}.html")
                assert squeeze(page.locator("h1").inner_text()) == squeeze(article.headline)
                # and the article page links back to its 版
                back = page.locator("p.ban-link a")
                assert back.get_attribute("href") == f"pages/{ban.number:02d}.html"
    finally:
        page.close()


def test_areas_are_links_with_the_headline_for_keyboard_and_screen_readers(
    built: Built, server: Server, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        ban = built.issue.pages[1]
        page.goto(f"{server.base}/{paths.ban_view(built.issue.id, ban.number)}")
        names = page.evaluate(
            """() => [...document.querySelectorAll('a.area:not([aria-hidden])')].map(a => [a.dataset.slug,
                a.textContent.trim(), a.title])"""
        )
        slugs = [n[0] for n in names]  # one reachable link per article and sheet
        assert set(slugs) >= {a.slug for a in ban.articles} and len(slugs) == len(set(slugs))
        assert all(n[1] == n[2] and n[1] for n in names)
        # the accessible name is the headline; tabbing reaches the first area with a visible outline
        snapshot = page.accessibility.snapshot() if hasattr(page, "accessibility") else None
        if snapshot is not None:
            assert ban.articles[0].headline in json.dumps(snapshot, ensure_ascii=False)
        page.focus(f'a.area[data-slug="{ban.articles[0].slug}"]:not([aria-hidden])')
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        # 版面导航: every 版, the current one marked, 上一版/下一版
        nav = page.locator("nav.ban-nav")
        assert nav.locator("[aria-current=page]").inner_text().startswith(ban.code)
        assert nav.locator("a[rel=prev]").get_attribute("href") == f"{built.issue.pages[0].number:02d}.html"
        assert nav.locator("a[rel=next]").get_attribute("href") == f"{built.issue.pages[2].number:02d}.html"
        assert nav.locator("ol li").count() == len(built.issue.pages)
    finally:
        page.close()


def test_issue_page_offers_the_ban_views_and_pdfs(built: Built) -> None:
    html = built.file(paths.issue_page(built.issue.id)).read_text("utf-8")
    for ban in built.issue.pages:
        assert f'href="pages/{ban.number:02d}.html"' in html
        assert f'href="pages/{ban.number:02d}.pdf"' in html
    assert 'aria-label="版面导航"' in html


def test_screenshot_of_a_ban_view(
    built: Built, server: Server, browser: Any, tmp_path: Path, update_golden: bool
) -> None:
    """The README's screenshot, docs/screenshot-ban.png, is taken here (rewritten with --update-golden):
    a 版 view on a tablet-sized screen, as a small palette PNG."""
    from PIL import Image

    page = browser.new_page(viewport={"width": 760, "height": 1000})
    try:
        page.goto(f"{server.base}/{paths.ban_view(built.issue.id, built.issue.pages[1].number)}")
        page.wait_for_load_state("load")
        slug = built.issue.pages[1].articles[0].slug
        page.evaluate(f"""document.querySelector('a.area[data-slug="{slug}"]:not([aria-hidden])')
                          .focus({{preventScroll: true}}); window.scrollTo(0, 0)""")
        raw = tmp_path / "raw.png"
        page.screenshot(path=str(raw))
    finally:
        page.close()
    shot = tmp_path / "screenshot-ban.png"
    with Image.open(raw) as image:
        image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(shot, optimize=True)
    assert 10_000 < shot.stat().st_size < 300_000
    if update_golden:
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-ban.png")


def test_opds_pse_streams_the_sheet_images(built: Built, server: Server) -> None:
    """OPDS-PSE: the issue's acquisition entry has a stream link counting its sheets; the server answers
    {pageNumber} (from 0) with that sheet's image, the thumbnail for a small {maxWidth}."""
    tree = etree.fromstring(built.file(paths.OPDS_ISSUES).read_bytes())
    links = tree.findall(f".//{{http://www.w3.org/2005/Atom}}link[@rel='{paths.PSE_REL}']")
    assert len(links) == 1
    link = links[0]
    sheets = built.layout["sheets"]
    assert link.get(f"{{{paths.PSE_NS}}}count") == str(len(sheets))
    href = link.get("href")
    assert "{pageNumber}" in href and "{maxWidth}" in href
    path = href[href.index(paths.PSE_STREAM) :]  # the publication's base URL is not the test server's
    for number, sheet in ((0, sheets[0]), (len(sheets) - 1, sheets[-1])):
        for width, name in (("1200", sheet["image"]), ("300", sheet["thumb"])):
            url = "/" + path.replace("{pageNumber}", str(number)).replace("{maxWidth}", width)
            response = server.client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"] == "image/jpeg"
            assert response.content == built.file(paths.issue_dir(built.issue.id) + paths.PAGES + name).read_bytes()
    missing = "/" + path.replace("{pageNumber}", str(len(sheets))).replace("{maxWidth}", "300")
    assert server.client.get(missing).status_code == 404
    assert server.client.get("/opds/pse/..%2F..%2Fetc/0").status_code == 404


def test_an_unchanged_issue_renders_no_image_again(tmp_path: Path) -> None:
    """Incremental: the second build of the same content reuses the issue, and its sheet images are the
    published files themselves (hard links into the new release), not renders of their own."""
    out = tmp_path / "out"
    first = build(SAMPLE, out, now=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    assert first.ok and SEED_ID in first.rendered
    image = paths.ban_image(SEED_ID, 1, 1)
    before = (out / image).resolve().stat()
    second = build(SAMPLE, out, now=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    assert second.ok and second.rendered == [] and SEED_ID in second.reused
    after = (out / image).resolve().stat()
    assert (after.st_ino, after.st_dev) == (before.st_ino, before.st_dev)
