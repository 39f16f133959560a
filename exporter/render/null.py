"""The null renderer: the whole renderer contract in one screen, used by pipeline and scheduler tests.

It writes one small text file per issue and one for the edition, so tests can see which issues a
build rendered without paying for WeasyPrint or EPUBCheck.
"""

from __future__ import annotations

from exporter.render import Base, Job, Output


class NullRenderer(Base):
    name = "null"

    def render_issue(self, job: Job) -> list[Output]:
        assert job.issue is not None
        lines = [job.issue.id, job.issue.title_text, *(a.headline for a in job.issue.articles)]
        return [job.write(f"{job.issue.dir}null.txt", "\n".join(lines) + "\n", "asset", "")]

    def render_edition(self, job: Job) -> list[Output]:
        ids = "\n".join(issue.id for issue in job.issues)
        return [job.write("null.txt", f"{job.publication.title}\n{ids}\n", "asset", "")]
