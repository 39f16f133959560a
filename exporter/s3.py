"""Publish the current release to S3-compatible object storage: ``exporter publish --to s3://bucket/prefix``.

Object storage has no atomic swap, so the order of the writes is what keeps readers safe:

1. the files the new release adds or changes, a file only after every *new* file it points at
   (:mod:`exporter.links` reads the links): the heavy immutable files (PDF, EPUB, images) first, the
   issue pages next, the feeds, catalogs and index last. Files that point at each other (an issue page
   and its articles) go in one group, the documents readers start from (index, feeds, catalogs) last in
   it, and nothing outside the group that points into it is written before the whole group is;
2. then the deletions of files the new release no longer has (no document points at them any more);
3. then the remote manifest (``<prefix>.exporter-manifest.json``: the release's manifest plus each file's
   headers), which the next publish diffs against.

A file new to the bucket is written create-only (``If-None-Match: *``), a changed one only if it is still
the object listed at the start (``If-Match: <etag>``): another publisher writing to the same prefix
stops this one instead of being overwritten. "Already there with the same bytes" counts as done.

Resumable: before the first write the paths it will touch go into ``<prefix>.exporter-pending.json``
(added to those of an interrupted publish); a publish checks those paths by their ``sha256`` metadata
(HEAD) instead of trusting the remote manifest, so a re-run after a crash uploads only what is missing
or wrong, and deletes the files an interrupted publish of another release left behind.
When the bucket's manifest already is this release's (same files, same headers) and no publish was
interrupted, nothing is listed or written (``--verify`` lists the bucket anyway and uploads what is
missing). Content-Type and Cache-Control come from :func:`exporter.paths.headers`, as the built-in
server's.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporter import links, paths
from exporter import manifest as manifest_file
from exporter.errors import PublishError

MANIFEST_NAME = ".exporter-manifest.json"
PENDING_NAME = ".exporter-pending.json"
CRASH_ENV = "EXPORTER_S3_CRASH_AFTER"  # tests: SIGKILL the publish after this many writes (a real crash)
DEFAULT_JOBS = 8
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

# A file's rank in the upload order: what nothing points at, pages below issues/, other edition
# documents (archive pages, page feeds), then the documents readers start from.
LEAF, ISSUE_DOCUMENT, EDITION_DOCUMENT, ENTRY = range(4)
ENTRIES = frozenset({paths.INDEX, paths.ROBOTS, paths.SITEMAP, paths.SITEMAP_NEWS, *paths.KNOWN_TYPES})

Observer = Callable[[str, str], None]  # (action: "upload" | "delete" | "manifest", path)


@dataclass(frozen=True)
class Target:
    bucket: str
    prefix: str  # "" or ending with "/"

    @classmethod
    def parse(cls, text: str) -> Target:
        """``s3://bucket`` or ``s3://bucket/prefix``; ValueError saying what is wrong."""
        if not text.startswith("s3://"):
            raise ValueError("write s3://bucket/prefix")
        bucket, _, prefix = text[len("s3://") :].partition("/")
        if not _BUCKET.fullmatch(bucket):
            raise ValueError(f"{bucket!r} is not a bucket name (3-63 lower-case letters, digits, dots, hyphens)")
        prefix = prefix.strip("/")
        if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
            raise ValueError(f"{prefix!r}: a prefix has no empty, '.' or '..' parts")
        return cls(bucket, prefix + "/" if prefix else "")

    def key(self, rel: str) -> str:
        return self.prefix + rel

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass
class Upload:
    rel: str
    sha: str
    size: int
    content_type: str
    cache_control: str
    reason: str  # "new", "changed", "headers" (same bytes, other headers), "missing" (listed nowhere)
    etag: str | None = None  # the object listed now (If-Match); None: create-only (If-None-Match: *)
    rank: int = LEAF
    after: set[str] = field(default_factory=set)  # uploads that must be complete before this one starts
    source: str = ""  # the release file whose bytes this object holds, when not ``rel`` (OPDS-PSE pages)


