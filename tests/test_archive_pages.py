"""往期 by year and month, the sitemaps and robots.txt.

A generated weekly archive (tests/archive.py, 2022-01-03 on) is built with fake PDF/EPUB files, then
rebuilt with one more issue in the latest month, then with one that starts a new month. The calendars
are parsed with lxml: every issue is linked from its month's and its year's calendar, on its weekday's
column (Monday first), tables have a caption and column headers; the month pages chain by their
previous/next links. Incremental: a new issue rewrites only its month's, its year's and the front
documents; every other month's files keep their bytes and their inode (they were not written again).
The sitemaps are parsed with lxml: namespaces, absolute URLs below the base URL, W3C dates from the
content, every issue page and article permalink listed once, Google News entries for the latest issue.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from exporter import paths
from exporter.load import load_content
from tests import archive as generated
from tests.conftest import tree_bytes, tree_inodes
from tests.test_feeds import SAMPLE_BASE, build_with_fakes, local_file

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ISSUES = 10  # 2022-01-03 … 2022-03-07, weekly
WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three builds into one output: 10 issues; + 2022-03-14 (same month); + 2022-03-21…04-04 (new month)."""
    base = tmp_path_factory.mktemp("archive-pages")
    content = generated.generate(base / "content", ISSUES)
    out = base / "out"
    found: dict[str, Any] = {"content": content}
    found["first"] = build_with_fakes(content, out)
    found["first_bytes"], found["first_inodes"] = tree_bytes(out), tree_inodes(out)
    generated.write_issue(content, ISSUES)  # 2022-03-14
    build_with_fakes(content, out)
    found["second_bytes"], found["second_inodes"] = tree_bytes(out), tree_inodes(out)
    for index in range(ISSUES + 1, ISSUES + 4):  # 2022-03-21, 03-28, 04-04
        generated.write_issue(content, index)
    found["out"] = build_with_fakes(content, out)
    found["third_bytes"], found["third_inodes"] = tree_bytes(out), tree_inodes(out)
    found["issues"] = load_content(content).issues
    return found


def changed(before: dict[str, bytes], after: dict[str, bytes], prefixes: tuple[str, ...]) -> set[str]:
    return {rel for rel in set(before) | set(after) if rel.startswith(prefixes) and before.get(rel) != after.get(rel)}


ARCHIVE_FILES = ("archive/", "sitemaps/", "opds/archive", "index.html", "sitemap.xml")


def test_a_new_issue_rewrites_only_its_month_its_year_and_the_front_documents(archive: dict[str, Any]) -> None:
    first, second = archive["first_bytes"], archive["second_bytes"]
    assert changed(first, second, ARCHIVE_FILES) == {
        "index.html",
        "archive/2022/03.html",
        "archive/2022/index.html",
        "sitemap.xml",
        "sitemaps/2022-03.xml",
        "sitemaps/news.xml",
        "opds/archive.xml",
        "opds/archive/2022.xml",
        "opds/archive/2022.json",
        "opds/archive/2022/03.xml",
        "opds/archive/2022/03.json",
    }
    # the other months' files were not written again: the release links the same files
    for rel in ("archive/2022/01.html", "archive/2022/02.html", "sitemaps/2022-01.xml", "opds/archive/2022/02.xml",
                "opds/archive/2022/01.json"):  # fmt: skip
        assert first[rel] == second[rel]
        assert archive["first_inodes"][rel] == archive["second_inodes"][rel], rel


def test_a_new_month_also_links_the_month_before_it(archive: dict[str, Any]) -> None:
    second, third = archive["second_bytes"], archive["third_bytes"]
    assert changed(second, third, ("archive/", "sitemaps/2022-0")) == {
        "archive/2022/03.html",  # two more issues, and a link to April
        "archive/2022/04.html",  # new
        "archive/2022/index.html",
        "sitemaps/2022-03.xml",
        "sitemaps/2022-04.xml",
    }
    assert 'rel="next" href="../../archive/2022/04.html"' in third["archive/2022/03.html"].decode()
    assert archive["second_inodes"]["archive/2022/02.html"] == archive["third_inodes"]["archive/2022/02.html"]


def _doc(out: Path, rel: str) -> Any:
    return html.fromstring((out / rel).read_bytes())


def _check_table(table: Any) -> None:
    assert table.find("caption") is not None and table.find("caption").text_content().strip()
    heads = table.findall("thead/tr/th")
    assert [th.text for th in heads] == WEEKDAYS
    assert all(th.get("scope") == "col" for th in heads)
    assert all(len(tr.findall("td")) == 7 for tr in table.findall("tbody/tr"))


