"""Feeds: RSS 2.0, Atom (RFC 4287, archived per RFC 5005), JSON Feed 1.1, per-page feeds, editions, OPML.

Everything here is written in the edition pass (``job.issue is None``)::

    feeds/rss.xml  feeds/atom.xml  feeds/feed.json   articles of the latest ``feed_issues`` issues
    feeds/archive/<issue id>.xml                     RFC 5005 archive document of one issue
    feeds/pages/<key>.xml                            one Atom feed per 版 name (or number, unnamed)
    feeds/editions.xml  feeds/editions.json          one entry per issue, PDF and EPUB as enclosures/attachments
    feeds/editions-pdf.xml  feeds/editions-epub.xml  the same as RSS, one enclosure per item (podcast apps)
    feeds/archive/editions*/NNNN.{xml,json}          their older pages, 20 issues each (see stable_pages)
    feeds/feeds.opml                                 every feed above (not the archives)
    feeds/feed.xsl  feeds/icon.png  feeds/logo.png   copied from templates/feeds/

Every time comes from the content (issue and article times, in the publication's zone), so the same
content gives the same bytes. feedgen writes the RSS and the article Atom documents; its Atom output
is post-processed with lxml (entry link attributes, RFC 5005 links, the stylesheet instruction), and the
editions feed, which needs enclosures on Atom entries, is written with lxml directly (GUIDE §2).
All documents are made in memory first and written only when every one of them succeeded, so a failure
never leaves a feed that half-exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]

from exporter.errors import RenderError
from exporter.model import Issue, Page
from exporter.render import Base, Job, Output
from exporter.render.feeds.atom import atom_document
from exporter.render.feeds.common import (
    ATOM_PATH,
    ATOM_TYPE,
    DOWNLOADS,
    EDITIONS_JSON_PATH,
    EDITIONS_PATH,
    EDITIONS_RSS,
    JSON_PATH,
    JSON_TYPE,
    OPML_PATH,
    PAGE_ISSUES,
    RSS_PATH,
    RSS_TYPE,
    STATIC,
    FeedMeta,
    Item,
    archive_path,
    editions_page_path,
    feed_updated,
    issue_items,
    link,
    local,
    page_feed_path,
    page_key,
    page_parts,
    page_title,
    stable_pages,
)
from exporter.render.feeds.editions import (
    edition_item,
    editions_document,
    editions_json_document,
    editions_rss_document,
)
from exporter.render.feeds.jsonfeed import json_document
from exporter.render.feeds.opml import FeedRef, opml_document
from exporter.render.feeds.rss import rss_document

__all__ = [
    "PAGE_ISSUES",
    "FeedRef",
    "FeedsRenderer",
    "atom_document",
    "edition_item",
    "editions_document",
    "editions_json_document",
    "editions_rss_document",
    "json_document",
    "opml_document",
    "page_feed_path",
    "page_key",
    "rss_document",
    "stable_pages",
]


class FeedsRenderer(Base):
    name = "feeds"

    def render_edition(self, job: Job) -> list[Output]:
        try:
            documents = self.documents(job)
        except RenderError:
            raise
        except (OSError, ValueError, TypeError, KeyError, etree.LxmlError) as exc:
            raise RenderError(f"feeds: cannot write the feeds: {exc}") from exc
        return [job.write(rel, data) for rel, data in documents.items()]

    def documents(self, job: Job) -> dict[str, bytes | Path]:
        """Every feed document, path → bytes, made in memory."""
        pub = job.publication
        docs: dict[str, bytes | Path] = {}
        recent = job.issues[: pub.feed_issues]
        items = [item for issue in recent for item in issue_items(job, issue)]
        older = job.issues[pub.feed_issues :]
        links = []
        if older:
            links.append({"href": pub.url(archive_path(older[0])), "rel": "prev-archive", "type": ATOM_TYPE})
        subtitle = f"{pub.title}最近 {pub.feed_issues} 期的文章"
        published = local(pub, recent[0].published) if recent else None
        updated = feed_updated(pub, recent)

        def meta(path: str, extra: list[dict[str, str]] | None = None) -> FeedMeta:
            return FeedMeta(path, pub.url(ATOM_PATH), pub.title, subtitle, pub.base_url, updated, published,
                            extra or [])  # fmt: skip

        docs[RSS_PATH] = rss_document(job, meta(RSS_PATH), items)
        docs[ATOM_PATH] = atom_document(job, meta(ATOM_PATH, links), items)
        docs[JSON_PATH] = json_document(job, meta(JSON_PATH), items)

        # RFC 5005 archives: one per issue. It depends only on that issue and the ones before it.
        pub_state = pub.model_dump_json()
        for n, issue in enumerate(job.issues):
            path = archive_path(issue)
            arch_links = [{"href": pub.url(ATOM_PATH), "rel": "current", "type": ATOM_TYPE}]
            if n + 1 < len(job.issues):
                arch_links.append({"href": pub.url(archive_path(job.issues[n + 1])), "rel": "prev-archive",
                                   "type": ATOM_TYPE})  # fmt: skip
            arch = FeedMeta(
                path=path,
                id=pub.url(ATOM_PATH),  # the same logical feed as the subscription document
                title=f"{pub.title} {issue.title_text}",
                subtitle=f"{pub.title}存档：{issue.title_text}",
                home=pub.url(issue.dir),
                updated=local(pub, issue.updated),
                published=local(pub, issue.published),
                links=arch_links,
                archive=True,
            )
            # the same issue (key) and the same older neighbour give the same document: keep it
            older_id = job.issues[n + 1].id if n + 1 < len(job.issues) else "-"
            docs[path] = job.memoized(
                "feeds/archive",
                [job.keys.get(issue.id, ""), older_id, pub_state],
                lambda arch=arch, issue=issue: atom_document(job, arch, issue_items(job, issue)),  # type: ignore[misc]
            )

        page_refs = []
        for _key, path, title, page_items, page_issues in self.page_feeds(job):
            page_meta = FeedMeta(path, pub.url(path), title, f"{title}：最近 {len(page_issues)} 期",
                                 pub.base_url, feed_updated(pub, page_issues),
                                 local(pub, page_issues[0].published))  # fmt: skip
            docs[path] = atom_document(job, page_meta, page_items)
            page_refs.append(FeedRef(path, title, ATOM_TYPE))

        docs.update(self.editions(job))
        rss_editions = []
        for mtype, path in EDITIONS_RSS.items():
            label = next(label for _, t, label in DOWNLOADS if t == mtype)
            title = f"{pub.title} 整期（{label}）"
            rss_editions.append(FeedRef(path, title, RSS_TYPE, f"{pub.title}每期的{label}，作为附件（enclosure）"))
        groups = [
            ("全部文章", [FeedRef(RSS_PATH, f"{pub.title}（RSS）", RSS_TYPE, subtitle),
                          FeedRef(ATOM_PATH, f"{pub.title}（Atom）", ATOM_TYPE, subtitle),
                          FeedRef(JSON_PATH, f"{pub.title}（JSON Feed）", JSON_TYPE, subtitle)]),
            ("整期", [FeedRef(EDITIONS_PATH, f"{pub.title} 整期（PDF / EPUB）", ATOM_TYPE),
                      FeedRef(EDITIONS_JSON_PATH, f"{pub.title} 整期（JSON Feed）", JSON_TYPE),
                      *rss_editions]),
            ("分版", page_refs),
        ]  # fmt: skip
        docs[OPML_PATH] = opml_document(job, groups)
        for rel in STATIC:
            docs[rel] = (job.templates_dir / rel).read_bytes()
        return docs

    def editions(self, job: Job) -> dict[str, bytes | Path]:
        """The editions feeds (Atom, JSON Feed, RSS per file type), paged: see :func:`stable_pages`.

        The current documents list the newest issues. Older issues are in stable pages kept between
        builds: RFC 5005 archive documents for Atom and RSS (``prev-archive`` from the current
        document, then from page to page), ``next_url`` for JSON Feed.
        """
        pub = job.publication
        rss_types = {path: mtype for mtype, path in EDITIONS_RSS.items()}

        def document(current: str, issues: Sequence[Issue], path: str, older: str | None, archive: bool) -> bytes:
            """A document of the editions feed ``current`` (its path); ``older``: the next older page."""
            if current == EDITIONS_JSON_PATH:
                return editions_json_document(job, issues, path, older)
            self_type = RSS_TYPE if current in rss_types else ATOM_TYPE
            links = [link("current", pub.url(current), self_type)] if archive else []
            if older:
                links.append(link("prev-archive", pub.url(older), self_type))
            if current == EDITIONS_PATH:
                return editions_document(job, issues, path, links, archive)
            mtype = rss_types[current]
            label = next(label for _, t, label in DOWNLOADS if t == mtype)
            return editions_rss_document(job, issues, path, mtype, f"{pub.title} 整期（{label}）", links, archive)

        current_issues, pages = stable_pages(job.issues)
        docs: dict[str, bytes | Path] = {}
        for current in (EDITIONS_PATH, EDITIONS_JSON_PATH, *rss_types):
            newest = editions_page_path(current, pages[0].number) if pages else None
            docs[current] = document(current, current_issues, current, newest, False)
            for page in pages:
                path = editions_page_path(current, page.number)
                older = editions_page_path(current, page.number - 1) if page.number > 1 else None
                docs[path] = job.memoized(
                    "feeds/editions",
                    page_parts(job, page, path, older or "-"),
                    lambda page=page, path=path, older=older, current=current: document(  # type: ignore[misc]
                        current, page.issues, path, older, True
                    ),
                )
        return docs

    def page_feeds(self, job: Job) -> list[tuple[str, str, str, list[Item], list[Issue]]]:
        """(key, path, title, items, issues) for every 版 that appears in any issue."""
        pub = job.publication
        keys: dict[str, list[tuple[Issue, Page]]] = {}
        for issue in job.issues:
            for page in issue.pages:
                keys.setdefault(page_key(page), []).append((issue, page))
        out = []
        seen_paths: dict[str, str] = {}
        for key in sorted(keys):
            path = page_feed_path(key)
            if seen_paths.setdefault(path, key) != key:
                raise RenderError(f"feeds: pages {seen_paths[path]!r} and {key!r} map to the same feed {path}")
            chosen = keys[key][: pub.feed_issues]  # newest first, like the issues
            items: list[Item] = []
            issues = []
            for issue, page in chosen:
                items += issue_items(job, issue, [page])
                if issue not in issues:
                    issues.append(issue)
            out.append((key, path, page_title(pub, key), items, issues))
        return out
