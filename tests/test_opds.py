"""OPDS 1.2: the root navigation feed and the newest-first acquisition feed of issues.

Checked with feedparser (bozo 0) and lxml: feed kinds, links that resolve to files of the declared
type and length, covers, the issue's metadata, and newest-first order (what e-reader sync relies on).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from exporter.load import load_content
from exporter.render.opds import ACQUISITION_TYPE, NAVIGATION_TYPE, OpdsRenderer
from tests.conftest import CORPUS, CORPUS_ID, SAMPLE, SEED_ID, copy_content
from tests.test_feeds import CORPUS_BASE, SAMPLE_BASE, SAMPLE_ID, build_with_fakes, job_for, local_file

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/terms/}"
ACQUIRE = "http://opds-spec.org/acquisition/open-access"
MAGIC = {"application/pdf": b"%PDF-", "application/epub+zip": b"PK\x03\x04", "image/png": b"\x89PNG\r\n\x1a\n"}


@pytest.fixture(scope="session")
def opds_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opds-sample")
    return build_with_fakes(copy_content(SAMPLE, root / "content"), root / "out")


@pytest.fixture(scope="session")
def opds_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opds-corpus")
    return build_with_fakes(copy_content(CORPUS, root / "content"), root / "out")


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_root_catalog_is_a_navigation_feed_leading_to_the_issues(opds_sample: Path) -> None:
    root = etree.parse(str(opds_sample / "opds/catalog.xml")).getroot()
    parse(opds_sample / "opds/catalog.xml")
    assert root.tag == f"{ATOM}feed"
    links = {x.get("rel"): x for x in root.findall(f"{ATOM}link")}
    assert links["self"].get("type") == NAVIGATION_TYPE
    assert links["start"].get("href") == SAMPLE_BASE + "opds/catalog.xml"
    assert links["http://opds-spec.org/sort/new"].get("type") == ACQUISITION_TYPE
    entry, by_date = root.findall(f"{ATOM}entry")
    sub = entry.find(f"{ATOM}link[@rel='subsection']")
    assert sub.get("type") == ACQUISITION_TYPE
    assert local_file(opds_sample, SAMPLE_BASE, sub.get("href")) == opds_sample / "opds/issues.xml"
    assert entry.findtext(f"{ATOM}updated") == "2026-03-30T06:00:00+08:00"
    sub = by_date.find(f"{ATOM}link[@rel='subsection']")
    assert sub.get("type") == NAVIGATION_TYPE
    assert local_file(opds_sample, SAMPLE_BASE, sub.get("href")) == opds_sample / "opds/archive.xml"
    opds2 = root.find(f"{ATOM}link[@type='application/opds+json']")
    assert local_file(opds_sample, SAMPLE_BASE, opds2.get("href")) == opds_sample / "opds/catalog.json"


def test_acquisition_links_resolve_to_files_of_the_declared_type(opds_sample: Path, opds_corpus: Path) -> None:
    checked = 0
    for out, base in ((opds_sample, SAMPLE_BASE), (opds_corpus, CORPUS_BASE)):
        parse(out / "opds/issues.xml")
        root = etree.parse(str(out / "opds/issues.xml")).getroot()
        assert root.find(f"{ATOM}link[@rel='self']").get("type") == ACQUISITION_TYPE
        for link in root.iter(f"{ATOM}link"):
            href = link.get("href")
            assert href.startswith(base), href
            path = local_file(out, base, href)
            assert path.is_file(), href
            mtype = link.get("type")
            if mtype in MAGIC:
                assert path.read_bytes().startswith(MAGIC[mtype]), href
                checked += 1
            if link.get("rel") == ACQUIRE:
                assert int(link.get("length")) == path.stat().st_size
            if mtype == "application/epub+zip":
                with zipfile.ZipFile(path) as z:
                    assert z.read("mimetype") == b"application/epub+zip"
    assert checked == 2 * 4  # two issues with files × (EPUB, PDF, cover, thumbnail)


def test_issue_entries_carry_metadata_covers_and_epub_first(opds_sample: Path) -> None:
    root = etree.parse(str(opds_sample / "opds/issues.xml")).getroot()
    entries = root.findall(f"{ATOM}entry")
    # the sample history issue has no PDF/EPUB in this release, so it is not offered for download
    assert [e.findtext(f"{ATOM}id") for e in entries] == [f"tag:127.0.0.1,{SEED_ID}:issues/{SEED_ID}"]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == "中国高新技术产业导报 2026年3月30日 星期一 第11期（总第2663期）"
    assert entry.findtext(f"{DC}issued") == "2026-03-30"
    assert entry.findtext(f"{DC}language") == "zh-CN"
    assert entry.findtext(f"{DC}publisher") == "科技日报社"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "科技日报社"
    assert entry.findtext(f"{ATOM}summary").startswith("本期导读：")
    assert entry.findtext(f"{ATOM}updated").endswith("+08:00")
    acquisitions = [x.get("type") for x in entry.findall(f"{ATOM}link[@rel='{ACQUIRE}']")]
    assert acquisitions == ["application/epub+zip", "application/pdf"]
    rels = {x.get("rel") for x in entry.findall(f"{ATOM}link")}
    assert {"http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail", "alternate"} <= rels


def test_acquisition_feed_is_newest_first(tmp_path: Path) -> None:
    # give every issue files, then check the order e-readers sync by
    from tests.test_feeds import FakeFiles

    saved = set(FakeFiles.skip)
    FakeFiles.skip.clear()
    try:
        # in the build process: a render process would not see FakeFiles.skip changed here
        out = build_with_fakes(
            copy_content(SAMPLE, tmp_path / "content"), tmp_path / "out", options={"pdf_isolate": False}
        )
    finally:
        FakeFiles.skip.update(saved)
    parsed = parse(out / "opds/issues.xml")
    ids = [e.id.rsplit("/", 1)[1] for e in parsed.entries]
    assert ids == [SEED_ID, SAMPLE_ID]
    assert [i.id for i in load_content(SAMPLE).issues] == ids
    dates = [e.updated for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)


def test_opds_renderer_alone_and_without_files(tmp_path: Path) -> None:
    """Without PDF/EPUB in the release the catalog is valid and empty; per-issue jobs write nothing."""
    out = tmp_path / "out"
    out.mkdir()
    written = OpdsRenderer().render(job_for(SAMPLE, out, formats=("opds",)))
    assert {p.relative_to(out).as_posix() for p in written} == {
        "opds/catalog.xml", "opds/issues.xml", "opds/archive.xml", "opds/catalog.json", "feeds/icon.png"
    }  # fmt: skip
    assert parse(out / "opds/issues.xml").entries == []
    assert parse(out / "opds/archive.xml").entries == []  # no year has an issue to acquire
    loaded = load_content(CORPUS)
    from exporter.render import Job

    job = Job(loaded.publication, tuple(loaded.issues), loaded.issues[0], tmp_path / "x", {})
    assert OpdsRenderer().render(job) == []
    assert loaded.issues[0].id == CORPUS_ID


def test_a_sample_issue_says_so_in_its_opds_entry(opds_sample: Path, opds_corpus: Path) -> None:
    """The corpus issue is `sample: true`: its OPDS entry's summary and content carry SAMPLE_NOTICE (#11)."""
    from exporter.model import SAMPLE_NOTICE

    [entry] = etree.parse(str(opds_corpus / "opds/issues.xml")).getroot().findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}summary").startswith(SAMPLE_NOTICE + "本期导读：")
    assert SAMPLE_NOTICE in entry.findtext(f"{ATOM}content")
    [seed] = etree.parse(str(opds_sample / "opds/issues.xml")).getroot().findall(f"{ATOM}entry")
    assert SAMPLE_NOTICE not in etree.tostring(seed, encoding="unicode")


