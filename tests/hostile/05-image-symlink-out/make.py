"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    (issue / "images").mkdir()
    (issue / "images" / "photo.png").symlink_to(outside / "secret.png")
