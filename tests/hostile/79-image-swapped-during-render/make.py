"""Creates what git cannot hold (see ../README.md)."""

def png(path, size=(8, 8), fmt="PNG"):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 30, 30)).save(path, fmt)


def make(issue, outside):
    png(issue / "images" / "photo.png")
