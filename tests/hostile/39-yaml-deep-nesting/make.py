"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    text = (issue / "story.md").read_text("utf-8")
    (issue / "story.md").write_text(text.replace("---\n\n", "tags: " + "[" * 20000 + "]" * 20000 + "\n---\n\n", 1))
