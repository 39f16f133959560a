"""Content folder → model. Every error names the file and the field it is about.

Layout (see README "The content format")::

    content/
      publication.yaml          masthead data and settings
      2026-03-30/               one folder per issue; the folder name is the issue id
        issue.yaml              date, numbers, 导读, pages and the order of their articles
        <slug>.md               one article: YAML front matter, then the Markdown body
        images/...              the article's photos (any path inside the folder)
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from exporter import markup, paths
from exporter.assets import AssetError, open_inside, read_inside
from exporter.cache import Memo, hash_package
from exporter.errors import Code, ContentError, Problem
from exporter.model import (
    MAX_ARTICLES,
    MAX_BODY_CHARS,
    MAX_ISSUE_BODY_CHARS,
    MAX_NUMBER,
    MAX_TOTAL_NUMBER,
    Article,
    Issue,
    Publication,
    check_chars,
    is_slug,
    normalize_text,
)

PUBLICATION_FILE = "publication.yaml"
ISSUE_FILE = "issue.yaml"
MAX_TEXT_BYTES = 2 * 1024 * 1024
RACY_NS = 3_000_000_000  # files touched this recently are always read (coarse file system clocks)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)(.*)\Z", re.S)

# Every pydantic error type (pydantic_core.core_schema.ErrorType) and the model's own ("range" from
# model.out_of_range, "limit" from model.too_many) with its code. No default: an unknown type raises, and
# tests/test_codes.py checks that this table covers every type the installed pydantic_core declares.
# fmt: off
_CODES_OF_PYDANTIC_TYPES: dict[Code, tuple[str, ...]] = {
    Code.MISSING: ("missing",),
    Code.UNKNOWN_KEY: ("extra_forbidden",),
    Code.WRONG_TYPE: (
        "json_type", "model_type", "model_attributes_type", "dataclass_type", "dataclass_exact_type",
        "named_tuple_type", "iterable_type", "string_type", "dict_type", "frozen_dict_type", "ordered_dict_type",
        "counter_type", "mapping_type", "list_type", "deque_type", "tuple_type", "set_type", "bool_type",
        "bool_parsing", "int_type", "int_parsing", "float_type", "float_parsing", "bytes_type", "date_type",
        "date_parsing", "date_from_datetime_parsing", "time_type", "time_parsing", "datetime_type",
        "datetime_parsing", "datetime_from_date_parsing", "time_delta_type", "time_delta_parsing", "frozen_set_type",
        "callable_type", "arguments_type", "url_type", "url_parsing", "uuid_type", "uuid_parsing", "decimal_type",
        "decimal_parsing", "fraction_type", "fraction_parsing", "complex_type", "complex_str_parsing",
    ),
    Code.OUT_OF_RANGE: ("range",),
    Code.TOO_LARGE: ("limit",),
    Code.BAD_VALUE: (
        "no_such_attribute", "json_invalid", "needs_python_object", "recursion_loop", "recursion_depth_exceeded",
        "frozen_field", "frozen_instance", "invalid_key", "get_attribute_error", "default_factory_not_called",
        "none_required", "greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of",
        "finite_number", "too_short", "too_long", "iteration_error", "string_unicode", "string_too_short",
        "string_too_long", "string_pattern_mismatch", "string_not_ascii", "enum", "set_item_not_hashable",
        "int_parsing_size", "int_from_float", "bytes_too_short", "bytes_too_long", "bytes_invalid_encoding",
        "value_error", "assertion_error", "literal_error", "missing_sentinel_error", "ellipsis_error",
        "date_from_datetime_inexact", "date_past", "date_future", "datetime_object_invalid", "datetime_past",
        "datetime_future", "timezone_naive", "timezone_aware", "timezone_offset", "is_instance_of", "is_subclass_of",
        "union_tag_invalid", "union_tag_not_found", "missing_argument", "unexpected_keyword_argument",
        "missing_keyword_only_argument", "unexpected_positional_argument", "missing_positional_only_argument",
        "multiple_argument_values", "url_syntax_violation", "url_too_long", "url_scheme", "uuid_version",
        "decimal_max_digits", "decimal_max_places", "decimal_whole_digits",
    ),
}
# fmt: on
PYDANTIC_CODES: dict[str, Code] = {kind: code for code, kinds in _CODES_OF_PYDANTIC_TYPES.items() for kind in kinds}


# -- reading files -----------------------------------------------------------------------------


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: 5x faster


_REFUSED_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("set", "binary", "omap", "pairs")}


@dataclass(frozen=True)
class BadValue:
    """A scalar YAML cannot turn into a value (2026-02-30, hour 25, a 5,000-digit integer).

    The loader puts this in its place instead of raising, so the problem names the field it is in.
    """

    text: str
    message: str


MAX_INT = 10**18  # larger integers are refused at load: no field needs one, and str() of a huge one raises


def _guarded(construct: Any, what: str) -> Any:
    def guarded(loader: Any, node: Any) -> Any:
        text = str(node.value)
        shown = text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"
        try:
            value = construct(loader, node)
        except (ValueError, OverflowError) as exc:
            detail = "the time zone offset must be under 24 hours" if "offset" in str(exc) else str(exc)
            reason = f"is not a valid {what}: {detail}" if what != "integer" else "is too large a number"
            loader.bad_values = True
            return BadValue(text, f"{shown} {reason}")
        if isinstance(value, int) and not -MAX_INT < value < MAX_INT:
            loader.bad_values = True
            return BadValue(text, f"{shown} is too large a number")
        return value

    return guarded


class _StrictLoader(_Base):  # type: ignore[misc]
    """safe_load that also refuses aliases (billion-laughs bombs), merge keys and duplicate keys.

    Out-of-range dates, times and integers become BadValue (see parse_yaml) instead of a traceback.
    """

    bad_values = False

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # Without aliases every node is constructed exactly once; a second visit is an alias.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(None, None, "YAML aliases (*name) are not allowed", node.start_mark)
        # A !!set has no order (the output would change from run to run); !!binary is not text.
        if node.tag in _REFUSED_TAGS:
            message = f"the YAML tag !!{node.tag.rpartition(':')[2]} is not allowed"
            raise yaml.constructor.ConstructorError(None, None, message, node.start_mark)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict, set)):
                raise yaml.constructor.ConstructorError(None, None, "keys must be text", key_node.start_mark)
            if key in mapping:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_SAFE = yaml.constructor.SafeConstructor
for _tag, _construct, _what in (
    ("timestamp", _SAFE.construct_yaml_timestamp, "date or time"),
    ("int", _SAFE.construct_yaml_int, "integer"),
    ("float", _SAFE.construct_yaml_float, "number"),
):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _guarded(_construct, _what))


def _bad_values(data: Any) -> list[tuple[str, BadValue]]:
    """Every BadValue in the loaded data with its field path (e.g. highlights.0.page), in file order."""
    found: list[tuple[str, BadValue]] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # not recursive: nesting depth is the editor's choice
        path, value = stack.pop()
        if isinstance(value, BadValue):
            found.append((path, value))
        elif isinstance(value, dict):
            for k, v in reversed(list(value.items())):
                stack.append((f"{path}.{k}" if path else str(k), v))
                if isinstance(k, BadValue):  # a key: the problem is in the mapping holding it
                    stack.append((path, k))
        elif isinstance(value, list):
            stack += [(f"{path}.{i}" if path else str(i), v) for i, v in reversed(list(enumerate(value)))]
    return found


def read_text(path: Path, root: Path) -> str:
    """UTF-8 text of a file inside ``root`` (a leading BOM is dropped)."""
    rel = _rel(path, root)
    try:
        data = read_inside(root, str(path.relative_to(root)), MAX_TEXT_BYTES)
    except AssetError as exc:
        why = {
            "outside": "is a link to a place outside the content",
            "too-large": f"is {exc.size} bytes; the limit is {MAX_TEXT_BYTES}",
            "unopenable": f"cannot be opened: {exc.strerror}",
        }.get(exc.kind, "is not a regular file")  # a folder, a FIFO, a device, or gone
        raise ContentError(Problem(rel, "", why, Code.UNUSABLE_FILE)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            Problem(rel, "", f"is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line})", Code.ENCODING)
        ) from None
    return normalize_text(text.replace("\r\n", "\n"))


def parse_yaml(text: str, rel: str, line_offset: int = 0) -> dict[str, Any]:
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1 + line_offset})" if mark else ""
        raise ContentError(Problem(rel, "", f"YAML error{where}: {exc.problem or exc}", Code.SYNTAX)) from None
    except yaml.reader.ReaderError as exc:  # its str() spans lines and counts characters, not lines
        line = text[: exc.position].count("\n") + 1 + line_offset
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"YAML error (line {line}): the character U+{char:04X} is not allowed ({exc.reason})"
        raise ContentError(Problem(rel, "", message, Code.SYNTAX)) from None
    except yaml.YAMLError as exc:
        raise ContentError(Problem(rel, "", f"YAML error: {exc}", Code.SYNTAX)) from None
    finally:
        loader.dispose()
    if loader.bad_values:
        raise ContentError(*(Problem(rel, path, bad.message, Code.OUT_OF_RANGE) for path, bad in _bad_values(data)))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(Problem(rel, "", "must be a YAML mapping (key: value lines)", Code.SYNTAX))
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ContentError(Problem(rel, str(bad[0]), "keys must be text", Code.SYNTAX))
    return data


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _shown(name: str) -> str:
    """A file name as a message shows it: quoted and escaped when it holds a newline or a control."""
    return name if name.isprintable() else repr(name)


def problems_from(exc: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        field_name = ".".join(p for p in (prefix, loc) if p)
        kind = err["type"]
        code = PYDANTIC_CODES.get(kind)
        if code is None:  # no default code: a type nobody mapped would hide what the problem is
            raise LookupError(f"pydantic error type {kind!r} has no code: add it to load.PYDANTIC_CODES") from exc
        if kind == "missing":
            msg = "is required"
        elif kind == "extra_forbidden":
            msg = "unknown key (check its spelling; see `exporter schema`)"
        else:
            msg = err["msg"]
        msg = msg.removeprefix("Value error, ")
        out.append(Problem(file, field_name, msg, code))
    return out


# -- publication ---------------------------------------------------------------------------------


def load_publication(root: Path, base_url: str | None = None) -> Publication:
    """publication.yaml; ``base_url`` (the build option) replaces the file's base_url."""
    path = root / PUBLICATION_FILE
    rel = _rel(path, root)
    if not path.exists():
        raise ContentError(Problem(rel, "", "is missing: the content root needs one", Code.UNUSABLE_FILE))
    data = parse_yaml(read_text(path, root), rel)
    if base_url is not None and isinstance(data, dict):
        data["base_url"] = base_url
    try:
        return Publication.model_validate(data)
    except ValidationError as exc:
        raise ContentError(*problems_from(exc, rel)) from None


