"""The print-style PDF (WeasyPrint), checked with poppler and qpdf on real renders.

The sample content (seed issue 2026-03-30 and sample issue 2026-03-23) and the corpus fixture issue
(2026-06-12: 29 articles on 6 pages) are built once per session through the real pipeline; most tests
read those files. The renderer fails the build on any WeasyPrint warning, so a successful build is
also the proof that none was logged.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CORPUS, CORPUS_ID, SAMPLE, SEED_ID, copy_content

from exporter import fonts
from exporter.errors import RenderError
from exporter.load import load_content
from exporter.model import Issue
from exporter.publish import BuildResult, build
from exporter.render import Job
from exporter.render.pdf import PdfRenderer, capture_weasyprint_logs, render_pdf

pytestmark = pytest.mark.slow

SAMPLE_ID = "2026-03-23"
FACES = {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
# The content area of an A3 page in PDF points (page 842×1191; margins 20 mm top, 16 mm bottom).
CONTENT_AREA = ("-x", "0", "-y", "58", "-W", "842", "-H", "1086")
TINY = '<html lang="zh-CN"><body style="font-family: \'Noto Serif CJK SC\'">{}</body></html>'


class Built:
    """One content folder built with the PDF format, plus its loaded issues."""

    def __init__(self, out: Path, result: BuildResult, issues: dict[str, Issue]) -> None:
        self.out, self.result, self.issues = out, result, issues

    def pdf(self, issue_id: str) -> Path:
        return self.out / self.issues[issue_id].pdf_path


def _build(src: Path, out: Path) -> Built:
    result = build(src, out, ("pdf",), now=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    issues = {i.id: i for i in load_content(src).issues}
    return Built(out, result, issues)


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(SAMPLE, tmp_path_factory.mktemp("pdf-sample") / "out")


@pytest.fixture(scope="session")
def corpus_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(CORPUS, tmp_path_factory.mktemp("pdf-corpus") / "out")


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True, timeout=120).stdout


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def outline(pdf: Path) -> list[dict[str, object]]:
    data = json.loads(run("qpdf", "--json", "--json-key=outlines", pdf))
    return data["outlines"]  # type: ignore[no-any-return]


def catalog(pdf: Path) -> str:
    trailer = run("qpdf", "--show-object=trailer", pdf)
    root = re.search(r"/Root (\d+) 0 R", trailer)
    assert root, trailer
    return run("qpdf", f"--show-object={root.group(1)}", pdf)


# -- the builds ------------------------------------------------------------------------------------


def test_builds_render_every_issue_without_warnings(sample: Built, corpus_built: Built) -> None:
    # Any WeasyPrint WARNING/ERROR (missing glyph, unreadable image, bad CSS, the fontTools subsetting
    # fallback) is a RenderError, which the pipeline records as an E401 problem: there must be none.
    assert sample.result.problems == {}
    assert corpus_built.result.problems == {}
    assert sorted(sample.result.rendered) == [SAMPLE_ID, SEED_ID]
    assert corpus_built.result.rendered == [CORPUS_ID]
    for built, ids in ((sample, (SEED_ID, SAMPLE_ID)), (corpus_built, (CORPUS_ID,))):
        for issue_id in ids:
            assert built.pdf(issue_id).read_bytes().startswith(b"%PDF-1.7")


def test_every_font_is_an_embedded_subset_cjk_face_with_tounicode(sample: Built, corpus_built: Built) -> None:
    for pdf in (sample.pdf(SEED_ID), sample.pdf(SAMPLE_ID), corpus_built.pdf(CORPUS_ID)):
        rows = run("pdffonts", pdf).splitlines()[2:]
        assert rows, f"{pdf}: no fonts"
        names = set()
        for row in rows:
            name, *_, emb, sub, uni, _obj, _gen = row.split()
            assert (emb, sub, uni) == ("yes", "yes", "yes"), row
            prefix, _, face = name.partition("+")
            assert re.fullmatch(r"[A-Z]{6}", prefix), row
            names.add(face)
        assert names <= FACES, f"{pdf}: unexpected faces {names - FACES}"
        assert {"Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC-Bold"} <= names


def test_seed_text_comes_back(sample: Built) -> None:
    pdf = sample.pdf(SEED_ID)
    text = squeeze(run("pdftotext", "-raw", pdf, "-"))
    for expected in (
        "加快推进世界领先科技园区建设",
        "政产学研共谋“人工智能+产业”发展路径",
        "中国高新技术产业导报",
        "CHINAHIGH-TECHINDUSTRYHERALD",
        "科学技术部主管",
        "科技日报社主办",
        "CN11—0237",
        "邮发代号1—206",
        "2026年3月30日",
        "星期一",
        "第11期（总第2663期）",
        "今日16版",
        "本期导读",
        "共绘全球科技交流合作新图景02版",
        "从“新能源”到“未来能源”有深意15版",
        "本报讯（记者张伟）",
        "主办方供图",
        "微信公众号：中国高新网",
        "http://www.chinahightech.com/",
    ):
        assert expected in text, expected
    # Paragraphs broken across print columns in the seed were rejoined at conversion: whole paragraphs
    # come back from the content area (running heads cropped away) with no break inside.
    body = squeeze(run("pdftotext", "-raw", *CONTENT_AREA, pdf, "-"))
    paragraph = (
        "北京市委常委、统战部部长马骏表示，“十四五”以来，中关村示范区以不足北京市4%的土地，贡献了约1/3的"
        "地区生产总值（GDP）。"
    )
    assert paragraph in body
    assert "于海斌在主旨报告中提到" in body and "中国工程院院士" in body


def _assert_articles_in_text(pdf: Path, issue: Issue) -> None:
    body = squeeze(run("pdftotext", "-raw", *CONTENT_AREA, pdf, "-"))
    for article in issue.articles:
        assert squeeze(article.headline) in body, article.slug
        for paragraph in article.text.split("\n"):
            assert squeeze(paragraph) in body, f"{article.slug}: {paragraph[:40]}"


def test_every_article_and_paragraph_of_the_corpus_is_in_the_text(corpus_built: Built) -> None:
    issue = corpus_built.issues[CORPUS_ID]
    assert len(issue.articles) == 29
    longest = max(issue.articles, key=lambda a: len(a.text.split("\n")))
    assert len(longest.text.split("\n")) >= 278  # the flattened table
    _assert_articles_in_text(corpus_built.pdf(CORPUS_ID), issue)


def test_every_article_of_the_sample_issues_is_in_the_text(sample: Built) -> None:
    for issue_id in (SEED_ID, SAMPLE_ID):
        _assert_articles_in_text(sample.pdf(issue_id), sample.issues[issue_id])


def test_running_heads_show_the_print_page_and_no_page_is_empty(sample: Built, corpus_built: Built) -> None:
    cases = ((corpus_built, CORPUS_ID), (sample, SEED_ID), (sample, SAMPLE_ID))
    for built, issue_id in cases:
        issue, pdf = built.issues[issue_id], built.pdf(issue_id)
        heads = run("pdftotext", "-raw", "-x", "0", "-y", "0", "-W", "842", "-H", "58", pdf, "-").split("\f")[:-1]
        bodies = run("pdftotext", "-raw", *CONTENT_AREA, pdf, "-").split("\f")[:-1]
        assert len(heads) == len(bodies) == int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", pdf)).group(1))  # type: ignore[union-attr]
        for number, body in enumerate(bodies, 1):
            assert body.strip(), f"{issue_id}: PDF page {number} is empty"
        shown = []
        for number, head in enumerate(heads, 1):
            found = re.findall(r"第(\d+)版", head)
            if number == 1 and issue.pages[0].number == 1:
                assert found == [], "the front page has the masthead, not a running head"
                shown.append(1)
                continue
            found = re.findall(r"第(\d+)版 · ", head)  # the running head (a 接 line names a 版 too)
            assert len(found) == 1, f"{issue_id}: PDF page {number} head {head!r}"
            assert "中国高新技术产业导报" in head and issue.date_text in head
            shown.append(int(found[0]))
        # Print page numbers (版), in order, each carried page shown, never the PDF page index.
        assert shown == sorted(shown)
        assert sorted(set(shown)) == [p.number for p in issue.pages]
    corpus_pages = len(run("pdftotext", "-raw", corpus_built.pdf(CORPUS_ID), "-").split("\f")) - 1
    assert corpus_pages > len(corpus_built.issues[CORPUS_ID].pages)  # long pages flow over several PDF pages


def test_outline_lists_every_article_under_its_page(sample: Built, corpus_built: Built) -> None:
    for built, issue_id in ((corpus_built, CORPUS_ID), (sample, SEED_ID)):
        issue = built.issues[issue_id]
        entries = outline(built.pdf(issue_id))
        assert [e["title"] for e in entries] == [f"第{p.number}版 · {p.name}" for p in issue.pages]
        for entry, page in zip(entries, issue.pages, strict=True):
            kids = entry["kids"]
            assert isinstance(kids, list)
            assert [k["title"] for k in kids] == [a.headline for a in page.articles]
            assert all(k["kids"] == [] for k in kids)


def test_metadata_language_tags_and_structure(sample: Built, corpus_built: Built) -> None:
    pdf = sample.pdf(SEED_ID)
    info = run("pdfinfo", "-isodates", pdf)
    assert "Title:           中国高新技术产业导报 2026年3月30日 第11期（总第2663期）" in info
    assert "Author:          科技日报社" in info
    assert "Subject:" in info and "本期导读" in info
    assert "Keywords:" in info and "中关村论坛" in info
    assert "CreationDate:    2026-03-30T06:00:00+08" in info  # the issue's publish time, not now()
    assert "Tagged:          yes" in info
    assert "PDF version:     1.7" in info
    assert "Page size:       841.89 x 1190.55 pts (A3)" in info
    root = catalog(pdf)
    assert "/Lang (zh-CN)" in root and "/StructTreeRoot" in root and "/Outlines" in root
    assert "/MarkInfo << /Marked true >>" in root
    xmp = run("pdfinfo", "-meta", pdf)
    assert "pdfuaid:part" in xmp and "2026-03-30T06:00:00+08:00" in xmp
    for path in (pdf, sample.pdf(SAMPLE_ID), corpus_built.pdf(CORPUS_ID)):
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No syntax or stream encoding errors found" in check.stdout


def test_same_input_gives_identical_bytes(sample: Built, tmp_path: Path) -> None:
    issue = sample.issues[SEED_ID]
    content = load_content(SAMPLE)
    renders = []
    for name in ("a", "b"):
        job = Job(content.publication, (issue,), issue, tmp_path / name, {issue.id: SAMPLE / issue.id}, ("pdf",))
        path = PdfRenderer().render(job)[0]  # the issue's PDF first, then the 版 PDFs, images, layout
        renders.append(path.read_bytes())
    assert renders[0] == renders[1]
    assert renders[0] == sample.pdf(SEED_ID).read_bytes()  # and the same as the pipeline's build


def test_the_same_issue_in_another_folder_gives_the_same_pdf(sample: Built, tmp_path: Path) -> None:
    """WeasyPrint names embedded images by a hash of their URL: the folder's path must not be that URL."""
    elsewhere = copy_content(SAMPLE, tmp_path / "另一个 folder" / "content")
    content = load_content(elsewhere)
    issue = next(i for i in content.issues if i.id == SEED_ID)
    assert any(a.images for a in issue.articles), "the check needs an issue with photos"
    job = Job(content.publication, (issue,), issue, tmp_path / "out", {issue.id: elsewhere / issue.id}, ("pdf",))
    path = PdfRenderer().render(job)[0]
    pdf = path.read_bytes()
    assert b"/Subtype /Image" in pdf
    assert str(tmp_path).encode() not in pdf
    assert pdf == sample.pdf(SEED_ID).read_bytes()


