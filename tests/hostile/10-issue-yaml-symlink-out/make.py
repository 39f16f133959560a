"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    (issue / "issue.yaml").unlink()
    (issue / "issue.yaml").symlink_to(outside / "issue.yaml")
