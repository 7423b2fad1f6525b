"""The `handbook` command: wires load → validate → model → render/report together."""

from __future__ import annotations

import os
from datetime import date
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, TypeVar

import click

from . import __version__
from .errors import GitError, HandbookError, ValidationFailed
from .model import CheckedHandbook, Packet
from .publish import ENGINES
from .report.validation import FORMATS, render
from .repository import find_root
from .safe_text import for_terminal
from .workspace import Workspace

if TYPE_CHECKING:
    from .packets_repo import Workspace as PacketsPlace
REPORT_FORMATS = ("text", "markdown", "json")
F = TypeVar("F", bound=Callable[..., Any])
Pairs = tuple[str, ...]  # repeated KEY=VALUE options


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form", param_hint="--today") from None


def _root(root: Path | None) -> Path:
    return root or find_root(Path.cwd())


def _place(root: Path | None) -> PacketsPlace:
    """The handbook and, inside a packets repository, the packets repository (packets.yaml)."""
    from .packets_repo import workspace

    return workspace(Path.cwd(), root)


def _space(root: Path | None, today: str | None, paths: list[Path] | None = None, cache: bool = False,
           progress: bool = False, packets: bool = True) -> Workspace:
    """The workspace a command runs in. With `packets`, a packets repository (packets.yaml) is
    found from the working directory or --root; otherwise the nearest handbook is."""
    from .cache import ResultCache

    if packets:
        place = _place(root)
        handbook_root, packets_root = place.handbook_root, place.packets_root
    else:
        handbook_root, packets_root = _root(root), None
    return Workspace(handbook_root, _today(today), packets_root, ResultCache() if cache else None,
                     tuple(paths) if paths is not None else None,
                     progress=_progress if progress else None, warn=_progress if progress else None)


def _fail(message: str) -> NoReturn:
    raise HandbookError(message)


def _emit(root: Path, name: str, fmt: str, value: Any, **context: Any) -> None:
    """A report as JSON, or through its text or Markdown template in site_config/templates/reports/."""
    from .report.commands import render_report, to_json

    if fmt == "json":
        click.echo(to_json(value))
        return
    click.echo(render_report(root / "site_config" / "templates", name, fmt, **context), nl=False)


def _progress(message: str) -> None:
    click.echo(f"• {message}", err=True)


root_option = click.option("--root", type=click.Path(file_okay=False, exists=True, path_type=Path),
                           help="Handbook repository (default: the nearest folder above with site_config/handbook.yaml).")
today_option = click.option("--today", metavar="YYYY-MM-DD", envvar="HANDBOOK_TODAY",
                            help="Date used for review deadlines (default: today).")
engine_option = click.option("--engine", type=click.Choice(ENGINES), default="mkdocs", show_default=True,
                             help="Site engine. Zensical, Material's successor, is an extra: pip install '.[zensical]'.")


def format_option(choices: tuple[str, ...] = REPORT_FORMATS) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default="text", show_default=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handbook")
def main() -> None:
    """Rubrics, levels and promotion packets as validated YAML, published as a handbook."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, json for tools, github for pull-request annotations, gitlab for a Code "
              "Quality report (merge requests), sarif for code-scanning tools.")
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. overdue reviews) as errors.")
@click.option("--no-cache", is_flag=True, help="Do not use or fill the content-keyed result cache.")
@root_option
@today_option
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, no_cache: bool, root: Path | None,
             today: str | None) -> None:
    """Validate the whole repository, or just PATHS (still checked against the whole model).

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage error.
    """
    space = _space(root, today, list(paths) if paths else None, cache=not no_cache, progress=True)
    report = space.explained_report
    click.echo(render(report, fmt))
    if report.failed(strict):
        raise click.exceptions.Exit(1)


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
    from .publish import build as build_site

    space = _space(root, today, cache=True, progress=True)
    if space.packets_root is not None and not include_private:
        _fail("this is a packets repository: `handbook build --include-private` builds its internal site; the "
              "public handbook is built in the handbook repository, which never reads packets")
    site_dir = site_dir or space.data_root / ("site-internal" if include_private else "site")
    # a BuildError prints the validation report when that is why; exit 2 for a site folder it must not replace
    result = build_site(space, site_dir, include_private, progress=_progress, engine=engine)
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
    pages and reloads the browser. Inside a packets repository, previews its internal site
    (--include-private), each packet against the criteria version it pins."""
    from .cache import ResultCache
    from .publish import require_engine
    from .serve import serve as run_server

    require_engine(engine)
    place = _place(root)
    if place.packets_root is not None and not include_private:
        _fail("this is a packets repository: `handbook serve --include-private` previews its internal site; the "
              "public handbook is previewed in the handbook repository, which never reads packets")
    space = Workspace(place.handbook_root, _today(today), place.packets_root, cache=ResultCache(), warn=click.echo)
    status = run_server(space, address, include_private, click.echo, engine=engine)
    if status:
        raise click.exceptions.Exit(status)


