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
import shutil
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


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its waited-for children (the render children)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


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
        # without the 数字报 replica (page images, 版 PDFs: bench/replica.py measures them): the PDF alone
        options = {"pdf_isolate": isolate, "replica": False}
        return Job(pub, (issue,), issue, out, {issue.id: folder}, ("pdf",), options=options)

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
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(cpu_seconds() - c0)

    best = {name: min(values) for name, values in times.items()}
    best_cpu = {name: min(values) for name, values in cpu.items()}
    pdf = out / issue.pdf_path
    print(f"issue {issue.id}: {len(issue.articles)} articles, {len(issue.pages)} pages (版), {len(html)} chars of HTML")
    print(f"rounds: {args.rounds} (minimum reported, median in brackets); CPU = user+sys of this process and children")
    for name, values in times.items():
        print(
            f"  {name:<11} wall {best[name]:6.2f} s ({statistics.median(values):5.2f} s)"
            f"   CPU {best_cpu[name]:6.2f} s ({statistics.median(cpu[name]):5.2f} s)"
        )
    for label, a, b, note in (
        ("pipeline / bare", "pipeline", "bare", "target <= 1.15"),
        ("pipeline / bare+ua", "pipeline", "bare+ua", "checks + child process"),
        ("in-process / bare+ua", "in-process", "bare+ua", "checks alone"),
        ("bare+ua / bare", "bare+ua", "bare", "PDF/UA-1 tagging"),
    ):
        print(f"ratio {label:<21} wall {best[a] / best[b]:.3f}   CPU {best_cpu[a] / best_cpu[b]:.3f}   ({note})")
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak RSS: this process {self_kib / 1024:.0f} MiB (in-process and bare renders), "
          f"render child {child_kib / 1024:.0f} MiB")  # fmt: skip
    print(f"PDF: {pdf.stat().st_size / 1024:.0f} KiB ({pdf.stat().st_size} bytes)")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
