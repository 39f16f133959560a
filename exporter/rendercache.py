"""The render cache: each rendered issue's files and records, content-addressed by the issue's build key.

The key (see :mod:`exporter.publish`, "issue key") is the hash of everything an issue's render is made
from: its source files, the publication file, the templates, the enabled formats, the build options
that shape outputs, the fonts and the tool versions. Same key, same bytes: a build that finds an
issue's key here takes its files instead of rendering it, whichever machine rendered them. A folder
shared by the machines (NFS, say) is the intended place; a local folder serves one machine.

Layout::

    DIR/<key[:2]>/<key>/records.json     # {"format", "key", "issue", "outputs": [...], "files": {rel: sha256}}
    DIR/<key[:2]>/<key>/issues/<id>/...  # the files at their release paths

An entry is made in a temporary folder beside the entries and renamed into place in one step, its
records written last: a reader sees a whole entry or none, and two workers storing the same key at once
leave one entry (the second rename fails and its copy is removed). An entry is never changed in place,
so a release may hard-link its files. A file whose hash differs from its record (a truncated copy on a
network file system) makes the entry a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from exporter.release import Output

FORMAT = 1
RECORDS = "records.json"


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system (an NFS cache, a local release), or no hard links there
        shutil.copyfile(source, target)


def _sha(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class RenderCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))

    def entry(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"{key!r} is not an issue key")
        return self.root / key[:2] / key

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (self.entry(key) / RECORDS).is_file()

    def records(self, key: str, issue_id: str) -> tuple[list[Output], dict[str, str]] | None:
        """The entry's records and file hashes, or None when it is missing, unreadable or another issue's."""
        try:
            data = json.loads((self.entry(key) / RECORDS).read_bytes())
            if data.get("format") != FORMAT or data.get("key") != key or data.get("issue") != issue_id:
                return None
            outputs = [Output.from_json(issue_id, o) for o in data["outputs"]]
            files = {str(k): str(v) for k, v in data["files"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if sorted(o.path for o in outputs) != sorted(files):
            return None
        return outputs, files

    def take(self, key: str, issue_id: str, staging: Path) -> list[Output] | None:
        """Link (or copy) the entry's files into ``staging`` at their release paths and return their records;
        None (and nothing left in staging) when the entry is missing or damaged."""
        found = self.records(key, issue_id)
        if found is None:
            return None
        outputs, files = found
        entry, out = str(self.entry(key)), str(staging)
        made: list[str] = []
        try:
            for rel in sorted(files):
                source, target = f"{entry}/{rel}", f"{out}/{rel}"
                if _sha(source) != files[rel]:
                    raise ValueError(f"{source}: its bytes differ from the record")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
                _link_or_copy(source, target)
                made.append(target)
        except (OSError, ValueError):
            for target in made:
                with contextlib.suppress(OSError):
                    os.unlink(target)
            return None
        return outputs

    def store(self, key: str, issue_id: str, staging: Path, outputs: Sequence[Output]) -> bool:
        """Keep the issue's files (read from ``staging`` at their release paths) under ``key``.

        Returns False when the entry exists already (stored by another worker meanwhile)."""
        target = self.entry(key)
        if (target / RECORDS).is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:16]}-", dir=target.parent))
        try:
            files: dict[str, str] = {}
            for output in outputs:
                source, copy = staging / output.path, tmp / output.path
                copy.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(str(source), str(copy))
                files[output.path] = _sha(str(copy))
            records = {"format": FORMAT, "key": key, "issue": issue_id,
                       "outputs": [o.to_json() for o in outputs], "files": files}  # fmt: skip
            with open(tmp / RECORDS, "wb") as handle:
                handle.write(json.dumps(records, sort_keys=True).encode())
                handle.flush()
                os.fsync(handle.fileno())
            tmp.chmod(0o755)
            try:
                os.rename(tmp, target)
            except OSError:  # stored meanwhile by another worker (ENOTEMPTY, EEXIST)
                if (target / RECORDS).is_file():
                    return False
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True