@main.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option()
@root_option
@today_option
def readiness(packet: Path, fmt: str, root: Path | None, today: str | None) -> None:
    """The advisory readiness report for PACKET: coverage of the target level's criteria, evidence
    that cites nothing, invisible work, the composite with its breakdown, and reviewer spread."""
    from .readiness import readiness as build_report

    space = _space(root, today, [packet])
    report = space.report
    try:
        relative = packet.resolve().relative_to(space.data_root.resolve()).as_posix()
    except ValueError:
        raise click.BadParameter(f"{packet} is not inside {space.data_root}", param_hint="PACKET") from None
    found = space.packet(relative)
    if found is None:
        if not relative.startswith("packets/"):
            raise click.BadParameter(f"{packet} is not a packet (packets live under packets/)", param_hint="PACKET")
        click.echo(render(report, "text"), err=True)  # it could not be read at all: its problems are the report
        _fail(f"{relative} could not be read, so there is no readiness report yet; fix the problems above")
    result = build_report(report.handbook, found, tuple(d for d in report.diagnostics if d.file == relative))
    _emit(space.root, "readiness", fmt, result, report=result)
    if report.errors:
        raise click.exceptions.Exit(1)  # the report was printed: errors first, then what could still be computed


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
    from .scaffold import plan_packet, write_new

    space = _space(root, today)
    packet = plan_packet(space.with_settings, space.root, candidate, target, cycle, current, space.today)
    if space.packets_root is not None:
        packet = replace(packet, path=space.data_root / packet.relative)
    write_new(packet)
    click.echo(f"Created {packet.relative}")
    click.echo(f"Next: fill in the evidence, then run `handbook readiness {packet.relative}`.")


@main.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@format_option()
@click.option("--check", is_flag=True, help="Exit 1 when site_config/handbook.yaml's criteria_version is not raised "
              "by at least the bump the change needs.")
@root_option
def diff(base: str | None, head: str | None, fmt: str, check: bool, root: Path | None) -> None:
    """Semantic diff of expectations between git revisions BASE and HEAD.

    Default BASE: the merge-base with main. Default HEAD: the working tree. Suggests the criteria
    version bump (major: new or raised expectation; minor: clarification or removal; patch: wording).
    """
    from .semantic_diff import diff_handbooks

    space = Workspace(_root(root), date.today())
    if not space.in_git:
        raise click.UsageError(f"{space.root} is not inside a git repository")
    try:
        base = base or space.default_base()
        before = space.at_revision(base)
        after = space.at_revision(head)
    except GitError as problem:
        raise click.UsageError(f"git: {problem}") from None
    result = diff_handbooks(before, after)
    _emit(space.root, "diff", fmt, result, diff=result, base_label=base[:10], head_label=head or "working tree")
    if check and not result.version_bumped_enough:
        _fail(f"criteria_version {result.head_version} is not enough for this change: it needs a {result.bump} bump "
              f"from {result.base_version}, to at least {result.suggested_version} (site_config/handbook.yaml)")


def comment_body(root: Path, base: str, today: date) -> str:
    """The pull request's report: validation totals, each changed packet's readiness (its problems
    first), and the semantic diff of the criteria when they changed."""
    from .ci_comment import MARKER
    from .readiness import readiness as build_report
    from .report.commands import render_report
    from .semantic_diff import diff_handbooks

    packets, criteria_changed = Workspace(root, today).changed_since(base)
    space = Workspace(root, today, only=tuple(root / p for p in packets) if packets else None)
    report = space.report
    entries = []
    for file in packets:
        found = space.packet(file)
        problems = tuple(d for d in report.diagnostics if d.file == file)
        entries.append({"file": file, "problems": problems,
                        "report": build_report(report.handbook, found, problems) if found else None})
    diff = diff_handbooks(space.at_revision(base), space.at_revision(None)) if criteria_changed else None
    return render_report(space.templates, "comment", "markdown", marker=MARKER,
                         packets=entries, diff=diff, base_label=base[:10], head_label="this change",
                         errors=len(report.errors), warnings=len(report.warnings), files=report.files_checked)