@dataclass
class Plan:
    target: Target
    release: str
    remote_release: str | None
    uploads: list[Upload]  # in order
    deletions: list[str]
    unchanged: int  # files the bucket has right, by the remote manifest
    verified: int  # files an interrupted publish left right (checked by HEAD)
    manifest: bytes
    manifest_changed: bool
    pending: list[str]  # what goes into the pending record (touched paths)
    pending_exists: bool
    base_url: str | None
    sources: dict[str, str] = field(default_factory=dict)  # object → the release file it holds

    @property
    def empty(self) -> bool:
        return not self.uploads and not self.deletions and not self.manifest_changed and not self.pending_exists

    def lines(self) -> list[str]:
        remote = f"release {self.remote_release}" if self.remote_release else "no release"
        out = [f"publish release {self.release} to {self.target} (the bucket has {remote})"]
        for up in self.uploads:
            mode = "create" if up.etag is None else "replace"
            out.append(f"upload {up.rel} [{up.reason}, {mode}] {up.content_type} | {up.cache_control}")
        out.extend(f"delete {rel}" for rel in self.deletions)
        if self.manifest_changed:
            out.append(f"manifest {self.target.key(MANIFEST_NAME)}")
        out.append(
            f"{len(self.uploads)} to upload, {len(self.deletions)} to delete, {self.unchanged} unchanged"
            + (f", {self.verified} already uploaded" if self.verified else "")
        )
        return out


@dataclass
class PublishResult:
    target: Target
    release: str
    uploaded: int = 0
    deleted: int = 0
    unchanged: int = 0
    verified: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def summary(self) -> str:
        head = "would publish" if self.dry_run else "published"
        return (
            f"{head} release {self.release} to {self.target}: {self.uploaded} uploaded, {self.deleted} deleted, "
            f"{self.unchanged} unchanged"
            + (f", {self.verified} already uploaded" if self.verified else "")
            + f" in {self.seconds:.2f}s"
        )


# -- the bucket ------------------------------------------------------------------------------------


def client(endpoint_url: str | None = None, jobs: int = DEFAULT_JOBS) -> Any:
    """An S3 client: credentials and region from the usual places (environment, ~/.aws, instance role)."""
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.get_session()
    # Listings' LastModified stay strings: parsing thousands of dates is most of a no-change publish.
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
    config = Config(max_pool_connections=max(jobs, 1) + 2, retries={"mode": "standard", "max_attempts": 5})
    return boto3.session.Session(botocore_session=core).client("s3", endpoint_url=endpoint_url, config=config)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    return str(error.get("Code", "")) or str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _failed(target: Target, what: str, exc: Exception) -> PublishError:
    return PublishError(f"cannot publish to {target}: {what}: {exc}")


