"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    with open(issue / "story.md", "r+b") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: nothing large is stored or written
