"""Creates what git should not store (see ../README.md)."""


def make(issue, outside):
    text = (issue / "story.md").read_text("utf-8")
    body = text.split("---\n", 2)[2]
    (issue / "story.md").write_text(text + "字" * (100_001 - len(body)), "utf-8")
