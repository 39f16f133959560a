"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    with open(issue / "issue.yaml", "r+b") as handle:
        handle.truncate(3 * 1024 * 1024)