@main.command()
@click.option("--platform", type=click.Choice(("github", "gitlab")), required=True,
              help="Where to post: the pull request (GitHub) or merge request (GitLab) of this CI run.")
@click.option("--base", metavar="REV", help="Compare with this revision (default: the merge-base with main).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report here.")
@click.option("--dry-run", is_flag=True, help="Print the report; post nothing.")
@root_option
@today_option
def comment(platform: str, base: str | None, output: Path | None, dry_run: bool, root: Path | None,
            today: str | None) -> None:
    """Post the readiness of every changed packet and the criteria diff as ONE comment on the pull
    request (or merge request), updated in place on every push. Reads the CI platform's environment
    variables; on a fork, or without a token, the report goes to the job summary or log instead.
    A packet with errors still gets its report: the errors come first."""
    from .ci_comment import POSTERS, CommentError

    space = _space(root, today, packets=False)
    if not space.in_git:
        raise click.UsageError(f"{space.root} is not inside a git repository")
    try:
        body = comment_body(space.root, base or space.default_base(), space.today)
    except GitError as problem:
        raise click.UsageError(f"git: {problem}") from None
    if output is not None:
        from .load.safe_files import write_exclusive

        write_exclusive(output, body)
    if dry_run:
        click.echo(body, nl=False)
        return
    try:
        outcome = POSTERS[platform](body, os.environ)
    except CommentError as problem:
        click.echo(body, nl=False)
        _fail(f"the report could not be posted: {problem}")
    if outcome.action == "printed":
        click.echo(body, nl=False)
    click.echo(f"handbook comment: {outcome.detail}", err=True)


@main.command()
@format_option()
@click.option("--strict", is_flag=True, help="Exit 1 when anything is overdue (for a scheduled CI job).")
@root_option
@today_option
def governance(fmt: str, strict: bool, root: Path | None, today: str | None) -> None:
    """Every metric and dimension with owner, cadence, last and next review, and status."""
    from .governance import governance_report

    space = _space(root, today, packets=False)
    result = governance_report(space.handbook, space.today)
    _emit(space.root, "governance", fmt, result, report=result)
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
    from .process_health import impossible_durations

    space = _space(root, today)
    health = space.site_aggregates(include_private=True)
    assert health is not None  # computed live from the packets, never read from a file
    for warning in impossible_durations(space.handbook, space.submission_dates):
        click.echo(f"warning: {for_terminal(warning)}", err=True)
    if export is not None:
        try:
            added = write_export(export, health, space.today)
        except (ValueError, OSError) as problem:
            _fail(f"cannot export to {export}: {problem}")
        click.echo(f"Wrote {export}: {len(added)} newly closed cycle(s) added"
                   + (f" ({', '.join(added)})" if added else "") + "; cycles published before keep their figures.")
        return
    _emit(space.root, "stats", fmt, health, health=health)


@main.command()
@click.option("--dry-run", is_flag=True, help="Check and say what would be tagged; tag nothing.")
@root_option
def release(dry_run: bool, root: Path | None) -> None:
    """Tag HEAD criteria-v<version> (the version in site settings), refusing a bump smaller than the
    semantic diff since the previous version requires. Packets pinned to it are judged against it."""
    from .release import make_release, plan_release

    root = _root(root)
    plan = plan_release(root)
    if not dry_run:
        make_release(root, plan)
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

    space = _space(root, today, [packet])
    hb = space.handbook
    found = _packet_in(space, packet)
    relative = found.file
    plan = plan_repin(hb, found)
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
        from .load.safe_files import read_text, write_exclusive
        from .loader import MAX_FILE_BYTES

        write_exclusive(packet, repinned_text(read_text(packet, MAX_FILE_BYTES, what="packet"), plan.after_version))
    except ReleaseError as problem:
        _fail(f"{relative}: {problem}")
    click.echo(f"{relative} now pins {plan.after_version}")


def _packet_in(space: Workspace, packet: Path) -> Packet:
    relative = packet.resolve().relative_to(space.data_root.resolve()).as_posix()
    found = space.packet(relative)
    if found is None:
        raise click.BadParameter(f"{packet} is not a packet (packets live under packets/)", param_hint="PACKET")
    return found


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", param_hint=option)
        pairs.append((key.strip(), rest.strip()))
    return pairs


