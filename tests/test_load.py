"""A bounded load test of the built-in server on loopback: 200 concurrent clients, mixed requests.

Zero errors are required; the request rate is printed (speed is a benchmark's business: bench/load.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import run_load
from exporter.publish import build
from tests.conftest import SAMPLE, copy_content


@pytest.mark.slow
def test_200_concurrent_clients_get_no_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    assert build(content, tmp_path / "out").ok
    result = run_load(tmp_path / "out", clients=200, seconds=3.0)
    with capsys.disabled():
        print(f"\nload: {result.requests} requests in {result.seconds:.1f} s = {result.rate:.0f} req/s, "
              f"{len(result.errors)} errors, statuses {result.by_status}")  # fmt: skip
    assert result.errors == []
    assert result.clients_done == 200
    assert result.requests >= 200, "every client got answers"
    assert {200, 206, 304, 404} <= set(result.by_status)
