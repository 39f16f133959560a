"""Benchmark: ``exporter publish`` of a large release to a local S3-compatible server.

Run:  .venv/bin/python bench/s3.py [--issues 200] [--rounds 5] [--formats site,feeds,opds,epub] [--work DIR]

It generates an archive of ``--issues`` weekly issues (``tests/archive.py``, as ``bench/archive.py``),
builds it once (``--work DIR`` keeps it for the next run; the PDF is left out by default: 200 PDFs take
many minutes and add only 200 leaf files), starts ``moto_server`` (moto's S3, a separate process on a
loopback port) and times:

* first      the first publish of the release to an empty bucket;
* noop       publishing it again unchanged, ``--rounds`` times, in process (client made each round);
* noop-cli   the same through ``exporter publish`` (a new process: Python, boto3 and exporter imports);
* noop-verify  the same with ``--verify`` (the bucket listed, every object's size checked);
* changed    publishing after one issue's article changed (that issue's files, the feeds, the index).

It prints the minimum and the median of the no-change rounds (target <= 2 s) and the load average
before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
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
from exporter.s3 import Target, client, publish  # noqa: E402
from tests.archive import generate, issue_id  # noqa: E402

BIN = Path(sys.executable).parent


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--formats", default="site,feeds,opds,epub")
    parser.add_argument("--work", type=Path, help="keep the generated archive and its build here")
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-s3-"))
    content, out = work / "content", work / "output"
    print(f"load average before: {load()}")
    if not content.exists():
        generate(content, args.issues)
    t0 = time.perf_counter()
    result = build(content, out, formats)
    print(f"build ({','.join(formats)}): {result.summary()} [{time.perf_counter() - t0:.1f} s]")

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    proc, endpoint = start_server()
    try:
        client(endpoint).create_bucket(Bucket="bench")
        target = Target.parse("s3://bench/herald")

        def timed(verify: bool = False) -> tuple[float, str]:
            t = time.perf_counter()
            summary = publish(out, target, client(endpoint), verify=verify).summary()
            return time.perf_counter() - t, summary

        seconds, summary = timed()
        print(f"first     {seconds:7.2f} s  {summary}")
        noop, noop_cli, noop_verify = [], [], []
        for _ in range(args.rounds):
            seconds, summary = timed()
            noop.append(seconds)
            seconds, verified = timed(verify=True)
            noop_verify.append(seconds)
            t = time.perf_counter()
            run = subprocess.run(
                [str(BIN / "exporter"), "publish", "--to", str(target), "--out", str(out), "--endpoint-url", endpoint],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            noop_cli.append(time.perf_counter() - t)
        print(f"noop      {min(noop):7.2f} s  (median {statistics.median(noop):.2f} s)  {summary}")
        print(
            f"noop-cli  {min(noop_cli):7.2f} s  (median {statistics.median(noop_cli):.2f} s)  "
            f"{run.stdout.strip().splitlines()[-1]}"
        )
        print(f"noop-verify {min(noop_verify):5.2f} s  (median {statistics.median(noop_verify):.2f} s)  {verified}")
        article = sorted((content / issue_id(args.issues // 2)).glob("*.md"))[0]
        original = article.read_text("utf-8")
        article.write_text(original + "\n更正。\n", "utf-8")
        build(content, out, formats)
        seconds, summary = timed()
        print(f"changed   {seconds:7.2f} s  {summary}")
        article.write_text(original, "utf-8")
        build(content, out, formats)
        publish(out, target, client(endpoint))
        verdict = "met" if min(noop) <= 2.0 else "NOT met"
        print(f"no-change publish of {args.issues} issues: {min(noop):.2f} s (target <= 2 s: {verdict})")
    finally:
        proc.terminate()
        proc.wait()
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