def _review_body(root: Path, source: Path | None, ratings: Pairs, notes: Pairs, met: Pairs, not_met: Pairs,
                 counterexamples: Pairs, sealing: bool) -> dict[str, Any]:
    from .loader import load_file
    from .reviews import CONTENT_KEYS

    body: dict[str, Any] = {}
    if source is not None:
        if sealing and source.resolve().is_relative_to(root.resolve()):
            _fail(f"{source} is inside the repository: keep your draft outside it, since it holds your review in "
                  "clear and could be committed")
        loaded = load_file(source, str(source))
        if loaded.document is None or any(d.severity == "error" for d in loaded.diagnostics):
            for d in loaded.diagnostics:
                click.echo(f"{d.file}:{d.line}:{d.column}: {d.severity}: {d.message} [{d.code}]", err=True)
            _fail(f"{source} could not be read as YAML")
        data = loaded.document.data
        if not isinstance(data, dict) or not set(data) <= set(CONTENT_KEYS):
            _fail(f"{source} must be a mapping with only these keys: {', '.join(CONTENT_KEYS)}")
        body = dict(data)
    table = dict(body.get("ratings") or {})
    for dim, value in _pairs(ratings, "--rating"):
        if not value.isdigit():
            raise click.BadParameter(f"rating '{value}' for {dim} is not a whole number", param_hint="--rating")
        entry = table[dim] if isinstance(table.get(dim), dict) else {}
        table[dim] = {**entry, "rating": int(value)}
    for dim, text in _pairs(notes, "--note"):
        if dim not in table:
            raise click.BadParameter(f"a note for '{dim}' needs a --rating {dim}=N too", param_hint="--note")
        table[dim] = {**table[dim], "note": text}
    if table:
        body["ratings"] = table
    judged = list(body.get("criteria") or [])
    for option, pairs, judgement, field in (("--met", met, "met", "convincing"),
                                            ("--not-met", not_met, "not-met", "unconvincing")):
        for criterion, ids in _pairs(pairs, option):
            evidence = [i.strip() for i in ids.split(",") if i.strip()]
            judged.append({"criterion": criterion, "judgement": judgement, **({field: evidence} if evidence else {})})
    if judged:
        body["criteria"] = judged
    examples = list(body.get("counterexamples") or []) + [{"description": text} for text in counterexamples]
    if examples:
        body["counterexamples"] = examples
    return body


@main.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reviewer", required=True, metavar="ID", help="Your reviewer id (lowercase, hyphens); names the file.")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML with ratings, criteria and counterexamples (keep it outside the repository).")
@click.option("--rating", "ratings", multiple=True, metavar="DIM=N", help="Rating 1-5 for a dimension.")
@click.option("--note", "notes", multiple=True, metavar="DIM=TEXT", help="Note on a dimension's rating.")
@click.option("--met", multiple=True, metavar="CRITERION=EVIDENCE,...",
              help="A criterion judged met, with the evidence ids that convinced you.")
@click.option("--not-met", "not_met", multiple=True, metavar="CRITERION=EVIDENCE,...",
              help="A criterion judged not met, with the evidence ids that failed to convince you.")
@click.option("--counterexample", "counterexamples", multiple=True, metavar="TEXT", help="A documented counterexample.")
@click.option("--replace", "replace_existing", is_flag=True, help="Replace your earlier review of this packet.")
@root_option
@today_option
def review(packet: Path, reviewer: str, source: Path | None, ratings: Pairs, notes: Pairs, met: Pairs,
           not_met: Pairs, counterexamples: Pairs, replace_existing: bool, root: Path | None, today: str | None) -> None:
    """Write your assessment of PACKET as its own file beside it:
    packets/<cycle>/<slug>.reviews/<reviewer>.yaml, sealed to the committee when settings say so.

    No prompt: give the assessment with --from FILE and/or the flags.
    """
    import re

    from .model import Review
    from .reviews import check_document, content_from, content_problems, file_text, review_file, seal
    from .reviews import write_new as write_review

    root = _root(root)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", reviewer) or len(reviewer) > 64:
        raise click.BadParameter("use lowercase letters, digits and single hyphens, e.g. 'grace-hopper'",
                                 param_hint="--reviewer")
    space = _space(root, today, [packet], packets=False)
    day, hb = space.today, space.handbook
    found = _packet_in(space, packet)
    process = hb.settings.review_process
    body = _review_body(root, source, ratings, notes, met, not_met, counterexamples, process.sealing)
    relative = review_file(found.file, reviewer)
    header = {"reviewer": reviewer, "packet": found.slug, "date": day.isoformat()}
    problems = check_document({**header, **body}, relative)
    if not problems:
        problems = list(content_problems(hb, found, Review(reviewer=reviewer, packet=found.slug, date=header["date"],
                                                                        file=relative, content=content_from(body))))
    if problems:
        for d in problems:
            click.echo(f"{d.file}: {d.json_path}: {d.severity}: {d.message} [{d.code}]", err=True)
        _fail("the review was not written; fix the problems above")
    if process.sealing:
        text = file_text(relative, header, armored=seal(body, (r for _, r in process.committee)))
    else:
        text = file_text(relative, header, body)
    write_review(space.root / relative, text, replace_existing)
    sealed = f", sealed to {len(process.committee)} committee member(s)" if process.sealing else ""
    click.echo(f"Wrote {relative}{sealed}")


