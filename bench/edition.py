"""Benchmark: a whole 16-page issue (every format) against its PDF alone, and its peak memory.

Run:  .venv/bin/python bench/edition.py [--rounds 3]

Makes a 16-page issue from the corpus fixture (its 29 articles spread over 16 pages, 今日16版), then
runs, interleaved round by round, two fresh ``exporter build`` processes on it:

* all   every format (pdf, epub, site, feeds, opds): the PDF renders in a child process while the
        other formats render in the parent, on the second core;
* pdf   the PDF alone.

It prints the wall time of each (minimum and median of the rounds), ``all / pdf`` (target <= 1.1), and
the peak memory of the whole build (the build process and its render child, summed, sampled from /proc
every 10 ms; target <= 400 MB).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
PAGES = 16


def sixteen_pages(root: Path) -> Path:
    """The corpus issue laid out over 16 pages: round-robin, so every page carries one or two articles."""
    shutil.copytree(CORPUS, root)
    issue_file = root / "2026-06-12" / "issue.yaml"
    issue = yaml.safe_load(issue_file.read_text("utf-8"))
    slugs = [s for page in issue["pages"] for s in page["articles"]]
    pages = [{"number": n + 1, "name": f"第{n + 1}版", "articles": slugs[n::PAGES]} for n in range(PAGES)]
    issue.update(page_count=PAGES, pages=pages, highlights=[])
    issue_file.write_text(yaml.safe_dump(issue, allow_unicode=True, sort_keys=False), "utf-8")
    return root


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_build(content: Path, out: Path, formats: list[str]) -> tuple[float, int]:
    """Wall time and peak tree memory of one fresh `exporter build` process."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out.parent / f".{out.name}.releases", ignore_errors=True)
    if out.is_symlink():
        out.unlink()
    cmd = [str(Path(sys.executable).parent / "exporter"), "build", "--content", str(content), "--out", str(out), "-q"]
    for name in formats:
        cmd += ["--format", name]
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - started
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"build failed: {err.decode()}")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        content = sixteen_pages(Path(tmp) / "content")
        contenders = {"all": ["pdf", "epub", "site", "feeds", "opds"], "pdf": ["pdf"]}
        times: dict[str, list[float]] = {name: [] for name in contenders}
        peaks: dict[str, int] = dict.fromkeys(contenders, 0)
        run_build(content, Path(tmp) / "warm", ["pdf"])  # fill the page cache with fonts and libraries
        for _ in range(args.rounds):
            for name, formats in contenders.items():
                seconds, peak = run_build(content, Path(tmp) / name, formats)
                times[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
        print(f"16-page issue (29 corpus articles), {args.rounds} rounds interleaved, fresh process each")
        for name in contenders:
            t = times[name]
            print(f"  {name:4} build: min {min(t):.2f} s  median {statistics.median(t):.2f} s  "
                  f"peak memory {peaks[name] / 2**20:.0f} MiB")  # fmt: skip
        ratio = min(times["all"]) / min(times["pdf"])
        medians = statistics.median(times["all"]) / statistics.median(times["pdf"])
        print(f"ratio all / pdf: {ratio:.3f}  (target <= 1.1: {'met' if ratio <= 1.1 else 'NOT met'}; "
              f"ratio of the medians {medians:.3f})")  # fmt: skip
        mb = peaks["all"] / 1e6
        verdict = "met" if mb <= 400 else "NOT met"
        print(
            f"peak memory of the whole build: {mb:.0f} MB = {peaks['all'] / 2**20:.0f} MiB"
            f"  (target <= 400 MB: {verdict})"
        )


if __name__ == "__main__":
    main()
