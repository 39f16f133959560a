"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    (issue / "images").symlink_to(outside, target_is_directory=True)
