"""A fresh machine installs what the suite last passed with (issue #11, item 11).

`make test` must not turn red on a new machine because ruff, mypy, pytest or a library released a new
version overnight (pytest turns every warning into an error). So: dev tools pinned exactly, runtime
libraries capped below their next major, every installed distribution pinned in constraints.txt (the
lock the Makefile installs with), and the validators' system packages installed by `make test` only.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
TEST_ONLY_PACKAGES = ("poppler-utils", "qpdf", "default-jre-headless")


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
    for package in ("fonts-noto-cjk", "libharfbuzz-subset0"):
        assert package in run and package in test, package
