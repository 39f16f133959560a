"""Creates what git cannot hold (see ../README.md)."""

import shutil

def make(issue, outside):
    shutil.copytree(issue, outside / "linked-issue")
    shutil.rmtree(issue)
    issue.symlink_to(outside / "linked-issue", target_is_directory=True)
