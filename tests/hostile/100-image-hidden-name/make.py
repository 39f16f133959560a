"""Creates what git cannot hold (see ../README.md)."""


def make(issue, outside):
    from PIL import Image

    (issue / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), (30, 120, 200)).save(issue / "images" / ".photo.png", "PNG")
