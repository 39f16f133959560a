"""Share and cite: Open Graph and Twitter card tags, citation_* tags, the GB/T 7714 引用本文 line, and
the e-reader delivery of the EPUB editions feed, checked against the model and over real HTTP."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest

from exporter.load import load_content
from exporter.model import Article, Issue, Publication
from exporter.share import clip, gbt7714, og_locale, scholar_date
from tests.conftest import SAMPLE, SEED_ID, copy_content
from tests.test_feeds import SAMPLE_BASE, SAMPLE_ID, build_with_fakes
from tests.test_serve import Server

THREE = ("霍立峰", "王五", "赵六")
FOUR = ("张伟", "李四", "王五", "赵六")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample with three authors on one seed article and four on the other; PDF, EPUB and cover
    from tests.test_feeds' stand-in renderer for the seed issue only (the sample history issue has none)."""
    root = tmp_path_factory.mktemp("share")
    content = copy_content(SAMPLE, root / "content")
    seed = content / SEED_ID
    forum = seed / "ai-plus-industry-forum.md"
    text = forum.read_text("utf-8")
    forum.write_text(text.replace("authors:\n- 霍立峰\n", "authors:\n" + "".join(f"- {n}\n" for n in THREE)), "utf-8")
    parks = seed / "world-leading-science-parks.md"
    text = parks.read_text("utf-8")
    assert "authors:\n- 张伟\n" in text
    parks.write_text(text.replace("authors:\n- 张伟\n", "authors:\n" + "".join(f"- {n}\n" for n in FOUR)), "utf-8")
    return content, build_with_fakes(content, root / "out")


def metas(path: Path) -> dict[str, list[str]]:
    """Every <meta property|name=… content=…> of a page, by name, in document order."""
    tree = lxml.html.parse(str(path))
    found: dict[str, list[str]] = {}
    for meta in tree.iterfind(".//head/meta"):
        key = meta.get("property") or meta.get("name")
        if key and meta.get("content") is not None:
            found.setdefault(key, []).append(meta.get("content"))
    return found


def one(tags: dict[str, list[str]], key: str) -> str:
    [value] = tags[key]
    return value


def model(content: Path) -> tuple[Publication, dict[str, Issue]]:
    edition = load_content(content)
    return edition.publication, {i.id: i for i in edition.issues}


def article_file(out: Path, issue: Issue, a: Article) -> Path:
    return out / issue.article_path(a)


# -- the GB/T 7714-2015 line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        ((), "题名[N]. 中国高新技术产业导报, 2026-03-30(1)."),
        (("王五",), "王五. 题名[N]. 中国高新技术产业导报, 2026-03-30(1)."),
        (THREE, "霍立峰, 王五, 赵六. 题名[N]. 中国高新技术产业导报, 2026-03-30(1)."),
        (FOUR, "张伟, 李四, 王五, 等. 题名[N]. 中国高新技术产业导报, 2026-03-30(1)."),
    ],
    ids=["no-author", "one-author", "three-authors", "four-authors"],
)
def test_gbt7714_newspaper_reference(authors: tuple[str, ...], expected: str) -> None:
    assert gbt7714(authors, "题名", "中国高新技术产业导报", date(2026, 3, 30), 1) == expected


def test_gbt7714_page_and_date_forms() -> None:
    # the 版 number unpadded in parentheses, the date YYYY-MM-DD (zero-padded)
    assert gbt7714(("丁文祥",), "数字革命与竞争国际化", "中国青年报", date(2000, 1, 2), 15).endswith(
        "中国青年报, 2000-01-02(15)."
    )


def test_small_helpers() -> None:
    assert og_locale("zh-CN") == "zh_CN" and og_locale("zh") == "zh" and og_locale("zh-Hans-CN") == "zh_CN"
    assert scholar_date(date(2026, 3, 9)) == "2026/03/09"
    assert clip("一二三", 3) == "一二三" and clip("一二三四", 3) == "一二…"


def _reference_text(path: Path) -> str:
    tree = lxml.html.parse(str(path))
    [cite] = tree.xpath("//p[@class='cite']")
    [text] = cite.xpath(".//span[@id='cite-text']")
    assert cite.text_content().startswith("引用本文：")
    # plain text first: no button in the page; the one script adds it where the browser can copy
    assert not cite.xpath(".//button")
    [script] = tree.xpath("//script[@src]")
    assert script.get("src") == "../../assets/cite.js" and script.get("defer") is not None
    assert (path.parent / script.get("src")).resolve().is_file()
    return str(text.text_content())


def test_the_copy_script_adds_its_button_only_where_it_can_copy(built: tuple[Path, Path]) -> None:
    _, out = built
    script = (out / "assets" / "cite.js").read_text("utf-8")
    assert 'getElementById("cite-text")' in script and "navigator.clipboard.writeText(text.textContent)" in script
    assert "if (!text || !window.isSecureContext || !navigator.clipboard) return;" in script
    assert script.index("return;") < script.index('createElement("button")')
    # the pages keep no inline script and no button (tests/test_hostile.py looks for injected ones)
    for path in out.rglob("*.html"):
        html = path.read_text("utf-8").lower()
        assert "<script>" not in html and "<script src" not in html and "<button" not in html, path


