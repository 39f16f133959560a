"""JSON Schemas of the three files editors write, generated from the model (never by hand)."""

from __future__ import annotations

import copy
from typing import Any

from exporter.model import SLUG_RE, Article, Issue, Publication

KINDS = ("publication", "issue", "article")
_ID = "https://exporter.invalid/schema/"


def _strip_read_only(schema: dict[str, Any]) -> None:
    """Drop fields editors do not write (derived from files or folder names)."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        props = node.get("properties", {})
        for name in [n for n, p in props.items() if p.get("readOnly")]:
            del props[name]
            if name in node.get("required", []):
                node["required"].remove(name)


def schema(kind: str) -> dict[str, Any]:
    if kind == "publication":
        out = Publication.model_json_schema()
        title = "publication.yaml"
    elif kind == "article":
        out = Article.model_json_schema()
        for name in ("slug", "body_html"):
            out["properties"].pop(name)
            out["required"].remove(name)
        title = "article front matter (<slug>.md)"
    elif kind == "issue":
        out = copy.deepcopy(Issue.model_json_schema())
        out["properties"].pop("id")
        out["required"].remove("id")
        defs = out["$defs"]
        page = defs["Page"]
        page["properties"]["articles"] = {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "pattern": SLUG_RE},
            "description": "Slugs of the articles on this page, in order (files <slug>.md).",
        }
        for name in [n for n in defs if n not in ("Page", "Highlight")]:
            del defs[name]
        title = "issue.yaml"
    else:
        raise ValueError(f"unknown schema kind {kind!r}; known: {', '.join(KINDS)}")
    _strip_read_only(out)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_ID}{kind}.json",
        **{k: v for k, v in out.items() if k != "title"},
        "title": title,
    }
