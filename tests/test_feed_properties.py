"""Property test: arbitrary text (CJK, markup characters and control characters included) goes through
the model into every feed and comes back from feedparser / json unchanged (up to whitespace folding),
or the model refuses it with a ValidationError. Never an lxml error, never a feed that does not parse.
"""

from __future__ import annotations

import html
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from exporter import markup
from exporter.model import Article, Issue, Publication, check_chars
from exporter.render import Job
from exporter.render.feeds import FeedsRenderer

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://paper.example.cn/herald/"
PUB = Publication(title="测试报", base_url=BASE, feed_issues=2)
TRICKY = "中国高新技术产业导报測試éß𠀀 \t\n\r<>&\"']]>&amp;\x00\x01\x07\x0b\x0c\x1b\x7f\x85\u2028\u202e\ufeff\ufffe"
# Printable text of any script (markup characters included); CJK; anything Python can hold (lone
# surrogates and C0/C1 controls included); and a mix of the characters that break XML and feeds.
printable = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=40)
cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=40)
hostile = st.one_of(st.text(max_size=40), st.text(alphabet=TRICKY, max_size=40))
# Weighted towards text the model accepts, so most examples reach the feeds (see --hypothesis-show-statistics).
text = st.one_of(printable, printable, cjk, cjk, hostile)
names = st.one_of(printable, cjk, cjk, cjk, hostile)


def folded(value: str) -> str:
    return " ".join(value.split())


def as_feedparser_reads(value: str) -> str:
    """feedparser "repairs" text that is all Latin-1 and valid UTF-8 once re-encoded ('Ã©' → 'é',
    mixin.py, "common error where people take data that is already utf-8"). Our bytes are right
    (checked with lxml below); model the reader's quirk instead of failing on it."""
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def same(parsed: str, expected: str) -> bool:
    """Equal up to whitespace folding (and feedparser's repair, which it applies to some elements)."""
    return folded(parsed) in (folded(expected), folded(as_feedparser_reads(expected)))


def text_of(detail: Any) -> str:
    """The text a reader shows: HTML values (RSS descriptions are HTML) are rendered to text."""
    return markup.plain_text(detail.value) if detail.type == "text/html" else str(detail.value)


def make_issue(headline: str, author: str, summary: str, tag: str, page_name: str, body: str) -> Issue:
    """Validate like the loader does: body characters first, then Markdown, then the model."""
    check_chars(body)  # ValueError: the loader refuses the file
    body_html = markup.render_markdown(body or "正文", BASE + "issues/2026-03-30/a.html") or "<p>正文</p>\n"
    article = Article.model_validate(
        {
            "slug": "a",
            "headline": headline,
            "authors": [author],
            "summary": summary,
            "tags": [tag],
            "body_html": body_html,
        }
    )
    return Issue.model_validate(
        {
            "id": "2026-03-30",
            "date": "2026-03-30",
            "number": 11,
            "total_number": 2663,
            "page_count": 16,
            "publish_time": datetime(2026, 3, 30, 6, tzinfo=ZoneInfo("Asia/Shanghai")),
            "pages": [{"number": 1, "name": page_name, "articles": [article]}],
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headline=text, author=names, summary=text, tag=names, page_name=names, body=text)
@example(
    headline="标题 & <3 ]]> &amp;", author="张伟", summary="摘要\n第二行", tag="人工智能", page_name="要闻", body="正文"
)
@example(headline="&amp;", author="张伟", summary="摘要", tag="x", page_name="要闻", body="正文")
@example(headline="坏\x07标题", author="张伟", summary="", tag="x", page_name="", body="正文")
@example(
    headline="標題", author="李\u2028雷", summary="\ufeff摘要", tag="𠀀", page_name="  ", body="<script>x</script>正文"
)
def test_text_round_trips_through_every_feed_or_is_refused(
    headline: str, author: str, summary: str, tag: str, page_name: str, body: str
) -> None:
    try:
        issue = make_issue(headline, author, summary, tag, page_name, body)
    except (ValidationError, ValueError):
        event("refused by the model")
        return  # refused by the model's rules, with a message: fine
    event("rendered and parsed back")
    article = issue.articles[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        FeedsRenderer().render(Job(PUB, (issue,), None, out, {issue.id: out}, formats=("feeds",)))
        for name in ("rss.xml", "atom.xml", f"archive/{issue.id}.xml"):
            parsed = feedparser.parse((out / "feeds" / name).read_bytes())
            assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
            [entry] = parsed.entries
            title = text_of(entry.title_detail)
            # An RSS <title> is ambiguous (plain text or escaped HTML): feedparser reads a title such as
            # "&amp;" as HTML and shows "&". Atom's type="text" is not ambiguous. The exact bytes are
            # checked with lxml below.
            quirk = name.endswith("rss.xml") and same(title, html.unescape(article.headline))
            assert same(title, article.headline) or quirk, name
            assert same(entry.author, article.authors[0]), name
            assert same(text_of(entry.summary_detail), article.summary), name
            assert any(same(t.term, article.tags[0]) for t in entry.tags), name
            shown = folded(markup.plain_text(entry.content[0].value))
            assert shown.endswith(folded(article.text)) or shown.endswith(folded(as_feedparser_reads(article.text)))
        # The bytes themselves, read by a plain XML parser: exact, not just folded.
        rss = etree.parse(str(out / "feeds" / "rss.xml")).getroot()
        assert rss.findtext("channel/item/title") == article.headline
        assert html.unescape(rss.findtext("channel/item/description")) == article.summary
        assert rss.findtext("channel/item/{http://purl.org/dc/elements/1.1/}creator") == article.authors[0]
        atom = etree.parse(str(out / "feeds" / "atom.xml")).getroot()
        assert atom.findtext(f"{ATOM}entry/{ATOM}title") == article.headline
        assert atom.findtext(f"{ATOM}entry/{ATOM}author/{ATOM}name") == article.authors[0]
        [page_feed] = (out / "feeds" / "pages").glob("*.xml")
        parsed = feedparser.parse(page_feed.read_bytes())
        assert parsed.bozo == 0 and [e.title for e in parsed.entries] == [entry.title]
        assert same(parsed.feed.title.rsplit(" · ", 1)[1], issue.pages[0].name or "第1版")
        data = json.loads((out / "feeds" / "feed.json").read_text("utf-8"))
        [item] = data["items"]
        assert item["title"] == article.headline and item["summary"] == article.summary
        assert item["authors"] == [{"name": article.authors[0]}]
        editions = feedparser.parse((out / "feeds" / "editions.xml").read_bytes())
        assert editions.bozo == 0 and len(editions.entries) == 1
