"""Creates what git cannot hold (see ../README.md)."""

import os

def make(issue, outside):
    os.mkfifo(issue / "extra.md")
