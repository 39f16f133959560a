"""The command line, the docs that come from the model, and the import-cost promise."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.schema import KINDS, schema
from tests.conftest import CORPUS, ROOT, SAMPLE, tree_bytes


def test_validate_accepts_the_sample_and_the_corpus_fixture() -> None:
    for root in (SAMPLE, CORPUS):
        result = CliRunner().invoke(main, ["validate", "--content", str(root)])
        assert result.exit_code == 0, result.output
        assert "0 invalid" in result.output


def test_validate_of_a_missing_folder_names_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--content", str(tmp_path / "nope")])
    assert result.exit_code == 3 and "nope: content folder does not exist" in result.output


def test_build_prints_a_one_line_summary(tmp_path: Path, content: Path) -> None:
    args = ["build", "--content", str(content), "--out", str(tmp_path / "out"), "--format", "site"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert re.fullmatch(
        r"published release [0-9a-f]{16}; 2 rendered; 0 reused; .* in [\d.]+s \(site=[\d.]+s\)\n", first.stdout
    )
    second = CliRunner().invoke(main, args)
    assert second.stdout.startswith("unchanged release") and "0 files written" in second.stdout
    assert second.stderr == ""  # nothing rendered: no progress


def test_build_progress_is_one_line_per_issue_with_an_eta_and_quiet_with_q(tmp_path: Path, content: Path) -> None:
    """Not on a terminal (CliRunner): one line per issue rendered, "done d/total issues (<id> …), ETA m:ss",
    in the order they end; -q prints none of them. The output files do not depend on it."""
    args = ["build", "--content", str(content), "--format", "site", "--format", "epub", "--jobs", "2"]
    loud = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "loud")])
    assert loud.exit_code == 0, loud.output
    lines = loud.stderr.splitlines()
    assert len(lines) == 2, loud.stderr
    for n, line in enumerate(lines, 1):
        assert re.fullmatch(rf"done {n}/2 issues \((2026-03-30|2026-03-23) rendered\), ETA \d+:\d\d", line), line
    assert {line.split("(")[1].split()[0] for line in lines} == {"2026-03-30", "2026-03-23"}
    assert lines[-1].endswith("ETA 0:00")  # nothing left
    quiet = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "quiet"), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr
    assert tree_bytes(tmp_path / "loud") == tree_bytes(tmp_path / "quiet")


def test_new_starts_the_next_issue(content: Path) -> None:
    result = CliRunner().invoke(main, ["new", "--content", str(content), "--date", "2026-04-06"])
    assert result.exit_code == 0, result.output
    assert "第12期, 总第2664期" in result.output
    check = CliRunner().invoke(main, ["validate", "--content", str(content)])
    assert check.exit_code == 0, check.output
    assert "3 valid issue(s): 2026-03-23, 2026-03-30, 2026-04-06 (draft); 0 invalid" in check.output


def test_new_writes_a_draft_that_validate_names(content: Path) -> None:
    result = CliRunner().invoke(main, ["new", "--content", str(content), "--date", "2026-04-06"])
    assert result.exit_code == 0, result.output
    assert "as a draft" in result.output
    assert "\ndraft: true\n" in (content / "2026-04-06" / "issue.yaml").read_text("utf-8")
    check = CliRunner().invoke(main, ["validate", "--content", str(content)])
    assert check.exit_code == 0, check.output
    assert "2026-04-06/issue.yaml: draft: the issue is a draft and is not published" in check.output


def test_new_numbers_after_every_issue_folder_even_a_broken_one(content: Path) -> None:
    """A broken issue (kept at its last good version, or about to be fixed) holds its number: `new`
    counted from the last *valid* issue and two issues were published as 总第2664期."""
    broken = content / "2026-04-06"
    shutil.copytree(content / "2026-03-30", broken)
    text = (broken / "issue.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^date: .*$", "date: 2026-04-06", text)
    text = re.sub(r"(?m)^number: .*$", "number: 12", text)
    text = re.sub(r"(?m)^total_number: .*$", "total_number: 2664", text)
    (broken / "issue.yaml").write_text(text + "unknown_key: 1\n", "utf-8")  # invalid, numbers readable
    result = CliRunner().invoke(main, ["new", "--content", str(content), "--date", "2026-04-13"])
    assert result.exit_code == 0, result.output
    assert "第13期, 总第2665期" in result.output
    written = (content / "2026-04-13" / "issue.yaml").read_text("utf-8")
    assert "\nnumber: 13\n" in written and "\ntotal_number: 2665\n" in written


def test_committed_json_schemas_are_generated_from_the_model() -> None:
    for kind in KINDS:
        committed = json.loads((ROOT / "docs" / "schema" / f"{kind}.schema.json").read_text("utf-8"))
        assert committed == schema(kind), f"docs/schema/{kind}.schema.json is stale: run `make schema`"


def test_schemas_accept_the_sample_files() -> None:
    import jsonschema
    import yaml

    from exporter.load import split_front_matter

    jsonschema.validate(yaml.safe_load((SAMPLE / "publication.yaml").read_text("utf-8")), schema("publication"))
    for issue in sorted(p for p in SAMPLE.iterdir() if p.is_dir()):
        jsonschema.validate(yaml.safe_load((issue / "issue.yaml").read_text("utf-8")), schema("issue"))
        for md in issue.glob("*.md"):
            meta, _, _ = split_front_matter(md.read_text("utf-8"), md.name)
            jsonschema.validate(json.loads(json.dumps(meta, default=str)), schema("article"))


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in main.commands:
        assert f"exporter {name}" in readme, f"README does not show `exporter {name}`"
    assert "make run" in readme and "make test" in readme


def test_help_and_validate_do_not_import_the_heavy_engines() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom exporter.cli import main\n"
        f"CliRunner().invoke(main, ['--help']); CliRunner().invoke(main, ['validate', '--content', {str(SAMPLE)!r}])\n"
        "print(sorted(m for m in ('weasyprint', 'ebooklib', 'feedgen', 'apscheduler') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class FailingRenderer:
    name = "failing"

    def render(self, job: object) -> list[Path]:
        from exporter.errors import RenderError

        if getattr(job, "issue", None) is not None:
            raise RenderError("the font is missing")
        return []


def test_a_renderer_failure_exits_4_and_names_the_issue(
    tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exporter import render

    monkeypatch.setitem(render.REGISTRY, "failing", f"{__name__}:FailingRenderer")
    args = ["build", "--content", str(content), "--out", str(tmp_path / "out"), "--format", "failing"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 4, result.output
    assert "2026-03-30/: failing: the font is missing [E401]" in result.output
