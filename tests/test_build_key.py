"""The build key covers the whole package and its templates (issue #15).

The key was the tools' versions plus a hand-kept list of modules, so editing ``fonts.py`` (the CJK
fallback chain) or ``fetch.py`` (remote images) left it unchanged and published issues kept the old
outputs. Here a private copy of the package is imported in a child process (``PYTHONPATH``, from a
folder outside the checkout), one module of it is changed, and the next build must have a new key and
render the issues again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exporter import cache
from exporter.publish import environment_key
from exporter.render import TEMPLATES_DIR, get
from tests.conftest import ROOT, SAMPLE, SEED_ID, copy_content

BUILD = """
import json, sys
from pathlib import Path
import exporter
from exporter.publish import Releases, build
assert Path(exporter.__file__).resolve().is_relative_to(Path(sys.argv[3]).resolve()), exporter.__file__
results = [build(Path(sys.argv[1]), Path(sys.argv[2]), ("site",)) for _ in range(int(sys.argv[4]))]
assert all(r.ok for r in results), [r.problems for r in results]
manifest = Releases(Path(sys.argv[2])).manifest() or {}
print(json.dumps({"rendered": [r.rendered for r in results], "env_key": manifest["env_key"]}))
"""


def build_with(package_parent: Path, content: Path, out: Path, times: int = 1) -> dict[str, object]:
    """Build ``content`` into ``out`` ``times`` times in a child process that imports the package found in
    ``package_parent`` (not the checkout); the issues each build rendered and the key of the last."""
    env = {**os.environ, "PYTHONPATH": str(package_parent), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(content), str(out), str(package_parent), str(times)],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.parametrize("module", ["fonts.py", "fetch.py", "cover.py"])
def test_changing_any_module_changes_the_key_and_renders_again(tmp_path: Path, module: str) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(ROOT / "exporter", package / "exporter", ignore=shutil.ignore_patterns("__pycache__"))
    content = copy_content(SAMPLE, tmp_path / "content")
    out = tmp_path / "out"

    before = build_with(package, content, out, times=2)
    first, again = before["rendered"]  # type: ignore[misc]
    assert SEED_ID in first
    assert again == [], "nothing changed: nothing is rendered again"

    source = package / "exporter" / module
    source.write_bytes(source.read_bytes() + b"\n# a changed line\n")
    after = build_with(package, content, out)

    assert after["env_key"] != before["env_key"], f"editing {module} must change the build key"
    assert after["rendered"] == [first], f"after editing {module} every issue is rendered again"


def test_the_key_covers_every_file_of_the_package() -> None:
    files = cache.package_files()
    assert {"fonts.py", "fetch.py", "cover.py", "render/site.py", "templates/site/site.css"} <= set(files)
    assert files == sorted(files)
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in files if f.startswith("/")], "relative names only"


def test_the_key_is_deterministic_and_ignores_times(tmp_path: Path) -> None:
    renderers = [get("site")]
    key = environment_key(("site",), TEMPLATES_DIR, renderers, {})
    templates = shutil.copytree(TEMPLATES_DIR, tmp_path / "templates")
    for path in templates.rglob("*"):
        os.utime(path, (0, 0))
    assert environment_key(("site",), templates, renderers, {}) == key, "same bytes, other place and times"
    (templates / "site" / "site.css").write_bytes((templates / "site" / "site.css").read_bytes() + b"\n")
    assert environment_key(("site",), templates, renderers, {}) != key, "the templates used are hashed"


def test_the_package_hash_follows_the_bytes_of_any_file(tmp_path: Path) -> None:
    package = shutil.copytree(ROOT / "exporter", tmp_path / "a" / "exporter")

    def digest(root: Path) -> str:
        h = hashlib.sha256()
        cache.hash_package(h, root)
        return h.hexdigest()

    other = shutil.copytree(package, tmp_path / "b" / "exporter")
    assert digest(package) == digest(other), "no absolute paths in the hash"
    (other / "fetch.py").write_bytes((other / "fetch.py").read_bytes() + b"#")
    assert digest(package) != digest(other)
    shutil.rmtree(other)
    other = shutil.copytree(package, tmp_path / "b" / "exporter")
    (other / "templates" / "feeds" / "feed.xsl").write_bytes(b"<changed/>")
    assert digest(package) != digest(other), "package data is hashed too"


@pytest.mark.parametrize("module", ["fonts.py", "fetch.py", "templates/site/site.css"])
def test_the_loader_cache_key_covers_the_whole_package(tmp_path: Path, module: str) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(ROOT / "exporter", package / "exporter", ignore=shutil.ignore_patterns("__pycache__"))
    script = "from exporter import load; print(load.__file__); print(load._loader_code_hash())"
    env = {**os.environ, "PYTHONPATH": str(package), "PYTHONDONTWRITEBYTECODE": "1"}

    def loader_key() -> str:
        run = subprocess.run([sys.executable, "-c", script], cwd=package, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        where, key = run.stdout.split()
        assert Path(where).is_relative_to(package), where
        return key

    before = loader_key()
    assert loader_key() == before
    (package / "exporter" / module).write_bytes((package / "exporter" / module).read_bytes() + b"\n")
    assert loader_key() != before, f"editing {module} must change the loader's cache key"