def _opened(hb: CheckedHandbook, cycle: str, identity: Path | None) -> CheckedHandbook:
    """The handbook with the cycle's sealed reviews opened in memory (never written)."""
    import dataclasses

    from .reviews import open_packets, read_identities

    if cycle not in hb.settings.cycle_ids:
        raise click.BadParameter(f"unknown review cycle '{cycle}' (known: {', '.join(sorted(hb.settings.cycle_ids))})",
                                 param_hint="CYCLE")
    chosen = [p for p in hb.packets if p.cycle == cycle]
    sealed = sum(p.sealed_reviews for p in chosen)
    if sealed and identity is None:
        _fail(f"{sealed} review(s) of cycle {cycle} are sealed: pass --identity KEYFILE, a committee member's age "
              "identity")
    identities = read_identities(identity) if identity else None
    opened = {p.file: p for p in open_packets(hb, chosen, identities)}
    return dataclasses.replace(hb, packets=tuple(opened.get(p.file, p) for p in hb.packets))


identity_option = click.option("--identity", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                               metavar="KEYFILE", help="A committee member's age identity file (AGE-SECRET-KEY-1...).")


@main.command()
@click.argument("cycle")
@click.option("--level", metavar="LEVEL", help="Only packets for this target level.")
@format_option()
@identity_option
@root_option
@today_option
def calibrate(cycle: str, level: str | None, fmt: str, identity: Path | None, root: Path | None,
              today: str | None) -> None:
    """A cycle's packets for each target level side by side: coverage, composite, gates, every
    reviewer's ratings (2+ point disagreements flagged), evidence found convincing or not,
    counterexamples, and decisions the numbers disagree with. Sealed reviews are opened in memory."""
    from .calibration import calibrate as build_view

    space = _space(root, today, packets=False)
    if level is not None and space.handbook.level(level) is None:
        raise click.BadParameter(f"unknown level '{level}'", param_hint="--level")
    hb = _opened(space.handbook, cycle, identity)
    view = build_view(hb, cycle, level)
    _emit(space.root, "calibration", fmt, view, cal=view)


@main.command()
@click.argument("cycle")
@identity_option
@root_option
@today_option
def reveal(cycle: str, identity: Path | None, root: Path | None, today: str | None) -> None:
    """After the decision: write the decided packets' sealed reviews of CYCLE in clear, when the
    settings say decisions keep the ratings (review_process.sealing.decisions_keep_ratings)."""
    from .load.safe_files import write_exclusive
    from .reviews import body_of, file_text

    space = _space(root, today, packets=False)
    current = space.handbook
    process = current.settings.review_process
    if not process.decisions_keep_ratings:
        _fail("the settings say decisions do not keep the ratings (review_process.sealing.decisions_keep_ratings "
              "is not true): the reviews stay sealed")
    hb = _opened(current, cycle, identity)
    chosen = [p for p in hb.packets if p.cycle == cycle]
    originals = {r.file: r for p in current.packets if p.cycle == cycle for r in p.reviews}
    texts = {r.file: file_text(r.file, {"reviewer": r.reviewer, "packet": r.packet, "date": r.date}, body_of(r.content))
             for p in chosen if p.is_decided for r in p.reviews if originals[r.file].sealed and r.content}
    waiting = [p.file for p in current.packets if p.cycle == cycle and not p.is_decided and p.sealed_reviews]
    for relative, text in texts.items():
        write_exclusive(space.root / relative, text)
        click.echo(f"Revealed {relative}")
    if not texts:
        click.echo(f"No sealed review of a decided packet in cycle {cycle}")
    for file in waiting:
        click.echo(f"Still sealed: reviews of {file} (no decision yet)")


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 if .github/CODEOWNERS or .gitlab/CODEOWNERS is not current; "
              "write nothing.")
