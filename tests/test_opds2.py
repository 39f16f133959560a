"""OPDS 2.0 (JSON): every document validated against the official OPDS 2.0 JSON Schema.

The schema files are vendored in tests/schemas/opds2/ (OPDS 2.0 and the Readium Web Publication Manifest
it refers to, by their ``$id``s) and resolved offline through a ``referencing`` registry. Beyond the
schema: the paging (``next``/``previous``/``first``) visits every issue with files once, newest first, as
the OPDS 1.2 pages do; navigation by year and month reaches the same issues; acquisition links, covers
and web pages resolve to files of the declared type and size; the documents are served as
``application/opds+json``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from exporter import paths
from exporter.load import load_content
from exporter.render.feeds import PAGE_ISSUES
from tests import archive as generated
from tests.conftest import CORPUS, SAMPLE, copy_content
from tests.test_feeds import CORPUS_BASE, SAMPLE_BASE, build_with_fakes, local_file

SCHEMAS = Path(__file__).resolve().parent / "schemas" / "opds2"
ACQUIRE = "http://opds-spec.org/acquisition/open-access"
MAGIC = {"application/pdf": b"%PDF-", "application/epub+zip": b"PK\x03\x04", "image/png": b"\x89PNG\r\n\x1a\n"}
ISSUES = 2 * PAGE_ISSUES + 5  # the current page and one older page


def _python_patterns(node: Any) -> Any:
    """JSON Schema patterns are ECMA-262 regular expressions: the BCP 47 pattern of ``language`` names its
    groups ``(?<name>…)``, which Python's ``re`` (what jsonschema uses) spells ``(?P<name>…)``."""
    if isinstance(node, dict):
        return {
            k: re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", v) if k == "pattern" and isinstance(v, str) else _python_patterns(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


def _validator() -> Draft7Validator:
    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        schema = _python_patterns(json.loads(path.read_text("utf-8")))
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)))
    registry: Registry[Any] = Registry().with_resources(resources)
    feed = json.loads((SCHEMAS / "opds" / "feed.schema.json").read_text("utf-8"))
    return Draft7Validator(feed, registry=registry)


VALIDATOR = _validator()


def check(out: Path, base: str, rel: str) -> dict[str, Any]:
    """A document that the OPDS 2.0 schema accepts, with absolute links into the release that resolve."""
    data: dict[str, Any] = json.loads((out / rel).read_text("utf-8"))
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, f"{rel}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors)
    assert paths.media_type(rel) == "application/opds+json"
    datetime.fromisoformat(data["metadata"]["modified"])
    links = [*data["links"], *data.get("navigation", [])]
    for pub in data.get("publications", []):
        links += pub["links"] + pub.get("images", [])
        datetime.fromisoformat(pub["metadata"]["modified"])
    for link in links:
        href = link["href"]
        assert href.startswith(base), href
        target = local_file(out, base, href)
        assert target.is_file(), href
        if link["type"] in MAGIC:
            assert target.read_bytes().startswith(MAGIC[link["type"]]), href
        if "size" in link:
            assert link["size"] == target.stat().st_size
    return data


@pytest.fixture(scope="module")
def long_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The built output and the issue ids, newest first."""
    content = generated.generate(tmp_path_factory.mktemp("opds2") / "content", ISSUES)
    return build_with_fakes(content, content.parent / "out"), [i.id for i in load_content(content).issues]


def test_the_schema_is_really_checked() -> None:
    """The validator refuses what OPDS 2.0 refuses (so a pass means something)."""
    good = {"metadata": {"title": "t"}, "links": [{"rel": "self", "href": "https://x/"}], "navigation": [
        {"href": "https://x/a", "title": "a"}]}  # fmt: skip
    assert not list(VALIDATOR.iter_errors(good))
    assert list(VALIDATOR.iter_errors({**good, "navigation": [{"href": "https://x/a"}]}))  # no title
    assert list(VALIDATOR.iter_errors({**good, "links": [{"rel": "next", "href": "https://x/"}]}))  # no self
    no_acquisition = {"metadata": {"title": "p"}, "links": [{"rel": "alternate", "href": "https://x/p"}]}
    assert list(VALIDATOR.iter_errors({**good, "publications": [no_acquisition]}))
    acquisition = {"rel": ACQUIRE, "href": "https://x/p.epub", "type": "application/epub+zip"}
    publication = {"metadata": {"title": "p", "language": "zh-CN"}, "links": [acquisition]}
    assert not list(VALIDATOR.iter_errors({**good, "publications": [publication]}))
    bad_language = {**publication, "metadata": {"title": "p", "language": "zh_CN"}}
    assert list(VALIDATOR.iter_errors({**good, "publications": [bad_language]}))


def test_sample_and_corpus_catalogs_are_valid(tmp_path: Path) -> None:
    for name, src, base in (("sample", SAMPLE, SAMPLE_BASE), ("corpus", CORPUS, CORPUS_BASE)):
        out = build_with_fakes(copy_content(src, tmp_path / name / "content"), tmp_path / name / "out")
        data = check(out, base, "opds/catalog.json")
        rels = {link["rel"] for link in data["links"]}
        assert {"self", "start", "alternate"} <= rels
        [pub] = data["publications"]  # the sample history issue has no files in this release
        meta = pub["metadata"]
        assert meta["@type"] == "http://schema.org/PublicationIssue"
        assert meta["language"] == "zh-CN"
        assert meta["belongsTo"]["newspaper"]["name"] == "中国高新技术产业导报"
        assert [x["type"] for x in pub["links"] if x["rel"] == ACQUIRE] == ["application/epub+zip", "application/pdf"]
        assert pub["images"][0]["type"] == "image/png"
        for nav in data["navigation"]:
            year = check(out, base, local_file(out, base, nav["href"]).relative_to(out).as_posix())
            for month in year["navigation"]:
                check(out, base, local_file(out, base, month["href"]).relative_to(out).as_posix())


def test_pages_hold_every_issue_once_newest_first(long_archive: tuple[Path, list[str]]) -> None:
    out, ids = long_archive
    rel: str | None = "opds/catalog.json"
    seen: list[str] = []
    hops = 0
    while rel is not None:
        data = check(out, SAMPLE_BASE, rel)
        seen += [p["metadata"]["identifier"].rsplit("/", 1)[1] for p in data["publications"]]
        links = {link["rel"]: link["href"] for link in data["links"]}
        if hops:
            assert links["first"] == SAMPLE_BASE + "opds/catalog.json" and "previous" in links
        rel = local_file(out, SAMPLE_BASE, links["next"]).relative_to(out).as_posix() if "next" in links else None
        hops += 1
    assert hops == 2
    assert seen == ids


def test_year_and_month_navigation_reaches_every_issue(long_archive: tuple[Path, list[str]]) -> None:
    out, ids = long_archive
    catalog = check(out, SAMPLE_BASE, "opds/catalog.json")
    found: list[str] = []
    for year_link in catalog["navigation"]:
        year = check(out, SAMPLE_BASE, local_file(out, SAMPLE_BASE, year_link["href"]).relative_to(out).as_posix())
        assert "publications" not in year
        for month_link in year["navigation"]:
            rel = local_file(out, SAMPLE_BASE, month_link["href"]).relative_to(out).as_posix()
            month = check(out, SAMPLE_BASE, rel)
            assert {x["rel"]: x["href"] for x in month["links"]}["up"] == year_link["href"]
            found += [p["metadata"]["identifier"].rsplit("/", 1)[1] for p in month["publications"]]
    assert [y["title"] for y in catalog["navigation"]] == ["2022年（45 期）"]
    assert found == ids
