"""The `handbook` command: wires load → validate → model → render/report together."""

from __future__ import annotations

import sys
from datetime import date
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .report_formats import FORMATS, render
from .repository import find_root
from .validate import Report, validate_repository

ENGINES = ("mkdocs", "zensical")
REPORT_FORMATS = ("text", "markdown", "json")


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form", param_hint="--today") from None


def _root(root: Path | None) -> Path:
    return root or find_root(Path.cwd())


def _workspace(root: Path | None):
    """The handbook and, inside a packets repository, the packets repository (packets.yaml)."""
    from .packets_repo import PacketsRepoError, workspace

    try:
        return workspace(Path.cwd(), root)
    except PacketsRepoError as problem:
        _fail(str(problem))


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _valid(root: Path, today: date | None = None, paths: list[Path] | None = None,
           packets_root: Path | None = None) -> Report:
    """The validated repository; prints the problems and exits 1 when there are errors."""
    report = validate_repository(root, paths, today, packets_root=packets_root)
    if report.errors:
        click.echo(render(report, "text"), err=True)
        _fail("validation failed; fix the errors above first")
    return report


def _emit(root: Path, name: str, fmt: str, value: Any, **context: Any) -> None:
    """A report as JSON, or through its text or Markdown template in site_config/templates/reports/."""
    from .reports import render_report, to_json

    if fmt == "json":
        click.echo(to_json(value))
    else:
        click.echo(render_report(root / "site_config" / "templates", name, fmt, **context), nl=False)


def _progress(message: str) -> None:
    click.echo(f"• {message}", err=True)


root_option = click.option("--root", type=click.Path(file_okay=False, exists=True, path_type=Path),
                           help="Handbook repository (default: the nearest folder above with site_config/handbook.yaml).")
today_option = click.option("--today", metavar="YYYY-MM-DD", envvar="HANDBOOK_TODAY",
                            help="Date used for review deadlines (default: today).")
engine_option = click.option("--engine", type=click.Choice(ENGINES), default="mkdocs", show_default=True,
                             help="Site engine. Zensical, Material's successor, is an extra: pip install '.[zensical]'.")


