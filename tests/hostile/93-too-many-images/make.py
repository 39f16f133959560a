"""Creates what git should not store (see ../README.md)."""


def make(issue, outside):
    text = (issue / "story.md").read_text("utf-8")
    images = "images:\n" + "".join(f"- file: images/p{n}.png\n  alt: 图{n}\n" for n in range(21))
    (issue / "story.md").write_text(text.replace("authors:\n", images + "authors:\n", 1), "utf-8")
