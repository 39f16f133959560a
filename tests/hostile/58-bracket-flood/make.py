"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    text = (issue / "story.md").read_text("utf-8")
    (issue / "story.md").write_text(text + "\n" + "[" * 30000 + "\n", "utf-8")
