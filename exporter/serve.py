"""Serve the output folder over HTTP (Starlette on uvicorn).

``OUT`` is a link that :func:`exporter.publish.build` swaps to a new release folder. Every request
resolves the link again, so a swap takes effect at the next request, and a response already under way
keeps reading the release it opened (releases are never modified, only removed two builds later).
"No access outside OUT" means: outside the release folder the link points at when the request comes
in. Dot segments, empty segments, hidden names and links that resolve elsewhere all answer 404.

What a client gets:

- the media type the release manifest records for the file (:mod:`exporter.manifest`; the renderers
  declare it, :mod:`exporter.paths` knows every public path's): RSS, Atom, JSON Feed, OPDS
  (``application/atom+xml;profile=opds-catalog;kind=…``), EPUB, PDF, HTML …; a folder without a
  manifest is served by suffix and, for XML, its root element; ``charset=utf-8`` on every text type;
  ``X-Content-Type-Options: nosniff``;
- a strong ETag from the file's bytes (the sha256 the release manifest records; hashed once and cached
  for a folder that has no manifest), so an unchanged file keeps its ETag across rebuilds, and
  Last-Modified (unchanged files are hard-linked between releases, so their mtime is stable too);
  ``If-None-Match`` / ``If-Modified-Since`` answer 304;
- HEAD; single byte ranges (``Range``, ``If-Range``) on every file, for PDF and EPUB readers; a
  multi-range request gets the whole file (allowed by RFC 9110), an unsatisfiable one 416;
- directory URLs (``/``, ``/issues/2026-03-30/``) serve their ``index.html``; without the slash, 301;
- ``Cache-Control``: feeds, catalogs and pages may be cached 5 minutes, other files an hour; the ETag
  makes the revalidation after that cheap;
- ``/_status``: the release served, when it was built, the issues it publishes and the problems the
  latest build reported (the manifest: a build whose problems changed records the release again),
  plus the scheduler's state when the service runs it
  (``exporter run``). Only for clients in the allowed networks (loopback unless ``--status-from``
  says otherwise), 403 for the rest; no absolute server path and no embargoed issue id in it.

Who is the client: the TCP peer address, never a header (uvicorn's proxy-header rewriting is off).
A forwarding header (``Forwarded``, ``X-Forwarded-For``, ``X-Real-IP``) can only narrow access: every
address it lists must be allowed too, so a request a local reverse proxy forwards for a remote
reader (which then carries the reader's address) is refused. A proxy that forwards without any such
header makes every reader look local: do not proxy ``/_status`` through it.

Limits: the request head (request line and headers) is at most ``MAX_HEAD`` bytes; a bigger one gets
431 and the connection is closed, whatever the parser (see :func:`server_config`, which every start
path uses). A byte position of more than ``MAX_DIGITS`` digits is larger than any file; an
If-Modified-Since that is not a valid date is ignored (RFC 9110 13.1.3).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from exporter import manifest as manifest_file
from exporter import paths
from exporter.replica import THUMB_WIDTH

STATUS_PATH = "/_status"
LOOPBACK = ("127.0.0.0/8", "::1/128")  # who may read /_status unless told otherwise
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
MAX_HEAD = 64 * 1024  # bytes of request line + headers
MAX_DIGITS = 18  # a byte position with more digits is beyond any file (10**18 bytes is an exabyte)
SMALL_FILE = 256 * 1024  # read whole files up to this size; stream bigger ones
CHUNK = 64 * 1024
SNIFF = 8192  # bytes read to tell an RSS from an Atom document, and an OPDS catalog's kind
OPDS = paths.OPDS_TYPE

CACHE_SHORT, CACHE_LONG, CACHE_NONE = paths.CACHE_SHORT, paths.CACHE_LONG, paths.CACHE_NONE
KNOWN_TYPES = paths.KNOWN_TYPES
SUFFIX_TYPES = paths.SUFFIX_TYPES
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_ROOT_ELEMENT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_LINK = re.compile(rb"<(?:[\w.-]+:)?link\b[^>]*>", re.S)
_ATTR = re.compile(rb"""\b(rel|type)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RANGE = re.compile(r"\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*")
# An absolute path (two segments or more, or a file: URL) not inside a URL or a relative path.
_ABSOLUTE = re.compile(r"(?<![\w.:/~%-])(?:file://)?/(?:[^\s'\"<>()\[\]{},;:/]+/)+[^\s'\"<>()\[\]{},;:/]*")

