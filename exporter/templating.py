"""The Jinja environment shared by every HTML-producing renderer (site, PDF, EPUB)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from exporter import texts
from exporter.model import SAMPLE_NOTICE


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _jsonld(data: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block, safe against '</script>'."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False)
    safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(safe)  # noqa: S704 - JSON with <, > and & escaped cannot leave the script block


@lru_cache(maxsize=8)
def environment(templates_dir: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(["html", "xml", "xhtml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["iso"] = _iso
    env.filters["jsonld"] = _jsonld
    env.filters["safe_html"] = Markup  # for body_html: sanitised once, at load
    env.globals["SAMPLE_NOTICE"] = SAMPLE_NOTICE
    env.globals["texts"] = texts  # 期, 版 and 导读 wording (exporter.texts)
    return env
