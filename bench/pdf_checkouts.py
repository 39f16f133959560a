"""Benchmark: the pipeline's PDF render of one issue by two checkouts of exporter, side by side.

Run:  .venv/bin/python bench/pdf_checkouts.py /work/main . [--rounds 4] [--issue tests/fixtures/corpus/2026-06-12]

Each round renders the issue once per checkout, alternating, each in a fresh Python process that
imports ``exporter`` from that checkout (same venv, same WeasyPrint), warms fontconfig and Pango on a
tiny document, then times ``PdfRenderer().render(job)`` (templating, the forked render child, checks,
file write). It prints, per checkout, the wall time and the render child's CPU time (minimum, median)
and the ratio second / first: how much a change costs the PDF build (issue #13: at most 1.15).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import resource, sys, tempfile, time
from pathlib import Path
repo, folder = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, repo)
import exporter
assert exporter.__file__.startswith(repo), exporter.__file__
import weasyprint
from exporter.load import load_issue, load_publication
from exporter.render import Job
from exporter.render.pdf import PdfRenderer
pub = load_publication(folder.parent)
issue = load_issue(folder, pub)
job = Job(pub, (issue,), issue, Path(tempfile.mkdtemp()), {issue.id: folder}, ("pdf",), options={})
renderer = PdfRenderer()
renderer.fingerprint()
weasyprint.HTML(string='<p style="font-family: Noto Serif CJK SC">中文</p>').write_pdf()
start = time.perf_counter()
renderer.render(job)
wall = time.perf_counter() - start
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, child.ru_utime + child.ru_stime)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--issue", type=Path, default=ROOT / "tests/fixtures/corpus/2026-06-12")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    checkouts = [args.first.resolve(), args.second.resolve()]
    wall: dict[Path, list[float]] = {repo: [] for repo in checkouts}
    cpu: dict[Path, list[float]] = {repo: [] for repo in checkouts}
    for _ in range(args.rounds):
        for repo in checkouts:
            command = [sys.executable, "-c", CHILD, str(repo), str(args.issue.resolve())]
            out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=repo).stdout.split()
            wall[repo].append(float(out[0]))
            cpu[repo].append(float(out[1]))
    print(f"issue {args.issue.name}; rounds: {args.rounds} (minimum, median in brackets)")
    for repo in checkouts:
        print(
            f"  {repo!s:<30} wall {min(wall[repo]):6.2f} s ({statistics.median(wall[repo]):5.2f} s)"
            f"   render child CPU {min(cpu[repo]):6.2f} s ({statistics.median(cpu[repo]):5.2f} s)"
        )
    first, second = checkouts
    print(
        f"ratio second / first  wall {min(wall[second]) / min(wall[first]):.3f}"
        f" (medians {statistics.median(wall[second]) / statistics.median(wall[first]):.3f})"
        f"   CPU {min(cpu[second]) / min(cpu[first]):.3f}"
    )


if __name__ == "__main__":
    main()
