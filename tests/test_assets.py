"""One safe reader for an issue's files, exporter.assets.read_inside (#15)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from exporter.assets import AssetError, read_inside
from tests.conftest import ROOT


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_bytes(b"SECRET")
    issue = tmp_path / "issue"
    (issue / "images").mkdir(parents=True)
    (issue / "images" / "a.png").write_bytes(b"\x89PNG data")
    return issue


def refusal(folder: Path, rel: str, limit: int = 100) -> AssetError:
    with pytest.raises(AssetError) as info:
        read_inside(folder, rel, limit)
    assert isinstance(info.value, ValueError)  # callers that catch ValueError keep working
    return info.value


def test_a_regular_file_inside_is_read(folder: Path) -> None:
    assert read_inside(folder, "images/a.png", 100) == b"\x89PNG data"
    os.symlink("a.png", folder / "images" / "same.png")  # a link that stays inside is followed
    assert read_inside(folder, "images/same.png", 100) == b"\x89PNG data"


def test_every_way_out_of_the_folder_is_refused(folder: Path) -> None:
    os.symlink("../../secret.txt", folder / "images" / "link.png")
    os.symlink(folder.parent, folder / "up")
    for rel in ("../secret.txt", "images/../../secret.txt", str(folder.parent / "secret.txt"), "images/link.png",
                "up/secret.txt", "/dev/urandom", "a\0b"):  # fmt: skip
        exc = refusal(folder, rel)
        assert exc.kind == "outside", rel
        assert "SECRET" not in str(exc)


def test_folders_fifos_missing_and_large_files_are_refused_without_blocking(folder: Path) -> None:
    os.mkfifo(folder / "pipe.png")  # opened non-blocking: no writer, no hang
    assert refusal(folder, "pipe.png").kind == "not-regular"
    assert refusal(folder, "images").kind == "not-regular"
    missing = refusal(folder, "images/none.png")
    assert missing.kind == "missing" and "cannot be opened" in str(missing)
    big = refusal(folder, "images/a.png", limit=4)
    assert big.kind == "too-large" and big.size == 9 and str(big) == "images/a.png is 9 bytes; the limit is 4"


def test_no_other_module_opens_an_issue_file_its_own_way() -> None:
    """The no-follow, bounded open lives in exporter.assets alone (fetch, loader, renderers call it)."""
    own_way = re.compile(r"O_NOFOLLOW|def (read|resolve)_inside")
    found = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "exporter").rglob("*.py"))
        if path.name != "assets.py" and own_way.search(path.read_text("utf-8"))
    ]
    assert found == []


def test_open_inside_checks_the_same_and_reads_in_pieces(folder: Path) -> None:
    from exporter.assets import open_inside

    with open_inside(folder, "images/a.png", 100) as handle:
        assert handle.read(4) == b"\x89PNG" and handle.read() == b" data"
    os.mkfifo(folder / "pipe")
    for rel, kind in (("../secret.txt", "outside"), ("pipe", "not-regular"), ("images", "not-regular")):
        with pytest.raises(AssetError) as info, open_inside(folder, rel, 100):
            pass
        assert info.value.kind == kind, rel