def test_pages_show_the_reference_for_zero_one_three_and_four_authors(built: tuple[Path, Path]) -> None:
    content, out = built
    pub, issues = model(content)
    seed, history = issues[SEED_ID], issues[SAMPLE_ID]
    by_slug = {a.slug: a for i in issues.values() for a in i.articles}
    seen = set()
    for issue in (seed, history):
        for a in issue.articles:
            page = issue.page_of(a)
            text = _reference_text(article_file(out, issue, a))
            date_page = f"[N]. {pub.title}, {issue.date.isoformat()}({page.number})."
            assert text.endswith(date_page), text
            head = text.removesuffix(date_page)
            names = list(a.authors[:3]) + (["等"] if len(a.authors) > 3 else [])
            assert head == (", ".join(names) + ". " if names else "") + a.headline
            seen.add(min(len(a.authors), 4))
    assert seen == {0, 1, 3, 4}
    forum = _reference_text(article_file(out, seed, by_slug["ai-plus-industry-forum"]))
    assert forum == "霍立峰, 王五, 赵六. 政产学研共谋“人工智能+产业”发展路径[N]. 中国高新技术产业导报, 2026-03-30(1)."
    parks = _reference_text(article_file(out, seed, by_slug["world-leading-science-parks"]))
    assert parks.startswith("张伟, 李四, 王五, 等. 加快推进世界领先科技园区建设[N]. ")
    no_author = by_slug["rmw-40738983"]
    assert not no_author.authors
    assert _reference_text(article_file(out, history, no_author)).startswith("AI正深度融入数学研究核心环节[N]. ")


# -- Open Graph, Twitter, citation_* ------------------------------------------------------------------


def _cover(out: Path, issue: Issue) -> tuple[str, int, int]:
    from PIL import Image

    with Image.open(out / issue.dir / "cover.png") as img:
        width, height = img.size
    return SAMPLE_BASE + issue.dir + "cover.png", width, height


def test_article_pages_carry_open_graph_twitter_and_citation_tags(built: tuple[Path, Path]) -> None:
    content, out = built
    pub, issues = model(content)
    for issue in issues.values():
        has_files = issue.id != SAMPLE_ID  # the stand-in renderer skips the sample history issue
        for a in issue.articles:
            page = issue.page_of(a)
            tags = metas(article_file(out, issue, a))
            url = pub.url(issue.article_path(a))
            assert one(tags, "og:type") == "article"
            assert one(tags, "og:title") == a.headline == one(tags, "twitter:title")
            assert one(tags, "og:description") == a.summary
            assert one(tags, "og:url") == url == one(tags, "citation_public_url")
            assert one(tags, "og:site_name") == pub.title and one(tags, "og:locale") == "zh_CN"
            assert one(tags, "article:published_time") == issue.article_published(a).isoformat(timespec="seconds")
            assert one(tags, "article:modified_time") == issue.article_updated(a).isoformat(timespec="seconds")
            assert one(tags, "article:section") == page.label
            assert tags.get("article:tag", []) == list(a.tags)
            # every photo of the sample is a placeholder: the issue cover stands in, when there is one
            if has_files:
                cover, width, height = _cover(out, issue)
                assert one(tags, "og:image") == cover == one(tags, "twitter:image")
                assert (one(tags, "og:image:width"), one(tags, "og:image:height")) == (str(width), str(height))
                assert one(tags, "og:image:type") == "image/png"
                assert one(tags, "og:image:alt").startswith(f"《{pub.title}》{issue.date_text}")
                assert one(tags, "twitter:card") == "summary_large_image"
                assert one(tags, "citation_pdf_url") == pub.url(issue.pdf_path)
            else:
                assert "og:image" not in tags and "twitter:image" not in tags and "citation_pdf_url" not in tags
                assert one(tags, "twitter:card") == "summary"
            # citation_* (Google Scholar, Zotero)
            assert one(tags, "citation_title") == a.headline
            assert tags.get("citation_author", []) == list(a.authors)
            ymd = f"{issue.date.year}/{issue.date.month:02d}/{issue.date.day:02d}"
            assert one(tags, "citation_publication_date") == ymd == one(tags, "citation_date")
            assert one(tags, "citation_journal_title") == pub.title
            assert one(tags, "citation_issue") == str(issue.number)
            assert one(tags, "citation_firstpage") == str(page.number)
            assert one(tags, "citation_language") == "zh"
            assert one(tags, "citation_publisher") == pub.publisher_name
            # every absolute URL points into the release
            for key in ("og:url", "og:image", "citation_pdf_url"):
                for value in tags.get(key, []):
                    assert value.startswith(SAMPLE_BASE)
                    rel = urlsplit(value).path.removeprefix("/")
                    assert (out / rel).is_file(), value


