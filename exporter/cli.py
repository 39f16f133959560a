"""Command line: ``exporter build | validate | new | schema | serve | run | publish``.

Exit codes: 0 success; 1 and 2 are click's (failure, usage); 3 content problems; 4 a renderer failed;
5 the output cannot be published. See :mod:`exporter.errors`.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from exporter.errors import Code, ContentError, ExporterError, RenderError

CONTENT = click.option(
    "--content", "content", type=click.Path(path_type=Path), default=Path("content"), show_default=True,
    help="The content root (publication.yaml and one folder per issue).",
)  # fmt: skip
OUT = click.option(
    "--out", "out", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
    help="The output path the web server serves (a link to the current release).",
)  # fmt: skip


def _parse_options(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, object]:
    from exporter.options import OptionError, parse_options

    try:
        return parse_options(value)
    except OptionError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _option_help() -> str:
    from exporter.options import describe

    return f"A build option as KEY=VALUE (repeatable). {describe()}."


OPTION = click.option(
    "--option", "options", multiple=True, metavar="KEY=VALUE", callback=_parse_options, help=_option_help(),
)  # fmt: skip
JOBS = click.option(
    "--jobs", "-j", "jobs", type=click.IntRange(1, 256), default=None,
    help="Render processes: issues rendered at once, each in a fresh child process. Default: the CPU count.",
)  # fmt: skip


def _networks(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from exporter.serve import parse_networks

    for value in values:
        try:
            parse_networks([value])
        except ValueError as exc:
            raise click.BadParameter(f"{value}: {exc}") from None
    return values


STATUS_FROM = click.option(
    "--status-from", "status_from", multiple=True, metavar="CIDR", callback=_networks,
    help="A network that may read /_status (repeatable; e.g. 10.0.0.0/8, 192.0.2.7; 0.0.0.0/0 and ::/0 for "
    "everyone). Default: loopback only (127.0.0.0/8, ::1). Given, only the networks listed may (add "
    "127.0.0.0/8 to keep loopback); the rest get 403. The client is the TCP peer: forwarding headers only narrow.",
)  # fmt: skip


def _fail(exc: ExporterError) -> None:
    click.echo(str(exc), err=True)
    sys.exit(exc.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="exporter")
def main() -> None:
    """Publish a newspaper issue as a web edition, feeds, OPDS, PDF and EPUB."""


@main.command()
@CONTENT
def validate(content: Path) -> None:
    """Check the content without writing anything; list every problem as file: field: message."""
    from exporter.load import load_content

    try:
        loaded = load_content(content)
    except ContentError as exc:
        _fail(exc)
        return
    problems = list(loaded.problems)
    for problem in problems:
        click.echo(str(problem), err=True)
    for draft in sorted(loaded.drafts, key=lambda i: i.id):
        click.echo(
            f"{draft.id}/issue.yaml: draft: the issue is a draft and is not published; "
            "remove `draft: true` when it is ready",
            err=True,
        )
    valid = sorted([i.id for i in loaded.issues] + [f"{i.id} (draft)" for i in loaded.drafts])
    ids = ", ".join(valid) or "none"
    click.echo(f"{len(valid)} valid issue(s): {ids}; {len(loaded.failed)} invalid")
    if problems:
        sys.exit(ContentError.exit_code)


@main.command()
@CONTENT
@OUT
@click.option(
    "--format", "formats", multiple=True,
    help="Build only these formats (repeatable): pdf, epub, site, feeds, opds. Default: all.",
)  # fmt: skip
@click.option("--now", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), help="Embargo clock (testing).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and problems.")
@click.option(
    "--cache", "cache", type=click.Path(path_type=Path, file_okay=False),
    help="The render cache folder: issues rendered before (here, or by workers) are taken from it, issues "
    "rendered now are kept in it. Share it between machines (NFS) with --broker.",
)  # fmt: skip
@click.option(
    "--broker", "broker", metavar="redis://HOST:PORT/DB",
    help="Render the issues the --cache lacks on `exporter worker` processes through this Redis, then "
    "assemble the edition here.",
)  # fmt: skip
@JOBS
@OPTION
def build(
    content: Path, out: Path, formats: tuple[str, ...], now: datetime | None, quiet: bool, cache: Path | None,
    broker: str | None, jobs: int | None, options: dict[str, object],
) -> None:  # fmt: skip
    """Validate, render what changed and publish the output atomically.

    Progress goes to stderr: on a terminal one line rewritten in place; otherwise one line per issue
    rendered ("done 3/20 issues (…), ETA 0:42"). -q prints neither.
    """
    from exporter.publish import DONE
    from exporter.publish import build as run_build
    from exporter.render import DEFAULT_FORMATS

    if jobs is not None:
        options = dict(options, jobs=jobs)
    tty = sys.stderr.isatty()
    show = not quiet and tty

    def progress(message: str) -> None:
        if show:
            click.echo(f"\r\033[K{message}", err=True, nl=False)
        elif not quiet and message.startswith(DONE):
            click.echo(message, err=True)

    try:
        if broker is not None and cache is None:
            raise click.BadParameter(
                "--broker needs --cache: the workers put what they render there", param_hint="--broker"
            )
        result = run_build(content, out, formats or DEFAULT_FORMATS, now=now, progress=progress, options=options,
                           cache=cache, broker=broker)  # fmt: skip
    except ExporterError as exc:
        if show:
            click.echo("\r\033[K", err=True, nl=False)
        _fail(exc)
        return
    if show:
        click.echo("\r\033[K", err=True, nl=False)
    for issue_id, problems in sorted(result.problems.items()):
        kept = " (last good version kept)" if issue_id in result.kept else " (not published)"
        click.echo(f"issue {issue_id}{kept}:", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
    click.echo(result.summary())
    if result.problems:
        codes = {p.code for problems in result.problems.values() for p in problems}
        sys.exit(RenderError.exit_code if codes == {Code.RENDER_FAILED} else ContentError.exit_code)


@main.command()
@click.option("--broker", "broker", required=True, metavar="redis://HOST:PORT/DB", help="The Redis the builds use.")
@click.option(
    "--cache", "cache", type=click.Path(path_type=Path, file_okay=False),
    help="This machine's path of the render cache, when it is mounted elsewhere than on the building machine.",
)  # fmt: skip
@click.option("--name", help="The worker's name in RQ (default: host and process id).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--heartbeat", default=10, show_default=True, type=click.IntRange(1, 600),
              help="Seconds between the worker's signs of life; a job is retried elsewhere about twice that long "
              "after its worker dies.")  # fmt: skip
def worker(broker: str, cache: Path | None, name: str | None, burst: bool, heartbeat: int) -> None:
    """Render issues for `exporter build --broker` (an RQ worker: one fresh process per issue) into the render
    cache. Needs the content folder and the render cache at the paths the build names (a shared file system)."""
    from exporter.distributed import BrokerError, run_worker

    try:
        run_worker(broker, cache, name=name, burst=burst, heartbeat=heartbeat)
    except BrokerError as exc:
        raise click.BadParameter(str(exc), param_hint="--broker") from None


@main.command()
@click.option("--kind", type=click.Choice(["publication", "issue", "article"]), help="One schema only.")
@click.option("--out-dir", type=click.Path(path_type=Path), help="Write <kind>.schema.json files here.")
def schema(kind: str | None, out_dir: Path | None) -> None:
    """Print (or write) the JSON Schema of publication.yaml, issue.yaml and article front matter."""
    from exporter.schema import KINDS
    from exporter.schema import schema as make

    kinds = [kind] if kind else list(KINDS)
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            text = json.dumps(make(k), ensure_ascii=False, indent=2) + "\n"
            (out_dir / f"{k}.schema.json").write_text(text, "utf-8")
            click.echo(f"wrote {out_dir / f'{k}.schema.json'}")
        return
    doc = make(kinds[0]) if kind else {k: make(k) for k in kinds}
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@main.command()
@CONTENT
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Issue date.")
def new(content: Path, day: datetime) -> None:
    """Start a new issue folder after the latest one (numbers counted on, one sample article)."""
    from exporter.load import declared_numbers as declare_numbers
    from exporter.load import load_content

    try:
        loaded = load_content(content)
    except ContentError as exc:
        _fail(exc)
        return
    issue_date: date = day.date()
    folder = content / issue_date.isoformat()
    if folder.exists():
        raise click.ClickException(f"{folder} exists already")
    # Number after every issue folder, valid or not: a broken issue may be published (its last good
    # version) and a draft will be, so their numbers are taken.
    declared = declare_numbers(content)
    totals = [d.total_number for d in declared if d.total_number is not None]
    total = max(totals) + 1 if totals else 1
    this_year = [d.number for d in declared if d.number is not None and d.date and d.date.year == issue_date.year]
    number = max(this_year) + 1 if this_year else 1
    latest = loaded.issues[0] if loaded.issues else None
    pages = latest.page_count if latest else 8
    folder.mkdir(parents=True)
    (folder / "issue.yaml").write_text(
        "# A draft: never published while `draft: true` is here. Remove that line when the issue is ready.\n"
        "draft: true\n"
        f"date: {issue_date.isoformat()}\nnumber: {number}\ntotal_number: {total}\npage_count: {pages}\n"
        "highlights: []\npages:\n  - number: 1\n    name: 要闻\n    articles: [first-article]\n",
        "utf-8",
    )
    (folder / "first-article.md").write_text(
        "---\nheadline: 标题\ndateline: 本报讯\nauthors: [记者姓名]\n---\n\n正文第一段。\n", "utf-8"
    )
    click.echo(
        f"created {folder} (第{number}期, 总第{total}期) as a draft; edit it, run `exporter validate`, "
        "then remove `draft: true` from its issue.yaml to publish it"
    )


@main.command()
@OUT
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@STATUS_FROM
def serve(out: Path, host: str, port: int, status_from: tuple[str, ...]) -> None:
    """Serve the output folder over HTTP (feeds, OPDS, PDF and EPUB with the right media types)."""
    from exporter.serve import run

    run(out, host=host, port=port, status_from=status_from)


def _s3_target(ctx: click.Context, param: click.Parameter, value: str) -> object:
    from exporter.s3 import Target

    try:
        return Target.parse(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value}: {exc}", ctx=ctx, param=param) from None


@main.command()
@click.option("--to", "target", required=True, metavar="s3://BUCKET/PREFIX", callback=_s3_target,
              help="Where to publish: a bucket and a prefix (folder) in it.")  # fmt: skip
@OUT
@click.option("--dry-run", is_flag=True, help="Print the plan (uploads in order, deletions) and change nothing.")
@click.option("--endpoint-url", metavar="URL",
              help="An S3-compatible service, not AWS (MinIO, R2, OSS, COS…); also AWS_ENDPOINT_URL.")  # fmt: skip
@click.option("--jobs", default=8, show_default=True, type=click.IntRange(1, 64), help="Uploads at the same time.")
@click.option("--verify", is_flag=True,
              help="List the bucket even if its manifest names this release; upload what is missing.")  # fmt: skip
def publish(target: object, out: Path, dry_run: bool, endpoint_url: str | None, jobs: int, verify: bool) -> None:
    """Upload the current release of --out to object storage: new and changed files (the heavy files
    first, the documents pointing at them after), then deletions, then the remote manifest. Credentials
    and region come from the environment or ~/.aws, as for the aws command line."""
    from exporter.s3 import Target, client
    from exporter.s3 import publish as run_publish

    assert isinstance(target, Target)
    try:
        result = run_publish(
            out, target, client(endpoint_url, jobs), dry_run=dry_run, jobs=jobs, verify=verify, echo=click.echo
        )
    except ExporterError as exc:
        _fail(exc)
        return
    click.echo(result.summary())


@main.command("run")
@click.option(
    "--content", "content", type=click.Path(path_type=Path, exists=True, file_okay=False), default=Path("content"),
    show_default=True, help="The content root to watch.",
)  # fmt: skip
@OUT
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--format", "formats", multiple=True, help="Build only these formats (repeatable). Default: all.")
@click.option("--debounce", default=2.0, show_default=True, type=float, help="Seconds of quiet before a rebuild.")
@click.option("--reconcile", default=60.0, show_default=True, type=float, help="Seconds between safety-net rebuilds.")
@click.option("--stop-timeout", default=10.0, show_default=True, type=float,
              help="On SIGTERM, seconds to wait for a build to stop before abandoning it.")  # fmt: skip
@click.option("--access-log", is_flag=True, help="Log every HTTP request (off: the proxy in front logs them).")
@STATUS_FROM
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False))  # fmt: skip
@JOBS
@OPTION
def run_service(
    content: Path, out: Path, host: str, port: int, formats: tuple[str, ...], debounce: float, reconcile: float,
    stop_timeout: float, access_log: bool, status_from: tuple[str, ...], log_level: str, jobs: int | None,
    options: dict[str, object],
) -> None:  # fmt: skip
    """Serve the output and keep it current: build at start-up, rebuild when the content changes, publish
    embargoed issues at their time. Runs until SIGTERM/SIGINT (the same service as schedule.py)."""
    from exporter.render import DEFAULT_FORMATS, get
    from exporter.service import Service, Settings, configure_logging

    if jobs is not None:
        options = dict(options, jobs=jobs)

    formats = formats or DEFAULT_FORMATS
    for name in formats:
        try:
            get(name)
        except (KeyError, ImportError) as exc:
            raise click.BadParameter(f"{name}: {exc}", param_hint="--format") from None
    out_path = Path(out)
    if out_path.exists() and not out_path.is_symlink() and (not out_path.is_dir() or any(out_path.iterdir())):
        raise click.BadParameter(f"{out} exists and is not an exporter output link", param_hint="--out")
    configure_logging(log_level)
    settings = Settings(content, out, formats, host=host, port=port, debounce=debounce, reconcile=reconcile,
                        stop_timeout=stop_timeout, access_log=access_log, status_from=status_from,
                        options=options)  # fmt: skip
    sys.exit(Service(settings).run())


if __name__ == "__main__":  # pragma: no cover
    main()
