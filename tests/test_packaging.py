"""A fresh machine installs what the suite last passed with (issue #11, item 11).

`make test` must not turn red on a new machine because ruff, mypy, pytest or a library released a new
version overnight (pytest turns every warning into an error). So: dev tools pinned exactly, runtime
libraries capped below their next major, every installed distribution pinned in constraints.txt (the
lock the Makefile installs with), and the validators' system packages installed by `make test` only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from exporter.publish import build
from tests.conftest import ROOT, SAMPLE, SEED_ID, copy_content, tree_bytes

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
TEST_ONLY_PACKAGES = ("poppler-utils", "default-jre-headless", "chromium")


def lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_dev_tools_are_pinned_exactly() -> None:
    for spec in PYPROJECT["project"]["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        assert [s.operator for s in req.specifier] == ["=="], f"dev tool not pinned exactly: {spec}"


def test_runtime_dependencies_have_an_upper_bound() -> None:
    for spec in PYPROJECT["project"]["dependencies"]:
        req = Requirement(spec)
        operators = {s.operator for s in req.specifier}
        assert operators & {"<", "==", "~="}, f"runtime dependency without an upper bound: {spec}"


def test_the_lock_pins_every_installed_distribution_at_its_installed_version() -> None:
    pins = lock()
    installed = {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in metadata.distributions()
        if canonicalize_name(d.metadata["Name"]) not in ("exporter", "setuptools", "wheel")
    }
    missing = sorted(set(installed) - set(pins))
    assert not missing, f"installed but not in constraints.txt (run make lock): {missing}"
    differ = {n: (installed[n], pins[n]) for n in installed if installed[n] != pins[n]}
    assert not differ, f"installed version differs from constraints.txt: {differ}"


def test_the_lock_satisfies_pyproject() -> None:
    pins = lock()
    specs = [*PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"]["dev"]]
    for spec in specs:
        req = Requirement(spec)
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = pins.get(canonicalize_name(req.name))
        assert version is not None, f"{req.name} is not in constraints.txt"
        assert req.specifier.contains(version, prereleases=True), f"constraints.txt {req.name}=={version} breaks {spec}"


def dry_run(target: str) -> str:
    result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_installs_with_the_lock() -> None:
    assert re.search(r"pip install .*-c constraints\.txt .*-e '\.\[dev\]'", (ROOT / "Makefile").read_text("utf-8"))


def test_validators_are_installed_for_test_only() -> None:
    run, test = dry_run("run"), dry_run("test")
    for package in TEST_ONLY_PACKAGES:
        assert package in test, f"make test does not install {package}"
        assert package not in run, f"make run installs the test-only package {package}"
    for package in ("fonts-noto-cjk", "libharfbuzz-subset0", "qpdf"):
        assert package in run and package in test, package


# -- a built wheel renders (issue #15) ------------------------------------------------------------------


def test_the_top_level_templates_folder_links_into_the_package() -> None:
    link = ROOT / "templates"
    assert link.is_symlink(), "templates/ is a link to exporter/templates/ (the files ship in the package)"
    assert os.readlink(link) == "exporter/templates", "a relative link, valid in any checkout"
    assert link.resolve() == (ROOT / "exporter" / "templates").resolve()
    if (ROOT / ".git").exists():
        staged = subprocess.run(["git", "ls-files", "-s", "templates"], cwd=ROOT, capture_output=True, text=True)
        assert staged.stdout.startswith("120000 "), f"git must store templates as a symlink: {staged.stdout!r}"


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_renders_every_format(tmp_path: Path) -> None:
    # The wheel, built from a copy of what setuptools reads (pip builds in the source folder).
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "exporter", source / "exporter", ignore=shutil.ignore_patterns("__pycache__"))
    os.symlink("exporter/templates", source / "templates")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    def run(*cmd: str | Path, cwd: Path = tmp_path) -> str:
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
        return done.stdout

    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source)
    (wheel,) = dist.glob("exporter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    templates = ROOT / "exporter" / "templates"
    shipped = {f"exporter/templates/{p.relative_to(templates).as_posix()}" for p in templates.rglob("*") if p.is_file()}
    assert shipped and shipped <= names, f"the wheel lacks templates: {sorted(shipped - names)}"
    assert not [n for n in names if n.startswith("templates/")], "templates ship inside the package only"

    # A fresh venv that gets the wheel, and the libraries it depends on from our venv's site-packages (a
    # path line in a .pth file: our editable install's own .pth is not run, so the checkout is not importable).
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz-dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)), "utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)

    elsewhere = tmp_path / "elsewhere"  # a working folder outside the checkout
    elsewhere.mkdir()
    where = run(python, "-c", "import exporter.render as r; print(r.__file__); print(r.TEMPLATES_DIR)", cwd=elsewhere)
    module, templates_dir = (Path(line) for line in where.split())
    assert module.is_relative_to(site), f"imported {module}, not the wheel installed in {site}"
    assert templates_dir.is_relative_to(site) and (templates_dir / "site" / "site.css").is_file()

    content = copy_content(SAMPLE, elsewhere / "content")
    run(venv / "bin" / "exporter", "build", "--content", content, "--out", elsewhere / "out", "-q", cwd=elsewhere)
    out = (elsewhere / "out").resolve()
    issue = out / "issues" / SEED_ID
    for rel in (f"{SEED_ID}.pdf", f"{SEED_ID}.epub", "index.html", "cover.png"):
        assert (issue / rel).stat().st_size > 0, rel
    assert (issue / f"{SEED_ID}.pdf").read_bytes().startswith(b"%PDF-")
    assert zipfile.ZipFile(issue / f"{SEED_ID}.epub").read("mimetype") == b"application/epub+zip"
    for rel in ("assets/site.css", "feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json", "feeds/feed.xsl",
                "opds/catalog.xml", "opds/issues.xml"):  # fmt: skip
        assert (out / rel).stat().st_size > 0, rel
    assert (out / "assets" / "site.css").read_bytes() == (templates / "site" / "site.css").read_bytes()
    # and the same bytes as the checkout gives
    assert build(copy_content(SAMPLE, tmp_path / "content"), tmp_path / "out").ok
    assert tree_bytes(out) == tree_bytes(tmp_path / "out")