class Bucket:
    """The prefix of a bucket, through one client; every error becomes a :class:`PublishError`."""

    def __init__(self, s3: Any, target: Target) -> None:
        self.s3 = s3
        self.target = target
        self.conditional = True  # False once the store said it does not support conditional writes

    def get(self, name: str) -> bytes | None:
        try:
            response = self.s3.get_object(Bucket=self.target.bucket, Key=self.target.key(name))
            return bytes(response["Body"].read())
        except Exception as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise _failed(self.target, f"reading {self.target.key(name)}", exc) from exc

    def listing(self) -> dict[str, tuple[str, int]]:
        """rel → (ETag, size) of every object under the prefix."""
        found: dict[str, tuple[str, int]] = {}
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.target.bucket, Prefix=self.target.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    found[item["Key"][len(self.target.prefix) :]] = (item["ETag"], int(item["Size"]))
        except Exception as exc:
            raise _failed(self.target, "listing the bucket", exc) from exc
        return found

    def head(self, rel: str) -> tuple[str | None, str | None, str | None]:
        """(sha256 metadata, Content-Type, Cache-Control) of an object; (None, None, None) if it is gone."""
        try:
            response = self.s3.head_object(Bucket=self.target.bucket, Key=self.target.key(rel))
        except Exception as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None, None, None
            raise _failed(self.target, f"reading {self.target.key(rel)}", exc) from exc
        return response.get("Metadata", {}).get("sha256"), response.get("ContentType"), response.get("CacheControl")

    def put(self, rel: str, body: bytes, ctype: str, cache: str, sha: str, etag: str | None, create: bool) -> str:
        """Write an object: create-only, or only over ``etag``; "written", or "precondition" (412)."""
        args: dict[str, Any] = {
            "Bucket": self.target.bucket,
            "Key": self.target.key(rel),
            "Body": body,
            "ContentType": ctype,
            "CacheControl": cache,
            "Metadata": {"sha256": sha},
        }
        if self.conditional and create:
            args["IfNoneMatch"] = "*"
        elif self.conditional and etag is not None:
            args["IfMatch"] = etag
        try:
            self.s3.put_object(**args)
        except Exception as exc:
            code = _code(exc)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                return "precondition"
            if code in ("NotImplemented", "501") and (create or etag is not None) and self.conditional:
                self.conditional = False  # the store has no conditional writes: write as S3 did before 2024
                return self.put(rel, body, ctype, cache, sha, etag, create)
            raise _failed(self.target, f"writing {self.target.key(rel)}", exc) from exc
        return "written"

    def put_plain(self, name: str, body: bytes) -> None:
        try:
            self.s3.put_object(
                Bucket=self.target.bucket,
                Key=self.target.key(name),
                Body=body,
                ContentType="application/json",
                CacheControl=paths.CACHE_NONE,
            )
        except Exception as exc:
            raise _failed(self.target, f"writing {self.target.key(name)}", exc) from exc

    def delete(self, rels: list[str]) -> None:
        for start in range(0, len(rels), 1000):
            batch = rels[start : start + 1000]
            try:
                response = self.s3.delete_objects(
                    Bucket=self.target.bucket,
                    Delete={"Objects": [{"Key": self.target.key(rel)} for rel in batch], "Quiet": True},
                )
            except Exception as exc:
                raise _failed(self.target, f"deleting {len(batch)} objects", exc) from exc
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise PublishError(f"cannot publish to {self.target}: deleting {first.get('Key')}: {first}")


# -- the plan --------------------------------------------------------------------------------------


def _release(out: Path) -> tuple[str, dict[str, Any], Path]:
    """(release, manifest, folder) of the release ``out`` links to; as :class:`exporter.publish.Releases`
    finds them, without importing the build pipeline (a third of a no-change publish's time)."""
    out = Path(os.path.abspath(out))
    root = out.parent / f".{out.name}.releases"
    release = Path(os.readlink(out)).name if out.is_symlink() else None
    manifest = manifest_file.read(root / f"{release}.json", release) if release else {}
    if not release or not manifest:
        raise PublishError(f"{out} has no release to publish: run `exporter build --out {out}` first")
    return release, manifest, root / release


def _order(uploads: dict[str, Upload], deps: dict[str, set[str]]) -> list[Upload]:
    """The uploads in an order where a file comes after the new files it points at (``deps``).

    Files that point at each other form one group (a strongly connected component); groups go in
    dependency order, lower ranks first; inside a group, lower ranks first too, and a file waits for
    every member written before it and for every group it points into.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(uploads):  # Tarjan's algorithm, iterative (thousands of files)
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(deps.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(deps.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(group)
    group_of = {rel: n for n, group in enumerate(groups) for rel in group}
    needs: dict[int, set[int]] = {n: set() for n in range(len(groups))}
    users: dict[int, set[int]] = {n: set() for n in range(len(groups))}
    for rel, targets in deps.items():
        for dep in targets:
            a, b = group_of[rel], group_of[dep]
            if a != b:
                needs[a].add(b)
                users[b].add(a)

    def group_key(n: int) -> tuple[int, str]:
        return max(uploads[rel].rank for rel in groups[n]), min(groups[n])

    ready = sorted((n for n in needs if not needs[n]), key=group_key)
    waiting = {n: len(needs[n]) for n in needs}
    ordered: list[Upload] = []
    while ready:
        n = ready.pop(0)
        members = _order_group(groups[n], uploads, deps)
        members_set = set(groups[n])
        for position, up in enumerate(members):
            outside = {
                m for g in {group_of[d] for d in deps.get(up.rel, ()) if d not in members_set} for m in groups[g]
            }
            up.after = outside | ({members[position - 1].rel} if position else set())
            ordered.append(up)
        for user in users[n]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
        ready.sort(key=group_key)
    return ordered


def _order_group(group: list[str], uploads: dict[str, Upload], deps: dict[str, set[str]]) -> list[Upload]:
    """A group's members, each after the members it points at as far as the cycles allow."""
    if len(group) == 1:
        return [uploads[group[0]]]
    members = set(group)
    unmet = {rel: deps.get(rel, set()) & members for rel in group}
    users: dict[str, list[str]] = {rel: [] for rel in group}
    for rel, targets in unmet.items():
        for target in targets:
            users[target].append(rel)
    count = {rel: len(targets) for rel, targets in unmet.items()}
    ready = [(uploads[rel].rank, rel) for rel in group if not count[rel]]
    heapq.heapify(ready)
    left = set(group)
    out: list[Upload] = []
    stuck = [(uploads[rel].rank, count[rel], rel) for rel in group]  # lazily updated: stale entries skipped
    heapq.heapify(stuck)
    while left:
        if ready:
            _, pick = heapq.heappop(ready)
        else:  # a cycle: the lowest rank with the fewest missing goes first
            _, missing, pick = heapq.heappop(stuck)
            if pick in left and missing != count[pick]:
                continue
        if pick not in left:
            continue
        left.discard(pick)
        out.append(uploads[pick])
        for user in users[pick]:
            count[user] -= 1
            if user in left:
                heapq.heappush(stuck, (uploads[user].rank, count[user], user))
                if count[user] == 0:
                    heapq.heappush(ready, (uploads[user].rank, user))
    return out