def publication_bytes(root: Path, base_url: str | None = None) -> bytes:
    """What the publication contributes to the build keys: the file, and a base_url option if given."""
    text = (root / PUBLICATION_FILE).read_bytes()
    return text if base_url is None else text + b"\0base_url=" + base_url.encode()


# -- issues --------------------------------------------------------------------------------------


def issue_dirs(root: Path) -> list[Path]:
    """Issue folders: every visible sub-folder of the content root."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")) and not p.is_symlink())


def split_front_matter(text: str, rel: str) -> tuple[dict[str, Any], str, int]:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ContentError(Problem(rel, "", "must start with YAML front matter between two '---' lines", Code.SYNTAX))
    meta_text = match.group(1) or ""
    return parse_yaml(meta_text, rel, line_offset=1), match.group(2), meta_text.count("\n") + 2


def load_article(
    path: Path, root: Path, publication: Publication, issue_id: str, sizes: dict[str, int] | None = None
) -> Article:
    """Load one article; ``sizes`` (slug → characters of its Markdown body) is filled in when given."""
    rel = _rel(path, root)
    slug = path.stem
    if not is_slug(slug):
        raise ContentError(
            Problem(rel, "", "file name must be a slug: lower-case letters, digits and '-'", Code.BAD_VALUE)
        )
    meta, body, _ = split_front_matter(read_text(path, root), rel)
    for key in ("slug", "body_html"):
        if key in meta:
            raise ContentError(Problem(rel, key, "is derived (from the file name / body); remove it", Code.UNKNOWN_KEY))
    problems = []
    permalink = publication.url(paths.article(issue_id, slug))
    body_html = ""
    if len(body) > MAX_BODY_CHARS:  # before Markdown: pathological input is slow to parse
        message = f"has {len(body)} characters; the limit is {MAX_BODY_CHARS} (split the article)"
        raise ContentError(Problem(rel, "body", message, Code.TOO_LARGE))
    if sizes is not None:
        sizes[slug] = len(body)
    try:
        check_chars(body)
        body_html = markup.render_markdown(body, permalink)
    except ValueError as exc:
        problems.append(Problem(rel, "body", str(exc), Code.BAD_VALUE))
    data = {**meta, "slug": slug, "body_html": body_html}
    try:
        article = Article.model_validate(data, context={"issue_dir": root})
    except ValidationError as exc:
        problems += [
            p if p.field != "body_html" else Problem(p.file, "body", p.message, p.code) for p in problems_from(exc, rel)
        ]
    if problems:
        raise ContentError(*problems)
    return article


def load_issue(folder: Path, publication: Publication) -> Issue:
    """Load one issue folder; raise ContentError listing every problem found in it."""
    issue_id = folder.name
    issue_rel = _rel(folder / ISSUE_FILE, folder)
    if not is_slug(issue_id):
        raise ContentError(
            Problem(
                _shown(_rel(folder, folder)), "", "issue folder name must be a slug such as 2026-03-30", Code.BAD_VALUE
            )
        )
    if not (folder / ISSUE_FILE).exists():
        raise ContentError(Problem(issue_rel, "", "is missing: every issue folder needs one", Code.UNUSABLE_FILE))
    meta = parse_yaml(read_text(folder / ISSUE_FILE, folder), issue_rel)
    for key in ("id", "timezone"):
        if key in meta:
            where = "the folder name" if key == "id" else PUBLICATION_FILE
            raise ContentError(Problem(issue_rel, key, f"comes from {where}; remove it", Code.UNKNOWN_KEY))

    problems: list[Problem] = []
    articles: dict[str, Article] = {}
    paths = sorted(p for p in folder.glob("*.md") if not p.name.startswith("."))  # .x: editor lock files
    if len(paths) > MAX_ARTICLES:
        message = f"has {len(paths)} article files; the limit is {MAX_ARTICLES} per issue"
        raise ContentError(Problem(_rel(folder, folder), "", message, Code.TOO_LARGE))
    sizes: dict[str, int] = {}
    for path in paths:
        try:
            articles[path.stem] = load_article(path, folder, publication, issue_id, sizes)
        except ContentError as exc:
            problems += exc.problems
    if sum(sizes.values()) > MAX_ISSUE_BODY_CHARS:
        message = f"its articles have {sum(sizes.values())} characters; the limit is {MAX_ISSUE_BODY_CHARS} per issue"
        problems.append(Problem(issue_rel, "pages", message, Code.TOO_LARGE))

    pages = meta.get("pages")
    placed: set[str] = set()
    if isinstance(pages, list):
        resolved_pages = []
        for i, page in enumerate(pages):
            if not isinstance(page, dict) or not isinstance(page.get("articles", []), list):
                resolved_pages.append(page)
                continue
            refs = []
            for j, slug in enumerate(page.get("articles", [])):
                if not isinstance(slug, str):
                    problems.append(
                        Problem(issue_rel, f"pages.{i}.articles.{j}", "must be an article slug", Code.WRONG_TYPE)
                    )
                elif slug in placed:
                    problems.append(
                        Problem(
                            issue_rel,
                            f"pages.{i}.articles.{j}",
                            f"article {slug!r} is placed twice",
                            Code.BROKEN_REFERENCE,
                        )
                    )
                elif slug in articles:
                    refs.append(articles[slug])
                elif not is_slug(slug) or not (folder / f"{slug}.md").exists():  # no ../ paths
                    problems.append(
                        Problem(
                            issue_rel, f"pages.{i}.articles.{j}", f"no article file {slug}.md", Code.BROKEN_REFERENCE
                        )
                    )
                if isinstance(slug, str):
                    placed.add(slug)
            resolved_pages.append({**page, "articles": refs})
        meta = {**meta, "pages": resolved_pages}
    for slug in sorted(set(articles) - placed):
        problems.append(
            Problem(
                _rel(folder / f"{slug}.md", folder),
                "",
                "is not placed on any page of issue.yaml",
                Code.BROKEN_REFERENCE,
            )
        )
    if problems:
        raise ContentError(*problems)
    try:
        return Issue.model_validate({**meta, "id": issue_id, "timezone": publication.timezone})
    except ValidationError as exc:
        raise ContentError(*problems_from(exc, issue_rel)) from None


@dataclass(frozen=True)
class Declared:
    """The date and numbers an issue folder's issue.yaml declares, read leniently (None: absent or unreadable)."""

    id: str
    date: date | None
    number: int | None
    total_number: int | None


