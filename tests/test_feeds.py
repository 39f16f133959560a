"""Feeds: RSS, Atom (with RFC 5005 archives), JSON Feed 1.1, per-page feeds, editions, OPML.

Every feed is parsed with feedparser (bozo must be 0) and checked for stable ids, absolute links that
resolve to files of the release, +08:00 times, enclosures that match the files, and byte stability.
The PDF/EPUB renderers are not needed: ``FakeFiles`` writes small real PDF-looking and EPUB (zip)
files per issue, so the enclosures have something to point at.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest
from lxml import etree

from exporter import render
from exporter.errors import ContentError, PublishError, RenderError
from exporter.load import load_content
from exporter.publish import build
from exporter.render import EDITION_LINKS, Job
from exporter.render.feeds import FeedsRenderer
from tests.conftest import CORPUS, CORPUS_ID, SAMPLE, SEED_ID, copy_content

SAMPLE_BASE = "http://127.0.0.1:8000/"
CORPUS_BASE = "https://paper.example.cn/herald/"
SAMPLE_ID = "2026-03-23"  # the sample history issue: FakeFiles gives it no PDF/EPUB
FORMATS = ("fakefiles", "site", "feeds", "opds")
ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
XML_FEEDS = ("feeds/rss.xml", "feeds/atom.xml", "feeds/editions.xml")


# -- a stand-in for the PDF and EPUB renderers -------------------------------------------------


def fake_epub(issue_id: str) -> bytes:
    """A small real zip laid out like an EPUB (mimetype first, stored), with fixed entry times."""
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", (2026, 1, 1, 0, 0, 0)), "application/epub+zip")
        info = zipfile.ZipInfo("EPUB/issue.xhtml", (2026, 1, 1, 0, 0, 0))
        z.writestr(info, f"<html><body><p>{issue_id}</p></body></html>" * 20, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


class FakeFiles:
    """Writes ``issues/<id>/<id>.pdf``, ``.epub`` and ``cover.png`` for every issue not in ``skip``."""

    name = "fakefiles"
    skip: ClassVar[set[str]] = {SAMPLE_ID}

    def render(self, job: Job) -> list[Path]:
        issue = job.issue
        if issue is None or issue.id in self.skip:
            return []
        pdf = b"%PDF-1.7\n% fake issue " + issue.id.encode() * 37 + b"\n%%EOF\n"
        cover = (job.templates_dir / "feeds" / "icon.png").read_bytes()
        return [
            job.write(issue.pdf_path, pdf),
            job.write(issue.epub_path, fake_epub(issue.id)),
            job.write(issue.dir + "cover.png", cover),
        ]


def build_with_fakes(
    content: Path, out: Path, formats: tuple[str, ...] = FORMATS, options: dict[str, object] | None = None
) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(render.REGISTRY, "fakefiles", f"{__name__}:FakeFiles")
        result = build(content, out, formats, options=options)
    assert result.ok, result.problems
    return out.resolve()


def set_feed_issues(content: Path, n: int) -> None:
    pub = content / "publication.yaml"
    pub.write_text(re.sub(r"feed_issues: \d+", f"feed_issues: {n}", pub.read_text("utf-8")), "utf-8")


# -- session builds ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    return build_with_fakes(copy_content(SAMPLE, root / "content"), root / "out")


@pytest.fixture(scope="session")
def sample_again(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same content built a second time, elsewhere."""
    root = tmp_path_factory.mktemp("sample-again")
    return build_with_fakes(copy_content(SAMPLE, root / "content"), root / "out")


@pytest.fixture(scope="session")
def archived_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with feed_issues: 1, so the older issue lives only in the RFC 5005 archive."""
    root = tmp_path_factory.mktemp("archived")
    content = copy_content(SAMPLE, root / "content")
    set_feed_issues(content, 1)
    return build_with_fakes(content, root / "out")


@pytest.fixture(scope="session")
def corpus_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    return build_with_fakes(copy_content(CORPUS, root / "content"), root / "out")


# -- helpers -----------------------------------------------------------------------------------


def parse(path: Path) -> Any:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def feed_files(out: Path) -> list[Path]:
    """Every XML feed document of the release (article feeds, archives, pages, editions)."""
    return sorted(p for p in (out / "feeds").rglob("*.xml"))


def local_file(out: Path, base: str, url: str) -> Path:
    """The file a URL of the release points at (base_url prefix → output folder)."""
    assert url.startswith(base), f"{url} is not below {base}"
    rel = urlsplit(url).path.removeprefix(urlsplit(base).path)
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return out / rel


def local_url(path: Path, out: Path, base: str = SAMPLE_BASE) -> str:
    return base + path.relative_to(out).as_posix()


class Refs(HTMLParser):
    """href and src values of an HTML fragment (entry content)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src")]


