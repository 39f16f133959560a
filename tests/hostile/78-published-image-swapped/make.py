"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    photo = issue / "images" / "kevin-kelly-ai-glasses.png"
    photo.unlink()
    photo.symlink_to(outside / "secret.png")
