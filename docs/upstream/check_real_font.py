"""Measure a patched WeasyPrint (weasyprint-text-justify.patch) alone, without exporter/justify.py.

Run with the Python of a venv where the patched WeasyPrint 70.0 is installed, from the project root:

    /tmp/wp/venv/bin/python docs/upstream/check_real_font.py [extra CSS, e.g. "text-justify: inter-word"]

It sets the NEWS and MIXED paragraphs of tests/test_justify.py in Noto Serif CJK SC 10 pt, justified,
at 53 column widths from 50 to 169.5 pt, and prints with ``pdftotext`` (poppler) the share of
non-final lines reaching both column edges (within 0.5 pt) and at how many widths the extracted
text equals the source. Same page set-up and measures as tests/test_justify.py.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from weasyprint import HTML

LEFT, TOLERANCE = 20.0, 0.5
SOURCE = (Path(__file__).parents[2] / "tests" / "test_justify.py").read_text(encoding="utf-8")


def constant(name: str) -> str:
    for node in ast.parse(SOURCE).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return str(ast.literal_eval(node.value))
    raise KeyError(name)


def render(paragraph: str, width: float, css: str) -> bytes:
    html = (
        '<html lang="zh-CN"><style>'
        f"@page {{ size: {width + 2 * LEFT}pt 600pt; margin: {LEFT}pt }} body {{ margin: 0 }}"
        'p { font-family: "Noto Serif CJK SC"; font-size: 10pt; line-height: 1.5; margin: 0;'
        f" text-align: justify; font-kerning: none; {css} }}</style><p>{paragraph}</p>"
    )
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def pdftotext(pdf: bytes, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def edges(pdf: bytes) -> list[tuple[float, float]]:
    xml = pdftotext(pdf, "-bbox-layout")
    return [
        (float(x0), float(x1)) for x0, x1 in re.findall(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', xml)
    ]


def extracted(pdf: bytes, source: str) -> str:
    joined = ""
    for line in pdftotext(pdf).replace("\f", "").splitlines():
        if joined and len(joined) < len(source) and source[len(joined)] == " ":
            joined += " "
        joined += line
    return joined


def main(css: str) -> None:
    for name in ("NEWS", "MIXED"):
        paragraph = constant(name)
        flush = total = 0
        unclean = []
        widths = [tenths / 10 for tenths in range(500, 1700, 23)]
        for width in widths:
            pdf = render(paragraph, width, css)
            for x0, x1 in edges(pdf)[:-1]:
                total += 1
                flush += abs(x0 - LEFT) <= TOLERANCE and abs(x1 - LEFT - width) <= TOLERANCE
            if extracted(pdf, paragraph) != paragraph:
                unclean.append(width)
        print(
            f"{name} ({css or 'text-justify: auto'}): {flush}/{total} = {100 * flush / total:.1f} % of non-final "
            f"lines flush; pdftotext equals the source at {len(widths) - len(unclean)}/{len(widths)} widths; "
            f"not at {unclean}"
        )


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]))
