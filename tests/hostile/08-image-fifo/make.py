"""Creates what git cannot hold (see ../README.md)."""

import os

def make(issue, outside):
    (issue / "images").mkdir()
    os.mkfifo(issue / "images" / "pipe.png")
