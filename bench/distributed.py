"""Benchmark: full render of an archive on 2 local RQ workers against the local build with 2 renders in flight.

Run:  .venv/bin/python bench/distributed.py [--issues 40] [--rounds 2] [--jobs-flag]

It generates an archive of N issues (tests/archive.py), starts a redis-server on a free loopback port
(no persistence) and two ``exporter worker`` processes, then times, interleaved round by round, a full
render of every format:

* local   ``build(content, out, options={"workers": 2})``: two issues' PDFs in flight in forked children
          (``--jobs-flag``: ``exporter build --jobs 2`` once that option is on main);
* queue   ``build(content, out, cache=<empty folder>, broker=redis://…)``: every issue sent to the two
          workers (one forked work-horse per issue, its PDF in the horse's child), then the edition
          assembled locally from the render cache.

Each round starts from an empty output (and, for the queue, an empty render cache), so both render all
N issues. It prints both times (minimum and median), the ratio local / queue (goal >= 0.9: the queue
costs little), checks that both published the same release, and prints ``uptime`` before and after (the
machine is shared: note the load beside the figures).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.publish import build  # noqa: E402
from tests.archive import generate  # noqa: E402  (the generator the tests use too)

EXPORTER = str(Path(sys.executable).with_name("exporter"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs-flag", action="store_true", help="time `exporter build --jobs 2` as the local build")
    args = parser.parse_args()
    print(f"before: {uptime()}")
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        base = Path(tmp)
        content = generate(base / "content", args.issues)
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", tmp], stdout=subprocess.DEVNULL,
        )  # fmt: skip
        from redis import Redis

        client = Redis.from_url(url)
        for _ in range(200):  # wait until it listens: a worker that finds no broker exits
            try:
                client.ping()
                break
            except Exception:
                time.sleep(0.05)
        client.close()
        workers = [
            subprocess.Popen(
                [EXPORTER, "worker", "--broker", url, "--name", f"bench-{n}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for n in (1, 2)
        ]
        times: dict[str, list[float]] = {"local": [], "queue": []}
        releases: dict[str, set[str | None]] = {"local": set(), "queue": set()}
        try:
            time.sleep(2)  # the workers connect and preload
            for round_ in range(args.rounds):
                order = ("local", "queue") if round_ % 2 == 0 else ("queue", "local")
                for name in order:
                    out, cache = base / f"out-{name}-{round_}", base / f"cache-{round_}"
                    t0 = time.perf_counter()
                    if name == "queue":
                        result = build(content, out, cache=cache, broker=url)
                        release = result.release
                        assert result.ok and len(result.queued) == args.issues, (result.summary(), result.problems)
                    elif args.jobs_flag:
                        subprocess.run([EXPORTER, "build", "--content", str(content), "--out", str(out), "-q",
                                        "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
                        release = os.path.basename(os.readlink(out))
                    else:
                        result = build(content, out, options={"workers": 2})
                        release = result.release
                        assert result.ok, result.summary()
                    seconds = time.perf_counter() - t0
                    times[name].append(seconds)
                    releases[name].add(release)
                    print(f"round {round_ + 1}: {name:5} {seconds:7.2f} s  (release {release})", flush=True)
                    shutil.rmtree(out.parent / f".{out.name}.releases", ignore_errors=True)
                    out.unlink(missing_ok=True)
                    shutil.rmtree(cache, ignore_errors=True)
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:  # a warm shutdown that does not come: stop it
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=10)
            redis.terminate()
            redis.wait(timeout=10)
    print(f"after:  {uptime()}")

    def fig(values: list[float]) -> str:
        return f"min {min(values):7.2f} s  median {statistics.median(values):7.2f} s"

    local = "exporter build --jobs 2" if args.jobs_flag else "build, workers=2"
    print(f"\nfull render of {args.issues} issues, every format, {args.rounds} rounds (interleaved)")
    print(f"local ({local}):         {fig(times['local'])}")
    print(f"queue (2 RQ workers + assemble): {fig(times['queue'])}")
    ratio = min(times["local"]) / min(times["queue"])
    medians = statistics.median(times["local"]) / statistics.median(times["queue"])
    print(f"ratio local / queue: {ratio:.3f}  (goal >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'}; "
          f"ratio of the medians {medians:.3f})")  # fmt: skip
    same = releases["local"] == releases["queue"] and len(releases["local"]) == 1
    print(
        f"same release from both: {'yes' if same else 'NO'} {sorted(map(str, releases['local'] | releases['queue']))}"
    )


if __name__ == "__main__":
    main()