def format_option(choices: tuple[str, ...] = REPORT_FORMATS):
    return click.option("--format", "fmt", type=click.Choice(choices), default="text", show_default=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handbook")
def main() -> None:
    """Rubrics, levels and promotion packets as validated YAML, published as a handbook."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, json for tools, github for pull-request annotations.")
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. overdue reviews) as errors.")
@click.option("--no-cache", is_flag=True, help="Do not use or fill the content-keyed result cache.")
@root_option
@today_option
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, no_cache: bool, root: Path | None,
             today: str | None) -> None:
    """Validate the whole repository, or just PATHS (still checked against the whole model).

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage error.
    """
    from .cache import ResultCache
    from .history import explain_outdated_packets

    space = _workspace(root)
    root = space.handbook_root
    cache = None if no_cache else ResultCache()
    report = validate_repository(root, list(paths) if paths else None, _today(today), cache=cache,
                                 progress=_progress, packets_root=space.packets_root)
    report = explain_outdated_packets(root, report)
    click.echo(render(report, fmt))
    sys.exit(1 if report.failed(strict) else 0)


@main.command()
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the site (default: site/, or site-internal/ with --include-private).")
@click.option("--include-private", is_flag=True,
              help="Internal build that includes private packets; every page says so. Never publish it.")
@engine_option
@root_option
@today_option
def build(site_dir: Path | None, include_private: bool, engine: str, root: Path | None, today: str | None) -> None:
    """Validate, generate the handbook's pages, build the site and check its links.

    Nothing is written when validation fails, and a failed build leaves the previous site untouched.
    """
    from .publish import BuildError
    from .publish import build as build_site

    space = _workspace(root)
    if space.separate and not include_private:
        _fail("this is a packets repository: `handbook build --include-private` builds its internal site; the "
              "public handbook is built in the handbook repository, which never reads packets")
    root = space.handbook_root
    site_dir = site_dir or space.data_root / ("site-internal" if include_private else "site")
    try:
        result = build_site(root, site_dir, _today(today), include_private, progress=_progress, engine=engine,
                            packets_root=space.packets_root)
    except BuildError as failure:
        if failure.report is not None:
            click.echo(render(failure.report, "text"), err=True)
        _fail(str(failure))
    warnings = len(result.report.warnings)
    click.echo(f"Built {result.pages} pages into {result.site_dir}"
               + (f" ({warnings} validation warning{'s' if warnings != 1 else ''})" if warnings else ""))


@main.command()
@click.option("--dev-addr", "address", default="127.0.0.1:8000", show_default=True, help="Address to serve on.")
@click.option("--include-private", is_flag=True, help="Preview private packets too (never publish this).")
@engine_option
@root_option
@today_option
def serve(address: str, include_private: bool, engine: str, root: Path | None, today: str | None) -> None:
    """Live preview: editing YAML under rubrics/, levels/, packets/ or a template regenerates the
    pages and reloads the browser."""
    from .publish import BuildError, require_engine
    from .serve import serve as run_server

    try:
        require_engine(engine)
    except BuildError as problem:
        _fail(str(problem))
    sys.exit(run_server(_root(root), address, _today(today), include_private, click.echo, engine=engine))


@main.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option()
@root_option
@today_option
def readiness(packet: Path, fmt: str, root: Path | None, today: str | None) -> None:
    """The advisory readiness report for PACKET: coverage of the target level's criteria, evidence
    that cites nothing, invisible work, the composite with its breakdown, and reviewer spread."""
    from .readiness import readiness as build_report

    space = _workspace(root)
    root = space.handbook_root
    report = _valid(root, _today(today), [packet], packets_root=space.packets_root)
    try:
        relative = packet.resolve().relative_to(space.data_root.resolve()).as_posix()
    except ValueError:
        raise click.BadParameter(f"{packet} is not inside {space.data_root}", param_hint="PACKET") from None
    found = next((p for p in report.handbook.packets if p.file == relative), None)
    if found is None:
        raise click.BadParameter(f"{packet} is not a packet (packets live under packets/)", param_hint="PACKET")
    result = build_report(report.handbook, found)
    _emit(root, "readiness", fmt, result, report=result)


@main.group()
def new() -> None:
    """Create new files from templates."""


@new.command("packet")
@click.option("--candidate", required=True, help="The candidate's name.")
@click.option("--target", "target", required=True, metavar="LEVEL", help="Target level id, e.g. ic3.")
@click.option("--current", "current", metavar="LEVEL", help="Current level id (default: the level below the target).")
@click.option("--cycle", metavar="CYCLE", help="Review cycle id (default: the open or next cycle).")
@root_option
@today_option
def new_packet(candidate: str, target: str, current: str | None, cycle: str | None, root: Path | None,
               today: str | None) -> None:
    """Write a ready-to-fill packet under packets/CYCLE/, listing the target level's criteria to cite."""
    from .scaffold import ScaffoldError, plan_packet, write_new

    space = _workspace(root)
    root = space.handbook_root
    report = validate_repository(root, today=_today(today), packets_root=space.packets_root)
    if report.handbook.settings is None:
        click.echo(render(report, "text"), err=True)
        _fail("site settings are missing or invalid")
    try:
        packet = plan_packet(report.handbook, root, candidate, target, cycle, current, _today(today))
        if space.separate:
            packet = replace(packet, path=space.data_root / packet.relative)
        write_new(packet)
    except ScaffoldError as problem:
        _fail(str(problem))
    click.echo(f"Created {packet.relative}")
    click.echo(f"Next: fill in the evidence, then run `handbook readiness {packet.relative}`.")


@main.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@format_option()
@root_option
def diff(base: str | None, head: str | None, fmt: str, root: Path | None) -> None:
    """Semantic diff of expectations between git revisions BASE and HEAD.

    Default BASE: the merge-base with main. Default HEAD: the working tree. Suggests the criteria
    version bump (major: new or raised expectation; minor: clarification or removal; patch: wording).
    """
    from .history import GitError, default_base, is_repository, load_revision, load_working_tree
    from .semantic_diff import diff_handbooks

    root = _root(root)
    if not is_repository(root):
        raise click.UsageError(f"{root} is not inside a git repository")
    try:
        base = base or default_base(root)
        before = load_revision(root, base)
        after = load_revision(root, head) if head else load_working_tree(root)
    except GitError as problem:
        raise click.UsageError(f"git: {problem}") from None
    result = diff_handbooks(before, after)
    _emit(root, "diff", fmt, result, diff=result, base_label=base[:10], head_label=head or "working tree")


@main.command()
@format_option()
@click.option("--strict", is_flag=True, help="Exit 1 when anything is overdue (for a scheduled CI job).")
@root_option
@today_option
def governance(fmt: str, strict: bool, root: Path | None, today: str | None) -> None:
    """Every metric and dimension with owner, cadence, last and next review, and status."""
    from .governance import governance_report

    root = _root(root)
    result = governance_report(_valid(root, _today(today)).handbook, _today(today))
    _emit(root, "governance", fmt, result, report=result)
    if strict and result.overdue:
        _fail(f"{len(result.overdue)} overdue: {', '.join(r.id for r in result.overdue)}")


@main.command()
@format_option(("text", "json"))
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the aggregates file the handbook repository publishes (site_config/process-health.json "
                   "there). Cycles already in it keep their figures: each is published once.")
@root_option
@today_option
def stats(fmt: str, export: Path | None, root: Path | None, today: str | None) -> None:
    """Process health: per closed cycle, aggregates over all real packets, with small groups suppressed."""
    from .aggregates import write_export
    from .history import submission_dates
    from .process_health import process_health

    space = _workspace(root)
    day = _today(today)
    report = _valid(space.handbook_root, day, packets_root=space.packets_root)
    health = process_health(report.handbook, submission_dates(space.data_root), day)
    if export is not None:
        try:
            added = write_export(export, health, day)
        except (ValueError, OSError) as problem:
            _fail(f"cannot export to {export}: {problem}")
        click.echo(f"Wrote {export}: {len(added)} newly closed cycle(s) added"
                   + (f" ({', '.join(added)})" if added else "") + "; cycles published before keep their figures.")
        return
    _emit(space.handbook_root, "stats", fmt, health, health=health)


@main.command()
@click.option("--dry-run", is_flag=True, help="Check and say what would be tagged; tag nothing.")
@root_option
def release(dry_run: bool, root: Path | None) -> None:
    """Tag HEAD criteria-v<version> (the version in site settings), refusing a bump smaller than the
    semantic diff since the previous version requires. Packets pinned to it are judged against it."""
    from .release import ReleaseError, make_release, plan_release

    root = _root(root)
    try:
        plan = plan_release(root)
        if not dry_run:
            make_release(root, plan)
    except ReleaseError as problem:
        _fail(str(problem))
    since = (f" ({plan.diff.bump} change since {plan.previous}: {len(plan.diff.changes)} change(s))"
             if plan.diff else " (the first tagged version)")
    click.echo(f"{'Would tag' if dry_run else 'Tagged'} {plan.commit[:10]} as {plan.tag}{since}")
    if not dry_run:
        click.echo(f"Next: git push origin {plan.tag}")


@main.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show coverage before and after; change nothing.")
@root_option
@today_option
def repin(packet: Path, dry_run: bool, root: Path | None, today: str | None) -> None:
    """Move PACKET to the current criteria version, after showing its coverage before and after."""
    from .release import ReleaseError, plan_repin, repinned_text

    space = _workspace(root)
    report = _valid(space.handbook_root, _today(today), [packet], packets_root=space.packets_root)
    relative = packet.resolve().relative_to(space.data_root.resolve()).as_posix()
    found = next((p for p in report.handbook.packets if p.file == relative), None)
    if found is None:
        raise click.BadParameter(f"{packet} is not a packet (packets live under packets/)", param_hint="PACKET")
    plan = plan_repin(report.handbook, found)
    if plan.before_version == plan.after_version:
        click.echo(f"{relative} already pins the current criteria version {plan.after_version}")
        return
    for label, version, cover in (("before", plan.before_version, plan.before), ("after", plan.after_version, plan.after)):
        click.echo(f"{label:6} {version}: {cover.covered} of {cover.total} target-level criteria ({cover.ratio:.0%})")
    new_ids = {r.criterion.id for r in plan.after.rows} - {r.criterion.id for r in plan.before.rows}
    if new_ids:
        click.echo(f"new for {found.target_level}: {', '.join(sorted(new_ids))}")
    if dry_run:
        return
    try:
        packet.write_text(repinned_text(packet.read_text("utf-8"), plan.after_version), "utf-8")
    except ReleaseError as problem:
        _fail(f"{relative}: {problem}")
    click.echo(f"{relative} now pins {plan.after_version}")


@main.group()
def init() -> None:
    """Create a new repository from a skeleton."""


@init.command("packets")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--handbook", "handbook", required=True, metavar="URL",
              help="The handbook repository: a git URL, or a path (used as it is, no network).")