def _linked_days(table: Any, page: Path, out: Path) -> dict[str, int]:
    """issue id → the column (0 = Monday) of its day, for every day link of a calendar table."""
    found = {}
    for tr in table.findall("tbody/tr"):
        for column, td in enumerate(tr.findall("td")):
            for a in td.findall("a"):
                target = (page.parent / a.get("href")).resolve()
                assert target.is_file(), a.get("href")
                issue_id = target.parent.name
                assert int(a.text) == date.fromisoformat(issue_id).day
                found[issue_id] = column
    return found


def test_month_calendars_link_every_issue_on_its_weekday(archive: dict[str, Any]) -> None:
    out: Path = archive["out"]
    issues = archive["issues"]
    assert len(issues) == ISSUES + 4
    linked_month: dict[str, int] = {}
    linked_year: dict[str, int] = {}
    for month_page in sorted((out / "archive").glob("*/[0-9][0-9].html")):
        doc = _doc(out, str(month_page.relative_to(out)))
        [table] = doc.findall(".//table")
        _check_table(table)
        linked_month.update(_linked_days(table, month_page, out))
        listed = [a.get("href") for a in doc.findall(".//ol[@class='issues']/li/a")]
        assert listed and all(h.startswith("../../issues/") for h in listed)
    for year_page in sorted((out / "archive").glob("*/index.html")):
        tables = _doc(out, str(year_page.relative_to(out))).findall(".//table")
        assert len(tables) == 12
        for table in tables:
            _check_table(table)
            linked_year.update(_linked_days(table, year_page, out))
    expected = {i.id: i.date.weekday() for i in issues}
    assert linked_month == expected
    assert linked_year == expected
    assert {d.weekday() for d in map(date.fromisoformat, expected)} == {0}  # the generated issues are Mondays


def test_month_pages_chain_by_previous_and_next(archive: dict[str, Any]) -> None:
    out: Path = archive["out"]
    months = sorted(str(p.relative_to(out)) for p in (out / "archive").glob("*/[0-9][0-9].html"))
    assert months == ["archive/2022/01.html", "archive/2022/02.html", "archive/2022/03.html", "archive/2022/04.html"]
    seen, rel = [], months[-1]
    while rel:
        seen.append(rel)
        prev = _doc(out, rel).find(".//a[@rel='prev']")
        rel = str((out / rel).parent.joinpath(prev.get("href")).resolve().relative_to(out)) if prev is not None else ""
    assert seen == months[::-1]
    assert _doc(out, months[-1]).find(".//a[@rel='next']") is None


def test_home_page_lists_recent_issues_and_every_month(archive: dict[str, Any]) -> None:
    out: Path = archive["out"]
    doc = _doc(out, "index.html")
    recent = [a.get("href") for a in doc.findall(".//section[@class='archive']//ol/li/a[1]")]
    newest = [i.id for i in archive["issues"][:12]]
    assert recent == [f"issues/{i}/index.html" for i in newest]
    months = {a.get("href") for a in doc.findall(".//ul[@class='year-list']//a")}
    assert months == {"archive/2022/index.html", *(f"archive/2022/0{m}.html" for m in range(1, 5))}
    issue_page = _doc(out, f"issues/{newest[0]}/index.html")
    assert issue_page.find(".//nav[@class='crumbs']/a[2]").get("href") == "../../archive/2022/04.html"


