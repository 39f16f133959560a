"""Creates what git should not store (see ../README.md)."""


def make(issue, outside):
    text = (issue / "issue.yaml").read_text("utf-8")
    (issue / "issue.yaml").write_text(text.replace("total_number: 2664", "total_number: " + "9" * 4400), "utf-8")
