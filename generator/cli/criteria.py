"""Commands on criteria versions and pull requests: diff, release, repin, comment."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..model.errors import GitError
from .common import emit, fail, format_option, packet_in, root_option, today_option, workspace


@click.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@format_option()
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when site_config/handbook.yaml's criteria_version is not raised "
    "by at least the bump the change needs.",
)
@root_option
@today_option
def diff(base: str | None, head: str | None, fmt: str, check: bool, root: Path | None, today: str | None) -> None:
    """Semantic diff of expectations between git revisions BASE and HEAD.

    Default BASE: the merge-base with main. Default HEAD: the working tree. Suggests the criteria
    version bump (major: new or raised expectation; minor: clarification or removal; patch: wording).
    """
    from ..compute.semantic_diff import diff_handbooks

    space = workspace(root, today, packets=False)
    if not space.in_git:
        raise click.UsageError(f"{space.root} is not inside a git repository")
    try:
        base = base or space.default_base()
        before = space.at_revision(base)
        after = space.at_revision(head)
    except GitError as problem:
        raise click.UsageError(f"git: {problem}") from None
    result = diff_handbooks(before, after)
    emit(space.root, "diff", fmt, result, diff=result, base_label=base[:10], head_label=head or "working tree")
    if check and not result.version_bumped_enough:
        fail(
            f"criteria_version {result.head_version} is not enough for this change: it needs a {result.bump} bump "
            f"from {result.base_version}, to at least {result.suggested_version} (site_config/handbook.yaml)"
        )


@click.command()
@click.option(
    "--platform",
    type=click.Choice(("github", "gitlab")),
    required=True,
    help="Where to post: the pull request (GitHub) or merge request (GitLab) of this CI run.",
)
@click.option("--base", metavar="REV", help="Compare with this revision (default: the merge-base with main).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report here.")
@click.option("--dry-run", is_flag=True, help="Print the report; post nothing.")
@root_option
@today_option
def comment(
    platform: str, base: str | None, output: Path | None, dry_run: bool, root: Path | None, today: str | None
) -> None:
    """Post the readiness of every changed packet and the criteria diff as ONE comment on the pull
    request (or merge request), updated in place on every push. Reads the CI platform's environment
    variables; on a fork, or without a token, the report goes to the job summary or log instead.
    A packet with errors still gets its report: the errors come first."""
    from ..actions.ci_comment import POSTERS, CommentError, comment_body

    space = workspace(root, today, packets=False)
    if not space.in_git:
        raise click.UsageError(f"{space.root} is not inside a git repository")
    try:
        body = comment_body(space, base or space.default_base())
    except GitError as problem:
        raise click.UsageError(f"git: {problem}") from None
    if output is not None:
        from ..load.safe_files import write_exclusive

        write_exclusive(output, body)
    if dry_run:
        click.echo(body, nl=False)
        return
    try:
        outcome = POSTERS[platform](body, os.environ)
    except CommentError as problem:
        click.echo(body, nl=False)
        fail(f"the report could not be posted: {problem}")
    if outcome.action == "printed":
        click.echo(body, nl=False)
    click.echo(f"handbook comment: {outcome.detail}", err=True)


@click.command()
@click.option("--dry-run", is_flag=True, help="Check and say what would be tagged; tag nothing.")
@root_option
@today_option
def release(dry_run: bool, root: Path | None, today: str | None) -> None:
    """Tag HEAD criteria-v<version> (the version in site settings), refusing a bump smaller than the
    semantic diff since the previous version requires. Packets pinned to it are judged against it."""
    from ..actions.release import make_release, plan_release

    space = workspace(root, today, packets=False)
    plan = plan_release(space.root, space.revisions)
    if not dry_run:
        make_release(space.root, plan)
    since = (
        f" ({plan.diff.bump} change since {plan.previous}: {len(plan.diff.changes)} change(s))"
        if plan.diff
        else " (the first tagged version)"
    )
    click.echo(f"{'Would tag' if dry_run else 'Tagged'} {plan.commit[:10]} as {plan.tag}{since}")
    if not dry_run:
        click.echo(f"Next: git push origin {plan.tag}")


@click.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show coverage before and after; change nothing.")
@root_option
@today_option
def repin(packet: Path, dry_run: bool, root: Path | None, today: str | None) -> None:
    """Move PACKET to the current criteria version, after showing its coverage before and after."""
    from ..actions.release import ReleaseError, plan_repin, repinned_text

    space = workspace(root, today, [packet])
    found = packet_in(space, packet)
    plan = plan_repin(space.handbook, found)
    relative = found.file
    if plan.before_version == plan.after_version:
        click.echo(f"{relative} already pins the current criteria version {plan.after_version}")
        return
    for label, version, cover in (
        ("before", plan.before_version, plan.before),
        ("after", plan.after_version, plan.after),
    ):
        click.echo(f"{label:6} {version}: {cover.covered} of {cover.total} target-level criteria ({cover.ratio:.0%})")
    new_ids = {r.criterion.id for r in plan.after.rows} - {r.criterion.id for r in plan.before.rows}
    if new_ids:
        click.echo(f"new for {found.target_level}: {', '.join(sorted(new_ids))}")
    for gone in plan.dropped:
        instead = f"replaced by {', '.join(gone.replaced_by)}" if gone.replaced_by else "dropped, nothing replaces it"
        click.echo(
            f"cited {gone.criterion}: {instead}; evidence citing it stops counting until it cites the new criteria"
        )
    if dry_run:
        return
    try:
        from ..load.loader import MAX_FILE_BYTES
        from ..load.safe_files import read_text, write_exclusive

        write_exclusive(packet, repinned_text(read_text(packet, MAX_FILE_BYTES, what="packet"), plan.after_version))
    except ReleaseError as problem:
        fail(f"{relative}: {problem}")
    click.echo(f"{relative} now pins {plan.after_version}")


COMMANDS = (diff, comment, release, repin)
