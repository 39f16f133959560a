"""The structured issue model: Publication, Issue, Page (版), Article, Image, Highlight (导读).

All validation lives here. Renderers receive validated, sanitised objects and never check again.

Models that touch files (images) need a validation context ``{"issue_dir": Path}``; the loader
(:mod:`exporter.load`) supplies it. Times are always timezone-aware; text fields refuse characters
that XML 1.0 cannot carry, so no feed or EPUB can fail on them later.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from exporter import markup, paths, texts
from exporter.assets import AssetError, read_inside

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

# Characters XML 1.0 cannot carry (C0 controls other than tab/newline/CR, surrogates, U+FFFE/U+FFFF),
# plus C1 controls and the bidi overrides that can disguise text.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
SLUG_RE = r"^[a-z0-9][a-z0-9-]{0,79}$"  # use is_slug(): with re.match, '$' also matches before a final newline
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
# Bounds: values outside them cannot be a real issue, and some break a renderer (a year-1 date overflows
# the EPUB's time stamps; a publish time in year 9999 overflows the scheduler's clock).
MIN_YEAR, MAX_YEAR = 1900, 2099
MAX_NUMBER = 9_999  # 第N期
MAX_TOTAL_NUMBER = 9_999_999  # 总第N期
# Sizes: far above any real issue, low enough that every renderer finishes in seconds.
MAX_BODY_CHARS = 100_000  # Markdown characters in one article's body
MAX_ISSUE_BODY_CHARS = 1_000_000  # ... in all the articles of an issue
MAX_ARTICLES = 200  # per issue
MAX_PAGES = 200  # pages (版) an issue carries
MAX_HIGHLIGHTS = 50
MAX_IMAGES = 20  # per article
MAX_ISSUE_IMAGES = 200
# Characters in a row with no place to break a line (no space, no ideograph): WeasyPrint's line breaking
# is quadratic in the length of such a run (30,000 '[' take a minute to lay out). Text has no such runs;
# 1,000 leaves room for the longest URL printed as text.
MAX_UNBROKEN = 1_000
_RUN_CHAR = "[^\\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]"
# The look-behind starts a match only where a run starts: linear, not quadratic, in the text's length.
_UNBROKEN = re.compile(f"(?<!{_RUN_CHAR}){_RUN_CHAR}{{{MAX_UNBROKEN + 1},}}")
# Names an article cannot have: its page would replace or shadow another file of issues/<id>/
# (index.html, cover.png and thumbnail.* of the renderers, the media/ folder, the null renderer's file).
RESERVED_SLUGS = frozenset({"index", "cover", "thumbnail", "media", "null"})
# What every output says of an issue marked `sample: true` (site, feeds, OPDS, PDF, EPUB and its cover).
SAMPLE_LABEL = "样例数据"
SAMPLE_NOTICE = f"{SAMPLE_LABEL}：本期为演示用的样例内容，不是正式出版的报纸。"


def is_slug(value: str) -> bool:
    """A stable id: lower-case letters, digits and '-', 1 to 80 characters (the whole string)."""
    return _SLUG.fullmatch(value) is not None


def out_of_range(message: str) -> PydanticCustomError:
    """A value that cannot exist or is outside the supported range ([E206])."""
    return PydanticCustomError("range", message)


def too_many(message: str) -> PydanticCustomError:
    """A size or count above its limit ([E207])."""
    return PydanticCustomError("limit", message)


def _year_in_range(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise out_of_range(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def check_chars(value: str) -> str:
    match = _ILLEGAL.search(value)
    if match:
        raise ValueError(f"contains the control character U+{ord(match.group()):04X} at position {match.start()}")
    return value


def _one_line(value: str) -> str:
    value = check_chars(value)
    if "<" in value and re.search(r"<\s*[a-zA-Z/!]", value):
        raise ValueError("contains HTML markup; titles and names are plain text")
    # Newlines in a headline come from copy-paste; fold them like a browser would.
    return " ".join(value.split())


def _nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


# Plain text on one line (headlines, names, captions). Newlines are folded, HTML refused.
Line = Annotated[str, AfterValidator(_one_line), AfterValidator(_nonempty), Field(max_length=300)]
OptLine = Annotated[str, AfterValidator(_one_line), Field(max_length=300)]
# Free text that may span lines (summaries).
Text = Annotated[str, AfterValidator(check_chars), Field(max_length=2000)]


def _slug(value: str) -> str:
    if not is_slug(value):
        raise ValueError("must be a slug: 1 to 80 lower-case letters, digits and '-', starting with a letter or digit")
    return value


Slug = Annotated[str, AfterValidator(_slug), Field(json_schema_extra={"pattern": SLUG_RE})]


class Model(BaseModel):
    """Base: unknown keys are errors, values are immutable after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone offset, e.g. 2026-03-30T06:00:00+08:00")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware), AfterValidator(_year_in_range)]