def test_navigation_by_year_and_month_leads_to_every_listed_issue(tmp_path: Path) -> None:
    """opds/archive.xml → a year's months → a month's acquisition feed: every issue with files, once."""
    from tests import archive as generated

    content = generated.generate(tmp_path / "content", 9)  # 2022-01-03 … 2022-02-28, weekly
    out = build_with_fakes(content, tmp_path / "out")
    root = etree.parse(str(out / "opds/archive.xml")).getroot()
    parse(out / "opds/archive.xml")
    assert root.find(f"{ATOM}link[@rel='self']").get("type") == NAVIGATION_TYPE
    assert root.find(f"{ATOM}link[@rel='up']").get("href") == SAMPLE_BASE + "opds/catalog.xml"
    found: list[str] = []
    [year] = root.findall(f"{ATOM}entry")
    assert year.findtext(f"{ATOM}title") == "2022年"
    link = year.find(f"{ATOM}link[@rel='subsection']")
    assert link.get("type") == NAVIGATION_TYPE
    year_path = local_file(out, SAMPLE_BASE, link.get("href"))
    assert year_path == out / "opds/archive/2022.xml"
    parse(year_path)
    months = etree.parse(str(year_path)).getroot().findall(f"{ATOM}entry")
    assert [m.findtext(f"{ATOM}title") for m in months] == ["2022年2月", "2022年1月"]  # newest first
    for month in months:
        link = month.find(f"{ATOM}link[@rel='subsection']")
        assert link.get("type") == ACQUISITION_TYPE
        path = local_file(out, SAMPLE_BASE, link.get("href"))
        parsed = parse(path)
        feed = etree.parse(str(path)).getroot()
        assert feed.find(f"{ATOM}link[@rel='self']").get("type") == ACQUISITION_TYPE
        assert feed.find(f"{ATOM}link[@rel='up']").get("href") == SAMPLE_BASE + "opds/archive/2022.xml"
        dates = [e.updated for e in parsed.entries]
        assert dates == sorted(dates, reverse=True)
        for entry in feed.findall(f"{ATOM}entry"):
            acquire = entry.findall(f"{ATOM}link[@rel='{ACQUIRE}']")
            assert acquire and all(local_file(out, SAMPLE_BASE, a.get("href")).is_file() for a in acquire)
            found.append(entry.findtext(f"{ATOM}id").rsplit("/", 1)[1])
    assert found == [i.id for i in load_content(content).issues]
    assert len(found) == 9
