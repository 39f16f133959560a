"""Benchmark and figures: CJK inter-character justification (exporter/justify.py) against none.

Run:  .venv/bin/python bench/justify.py [--rounds 3] [--issue tests/fixtures/corpus/2026-06-12]

In one process, on the issue's PDF HTML, it renders interleaved round by round

* plain      the body rule as main had it before #13 (``text-align: left``), WeasyPrint alone;
* justified  the pipeline's HTML (``text-align: justify``) inside :func:`exporter.justify.installed`;

both with the pipeline's write options, and prints the wall and CPU time of each (minimum, median)
and their ratios (target: justified / plain <= 1.15). From each layout's box tree it counts, over the body
paragraphs (``<p>`` in ``.body``): the non-final lines flush to both edges of their column (within
0.5 pt; the first line from its 2em indent), lines starting with ，。、；：？！”）》, and paragraphs
whose last line holds one character; and from ``pdftotext`` of each PDF the spaces between two CJK
characters that are not in the source (a justified line must extract as its text).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter import justify  # noqa: E402
from exporter.load import load_issue, load_publication  # noqa: E402
from exporter.render import Job  # noqa: E402
from exporter.render.pdf import WRITE_OPTIONS, issue_html  # noqa: E402

TOLERANCE = 0.5 / 0.75  # 0.5 pt in CSS px
LINE_START = "，。、；：？！”）》"
CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +(?=[\u3000-\u9fff\uff00-\uffef])")


def body_paragraphs(document: Any) -> dict[Any, list[tuple[Any, Any]]]:
    """Each body <p> element → its line boxes in order, each with the fragment box holding it."""
    from weasyprint.formatting_structure import boxes

    found: dict[Any, list[tuple[Any, Any]]] = {}

    def walk(box: Any, parent: Any) -> None:
        in_body = parent is not None and "body" in str(parent.get("class", "")).split()
        if isinstance(box, boxes.BlockBox) and box.element_tag == "p" and in_body:
            for child in box.children:
                if isinstance(child, boxes.LineBox):
                    found.setdefault(box.element, []).append((box, child))
            return
        for child in getattr(box, "children", []):
            walk(child, box.element if child.element is not box.element else parent)

    for page in document.pages:
        walk(page._page_box, None)
    return found


def leaves(box: Any) -> list[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return [box] if box.text.strip() else []
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        return [leaf for child in box.children for leaf in leaves(child)]
    return [box]


def line_text(line: Any) -> str:
    return "".join(getattr(leaf, "text", "") for leaf in leaves(line)).strip()


def figures(document: Any) -> dict[str, int]:
    paragraphs = body_paragraphs(document)
    counts = {
        "paragraphs": len(paragraphs),
        "non-final lines": 0,
        "flush": 0,
        "line-start punct": 0,
        "one-char ends": 0,
    }
    for lines in paragraphs.values():
        for index, (block, line) in enumerate(lines):
            text = line_text(line)
            if text and text[0] in LINE_START:
                counts["line-start punct"] += 1
            if index == len(lines) - 1:
                counts["one-char ends"] += len(text) == 1
                continue
            counts["non-final lines"] += 1
            items = leaves(line)
            if not items:
                continue
            left = items[0].position_x
            right = items[-1].position_x + items[-1].width
            start = block.content_box_x() + (block.style["text_indent"].value if index == 0 else 0)
            end = block.content_box_x() + block.width
            counts["flush"] += abs(left - start) <= TOLERANCE and abs(right - end) <= TOLERANCE
    return counts


def spurious_spaces(pdf: bytes, source: str) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        text = subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout
    return len(CJK_GAP.findall(text)) - len(CJK_GAP.findall(source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issue", type=Path, default=ROOT / "tests/fixtures/corpus/2026-06-12")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import weasyprint

    folder = args.issue.resolve()
    pub = load_publication(folder.parent)
    issue = load_issue(folder, pub)
    out = Path(tempfile.mkdtemp(prefix="bench-justify-"))
    job = Job(pub, (issue,), issue, out, {issue.id: folder}, ("pdf",), options={"pdf_isolate": False})
    html = issue_html(job, issue)
    plain_html = re.sub(r"\.body p \{[^}]*\}", ".body p { text-indent: 2em; text-align: left; }", html, count=1)
    assert plain_html != html, "the body rule of pdf.css changed: update bench/justify.py"
    base_url = folder.as_uri() + "/"
    source = re.sub(r"<[^>]+>", "", html)

    results: dict[str, Any] = {}

    def plain() -> Any:
        document = weasyprint.HTML(string=plain_html, base_url=base_url).render(**WRITE_OPTIONS)
        return document, document.write_pdf(**WRITE_OPTIONS)

    def justified() -> Any:
        with justify.installed():
            document = weasyprint.HTML(string=html, base_url=base_url).render(**WRITE_OPTIONS)
            return document, document.write_pdf(**WRITE_OPTIONS)

    contenders = {"plain": plain, "justified": justified}
    plain()  # warm fontconfig and Pango's caches once, for both
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            c0, t0 = time.process_time(), time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    print(f"issue {issue.id}: {len(issue.articles)} articles; rounds: {args.rounds} (minimum, median in brackets)")
    for name, values in times.items():
        document, pdf = results[name]
        counts = figures(document)
        share = counts["flush"] / max(1, counts["non-final lines"])
        ends = counts["one-char ends"] / max(1, counts["paragraphs"])
        print(
            f"  {name:<10} wall {min(values):6.2f} s ({statistics.median(values):5.2f} s)  "
            f"CPU {min(cpu[name]):6.2f} s ({statistics.median(cpu[name]):5.2f} s)  "
            f"{len(document.pages)} pages  "
            f"flush {counts['flush']}/{counts['non-final lines']} = {share:.1%}  "
            f"one-char ends {counts['one-char ends']}/{counts['paragraphs']} = {ends:.1%}  "
            f"line-start punct {counts['line-start punct']}  "
            f"spurious CJK spaces in pdftotext {spurious_spaces(pdf, source)}"
        )
    wall = min(times["justified"]) / min(times["plain"])
    spent = min(cpu["justified"]) / min(cpu["plain"])
    print(f"ratio justified / plain  wall {wall:.3f}  CPU {spent:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