def html_urls(fragment: str) -> list[str]:
    refs = Refs()
    refs.feed(fragment)
    return refs.urls


def xml_urls(path: Path) -> Iterator[str]:
    """Every link of an XML feed: link/@href, enclosure/@url, RSS link, image url, icon, logo, OPML urls,
    and the href/src values inside escaped HTML content."""
    tree = etree.parse(str(path))
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        for attr in ("href", "url", "xmlUrl", "htmlUrl"):
            if el.get(attr) is not None:
                yield el.get(attr)
        if name in ("link", "url", "icon", "logo") and el.text and el.text.strip() and el.get("href") is None:
            yield el.text.strip()
        if name in ("content", "encoded", "description", "summary") and el.text and "<" in el.text:
            yield from html_urls(el.text)


def assert_links_resolve(out: Path, base: str, urls: list[str]) -> int:
    checked = 0
    for url in urls:
        scheme = urlsplit(url).scheme
        assert scheme in ("http", "https", "mailto"), f"not absolute: {url!r}"
        if url.startswith(base):
            assert local_file(out, base, url).is_file(), f"{url} → missing file"
            checked += 1
    return checked


# -- the article feeds -------------------------------------------------------------------------


def test_every_feed_parses_without_bozo(sample_out: Path, corpus_out: Path, archived_out: Path) -> None:
    count = 0
    for out in (sample_out, corpus_out, archived_out):
        for path in feed_files(out):
            parsed = parse(path)
            assert parsed.version in ("rss20", "atom10"), path
            count += 1
        assert json.loads((out / "feeds/feed.json").read_text("utf-8"))["items"]
    assert count >= 3 * 6


def test_seed_articles_with_headlines_bylines_and_page_category(sample_out: Path) -> None:
    expected = {"加快推进世界领先科技园区建设": "张伟", "政产学研共谋“人工智能+产业”发展路径": "霍立峰"}
    for name in ("rss.xml", "atom.xml"):
        entries = {e.title: e for e in parse(sample_out / "feeds" / name).entries}
        for headline, author in expected.items():
            entry = entries[headline]
            assert entry.author == author  # dc:creator in RSS, atom:author in Atom
            assert "第1版" in {t.term for t in entry.tags}
            assert "要闻" in {t.term for t in entry.tags}
            assert entry.link == SAMPLE_BASE + f"issues/{SEED_ID}/" + entry.id.rsplit("/", 1)[1] + ".html"
            assert entry.id.startswith(f"tag:127.0.0.1,{SEED_ID}:issues/{SEED_ID}/")
            assert entry.summary and "本报讯" in entry.content[0].value
    items = {i["title"]: i for i in json.loads((sample_out / "feeds/feed.json").read_text("utf-8"))["items"]}
    for headline, author in expected.items():
        assert items[headline]["authors"] == [{"name": author}]
        assert "第1版" in items[headline]["tags"]


def test_rss_details_readers_rely_on(sample_out: Path) -> None:
    tree = etree.parse(str(sample_out / "feeds/rss.xml"))
    channel = tree.getroot().find("channel")
    assert channel.findtext("language") == "zh-CN"
    assert channel.findtext("ttl") == "1440"
    assert channel.findtext("{http://purl.org/rss/1.0/modules/syndication/}updatePeriod") == "weekly"
    self_links = channel.findall(f"{ATOM}link[@rel='self']")
    assert [x.get("href") for x in self_links] == [SAMPLE_BASE + "feeds/rss.xml"]
    assert channel.findtext("image/url") == SAMPLE_BASE + "feeds/icon.png"
    assert channel.findtext("link") == SAMPLE_BASE
    for item in channel.iter("item"):
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and guid.text.startswith("tag:")
        assert item.find("{http://purl.org/rss/1.0/modules/content/}encoded").text.startswith("<")
        assert all(c.get("domain", "").startswith(SAMPLE_BASE) for c in item.iter("category"))
        assert item.find("author") is None  # no e-mail addresses: names go into dc:creator
    media = channel.findall("item/{http://search.yahoo.com/mrss/}content")
    assert [(m.get("url"), m.get("type"), m.get("width")) for m in media] == [
        (SAMPLE_BASE + f"issues/{SEED_ID}/media/images/kevin-kelly-ai-glasses.png", "image/png", "960")
    ]