def _rank(rel: str, media_type: str) -> int:
    if not links.is_document(media_type):
        return LEAF
    if paths.issue_of(rel) is not None:
        return ISSUE_DOCUMENT
    return ENTRY if rel in ENTRIES else EDITION_DOCUMENT


def _local_file(folder: Path, rel: str) -> os.stat_result:
    try:
        return (folder / rel).stat()
    except OSError as exc:
        raise PublishError(
            f"cannot read the release: {folder / rel}: {exc.strerror}: build again, then publish"
        ) from exc


def _read(folder: Path, rel: str) -> bytes:
    try:
        return (folder / rel).read_bytes()
    except OSError as exc:
        raise PublishError(
            f"cannot read the release: {folder / rel}: {exc.strerror}: build again, then publish"
        ) from exc


def _streams(files: dict[str, str], folder: Path) -> dict[str, str]:
    """OPDS-PSE page objects: ``opds/pse/<issue>/<n>`` → the release file it is (sheet ``n``'s image).

    The built-in server answers the catalog's stream links from each issue's ``pages/layout.json``;
    object storage cannot, so each sheet's 150 dpi image is also stored under the stream URL (a store
    ignores the ``maxWidth`` query: readers get the large image, never a missing one)."""
    found: dict[str, str] = {}
    for rel in files:
        issue = paths.issue_of(rel)
        if issue is None or rel != paths.ban_layout(issue):
            continue
        try:
            sheets = json.loads(_read(folder, rel))["sheets"]
            for number, sheet in enumerate(sheets):
                image = paths.issue_dir(issue) + paths.PAGES + str(sheet["image"])
                if image in files:
                    found[f"{paths.PSE_STREAM}{issue}/{number}"] = image
        except (ValueError, KeyError, TypeError):
            continue  # not a layout the server reads either
    return found


def _remote_headers(remote: dict[str, Any]) -> dict[str, list[str]]:
    """rel → [Content-Type, Cache-Control] the remote manifest records (``headers``: rel → index into
    ``header_sets``, so the thousands of files with the same two headers cost a few bytes each)."""
    sets, index = remote.get("header_sets"), remote.get("headers")
    if not isinstance(sets, list) or not isinstance(index, dict):
        return {}
    return {rel: sets[n] for rel, n in index.items() if isinstance(n, int) and 0 <= n < len(sets)}


