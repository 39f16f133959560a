"""The one reader of release manifests (``.OUT.releases/<release>.json``), for publish, serve and service.

A manifest lists every file of its release with its sha256 (``files``) and media type (``types``),
and every published issue with its key, source snapshot, files and records (``outputs``: path, media
type, kind, label, renderer, in the order they were written). The pipeline writes it last, after the
release folder is in place; the server takes Content-Type and ETag from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exporter.release import Output

FORMAT = 2  # 2: each file's media type (types) and each issue's records (issues.<id>.outputs)


def parse(data: bytes, release: str | None = None) -> dict[str, Any]:
    """The manifest in ``data``, or {} when it is not one of this format (or not of ``release``)."""
    try:
        manifest = json.loads(data)
    except ValueError:
        return {}
    ok = (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(manifest.get("files"), dict)
        and isinstance(manifest.get("types", {}), dict)
        and (release is None or manifest.get("release") == release)
    )
    return manifest if ok else {}


def read(path: Path, release: str | None = None) -> dict[str, Any]:
    """The manifest at ``path``, or {} when it is missing, unreadable or not of this format."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    return parse(data, release)


def media_type(manifest: dict[str, Any], rel: str) -> str | None:
    """The media type the manifest records for ``rel`` (None: not a file of the release)."""
    value = manifest.get("types", {}).get(rel)
    return value if isinstance(value, str) and value else None


def sha(manifest: dict[str, Any], rel: str) -> str | None:
    value = manifest.get("files", {}).get(rel)
    return value if isinstance(value, str) and len(value) == 64 else None


def issue_outputs(issue_id: str, entry: dict[str, Any]) -> list[Output]:
    """The records of an issue's files, in the order they were written (downloads are listed in it)."""
    return [Output.from_json(issue_id, data) for data in entry.get("outputs", [])]
