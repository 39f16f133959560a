"""``exporter build --jobs N``: every issue rendered in a fresh child process, N at a time (exporter.jobs).

- the same release, byte for byte, with --jobs 1, --jobs 2 and every issue in the build process;
- the build process never imports WeasyPrint; each issue has a child of its own, and memory stays
  bounded over a 20-issue build (children do not grow from one issue to the next, nor does the parent);
- an issue that fails (bad input, a render error in its child) is reported, naming file and field, and
  the others are published;
- an abandoned build (the service stopping) leaves no render process behind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exporter import jobs
from exporter.publish import build
from tests import archive as generated
from tests.conftest import ROOT, tree_bytes

ISSUES = 4
NOWHERE = "\U000f0000"  # no installed font has it (private use, plane 15): the PDF render fails on it


@pytest.fixture(scope="module")
def archive_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated.generate(tmp_path_factory.mktemp("jobs") / "content", ISSUES)


def test_jobs_2_publishes_the_bytes_of_jobs_1_and_of_an_in_process_build(tmp_path: Path, archive_content: Path) -> None:
    ids = sorted(generated.issue_id(i) for i in range(ISSUES))
    trees = {}
    for name, options in (("jobs1", {"jobs": 1}), ("jobs2", {"jobs": 2}), ("here", {"pdf_isolate": False})):
        result = build(archive_content, tmp_path / name, options=options)
        assert result.ok, result.problems
        assert result.rendered == sorted(ids, reverse=True)  # in plan order (newest first), however they ended
        trees[name] = tree_bytes(tmp_path / name)
        if name == "here":
            assert result.children == {}
        else:  # a child of its own for every issue, never the build process
            pids = {pid for pid, _ in result.children.values()}
            assert sorted(result.children) == ids and len(pids) == ISSUES and os.getpid() not in pids
    assert any(path.endswith(".pdf") for path in trees["jobs2"]) and any(p.endswith(".epub") for p in trees["jobs2"])
    assert trees["jobs1"] == trees["jobs2"]
    assert trees["jobs2"] == trees["here"]


def test_workers_is_the_old_name_of_jobs() -> None:
    assert jobs.jobs_option({"workers": 3}) == 3
    assert jobs.jobs_option({"jobs": 2, "workers": 3}) == 2
    assert jobs.jobs_option({}) == len(os.sched_getaffinity(0))


MEMORY_SCRIPT = """
import json, os, sys
from pathlib import Path

from exporter.publish import DONE, build
from tests import archive

def status(key):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key))

content = archive.generate(Path(sys.argv[1]) / "content", int(sys.argv[2]))
rss = []
def progress(message):
    if message.startswith(DONE):
        rss.append(status("VmRSS:"))
result = build(content, Path(sys.argv[1]) / "out", ("pdf", "epub", "site", "feeds", "opds"),
               options={"jobs": 2}, progress=progress)
print(json.dumps({"ok": result.ok, "rendered": result.rendered, "children": result.children, "rss": rss,
                  "peak": status("VmHWM:"), "pid": os.getpid(), "weasyprint": "weasyprint" in sys.modules,
                  "ebooklib": "ebooklib" in sys.modules}))
