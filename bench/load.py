"""Load on the built-in server: many concurrent clients on loopback, mixed requests, bounded in time.

Run:  .venv/bin/python bench/load.py [--clients 200] [--seconds 5] [--out OUT]

Starts ``exporter serve`` as its own process over an output folder (by default it builds the sample
content into a temporary one, all formats), then runs ``--clients`` concurrent HTTP/1.1 clients for
``--seconds`` against it, each looping over a mix of plain GETs, conditional GETs (If-None-Match →
304), byte ranges of the PDF (206) and HEADs of the EPUB. Every answer is checked: a status or body
length that is not the expected one counts as an error, as does any connection failure. Prints the
request rate, the error count and latency percentiles. Only addresses on 127.0.0.1 are contacted.
``tests/test_load.py`` runs the same function for a few seconds and requires zero errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.loadgen import run_load  # noqa: E402  (the load the tests run too)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, help="an output folder to serve (default: build the sample)")
    args = parser.parse_args()
    out = args.out
    if out is None:
        from exporter.publish import build

        out = Path(tempfile.mkdtemp()) / "out"
        build(ROOT / "content", out)
    result = run_load(out, args.clients, args.seconds)
    print(f"clients: {args.clients} for {result.seconds:.1f} s on 127.0.0.1 (server: exporter serve, uvicorn)")
    print(f"requests: {result.requests}  rate: {result.rate:.0f} req/s  errors: {len(result.errors)}")
    print(f"statuses: {dict(sorted(result.by_status.items()))}")
    print(
        f"latency: p50 {result.percentile(0.5) * 1000:.0f} ms  p95 {result.percentile(0.95) * 1000:.0f} ms  "
        f"p99 {result.percentile(0.99) * 1000:.0f} ms  (cores: {os.cpu_count()}, client and server share them)"
    )
    for line in result.errors[:10]:
        print("  error:", line)


if __name__ == "__main__":
    main()