def test_issue_and_index_pages_carry_website_cards(built: tuple[Path, Path]) -> None:
    content, out = built
    pub, issues = model(content)
    seed = issues[SEED_ID]
    tags = metas(out / seed.dir / "index.html")
    assert one(tags, "og:type") == "website"
    assert one(tags, "og:url") == pub.url(seed.dir)
    assert one(tags, "og:title") == f"{pub.title} {seed.date_text} {seed.number_text}"
    assert one(tags, "og:description").startswith(f"{pub.title} {seed.title_text}：")
    assert one(tags, "og:image") == _cover(out, seed)[0]
    assert "citation_title" not in tags and "article:published_time" not in tags
    home = metas(out / "index.html")
    assert one(home, "og:type") == "website" and one(home, "og:url") == pub.base_url
    assert one(home, "og:image") == _cover(out, seed)[0]  # the latest issue's cover
    assert one(home, "twitter:card") == "summary_large_image"


def test_a_real_photo_is_preferred_to_the_cover(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    parks = content / SEED_ID / "world-leading-science-parks.md"
    parks.write_text(parks.read_text("utf-8").replace("  placeholder: true\n", ""), "utf-8")
    out = build_with_fakes(content, tmp_path / "out")
    pub, issues = model(content)
    issue = issues[SEED_ID]
    a = next(a for a in issue.articles if a.slug == "world-leading-science-parks")
    [image] = a.images
    tags = metas(article_file(out, issue, a))
    assert one(tags, "og:image") == pub.url(issue.dir + "media/" + image.url_path)
    assert (one(tags, "og:image:width"), one(tags, "og:image:height")) == (str(image.width), str(image.height))
    assert image.width > 0 and one(tags, "og:image:alt") == image.alt == one(tags, "twitter:image:alt")
    assert one(tags, "og:image:type") == image.media_type


def test_a_long_description_is_clipped_for_twitter_only(built: tuple[Path, Path]) -> None:
    content, out = built
    _, issues = model(content)
    issue = issues[SEED_ID]
    tags = metas(out / issue.dir / "index.html")
    og = one(tags, "og:description")
    tw = one(tags, "twitter:description")
    assert tw == clip(og, 200) and len(tw) <= 200


# -- over HTTP: the URLs the tags and the EPUB editions feed name are answered --------------------------


def test_served_site_answers_every_shared_url_and_the_epub_feed_link(built: tuple[Path, Path]) -> None:
    content, out = built
    pub, issues = model(content)
    issue = issues[SEED_ID]
    server = Server(out)

    def get(url: str) -> Any:
        assert url.startswith(SAMPLE_BASE), url
        return server.client.get("/" + url.removeprefix(SAMPLE_BASE))

    try:
        a = issue.articles[0]
        tags = metas(article_file(out, issue, a))
        for key, mtype in (
            ("og:url", "text/html"),
            ("citation_public_url", "text/html"),
            ("og:image", one(tags, "og:image:type")),
            ("citation_pdf_url", "application/pdf"),
        ):
            response = get(one(tags, key))
            assert response.status_code == 200, key
            assert response.headers["content-type"].split(";")[0] == mtype, key
        script = get(pub.url("assets/cite.js"))
        assert script.status_code == 200 and script.headers["content-type"] == "text/javascript; charset=utf-8"
        # KOReader's news downloader fetches an item's <link>: in the EPUB editions feed that is the book
        parsed = feedparser.parse(get(pub.url("feeds/editions-epub.xml")).content)
        assert parsed.bozo == 0 and parsed.entries
        for entry in parsed.entries:
            assert entry.link.endswith(".epub")
            response = get(entry.link)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/epub+zip"
            assert response.content[:4] == b"PK\x03\x04" and response.content[30:38] == b"mimetype"
            related = [x["href"] for x in entry.links if x.get("rel") == "related"]
            assert related == [pub.url(issue.dir)] and get(related[0]).status_code == 200
    finally:
        server.stop()


def test_a_browser_runs_the_script_and_shows_the_copy_button(built: tuple[Path, Path]) -> None:
    """Headless Chromium (Debian's) loads an article page over HTTP: the script adds the 复制 button
    beside the reference (127.0.0.1 is a secure context, so the clipboard is there)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on this machine")
    content, out = built
    _, issues = model(content)
    issue = issues[SEED_ID]
    a = issue.articles[0]
    server = Server(out)
    try:
        url = f"{server.base}/{issue.article_path(a)}"
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", "--dump-dom", url]
        run = subprocess.run([chromium, *args], capture_output=True, timeout=120, check=False)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    tree = lxml.html.fromstring(run.stdout.decode("utf-8"))
    [cite] = tree.xpath("//p[@class='cite']")
    [button] = cite.xpath(".//button[@class='cite-copy']")
    assert button.text_content() == "复制" and button.get("type") == "button"
    assert cite.xpath(".//span[@id='cite-text']")[0].text_content() == _reference_text(article_file(out, issue, a))