@click.option("--ref", default=None, help="Branch, tag or commit of the handbook (default: its default branch).")
def init_packets(directory: Path, handbook: str, ref: str | None) -> None:
    """Scaffold a packets repository in DIRECTORY: packets.yaml naming the handbook, a README on the
    access model, a CI workflow, a pull-request template and a .gitignore."""
    from .packets_repo import PacketsRepoError, init_packets as scaffold

    directory.mkdir(parents=True, exist_ok=True)
    try:
        written = scaffold(directory, handbook, ref)
    except PacketsRepoError as problem:
        _fail(str(problem))
    for name in written:
        click.echo(f"Created {(directory / name).as_posix()}")
    click.echo("Next: make it a private git repository readable only by the promotion committee, then "
               "`handbook new packet` inside it.")


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 if .github/CODEOWNERS is not current; write nothing.")
@root_option
def codeowners(check: bool, root: Path | None) -> None:
    """Write .github/CODEOWNERS from the owners named in rubrics, metrics and site settings."""
    from .codeowners import PATH, render_codeowners

    root = _root(root)
    expected = render_codeowners(_valid(root).handbook)
    target = root / PATH
    current = target.read_text("utf-8") if target.is_file() else None
    if check:
        if current != expected:
            _fail(f"{PATH} is out of date: run `handbook codeowners`")
        click.echo(f"{PATH} is current")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(expected, "utf-8")
    click.echo(f"Wrote {PATH}")


if __name__ == "__main__":  # pragma: no cover
    main()
