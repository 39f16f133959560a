"""The HTTP server over the output link (exporter.serve), tested over real HTTP on loopback.

A hand-made release holds one document of every kind (feeds, OPDS, PDF, EPUB, pages) so media types,
validators, ranges and traversal are checked without rendering; a real build checks the manifest
ETags and the status endpoint; link swaps check that every request follows ``OUT`` anew.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from exporter.publish import build
from exporter.serve import (
    MAX_HEAD,
    SMALL_FILE,
    clean_path,
    create_app,
    media_type,
    parse_networks,
    parse_range,
    scrub,
    server_config,
    status_allowed,
)
from tests.conftest import SAMPLE, copy_content

MARKER = "OUTSIDE-THE-RELEASE-MARKER"
RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet href="feed.xsl" type="text/xsl"?>
<!-- <feed> in a comment is not the root -->
<rss version="2.0"><channel><title>\xe5\xaf\xbc\xe6\x8a\xa5</title></channel></rss>
"""
ATOM = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>\n'
NAV = (
    b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id>\n'
    b'<link rel="self" type="application/atom+xml;profile=opds-catalog;kind=navigation" href="/opds/catalog.xml"/>'
    b"</feed>\n"
)
ACQ = NAV.replace(b"kind=navigation", b"kind=acquisition").replace(b"catalog.xml", b"issues.xml")
# Bigger than SMALL_FILE, so a full GET is streamed; random bytes catch any off-by-one in ranges.
PDF = b"%PDF-1.7\n" + random.Random(6).randbytes(SMALL_FILE + 12345)

RELEASE = {
    "index.html": b"<!doctype html><title>home</title>\n",
    "issues/2026-03-30/index.html": b"<!doctype html><title>issue</title>\n",
    "issues/2026-03-30/2026-03-30.pdf": PDF,
    "issues/2026-03-30/2026-03-30.epub": b"PK\x03\x04mimetypeapplication/epub+zip",
    "issues/empty/.keep": b"",
    "feeds/rss.xml": RSS,
    "feeds/atom.xml": ATOM,
    "feeds/feed.json": b'{"version": "https://jsonfeed.org/version/1.1", "title": "\xe5\xaf\xbc\xe6\x8a\xa5"}\n',
    "feeds/editions.xml": ATOM,
    "feeds/archive/2026-03-23.xml": ATOM,
    "feeds/feed.xsl": b'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>\n',
    "feeds/feeds.opml": b'<?xml version="1.0"?><opml version="2.0"/>\n',
    "opds/catalog.xml": NAV,
    "opds/issues.xml": ACQ,
    "opds/other.xml": ATOM,
    "assets/site.css": b"body{}\n",
    "null.txt": b"\xe5\xaf\xbc\xe6\x8a\xa5\n2026-03-30\n",
    "misc.xml": b"<?xml version='1.0'?><root/>\n",
    "photo.png": b"\x89PNG\r\n\x1a\n",
    ".hidden": MARKER.encode(),
}


