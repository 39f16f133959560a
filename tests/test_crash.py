"""Crash safety: a build killed with SIGKILL at a random point never leaves a broken served tree.

For each seed, ``exporter build`` runs as a child process on an archive of generated issues and is
killed after a random delay, several times: once before any release exists, then while it replaces a
published edition (A) with one in which every issue changed (B). After every kill the output link must
resolve to a complete release, exactly the files its manifest lists with their sha256 and nothing else,
whose bytes are those of a clean build of A or of B (never a mix, never a partial tree). The next
uninterrupted build must then publish B byte-identical to a clean build in another folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from exporter.publish import build
from tests import archive as generated
from tests.conftest import tree_bytes

FORMATS = ("site", "null")
ISSUES = 20
SEEDS = (1, 2, 3, 4, 5)
KILLS = 3  # kills per seed while replacing edition A by edition B
EXPORTER = Path(sys.executable).parent / "exporter"


@pytest.fixture(scope="session")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    archive = generated
    base = tmp_path_factory.mktemp("crash")
    a = archive.generate(base / "a", ISSUES)
    b = archive.generate(base / "b", ISSUES, variant="（修订）")  # every issue differs from A
    found: dict[str, Any] = {"a": a, "b": b}
    for name, content in (("a", a), ("b", b)):
        done = subprocess.run(_command(content, base / f"clean-{name}"), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        found[f"clean_{name}"] = tree_bytes(base / f"clean-{name}")
    assert found["clean_a"] != found["clean_b"]
    return found


def _command(content: Path, out: Path) -> list[str]:
    formats = [arg for name in FORMATS for arg in ("--format", name)]
    return [str(EXPORTER), "build", "--content", str(content), "--out", str(out), "-q", *formats]


def _kill_build(content: Path, out: Path, rng: random.Random, files: int) -> int:
    """Start a build and SIGKILL it at a random point; its return code (-9 when it was killed).

    The point is drawn on the build's own progress, not on the clock (the machine is shared): during
    start-up (a random delay), after a random share of the ``files`` of the release has been rendered
    into the staging folder, or within 30 ms after the staging folder became the release (the finish:
    manifest, link swap, clean-up).
    """
    releases = out.parent / f".{out.name}.releases"
    stale = set(releases.glob(".staging-*")) if releases.exists() else set()
    mode = rng.choice(("start", "render", "render", "finish"))
    target = rng.uniform(0, files) if mode == "render" else float("inf")
    child = subprocess.Popen(
        _command(content, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    if mode == "start":
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=rng.uniform(0.05, 1.0))
    else:
        seen = False
        while child.poll() is None:
            staging = next((p for p in releases.glob(".staging-*") if p not in stale), None)
            if staging is not None:
                seen = True
                if sum(len(names) for _, _, names in os.walk(staging)) >= target:
                    break
            elif seen:  # renamed into the release: the build is finishing (manifest, link swap, clean-up)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=rng.uniform(0, 0.03))
                break
            time.sleep(0.002)
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    return child.wait(timeout=60)


def served(out: Path) -> dict[str, bytes] | None:
    """The served tree, after checking it is exactly the release its manifest describes."""
    if not os.path.lexists(out):
        return None
    assert out.is_symlink(), f"{out} is not a link"
    target = out.resolve()
    manifest = json.loads((out.parent / f".{out.name}.releases" / f"{target.name}.json").read_text("utf-8"))
    listed: dict[str, str] = manifest["files"]
    present: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(target):
        for name in files:
            path = Path(dirpath) / name
            assert path.is_file() and not path.is_symlink(), f"{path} is not a regular file"
            present[str(path.relative_to(target))] = hashlib.sha256(path.read_bytes()).hexdigest()
    assert present == listed, "the served release differs from its manifest"
    return tree_bytes(out)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_build_leaves_a_complete_release_and_the_next_run_repairs(
    seed: int, tmp_path: Path, editions: dict[str, Any]
) -> None:
    rng = random.Random(seed)
    out = tmp_path / "out"
    codes = []

    # Killed before the first release exists: nothing is served, or all of A.
    codes.append(_kill_build(editions["a"], out, rng, len(editions["clean_a"])))
    assert served(out) in (None, editions["clean_a"])
    assert build(editions["a"], out, FORMATS).ok
    assert served(out) == editions["clean_a"]

    # Killed while replacing A by B: all of A or all of B, whatever the moment.
    for _ in range(KILLS):
        codes.append(_kill_build(editions["b"], out, rng, len(editions["clean_b"])))
        assert served(out) in (editions["clean_a"], editions["clean_b"])
    assert -signal.SIGKILL in codes, f"no kill landed during a build: {codes}"

    # The next run repairs everything.
    result = build(editions["b"], out, FORMATS)
    assert result.ok, result.problems
    assert served(out) == editions["clean_b"]
    releases = tmp_path / ".out.releases"
    assert not list(releases.glob(".staging-*")), "a killed build's staging folder was not cleared"
    # The validated-issue cache survives the clean-up of old releases (it once did not).
    assert len(list((releases / "cache").glob("*.bin"))) == ISSUES
    again = build(editions["b"], out, FORMATS)
    assert not again.changed and not again.rendered