def _remote_manifest(manifest: dict[str, Any], headers: dict[str, tuple[str, str]]) -> bytes:
    sets = sorted(set(headers.values()))
    number = {pair: n for n, pair in enumerate(sets)}
    record = dict(
        manifest,
        header_sets=[list(pair) for pair in sets],
        headers={rel: number[pair] for rel, pair in headers.items()},
    )
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def plan(out: Path, bucket: Bucket, jobs: int = DEFAULT_JOBS, verify: bool = False) -> Plan:
    """What publishing the current release of ``out`` to the bucket takes (reads the bucket, writes nothing).

    When the bucket's manifest is this release's, with the same headers, and no publish was interrupted,
    the bucket is taken as complete without listing it, unless ``verify``: then every object is listed
    and one missing or of another size is uploaded again (say, deleted by hand)."""
    release, manifest, folder = _release(out)
    types: dict[str, str] = manifest.get("types", {})
    streams = _streams(manifest["files"], folder)
    sources = {rel: rel for rel in manifest["files"]} | streams  # the release file each object's bytes are
    files: dict[str, str] = {rel: manifest["files"][source] for rel, source in sources.items()}
    mtypes = {rel: types.get(source) or paths.media_type(source) for rel, source in sources.items()}
    # a stream object answers with its image's headers, as the built-in server does
    headers = {rel: paths.headers(source, mtypes[rel]) for rel, source in sources.items()}
    new_manifest = _remote_manifest(dict(manifest, files=files), headers)
    raw_remote = bucket.get(MANIFEST_NAME)
    raw_pending = bucket.get(PENDING_NAME)
    if raw_remote == new_manifest and raw_pending is None and not verify:
        return Plan(
            bucket.target, release, release, [], [], len(files), 0, new_manifest, False, [], False, None, sources
        )
    try:
        remote = json.loads(raw_remote) if raw_remote else {}
    except ValueError:
        remote = {}
    remote = remote if isinstance(remote, dict) else {}
    remote_files: dict[str, str] = remote.get("files", {}) if isinstance(remote.get("files"), dict) else {}
    remote_headers = _remote_headers(remote)
    uncertain: set[str] = set()
    if raw_pending:
        try:
            uncertain = {p for p in json.loads(raw_pending).get("paths", []) if isinstance(p, str)}
        except (ValueError, AttributeError):
            uncertain = set(files) | set(remote_files)  # unreadable: check everything
    listing = bucket.listing()

    uploads: dict[str, Upload] = {}
    check: list[str] = []
    unchanged = 0
    for rel, sha in files.items():
        mtype = mtypes[rel]
        listed = listing.get(rel)
        size = _local_file(folder, sources[rel]).st_size
        same_headers = remote_headers.get(rel) == list(headers[rel])
        if listed and rel not in uncertain and remote_files.get(rel) == sha and same_headers and listed[1] == size:
            unchanged += 1
            continue
        if listed is None:
            reason = "new" if rel not in remote_files else "missing"
        elif remote_files.get(rel) == sha and not same_headers:
            reason = "headers"
        else:
            reason = "changed"
        ctype, cache = headers[rel]
        up = Upload(rel, sha, size, ctype, cache, reason, listed[0] if listed else None, _rank(rel, mtype))
        up.source = "" if sources[rel] == rel else sources[rel]
        uploads[rel] = up
        if listed is not None and rel in uncertain:
            check.append(rel)  # maybe written by an interrupted publish: look before uploading again
    verified = 0
    if check:
        with ThreadPoolExecutor(max(jobs, 1)) as pool:
            heads = dict(zip(check, pool.map(bucket.head, check), strict=True))
        for rel, found in heads.items():
            up = uploads[rel]
            if found == (up.sha, up.content_type, up.cache_control):
                del uploads[rel]
                verified += 1

    documents = {rel: _read(folder, sources[rel]) for rel in uploads if uploads[rel].rank != LEAF}
    known = {rel: documents[rel] for rel in documents}
    for rel in (paths.ATOM, paths.RSS, paths.OPDS_CATALOG, paths.EDITIONS, paths.INDEX):
        if rel not in known and rel in files:
            known[rel] = _read(folder, rel)
    base = links.base_url(known)
    fresh = {rel for rel in uploads if rel not in listing}  # what readers cannot reach yet
    deps = {
        rel: links.targets(rel, data, types.get(rel) or paths.media_type(rel), fresh, base)
        for rel, data in documents.items()
    }
    ordered = _order(uploads, deps)

    deletions = sorted(((set(remote_files) | uncertain) - set(files)) & set(listing) - {MANIFEST_NAME, PENDING_NAME})
    pending = sorted(uncertain | set(uploads) | set(deletions))
    return Plan(
        bucket.target,
        release,
        remote.get("release") if isinstance(remote.get("release"), str) else None,
        ordered,
        deletions,
        unchanged,
        verified,
        new_manifest,
        new_manifest != raw_remote,
        pending,
        raw_pending is not None,
        base,
        sources,
    )