def _counted(value: Any, limit: int) -> bool:
    """A number an issue could really have (1 to ``limit``): `new` counts on from it."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= limit


def declared_numbers(root: Path) -> list[Declared]:
    """What every issue folder declares, valid or not, oldest first: `exporter new` numbers after all of
    them, so a broken (or draft) issue's number is never given out twice."""
    found = []
    for folder in issue_dirs(Path(root)):
        try:
            meta = parse_yaml(read_text(folder / ISSUE_FILE, folder), ISSUE_FILE)
        except (ContentError, OSError):
            meta = {}
        day = meta.get("date")
        if isinstance(day, str):  # quoted: '2026-03-30'
            try:
                day = date.fromisoformat(day)
            except ValueError:
                day = None
        day = day if isinstance(day, date) and not isinstance(day, datetime) else None
        number, total = (meta.get(k) for k in ("number", "total_number"))
        found.append(
            Declared(
                folder.name,
                day,
                number if _counted(number, MAX_NUMBER) else None,
                total if _counted(total, MAX_TOTAL_NUMBER) else None,
            )
        )
    return sorted(found, key=lambda d: (d.date or date.min, d.id))


@dataclass
class Content:
    """Everything loaded from a content root: the valid issues and the problems of the others."""

    root: Path
    publication: Publication
    issues: list[Issue] = field(default_factory=list)
    failed: dict[str, list[Problem]] = field(default_factory=dict)
    drafts: list[Issue] = field(default_factory=list)  # valid issues marked `draft: true`: never published
    fingerprints: dict[str, str] = field(default_factory=dict)  # issue id → hash of its folder (cached loads)

    @property
    def problems(self) -> Iterator[Problem]:
        for probs in self.failed.values():
            yield from probs


