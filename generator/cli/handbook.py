"""Commands on the handbook as a whole: init, validate, lint, build, serve, governance, codeowners."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..report.validation import FORMATS

if TYPE_CHECKING:
    from ..actions.tool_source import ToolSource
from .common import emit, engine_option, fail, format_option, parse_today, root_option, say, today_option, workspace


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for pull-request annotations, gitlab for a Code "
    "Quality report (merge requests), sarif for code-scanning tools.",
)
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. overdue reviews) as errors.")
@click.option("--no-cache", is_flag=True, help="Do not use or fill the content-keyed result cache.")
@click.option(
    "--trust-base",
    metavar="REV",
    help="In a pull request: its base commit. Reviews are checked against "
    "the reviewers, keys and conflict rules registered there (packets repository: packets.yaml must be "
    "the base's), so a change cannot choose whose signatures count.",
)
@root_option
@today_option
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    no_cache: bool,
    trust_base: str | None,
    root: Path | None,
    today: str | None,
) -> None:
    """Validate the whole repository, or just PATHS (still checked against the whole model).

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage error.
    """
    import dataclasses

    from ..report.validation import render

    space = workspace(root, today, list(paths) if paths else None, cache=not no_cache, progress=True)
    if trust_base is not None:
        space = dataclasses.replace(space, trusted_base=trust_base)
    report = space.explained_report
    click.echo(render(report, fmt))
    if report.failed(strict):
        raise click.exceptions.Exit(1)


@click.command()
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@root_option
@today_option
def lint(fmt: str, root: Path | None, today: str | None) -> None:
    """What this handbook has not written yet (optional parts left out): information, never an error."""
    from ..check.completeness import completeness
    from ..report.commands import to_json

    gaps = completeness(workspace(root, today, packets=False).handbook)
    if fmt == "json":
        click.echo(to_json(gaps))
        return
    for gap in gaps:
        click.echo(f"{gap.file}: info: {gap.subject}: {', '.join(gap.missing)}")
    click.echo(
        f"{len(gaps)} part{'s' if len(gaps) != 1 else ''} of the handbook could say more; none of this is an error."
    )


@click.command()
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the site (default: site/, or site-internal/ with --include-private).",
)
@click.option(
    "--include-private",
    is_flag=True,
    help="Internal build that includes private packets; every page says so. Never publish it.",
)
@engine_option
@root_option
@today_option
def build(site_dir: Path | None, include_private: bool, engine: str, root: Path | None, today: str | None) -> None:
    """Validate, generate the handbook's pages, build the site and check its links.

    Nothing is written when validation fails, and a failed build leaves the previous site untouched.
    """
    from ..site.publish import build as build_site

    space = workspace(root, today, cache=True, progress=True)
    if space.packets_root is not None and not include_private:
        fail(
            "this is a packets repository: `handbook build --include-private` builds its internal site; the "
            "public handbook is built in the handbook repository, which never reads packets"
        )
    site_dir = site_dir or space.data_root / ("site-internal" if include_private else "site")
    # a BuildError prints the validation report when that is why; exit 2 for a site folder it must not replace
    result = build_site(space, site_dir, include_private, progress=say, engine=engine)
    warnings = len(result.report.warnings)
    click.echo(
        f"Built {result.pages} pages into {result.site_dir}"
        + (f" ({warnings} validation warning{'s' if warnings != 1 else ''})" if warnings else "")
    )


@click.command()
@click.option("--dev-addr", "address", default="127.0.0.1:8000", show_default=True, help="Address to serve on.")
@click.option("--include-private", is_flag=True, help="Preview private packets too (never publish this).")
@engine_option
@root_option
@today_option
def serve(address: str, include_private: bool, engine: str, root: Path | None, today: str | None) -> None:
    """Live preview: editing YAML under rubrics/, levels/, packets/ or a template regenerates the
    pages and reloads the browser. Inside a packets repository, previews its internal site
    (--include-private), each packet against the criteria version it pins."""
    from ..load.cache import ResultCache
    from ..site.publish import require_engine
    from ..site.serve import serve as run_server
    from ..workspace.workspace import Workspace

    require_engine(engine)
    space = Workspace.find(Path.cwd(), root, parse_today(today), cache=ResultCache(), warn=click.echo)
    if space.packets_root is not None and not include_private:
        fail(
            "this is a packets repository: `handbook serve --include-private` previews its internal site; the "
            "public handbook is previewed in the handbook repository, which never reads packets"
        )
    status = run_server(space, address, include_private, click.echo, engine=engine)
    if status:
        raise click.exceptions.Exit(status)


@click.command()
@format_option()
@click.option("--strict", is_flag=True, help="Exit 1 when anything is overdue (for a scheduled CI job).")
@root_option
@today_option
def governance(fmt: str, strict: bool, root: Path | None, today: str | None) -> None:
    """Every metric and dimension with owner, cadence, last and next review, and status."""
    from ..check.governance import governance_report

    space = workspace(root, today, packets=False)
    result = governance_report(space.handbook, space.today)
    emit(space.root, "governance", fmt, result, report=result)
    if strict and result.overdue:
        fail(f"{len(result.overdue)} overdue: {', '.join(r.id for r in result.overdue)}")


@click.command()
@click.option(
    "--check", is_flag=True, help="Exit 1 if .github/CODEOWNERS or .gitlab/CODEOWNERS is not current; write nothing."
)
@root_option
@today_option
def codeowners(check: bool, root: Path | None, today: str | None) -> None:
    """Write .github/CODEOWNERS (GitHub) and .gitlab/CODEOWNERS (GitLab) from the owners named in
    rubrics, metrics and site settings; CI files, mkdocs.yml, packets.yaml and templates always
    belong to the default owners."""
    from ..actions.codeowners import check_or_write

    space = workspace(root, today, packets=False)
    click.echo(check_or_write(space.root, space.handbook, check))


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("what", nargs=-1, required=True, metavar="[packets] DIRECTORY")
@click.option("--name", help="Handbook: the organisation's name (default: the folder's name).")
@click.option(
    "--owner",
    metavar="@ORG/TEAM",
    help="Handbook: who owns the rubric, a GitHub team, user or e-mail "
    "(default: @<organisation>/handbook-maintainers). Packets repository: the promotion committee, who "
    "own packets.yaml and CI in its CODEOWNERS (default: the handbook's codeowners.packets).",
)
@click.option(
    "--handbook",
    "handbook",
    metavar="URL",
    help="Packets repository: the handbook repository, a git URL or a path (used as it is, no network).",
)
@click.option("--ref", default=None, help="Packets repository: branch, tag or commit of the handbook.")
@click.option(
    "--tool-source",
    "tool_source",
    metavar="REQUIREMENT",
    help="The pip requirement CI installs the handbook tool from: 'handbook==X.Y.Z' or "
    "'git+https://...@<commit>' (default: where this installation came from, when CI can reach it).",
)
@today_option
def init(
    what: tuple[str, ...],
    name: str | None,
    owner: str | None,
    handbook: str | None,
    ref: str | None,
    tool_source: str | None,
    today: str | None,
) -> None:
    """Start a new repository in DIRECTORY.

    `handbook init DIR`: a blank handbook (one track with two levels, two dimensions, settings with
    the organisation's name, CI workflows, pull-request templates and a README).

    `handbook init packets DIR --handbook URL`: a packets repository for real promotion packets
    (packets.yaml naming the handbook, a README on the access model, CI, a PR template, .gitignore).
    """
    if len(what) == 2 and what[0] == "packets":
        if handbook is None:
            raise click.UsageError("init packets needs --handbook URL (a git URL or a path to the handbook repository)")
        _init_packets(Path(what[1]), handbook, ref, tool_source, owner)
        return
    if len(what) != 1:
        raise click.UsageError("give one DIRECTORY (a handbook) or `packets DIRECTORY` (a packets repository)")
    if handbook is not None or ref is not None:
        raise click.UsageError("--handbook and --ref belong to `handbook init packets DIR`")
    _init_handbook(Path(what[0]), name, owner, today, tool_source)


def _tool(tool_source: str | None) -> ToolSource:
    from ..actions.tool_source import chosen_tool_source

    tool = chosen_tool_source(tool_source)
    if tool.requirement is None:
        say(
            f"warning: CI cannot install the handbook tool yet ({tool.why}): write its source in requirements.txt, "
            "or run again with --tool-source REQUIREMENT"
        )
    return tool


def _init_handbook(
    directory: Path, name: str | None, owner: str | None, today: str | None, tool_source: str | None
) -> None:
    from ..actions.starter import plan_init, write_init

    name = name or directory.resolve().name.replace("-", " ").replace("_", " ").title()
    write_init(directory, plan_init(name, parse_today(today), owner, _tool(tool_source)))
    click.echo(f"Created a handbook for {name} in {directory}")
    click.echo(f"Next: cd {directory} && handbook build")


def _init_packets(directory: Path, handbook: str, ref: str | None, tool_source: str | None, owner: str | None) -> None:
    from ..actions.packets_init import init_packets, packet_owners

    tool = _tool(tool_source)
    packet_owners(handbook, owner)  # refuses before anything is created
    directory.mkdir(parents=True, exist_ok=True)
    written = init_packets(directory, handbook, ref, tool, owner)
    for name in written:
        click.echo(f"Created {(directory / name).as_posix()}")
    click.echo(
        "Next: make it a private git repository readable only by the promotion committee, then "
        "`handbook new packet` inside it."
    )


COMMANDS = (init, validate, lint, build, serve, governance, codeowners)