# -- doing it --------------------------------------------------------------------------------------


class _Writes:
    """Counts the writes; SIGKILLs the process after ``EXPORTER_S3_CRASH_AFTER`` of them (crash tests)."""

    def __init__(self, observer: Observer | None) -> None:
        self.observer = observer
        self.count = 0
        self.lock = threading.Lock()
        value = os.environ.get(CRASH_ENV, "")
        self.crash_after = int(value) if value.isdigit() else None

    def done(self, action: str, rel: str) -> None:
        with self.lock:
            self.count += 1
            if self.observer is not None:
                self.observer(action, rel)
            if self.crash_after is not None and self.count >= self.crash_after:
                os.kill(os.getpid(), signal.SIGKILL)


def _upload(bucket: Bucket, folder: Path, up: Upload) -> None:
    body = _read(folder, up.source or up.rel)
    if hashlib.sha256(body).hexdigest() != up.sha:
        raise PublishError(
            f"{folder / (up.source or up.rel)} changed after the release was built: build again, then publish"
        )
    state = bucket.put(up.rel, body, up.content_type, up.cache_control, up.sha, up.etag, up.etag is None)
    if state == "precondition":
        if bucket.head(up.rel) == (up.sha, up.content_type, up.cache_control):
            return  # already there, right: another publish of this release wrote it
        raise PublishError(
            f"cannot publish to {bucket.target}: {bucket.target.key(up.rel)} changed since this publish listed "
            "the bucket (is another publish writing to the same prefix?); run it again when that one is done"
        )


def publish(
    out: Path,
    target: Target,
    s3: Any,
    *,
    dry_run: bool = False,
    jobs: int = DEFAULT_JOBS,
    verify: bool = False,
    echo: Callable[[str], None] | None = None,
    observer: Observer | None = None,
) -> PublishResult:
    """Publish the current release of ``out`` to ``target`` (see the module's docstring)."""
    t0 = time.perf_counter()
    bucket = Bucket(s3, target)
    the_plan = plan(out, bucket, jobs, verify)
    result = PublishResult(target, the_plan.release, unchanged=the_plan.unchanged, verified=the_plan.verified)
    if dry_run:
        for line in the_plan.lines():
            (echo or print)(line)
        result.uploaded, result.deleted, result.dry_run = len(the_plan.uploads), len(the_plan.deletions), True
        result.seconds = time.perf_counter() - t0
        return result
    if the_plan.empty:
        result.seconds = time.perf_counter() - t0
        return result
    _, _, folder = _release(out)
    writes = _Writes(observer)
    if the_plan.uploads or the_plan.deletions:
        bucket.put_plain(PENDING_NAME, json.dumps({"release": the_plan.release, "paths": the_plan.pending}).encode())
    finished = {up.rel: threading.Event() for up in the_plan.uploads}
    failed = threading.Event()

    def task(up: Upload) -> None:
        for rel in up.after:
            while not finished[rel].wait(0.5):
                if failed.is_set():
                    return
        if failed.is_set():
            return
        try:
            _upload(bucket, folder, up)
        except BaseException:
            failed.set()
            raise
        writes.done("upload", up.rel)
        finished[up.rel].set()

    with ThreadPoolExecutor(max(jobs, 1)) as pool:
        futures = [pool.submit(task, up) for up in the_plan.uploads]  # FIFO: what a task waits for started first
        for future in futures:
            future.result()
    result.uploaded = len(the_plan.uploads)
    if the_plan.deletions:
        bucket.delete(the_plan.deletions)
        for rel in the_plan.deletions:
            writes.done("delete", rel)
        result.deleted = len(the_plan.deletions)
    if the_plan.manifest_changed:
        bucket.put_plain(MANIFEST_NAME, the_plan.manifest)
        writes.done("manifest", MANIFEST_NAME)
    bucket.delete([PENDING_NAME])
    result.seconds = time.perf_counter() - t0
    return result