def test_ids_unique_and_stable_across_builds(sample_out: Path, sample_again: Path) -> None:
    for name in ("rss.xml", "atom.xml", "editions.xml"):
        first = [e.id for e in parse(sample_out / "feeds" / name).entries]
        second = [e.id for e in parse(sample_again / "feeds" / name).entries]
        assert first and len(set(first)) == len(first) and first == second, name
    items = json.loads((sample_out / "feeds/feed.json").read_text("utf-8"))["items"]
    assert len({i["id"] for i in items}) == len(items)


def test_two_builds_are_byte_identical(sample_out: Path, sample_again: Path) -> None:
    for folder in ("feeds", "opds"):
        first = {p.relative_to(sample_out): p.read_bytes() for p in (sample_out / folder).rglob("*") if p.is_file()}
        second = {
            p.relative_to(sample_again): p.read_bytes() for p in (sample_again / folder).rglob("*") if p.is_file()
        }
        assert first and first == second


def test_every_link_is_absolute_and_resolves(sample_out: Path, corpus_out: Path, archived_out: Path) -> None:
    for out, base in ((sample_out, SAMPLE_BASE), (corpus_out, CORPUS_BASE), (archived_out, SAMPLE_BASE)):
        checked = 0
        for path in [*feed_files(out), out / "feeds/feeds.opml"]:
            checked += assert_links_resolve(out, base, list(xml_urls(path)))
        for name in ("feed.json", "editions.json"):
            data = json.loads((out / "feeds" / name).read_text("utf-8"))
            urls = [data["home_page_url"], data["feed_url"], data["icon"], data["favicon"]]
            for item in data["items"]:
                urls += [item["url"], *([item["image"]] if "image" in item else []), *html_urls(item["content_html"])]
                urls += [a["url"] for a in item.get("attachments", [])]
            checked += assert_links_resolve(out, base, urls)
        assert checked > 50


def test_photos_are_in_the_content_with_absolute_src(sample_out: Path) -> None:
    entry = next(e for e in parse(sample_out / "feeds/atom.xml").entries if e.title == "加快推进世界领先科技园区建设")
    srcs = [u for u in html_urls(entry.content[0].value) if u.endswith(".png")]
    assert srcs == [SAMPLE_BASE + f"issues/{SEED_ID}/media/images/kevin-kelly-ai-glasses.png"]


def test_times_carry_the_publication_offset(sample_out: Path) -> None:
    atom = etree.parse(str(sample_out / "feeds/atom.xml")).getroot()
    stamps = [el.text for el in atom.iter(f"{ATOM}updated", f"{ATOM}published")]
    assert stamps and all(s.endswith("+08:00") for s in stamps)
    assert atom.findtext(f"{ATOM}updated") == "2026-03-30T06:00:00+08:00"  # from the content, not now()
    rss = etree.parse(str(sample_out / "feeds/rss.xml")).getroot()
    dates = [el.text for el in rss.iter("pubDate", "lastBuildDate")]
    assert dates and all(d.endswith(" +0800") for d in dates)
    assert "Mon, 30 Mar 2026 06:00:00 +0800" in dates
    for item in json.loads((sample_out / "feeds/feed.json").read_text("utf-8"))["items"]:
        assert item["date_published"].endswith("+08:00") and item["date_modified"].endswith("+08:00")


def test_items_newest_issue_first_then_page_order(corpus_out: Path, sample_out: Path) -> None:
    content = load_content(SAMPLE)
    expected = [a.headline for issue in content.issues for a in issue.articles]
    assert [e.title for e in parse(sample_out / "feeds/rss.xml").entries] == expected
    assert [e.title for e in parse(sample_out / "feeds/atom.xml").entries] == expected
    corpus = load_content(CORPUS).issues[0]
    assert [e.title for e in parse(corpus_out / "feeds/atom.xml").entries] == [a.headline for a in corpus.articles]


