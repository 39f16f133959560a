"""Bytes kept between builds, keyed by the inputs they were made from (validated issues, documents).

A key is a hash of everything the bytes depend on, so a hit is exactly what making them again would
give. Entries a build did not use are removed at its end. Writes are atomic (temp file, rename), so a
killed build leaves no half entry; an unreadable entry is simply made again. An entry file is never
changed in place (only replaced or removed), so a release may hard-link it instead of copying its bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def named(exc: OSError, path: Path | str) -> OSError:
    """``exc`` with ``path`` as its file name when it has none (a failed write() names no file), so that
    "cannot write the output" can say which file."""
    if exc.filename is not None or exc.errno is None:
        return exc
    renamed = OSError(exc.errno, exc.strerror, str(path))
    renamed.__cause__ = exc
    return renamed


class Memo:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def path(self, name: str, parts: Sequence[str]) -> Path:
        return self.folder / (hashlib.sha256("\0".join([name, *parts]).encode()).hexdigest() + ".bin")

    def get(self, name: str, parts: Sequence[str], make: Callable[[], bytes]) -> bytes:
        """The bytes stored for (name, parts), or ``make()``'s, stored for next time."""
        path = self.path(name, parts)
        self.used.add(path.name)
        try:
            return path.read_bytes()
        except OSError:
            pass
        data = make()
        self._store(path, data)
        return data

    def find(self, name: str, parts: Sequence[str]) -> bytes | None:
        """The bytes stored for (name, parts), or None; a found entry is kept (used)."""
        path = self.path(name, parts)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        self.used.add(path.name)
        return data

    def put(self, name: str, parts: Sequence[str], data: bytes) -> None:
        path = self.path(name, parts)
        self.used.add(path.name)
        self._store(path, data)

    def entry(self, name: str, parts: Sequence[str], make: Callable[[], bytes]) -> Path:
        """The file holding the bytes for (name, parts), stored from ``make()`` first when missing."""
        path = self.path(name, parts)
        self.used.add(path.name)
        if not os.path.isfile(path):
            self._store(path, make())
        return path

    def _store(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:  # a full disk: leave no partial entry behind
            tmp.unlink(missing_ok=True)
            raise named(exc, tmp) from exc

    def forget(self, name: str, parts: Sequence[str]) -> None:
        self.path(name, parts).unlink(missing_ok=True)

    def forget_unused(self) -> None:
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.name not in self.used and not path.name.startswith("."):  # dot files: the owner's
                    path.unlink(missing_ok=True)


PACKAGE_ROOT = Path(__file__).resolve().parent  # the installed ``exporter`` package (or the checkout's)


def package_files(root: Path = PACKAGE_ROOT) -> list[str]:
    """Every file of the ``exporter`` package: its modules and its package data (templates), as sorted
    relative POSIX names; compiled caches are left out (they follow from the modules)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        found.extend(
            Path(dirpath, name).relative_to(root).as_posix()
            for name in filenames
            if not name.endswith((".pyc", ".pyo"))
        )
    return sorted(found)


def hash_files(digest: Any, root: Path, rels: Sequence[str]) -> None:
    """Add files to ``digest`` by relative name and content (no times, no absolute paths)."""
    for rel in sorted(rels):
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256((root / rel).read_bytes()).digest())


_frozen: dict[Path, list[tuple[bytes, bytes]]] = {}  # root → (name, sha256) of each file, see freeze_package


def freeze_package(root: Path = PACKAGE_ROOT) -> None:
    """Hash the package's files once and use that from now on in this process (and its forks).

    For a long-lived process that imported the package and renders for others (``exporter worker``): its
    keys then say what code it runs, not what is on disk now; after an upgrade on disk, the build's keys
    differ from the worker's and the worker refuses the jobs instead of rendering with the old code.
    """
    _frozen[root] = [
        (rel.encode() + b"\0", hashlib.sha256((root / rel).read_bytes()).digest()) for rel in package_files(root)
    ]


def hash_package(digest: Any, root: Path = PACKAGE_ROOT) -> None:
    """Add the whole ``exporter`` package, code and package data, to ``digest``: the code that shapes
    outputs is an input too (an editable install keeps its version number), and a hand-kept list of
    modules misses the one that changed (fonts.py, fetch.py, cover.py)."""
    frozen = _frozen.get(root)
    if frozen is None:
        hash_files(digest, root, package_files(root))
        return
    for name, sha in frozen:  # the same bytes hash_files gives, from the files as they were when frozen
        digest.update(name)
        digest.update(sha)