def test_fingerprint_names_the_font_files() -> None:
    printed = PdfRenderer().fingerprint()
    for face in fonts.faces():
        assert f"{face.path}#{face.index}:{face.path.stat().st_size}" in printed
    assert {f.family for f in fonts.faces()} == set(fonts.CHAIN)
    assert fonts.FALLBACK and not set(fonts.FALLBACK) & set(fonts.FAMILIES)


def test_weasyprint_is_imported_only_when_rendering() -> None:
    code = (
        "import sys, exporter.render.pdf, exporter.fonts, exporter.fetch, exporter.cli\n"
        "from exporter.render.pdf import PdfRenderer\n"
        "PdfRenderer().fingerprint()\n"
        "assert 'weasyprint' not in sys.modules, 'weasyprint imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- fonts and glyphs ------------------------------------------------------------------------------


def test_harfbuzz_subset_is_used_and_its_fallback_fails_the_render(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint.pdf.fonts
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    assert harfbuzz_subset, "libharfbuzz-subset0 is not installed: WeasyPrint would subset with fontTools"
    assert harfbuzz.hb_version_atleast(4, 1, 0)
    render_pdf(TINY.format("中文"), Path("/nonexistent"), isolate=False)  # fine with HarfBuzz
    # Without HarfBuzz-Subset WeasyPrint warns and falls back to fontTools: that must fail the build.
    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    with pytest.raises(RenderError, match="fontTools instead of HarfBuzz-Subset"):
        render_pdf(TINY.format("中文"), Path("/nonexistent"), isolate=False)


def test_a_missing_font_is_a_build_error() -> None:
    with pytest.raises(RenderError, match="Noto Nonexistent CJK SC Regular is not installed"):
        fonts._fc_match("Noto Nonexistent CJK SC", "Regular")


def _families_with(code: int) -> set[str]:
    """The families of every installed font that maps ``code`` (fontconfig's view)."""
    listed = run("fc-list", f":charset={code:x}", "family").splitlines()
    return {line.split(",")[0] for line in listed if line.strip()}


# Candidates for a character the chain lacks: letters of other scripts (DejaVu and friends have them)
# and private-use code points of planes 15 and 16 (nothing has them). Which of them qualify depends on
# the fonts installed (BabelStone Han has Latin letters and the BMP private-use area), so it is checked.
OTHER_SCRIPTS = (0x0531, 0x10D0, 0x1E9E, 0x0466, 0x04E8, 0x13A0, 0x0F40, 0x0D05)
NOWHERE = (0xF0000, 0xF0001, 0xFFFFD, 0x100000, 0x10FFFD)


def a_char_outside_the_chain(elsewhere: bool) -> str:
    """A character no face of the chain has that another installed font has (``elsewhere``) or none has."""
    chain = fonts.coverage()
    for code in OTHER_SCRIPTS if elsewhere else NOWHERE:
        if code in chain:
            continue
        if bool(_families_with(code)) == elsewhere:
            return chr(code)
    raise AssertionError(f"no candidate character qualifies (elsewhere={elsewhere}): extend the list")


@pytest.mark.parametrize(
    ("elsewhere", "why"),
    [
        (True, "would fall back to"),  # another installed font has it: Pango would silently fall back
        (False, ".notdef glyph rendered"),  # no font has it: WeasyPrint warns and draws .notdef
    ],
)
def test_a_glyph_no_face_of_the_chain_has_fails_the_build_naming_article_and_character(
    tmp_path: Path, elsewhere: bool, why: str
) -> None:
    char = a_char_outside_the_chain(elsewhere)
    assert (ord(char) not in fonts.coverage()) and (bool(_families_with(ord(char))) == elsewhere)
    content = copy_content(SAMPLE, tmp_path / "content")
    shutil.rmtree(content / SAMPLE_ID)  # render only the seed issue
    article = content / SEED_ID / "ai-plus-industry-forum.md"
    article.write_text(article.read_text("utf-8").replace("论坛现场", f"捷克代表{char}apek在论坛现场"), "utf-8")
    result = build(content, tmp_path / "out", ("pdf",), now=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    (problem,) = result.problems[SEED_ID]
    assert problem.code == "E401" and problem.field == "pdf"
    assert "ai-plus-industry-forum: no glyph" in problem.message
    assert f"U+{ord(char):04X}" in problem.message
    assert why in problem.message
    assert not (tmp_path / "out" / "issues" / SEED_ID).exists()


def test_a_character_no_font_has_is_a_notdef_warning_and_an_error() -> None:
    char = a_char_outside_the_chain(elsewhere=False)
    with pytest.raises(RenderError, match=rf"\.notdef glyph rendered.*U\+{ord(char):04X}"):
        render_pdf(TINY.format(f"私用区{char}"), Path("/nonexistent"), isolate=False)


# Rare characters (生僻字) beyond Noto CJK SC: CJK Extension B (U+20000), C (U+2A700), G (U+30000), all in
# BabelStone Han, the first fallback; and U+20023 (Extension B), which only HanaMinB, the second, has.
RARE = "\U00020000\U0002a700\U00030000"
SECOND = "\U00020023"


def test_the_second_fallback_face_draws_what_the_first_lacks() -> None:
    first, second = (fonts.codepoints(f) for f in fonts.fallback_faces())
    assert ord(SECOND) in second and ord(SECOND) not in first and ord(SECOND) not in fonts.main_coverage()
    assert fonts.assign(RARE + SECOND + "中") == dict(zip(fonts.fallback_faces(), (RARE, SECOND), strict=True))


def test_the_rare_test_characters_are_beyond_noto_and_inside_the_chain() -> None:
    for char in RARE:
        assert ord(char) not in fonts.main_coverage(), f"U+{ord(char):04X}: Noto CJK SC has it, the test proves nothing"
        assert ord(char) in fonts.coverage(), f"U+{ord(char):04X}: no fallback face has it"
        assert _families_with(ord(char)) & set(fonts.FALLBACK)


def test_rare_characters_render_with_the_fallback_chain(tmp_path: Path) -> None:
    content = copy_content(SAMPLE, tmp_path / "content")
    shutil.rmtree(content / SAMPLE_ID)
    article = content / SEED_ID / "ai-plus-industry-forum.md"
    text = article.read_text("utf-8")
    assert text.count("论坛现场") and "headline:" in text
    text = text.replace("论坛现场", f"论坛现场（生僻字{RARE}{SECOND}）", 1)
    article.write_text(text.replace("headline: ", f"headline: {RARE[0]}", 1), "utf-8")
    result = build(content, tmp_path / "out", ("pdf",), now=datetime.fromisoformat("2026-07-01T00:00:00+08:00"))
    assert result.ok, result.problems
    pdf = tmp_path / "out" / "issues" / SEED_ID / f"{SEED_ID}.pdf"
    names = {row.split()[0].split("+", 1)[-1] for row in run("pdffonts", pdf).splitlines()[2:]}
    # PostScript names: BabelStone-Han (and -Bold, synthetic), HanaMinB-Medium.
    prefixes = tuple(f.replace(" ", "-") for f in fonts.FALLBACK)
    for prefix in prefixes:
        assert any(n.startswith(prefix) for n in names), (prefix, names)
    assert all(n in FACES or n.startswith(prefixes) for n in names), names
    # -raw: in drawing order, so the run reads as one even where a line break cuts it and pdftotext's
    # reading order puts another column's line between the two halves.
    extracted = squeeze(run("pdftotext", "-raw", "-enc", "UTF-8", pdf, "-"))
    assert f"生僻字{RARE}{SECOND}" in extracted
    assert RARE[0] in extracted


def test_log_capture_sees_both_weasyprint_loggers() -> None:
    with capture_weasyprint_logs() as messages:
        logging.getLogger("weasyprint").warning("one %s", "w")
        logging.getLogger("weasyprint.progress").error("two")
        logging.getLogger("weasyprint").info("not this")
    assert messages == ["WARNING: one w", "ERROR: two"]


# -- the URL fetcher -------------------------------------------------------------------------------


@pytest.fixture
def issue_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "issue"
    (folder / "images").mkdir(parents=True)
    photo = (SAMPLE / SEED_ID / "images" / "kevin-kelly-ai-glasses.png").read_bytes()
    (folder / "images" / "photo.png").write_bytes(photo)
    (tmp_path / "secret.png").write_bytes(photo)  # beside the issue folder, not in it
    return folder


def page_with(tag: str) -> str:
    return f'<html lang="zh-CN"><body style="font-family: \'Noto Serif CJK SC\'">正文{tag}</body></html>'


def test_fetcher_loads_issue_files_and_data_urls(issue_dir: Path) -> None:
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
        "WjR9awAAAABJRU5ErkJggg=="
    )
    outcome = render_pdf(
        page_with(f'<img src="images/photo.png" alt="照片" style="width: 50mm"><img src="{pixel}" alt="像素">'),
        issue_dir,
        isolate=False,
    )
    assert outcome.pdf.startswith(b"%PDF") and outcome.pages == 1
    assert b"/Subtype /Image" in outcome.pdf


@pytest.mark.parametrize(
    ("tag", "why"),
    [
        ('<img src="file:///etc/passwd">', r"refused to load file:///etc/passwd: .* outside the issue folder"),
        ('<img src="../secret.png">', r"refused to load file://.*/secret.png: .* outside the issue folder"),
        ('<img src="images/../../secret.png">', r"refused to load .*secret.png: .* outside the issue folder"),
        ('<img src="file:///dev/urandom">', r"refused to load file:///dev/urandom: .* outside the issue folder"),
        ('<link rel="stylesheet" href="https://example.com/a.css">', r"refused to load https://example.com/a.css"),
        ('<link rel="attachment" href="file:///etc/passwd">', r"refused to embed attachments: file:///etc/passwd"),
        ('<link rel="attachment" href="images/photo.png">', "refused to embed attachments: images/photo.png"),
        ('<img src="ftp://example.com/x.png">', r"refused to load ftp://example.com/x.png"),
    ],
)
def test_fetcher_refuses(issue_dir: Path, tag: str, why: str) -> None:
    with pytest.raises(RenderError, match=why):
        render_pdf(page_with(tag), issue_dir, isolate=False)


def test_fetcher_never_connects_to_the_network(issue_dir: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.2)
        port = server.getsockname()[1]
        with pytest.raises(RenderError, match=rf"refused to load http://127.0.0.1:{port}/x.png: only files inside"):
            render_pdf(page_with(f'<img src="http://127.0.0.1:{port}/x.png">'), issue_dir, isolate=False)
        with pytest.raises(TimeoutError):
            server.accept()  # nobody connected


def test_fetcher_refuses_devices_and_fifos_inside_the_issue_folder(issue_dir: Path) -> None:
    (issue_dir / "images" / "random.png").symlink_to("/dev/urandom")
    with pytest.raises(RenderError, match=r"refused to load .*random.png: /dev/urandom is outside the issue folder"):
        render_pdf(page_with('<img src="images/random.png">'), issue_dir, isolate=False)
    os.mkfifo(issue_dir / "images" / "pipe.png")  # open() on a FIFO with no writer would block forever
    with pytest.raises(RenderError, match=r"refused to load .*pipe.png: not a regular file"):
        render_pdf(page_with('<img src="images/pipe.png">'), issue_dir, isolate=True, timeout=60)


def test_a_render_over_its_time_limit_is_killed(issue_dir: Path) -> None:
    html = page_with("".join(f"<p>第{i}段：中文段落内容用于测试超时。</p>" for i in range(4000)))
    with pytest.raises(RenderError, match=r"did not finish within 0.5 s; the render process was killed"):
        render_pdf(html, issue_dir, timeout=0.5)


def test_a_render_in_a_child_process_gives_the_same_pdf(issue_dir: Path) -> None:
    html = page_with('<img src="images/photo.png" alt="照片" style="width: 50mm">')
    inside = render_pdf(html, issue_dir, identifier=b"x" * 32, isolate=False)
    child = render_pdf(html, issue_dir, identifier=b"x" * 32, isolate=True, timeout=60)
    assert inside.pdf == child.pdf
    assert child.font_families == ["Noto Serif CJK SC"]


# -- layout features the fixtures do not use: rows of short articles, jump lines, kicker, editor ----


def _short(headline: str, extra: str = "", body: str = "") -> str:
    text = body or f"{headline}的正文。" + "这是一条用于测试排版的短消息，内容简短。" * 4
    return f"---\nheadline: {headline}\ndateline: 本报讯\nauthors:\n- 王五\n{extra}---\n\n{text}\n"


@pytest.fixture(scope="module")
def variety(tmp_path_factory: pytest.TempPathFactory) -> Built:
    import yaml

    root = tmp_path_factory.mktemp("pdf-variety")
    content = copy_content(SAMPLE, root / "content")
    shutil.rmtree(content / SAMPLE_ID)
    folder = content / SEED_ID
    (folder / "brief-one.md").write_text(
        _short("短讯一号", "kicker: 引题示例\nsubheadline: 副题示例\ncontinued_on: 2\n")
    )
    (folder / "brief-two.md").write_text(_short("短讯二号"))
    (folder / "brief-three.md").write_text(_short("短讯三号"))
    (folder / "brief-one-rest.md").write_text(_short("短讯一号（续）", "continued_from: 1\n"))
    meta = yaml.safe_load((folder / "issue.yaml").read_text("utf-8"))
    meta["pages"][0]["articles"] += ["brief-one", "brief-two", "brief-three"]
    meta["pages"].append({"number": 2, "name": "综合", "editor": "李四", "articles": ["brief-one-rest"]})
    (folder / "issue.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    return _build(content, root / "out")


def _word_boxes(pdf: Path) -> dict[str, tuple[int, float, float]]:
    """First occurrence of each word: (PDF page, x, y) from pdftotext -bbox."""
    found: dict[str, tuple[int, float, float]] = {}
    html = run("pdftotext", "-bbox", pdf, "-")
    for page_number, page in enumerate(html.split("<page ")[1:], 1):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', page):
            found.setdefault(m.group(3), (page_number, float(m.group(1)), float(m.group(2))))
    return found


def test_short_articles_share_a_row_and_jump_lines_come_from_the_model(variety: Built) -> None:
    assert variety.result.problems == {}
    pdf = variety.pdf(SEED_ID)
    text = squeeze(run("pdftotext", "-raw", pdf, "-"))
    for expected in (
        "引题示例",
        "短讯一号",
        "副题示例",
        "（转第2版）",
        "（接第1版）",
        "责任编辑：李四",
        "本报讯（记者王五）",
    ):
        assert expected in text, expected
    words = _word_boxes(pdf)
    one, two, three = words["短讯一号"], words["短讯二号"], words["短讯三号"]
    # Three short articles side by side: same PDF page, same top line, left to right.
    assert one[0] == two[0] == three[0]
    assert abs(two[2] - three[2]) < 1 and one[1] < two[1] < three[1]
    # The continuation starts 第2版 on a new PDF page whose running head says so.
    rest_page = words["短讯一号（续）"][0]
    assert rest_page > one[0]
    heads = run("pdftotext", "-raw", "-y", "0", "-H", "58", "-W", "842", "-x", "0", pdf, "-").split("\f")
    assert "第2版 · 综合" in heads[rest_page - 1]
    titles = [(e["title"], [k["title"] for k in e["kids"]]) for e in outline(pdf)]  # type: ignore[union-attr]
    assert titles[1] == ("第2版 · 综合", ["短讯一号（续）"])
    # The jump is a link to the carried page it names.
    qdf = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), "-"], capture_output=True, check=True)
    assert b"/Dest (page-2)" in qdf.stdout


