"""JSON Feed 1.1 of articles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from exporter.render import Job
from exporter.render.feeds.common import ICON, FeedMeta, Item


def json_document(job: Job, meta: FeedMeta, items: Sequence[Item]) -> bytes:
    pub = job.publication
    data: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home,
        "feed_url": pub.url(meta.path),
        "description": meta.subtitle,
        "icon": pub.url(ICON),
        "favicon": pub.url(ICON),
        "authors": [{"name": pub.publisher_name}],
        "language": pub.language,
        "items": [],
    }
    for item in items:
        entry: dict[str, Any] = {
            "id": item.id,
            "url": item.url,
            "title": item.title,
            "content_html": item.content_html,
            "summary": item.summary,
            "date_published": item.published.isoformat(),
            "date_modified": item.updated.isoformat(),
            "tags": list(dict.fromkeys(c.label for c in item.categories)),
            "language": pub.language,
        }
        if item.image:
            entry["image"] = item.image
        if item.authors:
            entry["authors"] = [{"name": name} for name in item.authors]
        data["items"].append(entry)
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