def make_release(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def point(out: Path, target: Path) -> None:
    """Swap the link the way publish does: a new link renamed over the old one."""
    tmp = out.with_name(out.name + ".tmp")
    os.symlink(os.path.relpath(target, out.parent), tmp)
    os.replace(tmp, out)


class Server:
    """uvicorn in a thread on a free loopback port, serving one output link."""

    def __init__(self, out: Path, status: Callable[[], dict[str, object]] | None = None, **app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = server_config(create_app(out, status, **app), log_config=None, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            threading.Event().wait(0.01)
        assert self.server.started, "uvicorn did not start"
        self.base = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.base, timeout=10)

    def raw(self, method: str, path: str) -> tuple[int, bytes]:
        """A request with the path exactly as given (httpx would normalise dot segments)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    base = tmp_path_factory.mktemp("serve")
    (base / "secret.txt").write_text(MARKER)
    releases = base / ".out.releases"
    release = make_release(releases / "r1", RELEASE)
    (releases / "sibling.txt").write_text(MARKER)  # beside the release: outside it too
    os.symlink("../../../secret.txt", release / "link-out")  # a link inside the release pointing out
    os.symlink("index.html", release / "link-in")  # a link that stays inside is fine
    out = base / "out"
    point(out, release)
    server = Server(out)
    yield server, release
    server.stop()


# -- pure helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ""),
        ("/issues/2026-03-30/", "issues/2026-03-30"),
        ("/feeds/rss.xml", "feeds/rss.xml"),
        ("/../x", None),
        ("/a/../../x", None),
        ("/./x", None),
        ("//etc/passwd", None),
        ("/a//b", None),
        ("/.hidden", None),
        ("/a\\..\\b", None),
        ("/a\x00b", None),
        ("relative", None),
    ],
)
def test_clean_path(path: str, expected: str | None) -> None:
    assert clean_path(path) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=10-", (10, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=1000-", "unsatisfiable"),
        ("bytes=-0", "unsatisfiable"),
        ("bytes=5-1", None),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=-", None),
        # Positions of any length (int() refuses more than 4,300 digits): past the end as RFC 9110 says.
        ("bytes=0-" + "9" * 4301, (0, 999)),
        ("bytes=" + "9" * 4301 + "-", "unsatisfiable"),
        ("bytes=" + "9" * 4301 + "-" + "9" * 4302, "unsatisfiable"),
        ("bytes=-" + "9" * 4301, (0, 999)),
        ("bytes=" + "0" * 4301 + "5-" + "0" * 30 + "7", (5, 7)),
        ("bytes=999999999999999999-", "unsatisfiable"),
        ("bytes=0-\u0669", None),  # an Arabic-Indic nine is not a digit here
    ],
)
def test_parse_range(header: str, expected: object) -> None:
    assert parse_range(header, 1000) == expected


def test_media_type_sniffs_the_root_element() -> None:
    assert media_type("feeds/other.xml", RSS).startswith("application/rss+xml;")
    assert media_type("feeds/other.xml", ATOM).startswith("application/atom+xml;")
    assert media_type("opds/x.xml", ACQ).startswith("application/atom+xml;profile=opds-catalog;kind=acquisition")
    assert media_type("opds/x.xml", ATOM).startswith("application/atom+xml;profile=opds-catalog;")
    assert media_type("x/unknown.bin") == "application/octet-stream"


# -- over HTTP -------------------------------------------------------------------------------------

MEDIA_TYPES = [
    ("feeds/rss.xml", "application/rss+xml; charset=utf-8"),
    ("feeds/atom.xml", "application/atom+xml; charset=utf-8"),
    ("feeds/editions.xml", "application/atom+xml; charset=utf-8"),
    ("feeds/archive/2026-03-23.xml", "application/atom+xml; charset=utf-8"),
    ("feeds/feed.json", "application/feed+json; charset=utf-8"),
    ("feeds/feed.xsl", "text/xsl; charset=utf-8"),
    ("feeds/feeds.opml", "text/x-opml; charset=utf-8"),
    ("opds/catalog.xml", "application/atom+xml;profile=opds-catalog;kind=navigation; charset=utf-8"),
    ("opds/issues.xml", "application/atom+xml;profile=opds-catalog;kind=acquisition; charset=utf-8"),
    ("opds/other.xml", "application/atom+xml;profile=opds-catalog; charset=utf-8"),
    ("issues/2026-03-30/2026-03-30.pdf", "application/pdf"),
    ("issues/2026-03-30/2026-03-30.epub", "application/epub+zip"),
    ("index.html", "text/html; charset=utf-8"),
    ("assets/site.css", "text/css; charset=utf-8"),
    ("null.txt", "text/plain; charset=utf-8"),
    ("misc.xml", "application/xml; charset=utf-8"),
    ("photo.png", "image/png"),
]


def test_media_types_and_headers(site: tuple[Server, Path]) -> None:
    server, release = site
    for rel, expected in MEDIA_TYPES:
        response = server.client.get("/" + rel)
        assert response.status_code == 200, rel
        assert response.headers["content-type"] == expected, rel
        assert response.content == (release / rel).read_bytes(), rel
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["etag"] == '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        assert response.headers["last-modified"] == formatdate((release / rel).stat().st_mtime, usegmt=True)
    cache = {rel: server.client.head("/" + rel).headers["cache-control"] for rel, _ in MEDIA_TYPES}
    assert cache["feeds/atom.xml"] == cache["opds/catalog.xml"] == "public, max-age=300"
    assert cache["issues/2026-03-30/2026-03-30.pdf"] == "public, max-age=3600"


def test_conditional_requests(site: tuple[Server, Path]) -> None:
    client = site[0].client
    first = client.get("/feeds/atom.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for header in ({"If-None-Match": etag}, {"If-None-Match": f'"nope", W/{etag}'}, {"If-None-Match": "*"},
                   {"If-Modified-Since": modified}):  # fmt: skip
        again = client.get("/feeds/atom.xml", headers=header)
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, max-age=300"
    assert client.get("/feeds/atom.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    old = formatdate(0, usegmt=True)
    assert client.get("/feeds/atom.xml", headers={"If-Modified-Since": old}).status_code == 200
    assert client.get("/feeds/atom.xml", headers={"If-Modified-Since": "yesterday"}).status_code == 200
    future = formatdate(time.time() + 86400 * 365, usegmt=True)
    assert client.get("/feeds/atom.xml", headers={"If-Modified-Since": future}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.get("/feeds/atom.xml", headers=both).status_code == 200
    assert client.head("/feeds/atom.xml", headers={"If-None-Match": etag}).status_code == 304


def test_head_matches_get(site: tuple[Server, Path]) -> None:
    client = site[0].client
    for rel in ("feeds/rss.xml", "issues/2026-03-30/2026-03-30.pdf", ""):
        get, head = client.get("/" + rel), client.head("/" + rel)
        assert head.status_code == 200
        assert head.content == b""
        for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
            assert head.headers[name] == get.headers[name], (rel, name)
        assert int(head.headers["content-length"]) == len(get.content)


def test_ranges(site: tuple[Server, Path]) -> None:
    client = site[0].client
    url, size = "/issues/2026-03-30/2026-03-30.pdf", len(PDF)
    full = client.get(url)
    assert full.content == PDF  # streamed: bigger than SMALL_FILE
    etag = full.headers["etag"]
    cases = [("bytes=0-99", 0, 99), ("bytes=-100", size - 100, size - 1), (f"bytes={size - 10}-", size - 10, size - 1),
             ("bytes=1000-200000", 1000, 200000), (f"bytes=5-{size * 2}", 5, size - 1)]  # fmt: skip
    for header, first, last in cases:
        part = client.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == PDF[first : last + 1], header
        assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert part.headers["content-length"] == str(last - first + 1)
        assert part.headers["content-type"] == "application/pdf"
    head = client.head(url, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head.headers["content-length"] == "10"
    bad = client.get(url, headers={"Range": f"bytes={size}-"})
    assert bad.status_code == 416
    assert bad.headers["content-range"] == f"bytes */{size}"
    # Ignored Range headers serve the whole file: several ranges, other units, nonsense.
    for header in ("bytes=0-1,5-6", "pages=1-2", "bytes=9-2"):
        assert client.get(url, headers={"Range": header}).status_code == 200, header
    # If-Range: the range only if the file is still the one the client has.
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == PDF
    modified = full.headers["last-modified"]
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": modified}).status_code == 206
    # Small files have ranges too (an EPUB reader may ask for the zip's end).
    epub = client.get("/issues/2026-03-30/2026-03-30.epub", headers={"Range": "bytes=-8"})
    assert epub.status_code == 206 and epub.content == RELEASE["issues/2026-03-30/2026-03-30.epub"][-8:]


def test_absurd_ranges_and_dates_are_answered_not_500(site: tuple[Server, Path]) -> None:
    """A Range with 4,301 nines and an If-Modified-Since in year 99999999999 answered 500."""
    client = site[0].client
    url, size = "/issues/2026-03-30/2026-03-30.pdf", len(PDF)
    whole = client.get(url, headers={"Range": "bytes=0-" + "9" * 4301})
    assert whole.status_code == 206 and whole.content == PDF
    assert whole.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    suffix = client.get(url, headers={"Range": "bytes=-" + "9" * 4301})
    assert suffix.status_code == 206 and suffix.content == PDF
    beyond = client.get(url, headers={"Range": "bytes=" + "9" * 4301 + "-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    small = client.get("/feeds/atom.xml", headers={"Range": "bytes=1-" + "9" * 5000})
    assert small.status_code == 206 and small.content == ATOM[1:]
    for since in ("Sat, 01 Jan 99999999999 00:00:00 GMT", "Sat, 01 Jan 10000 00:00:00 GMT",
                  "Mon, 31 Feb 2026 00:00:00 GMT", "Mon, 01 Jan 2026 99:99:99 GMT", "Mon, 01 Xyz 2026 00:00:00 GMT",
                  "9" * 5000, ""):  # fmt: skip
        for method in ("GET", "HEAD"):
            response = client.request(method, "/feeds/atom.xml", headers={"If-Modified-Since": since})
            assert response.status_code == 200, (method, since[:40], response.status_code)
        ranged = client.get(url, headers={"If-Modified-Since": since, "Range": "bytes=0-9"})
        assert ranged.status_code == 206 and ranged.content == PDF[:10]


def _send_head(port: int, head: bytes, chunk: int = 16 * 1024) -> tuple[int, bytes]:
    """Send a request head in pieces until the server answers or hangs up; (bytes sent, answer)."""
    sent, view = 0, memoryview(head)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            while sent < len(head):
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # the server answered (or closed): stop sending, read its answer
                sent += sock.send(view[sent : sent + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
    return sent, answer


def test_huge_request_heads_get_431_and_the_server_lives(site: tuple[Server, Path]) -> None:
    """Header size was unlimited (httptools keeps a header of any size in memory: 4 connections with
    100 MB headers took the server to 518 MB)."""
    server, _ = site
    # Just over the limit, then nothing more: the answer is a clean 431.
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MAX_HEAD
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    # Many headers, and one endless header line: the server stops reading long before the end.
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90) for i in range(12000))
    endless = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * 1024 * 1024)
    for big in (many, endless):
        sent, answer = _send_head(server.port, big)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:100]  # refused, not served
    assert sent < len(endless), "the server read the whole 64 MB head"
    # A URL that long is the same.
    sent, answer = _send_head(server.port, b"GET /" + b"a" * (2 * 1024 * 1024) + b" HTTP/1.1\r\n\r\n")
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    # A head just under the limit is served, and so is everything after.
    fine = server.client.get("/", headers={"X-Fill": "a" * (MAX_HEAD - 2048)})
    assert fine.status_code == 200 and fine.content == RELEASE["index.html"]
    assert server.client.get("/feeds/atom.xml").status_code == 200


def test_huge_heads_do_not_grow_the_server(site: tuple[Server, Path]) -> None:
    """Four connections sending 100 MB heads at once: the server (in this process) stays small."""
    server, _ = site

    def rss() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (100 * 1024 * 1024)  # the clients' (shared)
    before = rss()
    results: list[tuple[int, bytes]] = []
    threads = [threading.Thread(target=lambda: results.append(_send_head(server.port, head, 256 * 1024)))
               for _ in range(4)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4
    assert all(sent < 50 * 1024 * 1024 for sent, _ in results), [sent for sent, _ in results]
    grown = rss() - before
    assert grown < 16 * 1024 * 1024, f"the server grew by {grown / 2**20:.0f} MB"
    assert server.client.get("/").status_code == 200


TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/secret.txt",
    "/issues/../../secret.txt",
    "/issues/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd",
    "/../sibling.txt",
    "/%2e%2e/sibling.txt",
    "/%2e%2e/r1/index.html",
    "//etc/passwd",
    "/issues/..%5c..%5csecret.txt",
    "/link-out",
    "/.hidden",
    "/%2ehidden",
    "/feeds/%00",
    "/./index.html",
]


def test_no_access_outside_the_release(site: tuple[Server, Path]) -> None:
    server, _ = site
    for path in TRAVERSALS:
        for method in ("GET", "HEAD"):
            status, body = server.raw(method, path)
            assert status in (400, 404), (path, status)
            assert MARKER.encode() not in body and b"root:" not in body, path
    assert server.raw("GET", "/link-in")[0] == 200  # a link that stays inside the release is served
    assert server.client.post("/index.html").status_code == 405
    assert server.client.get("/nope.xml").status_code == 404


def test_directory_urls_serve_index(site: tuple[Server, Path]) -> None:
    client = site[0].client
    assert client.get("/").content == RELEASE["index.html"]
    assert client.get("/issues/2026-03-30/").content == RELEASE["issues/2026-03-30/index.html"]
    moved = client.get("/issues/2026-03-30?x=1")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/issues/2026-03-30/?x=1"
    assert client.get("/issues/empty/").status_code == 404  # no listing without index.html
    assert client.get("/null.txt/").status_code == 404
    index = client.get("/issues/2026-03-30/index.html").headers["etag"]
    assert client.get("/issues/2026-03-30/").headers["etag"] == index


def test_link_swaps_are_followed_per_request(tmp_path: Path) -> None:
    out = tmp_path / "out"
    server = Server(out)
    try:
        assert server.client.get("/").status_code == 503  # nothing published yet
        status = server.client.get("/_status").json()
        assert status["release"] is None and status["published"] == []
        r1 = make_release(tmp_path / ".out.releases" / "r1", {"index.html": b"one", "feeds/atom.xml": ATOM})
        r2 = make_release(tmp_path / ".out.releases" / "r2", {"index.html": b"two", "feeds/atom.xml": ATOM})
        point(out, r1)
        with httpx.Client(base_url=server.base) as keep_alive:  # one connection across the swaps
            first = keep_alive.get("/")
            assert first.content == b"one"
            feed_etag = keep_alive.get("/feeds/atom.xml").headers["etag"]
            point(out, r2)
            second = keep_alive.get("/", headers={"If-None-Match": first.headers["etag"]})
            assert second.status_code == 200 and second.content == b"two"
            # Same bytes in another release: same ETag, so readers revalidate for free.
            assert keep_alive.get("/feeds/atom.xml", headers={"If-None-Match": feed_etag}).status_code == 304
            (r2 / "feeds" / "atom.xml").unlink()
            assert keep_alive.get("/feeds/atom.xml").status_code == 404
            point(out, r1)
            assert keep_alive.get("/").content == b"one"
    finally:
        server.stop()


def test_real_release_etags_and_status(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = tmp_path / "out"
    first = build(content, out, ("site", "null"))
    service_state = {"state": "idle", "builds": 1}
    server = Server(out, status=lambda: service_state)
    try:
        client = server.client
        status = client.get("/_status")
        assert status.headers["cache-control"] == "no-store"
        assert status.headers["content-type"] == "application/json; charset=utf-8"
        doc = status.json()
        assert doc["release"] == first.release
        assert doc["published"] == ["2026-03-30", "2026-03-23"]
        assert doc["problems"] == {} and doc["files"] == first.files and doc["built"].endswith("Z")
        assert doc["service"] == service_state
        manifest = json.loads((tmp_path / ".out.releases" / f"{first.release}.json").read_text())
        page = "issues/2026-03-30/world-leading-science-parks.html"
        other = "issues/2026-03-23/index.html"
        etags = {rel: client.get("/" + rel).headers["etag"] for rel in (page, other, "null.txt")}
        for rel, etag in etags.items():
            assert etag == '"' + manifest["files"][rel][:32] + '"'

        article = content / "2026-03-30" / "world-leading-science-parks.md"
        article.write_text(article.read_text("utf-8").replace("科技园", "科学园", 1), "utf-8")
        second = build(content, out, ("site", "null"))
        assert second.changed and second.release != first.release
        assert client.get("/_status").json()["release"] == second.release
        assert client.get("/" + page).headers["etag"] != etags[page]
        assert client.get("/" + other, headers={"If-None-Match": etags[other]}).status_code == 304
        new_etag = client.get("/" + page).headers["etag"]
        assert client.get("/" + page, headers={"If-None-Match": new_etag}).status_code == 304
    finally:
        server.stop()


# -- /_status: who may read it, and what it says ----------------------------------------------------


@pytest.mark.parametrize(
    ("client", "headers", "networks", "allowed"),
    [
        ("127.0.0.1", [], (), True),
        ("127.0.0.2", [], (), True),
        ("::1", [], (), True),
        ("::ffff:127.0.0.1", [], (), True),  # a dual-stack socket's view of a v4 loopback client
        ("203.0.113.7", [], (), False),
        ("10.1.2.3", [], (), False),
        (None, [], (), False),
        ("10.1.2.3", [], ("10.0.0.0/8",), True),
        ("127.0.0.1", [], ("10.0.0.0/8",), False),  # --status-from replaces the default
        ("127.0.0.2", [], ("127.0.0.1/32",), False),
        # Forwarding headers only narrow: each address they name must be allowed too.
        ("127.0.0.1", [("X-Forwarded-For", "203.0.113.7")], (), False),
        ("127.0.0.1", [("X-Forwarded-For", "127.0.0.1, 203.0.113.7")], (), False),
        ("127.0.0.1", [("x-forwarded-for", "127.0.0.1, ::1")], (), True),
        ("127.0.0.1", [("Forwarded", 'for="[2001:db8::1]:4711";proto=https')], (), False),
        ("127.0.0.1", [("Forwarded", 'for="[::1]:80", for=127.0.0.3;by=10.0.0.1')], (), True),
        ("127.0.0.1", [("Forwarded", "for=unknown")], (), False),
        ("127.0.0.1", [("X-Real-IP", "_hidden")], (), False),
        ("127.0.0.1", [("X-Forwarded-For", "")], (), False),
        ("203.0.113.7", [("X-Forwarded-For", "127.0.0.1")], (), False),  # a header never widens
        ("10.1.2.3", [("X-Forwarded-For", "10.9.9.9:5555")], ("10.0.0.0/8",), True),
    ],
)
def test_status_allowed(client: str | None, headers: list[tuple[str, str]], networks: tuple[str, ...],
                        allowed: bool) -> None:  # fmt: skip
    assert status_allowed(client, headers, parse_networks(networks or ("127.0.0.0/8", "::1"))) is allowed


def test_scrub_removes_absolute_paths() -> None:
    doc = {"a": ["PublishError: /srv/news/out exists", "file:///usr/share/fonts/x.ttf missing"],
           "/srv/news/content/2026-04-06/a.md": "see https://example.com/a/b, 2026-04-06/issue.yaml, 1/2"}  # fmt: skip
    assert scrub(doc, ["/srv/news/content"]) == {
        "a": ["PublishError: …/out exists", "…/x.ttf missing"],
        "2026-04-06/a.md": "see https://example.com/a/b, 2026-04-06/issue.yaml, 1/2",
    }


def _get_from(server: Server, source: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """A request from another loopback address (the client socket bound to ``source``)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=server.base, transport=transport, timeout=10) as client:
        response = client.get(path, headers=headers)
    return response


def test_status_only_for_allowed_clients(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = tmp_path / "out"
    build(content, out, ("null",))
    default = Server(out)
    narrow = Server(out, status_from=("127.0.0.1/32",))
    try:
        assert default.client.get("/_status").status_code == 200
        assert _get_from(default, "127.0.0.2", "/_status").status_code == 200  # loopback is 127/8
        for header in ({"X-Forwarded-For": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7"},
                       {"X-Real-IP": "unknown"}, {"X-Forwarded-For": "127.0.0.1, 198.51.100.1"}):  # fmt: skip
            refused = default.client.get("/_status", headers=header)
            assert refused.status_code == 403, header
            assert b"published" not in refused.content and refused.headers["cache-control"] == "no-store"
        assert default.client.get("/_status", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
        # --status-from 127.0.0.1/32: a client at 127.0.0.2 stands for one outside the allowed networks.
        outsider = _get_from(narrow, "127.0.0.2", "/_status")
        assert outsider.status_code == 403 and b"2026-03-30" not in outsider.content
        assert _get_from(narrow, "127.0.0.2", "/null.txt").status_code == 200  # the rest is public
        assert _get_from(narrow, "127.0.0.1", "/_status").status_code == 200
    finally:
        default.stop()
        narrow.stop()


def test_status_has_no_paths_and_current_problems(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    out = tmp_path / "out"
    first = build(content, out, ("site", "null"))
    releases = tmp_path / ".out.releases"
    service_state = {
        "last_error": {"message": f"PublishError: {out} exists and is not an exporter output link"},
        "log": f"wrote {releases}/{first.release}/null.txt and {content}/2026-03-30/issue.yaml",
    }
    server = Server(out, status=lambda: service_state, private=[content])
    try:
        doc = server.client.get("/_status")
        assert doc.status_code == 200 and doc.json()["problems"] == {}
        assert str(tmp_path).encode() not in doc.content and os.path.realpath(tmp_path).encode() not in doc.content
        assert (
            doc.json()["service"]["last_error"]["message"]
            == "PublishError: out exists and is not an exporter output link"
        )
        assert doc.json()["service"]["log"] == f"wrote .out.releases/{first.release}/null.txt and 2026-03-30/issue.yaml"

        # A published issue breaks: it is kept, nothing new is published, yet /_status says so at once.
        article = content / "2026-03-30" / "ai-plus-industry-forum.md"
        good = article.read_text("utf-8")
        article.write_text(good.replace("headline:", "headlin:", 1), "utf-8")
        broken = build(content, out, ("site", "null"))
        assert not broken.changed and broken.kept == ["2026-03-30"]
        problems = server.client.get("/_status").json()["problems"]
        assert list(problems) == ["2026-03-30"]
        assert problems["2026-03-30"][0].startswith("2026-03-30/ai-plus-industry-forum.md: headline: ")
        # Repaired: the problems go away, though the release is the same one still.
        article.write_text(good, "utf-8")
        fixed = build(content, out, ("site", "null"))
        assert fixed.release == first.release
        assert server.client.get("/_status").json()["problems"] == {}
    finally:
        server.stop()


def test_status_from_is_checked_on_the_command_line() -> None:
    from click.testing import CliRunner

    from exporter.cli import main

    for command in ("serve", "run"):
        bad = CliRunner().invoke(main, [command, "--status-from", "10.0.0.0/33"])
        assert bad.exit_code == 2 and "--status-from" in bad.output, bad.output
    assert "--status-from" in CliRunner().invoke(main, ["serve", "--help"]).output


# -- image names that need percent-encoding ---------------------------------------------------------------

# A '#' starts a fragment, a '?' a query and '%25' decodes to '%': written as they are, each URL names
# another file (or none). Every URL of an image is percent-encoded once, from Image.url_path.
AWKWARD_NAMES = ("photo#1.png", "photo?v=2.png", "100%25.png", "照片 一.png")


def test_images_with_url_special_names_are_fetched_from_the_served_site(tmp_path: Path) -> None:
    import re
    from html import unescape
    from urllib.parse import urljoin, urlsplit

    from exporter.load import load_content

    content = copy_content(SAMPLE, tmp_path / "content")
    seed = content / "2026-03-30"
    article = seed / "world-leading-science-parks.md"
    photo = (seed / "images" / "kevin-kelly-ai-glasses.png").read_bytes()
    extra = ""
    for i, name in enumerate(AWKWARD_NAMES):
        (seed / "images" / name).write_bytes(photo)  # the same PNG under each name
        extra += f'- file: "images/{name}"\n  alt: 特殊文件名{i}\n'
    text = article.read_text("utf-8")
    article.write_text(text.replace("  placeholder: true\n", "  placeholder: true\n" + extra, 1), "utf-8")
    out = tmp_path / "out"
    result = build(content, out, ("site", "feeds"))
    assert result.ok, result.problems
    pub = load_content(content).publication

    server = Server(out)
    try:
        page_path = "/issues/2026-03-30/world-leading-science-parks.html"
        status, page = server.raw("GET", page_path)
        assert status == 200
        sources = [unescape(s) for s in re.findall(r'<img[^>]* src="([^"]+)"', page.decode("utf-8"))]
        feed = json.loads((out / "feeds" / "feed.json").read_text("utf-8"))
        feed_urls = [
            unescape(s)
            for item in feed["items"]
            for s in re.findall(r'<img[^>]* src="([^"]+)"', item.get("content_html", ""))
        ]
        for name in AWKWARD_NAMES:
            encoded = (
                "media/images/"
                + {
                    "photo#1.png": "photo%231.png",
                    "photo?v=2.png": "photo%3Fv%3D2.png",
                    "100%25.png": "100%2525.png",
                    "照片 一.png": "%E7%85%A7%E7%89%87%20%E4%B8%80.png",
                }[name]
            )
            on_page = [s for s in sources if s.endswith(encoded)]
            assert on_page, (name, sources)
            in_feed = [u for u in feed_urls if u.endswith(encoded)]
            assert in_feed and all(u.startswith(pub.base_url) for u in in_feed), (name, feed_urls)
            for url in (urljoin(page_path, on_page[0]), "/" + in_feed[0].removeprefix(pub.base_url)):
                status, body = server.raw("GET", urlsplit(url).path)
                assert status == 200, (name, url)
                assert body == photo
            # Unencoded, the same name is another file or no file: the bug this prevents.
            if name.isascii():
                status, _ = server.raw("GET", f"/issues/2026-03-30/media/images/{name}")
                assert status != 200, name
    finally:
        server.stop()
