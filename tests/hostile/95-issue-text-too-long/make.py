"""Creates what git should not store (see ../README.md)."""


def make(issue, outside):
    story = (issue / "story.md").read_text("utf-8")
    slugs = [f"long-{n}" for n in range(11)]
    for slug in slugs:
        (issue / f"{slug}.md").write_text(story + ("长文" * 50 + "。\n\n") * 930, "utf-8")
    text = (issue / "issue.yaml").read_text("utf-8")
    placed = "".join(f"  - {slug}\n" for slug in slugs)
    (issue / "issue.yaml").write_text(text.replace("  - story\n", "  - story\n" + placed), "utf-8")
