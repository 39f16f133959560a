"""``--option KEY=VALUE``: every documented build option can be set from the command line (#11 item 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.options import ALIASES, OPTIONS, OptionError, parse_options
from tests.conftest import ROOT, tree_bytes

TEXT_SUFFIXES = (".html", ".xml", ".json", ".txt", ".opf", ".xhtml")


def _build(content: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--content", str(content), "--out", str(out), *extra])
    return result.exit_code, result.output


def test_base_url_option_replaces_the_publication_url_in_every_text_output(tmp_path: Path, content: Path) -> None:
    assert "http://127.0.0.1:8000/" in (content / "publication.yaml").read_text("utf-8")
    out = tmp_path / "out"
    code, output = _build(content, out, "--format", "site", "--format", "feeds", "--format", "opds",
                          "--option", "base_url=http://127.0.0.1:8731")  # fmt: skip
    assert code == 0, output
    texts = {rel: data.decode("utf-8") for rel, data in tree_bytes(out).items() if rel.endswith(TEXT_SUFFIXES)}
    assert any("http://127.0.0.1:8731/" in text for text in texts.values())
    stale = sorted(rel for rel, text in texts.items() if ":8000" in text)
    assert stale == [], f"still pointing at port 8000: {stale}"
    # the option is part of the build key: building without it renders the 8000 URLs again
    code, output = _build(content, out, "--format", "site", "--format", "feeds", "--format", "opds")
    assert code == 0, output
    feed = (out / "feeds" / "rss.xml").read_text("utf-8")
    assert "http://127.0.0.1:8000/" in feed and ":8731" not in feed


def test_base_url_option_reaches_the_epub_and_pdf(tmp_path: Path, content: Path) -> None:
    import zipfile

    out = tmp_path / "out"
    code, output = _build(content, out, "--format", "epub", "--format", "pdf",
                          "--option", "base_url=https://paper.example.cn/herald/")  # fmt: skip
    assert code == 0, output
    for epub in out.glob("issues/*/*.epub"):
        with zipfile.ZipFile(epub) as book:
            stale = [n for n in book.namelist() if b"127.0.0.1:8000" in book.read(n)]
        assert stale == [], f"{epub.name}: {stale}"
    pdftotext = subprocess.run(["pdftotext", str(next(out.glob("issues/*/*.pdf"))), "-"],
                               capture_output=True, text=True, check=True)  # fmt: skip
    assert "127.0.0.1:8000" not in pdftotext.stdout


def test_pdf_timeout_option_reaches_the_renderer(tmp_path: Path, content: Path) -> None:
    code, output = _build(content, tmp_path / "out", "--format", "pdf", "--option", "pdf_timeout=0.01")
    assert code == 4, output
    assert output.count("render did not finish within 0.01 s (pdf_timeout)") == 2, output


@pytest.mark.parametrize(
    ("pair", "needle"),
    [
        ("pdf_timout=30", "'pdf_timout' is not an option; known: base_url, pdf_timeout"),
        ("pdf_timeout", "write KEY=VALUE"),
        ("pdf_timeout=soon", "pdf_timeout=soon"),
        ("pdf_timeout=nan", "above 0"),
        ("pdf_timeout=-1", "above 0"),
        ("workers=0", "from 1 to 256"),
        ("jobs=0", "from 1 to 256"),
        ("epub_font=/nonexistent/font.ttc", "/nonexistent/font.ttc is not a file"),
        ("base_url=ftp://example.org/", "absolute http(s) URL"),
        ("pdf_isolate=perhaps", "true or false"),
        ("job_retries=11", "from 0 to 10"),
        ("job_timeout=0", "above 0"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_it(tmp_path: Path, content: Path, pair: str, needle: str) -> None:
    code, output = _build(content, tmp_path / "out", "--option", pair)
    assert code == 2, output
    assert "--option" in output and needle in output, output
    assert not (tmp_path / "out").exists()  # nothing was built


def test_parse_options_types_every_known_option() -> None:
    font = next(Path("/usr/share/fonts").rglob("NotoSerifCJK-Regular.ttc"))
    parsed = parse_options([
        "base_url=http://h:1", "pdf_timeout=600", "pdf_isolate=false", "jobs=2",
        f"epub_font={font}", "epub_font_index=2", "replica=off", "job_timeout=900", "job_retries=0",
    ])  # fmt: skip
    assert parsed == {"base_url": "http://h:1/", "pdf_timeout": 600.0, "pdf_isolate": False, "jobs": 2,
                      "epub_font": str(font.resolve()), "epub_font_index": 2, "replica": False,
                      "job_timeout": 900.0, "job_retries": 0}  # fmt: skip
    assert set(parsed) | set(ALIASES) == set(OPTIONS)
    # workers is the old name of jobs: it sets jobs (one concept), and the later of the two wins
    assert parse_options(["workers=3"]) == {"jobs": 3}
    assert parse_options(["jobs=2", "workers=3"]) == {"jobs": 3}
    with pytest.raises(OptionError):
        parse_options(["=1"])


def test_schedule_py_and_run_take_options() -> None:
    for argv in ([sys.executable, "schedule.py", "--help"], [sys.executable, "-m", "exporter.cli", "run", "--help"]):
        shown = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        assert "--option KEY=VALUE" in shown and "pdf_timeout" in shown and "base_url" in shown
    refused = subprocess.run([sys.executable, "schedule.py", "--option", "nope=1", "--content", "content"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2 and "'nope' is not an option" in refused.stderr


def test_make_run_derives_base_url_from_host_and_port() -> None:
    dry = subprocess.run(["make", "-n", "run", "PORT=8731"], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = [line for line in dry.stdout.splitlines() if "schedule.py" in line or "exporter build" in line]
    assert lines and all("--option base_url=http://127.0.0.1:8731/" in line for line in lines), dry.stdout
    custom = subprocess.run(["make", "-n", "run", "BASE_URL=https://paper.example.cn/"], cwd=ROOT,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert "--option base_url=https://paper.example.cn/" in custom.stdout
