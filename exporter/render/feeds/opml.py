"""OPML 2.0: every feed of the edition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped]

from exporter.render import Job
from exporter.render.feeds.common import feed_updated, rfc822, sub, xml_bytes


@dataclass(frozen=True)
class FeedRef:
    path: str
    title: str
    media_type: str
    description: str = ""


def opml_document(job: Job, groups: Sequence[tuple[str, Sequence[FeedRef]]]) -> bytes:
    pub = job.publication
    root = etree.Element("opml", version="2.0")
    head = sub(root, "head")
    sub(head, "title", f"{pub.title} 订阅源")
    if job.issues:
        sub(head, "dateCreated", rfc822(pub, job.issues[-1].published))
    sub(head, "dateModified", rfc822(pub, feed_updated(pub, job.issues)))
    sub(head, "ownerName", pub.publisher_name)
    sub(head, "docs", "http://opml.org/spec2.opml")
    body = sub(root, "body")
    for title, refs in groups:
        group = sub(body, "outline", text=title, title=title)
        for ref in refs:
            attrs = {"text": ref.title, "title": ref.title, "type": "rss", "xmlUrl": pub.url(ref.path),
                     "htmlUrl": pub.base_url, "language": pub.language}  # fmt: skip
            if ref.description:
                attrs["description"] = ref.description
            sub(group, "outline", **attrs)
    return xml_bytes(root)