# -- JSON Feed 1.1 -----------------------------------------------------------------------------

RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
AUTHOR = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "url": {"type": "string"}, "avatar": {"type": "string"}},
    "anyOf": [{"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}],
    "patternProperties": {"^_": {}},
    "additionalProperties": False,
}
# The field rules of https://www.jsonfeed.org/version/1.1/ (extensions start with "_").
JSON_FEED_11 = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": {"type": "string", "pattern": "^https?://"},
        "feed_url": {"type": "string", "pattern": "^https?://"},
        "description": {"type": "string"},
        "user_comment": {"type": "string"},
        "next_url": {"type": "string"},
        "icon": {"type": "string"},
        "favicon": {"type": "string"},
        "authors": {"type": "array", "items": AUTHOR},
        "language": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]+)*$"},
        "expired": {"type": "boolean"},
        "hubs": {"type": "array"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "external_url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": {"type": "string"},
                    "banner_image": {"type": "string"},
                    "date_published": {"type": "string", "pattern": RFC3339},
                    "date_modified": {"type": "string", "pattern": RFC3339},
                    "authors": {"type": "array", "items": AUTHOR},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "language": {"type": "string"},
                    "attachments": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["url", "mime_type"],
                            "properties": {
                                "url": {"type": "string"},
                                "mime_type": {"type": "string"},
                                "title": {"type": "string"},
                                "size_in_bytes": {"type": "integer"},
                                "duration_in_seconds": {"type": "number"},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "patternProperties": {"^_": {}},
                "additionalProperties": False,
            },
        },
    },
    "patternProperties": {"^_": {}},
    "additionalProperties": False,
}