def safe_relative_path(value: str) -> str:
    """A POSIX path relative to the issue folder, with no '..' and no absolute or drive prefix."""
    check_chars(value)
    if not value or "\\" in value or ":" in value:
        raise ValueError("must be a relative path like images/photo.jpg")
    path = PurePosixPath(value)
    if path.is_absolute():
        raise ValueError("must be relative to the issue folder, not absolute")
    if any(part in ("..", ".", "") for part in value.split("/")):
        raise ValueError("must not contain '..' or '.' segments")
    hidden = [part for part in value.split("/") if part.startswith(".")]
    if hidden:
        raise ValueError(
            f"{hidden[0]!r} is a hidden name (it starts with '.'): web servers and file managers hide such "
            "files; rename it without the leading dot"
        )
    return str(path)


class Image(Model):
    """A photo with alt text, caption and credit. The file is checked when validated in context."""

    file: str = Field(description="Path inside the issue folder, e.g. images/photo.jpg.")
    alt: Line
    caption: OptLine = ""
    credit: OptLine = ""
    placeholder: bool = Field(False, description="The file stands in for a photo not yet supplied.")
    # Filled in from the file itself; editors do not write these.
    media_type: str = Field("", json_schema_extra={"readOnly": True})
    width: int = Field(0, ge=0, json_schema_extra={"readOnly": True})
    height: int = Field(0, ge=0, json_schema_extra={"readOnly": True})

    @model_validator(mode="before")
    @classmethod
    def _no_derived_keys(cls, data: Any, info: ValidationInfo) -> Any:
        if (info.context or {}).get("issue_dir") is not None and isinstance(data, dict):
            for key in ("media_type", "width", "height"):
                if key in data:
                    raise ValueError(f"'{key}' is read from the image file; remove it")
        return data

    @field_validator("file")
    @classmethod
    def _inspect_file(cls, value: str, info: ValidationInfo) -> str:
        """Check the file itself when validated in context (the loader's); remember what it holds."""
        value = safe_relative_path(value)
        context = info.context or {}
        if context.get("issue_dir") is not None:
            found = context.setdefault("images", {})
            found[value] = inspect_image(Path(context["issue_dir"]), value)
        return value

    @property
    def url_path(self) -> str:
        """``file`` percent-encoded for a URL path (``#``, ``?``, ``%``, spaces, non-ASCII), '/' kept.

        Every URL of the image (web pages, feeds, JSON Feed, JSON-LD, the PDF's HTML) is made from this.
        """
        return quote(self.file, safe="/")

    @model_validator(mode="after")
    def _fill_from_file(self, info: ValidationInfo) -> Image:
        found = (info.context or {}).get("images", {}).get(self.file)
        if found:
            for key, value in zip(("media_type", "width", "height"), found, strict=True):
                object.__setattr__(self, key, value)
        return self


def inspect_image(issue_dir: Path, rel: str) -> tuple[str, int, int]:
    import io
    import warnings

    from PIL import Image as PILImage

    try:
        data = read_inside(issue_dir, rel, MAX_IMAGE_BYTES)
    except AssetError as exc:
        if exc.kind == "missing":
            raise ValueError(f"image file {rel} does not exist") from None
        if exc.kind == "outside":
            raise
        raise ValueError(f"image {exc}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError(f"image {rel} has {width}x{height} pixels; the limit is {MAX_IMAGE_PIXELS}")
                img.verify()
        except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError) as exc:
            raise ValueError(f"image {rel} is a decompression bomb: {exc}") from None
        except ValueError:
            raise
        except Exception as exc:  # Pillow raises many types for broken files
            raise ValueError(f"image {rel} cannot be read as an image: {exc}") from None
    if fmt not in IMAGE_TYPES:
        raise ValueError(f"image {rel} is {fmt}; allowed types are PNG, JPEG, GIF and WebP")
    suffix = Path(rel).suffix.lower()
    expected = {"PNG": {".png"}, "JPEG": {".jpg", ".jpeg"}, "GIF": {".gif"}, "WEBP": {".webp"}}
    if suffix not in expected[fmt]:
        raise ValueError(f"image {rel} holds {fmt} data but is named {suffix or 'without suffix'}")
    return IMAGE_TYPES[fmt], width, height


