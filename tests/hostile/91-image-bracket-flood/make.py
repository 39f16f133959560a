"""Creates what git should not store (see ../README.md)."""


def make(issue, outside):
    text = (issue / "story.md").read_text("utf-8")
    (issue / "story.md").write_text(text + "![" * 900_000 + "\n", "utf-8")
