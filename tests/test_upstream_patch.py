"""The WeasyPrint patch offered upstream (docs/upstream, issue #13; WeasyPrint issue #2893).

Cheap checks, no network and no WeasyPrint rebuild: the file is a well-formed ``git format-patch``
of one commit, touches the expected WeasyPrint files, every hunk counts its lines right, and its
pre-images are the WeasyPrint 70.0 installed here (the version exporter/justify.py is pinned to), on
which ``git apply --check`` accepts it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import weasyprint

from exporter import justify
from tests.conftest import ROOT

UPSTREAM = ROOT / "docs" / "upstream"
PATCH = UPSTREAM / "weasyprint-text-justify.patch"
SOURCES = {
    "weasyprint/css/properties.py",
    "weasyprint/css/validation/properties.py",
    "weasyprint/layout/inline.py",
    "weasyprint/text/line_break.py",
}
TESTS = {
    "tests/css/test_validation.py",
    "tests/draw/test_text.py",
    "tests/test_pdf.py",
    "tests/test_text.py",
}
FILES = SOURCES | TESTS | {"docs/api_reference.rst"}
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def text() -> str:
    return PATCH.read_text(encoding="utf-8")


def diffs() -> dict[str, list[str]]:
    """The patch's diff lines by file (from ``diff --git`` to the next one or the signature)."""
    body = text().split("\n---\n", 1)[1].rsplit("\n-- \n", 1)[0]
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in body.splitlines():
        if match := re.match(r"diff --git a/(\S+) b/(\S+)$", line):
            assert match.group(1) == match.group(2), line  # no renames
            current = found.setdefault(match.group(1), [])
        current.append(line)
    return found


def test_patch_is_one_format_patch_commit() -> None:
    lines = text().splitlines()
    assert re.fullmatch(r"From [0-9a-f]{40} Mon Sep 17 00:00:00 2001", lines[0]), lines[0]
    headers = "\n".join(lines[:8])
    assert re.search(r"^From: .+", headers, re.M)
    assert re.search(r"^Date: .+", headers, re.M)
    assert re.search(r"^Subject: \[PATCH\] Support text-justify", headers, re.M)
    assert text().count("\nFrom ") == 0  # a single commit
    assert "Fix #2893." in text()  # closes the upstream issue
    assert re.search(r"\n-- \n\d+\.\d+(\.\d+)?\n*$", text())  # git's signature


def test_patch_touches_the_expected_weasyprint_files() -> None:
    assert set(diffs()) == FILES
    stat = re.search(r"\n---\n(.*?)\n\n", text(), re.S)
    assert stat is not None
    assert {line.split("|")[0].strip() for line in stat.group(1).splitlines() if "|" in line} == FILES
    assert f" {len(FILES)} files changed" in stat.group(1)


def test_every_hunk_counts_its_lines() -> None:
    """What ``git apply`` checks first: each hunk holds as many old and new lines as it says, and
    the diffstat's totals are the diff's."""
    added = removed = 0
    for path, lines in diffs().items():
        assert any(line.startswith("@@ ") for line in lines), path
        index = 0
        while index < len(lines):
            match = HUNK.match(lines[index])
            index += 1
            if not match:
                continue
            old = int(match.group(2) or 1)
            new = int(match.group(4) or 1)
            while old > 0 or new > 0:
                line = lines[index]
                index += 1
                if line.startswith("\\"):  # "\ No newline at end of file"
                    continue
                kind = line[:1] or " "
                assert kind in " +-", (path, line)
                old -= kind in " -"
                new -= kind in " +"
                added += kind == "+"
                removed += kind == "-"
            assert (old, new) == (0, 0), path
    assert re.search(rf"{added} insertions\(\+\), {removed} deletions\(-\)", text())


def test_patch_adds_the_property_its_validation_and_its_use() -> None:
    found = diffs()
    added = {path: "\n".join(line for line in lines if line.startswith("+")) for path, lines in found.items()}
    assert "+    'text_justify': 'auto'," in added["weasyprint/css/properties.py"]
    validation = added["weasyprint/css/validation/properties.py"]
    assert "def text_justify(token):" in validation
    for keyword in ("auto", "none", "inter-word", "inter-character", "distribute"):
        assert f"'{keyword}'" in validation, keyword
    assert "line.style['text_justify']" in added["weasyprint/layout/inline.py"]
    assert "justification_range" in added["weasyprint/text/line_break.py"]
    for path in TESTS:  # every test file gains tests, none is only edited
        assert "+def test_" in added[path], path


def test_patch_applies_to_the_pinned_weasyprint(tmp_path: Path) -> None:
    """The pre-images are WeasyPrint 70.0's files as installed here, and ``git apply --check``
    accepts the source part of the patch on them (the tests are not installed with WeasyPrint)."""
    assert weasyprint.__version__ == justify.PINNED_VERSION == "70.0"
    installed = Path(weasyprint.__file__).parent
    for path in SOURCES:
        index = next(line for line in diffs()[path] if line.startswith("index "))
        before = index.split()[1].split("..")[0]
        blob = subprocess.run(
            ["git", "hash-object", str(installed / path.removeprefix("weasyprint/"))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert blob.startswith(before), (path, before, blob)
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(installed / path.removeprefix("weasyprint/"), target)
    result = subprocess.run(
        ["git", "apply", "--check", "--include=weasyprint/*", str(PATCH)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_readme_tells_what_it_is_and_its_status() -> None:
    readme = (UPSTREAM / "README.md").read_text(encoding="utf-8")
    assert "not yet sent: this machine has no network access to GitHub" in readme
    assert "https://github.com/Kozea/WeasyPrint/issues/2893" in readme
    assert "git am" in readme and PATCH.name in readme
    assert "text-spacing-trim" in readme  # why punctuation squeezing stays in exporter
