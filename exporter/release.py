"""What a build produces, in memory: one :class:`Output` record per file, kept in a :class:`Release`.

Renderers write through :meth:`exporter.render.Job.write`, which asks the release first: a write
outside ``issues/<id>/`` in an issue's render, or a second write to a path already written, is refused
with a :class:`~exporter.errors.RenderError` naming the renderer and the path (as Pelican's writer
refuses to overwrite a file it wrote in the same build). The pipeline hands the records of every
issue (rendered now, or reused and kept, read back from the manifest) to the edition phase, where the
site, the feeds and the OPDS catalog ask the release for an issue's downloads and cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from exporter import paths
from exporter.errors import RenderError

KINDS = ("page", "download", "cover", "thumbnail", "media", "feed", "catalog", "asset")


@dataclass(frozen=True)
class Output:
    """One file of the release: where, its media type, the issue it belongs to, what it is for."""

    path: str  # relative to the output root, a public URL path (see exporter.paths)
    media_type: str
    issue: str | None  # the issue whose render wrote it; None for the edition's files
    kind: str  # one of KINDS; "download": a whole-issue file (PDF, EPUB) the pages, feeds and OPDS offer
    label: str = ""  # what a reader is shown for a download ("PDF 版")
    renderer: str = ""

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k != "issue"}

    @classmethod
    def from_json(cls, issue: str | None, data: dict[str, str]) -> Output:
        return cls(
            data["path"], data["media_type"], issue, data["kind"], data.get("label", ""), data.get("renderer", "")
        )


def default_kind(rel: str) -> tuple[str, str]:
    """(kind, label) of a file written without saying: what its public path is for."""
    issue = paths.issue_of(rel)
    if issue is not None:
        name = rel[len(paths.issue_dir(issue)) :]
        if rel == paths.pdf(issue):
            return "download", "PDF 版"
        if rel == paths.epub(issue):
            return "download", "EPUB 电子书"
        if name in paths.COVER_NAMES:
            return "cover", ""
        if name in paths.THUMB_NAMES:
            return "thumbnail", ""
        if name.startswith(paths.MEDIA):
            return "media", ""
        return ("page", "") if name.endswith(".html") else ("asset", "")
    if rel.startswith("feeds/") and paths.media_type(rel).endswith(("+xml", "+json", "opml")):
        return "feed", ""
    if rel.startswith("opds/"):
        return "catalog", ""
    return ("page", "") if rel.endswith(".html") else ("asset", "")


class Release:
    """The records of a build, by path; ``order``: renderer names, the order downloads are listed in."""

    def __init__(self, order: Sequence[str] = ()) -> None:
        self.order = {name: n for n, name in enumerate(order)}
        self._outputs: dict[str, Output] = {}
        self._promised: set[str] = set()

    # -- writing -------------------------------------------------------------------------------

    def claim(self, renderer: str, issue: str | None, rel: str) -> None:
        """Refuse ``rel`` before it is written: outside the issue's folder, or written already."""
        if issue is not None and not rel.startswith(paths.issue_dir(issue)):
            raise RenderError(
                f"{renderer}: {rel} is outside {paths.issue_dir(issue)}: an issue's render writes only there "
                "(edition-wide files belong to the edition phase)"
            )
        old = self._outputs.get(rel)
        if old is not None and not (rel in self._promised and old.renderer == renderer):
            raise RenderError(
                f"{renderer}: {rel} was written already in this build (by {old.renderer or 'a renderer'})"
            )

    def add(self, output: Output) -> None:
        self._outputs[output.path] = output
        self._promised.discard(output.path)

    def promise(self, outputs: Iterable[Output]) -> None:
        """Records of files a background render (the PDF) writes later: the pages may link them now."""
        for output in outputs:
            self.claim(output.renderer, output.issue, output.path)
            self._outputs[output.path] = output
            self._promised.add(output.path)

    def drop_issue(self, issue: str) -> None:
        """Forget an issue's records (its render failed; its folder is removed or replaced)."""
        for rel in [rel for rel, o in self._outputs.items() if o.issue == issue]:
            del self._outputs[rel]
            self._promised.discard(rel)

    # -- reading -------------------------------------------------------------------------------

    def __contains__(self, rel: object) -> bool:
        return rel in self._outputs

    def get(self, rel: str) -> Output | None:
        return self._outputs.get(rel)

    def outputs(self, issue: str | None = None) -> list[Output]:
        """Every record, or those of one issue, in the order they were made."""
        return [o for o in self._outputs.values() if issue is None or o.issue == issue]

    def edition_outputs(self) -> list[Output]:
        return [o for o in self._outputs.values() if o.issue is None]

    def downloads(self, issue: str) -> list[Output]:
        """An issue's whole-issue files, in registry order of their renderers (PDF, EPUB, …)."""
        found = [o for o in self.outputs(issue) if o.kind == "download"]
        return sorted(found, key=lambda o: self.order.get(o.renderer, len(self.order)))

    def cover(self, issue: str) -> Output | None:
        return next((o for o in self.outputs(issue) if o.kind == "cover"), None)

    def thumbnail(self, issue: str) -> Output | None:
        return next((o for o in self.outputs(issue) if o.kind == "thumbnail"), None) or self.cover(issue)
