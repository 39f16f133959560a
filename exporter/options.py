"""Build options: ``--option KEY=VALUE`` on ``exporter build``, ``exporter run`` and ``schedule.py``.

One table of every option a renderer or the pipeline reads, with its type and meaning; the command
line parses ``KEY=VALUE`` against it, so a typo or a bad value is a usage error naming the option, not
a surprise deep in a render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < 86400:  # also refuses nan and inf
        raise ValueError("must be a number of seconds above 0 and below 86400")
    return value


def _count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 256:
        raise ValueError("must be a whole number from 1 to 256")
    return value


def _retries(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 10:
        raise ValueError("must be a whole number from 0 to 10")
    return value


def _index(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 255:
        raise ValueError("must be a whole number from 0 to 255")
    return value


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _font_file(text: str) -> str:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"{text} is not a file")
    return str(path.resolve())


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL such as http://127.0.0.1:8731/")
    return text if text.endswith("/") else text + "/"


@dataclass(frozen=True)
class Option:
    name: str
    parse: Callable[[str], object]
    help: str


OPTIONS = {
    o.name: o
    for o in (
        Option("base_url", _base_url, "the URL the output is served at, instead of publication.yaml's base_url"),
        Option("pdf_timeout", _positive_float, "seconds one issue's render (PDF, EPUB, pages) may take (default 300)"),
        Option("pdf_isolate", _flag, "false: render every issue in the build process, no render processes (debugging)"),
        Option("replica", _flag, "page images, per-版 PDFs and 版 views from the PDF (default true)"),
        Option("jobs", _count, "render processes, issues rendered at once (default: the CPU count; = --jobs)"),
        Option("workers", _count, "the old name of jobs"),
        Option("job_timeout", _positive_float, "with --broker: seconds one issue may take on a worker (default 600)"),
        Option("job_retries", _retries, "with --broker: further tries of an issue whose worker failed (default 2)"),
        Option("epub_font", _font_file, "a CJK font file to embed in the EPUB, subset to the characters used"),
        Option("epub_font_index", _index, "the face to use when epub_font is a collection (.ttc; default 0)"),
    )
}


ALIASES = {"workers": "jobs"}  # old name → the option it sets


class OptionError(ValueError):
    """A ``KEY=VALUE`` that names no option or has a bad value; the message says which and why."""


def parse_options(pairs: Iterable[str]) -> dict[str, object]:
    """``["pdf_timeout=600", ...]`` → ``{"pdf_timeout": 600.0, ...}``; raises OptionError."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise OptionError(f"{pair!r}: write KEY=VALUE")
        if key not in OPTIONS:
            raise OptionError(f"{key!r} is not an option; known: {', '.join(OPTIONS)}")
        try:
            options[ALIASES.get(key, key)] = OPTIONS[key].parse(value.strip())
        except ValueError as exc:
            raise OptionError(f"{key}={value}: {exc}") from None
    return options


def describe() -> str:
    """One line per option, for ``--help``."""
    return "; ".join(f"{o.name}: {o.help}" for o in OPTIONS.values())