def load_content(
    root: Path, only: set[str] | None = None, cache: Path | None = None, base_url: str | None = None
) -> Content:
    """Load the publication and every issue; invalid issues are collected, not raised.

    A broken publication.yaml raises ContentError: nothing can be published without it. With a
    ``cache`` folder, issues whose files did not change are taken from there (see IssueCache).
    ``base_url`` (the build option) replaces publication.yaml's.
    """
    root = Path(root)
    if not root.is_dir():
        raise ContentError(Problem(str(root), "", "content folder does not exist", Code.UNUSABLE_FILE))
    publication = load_publication(root, base_url)
    content = Content(root=root, publication=publication)
    issue_cache = IssueCache(cache, publication_bytes(root, base_url)) if cache else None
    seen_totals: dict[int, str] = {}
    for link in sorted(p for p in root.iterdir() if p.is_symlink() and not p.name.startswith((".", "_"))):
        if link.is_dir() and (only is None or link.name in only):  # issue_dirs skips links: say so
            message = "is a link; an issue folder must be a real folder"
            content.failed[link.name] = [Problem(link.name, "", message, Code.UNUSABLE_FILE)]
    for folder in issue_dirs(root):
        if only is not None and folder.name not in only:
            continue
        try:
            issue = issue_cache.load(folder, publication) if issue_cache else load_issue(folder, publication)
        except ContentError as exc:
            content.failed[folder.name] = exc.problems
            continue
        if issue.draft:
            content.drafts.append(issue)
            continue
        if issue.total_number in seen_totals:
            other = seen_totals[issue.total_number]
            content.failed[folder.name] = [
                Problem(f"{folder.name}/{ISSUE_FILE}", "total_number",
                        f"{issue.total_number} is also the number of issue {other}", Code.BROKEN_REFERENCE)
            ]  # fmt: skip
            continue
        seen_totals[issue.total_number] = issue.id
        content.issues.append(issue)
    content.issues.sort(key=lambda i: (i.date, i.total_number), reverse=True)
    _check_order(content)
    if issue_cache:
        content.fingerprints = dict(issue_cache.keys)
    if issue_cache and only is None:
        issue_cache.forget_unused()
    return content


