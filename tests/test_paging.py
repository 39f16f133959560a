"""The documents that list every issue are paged: the editions feeds and the OPDS acquisition feed.

A long archive (61 issues) is built with fake PDF/EPUB files. A reader that starts at the subscription
document and follows the paging links (RFC 5005 ``prev-archive``, JSON Feed ``next_url``, OPDS
``next``) sees every issue exactly once, newest first. Older pages are counted from the oldest issue,
so adding an issue leaves them byte-identical (and the same files: nothing is rewritten).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from exporter.load import load_content
from exporter.render.feeds import PAGE_ISSUES, stable_pages
from exporter.serve import SNIFF, media_type
from tests import archive as generated
from tests.conftest import tree_bytes, tree_inodes
from tests.test_feeds import FH, SAMPLE_BASE, build_with_fakes, local_file, parse

ATOM = "{http://www.w3.org/2005/Atom}"
ISSUES = 3 * PAGE_ISSUES + 1  # the current document (21 issues) and two full older pages
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The long archive built once, then with one more issue (into the same output)."""
    generator = generated
    base = tmp_path_factory.mktemp("paging")
    content = generator.generate(base / "content", ISSUES)
    out = base / "out"
    before = build_with_fakes(content, out)
    found: dict[str, Any] = {"content": content, "ids": [i.id for i in load_content(content).issues]}
    found["before"], found["before_inodes"] = tree_bytes(before), tree_inodes(before)
    generator.write_issue(content, ISSUES)
    found["out"] = build_with_fakes(content, out)
    found["ids_after"] = [i.id for i in load_content(content).issues]
    return found


def _walk_xml(out: Path, start: str, rel: str, check: Callable[[Any, int], None]) -> list[str]:
    """Issue ids in reading order, following ``rel`` links from ``start``; ``check(root, hop)`` per document."""
    path, ids, hop = out / start, [], 0
    while True:
        root = etree.parse(str(path)).getroot()
        parse(path)  # feedparser: no bozo
        check(root, hop)
        if root.tag == "rss":
            ids += [guid.rsplit("/", 1)[0].rsplit("/", 1)[1] for guid in root.xpath("channel/item/guid/text()")]
            link = root.find(f"channel/{ATOM}link[@rel='{rel}']")
        else:
            ids += [e.findtext(f"{ATOM}id").rsplit("/", 1)[1] for e in root.iter(f"{ATOM}entry")]
            link = root.find(f"{ATOM}link[@rel='{rel}']")
        if link is None:
            return ids
        path = local_file(out, SAMPLE_BASE, link.get("href"))
        hop += 1


def test_editions_atom_pages_hold_every_issue_once(archive: dict[str, Any]) -> None:
    def check(root: Any, hop: int) -> None:
        assert root.findtext(f"{ATOM}id") == SAMPLE_BASE + "feeds/editions.xml"  # one logical feed
        assert (root.find(f"{FH}archive") is not None) == (hop > 0)
        if hop:
            assert root.find(f"{ATOM}link[@rel='current']").get("href") == SAMPLE_BASE + "feeds/editions.xml"
            assert len(root.findall(f"{ATOM}entry")) == PAGE_ISSUES
            assert root.find(f"{ATOM}link[@rel='enclosure']") is None  # enclosures are on entries
            assert root.find(f"{ATOM}entry/{ATOM}link[@rel='enclosure']") is not None

    assert _walk_xml(archive["out"], "feeds/editions.xml", "prev-archive", check) == archive["ids_after"]
    current = etree.parse(str(archive["out"] / "feeds/editions.xml")).getroot()
    assert len(current.findall(f"{ATOM}entry")) == PAGE_ISSUES + 2  # 62 issues: 22 + 2 pages of 20


def test_editions_rss_pages_hold_every_file_once(archive: dict[str, Any]) -> None:
    out = archive["out"]
    for name in ("editions-pdf.xml", "editions-epub.xml"):

        def check(root: Any, hop: int) -> None:
            channel = root.find("channel")
            assert (channel.find(f"{FH}archive") is not None) == (hop > 0)
            assert all(len(item.findall("enclosure")) == 1 for item in channel.iter("item"))

        ids = _walk_xml(out, f"feeds/{name}", "prev-archive", check)
        assert ids == archive["ids_after"]


def test_editions_json_pages_follow_next_url(archive: dict[str, Any]) -> None:
    out, ids = archive["out"], []
    path: Path | None = out / "feeds/editions.json"
    while path is not None:
        data = json.loads(path.read_bytes())
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        assert all(item["attachments"] for item in data["items"])
        ids += [item["id"].rsplit("/", 1)[1] for item in data["items"]]
        path = local_file(out, SAMPLE_BASE, data["next_url"]) if "next_url" in data else None
    assert ids == archive["ids_after"]