"""


def test_a_20_issue_build_with_2_jobs_keeps_weasyprint_out_of_the_build_process_and_memory_bounded(
    tmp_path: Path,
) -> None:
    """Run as a separate process, so its memory is the build's alone."""
    count = 20
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path), str(count)],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["ok"] and len(found["rendered"]) == count
    # WeasyPrint (and ebooklib) were never imported by the build process: not before any fork, nor after.
    assert not found["weasyprint"] and not found["ebooklib"]
    children = [found["children"][i] for i in sorted(found["children"])]  # oldest issue first
    pids = {pid for pid, _ in children}
    assert len(pids) == count and found["pid"] not in pids, "every issue has a fresh child"
    peaks = [peak for _, peak in children]  # KiB
    print(f"child peaks (MiB): {[p // 1024 for p in peaks]}; build process: peak {found['peak'] // 1024} MiB, "
          f"RSS after each issue {[r // 1024 for r in found['rss']]}")  # fmt: skip
    # Bounded: no child grows from one issue to the next (each starts from the fork server's clean state)…
    assert max(peaks) < 700 * 1024
    assert max(peaks[count // 2 :]) <= max(peaks[: count // 2]) * 1.1 + 10 * 1024
    # …and the build process holds no render: below any child, and flat while the issues render.
    assert found["peak"] < min(peaks)
    assert found["rss"][-1] - found["rss"][1] < 20 * 1024


def test_a_failing_issue_among_good_ones_is_reported_and_the_others_publish(tmp_path: Path) -> None:
    content = generated.generate(tmp_path / "content", 4)
    broken = generated.issue_id(1)  # fails as it renders (its PDF), in its render process
    article = sorted((content / broken).glob("*.md"))[0]
    article.write_text(article.read_text("utf-8").replace("（存档第", f"私用区{NOWHERE}（存档第"), "utf-8")
    invalid = generated.issue_id(2)  # refused when loaded
    meta = content / invalid / "issue.yaml"
    meta.write_text(meta.read_text("utf-8").replace("total_number: 2402", "total_number: -1"), "utf-8")
    good = [generated.issue_id(0), generated.issue_id(3)]

    trees = {}
    for n in (2, 1):
        result = build(content, tmp_path / f"out{n}", options={"jobs": n})
        assert sorted(result.problems) == sorted([broken, invalid])
        (render_problem,) = result.problems[broken]
        assert (render_problem.file, render_problem.field, render_problem.code) == (f"{broken}/", "pdf", "E401")
        assert f"{article.stem}: no glyph" in render_problem.message and "U+F0000" in render_problem.message
        (load_problem,) = result.problems[invalid]
        assert (load_problem.file, load_problem.field) == (f"{invalid}/issue.yaml", "total_number")
        assert sorted(result.rendered) == good
        out = tmp_path / f"out{n}"
        for issue_id in good:
            assert (out / "issues" / issue_id / f"{issue_id}.pdf").is_file()
        assert not (out / "issues" / broken).exists() and not (out / "issues" / invalid).exists()
        trees[n] = tree_bytes(out)
    assert trees[1] == trees[2]


class Stop(Exception):
    """What the service raises from the progress callback when it stops (see exporter.service)."""


def test_an_abandoned_build_leaves_no_render_process(
    tmp_path: Path, archive_content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[jobs._Child] = []
    real = jobs.Pool.start

    def start(self: jobs.Pool, task: jobs.Task) -> None:
        real(self, task)
        started.append(self.running[task.issue.id])

    def progress(message: str) -> None:
        if started and message.startswith("["):  # a second issue starts while the first renders
            raise Stop

    monkeypatch.setattr(jobs.Pool, "start", start)
    with pytest.raises(Stop):
        build(archive_content, tmp_path / "out", options={"jobs": 2}, progress=progress)
    assert started
    for child in started:
        assert child.process.exitcode is not None, "a render process was left running"
        with pytest.raises(ProcessLookupError):
            os.kill(child.process.pid, 0)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.releases/.staging-*"))


def test_on_a_terminal_progress_is_one_line_rewritten_in_place(tmp_path: Path) -> None:
    """stderr a terminal: each message replaces the last (carriage return, erase line), the issues done
    with an ETA among them, and the line is cleared before the summary."""
    import pty

    content = generated.generate(tmp_path / "content", 3)
    main, secondary = pty.openpty()
    exporter = Path(sys.executable).with_name("exporter")
    cmd = [str(exporter), "build", "--content", str(content), "--out", str(tmp_path / "out"), "--format", "site"]
    with subprocess.Popen([*cmd, "--jobs", "2"], stderr=secondary, stdout=subprocess.PIPE) as child:
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        assert child.wait(timeout=120) == 0
        assert child.stdout is not None and child.stdout.read().startswith(b"published release")
    os.close(main)
    text = shown.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "a terminal gets no new lines, only rewrites"
    frames = [frame for frame in text.split("\r\x1b[K") if frame]
    assert [f for f in frames if f.startswith("done ")] == [
        f for f in frames if re.fullmatch(r"done [123]/3 issues \(\S+ rendered\), ETA \d+:\d\d", f)
    ]
    assert [f.split()[1] for f in frames if f.startswith("done ")] == ["1/3", "2/3", "3/3"]
    assert text.endswith("\r\x1b[K")  # cleared before the summary (on stdout)


def test_schedule_and_run_take_jobs_too() -> None:
    for cmd in (
        [sys.executable, str(ROOT / "schedule.py"), "--help"],
        [sys.executable, "-m", "exporter.cli", "run", "--help"],
    ):
        shown = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert shown.returncode == 0 and "--jobs" in shown.stdout, shown.stdout + shown.stderr