class IssueCache:
    """Validated issues kept between builds, keyed by the bytes of every file in the issue folder.

    Parsing YAML and Markdown dominates a no-change rebuild of a large archive; the key covers the
    folder's files (symbolic links by their target, never followed), the publication file and the
    loader's own code and libraries, so a hit is exactly what loading again would give. Folders holding
    anything else (devices, pipes, oversized files) are never cached: loading reports them.
    """

    MAX_BYTES = 256 * 1024 * 1024

    def __init__(self, folder: Path, publication: bytes) -> None:
        self.memo = Memo(folder)
        self.index_path = folder / ".stat-index.json"  # folder name → [stat signature, key]
        try:
            self.index: dict[str, list[str]] = json.loads(self.index_path.read_text("utf-8"))
        except (OSError, ValueError):
            self.index = {}
        self.saved_index = dict(self.index)
        self.keys: dict[str, str] = {}  # issue folder name → the hash of all its files
        self.base = hashlib.sha256(publication + _loader_code_hash().encode())

    def key(self, issue_folder: Path) -> str | None:
        """The hash of the folder's files, or None when it holds something that is never cached.

        Like git's index, a stat signature of the folder (sizes, times, inodes; no reads) finds the
        hash of the last build when nothing was touched. Files changed in the last seconds are always
        read, so an edit within the file system's time granularity is not missed.
        """
        entries = []
        signature = self.base.copy()
        signature.update(issue_folder.name.encode())
        now, recent, total = time.time_ns(), False, 0
        prefix = len(str(issue_folder)) + 1  # path[prefix:] is the path relative to the folder
        for dirpath, dirnames, filenames in os.walk(issue_folder, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
                path = os.path.join(dirpath, name)
                rel = path[prefix:]
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode):
                    total += info.st_size
                    if total > self.MAX_BYTES:
                        return None
                elif not stat.S_ISLNK(info.st_mode):
                    return None
                entries.append((rel, path, info))
                stamp = f"{info.st_mode} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino}"
                signature.update(f"{rel} {stamp}\0".encode())
                recent |= now - max(info.st_mtime_ns, info.st_ctime_ns) < RACY_NS
        sig = signature.hexdigest()
        known = self.index.get(issue_folder.name)
        if known and known[0] == sig and not recent:
            return known[1]
        digest = self.base.copy()
        digest.update(issue_folder.name.encode())
        for rel, path, info in entries:
            if stat.S_ISLNK(info.st_mode):
                digest.update(f"L {rel} {os.readlink(path)}\0".encode())
            else:
                try:  # swapped for a FIFO or a link since lstat: not hashed here, the loader reports it
                    with open_inside(issue_folder, rel, self.MAX_BYTES) as handle:
                        digest.update(f"F {rel} ".encode() + hashlib.file_digest(handle, "sha256").digest())
                except AssetError:
                    return None
        key = digest.hexdigest()
        if not recent:
            self.index[issue_folder.name] = [sig, key]
        return key

    def load(self, issue_folder: Path, publication: Publication) -> Issue:
        key = self.key(issue_folder)
        if key is None:
            return load_issue(issue_folder, publication)
        self.keys[issue_folder.name] = key

        def make() -> bytes:
            return pickle.dumps(load_issue(issue_folder, publication), protocol=pickle.HIGHEST_PROTOCOL)

        try:
            issue: Issue = pickle.loads(self.memo.get("issue", [key], make))  # noqa: S301 - our own cache
        except (pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):  # a damaged entry
            self.memo.forget("issue", [key])
            issue = pickle.loads(self.memo.get("issue", [key], make))  # noqa: S301
        return issue

    def forget_unused(self) -> None:
        self.memo.forget_unused()
        self.index = {name: entry for name, entry in self.index.items() if name in self.keys}
        if self.index != self.saved_index:
            self.memo.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.index_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.index, sort_keys=True), "utf-8")
            os.replace(tmp, self.index_path)


