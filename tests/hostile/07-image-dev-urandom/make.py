"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    (issue / "images").mkdir()
    (issue / "images" / "noise.png").symlink_to("/dev/urandom")