@root_option
@today_option
def codeowners(check: bool, root: Path | None, today: str | None) -> None:
    """Write .github/CODEOWNERS (GitHub) and .gitlab/CODEOWNERS (GitLab) from the owners named in
    rubrics, metrics and site settings; CI files, mkdocs.yml, packets.yaml and templates always
    belong to the default owners."""
    from .codeowners import check_or_write

    space = _space(root, today, packets=False)
    click.echo(check_or_write(space.root, space.handbook, check))


@main.command()
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@root_option
@today_option
def lint(fmt: str, root: Path | None, today: str | None) -> None:
    """What this handbook has not written yet (optional parts left out): information, never an error."""
    from .completeness import completeness
    from .report.commands import to_json

    gaps = completeness(_space(root, today, packets=False).handbook)
    if fmt == "json":
        click.echo(to_json(gaps))
        return
    for gap in gaps:
        click.echo(f"{gap.file}: info: {gap.subject}: {', '.join(gap.missing)}")
    click.echo(f"{len(gaps)} part{'s' if len(gaps) != 1 else ''} of the handbook could say more; none of this is an error.")


@main.command(context_settings={"ignore_unknown_options": False})
@click.argument("what", nargs=-1, required=True, metavar="[packets] DIRECTORY")
@click.option("--name", help="Handbook: the organisation's name (default: the folder's name).")
@click.option("--owner", metavar="@ORG/TEAM", help="Handbook: who owns the rubric, a GitHub team, user or e-mail "
              "(default: @<organisation>/handbook-maintainers). Packets repository: the promotion committee, who "
              "own packets.yaml and CI in its CODEOWNERS (default: the handbook's codeowners.packets).")
@click.option("--handbook", "handbook", metavar="URL",
              help="Packets repository: the handbook repository, a git URL or a path (used as it is, no network).")
@click.option("--ref", default=None, help="Packets repository: branch, tag or commit of the handbook.")
@today_option
def init(what: tuple[str, ...], name: str | None, owner: str | None, handbook: str | None, ref: str | None,
         today: str | None) -> None:
    """Start a new repository in DIRECTORY.

    `handbook init DIR`: a blank handbook (one track with two levels, two dimensions, settings with
    the organisation's name, CI workflows, pull-request templates and a README).

    `handbook init packets DIR --handbook URL`: a packets repository for real promotion packets
    (packets.yaml naming the handbook, a README on the access model, CI, a PR template, .gitignore).
    """
    if len(what) == 2 and what[0] == "packets":
        if handbook is None:
            raise click.UsageError("init packets needs --handbook URL (a git URL or a path to the handbook repository)")
        _init_packets(Path(what[1]), handbook, ref, owner)
        return
    if len(what) != 1:
        raise click.UsageError("give one DIRECTORY (a handbook) or `packets DIRECTORY` (a packets repository)")
    if handbook is not None or ref is not None:
        raise click.UsageError("--handbook and --ref belong to `handbook init packets DIR`")
    _init_handbook(Path(what[0]), name, owner, today)


def _init_handbook(directory: Path, name: str | None, owner: str | None, today: str | None) -> None:
    from .starter import plan_init, write_init

    name = name or directory.resolve().name.replace("-", " ").replace("_", " ").title()
    write_init(directory, plan_init(name, _today(today), owner))
    click.echo(f"Created a handbook for {name} in {directory}")
    click.echo(f"Next: cd {directory} && handbook build")


def _init_packets(directory: Path, handbook: str, ref: str | None, owner: str | None) -> None:
    from .packets_repo import init_packets as scaffold
    from .packets_repo import packet_owners

    packet_owners(handbook, owner)  # refuses before anything is created
    directory.mkdir(parents=True, exist_ok=True)
    written = scaffold(directory, handbook, ref, owner)
    for name in written:
        click.echo(f"Created {(directory / name).as_posix()}")
    click.echo("Next: make it a private git repository readable only by the promotion committee, then "
               "`handbook new packet` inside it.")


if __name__ == "__main__":  # pragma: no cover
    main()