def test_opds_acquisition_feed_pages_link_both_ways(archive: dict[str, Any]) -> None:
    out = archive["out"]
    seen: list[str] = []

    def check(root: Any, hop: int) -> None:
        seen.append(root.find(f"{ATOM}link[@rel='self']").get("href"))
        for rel in ("self", "next", "previous", "first"):
            for link in root.findall(f"{ATOM}link[@rel='{rel}']"):
                assert link.get("type") == ACQUISITION
        if hop:
            assert root.find(f"{ATOM}link[@rel='first']").get("href") == SAMPLE_BASE + "opds/issues.xml"
            assert root.find(f"{ATOM}link[@rel='previous']").get("href") == seen[-2]

    ids = _walk_xml(out, "opds/issues.xml", "next", check)
    assert ids == archive["ids_after"]
    assert len(seen) == 3


def test_adding_an_issue_leaves_older_pages_untouched(archive: dict[str, Any]) -> None:
    before, after = archive["before"], tree_bytes(archive["out"])
    after_inodes = tree_inodes(archive["out"])
    pages = [rel for rel in after if rel.startswith(("feeds/archive/editions", "opds/issues/"))]
    assert len(pages) == 2 * 6  # two older pages of four editions feeds and of the OPDS 1.2 and 2.0 feeds
    for rel in pages:
        assert after[rel] == before[rel], rel
        assert after_inodes[rel] == archive["before_inodes"][rel], f"{rel} was rewritten"
    for rel in ("feeds/editions.xml", "feeds/editions.json", "feeds/editions-pdf.xml", "opds/issues.xml",
                "opds/catalog.json"):  # fmt: skip
        assert after[rel] != before[rel], rel


def test_a_changed_old_issue_changes_its_page_only(tmp_path: Path, archive: dict[str, Any]) -> None:
    content = shutil.copytree(archive["content"], tmp_path / "content")
    out = build_with_fakes(content, tmp_path / "out")
    assert tree_bytes(out) == tree_bytes(archive["out"])  # the same content gives the same bytes
    oldest = archive["ids_after"][-1]
    article = sorted((content / oldest).glob("*.md"))[0]
    article.write_text(article.read_text("utf-8").replace("headline: ", "headline: 更正 ", 1), "utf-8")
    changed = tree_bytes(build_with_fakes(content, tmp_path / "out"))
    old = tree_bytes(archive["out"])
    pages = sorted(rel for rel in changed if rel.startswith(("feeds/archive/editions", "opds/issues/")))
    differ = [rel for rel in pages if changed[rel] != old[rel]]
    assert differ == [
        "feeds/archive/editions-epub/0001.xml",
        "feeds/archive/editions-pdf/0001.xml",
        "feeds/archive/editions/0001.json",
        "feeds/archive/editions/0001.xml",
        "opds/issues/0001.xml",  # (the OPDS 2.0 page shows 导读, not the changed headline: it stays the same)
    ]


def test_pages_are_served_as_what_they_are(archive: dict[str, Any]) -> None:
    out = archive["out"]
    expected = {
        "feeds/archive/editions/0001.xml": "application/atom+xml; charset=utf-8",
        "feeds/archive/editions/0001.json": "application/feed+json; charset=utf-8",
        "feeds/archive/editions-pdf/0001.xml": "application/rss+xml; charset=utf-8",
        "feeds/archive/editions-epub/0002.xml": "application/rss+xml; charset=utf-8",
        "opds/issues/0002.xml": ACQUISITION + "; charset=utf-8",
        "opds/issues/0002.json": "application/opds+json; charset=utf-8",
        "opds/archive/2022.xml": "application/atom+xml;profile=opds-catalog;kind=navigation; charset=utf-8",
        "opds/archive/2022/03.xml": ACQUISITION + "; charset=utf-8",
        "opds/archive/2022/03.json": "application/opds+json; charset=utf-8",
        "opds/catalog.json": "application/opds+json; charset=utf-8",
    }
    for rel, mtype in expected.items():
        assert media_type(rel, (out / rel).read_bytes()[:SNIFF]) == mtype, rel


def test_stable_pages_split_every_length_the_same_way() -> None:
    """For every archive length: all issues once, newest first; full pages; a page never changes."""
    before: dict[int, tuple[int, ...]] = {}
    for n in range(0, 5 * PAGE_ISSUES + 3):
        issues = list(range(n, 0, -1))  # stand-ins, newest first; 1 is the first issue ever
        current, pages = stable_pages(issues)  # type: ignore[arg-type]
        assert current + [i for page in pages for i in page.issues] == issues
        assert min(n, PAGE_ISSUES) <= len(current) < 2 * PAGE_ISSUES
        assert [page.number for page in pages] == list(range(len(pages), 0, -1))
        now = {page.number: page.issues for page in pages}
        for number, held in now.items():
            assert held == tuple(range(number * PAGE_ISSUES, (number - 1) * PAGE_ISSUES, -1))
            assert before.get(number, held) == held  # adding an issue never changes an existing page
        assert set(before) <= set(now)
        before = now
