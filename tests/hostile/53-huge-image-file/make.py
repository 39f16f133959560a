"""Creates what git cannot hold (see ../README.md)."""

def make(issue, outside):
    (issue / "images").mkdir()
    with open(issue / "images" / "big.png", "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(25 * 1024 * 1024)