StatusFn = Callable[[], dict[str, Any]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# -- pure helpers (tested directly) ----------------------------------------------------------------


def clean_path(path: str) -> str | None:
    """The release-relative path a URL path names, or None when it must not be served.

    Refused: ``.``/``..`` segments (however they were encoded: the server decodes ``%2e%2e`` and
    ``%2f`` before we see the path), empty segments (``//etc``), hidden names, NUL and backslashes.
    """
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    segments = path[1:].split("/")
    kept = []
    for i, segment in enumerate(segments):
        if segment == "":
            if i == len(segments) - 1:
                continue  # the trailing slash of a directory URL
            return None
        if segment.startswith("."):
            return None  # ".", ".." and hidden files
        kept.append(segment)
    return "/".join(kept)


def _root_element(head: bytes) -> str:
    match = _ROOT_ELEMENT.search(_COMMENT.sub(b"", head))
    return match.group(1).decode("ascii", "replace").lower() if match else ""


def _opds_self_type(head: bytes) -> str | None:
    """The type an OPDS document gives its own rel=self link (it tells navigation from acquisition)."""
    for tag in _LINK.finditer(head):
        attrs = {m.group(1).decode(): (m.group(2) or m.group(3) or b"").decode("ascii", "replace")
                 for m in _ATTR.finditer(tag.group(0))}  # fmt: skip
        if attrs.get("rel") == "self" and "profile=opds-catalog" in attrs.get("type", ""):
            return re.sub(r"\s+", "", attrs["type"])
    return None


def media_type(rel: str, head: bytes = b"") -> str:
    """The Content-Type of a file from its path and first bytes: for a folder without a manifest (a release
    the pipeline built records each file's media type, see Output.media_type)."""
    suffix = os.path.splitext(rel)[1].lower()
    top = rel.split("/", 1)[0]
    if top == "opds" and suffix == ".xml":
        mtype = _opds_self_type(head) or KNOWN_TYPES.get(rel) or OPDS
    elif rel in KNOWN_TYPES:
        mtype = KNOWN_TYPES[rel]
    elif suffix == ".xml":
        root = _root_element(head)
        mtype = {"rss": paths.RSS_TYPE, "feed": paths.ATOM_TYPE, "opml": paths.OPML_TYPE}.get(root, "application/xml")
    elif suffix == ".json" and top == "feeds":
        mtype = paths.JSON_FEED_TYPE
    elif suffix == ".json" and top == "opds":
        mtype = paths.OPDS2_TYPE
    else:
        mtype = SUFFIX_TYPES.get(suffix, "application/octet-stream")
    return paths.content_type(mtype)


cache_control = paths.cache_control


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match: weak comparison against any listed tag, or ``*``."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _position(digits: str) -> int:
    """A byte position; one of more than MAX_DIGITS digits (4,301 nines, say) is 10**MAX_DIGITS, which is
    beyond the end of any file and so means what any too-large position means (RFC 9110 14.1.2)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_DIGITS else 10**MAX_DIGITS


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One byte range → (first, last); "unsatisfiable"; or None to ignore the header (serve it all).

    Positions past the end behave as RFC 9110 says, however many digits they have: a last position
    is cut to the end of the file, a suffix longer than the file is the whole file, a first position
    past the end is unsatisfiable (416).
    """
    match = _RANGE.fullmatch(header)
    if not match:
        return None  # not bytes, malformed, or several ranges
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = _position(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = _position(first)
    end = _position(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _if_range_ok(header: str | None, etag: str, last_modified: str) -> bool:
    if header is None:
        return True
    header = header.strip()
    if header.startswith(('"', "W/")):
        return header == etag and not etag.startswith("W/")
    return header == last_modified


def _read_range(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        position, remaining = start, length
        while remaining > 0:
            data = os.pread(handle.fileno(), min(CHUNK, remaining), position)
            if not data:
                break
            position += len(data)
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``--status-from`` values (``10.0.0.0/8``, ``192.0.2.7``, ``::1``) as networks; ValueError if one is not."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def _address(text: str) -> Address | None:
    """An address as a peer or a forwarding header gives it (``1.2.3.4:80``, ``"[::1]:80"``), or None."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket
    return address


def _allowed(text: str, networks: tuple[Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def status_allowed(client: str | None, headers: Iterable[tuple[str, str]], networks: tuple[Network, ...]) -> bool:
    """Whether a request may read /_status: its TCP peer is in ``networks``, and so is every address a
    forwarding header names (headers only narrow: an unknown or unreadable one refuses)."""
    if client is None or not _allowed(client, networks):
        return False
    for name, value in headers:
        name = name.lower()
        if name not in FORWARDING_HEADERS:
            continue
        for element in value.split(","):
            if name == "forwarded":
                for pair in element.split(";"):
                    key, _, given = pair.partition("=")
                    if key.strip().lower() == "for" and not _allowed(given, networks):
                        return False
            elif not _allowed(element, networks):
                return False
    return True


def scrub(value: Any, roots: Iterable[str]) -> Any:
    """``value`` (a JSON document) without absolute paths: below a known root relative to it, any other
    one cut to its last name (``…/name``)."""
    prefixes = sorted({root.rstrip(os.sep) + os.sep for root in roots if root.strip(os.sep)}, key=len, reverse=True)

    def clean(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return _ABSOLUTE.sub(lambda m: "…/" + m.group(0).rstrip("/").rpartition("/")[2], text)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return clean(item)
        if isinstance(item, dict):
            return {clean(str(k)): walk(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- the application -------------------------------------------------------------------------------


class Output:
    """Reads the release the ``OUT`` link points at; caches manifests and hashes."""

    def __init__(self, out: Path) -> None:
        self.out = Path(os.path.abspath(out))
        self._lock = threading.Lock()
        self._manifests: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._hashes: OrderedDict[tuple[int, int, int, int], str] = OrderedDict()
        self._types: OrderedDict[tuple[str, str], str] = OrderedDict()

    def root(self) -> str | None:
        """The release folder served now (resolved per request), or None before the first build."""
        try:
            real = os.path.realpath(self.out, strict=True)
        except OSError:
            return None
        return real if os.path.isdir(real) else None

    def manifest(self, root: str) -> dict[str, Any]:
        """The manifest of a release (``.OUT.releases/<id>.json`` beside its folder), or {}."""
        if not self.out.is_symlink():
            return {}
        release = os.path.basename(root)
        with self._lock:
            if release in self._manifests:
                self._manifests.move_to_end(release)
                return self._manifests[release]
        manifest = manifest_file.read(Path(os.path.dirname(root)) / f"{release}.json", release)
        if manifest:
            with self._lock:
                self._manifests[release] = manifest
                while len(self._manifests) > 4:
                    self._manifests.popitem(last=False)
        return manifest

    def sha(self, root: str, rel: str, handle: IO[bytes], st: os.stat_result) -> str:
        recorded = manifest_file.sha(self.manifest(root), rel)
        if recorded is not None:
            return recorded
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._hashes:
                return self._hashes[key]
        digest = hashlib.sha256()
        position = 0
        while data := os.pread(handle.fileno(), 1024 * 1024, position):
            digest.update(data)
            position += len(data)
        value = digest.hexdigest()
        with self._lock:
            self._hashes[key] = value
            while len(self._hashes) > 4096:
                self._hashes.popitem(last=False)
        return value

    def media_type(self, root: str, rel: str, sha: str, handle: IO[bytes]) -> str:
        """The Content-Type of a file: what the release's manifest records; sniffed from its first bytes
        only in a folder without a manifest (not built by the pipeline)."""
        recorded = manifest_file.media_type(self.manifest(root), rel)
        if recorded is not None:
            return paths.content_type(recorded)
        if not rel.endswith(".xml"):
            return media_type(rel)
        with self._lock:
            if (rel, sha) in self._types:
                return self._types[(rel, sha)]
        mtype = media_type(rel, os.pread(handle.fileno(), SNIFF, 0))
        with self._lock:
            self._types[(rel, sha)] = mtype
            while len(self._types) > 1024:
                self._types.popitem(last=False)
        return mtype

    def status(self) -> dict[str, Any]:
        root = self.root()
        if root is None:
            return {"release": None, "built": None, "published": [], "problems": {}, "files": 0}
        # Read afresh, not from the cache: a build whose problems changed records the same release again.
        release = os.path.basename(root)
        path = Path(os.path.dirname(root)) / f"{release}.json"
        manifest = manifest_file.read(path, release) if self.out.is_symlink() else {}
        built = None
        if manifest:
            try:
                built = _iso(path.stat().st_mtime)
            except OSError:
                built = None
        return {
            "release": manifest.get("release") or release,
            "built": built,
            "published": sorted(manifest.get("issues", {}), reverse=True),
            "problems": manifest.get("problems", {}),
            "files": len(manifest.get("files", {})),
        }

    def private_roots(self) -> list[str]:
        """The server's folders, which /_status names relative to them."""
        parent = str(self.out.parent)
        return [parent, os.path.realpath(parent)]


def _not_found() -> Response:
    return PlainTextResponse("Not Found\n", status_code=404, headers={"Cache-Control": CACHE_NONE})


def serve_file(output: Output, request: Request) -> Response:
    url_path: str = request.scope["path"]
    rel = clean_path(url_path)
    if rel is None:
        return _not_found()
    root = output.root()
    if root is None:
        return PlainTextResponse(
            "No release has been published yet\n",
            status_code=503,
            headers={"Retry-After": "5", "Cache-Control": "no-store"},
        )
    target = os.path.realpath(os.path.join(root, rel))
    if target != root and not target.startswith(root + os.sep):
        return _not_found()
    if os.path.isdir(target):
        if not url_path.endswith("/"):
            location = request.scope.get("raw_path", url_path.encode()).decode("latin-1") + "/"
            query = request.scope.get("query_string", b"").decode("latin-1")
            return RedirectResponse(location + (f"?{query}" if query else ""), status_code=301)
        target = os.path.realpath(os.path.join(target, "index.html"))
        if not target.startswith(root + os.sep):
            return _not_found()
    elif url_path.endswith("/") and rel:
        return _not_found()  # a file is not a folder: /null.txt/ would break its relative links
    try:
        handle = open(target, "rb", buffering=0)  # noqa: SIM115 - closed below or by the body iterator
    except OSError:
        return _not_found()
    try:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            handle.close()
            return _not_found()
        rel = os.path.relpath(target, root)
        sha = output.sha(root, rel, handle, st)
        mtype = output.media_type(root, rel, sha, handle)
    except BaseException:
        handle.close()
        raise
    etag = f'"{sha[:32]}"'
    last_modified = formatdate(st.st_mtime, usegmt=True)
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified,
        "Cache-Control": cache_control(rel, mtype),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }

    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    not_modified = False
    if if_none_match is not None:
        not_modified = etag_matches(if_none_match, etag)
    elif if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            # A date in the future is not a valid validator (RFC 9110 13.1.3): ignore it.
            not_modified = int(st.st_mtime) <= since.timestamp() <= datetime.now(UTC).timestamp() + 60
        except (TypeError, ValueError, IndexError, OverflowError):  # not an HTTP-date: ignore it
            not_modified = False
    if not_modified:
        handle.close()
        return Response(status_code=304, headers=headers)

    size = st.st_size
    start, length, status = 0, size, 200
    range_header = request.headers.get("range")
    if range_header is not None and _if_range_ok(request.headers.get("if-range"), etag, last_modified):
        wanted = parse_range(range_header, size)
        if wanted == "unsatisfiable":
            handle.close()
            headers["Content-Range"] = f"bytes */{size}"
            return Response(status_code=416, headers=headers)
        if isinstance(wanted, tuple):
            start, length, status = wanted[0], wanted[1] - wanted[0] + 1, 206
            headers["Content-Range"] = f"bytes {wanted[0]}-{wanted[1]}/{size}"
    headers["Content-Type"] = mtype
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        handle.close()
        return Response(b"", status_code=status, headers=headers)
    if length <= SMALL_FILE:
        body = b"".join(_read_range(handle, start, length))
        return Response(body, status_code=status, headers=headers)
    return StreamingResponse(_read_range(handle, start, length), status_code=status, headers=headers)


def serve_pse(output: Output, request: Request) -> Response:
    """OPDS-PSE: sheet ``page`` (from 0) of an issue, the thumbnail when ``maxWidth`` is at most its width,
    else the 150 dpi image; the sheets and their images are read from the issue's ``pages/layout.json``."""
    issue, page = str(request.path_params["issue"]), int(request.path_params["page"])
    root = output.root()
    layout_rel = clean_path("/" + paths.ban_layout(issue))
    if root is None or layout_rel is None or paths.issue_of(layout_rel) != issue:
        return _not_found()
    try:
        with open(os.path.join(root, layout_rel), "rb") as f:
            sheets = json.loads(f.read())["sheets"]
        sheet = sheets[page]
        wanted = request.query_params.get("maxWidth", "")
        small = wanted.isdigit() and int(wanted) <= THUMB_WIDTH
        name = str(sheet["thumb"] if small else sheet["image"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return _not_found()
    scope = dict(request.scope, path="/" + paths.issue_dir(issue) + paths.PAGES + name, query_string=b"")
    return serve_file(output, Request(scope))


def create_app(
    out: Path,
    status: StatusFn | None = None,
    status_from: Iterable[str] = (),
    private: Iterable[Path] = (),
) -> Starlette:
    """The ASGI application serving ``out``; ``status`` adds the service's state to ``/_status``.

    ``status_from``: the networks that may read ``/_status`` (default: loopback); ``private``: more
    folders (the content root) that ``/_status`` names relative to them, never absolutely.
    """
    output = Output(out)
    networks = parse_networks(status_from or LOOPBACK)
    roots = output.private_roots()
    for folder in private:
        roots += [os.path.abspath(folder), os.path.realpath(folder)]

    def status_endpoint(request: Request) -> Response:
        client = request.scope.get("client")
        if not status_allowed(client[0] if client else None, request.headers.items(), networks):
            return PlainTextResponse("Forbidden\n", status_code=403, headers={"Cache-Control": "no-store"})
        doc = output.status()
        if status is not None:
            doc["service"] = status()
        return JSONResponse(
            scrub(doc, roots), headers={"Cache-Control": "no-store"}, media_type="application/json; charset=utf-8"
        )

    def file_endpoint(request: Request) -> Response:
        return serve_file(output, request)

    def pse_endpoint(request: Request) -> Response:
        return serve_pse(output, request)

    return Starlette(
        routes=[
            Route(STATUS_PATH, status_endpoint, methods=["GET"]),
            Route("/" + paths.PSE_STREAM + "{issue}/{page:int}", pse_endpoint, methods=["GET"]),
            Route("/{path:path}", file_endpoint, methods=["GET"]),
        ]
    )


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on the request head.

    httptools (llhttp) has no limit of its own: it gathers a header of any size in memory (4
    connections with 100 MB headers took the server to 518 MB). Data is fed to the parser in pieces
    while a head is being read; past ``MAX_HEAD`` bytes the client gets 431 and the connection closes.
    uvicorn's h11 protocol has ``h11_max_incomplete_event_size`` for this (set too, in case).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request line and headers
        self._head_size = 0

    def data_received(self, data: bytes) -> None:
        while data:
            if not self._in_head:
                super().data_received(data)
                return
            room = MAX_HEAD - self._head_size
            if room <= 0:
                self._refuse()
                return
            piece, data = data[:room], data[room:]
            self._head_size += len(piece)
            super().data_received(piece)
            if self.transport.is_closing():
                return

    def on_headers_complete(self) -> None:
        self._in_head, self._head_size = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True

    def _refuse(self) -> None:
        self.logger.warning("Request head larger than %d bytes: 431, connection closed.", MAX_HEAD)
        if self.cycle is None or self.cycle.response_complete:  # not in the middle of another response
            body = b"Request Header Fields Too Large\n"
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )
        self.transport.close()


def server_config(app: Any, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> uvicorn.Config:
    """The uvicorn settings every start path uses (``exporter serve``, ``exporter run``, schedule.py, tests).

    httptools with the head bound above; no WebSocket; no proxy-header rewriting (the client address
    is the TCP peer's: /_status decides on it); no lifespan events.
    """
    settings: dict[str, Any] = {
        "http": BoundedHttpTools,
        "h11_max_incomplete_event_size": MAX_HEAD,
        "ws": "none",
        "proxy_headers": False,
        "lifespan": "off",
        "timeout_graceful_shutdown": 5,
    }
    settings.update(options)
    return uvicorn.Config(app, host=host, port=port, **settings)


def run(out: Path, host: str = "127.0.0.1", port: int = 8000, status_from: Iterable[str] = ()) -> None:
    """Serve ``out`` until interrupted (``exporter serve``)."""
    uvicorn.Server(server_config(create_app(out, status_from=status_from), host=host, port=port)).run()
