"""Turning text from elsewhere into content files: print-page extractions and news-site JSON.

Used to make the sample content and the corpus test fixture (``scripts/make_samples.py``); the
cleaning rules are tested on their own in ``tests/test_importers.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SENTENCE_END = tuple("。！？!?…”’」』）)：:；;")
_NAME = re.compile(f"[{CJK}·]{{2,5}}")  # fullmatch: "$" would match before a final newline
_NOT_NAME = set("的了到从在是和与及为将对等")


def rejoin_print_columns(paragraphs: list[str]) -> list[str]:
    """Undo paragraph breaks that are really print column breaks.

    Text extracted from a printed page breaks wherever a column ends ("中\\n\\n国工程院院士"). A real
    paragraph ends with sentence punctuation; a piece that does not is joined to the next one.
    """
    out: list[str] = []
    for para in (p.strip() for p in paragraphs):
        if not para:
            continue
        if out and not out[-1].endswith(_SENTENCE_END):
            out[-1] += para
        else:
            out.append(para)
    return out


def fullwidth_punctuation(text: str) -> str:
    """ASCII commas and brackets between Chinese characters become full-width (clreq)."""
    text = re.sub(f"(?<=[{CJK}”’）])\\s*,\\s*", "，", text)
    text = re.sub(f"\\s*,\\s*(?=[{CJK}“‘（])", "，", text)

    def bracket(match: re.Match[str]) -> str:
        inner, before, after = match.group(2), match.group(1), match.group(3)
        if re.search(f"[{CJK}]", before + inner + after):
            return f"{before}（{inner}）{after}"
        return match.group(0)

    return re.sub(r"(.?)\(([^()]*)\)(.?)", bracket, text)


def markdown_escape(text: str) -> str:
    """Escape a paragraph of plain text so Markdown shows it as it is."""
    text = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)
    text = re.sub(r"^(\s*)([#>+\-=]|\d+[.)])", lambda m: m.group(1) + "\\" + m.group(2), text)
    return text


def person_names(field: str) -> list[str]:
    """Names from a reporter field, dropping the fragments of body text some sites put there."""
    names = [n for n in re.split(r"[\s,，、]+", field.strip()) if n]
    return [n for n in names if _NAME.fullmatch(n) and not (set(n) & _NOT_NAME)]


def write_article(path: Path, meta: dict[str, Any], paragraphs: list[str]) -> None:
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n\n".join(markdown_escape(p) for p in paragraphs)
    path.write_text(f"---\n{front}---\n\n{body}\n", "utf-8")


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), "utf-8")


CHANNEL_NAMES = {"fe": "外汇", "jjpd": "基金", "insurance1": "保险"}


def corpus_issue(corpus: dict[str, Any], folder: Path, number: int, total: int, note: str) -> None:
    """A news-site JSON dump (one day) → an issue folder: one page per channel, in order of appearance."""
    folder.mkdir(parents=True, exist_ok=True)
    pages: dict[str, list[str]] = {}
    highlights = []
    for item in corpus["articles"]:
        slug = re.sub(r"[^a-z0-9]+", "-", str(item["article_id"]).lower()).strip("-")
        if not slug[0].isalpha():
            slug = f"rmw-{slug}"
        channel = CHANNEL_NAMES.get(item["channel"], item["channel"])
        if channel not in pages:
            pages[channel] = []
            highlights.append({"headline": item["title"], "page": len(pages), "article": slug})
        pages[channel].append(slug)
        paragraphs = [p.strip() for p in item["content"] if p.strip()]
        meta: dict[str, Any] = {"headline": item["title"].strip()}
        names = person_names(item.get("reporter") or "")
        if names:
            meta["authors"] = names
        meta["source"] = item["source"]
        meta["published"] = item["publish_time"].replace(" ", "T") + ":00+08:00"
        meta["tags"] = [channel]
        write_article(folder / f"{slug}.md", meta, paragraphs)
    write_yaml(
        folder / "issue.yaml",
        {
            "date": corpus["date"],
            "number": number,
            "total_number": total,
            "page_count": len(pages),
            "sample": True,
            "note": note,
            "highlights": highlights,
            "pages": [
                {"number": i, "name": name, "articles": slugs} for i, (name, slugs) in enumerate(pages.items(), 1)
            ],
        },
    )
