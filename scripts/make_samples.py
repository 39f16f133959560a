"""Make the sample content and the corpus test fixture from ../shared (run once; the results are committed).

    python scripts/make_samples.py ../shared

- content/2026-03-30: the seed edition (01版 of 中国高新技术产业导报, 2026-03-30), print column breaks
  rejoined, with a generated placeholder for the photo the seed does not include;
- content/2026-03-23: a clearly marked sample issue made from the corpus, so the archive has history;
- tests/fixtures/corpus/2026-06-12: all 29 corpus articles, one page per channel.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from exporter.importers import (
    corpus_issue,
    fullwidth_punctuation,
    rejoin_print_columns,
    write_article,
    write_yaml,
)

ROOT = Path(__file__).resolve().parents[1]
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CORPUS_NOTE = (
    "文章取自 2026年6月12日 中国经济网、人民网等公开报道（经 jiayangrui05160031-cmyk/"
    "people-daily-economy-daily 收集，MIT 许可），按频道分版，仅用于演示与测试。"
)

PUBLICATION = {
    "title": "中国高新技术产业导报",
    "english_title": "CHINA HIGH-TECH INDUSTRY HERALD",
    "supervisor": "科学技术部",
    "sponsor": "科技日报社",
    "cn_number": "CN 11—0237",
    "postal_code": "1—206",
    "frequency": "周刊",
    "language": "zh-CN",
    "timezone": "Asia/Shanghai",
    "base_url": "http://127.0.0.1:8000/",
    "website": "http://www.chinahightech.com/",
    "website_name": "中国高新网",
    "wechat": "中国高新网",
    "publisher": "科技日报社",
    "copyright": "© 科技日报社 中国高新技术产业导报。数字版由 exporter 生成。",
    "feed_issues": 4,
}


def placeholder_png(path: Path, lines: list[str], size: tuple[int, int] = (960, 640)) -> None:
    """A grey image that says plainly it stands in for a photo."""
    img = Image.new("RGB", size, (222, 219, 212))
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0] + size[1], 40):
        draw.line([(i, 0), (i - size[1], size[1])], fill=(210, 206, 198), width=2)
    big, small = ImageFont.truetype(FONT, 54), ImageFont.truetype(FONT, 30)
    y = size[1] // 2 - 70
    for n, line in enumerate(lines):
        font = big if n == 0 else small
        w = draw.textlength(line, font=font)
        draw.text(((size[0] - w) / 2, y), line, font=font, fill=(90, 86, 80))
        y += 80 if n == 0 else 46
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "PNG", optimize=True)


def seed_issue(seed_text: str, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sections = re.split(r"^## ", seed_text, flags=re.M)
    first, second = sections[1], sections[2]

    def paragraphs(block: str) -> list[str]:
        return [fullwidth_punctuation(p.strip()) for p in block.split("\n\n") if p.strip()]

    # Article 1: headline, body up to the photo credit, then credit and caption.
    headline1, rest = first.split("\n", 1)
    body1, photo = rest.split("主办方供图", 1)
    paras1 = rejoin_print_columns(paragraphs(body1))
    assert paras1[0].startswith("本报讯（记者 张伟）"), paras1[0]
    paras1[0] = paras1[0].removeprefix("本报讯（记者 张伟）").strip()
    caption = "".join(paragraphs(photo))
    placeholder_png(folder / "images" / "kevin-kelly-ai-glasses.png",
                    ["图片占位", "PLACEHOLDER · 原照片未收录", "主办方供图"])  # fmt: skip
    write_article(
        folder / "world-leading-science-parks.md",
        {
            "headline": headline1.strip(),
            "dateline": "本报讯",
            "authors": ["张伟"],
            "tags": ["中关村论坛", "科技园区"],
            "images": [
                {
                    "file": "images/kevin-kelly-ai-glasses.png",
                    "alt": "凯文·凯利在2026中关村论坛年会现场体验AI眼镜（占位图）",
                    "caption": caption,
                    "credit": "主办方供图",
                    "placeholder": True,
                }
            ],
        },
        paras1,
    )

    headline2, rest2 = second.split("\n", 1)
    body2 = rest2.split("### 本期导读")[0]
    paras2 = rejoin_print_columns(paragraphs(body2))
    assert paras2[0].startswith("本报讯（记者 霍立峰）"), paras2[0]
    paras2[0] = paras2[0].removeprefix("本报讯（记者 霍立峰）").strip()
    write_article(
        folder / "ai-plus-industry-forum.md",
        {
            "headline": headline2.strip(),
            "dateline": "本报讯",
            "authors": ["霍立峰"],
            "tags": ["中关村论坛", "人工智能"],
        },
        paras2,
    )

    guide = rest2.split("### 本期导读")[1].split("微信公众号")[0]
    highlights = []
    for line in guide.strip().splitlines():
        match = re.match(r"^- (.+?)\s+(\d+)版$", line.strip())
        if match:
            highlights.append({"headline": match.group(1), "page": int(match.group(2))})
    write_yaml(
        folder / "issue.yaml",
        {
            "date": "2026-03-30",
            "number": 11,
            "total_number": 2663,
            "page_count": 16,
            "publish_time": "2026-03-30T06:00:00+08:00",
            "highlights": highlights,
            "pages": [
                {
                    "number": 1,
                    "name": "要闻",
                    "articles": ["world-leading-science-parks", "ai-plus-industry-forum"],
                }
            ],
        },
    )


def main(shared: Path) -> None:
    seed = (shared / "seeds" / "000_68e3bde636b794c0.txt").read_text("utf-8")
    corpus = json.loads((shared / "corpus" / "ce-2026-06-12.json").read_text("utf-8"))
    content = ROOT / "content"
    content.mkdir(exist_ok=True)
    write_yaml(content / "publication.yaml", PUBLICATION)
    seed_issue(seed, content / "2026-03-30")

    # History for the archive: a small sample issue made from the corpus, clearly marked.
    history = content / "2026-03-23"
    shutil.rmtree(history, ignore_errors=True)
    small = {**corpus, "date": "2026-03-23", "articles": corpus["articles"][6:13]}
    small["articles"] = [{**a, "publish_time": "2026-03-23 06:00"} for a in small["articles"]]
    corpus_issue(small, history, number=10, total=2662, note=CORPUS_NOTE)

    fixture = ROOT / "tests" / "fixtures" / "corpus"
    shutil.rmtree(fixture / "2026-06-12", ignore_errors=True)
    fixture.mkdir(parents=True, exist_ok=True)
    write_yaml(fixture / "publication.yaml", {**PUBLICATION, "base_url": "https://paper.example.cn/herald/"})
    corpus_issue(corpus, fixture / "2026-06-12", number=23, total=2675, note=CORPUS_NOTE)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared"))
