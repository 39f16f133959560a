"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    (issue / "extra.md").symlink_to(outside / "secret.md")
