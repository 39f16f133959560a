"""A bounded load test of the built-in server on loopback: 200 concurrent clients, mixed requests.

Zero errors are required; the request rate is printed (speed is the benchmark's business).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.publish import build
from tests.conftest import SAMPLE, copy_content
from tests.loadgen import run_load


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


def test_image_url_path_percent_encodes_the_file_name_once() -> None:
    from exporter.model import Image

    def url(name: str) -> str:
        return Image(file=name, alt="图").url_path

    assert url("images/photo.png") == "images/photo.png"
    assert url("images/photo#1.png") == "images/photo%231.png"
    assert url("images/photo?v=2.png") == "images/photo%3Fv%3D2.png"
    assert url("images/100%.png") == "images/100%25.png"
    assert url("images/100%25.png") == "images/100%2525.png"
    assert url("images/照片 一.png") == "images/%E7%85%A7%E7%89%87%20%E4%B8%80.png"


@pytest.mark.parametrize("name", ["images/.photo.png", ".images/photo.png", ".photo.png"])
def test_a_hidden_image_name_is_refused(name: str) -> None:
    from pydantic import ValidationError

    from exporter.model import Image

    with pytest.raises(ValidationError, match="hidden name"):
        Image(file=name, alt="图")
