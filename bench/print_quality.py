"""Print quality of the PDF edition, measured on the PDF itself (issue #13).

Run:  .venv/bin/python bench/print_quality.py                 # builds the corpus and seed PDFs with this code
      .venv/bin/python bench/print_quality.py file.pdf ...    # measures PDFs you already have

Without arguments it builds, into a temporary folder and with the current code, the PDF of the corpus
fixture issue (tests/fixtures/corpus, 29 articles) and of the sample content (content/: the seed issue
2026-03-30 and the sample issue 2026-03-23), then prints for each PDF, read back with poppler
(``pdftotext -bbox-layout``, ``pdftohtml -xml``):

* the share of non-final body lines flush to both column edges (target >= 95 %);
* line-start punctuation violations, lines starting with ，。、；：？！”）》 (target 0);
* one-character last lines of paragraphs, as a share of paragraphs (target <= 2 %), and the looser count of a
  character left alone with its closing punctuation ("司。") among paragraphs of two lines or more;
* the empty share of the type area per sheet (target <= 30 % but the last), the number of sheets and the
  sheets per 版 named by the running heads.

How body lines, columns and paragraphs are found is documented in ``tests/print_metrics.py``, which the
tests use too (the tests never import from ``bench/``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.publish import build  # noqa: E402
from tests.print_metrics import format_report, measure  # noqa: E402  (the metrics the tests use too)

SOURCES = (ROOT / "tests/fixtures/corpus", ROOT / "content")


def build_pdfs(tmp: Path) -> list[Path]:
    """The PDFs of the corpus fixture and of the sample content, built with the current code."""
    pdfs = []
    for i, content in enumerate(SOURCES):
        out = tmp / f"out{i}"
        result = build(content, out, formats=("pdf",))
        if not result.ok:
            raise SystemExit(f"{content}: {result.problems}")
        pdfs.extend(sorted(out.resolve().glob("issues/*/*.pdf"), reverse=True))
    return pdfs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="*", type=Path, help="PDFs to measure (default: build the corpus and samples)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-print-") as tmp:
        pdfs = args.pdf or build_pdfs(Path(tmp))
        for pdf in pdfs:
            print(format_report(pdf.name, measure(pdf)))


if __name__ == "__main__":
    main()