class Article(Model):
    """One article of a page (版). The body is sanitised HTML made once from Markdown at load."""

    slug: Slug = Field(description="Stable id, part of the permalink; the file name without .md.")
    kicker: OptLine = Field("", description="引题, the line above the headline.")
    headline: Line
    subheadline: OptLine = Field("", description="副题, the line below the headline.")
    dateline: OptLine = Field("", description="e.g. 本报讯, or a place and date.")
    authors: list[Line] = Field(default_factory=list, description="Names, e.g. [张伟].")
    author_role: OptLine = Field("记者", description="Shown before the names: 本报讯(记者 张伟).")
    source: OptLine = Field("", description="Original publisher when reprinted, e.g. 经济日报.")
    images: list[Image] = Field(default_factory=list, json_schema_extra={"maxItems": MAX_IMAGES})
    continued_on: int | None = Field(None, ge=1, le=999, description="转第X版: the rest runs on page X.")
    continued_from: int | None = Field(None, ge=1, le=999, description="接第X版: this part starts on page X.")
    tags: list[Annotated[Line, Field(max_length=40)]] = Field(default_factory=list)
    summary: Text = Field("", description="Derived from the body when absent.")
    published: AwareDatetime | None = Field(None, description="Defaults to the issue's time.")
    updated: AwareDatetime | None = Field(None, description="Set when a corrected text is published.")
    body_html: str = Field(description="Sanitised HTML (made by the loader from the Markdown body).")

    @field_validator("images", mode="before")
    @classmethod
    def _few_images(cls, value: Any) -> Any:
        # before each image's file is opened and inspected
        if isinstance(value, list) and len(value) > MAX_IMAGES:
            raise too_many(f"{len(value)} images; the limit is {MAX_IMAGES} per article")
        return value

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_SLUGS:
            raise ValueError(
                f"{value!r} is a reserved name (issues/<id>/ has a file or folder of that name); rename the file"
            )
        return value

    @field_validator("body_html")
    @classmethod
    def _body(cls, value: str) -> str:
        check_chars(value)
        text = markup.plain_text(value)
        if not text.strip():
            raise ValueError("the article has no text")
        run = _UNBROKEN.search(text)
        if run:
            raise too_many(
                f"has {len(run.group())} characters in a row without a space ({run.group()[:10]}…); "
                f"the limit is {MAX_UNBROKEN}: add spaces or shorten it"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _derive(self) -> Article:
        if not self.summary:
            object.__setattr__(self, "summary", markup.summarize(self.body_html))
        if self.updated and self.published and self.updated < self.published:
            raise ValueError("updated is earlier than published")
        return self

    @property
    def byline(self) -> str:
        """记者 张伟 霍立峰 (empty when there are no names)."""
        if not self.authors:
            return ""
        names = " ".join(self.authors)
        return f"{self.author_role} {names}" if self.author_role else names

    @property
    def credit_line(self) -> str:
        """本报讯(记者 张伟): dateline with the byline in full-width brackets."""
        if self.dateline and self.byline:
            return f"{self.dateline}（{self.byline}）"
        return self.dateline or self.byline

    @property
    def text(self) -> str:
        return markup.plain_text(self.body_html)


class Page(Model):
    """A page (版) of the print edition that this digital edition carries."""

    number: int = Field(ge=1, le=999)
    name: OptLine = Field("", description="e.g. 要闻, 综合.")
    editor: OptLine = ""
    articles: list[Article] = Field(min_length=1)

    @property
    def ordinal(self) -> str:
        """第1版."""
        return texts.page_ordinal(self.number)

    @property
    def label(self) -> str:
        """第1版 要闻 (第1版 when the page has no name)."""
        return texts.page_label(self.number, self.name)

    @property
    def heading(self) -> str:
        """第1版 · 要闻: the page's heading on the web page and in the PDF."""
        return texts.page_label(self.number, self.name, " · ")

    @property
    def code(self) -> str:
        """01版."""
        return texts.page_code(self.number)


class Highlight(Model):
    """An entry of 本期导读: a headline and the page it runs on, optionally the article."""

    headline: Line
    page: int = Field(ge=1, le=999)
    article: Slug | None = Field(None, description="Slug, when the digital edition carries it.")

    @property
    def print_note(self) -> str:
        """（见印刷版第3版）: how outputs mark a print-only entry."""
        return texts.print_note(self.page)

    @property
    def page_code(self) -> str:
        """03版: the page it runs on, as 导读 lists show it."""
        return texts.page_code(self.page)


class Publication(Model):
    """The periodical: masthead data and settings shared by every issue."""

    title: Line
    english_title: OptLine = ""
    supervisor: OptLine = Field("", description="主管 body, e.g. 科学技术部.")
    sponsor: OptLine = Field("", description="主办 body, e.g. 科技日报社.")
    cn_number: OptLine = Field("", description="国内统一连续出版物号, e.g. CN 11—0237.")
    issn: OptLine = ""
    postal_code: OptLine = Field("", description="邮发代号, e.g. 1—206.")
    frequency: OptLine = Field("", description="e.g. 周刊.")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "zh-CN"
    timezone: str = "Asia/Shanghai"
    base_url: str = Field(description="Absolute http(s) URL the output folder is served at.")
    website: str = ""
    website_name: OptLine = ""
    wechat: OptLine = Field("", description="微信公众号 name.")
    copyright: OptLine = ""
    publisher: OptLine = Field("", description="Defaults to the sponsor.")
    feed_issues: int = Field(4, ge=1, le=100, description="Issues in the subscription feeds.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        check_chars(value)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL, e.g. https://paper.example.cn/")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value if value.endswith("/") else value + "/"

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an absolute http(s) URL")
        return check_chars(value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def publisher_name(self) -> str:
        return self.publisher or self.sponsor or self.title

    def url(self, path: str = "") -> str:
        return self.base_url + path.lstrip("/")


class Issue(Model):
    """One issue: date, numbers, 导读 and the pages the digital edition carries."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Slug = Field(description="The issue folder name, e.g. 2026-03-30; part of every URL.")
    date: Annotated[date, AfterValidator(_year_in_range)]
    number: int = Field(ge=1, description="第N期: number within the year.", json_schema_extra={"maximum": MAX_NUMBER})
    total_number: int = Field(ge=1, description="总第N期.", json_schema_extra={"maximum": MAX_TOTAL_NUMBER})
    page_count: int = Field(ge=1, le=999, description="今日N版: pages of the print edition.")
    publish_time: AwareDatetime | None = Field(
        None, description="Embargo: hidden until then. Defaults to 00:00 of the date, local time."
    )
    highlights: list[Highlight] = Field(
        default_factory=list, description="本期导读.", json_schema_extra={"maxItems": MAX_HIGHLIGHTS}
    )
    pages: list[Page] = Field(min_length=1, json_schema_extra={"maxItems": MAX_PAGES})
    sample: bool = Field(False, description="Marks made-up sample content.")
    draft: bool = Field(
        False, description="Not published while true (`exporter new` writes it); remove it when the issue is ready."
    )
    note: OptLine = Field("", description="Shown on the issue page, e.g. where sample data is from.")
    timezone: str = Field("Asia/Shanghai", json_schema_extra={"readOnly": True})

    @field_validator("number", "total_number")
    @classmethod
    def _numbers(cls, value: int, info: ValidationInfo) -> int:
        limit = MAX_NUMBER if info.field_name == "number" else MAX_TOTAL_NUMBER
        if value > limit:
            raise out_of_range(f"must be at most {limit}")
        return value

    @field_validator("pages", "highlights", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any, info: ValidationInfo) -> Any:
        limit = MAX_PAGES if info.field_name == "pages" else MAX_HIGHLIGHTS
        if isinstance(value, list) and len(value) > limit:
            raise too_many(f"{len(value)} entries; the limit is {limit}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Issue:
        articles = self.articles
        if len(articles) > MAX_ARTICLES:
            raise too_many(f"pages: {len(articles)} articles; the limit is {MAX_ARTICLES} per issue")
        images = sum(len(a.images) for a in articles)
        if images > MAX_ISSUE_IMAGES:
            raise too_many(f"pages: {images} images; the limit is {MAX_ISSUE_IMAGES} per issue")
        if self.id in {a.slug for a in articles}:
            raise ValueError(f"pages: article {self.id!r} has the name of the issue (its PDF and EPUB); rename it")
        local = self.publish_time.astimezone(self.tz) if self.publish_time else None  # the scheduler's zone
        if local is not None and not MIN_YEAR <= local.year <= MAX_YEAR:
            raise out_of_range(f"publish_time: the year must be between {MIN_YEAR} and {MAX_YEAR} in {self.tz.key}")
        numbers = [p.number for p in self.pages]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"pages: page numbers repeat: {sorted(numbers)}")
        if numbers != sorted(numbers):
            raise ValueError("pages: must be in page order")
        if max(numbers) > self.page_count:
            raise ValueError(f"pages: page {max(numbers)} exceeds page_count {self.page_count}")
        slugs = [a.slug for p in self.pages for a in p.articles]
        dupes = sorted({s for s in slugs if slugs.count(s) > 1})
        if dupes:
            raise ValueError(f"pages: article slug used twice: {', '.join(dupes)}")
        carried = {a.slug: p.number for p in self.pages for a in p.articles}
        for i, h in enumerate(self.highlights):
            if h.page > self.page_count:
                raise ValueError(f"highlights.{i}.page: {h.page} exceeds page_count {self.page_count}")
            if h.article is not None:
                if h.article not in carried:
                    raise ValueError(f"highlights.{i}.article: no article {h.article!r} in this issue")
                if carried[h.article] != h.page:
                    raise ValueError(f"highlights.{i}.page: {h.article!r} runs on page {carried[h.article]}")
        for p in self.pages:
            for a in p.articles:
                for name in ("continued_on", "continued_from"):
                    target = getattr(a, name)
                    if target is None:
                        continue
                    if target > self.page_count:
                        raise ValueError(f"{a.slug}: {name} page {target} exceeds page_count {self.page_count}")
                    if target == p.number:
                        raise ValueError(f"{a.slug}: {name} points at its own page {target}")
        return self

    # -- derived -------------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.date.weekday()]

    @property
    def published(self) -> datetime:
        """When the issue becomes public: the embargo time or 00:00 local on its date."""
        return self.publish_time or datetime.combine(self.date, time(0, 0), tzinfo=self.tz)

    @property
    def updated(self) -> datetime:
        return max([self.published, *(self.article_updated(a) for a in self.articles)])

    def article_published(self, article: Article) -> datetime:
        return article.published or self.published

    def article_updated(self, article: Article) -> datetime:
        return article.updated or self.article_published(article)

    @property
    def articles(self) -> list[Article]:
        return [a for p in self.pages for a in p.articles]

    def page_of(self, article: Article) -> Page:
        for p in self.pages:
            if article in p.articles:
                return p
        raise KeyError(article.slug)

    def carries(self, page_number: int) -> bool:
        return any(p.number == page_number for p in self.pages)

    def print_only(self, highlight: Highlight) -> bool:
        """A 导读 story the digital edition does not carry: no article, on a page it does not carry."""
        return highlight.article is None and not self.carries(highlight.page)

    @property
    def date_text(self) -> str:
        """2026年3月30日."""
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"

    @property
    def number_text(self) -> str:
        """第11期."""
        return texts.issue_number(self.number)

    @property
    def total_number_text(self) -> str:
        """总第2663期."""
        return texts.total_number(self.total_number)

    @property
    def numbers_text(self) -> str:
        """第11期（总第2663期）."""
        return texts.numbers(self.number, self.total_number)

    @property
    def title_text(self) -> str:
        return f"{self.date_text} {self.weekday} {self.numbers_text}"

    @property
    def sample_notice(self) -> str:
        """SAMPLE_NOTICE for a sample issue, else empty."""
        return SAMPLE_NOTICE if self.sample else ""

    # Paths inside the output folder (public URLs: never change them).
    @property
    def dir(self) -> str:
        return paths.issue_dir(self.id)

    def article_path(self, article: Article) -> str:
        return paths.article(self.id, article.slug)

    @property
    def pdf_path(self) -> str:
        return paths.pdf(self.id)

    @property
    def epub_path(self) -> str:
        return paths.epub(self.id)

    def tag_uri(self, publication: Publication, article: Article | None = None) -> str:
        """RFC 4151 id that never changes: tag:host,2026-03-30:issues/2026-03-30/slug."""
        tail = f"issues/{self.id}" + (f"/{article.slug}" if article else "")
        return f"tag:{publication.host},{self.date.isoformat()}:{tail}"


def is_visible(issue: Issue, now: datetime) -> bool:
    """An embargoed issue stays out of every output until its publish time."""
    return issue.published <= now


def next_embargo(issues: list[Issue], now: datetime) -> datetime | None:
    pending = [i.published for i in issues if i.published > now]
    return min(pending) if pending else None


def normalize_text(value: str) -> str:
    """NFC-normalise text read from files (editors paste from many sources)."""
    return unicodedata.normalize("NFC", value)


__all__ = [
    "Article",
    "Highlight",
    "Image",
    "Issue",
    "Page",
    "Publication",
    "is_visible",
    "next_embargo",
]