def test_archive_pages_fit_a_phone_in_a_real_browser(archive: dict[str, Any], tmp_path: Path) -> None:
    """Chromium, the page in a 390 px wide frame (a headless window is at least 500 px): no page is wider
    than the frame (no sideways scrolling), and the calendars of a year stack in one column."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    out: Path = archive["out"]
    measure = (
        'document.getElementById("f").onload = function () { var d = this.contentDocument;'
        " var lefts = new Set(Array.from(d.querySelectorAll('table.calendar'), t => t.getBoundingClientRect().left));"
        ' document.body.dataset.width = d.documentElement.scrollWidth + " " + this.contentWindow.innerWidth'
        ' + " " + lefts.size; };'
    )
    for rel in ("archive/2022/index.html", "archive/2022/03.html", "index.html"):
        page = out / rel
        harness = page.with_name(".phone.html")
        harness.write_text(
            f'<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{page.name}"'
            f' style="width:390px;height:844px;border:0"></iframe><script>{measure}</script></body></html>',
            "utf-8",
        )
        try:
            dom = subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                 "--window-size=800,900", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", harness.as_uri()],
                capture_output=True, text=True, timeout=120, check=True,
            ).stdout  # fmt: skip
        finally:
            harness.unlink()
        found = re.search(r'data-width="(\d+) (\d+) (\d+)"', dom)
        assert found, (rel, dom[-500:])
        width, window, columns = map(int, found.groups())
        assert window == 390 and width <= window, (rel, width)
        assert columns <= 1, (rel, columns)


# -- sitemaps and robots.txt ---------------------------------------------------------------------


def _w3c(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def test_sitemap_index_lists_the_news_and_month_sitemaps(archive: dict[str, Any]) -> None:
    out: Path = archive["out"]
    root = etree.parse(str(out / "sitemap.xml")).getroot()
    assert root.tag == f"{SM}sitemapindex"
    locs = [s.findtext(f"{SM}loc") for s in root.findall(f"{SM}sitemap")]
    assert locs == [SAMPLE_BASE + "sitemaps/news.xml"] + [SAMPLE_BASE + f"sitemaps/2022-0{m}.xml" for m in (4, 3, 2, 1)]
    for s in root.findall(f"{SM}sitemap"):
        assert local_file(out, SAMPLE_BASE, s.findtext(f"{SM}loc")).is_file()
        _w3c(s.findtext(f"{SM}lastmod"))


def test_month_sitemaps_list_every_issue_and_article_once_with_content_dates(archive: dict[str, Any]) -> None:
    out: Path = archive["out"]
    urls: dict[str, str] = {}
    for path in sorted((out / "sitemaps").glob("20*.xml")):
        root = etree.parse(str(path)).getroot()
        assert root.tag == f"{SM}urlset" and root.nsmap == {None: SM[1:-1]}
        for url in root.findall(f"{SM}url"):
            loc = url.findtext(f"{SM}loc")
            assert loc.startswith(SAMPLE_BASE) and loc not in urls
            assert local_file(out, SAMPLE_BASE, loc).is_file()
            urls[loc] = url.findtext(f"{SM}lastmod")
    expected: dict[str, datetime] = {}
    for issue in archive["issues"]:
        expected[SAMPLE_BASE + issue.dir] = issue.updated
        for a in issue.articles:
            expected[SAMPLE_BASE + issue.article_path(a)] = issue.article_updated(a)
    pages = {loc: _w3c(value) for loc, value in urls.items() if "/archive/" not in loc}
    assert pages == expected
    assert sum("/archive/" in loc for loc in urls) == 4


def test_news_sitemap_has_the_latest_issues_articles(archive: dict[str, Any]) -> None:
    out: Path = archive["out"]
    latest = archive["issues"][0]
    root = etree.parse(str(out / "sitemaps/news.xml")).getroot()
    assert root.nsmap == {None: SM[1:-1], "news": NEWS[1:-1]}
    entries = root.findall(f"{SM}url")
    assert entries[0].findtext(f"{SM}loc") == SAMPLE_BASE and entries[0].find(f"{NEWS}news") is None
    news = entries[1:]
    assert [u.findtext(f"{SM}loc") for u in news] == [SAMPLE_BASE + latest.article_path(a) for a in latest.articles]
    for url, article in zip(news, latest.articles, strict=True):
        item = url.find(f"{NEWS}news")
        assert item.findtext(f"{NEWS}publication/{NEWS}name") == "中国高新技术产业导报"
        assert item.findtext(f"{NEWS}publication/{NEWS}language") == "zh-cn"
        assert _w3c(item.findtext(f"{NEWS}publication_date")) == latest.article_published(article)
        assert item.findtext(f"{NEWS}title") == article.headline


def test_robots_allows_everything_and_names_the_sitemap(archive: dict[str, Any]) -> None:
    text = (archive["out"] / "robots.txt").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == ["User-agent: *", "Allow: /", f"Sitemap: {SAMPLE_BASE}sitemap.xml"]


def test_new_paths_are_served_as_what_they_are() -> None:
    assert paths.media_type("sitemap.xml") == "application/xml"
    assert paths.media_type("robots.txt") == "text/plain"
    assert paths.media_type("archive/2022/03.html") == "text/html"
    assert paths.cache_control("sitemaps/news.xml", "application/xml") == paths.CACHE_SHORT
