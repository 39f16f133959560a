"""The web edition: permalinks, the seed's text, schema.org JSON-LD, links that resolve, zh-CN."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

import exporter.render.feeds  # noqa: F401  (a real import: a broken renderer fails, it is not skipped)
from exporter.publish import build
from tests.conftest import CORPUS, SAMPLE, SEED_ID, copy_content


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.jsonld: list[str] = []
        self.lang = ""
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "link":
            self.links.append(a)
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "img":
            self.srcs.append(a["src"])
        self._in_jsonld = tag == "script" and a.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)
            self._in_jsonld = False


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    content = copy_content(SAMPLE, base / "content")
    build(content, base / "out", ("site", "null"))
    return base / "out"


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text("utf-8"))
    return page


def test_permalinks_exist(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "issues" / SEED_ID / "index.html").is_file()
    for slug in ("world-leading-science-parks", "ai-plus-industry-forum"):
        assert (site / "issues" / SEED_ID / f"{slug}.html").is_file()


def test_seed_article_pages_hold_headlines_bylines_and_rejoined_text(site: Path) -> None:
    one = (site / "issues" / SEED_ID / "world-leading-science-parks.html").read_text("utf-8")
    two = (site / "issues" / SEED_ID / "ai-plus-industry-forum.html").read_text("utf-8")
    assert "加快推进世界领先科技园区建设" in one and "本报讯（记者 张伟）" in one
    assert "政产学研共谋“人工智能+产业”发展路径" in two and "本报讯（记者 霍立峰）" in two
    # words the print columns broke are whole again
    assert "中国工程院院士、中国科学院工业人工智能研究所研究员于海斌" in two
    assert "完善人工智能治理等议题" in two
    assert "加大力度推动科技创新和产业创新深度融合" in one
    assert "中关村示范区以不足北京市4%的土地" in one
    # the photo: caption, credit, and an honest placeholder label
    assert "主办方供图" in one and "凯文·凯利（右）在现场体验AI眼镜" in one and "占位图" in one


def test_every_page_is_zh_cn_with_valid_json_ld(site: Path) -> None:
    kinds = set()
    for path in site.rglob("*.html"):
        page = parse(path)
        assert page.lang == "zh-CN", path
        assert len(page.jsonld) == 1, path
        data = json.loads(page.jsonld[0])
        assert data["@context"] == "https://schema.org"
        kinds.add(data["@type"])
        if data["@type"] == "NewsArticle":
            assert data["isPartOf"]["@type"] == "PublicationIssue"
            assert data["isPartOf"]["isPartOf"]["@type"] == "Periodical"
            assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$", data["datePublished"])
        if data["@type"] == "CollectionPage":  # 往期: a year's or a month's issues
            assert data["isPartOf"]["@type"] == "Periodical"
            assert {part["@type"] for part in data["hasPart"]} == {"PublicationIssue"}
    assert kinds == {"Periodical", "PublicationIssue", "NewsArticle", "CollectionPage"}


def test_article_json_ld_names_authors_and_print_page(site: Path) -> None:
    data = json.loads(parse(site / "issues" / SEED_ID / "ai-plus-industry-forum.html").jsonld[0])
    assert data["author"] == [{"@type": "Person", "name": "霍立峰"}]
    assert data["printPage"] == "1" and data["isPartOf"]["issueNumber"] == "2663"
    assert data["datePublished"] == "2026-03-30T06:00:00+08:00"


def test_internal_links_and_images_resolve(site: Path) -> None:
    base = "http://127.0.0.1:8000/"  # the sample's base_url
    for path in site.rglob("*.html"):
        page = parse(path)
        rel = path.relative_to(site).as_posix()
        for href in page.hrefs + page.srcs + [link["href"] for link in page.links]:
            url = urljoin(base + rel, href)
            if not url.startswith(base):
                continue
            target = urlsplit(url).path.removeprefix("/")
            if target == "" or target.endswith("/"):
                target += "index.html"
            # feeds and catalogs come from other renderers, not built here
            if target.startswith(("feeds/", "opds/")):
                continue
            assert (site / target).is_file(), f"{rel}: {href} → {target} missing"


def test_feed_autodiscovery_links_follow_the_built_formats(tmp_path: Path, content: Path) -> None:
    build(content, tmp_path / "site-only", ("site",))
    assert not [x for x in parse(tmp_path / "site-only" / "index.html").links if x.get("rel") == "alternate"]
    build(content, tmp_path / "with-feeds", ("site", "feeds"))
    links = [x for x in parse(tmp_path / "with-feeds" / "index.html").links if x.get("rel") == "alternate"]
    types = {x["type"] for x in links}
    assert {"application/rss+xml", "application/atom+xml", "application/feed+json"} <= types
    assert all(x["href"].startswith("http://127.0.0.1:8000/feeds/") for x in links)
    # an issue page also links the feed of each of its pages (版), and those feeds exist
    issue_page = parse(tmp_path / "with-feeds" / "issues" / SEED_ID / "index.html")
    page_links = [x["href"] for x in issue_page.links if x.get("title", "").endswith("第1版 要闻")]
    assert len(page_links) == 1 and page_links[0].startswith("http://127.0.0.1:8000/feeds/pages/")
    assert (tmp_path / "with-feeds" / page_links[0].removeprefix("http://127.0.0.1:8000/")).is_file()
    assert any(h.startswith("../../feeds/pages/") for h in issue_page.hrefs)


def test_index_lists_issues_newest_first_with_the_latest_guide(site: Path) -> None:
    html = (site / "index.html").read_text("utf-8")
    assert html.index("2026年3月30日") < html.index("2026年3月23日")
    assert "本期导读" in html and "机器人扎堆“营业”" in html and "05版" in html


def test_issue_page_is_honest_about_pages_carried(site: Path) -> None:
    html = (site / "issues" / SEED_ID / "index.html").read_text("utf-8")
    assert "本数字版收录 1 个版面（共 16 版）" in html
    assert "第11期（总第2663期）" in html and "今日16版" in html and "星期一" in html
    assert "CN 11—0237" in html and "邮发代号 1—206" in html
    # 导读 entries whose page is not in this edition are not links
    assert "<a href" not in html.split("共绘全球科技交流合作新图景")[0].rsplit("<li>", 1)[-1]


def test_sample_issue_is_marked(site: Path) -> None:
    html = (site / "issues" / "2026-03-23" / "index.html").read_text("utf-8")
    assert "样例数据" in html and "MIT" in html


def test_pages_are_readable_on_a_phone(site: Path) -> None:
    for path in site.rglob("*.html"):
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in path.read_text("utf-8")
    css = (site / "assets" / "site.css").read_text("utf-8")
    assert "Noto Serif CJK SC" in css and "max-width" in css and "text-indent: 2em" in css


def test_a_reprint_names_its_source_and_not_this_paper(site: Path, tmp_path: Path) -> None:
    """A reprinted article said both 来源：中国经济网 and 原载《科技日报》: with a source, no 原载 line."""
    out = tmp_path / "out"
    assert build(CORPUS, out, ("site",)).ok
    pages = sorted((out / "issues" / "2026-06-12").glob("*.html"))
    articles = [p for p in pages if p.name != "index.html"]
    assert len(articles) == 29
    for path in articles:
        html = path.read_text("utf-8")
        assert "来源：" in html, path.name  # every corpus article is a reprint
        assert "原载" not in html, path.name
    own = (site / "issues" / SEED_ID / "ai-plus-industry-forum.html").read_text("utf-8")
    assert "来源：" not in own and "原载《" in own  # the paper's own article keeps its print reference
