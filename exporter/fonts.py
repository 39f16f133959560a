"""CJK font discovery and glyph-coverage checks for the PDF edition (and the EPUB and its cover).

The PDF names its faces explicitly (Noto Serif CJK SC for text, Noto Sans CJK SC for headings and
running heads, both from Debian's ``fonts-noto-cjk``), then a fallback chain for rare characters
(生僻字: CJK Extension B and later, which Noto CJK lacks): BabelStone Han (``fonts-babelstone-han``,
Extensions B to H) and HanaMinB (``fonts-hanazono``, Extensions B to F). This module finds the files
fontconfig resolves those names to, refuses a substitute (fontconfig always answers *something*:
asking for a missing family gives DejaVu), and reports characters no face of the chain can draw, so
a missing font or glyph stops the build instead of printing tofu or an unnamed fallback face.

No WeasyPrint import here: ``fingerprint()`` runs in every build, PDF or not.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from exporter.errors import RenderError

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
FAMILIES = (SERIF, SANS)
WEIGHTS = ("Regular", "Bold")
PACKAGE_HINT = "install the Debian package fonts-noto-cjk"
# The rare-character chain, in order, after the Noto faces: (family, its only style, Debian package).
# fonts-noto-cjk-extra is not used: 214 MB, and it has no Extension B either.
FALLBACK = ("BabelStone Han", "HanaMinB")
FALLBACK_STYLE = "Regular"
FALLBACK_PACKAGES = {"BabelStone Han": "fonts-babelstone-han", "HanaMinB": "fonts-hanazono"}
# Every family the PDF may contain.
CHAIN = (*FAMILIES, *FALLBACK)


@dataclass(frozen=True)
class FontFile:
    """One face: the family and style fontconfig resolved, its file and index in a collection."""

    family: str
    style: str
    path: Path
    index: int
    size: int

    def __str__(self) -> str:
        return f"{self.family} {self.style}: {self.path}#{self.index} ({self.size} bytes)"


def _fc_match(family: str, style: str, hint: str = PACKAGE_HINT) -> FontFile:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise RenderError(f"fontconfig's fc-match is not installed; cannot find {family} {style}")
    pattern = f"{family}:style={style}"
    proc = subprocess.run(
        [fc_match, "--format=%{file}\t%{index}\t%{family}\t%{style}", pattern],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if proc.returncode != 0 or "\t" not in proc.stdout:
        raise RenderError(f"font {family} {style} not found (fc-match failed: {proc.stderr.strip()}); {hint}")
    file, index, families, styles = [*proc.stdout.split("\t"), "", ""][:4]
    if family not in families.split(","):
        raise RenderError(
            f"font {family} {style} is not installed: fontconfig offers {families.split(',')[0]!r} "
            f"({file}) instead; {hint}"
        )
    if style not in styles.split(","):
        raise RenderError(f"font {family} {style} is not installed: fontconfig offers style {styles!r}; {hint}")
    path = Path(file)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RenderError(f"font file {path} for {family} {style} cannot be read: {exc}") from None
    return FontFile(family, style, path, int(index or 0), size)


@lru_cache(maxsize=1)
def main_faces() -> tuple[FontFile, ...]:
    """The Noto CJK SC faces (both families, regular and bold). Raises RenderError if one is missing."""
    return tuple(_fc_match(family, style) for family in FAMILIES for style in WEIGHTS)


@lru_cache(maxsize=1)
def fallback_faces() -> tuple[FontFile, ...]:
    """The rare-character faces, in chain order. Raises RenderError if one is missing."""
    return tuple(
        _fc_match(family, FALLBACK_STYLE, f"install the Debian package {FALLBACK_PACKAGES[family]}")
        for family in FALLBACK
    )


def faces() -> tuple[FontFile, ...]:
    """Every face the PDF may use: the Noto faces, then the fallback chain."""
    return (*main_faces(), *fallback_faces())


def fingerprint() -> str:
    """Path, index and size of every face: a changed font file changes the incremental-build key.

    The files fontconfig chose are cached per process; their sizes are read again on every call, so a
    long-running service notices a font package upgrade.
    """
    parts = []
    for f in faces():
        try:
            size = f.path.stat().st_size
        except OSError as exc:
            raise RenderError(f"font file {f.path} for {f.family} {f.style} is gone: {exc}") from None
        parts.append(f"{f.family}/{f.style}={f.path}#{f.index}:{size}")
    return ";".join(parts)


@lru_cache(maxsize=16)
def _codepoints(path: Path, index: int, size: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return frozenset(cmap)


def codepoints(face: FontFile) -> frozenset[int]:
    """The code points one face maps (its best cmap)."""
    return _codepoints(face.path, face.index, face.size)


def coverage(strict: bool = False) -> frozenset[int]:
    """Code points the whole chain can draw: any face (the union), or every Noto face when ``strict``."""
    if strict:
        return frozenset.intersection(*(codepoints(f) for f in main_faces()))
    return frozenset.union(*(codepoints(f) for f in faces()))


def main_coverage() -> frozenset[int]:
    """Code points the Noto CJK SC faces draw without the fallback chain."""
    return frozenset.union(*(codepoints(f) for f in main_faces()))


def assign(chars: set[str] | str) -> dict[FontFile, str]:
    """The characters beyond Noto CJK SC, by the fallback face that draws them (first in the chain).

    Characters no face has are left out (``missing()`` names them); the text of each face is sorted.
    """
    main = main_coverage()
    need = sorted({c for c in chars if ord(c) not in main and ord(c) not in _INVISIBLE})
    out: dict[FontFile, str] = {}
    for face in fallback_faces():
        if not need:
            break
        has = codepoints(face)
        mine = [c for c in need if ord(c) in has]
        if mine:
            out[face] = "".join(mine)
            need = [c for c in need if ord(c) not in has]
    return out


# Characters that need no glyph: line breaks and spacing controls are laid out, not drawn.
_INVISIBLE = {0x09, 0x0A, 0x0D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


def missing(text: str, covered: frozenset[int] | None = None) -> list[str]:
    """The distinct characters of ``text`` the PDF faces cannot draw, in order of appearance."""
    covered = coverage() if covered is None else covered
    seen: dict[str, None] = {}
    for char in text:
        code = ord(char)
        if code not in covered and code not in _INVISIBLE and char not in seen:
            seen[char] = None
    return list(seen)


def describe(chars: list[str]) -> str:
    return ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)