def test_the_layout_check_refuses_empty_pages_and_boxes_off_the_page(issue_dir: Path) -> None:
    blank = '<p>甲</p><div style="break-before: page; break-after: page"></div><p>乙</p>'
    with pytest.raises(RenderError, match="PDF page 2 is empty"):
        render_pdf(page_with(blank), issue_dir, isolate=False)
    wide = '<img src="images/photo.png" alt="照片" style="width: 400mm">'
    with pytest.raises(RenderError, match=r"PDF page \d: 'img' is placed off the page"):
        render_pdf(page_with(wide), issue_dir, isolate=False)
    long_word = "<p>" + "x" * 400 + "</p>"
    with pytest.raises(RenderError, match=r"PDF page \d: 'x+' is placed off the page"):
        render_pdf(page_with(long_word), issue_dir, isolate=False)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie waits for its (new) parent to reap it: it no longer runs


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_the_render_child_dies_with_its_parent(tmp_path: Path) -> None:
    code = (
        "import multiprocessing, threading, time\n"
        "from pathlib import Path\n"
        "from exporter.render.pdf import render_pdf\n"
        "def report():\n"
        "    while not multiprocessing.active_children(): time.sleep(0.01)\n"
        "    print(multiprocessing.active_children()[0].pid, flush=True)\n"
        "threading.Thread(target=report, daemon=True).start()\n"
        "html = '<html lang=\"zh-CN\"><body>' + '<p>中文段落内容</p>' * 100000 + '</body></html>'\n"
        "render_pdf(html, Path(__import__('tempfile').gettempdir()), timeout=600)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as parent:
        try:
            assert parent.stdout is not None
            child = int(parent.stdout.readline())
            assert _alive(child)
        finally:
            parent.kill()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the render child outlived its killed parent"


def test_a_sample_issue_says_so_in_the_pdf_subject(sample: Built) -> None:
    """`sample: true` reached the web page only: the PDF's metadata description carries SAMPLE_NOTICE (#11)."""
    from exporter.model import SAMPLE_NOTICE

    notice = SAMPLE_NOTICE.removesuffix("。")
    assert notice in run("pdfinfo", sample.pdf("2026-03-23"))  # the sample history issue
    assert notice not in run("pdfinfo", sample.pdf("2026-03-30"))  # the seed issue is real


# -- one 版, one sheet ------------------------------------------------------------------------------

A3_HEIGHT = 1190.55  # PDF points
TYPE_FOOT = 1145.2  # the foot of the type area, points from the top (16 mm bottom margin)


class Sheet:
    """One PDF page: its running head, its foot (folio and 转 line) and its body text."""

    def __init__(self, number: int, head: str, foot: str, body: str) -> None:
        self.number, self.head, self.foot, self.body = number, head, foot, body
        label = re.search(r"第(\d+)版 · (\S+?)(（续）)?(?:\s|$)", head)
        self.ban = int(label.group(1)) if label else 0
        self.continued = bool(label and label.group(3))
        # （转第1版续）: the text runs on to 版1's continuation sheet; （转第2版）: to 版2's sheet, shared.
        self.jump_to = re.findall(r"（转第(\d+)版(续?)）", foot)
        self.jump_from = re.findall(r"（接第(\d+)版）", head)
        # A sheet a short 版 shares with the end of a long one: "第1版续" before its running head.
        shared = re.search(r"第(\d+)版续", head)
        self.shared_from = int(shared.group(1)) if shared else 0


def sheets(pdf: Path) -> list[Sheet]:
    def per_page(*area: str) -> list[str]:
        return run("pdftotext", "-raw", *area, pdf, "-").split("\f")[:-1]

    heads = per_page("-x", "0", "-y", "0", "-W", "842", "-H", "58")
    feet = per_page("-x", "0", "-y", "1145", "-W", "842", "-H", "46")
    bodies = per_page(*CONTENT_AREA)
    found = [Sheet(n, h, f, b) for n, (h, f, b) in enumerate(zip(heads, feet, bodies, strict=True), 1)]
    if found and found[0].ban == 0:  # the front page: the masthead instead of a running head
        found[0].ban = 1
    return found


def named_destinations(pdf: Path) -> dict[str, int]:
    """Named destination → PDF page number (1-based), from the catalog's /Dests name tree."""
    objects = json.loads(run("qpdf", "--json", "--json-key=qpdf", pdf))["qpdf"][1]
    pages = [p["object"] for p in json.loads(run("qpdf", "--json", "--json-key=pages", pdf))["pages"]]
    names: dict[str, int] = {}

    def walk(node: dict[str, object]) -> None:
        flat = node.get("/Names")
        if isinstance(flat, list):
            for key, dest in zip(flat[::2], flat[1::2], strict=True):
                if isinstance(dest, str):  # an indirect reference to the array
                    dest = objects[f"obj:{dest}"]["value"]
                names[key.removeprefix("u:")] = pages.index(dest[0]) + 1
        for kid in node.get("/Kids", []):  # type: ignore[attr-defined]
            walk(objects[f"obj:{kid}"]["value"])

    for entry in objects.values():
        value = entry.get("value")
        if isinstance(value, dict) and isinstance(value.get("/Names"), dict) and "/Dests" in value["/Names"]:
            dests = value["/Names"]["/Dests"]
            walk(objects[f"obj:{dests}"]["value"] if isinstance(dests, str) else dests)
    return names


@pytest.mark.parametrize("which", ["corpus", "seed", "sample"])
def test_every_ban_starts_on_its_own_sheet_and_continuation_sheets_say_which_it_continues(
    which: str, sample: Built, corpus_built: Built
) -> None:
    built, issue_id = {"corpus": (corpus_built, CORPUS_ID), "seed": (sample, SEED_ID), "sample": (sample, SAMPLE_ID)}[
        which
    ]
    issue = built.issues[issue_id]
    found = sheets(built.pdf(issue_id))
    names = {p.number: p.name for p in issue.pages}
    firsts = [s for s in found if not s.continued]
    # One first sheet per 版, in order; then only its continuation sheets until the next 版.
    assert [s.ban for s in firsts] == [p.number for p in issue.pages]
    for sheet in found[1:]:
        assert f"第{sheet.ban}版 · {names[sheet.ban]}" in sheet.head, sheet.head
    for before, sheet in itertools.pairwise(found):
        if sheet.continued:
            assert sheet.ban == before.ban and f"第{sheet.ban}版 · {names[sheet.ban]}（续）" in sheet.head
        else:
            assert sheet.ban > before.ban
        if sheet.shared_from:  # the end of the 版 before, then this 版 (转版): a sheet of its own
            assert sheet.shared_from == before.ban and not sheet.continued
            assert f"第{sheet.ban}版 · {names[sheet.ban]}" in sheet.body  # its band over its articles
    # The corpus needs no more sheets than 版 plus continuation sheets, and a continuation sheet is
    # only started when the sheet before it is full: its text reaches the foot of the type area.
    assert len(found) == len(issue.pages) + sum(s.continued for s in found)
    html = run("pdftotext", "-bbox-layout", built.pdf(issue_id), "-")
    lowest = [
        max(
            (float(y) for y in re.findall(r'<line xMin="[\d.]+" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)"', page)),
            default=0,
        )
        for page in html.split("<page ")[1:]
    ]
    for before, sheet in itertools.pairwise(found):
        if sheet.continued or sheet.shared_from:
            assert lowest[before.number - 1] > TYPE_FOOT - 40, f"PDF page {before.number} is not full"


@pytest.mark.parametrize("which", ["corpus", "variety", "sample"])
def test_jump_lines_pair_up_between_a_sheet_and_its_continuation(
    which: str, corpus_built: Built, variety: Built, sample: Built
) -> None:
    built, issue_id = {
        "corpus": (corpus_built, CORPUS_ID),
        "variety": (variety, SEED_ID),
        "sample": (sample, SAMPLE_ID),
    }[which]
    found = sheets(built.pdf(issue_id))
    jumps = 0
    for sheet, after in zip(found, [*found[1:], None], strict=True):
        if sheet.jump_to:
            # 转第N版续 at the foot of a sheet of 版N; the next sheet continues 版N and says 接第N版.
            # Or 转第M版: the next sheet is 版M's, which 版N's end shares ("第N版续" heads it).
            assert after is not None, f"PDF page {sheet.number} sends the reader past the last sheet"
            if after.shared_from:
                assert sheet.jump_to == [(str(after.ban), "")], sheet.foot
                assert after.shared_from == sheet.ban
            else:
                assert sheet.jump_to == [(str(sheet.ban), "续")], sheet.foot
                assert after.continued and after.ban == sheet.ban
            assert after.jump_from == [str(sheet.ban)], f"PDF page {after.number}: {after.head!r}"
            jumps += 1
        elif after is not None:
            assert after.jump_from == [], f"PDF page {after.number} says 接 but page {sheet.number} has no 转"
    assert found[0].jump_from == []
    if which == "sample":
        assert jumps >= 1  # the sample issue's one 版 runs on
    if which == "corpus":
        assert jumps >= 3  # the long 版 run on: 1, 3 and 5
        continued = [s.ban for s in found if s.continued]
        assert set(continued) == {1, 3}
        # 版2, 4 and 6 are short: each is set under the end of the long 版 before it, 5 ending on 6.
        assert [(s.shared_from, s.ban) for s in found if s.shared_from] == [(1, 2), (3, 4), (5, 6)]
        assert [s.jump_to for s in found if s.jump_to and not s.jump_to[0][1]] == [[("4", "")], [("6", "")]]


def test_the_guide_and_the_outline_point_at_the_sheet_where_each_story_starts(
    corpus_built: Built, sample: Built
) -> None:
    for built, issue_id in ((corpus_built, CORPUS_ID), (sample, SEED_ID)):
        issue, pdf = built.issues[issue_id], built.pdf(issue_id)
        found = sheets(pdf)
        first_sheet = {s.ban: s.number for s in found if not s.continued}
        dests = named_destinations(pdf)
        for page in issue.pages:
            assert dests[f"page-{page.number}"] == first_sheet[page.number]
        starts = {}
        for page in issue.pages:
            for article in page.articles:
                # The sheet where the headline stands: the first sheet with it in its text (the 导读
                # on the front page lists some headlines once more).
                headline = squeeze(article.headline)
                listed = {squeeze(h.headline) for h in issue.highlights}
                start = next(
                    s.number
                    for s in found[first_sheet[page.number] - 1 :]  # headlines may repeat in another 版
                    if squeeze(s.body).count(headline) > (s.number == 1 and headline in listed)
                )
                # on a sheet of its 版, or on the next 版's sheet that the end of its 版 shares
                assert page.number in (found[start - 1].ban, found[start - 1].shared_from)
                assert dests[article.slug] == start, article.slug
                starts[page.number, article.headline] = start
        # 导读: each entry's page code names the 版 of the sheet its link leads to.
        for h in issue.highlights:
            if not issue.carries(h.page):
                continue
            target = dests[h.article] if h.article else dests[f"page-{h.page}"]
            assert found[target - 1].ban == h.page, (h.headline, target)
        # The outline: 版 entries at the 版's first sheet, article entries at their start sheet.
        for entry in outline(pdf):
            number = int(re.match(r"第(\d+)版", str(entry["title"])).group(1))  # type: ignore[union-attr]
            assert entry["destpageposfrom1"] == first_sheet[number]
            for kid in entry["kids"]:  # type: ignore[attr-defined]
                assert kid["destpageposfrom1"] == starts[number, kid["title"]], kid["title"]


def test_short_articles_side_by_side_share_the_columns_by_length() -> None:
    from exporter.render.pdf import spans

    assert spans([100]) == [5]
    assert spans([100, 100]) == [3, 2]  # ties: the earlier article gets the odd column
    assert spans([600, 120]) == [4, 1]
    assert spans([200, 800]) == [1, 4]  # a brief beside a medium article: one column against four
    assert spans([200, 200, 200]) == [2, 2, 1]
    assert spans([1000, 100, 100]) == [3, 1, 1]
    assert spans([10**6, 1, 1]) == [3, 1, 1]
    assert all(sum(spans(w)) == 5 and min(spans(w)) >= 1 for w in ([1], [1, 10**6], [0, 0, 0]))


def test_a_lone_brief_sits_beside_its_medium_neighbour(corpus_built: Built) -> None:
    # 第1版 of the corpus opens with a 159-character brief followed by a 722-character article: side
    # by side in one row (one column against four), not five columns of two or three lines.
    words = run("pdftotext", "-bbox", "-f", "1", "-l", "1", corpus_built.pdf(CORPUS_ID), "-")
    boxes = [
        (m.group(3), float(m.group(1)), float(m.group(2)))
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', words)
    ]
    neighbour = next((x, y) for word, x, y in boxes if word.startswith("魅视科技"))
    # the brief's headline (the 导读 above lists it too): the occurrence nearest the neighbour's row
    brief = min(((x, y) for word, x, y in boxes if word.startswith("午评")), key=lambda xy: abs(xy[1] - neighbour[1]))
    assert neighbour[0] > brief[0] + 120  # to the right of the brief's column
    assert abs(neighbour[1] - brief[1]) < 15  # on the same row


# -- a short 版 on the last sheet of a long one (转版) ----------------------------------------------


def test_short_bans_after_long_ones_are_chosen_to_share_a_sheet(sample: Built, corpus_built: Built) -> None:
    from exporter.render.pdf import SHARE_AFTER, fill, sharing

    corpus = corpus_built.issues[CORPUS_ID]
    assert sharing(corpus) == {2, 4, 6}  # 外汇, 基金, 保险 after 证券, 财经要闻, 银行
    # What each 版 filled, measured on the PDF when every 版 had sheets of its own (bench/RESULTS.md).
    measured = [4.9, 0.12, 2.85, 0.5, 1.42, 0.29]
    assert [fill(p, front=p.number == 1) for p in corpus.pages] == pytest.approx(measured, rel=0.15)
    assert sharing(sample.issues[SEED_ID]) == set()  # one 版
    # A short 版 after a short one never shares: the 版 before it may not run on at all.
    two_short = corpus.model_copy(update={"pages": [corpus.pages[1], corpus.pages[3]]})
    assert sharing(two_short) == set()
    # Nor after a 版 that itself shares (it starts part-way down a sheet).
    chain = corpus.model_copy(update={"pages": [corpus.pages[0], corpus.pages[1], corpus.pages[3]]})
    assert fill(corpus.pages[1]) < SHARE_AFTER and sharing(chain) == {2}


def test_a_ban_the_estimate_lets_share_still_starts_on_a_sheet_of_its_own(tmp_path: Path) -> None:
    """Latin text is about half as wide as Chinese: 7,000 characters of it are estimated at 1.5 sheets
    but fill less than one, so the short 版 after it would start on 版1's first sheet. The render sees
    that and sets it again without sharing: every 版 starts on a sheet whose running head names it."""
    import yaml

    from exporter.render.pdf import sharing

    content = copy_content(SAMPLE, tmp_path / "content")
    shutil.rmtree(content / SAMPLE_ID)
    folder = content / SEED_ID
    latin = " ".join(["The quick brown fox jumps over the lazy dog."] * 160)
    (folder / "latin.md").write_text(_short("英文长文", body=latin))
    (folder / "brief.md").write_text(_short("短讯"))
    for article in folder.glob("*.md"):
        if article.stem not in ("latin", "brief"):
            article.unlink()
    meta = yaml.safe_load((folder / "issue.yaml").read_text("utf-8"))
    meta["highlights"] = []
    meta["pages"] = [
        {"number": 1, "name": "要闻", "articles": ["latin"]},
        {"number": 2, "name": "综合", "articles": ["brief"]},
    ]
    (folder / "issue.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    built = _build(content, tmp_path / "out")
    assert built.result.problems == {}
    assert sharing(built.issues[SEED_ID]) == {2}  # the estimate offered the sheet ...
    found = sheets(built.pdf(SEED_ID))
    assert [(s.ban, s.continued, s.shared_from) for s in found] == [
        (1, False, 0),
        (2, False, 0),
    ]  # ... the layout did not
    assert "第2版 · 综合" in found[1].head


@pytest.mark.parametrize("which", ["corpus", "seed", "sample"])
def test_the_pdfs_meet_the_print_quality_targets(which: str, sample: Built, corpus_built: Built) -> None:
    """Issue #13's targets, measured on the PDFs as bench/print_quality.py measures them."""
    from tests import print_metrics as pm

    built, issue_id = {"corpus": (corpus_built, CORPUS_ID), "seed": (sample, SEED_ID), "sample": (sample, SAMPLE_ID)}[
        which
    ]
    report = pm.measure(built.pdf(issue_id))
    assert report.flush_share >= 0.95
    assert report.violations == []
    assert report.lone_share <= 0.02
    assert max(report.empty[:-1], default=0) <= 0.30, [f"{e:.0%}" for e in report.empty]
    assert report.sheets == len(sheets(built.pdf(issue_id)))
