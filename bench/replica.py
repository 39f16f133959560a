"""Benchmark: the whole build of a 16-page issue with and without the 数字报 replica.

Run:  .venv/bin/python bench/replica.py [--rounds 3]

Makes the 16-page issue of bench/edition.py (the corpus fixture's 29 articles over 16 版), then runs,
interleaved round by round, two fresh ``exporter build`` processes on it, every format each:

* replica     the default: besides the issue's PDF, one PDF per 版, every sheet as an image at 150 dpi
              and as a 300 px thumbnail (pypdfium2, JPEG), the layout and the 版 views;
* no-replica  ``--option replica=false``: the same build without them (the PDFs are linearised in both).

It prints the wall time of each (minimum and median of the rounds), ``replica / no-replica`` (target
<= 1.25, issue #12), the CPU time of each (the build process, its render child and the helper that
writes half of the 版 PDFs and images) and the peak memory of each build.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from edition import sixteen_pages, tree_rss  # noqa: E402  (bench/edition.py: the same 16-page issue)

TARGET = 1.25


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_build(content: Path, out: Path, options: list[str]) -> tuple[float, int, float]:
    """Wall time, peak tree memory and CPU seconds (the process and its render children and helpers) of
    one fresh `exporter build` process (every format)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out.parent / f".{out.name}.releases", ignore_errors=True)
    if out.is_symlink():
        out.unlink()
    cmd = [str(Path(sys.executable).parent / "exporter"), "build", "--content", str(content), "--out", str(out), "-q"]
    for option in options:
        cmd += ["--option", option]
    peak = 0
    cpu = children_cpu()
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
    return elapsed, peak, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        content = sixteen_pages(Path(tmp) / "content")
        contenders = {"replica": [], "no-replica": ["replica=false"]}
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpus: dict[str, list[float]] = {name: [] for name in contenders}
        peaks: dict[str, int] = dict.fromkeys(contenders, 0)
        run_build(content, Path(tmp) / "warm", ["replica=false"])  # fill the page cache with fonts and libraries
        for _ in range(args.rounds):
            for name, options in contenders.items():
                seconds, peak, cpu = run_build(content, Path(tmp) / name, options)
                times[name].append(seconds)
                cpus[name].append(cpu)
                peaks[name] = max(peaks[name], peak)
        sheets = len(list((Path(tmp) / "replica").resolve().glob("issues/*/pages/*-thumb.jpg")))
        print(f"16-page issue (29 corpus articles, {sheets} sheets), every format, {args.rounds} rounds interleaved")
        for name in contenders:
            t = times[name]
            print(f"  {name:10} build: min {min(t):.2f} s  median {statistics.median(t):.2f} s  "
                  f"CPU min {min(cpus[name]):.2f} s  peak memory {peaks[name] / 2**20:.0f} MiB")  # fmt: skip
        ratio = min(times["replica"]) / min(times["no-replica"])
        medians = statistics.median(times["replica"]) / statistics.median(times["no-replica"])
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(
            f"ratio replica / no-replica: {ratio:.3f}  (target <= {TARGET}: {verdict}; "
            f"ratio of the medians {medians:.3f})"
        )
        cpu_ratio = min(cpus["replica"]) / min(cpus["no-replica"])
        load = os.getloadavg()[0]
        print(f"CPU ratio replica / no-replica: {cpu_ratio:.3f}  (load average {load:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