@functools.cache
def _loader_code_hash() -> str:
    from importlib import metadata

    digest = hashlib.sha256()
    hash_package(digest)  # the whole package, as the build key does (not a hand-kept list of modules)
    for dist in ("pydantic", "pydantic_core", "PyYAML", "markdown-it-py", "nh3", "Pillow"):
        digest.update(f"{dist}={metadata.version(dist)};".encode())
    return digest.hexdigest()


def _check_order(content: Content) -> None:
    """Total numbers must rise with the date; the issues that break the order are refused.

    The longest run of issues in order is kept, so one issue with a wrong number (say, dated in the
    past with a high number) is refused instead of knocking out every issue after it.
    """
    ordered = sorted(content.issues, key=lambda i: (i.date, i.total_number))
    length, before = [1] * len(ordered), [-1] * len(ordered)
    for b, issue in enumerate(ordered):
        for a in range(b):
            if ordered[a].total_number < issue.total_number and length[a] + 1 > length[b]:
                length[b], before[b] = length[a] + 1, a
    keep: list[Issue] = []
    at = length.index(max(length)) if ordered else -1
    while at >= 0:
        keep.insert(0, ordered[at])
        at = before[at]
    kept = {i.id for i in keep}
    for issue in ordered:
        if issue.id in kept:
            continue
        prior = [k for k in keep if (k.date, k.total_number) < (issue.date, issue.total_number)]
        if prior and prior[-1].total_number >= issue.total_number:
            other, verb = prior[-1], "follow"
        else:
            other, verb = next(k for k in keep if k not in prior), "precede"
        content.failed[issue.id] = [
            Problem(f"{issue.id}/{ISSUE_FILE}", "total_number",
                    f"总第{issue.total_number}期 on {issue.date} does not {verb} "
                    f"总第{other.total_number}期 of {other.date} ({other.id})", Code.BROKEN_REFERENCE)
        ]  # fmt: skip
    content.issues = sorted(keep, key=lambda i: (i.date, i.total_number), reverse=True)
