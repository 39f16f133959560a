"""Benchmark: incremental builds of a large archive.

Run:  .venv/bin/python bench/archive.py [--issues 200] [--rounds 3] [--formats pdf,epub,site,feeds,opds]

In one process, with the formats an issue is published in (every format, as in production, unless
``--formats`` says otherwise), it generates two archives into a temporary folder from the sample content
(the seed issue's two articles and photo, the sample issue's seven articles, each varied per issue),
builds both once (with the PDF, the 200-issue build takes minutes), then times side by side, round by
round:

* add-1     adding issue 2 to an archive of 1 issue;
* add-N     adding issue N+1 to an archive of N issues;
* noop-N    rebuilding the archive of N issues with nothing changed,

and prints ``add-N / add-1`` (target <= 1.2), the no-change rebuild time (target <= 1 s) and the files it
rewrote (target 0, checked by inode: an unchanged file must be the same file). The minimum of the rounds
is the figure; the median is printed beside it (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.publish import BuildResult, build  # noqa: E402
from exporter.render import DEFAULT_FORMATS  # noqa: E402
from tests.archive import generate, write_issue  # noqa: E402  (the generator the tests use too)


def inodes(out: Path) -> dict[str, int]:
    root = out.resolve()
    found = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            found[str(path.relative_to(root))] = path.stat().st_ino
    return found


def timed(fn: object, *args: object, **kwargs: object) -> tuple[float, BuildResult]:
    t0 = time.perf_counter()
    result: BuildResult = fn(*args, **kwargs)  # type: ignore[operator]
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--formats",
        default=",".join(DEFAULT_FORMATS),
        help=f"comma-separated formats (default: {','.join(DEFAULT_FORMATS)}, as in production; "
        "site,feeds,opds builds the archives in seconds instead of minutes)",
    )
    args = parser.parse_args()
    fmts = tuple(args.formats.split(","))
    print(f"formats: {', '.join(fmts)}")
    n = args.issues
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        small, large = generate(base / "small", 1), generate(base / "large", n)
        print(f"generated archives of 1 and {n} issues in {time.perf_counter() - t0:.1f} s")
        outs = {"1": base / "out-small", str(n): base / "out-large"}
        for label, content in (("1", small), (str(n), large)):
            seconds, result = timed(build, content, outs[label], fmts)
            assert result.ok, result.problems
            print(f"full build of {label:>3} issue(s): {seconds:6.2f} s, {result.files} files")

        adds: dict[str, list[float]] = {"1": [], str(n): []}
        last: dict[str, BuildResult] = {}
        noops: list[float] = []
        rewritten: list[int] = []
        for _round in range(args.rounds):
            for label, content, count in (("1", small, 1), (str(n), large, n)):
                # a new issue every round, as in production (the same one again would give a release
                # that exists already, which a build recognises and does not publish twice)
                folder = write_issue(content, count, variant=f"（第{_round + 1}轮）")
                seconds, result = timed(build, content, outs[label], fmts)
                assert result.ok, result.problems
                if result.rendered != [folder.name]:  # e.g. a renderer's code changed on disk meanwhile
                    print(f"  note: archive of {label} re-rendered {len(result.rendered)} issues, not 1")
                adds[label].append(seconds)
                last[label] = result
                pdf = f" (pdf render window {result.timings['pdf']:.2f} s)" if "pdf" in result.timings else ""
                print(f"  round {_round + 1}: add to the archive of {label:>3}: {seconds:.3f} s{pdf}")
                shutil.rmtree(folder)  # back to N issues (untimed)
                assert build(content, outs[label], fmts).ok
            before = inodes(outs[str(n)])
            seconds, result = timed(build, large, outs[str(n)], fmts)
            after = inodes(outs[str(n)])
            assert not result.changed and not result.rendered
            noops.append(seconds)
            rewritten.append(sum(1 for rel, ino in after.items() if before.get(rel) != ino) + len(before) - len(after))

        def fig(values: list[float]) -> str:
            return f"min {min(values):6.3f} s  median {statistics.median(values):6.3f} s"

        print(f"\nrounds: {args.rounds} (interleaved)")
        print(f"add issue 2 to an archive of 1:      {fig(adds['1'])}")
        print(f"add issue {n + 1} to an archive of {n}:  {fig(adds[str(n)])}")
        ratio = min(adds[str(n)]) / min(adds["1"])
        medians = statistics.median(adds[str(n)]) / statistics.median(adds["1"])
        print(f"ratio add-{n} / add-1: {ratio:.2f}  (target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'}; "
              f"ratio of the medians {medians:.2f})")  # fmt: skip
        print(f"no-change rebuild of {n} issues:     {fig(noops)}  (target <= 1 s: "
              f"{'met' if min(noops) <= 1 else 'NOT met'})")  # fmt: skip
        print(f"files rewritten by the no-change rebuilds: {max(rewritten)}  (target 0)")
        for label in ("1", str(n)):
            print(f"last add to the archive of {label}: {last[label].summary()}")


if __name__ == "__main__":
    main()