def test_json_feed_follows_the_1_1_field_rules(sample_out: Path, corpus_out: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(JSON_FEED_11)
    for out in (sample_out, corpus_out):
        jsonschema.validate(json.loads((out / "feeds/editions.json").read_bytes()), JSON_FEED_11)
        data = json.loads((out / "feeds/feed.json").read_text("utf-8"))
        jsonschema.validate(data, JSON_FEED_11, cls=jsonschema.Draft202012Validator)
        assert data["language"] == "zh-CN"
        atom_ids = [e.id for e in parse(out / "feeds/atom.xml").entries]
        assert [i["id"] for i in data["items"]] == atom_ids  # the same items as RSS and Atom
    # the schema can fail: a JSON Feed 1.0 style author object is refused
    bad = {"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [{"id": "1", "author": {}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, JSON_FEED_11)


# -- per-page feeds and OPML -------------------------------------------------------------------


def test_one_feed_per_page_name(corpus_out: Path) -> None:
    issue = load_content(CORPUS).issues[0]
    pages = sorted((corpus_out / "feeds/pages").glob("*.xml"))
    assert len(pages) == len(issue.pages) == 6
    by_title = {}
    for path in pages:
        parsed = parse(path)
        name = parsed.feed.title.rsplit(" · ", 1)[1]
        by_title[name] = [e.title for e in parsed.entries]
        assert all(name in {t.term for t in e.tags} for e in parsed.entries)
    assert by_title == {p.name: [a.headline for a in p.articles] for p in issue.pages}


def test_opml_lists_every_feed(sample_out: Path, corpus_out: Path) -> None:
    for out, base in ((sample_out, SAMPLE_BASE), (corpus_out, CORPUS_BASE)):
        tree = etree.parse(str(out / "feeds/feeds.opml"))
        assert tree.getroot().get("version") == "2.0"
        listed = {o.get("xmlUrl") for o in tree.iter("outline") if o.get("xmlUrl")}
        feeds = {base + p.relative_to(out).as_posix() for p in (out / "feeds").rglob("*.xml")}
        feeds = {u for u in feeds if "/archive/" not in u} | {base + "feeds/feed.json", base + "feeds/editions.json"}
        assert listed == feeds
        assert all(o.get("type") == "rss" and o.get("text") for o in tree.iter("outline") if o.get("xmlUrl"))


# -- the editions feed ---------------------------------------------------------------------------


def test_editions_feed_attaches_pdf_and_epub_with_their_sizes(sample_out: Path) -> None:
    parsed = parse(sample_out / "feeds/editions.xml")
    entries = {e.id.rsplit("/", 1)[1]: e for e in parsed.entries}
    assert list(entries) == [SEED_ID, SAMPLE_ID]  # newest first
    seed = entries[SEED_ID]
    assert seed.summary.startswith("本期导读：共绘全球科技交流合作新图景（第2版）")
    kinds = {}
    for enc in seed.enclosures:
        path = local_file(sample_out, SAMPLE_BASE, enc.href)
        assert int(enc.length) == path.stat().st_size
        kinds[enc.type] = path
    assert set(kinds) == {"application/pdf", "application/epub+zip"}
    assert kinds["application/pdf"].read_bytes().startswith(b"%PDF-")
    with zipfile.ZipFile(kinds["application/epub+zip"]) as z:
        assert z.namelist()[0] == "mimetype" and z.read("mimetype") == b"application/epub+zip"
    # the sample issue has no PDF/EPUB in this release: no enclosure at all
    assert entries[SAMPLE_ID].enclosures == []
    assert entries[SAMPLE_ID].link == SAMPLE_BASE + f"issues/{SAMPLE_ID}/"
    # the JSON twin: the same files as attachments, the same ids
    items = json.loads((sample_out / "feeds/editions.json").read_text("utf-8"))["items"]
    assert [i["id"] for i in items] == [e.id for e in parsed.entries]
    attachments = {a["mime_type"]: a for a in items[0]["attachments"]}
    assert {t: a["size_in_bytes"] for t, a in attachments.items()} == {t: p.stat().st_size for t, p in kinds.items()}
    assert "attachments" not in items[1]
    # RSS twins for podcast apps: one feed per file type, one <enclosure> per item, only files that exist
    for mtype, name in (("application/pdf", "editions-pdf.xml"), ("application/epub+zip", "editions-epub.xml")):
        rss = parse(sample_out / "feeds" / name)
        assert rss.version == "rss20"
        [entry] = rss.entries
        assert entry.id.startswith(seed.id + "/")
        [enc] = entry.enclosures
        assert enc.type == mtype and enc.href == local_url(kinds[mtype], sample_out)
        assert int(enc.length) == kinds[mtype].stat().st_size
        if mtype == "application/pdf":
            assert entry.link == SAMPLE_BASE + f"issues/{SEED_ID}/"
    # The EPUB feed's item links the book itself (KOReader's news downloader fetches <link>, never the
    # enclosure, and keeps an application/epub+zip answer as the book); the issue page stays a related link.
    [entry] = parse(sample_out / "feeds/editions-epub.xml").entries
    assert entry.link.endswith(".epub") and entry.link == local_url(kinds["application/epub+zip"], sample_out)
    item = etree.parse(sample_out / "feeds/editions-epub.xml").find("channel/item")
    assert item.findtext("link") == entry.link
    [related] = item.findall(f"{ATOM}link[@rel='related']")
    assert related.get("href") == SAMPLE_BASE + f"issues/{SEED_ID}/" and related.get("type") == "text/html"
    assert {"rel": "related", "type": "text/html", "href": related.get("href")} in entry.links


def test_editions_feed_without_pdf_and_epub_formats(tmp_path: Path) -> None:
    out = build_with_fakes(copy_content(SAMPLE, tmp_path / "content"), tmp_path / "out", ("site", "feeds"))
    parsed = parse(out / "feeds/editions.xml")
    assert len(parsed.entries) == 2 and all(e.enclosures == [] for e in parsed.entries)


# -- RFC 5005 archives -------------------------------------------------------------------------


def test_archived_feed_lets_a_reader_backfill_every_issue(archived_out: Path) -> None:
    current = archived_out / "feeds/atom.xml"
    root = etree.parse(str(current)).getroot()
    assert root.find(f"{FH}archive") is None
    seen = [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]
    assert all(f"issues/{SEED_ID}/" in i for i in seen)  # feed_issues: 1
    link = root.find(f"{ATOM}link[@rel='prev-archive']")
    hops = 0
    while link is not None:
        path = local_file(archived_out, SAMPLE_BASE, link.get("href"))
        doc = etree.parse(str(path)).getroot()
        parse(path)
        assert doc.find(f"{FH}archive") is not None
        assert doc.find(f"{ATOM}link[@rel='current']").get("href") == SAMPLE_BASE + "feeds/atom.xml"
        assert doc.find(f"{ATOM}link[@rel='next-archive']") is None  # would depend on later issues
        seen += [e.findtext(f"{ATOM}id") for e in doc.iter(f"{ATOM}entry")]
        link = doc.find(f"{ATOM}link[@rel='prev-archive']")
        hops += 1
    assert hops == 1
    every = [i.tag_uri(load_content(SAMPLE).publication, a) for i in load_content(SAMPLE).issues for a in i.articles]
    assert sorted(seen) == sorted(every)
    # every issue has its own archive document, linked newest → oldest
    assert sorted(p.stem for p in (archived_out / "feeds/archive").glob("*.xml")) == [SAMPLE_ID, SEED_ID]


def test_archive_document_does_not_change_when_later_issues_appear(tmp_path: Path, archived_out: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    set_feed_issues(content, 1)
    shutil.rmtree(content / SEED_ID)  # as it was before the seed issue was published
    out = build_with_fakes(content, tmp_path / "out")
    rel = f"feeds/archive/{SAMPLE_ID}.xml"
    assert (out / rel).read_bytes() == (archived_out / rel).read_bytes()
    assert (out / "feeds/atom.xml").read_bytes() != (archived_out / "feeds/atom.xml").read_bytes()


# -- corrections, autodiscovery, stylesheet ------------------------------------------------------


def test_a_corrected_article_keeps_its_id_and_gets_a_new_updated(tmp_path: Path, sample_out: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    md = content / SEED_ID / "ai-plus-industry-forum.md"
    md.write_text(md.read_text("utf-8").replace("headline:", "updated: 2026-04-01T09:30:00+08:00\nheadline:", 1))
    out = build_with_fakes(content, tmp_path / "out")
    before = {e.id: e for e in parse(sample_out / "feeds/atom.xml").entries}
    after = {e.id: e for e in parse(out / "feeds/atom.xml").entries}
    assert before.keys() == after.keys()
    changed = [i for i in after if after[i].updated != before[i].updated]
    assert len(changed) == 1 and changed[0].endswith("/ai-plus-industry-forum")
    assert after[changed[0]].updated == "2026-04-01T09:30:00+08:00"
    assert after[changed[0]].published == before[changed[0]].published
    assert parse(out / "feeds/atom.xml").feed.updated == "2026-04-01T09:30:00+08:00"
    items = {i["id"]: i for i in json.loads((out / "feeds/feed.json").read_text("utf-8"))["items"]}
    assert items[changed[0]]["date_modified"] == "2026-04-01T09:30:00+08:00"


def test_web_pages_link_every_feed_for_autodiscovery(sample_out: Path) -> None:
    html = (sample_out / "index.html").read_text("utf-8")
    links = re.findall(r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)"', html)
    expected = {(mtype, SAMPLE_BASE + path) for fmt, path, mtype, _ in EDITION_LINKS if fmt in FORMATS}
    assert set(links) == expected
    assert ("text/x-opml", SAMPLE_BASE + "feeds/feeds.opml") in expected
    for _, url in links:
        assert local_file(sample_out, SAMPLE_BASE, url).is_file()


def test_stylesheet_makes_the_feeds_readable_in_a_browser(sample_out: Path) -> None:
    for rel in ("feeds/rss.xml", "feeds/atom.xml", "feeds/editions.xml", f"feeds/archive/{SEED_ID}.xml"):
        path = sample_out / rel
        match = re.search(rb'<\?xml-stylesheet type="text/xsl" href="([^"]+)"\?>', path.read_bytes())
        assert match, rel
        xsl = (path.parent / match.group(1).decode()).resolve()
        assert xsl == (sample_out / "feeds/feed.xsl").resolve() and xsl.is_file()
        page = str(etree.XSLT(etree.parse(str(xsl)))(etree.parse(str(path))))
        assert "中国高新技术产业导报" in page and "<li>" in page
        if rel != "feeds/editions.xml":
            assert "加快推进世界领先科技园区建设" in page


# -- bad input ---------------------------------------------------------------------------------

HOSTILE = """---
headline: '{headline}'
authors: [李雷]
tags: [测试]
---

<script>alert(1)</script>

<p onclick="steal()" onmouseover="x()">正文第一段。</p>

正文第二段，[相对链接](other.html)与[页内注释](#note)。

[绝对链接](https://example.org/a?b=1&c=2) 与 [坏链接](javascript:alert(1))。

<img src="x.png" onerror="alert(2)">
"""


def test_hostile_article_is_cleaned_in_every_feed(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    headline = "很长的标题 & <3 " + "长" * 280  # plain text with markup-like characters, near the limit
    (content / SEED_ID / "hostile.md").write_text(HOSTILE.format(headline=headline), "utf-8")
    issue_yaml = content / SEED_ID / "issue.yaml"
    issue_yaml.write_text(issue_yaml.read_text("utf-8") + "  - hostile\n", "utf-8")
    out = build_with_fakes(content, tmp_path / "out")
    permalink = SAMPLE_BASE + f"issues/{SEED_ID}/hostile.html"
    for name in ("rss.xml", "atom.xml"):
        entry = next(e for e in parse(out / "feeds" / name).entries if e.link == permalink)
        assert entry.title == headline
        body = entry.content[0].value
        assert "alert(2)" not in body and "x.png" not in body  # the <img onerror> is gone entirely
        for bad in ("<script", "onclick", "onmouseover", "onerror", 'href="javascript'):
            assert bad not in body, (name, bad)
        urls = html_urls(body)
        assert SAMPLE_BASE + f"issues/{SEED_ID}/other.html" in urls
        assert permalink + "#note" in urls
        assert all(urlsplit(u).scheme in ("http", "https") for u in urls), urls
    item = next(i for i in json.loads((out / "feeds/feed.json").read_text("utf-8"))["items"] if i["url"] == permalink)
    assert item["title"] == headline and "<script" not in item["content_html"] and "onclick" not in item["content_html"]


def _headline(content: Path, value: str) -> None:
    md = content / SAMPLE_ID / "rmw-40739069.md"
    md.write_text(re.sub(r"headline: (.*)", lambda _: f"headline: {value}", md.read_text("utf-8"), count=1), "utf-8")


def _no_articles(content: Path) -> None:
    issue = content / SAMPLE_ID / "issue.yaml"
    text = issue.read_text("utf-8")
    head, _, _ = text.partition("pages:")
    issue.write_text(head.replace("  article: rmw-40739069\n", "") + "pages:\n- number: 1\n  articles: []\n", "utf-8")
    for md in (content / SAMPLE_ID).glob("*.md"):
        md.unlink()


BAD_ISSUES = {
    # a YAML escape, so the character reaches the model (a raw one is refused by the YAML parser already)
    "control character in a title": (lambda c: _headline(c, '"坏\\a标题"'), "U+0007"),
    "HTML in a title": (lambda c: _headline(c, "<b>粗体</b>标题"), "HTML"),
    "an issue with no articles": (_no_articles, "at least 1 item"),
}


@pytest.mark.parametrize("case", BAD_ISSUES)
def test_a_bad_issue_stays_out_of_the_feeds_with_a_message(tmp_path: Path, case: str) -> None:
    spoil, message = BAD_ISSUES[case]
    content = copy_content(SAMPLE, tmp_path / "content")
    spoil(content)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(render.REGISTRY, "fakefiles", f"{__name__}:FakeFiles")
        result = build(content, tmp_path / "out", FORMATS)
    assert list(result.problems) == [SAMPLE_ID] and message in str(result.problems[SAMPLE_ID])
    out = (tmp_path / "out").resolve()
    for path in feed_files(out):
        assert b"\x07" not in path.read_bytes() and "粗体" not in path.read_text("utf-8")
        assert all(f"issues/{SAMPLE_ID}" not in e.id for e in parse(path).entries)
    assert [e.title for e in parse(out / "feeds/atom.xml").entries] == [
        "加快推进世界领先科技园区建设",
        "政产学研共谋“人工智能+产业”发展路径",
    ]


def test_base_url_without_scheme_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    pub = content / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("http://127.0.0.1:8000/", "paper.example.cn/"), "utf-8")
    with pytest.raises(ContentError, match="absolute http"):
        build(content, tmp_path / "out", ("site", "feeds", "opds"))
    assert not (tmp_path / "out").exists()


def job_for(content: Path, out: Path, issues: int | None = None, **kw: Any) -> Job:
    loaded = load_content(content)
    chosen = tuple(loaded.issues[:issues] if issues is not None else loaded.issues)
    return Job(loaded.publication, chosen, None, out, {i.id: content / i.id for i in chosen}, **kw)


def test_no_published_issue_gives_valid_empty_feeds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    written = FeedsRenderer().render(job_for(SAMPLE, out, issues=0))
    assert written
    for name in ("rss.xml", "atom.xml", "editions.xml"):
        parsed = parse(out / "feeds" / name)
        assert parsed.entries == []
    assert parse(out / "feeds/atom.xml").feed.updated == "1970-01-01T08:00:00+08:00"  # not now()
    assert json.loads((out / "feeds/feed.json").read_text("utf-8"))["items"] == []


def test_per_issue_pass_writes_nothing(tmp_path: Path) -> None:
    loaded = load_content(SAMPLE)
    job = Job(loaded.publication, tuple(loaded.issues), loaded.issues[0], tmp_path, {})
    assert FeedsRenderer().render(job) == []
    assert not any(tmp_path.iterdir())


def test_a_failure_is_a_render_error_and_leaves_no_half_written_feeds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    broken = tmp_path / "templates"
    shutil.copytree(SAMPLE.parent / "templates", broken)
    (broken / "feeds" / "logo.png").unlink()  # read last: every feed document is made by then
    with pytest.raises(RenderError, match=r"feeds: .*logo\.png"):
        FeedsRenderer().render(job_for(SAMPLE, out, templates_dir=broken))
    assert not any(out.rglob("*"))


def test_the_pipeline_keeps_the_previous_release_when_feeds_fail(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    first = build_with_fakes(content, tmp_path / "out", ("site", "feeds"))
    broken = tmp_path / "templates"
    shutil.copytree(SAMPLE.parent / "templates", broken)
    (broken / "feeds" / "feed.xsl").unlink()
    with pytest.raises(PublishError, match=r"feed\.xsl"):
        build(content, tmp_path / "out", ("site", "feeds"), templates_dir=broken)
    assert (tmp_path / "out").resolve() == first and (first / "feeds/atom.xml").is_file()


def test_corpus_feed_has_every_article_of_the_issue(corpus_out: Path) -> None:
    parsed = parse(corpus_out / "feeds/rss.xml")
    assert len(parsed.entries) == 29
    assert all(e.id.startswith(f"tag:paper.example.cn,{CORPUS_ID}:") for e in parsed.entries)
    assert parsed.feed.language == "zh-CN"


def test_a_sample_issue_says_so_in_every_feed(sample_out: Path) -> None:
    """`sample: true` reached the web page only: feed items (RSS/Atom/JSON) and edition entries of a sample
    issue carry SAMPLE_NOTICE; those of a real issue do not (#11)."""
    from exporter.model import SAMPLE_NOTICE

    def of(entry_id: str) -> str:
        return SAMPLE_ID if f"issues/{SAMPLE_ID}" in entry_id else SEED_ID

    seen = set()
    for name in ("rss.xml", "atom.xml", "editions.xml"):
        for entry in parse(sample_out / "feeds" / name).entries:
            issue = of(entry.id)
            seen.add((name, issue))
            text = entry.summary + "".join(c.value for c in entry.get("content", []))
            assert (SAMPLE_NOTICE in text) == (issue == SAMPLE_ID), (name, entry.id)
    for name in ("feed.json", "editions.json"):
        path = sample_out / "feeds" / name
        if not path.exists():
            continue
        for item in json.loads(path.read_text("utf-8"))["items"]:
            issue = of(item["id"])
            seen.add((name, issue))
            assert item["summary"].startswith(SAMPLE_NOTICE) == (issue == SAMPLE_ID), (name, item["id"])
            assert (SAMPLE_NOTICE in item["content_html"]) == (issue == SAMPLE_ID), (name, item["id"])
    assert {("rss.xml", SAMPLE_ID), ("atom.xml", SAMPLE_ID), ("feed.json", SAMPLE_ID)} <= seen
    assert {("rss.xml", SEED_ID), ("atom.xml", SEED_ID), ("feed.json", SEED_ID)} <= seen
