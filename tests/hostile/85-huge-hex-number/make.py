"""Creates what git should not store (see ../README.md)."""


def make(issue, outside):
    text = (issue / "issue.yaml").read_text("utf-8")
    (issue / "issue.yaml").write_text(text.replace("number: 12", "number: 0x" + "f" * 5000), "utf-8")
