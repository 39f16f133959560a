"""Benchmark: the pipeline's PDF render against a bare WeasyPrint render of the same HTML.

Run:  .venv/bin/python bench/pdf.py [--rounds 3] [--issue tests/fixtures/corpus/2026-06-12]

In one process, on the corpus fixture issue (29 articles, 16 A3 pages), it times

* pipeline      ``PdfRenderer().render(job)``: templating, a forked child with a time limit, log capture,
                layout and font checks, PDF/UA-1 tagging, writing the file;
* in-process    the same without the child process (``options["pdf_isolate"] = False``);
* bare          ``weasyprint.HTML(string=html, base_url=...).write_pdf()`` of the same HTML, defaults;
* bare+ua       the same with the pipeline's write options (``pdf_variant="pdf/ua-1"``...),

interleaved round by round (the machine is shared; the minimum of each is reported), and prints the
ratios (target: pipeline / bare <= 1.15), peak memory (RSS of this process and of the render children)
and the PDF's size. WeasyPrint is imported before timing starts (every contender has it loaded).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.load import load_issue, load_publication  # noqa: E402
from exporter.render import Job  # noqa: E402
from exporter.render.pdf import WRITE_OPTIONS, PdfRenderer, issue_html  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issue", type=Path, default=ROOT / "tests/fixtures/corpus/2026-06-12")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import weasyprint

    folder = args.issue.resolve()
    pub = load_publication(folder.parent)
    issue = load_issue(folder, pub)
    out = Path(tempfile.mkdtemp(prefix="bench-pdf-"))

    def job(isolate: bool) -> Job:
        return Job(pub, (issue,), issue, out, {issue.id: folder}, ("pdf",), options={"pdf_isolate": isolate})

    html = issue_html(job(True), issue)
    base_url = folder.as_uri() + "/"
    renderer = PdfRenderer()
    renderer.fingerprint()  # font discovery is cached per process, like in a long-running service

    def pipeline() -> None:
        renderer.render(job(True))

    def in_process() -> None:
        renderer.render(job(False))

    def bare() -> None:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()

    def bare_ua() -> None:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf(**WRITE_OPTIONS)

    contenders: dict[str, Callable[[], None]] = {
        "pipeline": pipeline,
        "in-process": in_process,
        "bare": bare,
        "bare+ua": bare_ua,
    }
    bare()  # warm fontconfig and Pango's caches once, for everyone
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)

    best = {name: min(values) for name, values in times.items()}
    pdf = out / issue.pdf_path
    print(f"issue {issue.id}: {len(issue.articles)} articles, {len(issue.pages)} pages (版), {len(html)} chars of HTML")
    print(f"rounds: {args.rounds} (minimum reported, median in brackets)")
    for name, values in times.items():
        print(f"  {name:<11} {best[name]:7.2f} s  ({statistics.median(values):.2f} s)")
    print(f"ratio pipeline / bare      {best['pipeline'] / best['bare']:.3f}  (target <= 1.15)")
    print(f"ratio pipeline / bare+ua   {best['pipeline'] / best['bare+ua']:.3f}  (cost of checks + child process)")
    print(f"ratio in-process / bare+ua {best['in-process'] / best['bare+ua']:.3f}")
    print(f"ratio bare+ua / bare       {best['bare+ua'] / best['bare']:.3f}  (cost of PDF/UA-1 tagging)")
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak RSS: this process {self_kib / 1024:.0f} MiB (in-process and bare renders), "
          f"render child {child_kib / 1024:.0f} MiB")  # fmt: skip
    print(f"PDF: {pdf.stat().st_size / 1024:.0f} KiB, {pdf}")


if __name__ == "__main__":
    main()
