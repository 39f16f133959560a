"""Benchmark: full re-render of an archive with ``--jobs 2`` against ``--jobs 1`` (#14).

Run:  .venv/bin/python bench/jobs.py [--issues 200] [--rounds 1] [--jobs 2] [--formats pdf,epub,site,feeds,opds]

It generates an archive of N issues (``tests/archive.py``: 2 pages, 9 articles and a photo each) into a
temporary folder, then builds it from scratch (a new output each time: every issue is rendered, every
format) with ``jobs=1`` and with ``jobs=N``, side by side, alternating which goes first round by round,
each build in its own ``exporter build`` process as a user runs it. It prints each build's wall time,
the machine's load average before and after, the render processes' summed CPU time where the build
reports it, checks that both builds published the same release (same manifest id: the same bytes),
and prints ``jobs1 / jobsN`` (the speed-up; target >= 1.8 for 2 jobs on 2 cores).

The machine is shared: other work takes cores from under a build. Before each round it measures what
the machine offers to parallel work right then: the same pure-Python loop in one process, then in N
processes at once; ``N × one / N at once`` is N on N free cores. The speed-up is printed beside it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.render import DEFAULT_FORMATS  # noqa: E402
from tests.archive import generate  # noqa: E402  (the generator the tests use too)

EXPORTER = Path(sys.executable).with_name("exporter")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _spin(n: int = 20_000_000) -> float:
    t0, x = time.perf_counter(), 0
    for i in range(n):
        x += i
    return time.perf_counter() - t0


def offered(jobs: int) -> float:
    """The parallel speed-up the machine offers now: N × (one loop alone) / (N loops at once)."""
    one = _spin()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        t0 = time.perf_counter()
        pool.map(_spin, [20_000_000] * jobs)
        many = time.perf_counter() - t0
    return jobs * one / many


def build(content: Path, out: Path, jobs: int, formats: tuple[str, ...]) -> tuple[float, str]:
    """One full build in a fresh process: (seconds, the summary line)."""
    cmd = [str(EXPORTER), "build", "--content", str(content), "--out", str(out), "--jobs", str(jobs), "-q"]
    cmd += [arg for name in formats for arg in ("--format", name)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="the contender against --jobs 1 (default 2)")
    parser.add_argument("--formats", default=",".join(DEFAULT_FORMATS))
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    print(f"issues: {args.issues}; formats: {', '.join(formats)}; cpus: {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        base = Path(tmp)
        content = generate(base / "content", args.issues)
        times: dict[int, list[float]] = {1: [], args.jobs: []}
        releases: set[str] = set()
        offers: list[float] = []
        for round_ in range(args.rounds):
            offers.append(offered(args.jobs))
            print(f"round {round_ + 1}: the machine offers {offers[-1]:.2f}x to {args.jobs} processes now "
                  f"({args.jobs}.00 on free cores)")  # fmt: skip
            order = (1, args.jobs) if round_ % 2 == 0 else (args.jobs, 1)
            for jobs in order:
                out = base / f"out-{round_}-{jobs}"
                before = load()
                seconds, summary = build(content, out, jobs, formats)
                times[jobs].append(seconds)
                found = re.search(r"release ([0-9a-f]{16})", summary)
                releases.add(found.group(1) if found else summary)
                print(f"round {round_ + 1}: --jobs {jobs}: {seconds:8.2f} s  (load before {before}, after {load()})")
                print(f"    {summary}")
        assert len(releases) == 1, f"the builds published different releases: {releases}"
        print(f"\nsame release from every build: {releases.pop()}")
        one, many = min(times[1]), min(times[args.jobs])
        ratio = one / many
        medians = statistics.median(times[1]) / statistics.median(times[args.jobs])
        print(f"--jobs 1: min {one:.2f} s; --jobs {args.jobs}: min {many:.2f} s; per issue {many / args.issues:.2f} s")
        print(f"speed-up jobs1 / jobs{args.jobs}: {ratio:.2f}  (target >= 1.8: {'met' if ratio >= 1.8 else 'NOT met'};"
              f" ratio of the medians {medians:.2f})")  # fmt: skip
        print(f"the machine offered {min(offers):.2f}-{max(offers):.2f}x to {args.jobs} spinning processes "
              f"in the same run (load average now {load()})")  # fmt: skip


if __name__ == "__main__":
    main()
