"""One safe reader for the files of a content or issue folder: every read of an editor's file goes here.

The loader (article and YAML text, image checks), the renderers (photos copied to the site, put in the
EPUB, loaded by the PDF's URL fetcher) and the pipeline (build keys, source snapshots) read an issue's
files after it was validated; a file swapped in between for a link (to a secret, or to /dev/urandom), a
FIFO, a folder or a huge file must not be read. :func:`read_inside` checks, at the moment of reading:

- the path, with every link resolved, stays inside the folder;
- the last part is opened without following links (``O_NOFOLLOW``) and without blocking
  (``O_NONBLOCK``: a FIFO or device cannot hang the build);
- the opened file is a regular file no larger than the limit, and it is read no further than that.

A refusal is an :class:`AssetError` (a ``ValueError``) whose ``kind`` says why, so each caller words the
message its users know (a Problem for the editor, a refused URL for WeasyPrint).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

Kind = Literal["outside", "missing", "unopenable", "not-regular", "too-large"]


class AssetError(ValueError):
    """A file that may not be read; ``str()`` is a sentence naming it, ``kind`` the reason."""

    def __init__(
        self, message: str, kind: Kind, rel: str, path: Path | None = None, size: int = 0, strerror: str = ""
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.rel = rel
        self.path = path  # the resolved path, when it got that far
        self.size = size  # the size found, for "too-large"
        self.strerror = strerror  # the system's reason, for "missing" and "unopenable"


def resolve_inside(root: Path, rel: str) -> Path:
    """Resolve ``rel`` under ``root``; refuse anything (links included) that lands outside."""
    if "\0" in rel:
        raise AssetError(f"{rel!r} has a NUL character", "outside", rel)
    root = root.resolve()
    target = (root / rel).resolve()
    if target != root and root not in target.parents:
        raise AssetError(f"{rel} resolves outside the issue folder", "outside", rel, target)
    return target


@contextmanager
def open_inside(root: Path, rel: str, limit: int) -> Iterator[io.BufferedReader]:
    """The regular file ``rel`` inside ``root``, open for reading, if it is at most ``limit`` bytes.

    For reading in pieces (hashing); :func:`read_inside` reads it whole and also refuses a file that grew.
    """
    target = resolve_inside(root, rel)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        kind: Kind = "missing" if exc.errno == errno.ENOENT else "unopenable"
        why = exc.strerror or str(exc)
        raise AssetError(f"{rel} cannot be opened: {why}", kind, rel, target, strerror=why) from None
    try:
        info = os.fstat(fd)  # before fdopen, which refuses a folder with its own error
        if not stat.S_ISREG(info.st_mode):
            raise AssetError(f"{rel} is not a regular file", "not-regular", rel, target)
        if info.st_size > limit:
            raise AssetError(
                f"{rel} is {info.st_size} bytes; the limit is {limit}", "too-large", rel, target, info.st_size
            )
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_inside(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of the regular file ``rel`` inside ``root``, at most ``limit`` of them (see the module doc)."""
    with open_inside(root, rel, limit) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew after it was checked: refuse rather than cut it short
        raise AssetError(f"{rel} is over {limit} bytes; the limit is {limit}", "too-large", rel, None, len(data))
    return data
