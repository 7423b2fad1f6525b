"""The committee's cycle commands: assign, status, decide, appeal, reseal; and `keys new`."""

from __future__ import annotations

from pathlib import Path

import click

from .common import (
    emit,
    format_option,
    identity_option,
    packet_in,
    parse_today,
    root_option,
    say,
    today_option,
    workspace,
)

manifest_option = click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A cycle manifest naming several packets repositories, read together (see the README).",
)


@click.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reviewers", required=True, metavar="ID,ID,...", help="Registered reviewer ids, comma-separated.")
@click.option(
    "--candidate-id",
    metavar="ID",
    help="The candidate's person id, as reviewers are registered "
    "(default: the packet's candidate_id). Recorded with the assignment: the packet is the candidate's.",
)
@click.option("--manager", metavar="ID", help="The candidate's manager's person id (conflict rule `manager`).")
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The cycle manifest: the limit of packets per reviewer counts every repository it names.",
)
@root_option
@today_option
def assign(
    packet: Path,
    reviewers: str,
    candidate_id: str | None,
    manager: str | None,
    manifest: Path | None,
    root: Path | None,
    today: str | None,
) -> None:
    """Record PACKET's reviewers in packets/<cycle>/assignments.yaml. Refused, with every reason,
    when it breaks a conflict rule: no one reviews their own packet, and the settings' rules
    (the candidate's manager, declared conflicts, a limit of packets per reviewer per cycle)."""
    from ..actions.cycle import assign as record

    chosen = [r.strip() for r in reviewers.split(",") if r.strip()]
    if not chosen or len(set(chosen)) != len(chosen):
        raise click.BadParameter(
            "give distinct reviewer ids, e.g. --reviewers ada,grace,linus", param_hint="--reviewers"
        )
    space = workspace(root, today)
    found = packet_in(space, packet)
    from ..actions.reviews import valid_reviewer_id

    for option, value in (("--candidate-id", candidate_id), ("--manager", manager)):
        if value is not None and not valid_reviewer_id(value):
            raise click.BadParameter("use lowercase letters, digits and single hyphens", param_hint=option)
    cycle_hb = space.cycle_handbook
    if manifest is not None:  # the whole cycle's assignments count towards each reviewer's limit
        from ..workspace.manifest import combine

        cycle_hb = combine(manifest, space.today).handbook
        if cycle_hb.packet(found.file) is None:
            raise click.BadParameter(f"{packet} is in none of the repositories {manifest} names", param_hint="PACKET")
    written = record(cycle_hb, space.data_root, found, chosen, space.today.isoformat(), candidate_id, manager)
    click.echo(f"Assigned {', '.join(chosen)} to {found.file} ({written})")


@click.command()
@click.argument("cycle")
@format_option()
@click.option(
    "--post",
    type=click.Choice(("github", "gitlab")),
    default=None,
    help="Also keep the cycle's tracking issue up to date with this table (scheduled CI job).",
)
@manifest_option
@root_option
@today_option
def status(cycle: str, fmt: str, post: str | None, manifest: Path | None, root: Path | None, today: str | None) -> None:
    """Where CYCLE (or `current`: the cycle under way) stands: per packet, assigned reviewers, reviews in (verified or not), reviews
    owed and by whom, the due date and days left, and the decision. Reads no review's content."""
    import os

    from ..actions.ci_comment import post_tracking_issue
    from ..compute.cycle_status import current_cycle, cycle_status
    from ..report.commands import render_report
    from ..workspace.manifest import cycle_space

    hb, origins, templates, day = cycle_space(Path.cwd(), root, parse_today(today), manifest)
    if cycle == "current":
        cycle = current_cycle(hb, day) or cycle
    if cycle not in hb.settings.cycle_ids:
        raise click.BadParameter(
            f"unknown review cycle '{cycle}' (known: {', '.join(sorted(hb.settings.cycle_ids))})", param_hint="CYCLE"
        )
    result = cycle_status(hb, cycle, day, origins)
    emit(templates.parent.parent, "status", fmt, result, st=result)  # emit takes the handbook root
    if post is not None:
        body = render_report(templates, "status", "markdown", st=result)
        outcome = post_tracking_issue(
            post, cycle, f"Promotion cycle {cycle}: reviews and decisions", body, dict(os.environ)
        )
        say(outcome.detail)


@click.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--outcome", required=True, type=click.Choice(("promoted", "not-yet", "withdrawn")))
@click.option("--rationale", required=True, metavar="TEXT", help="Why; when it goes against the numbers, why so.")
@click.option("--feedback", required=True, metavar="TEXT", help="The written feedback the candidate receives.")
@click.option("--effective", metavar="YYYY-MM-DD", help="When the outcome takes effect.")
@click.option(
    "--discussed",
    is_flag=True,
    help="The committee discussed the calibration flag 'numbers and narrative disagree' for this decision.",
)
@identity_option
@root_option
@today_option
def decide(
    packet: Path,
    outcome: str,
    rationale: str,
    feedback: str,
    effective: str | None,
    discussed: bool,
    identity: Path | None,
    root: Path | None,
    today: str | None,
) -> None:
    """Write PACKET's decision block: outcome, date, rationale, feedback. Sealed reviews are opened
    in memory to compare the decision with the numbers; nothing of them is written."""
    from datetime import date

    from ..actions.cycle import decide as write_decision
    from ..actions.cycle import may_decide, numbers_disagree
    from ..actions.reviews import open_cycle

    if effective is not None:
        try:
            effective = date.fromisoformat(effective).isoformat()
        except ValueError:
            raise click.BadParameter(
                f"'{effective}' is not a date in YYYY-MM-DD form", param_hint="--effective"
            ) from None
    space = workspace(root, today, [packet])
    found = packet_in(space, packet)
    hb = space.cycle_handbook
    may_decide(found)
    opens = next((c.opens for c in hb.settings.review_cycles if c.id == found.cycle), None)
    if effective is not None and opens is not None and effective < opens:
        raise click.BadParameter(
            f"{effective} is before cycle {found.cycle} opened ({opens})", param_hint="--effective"
        )
    disagreement = None
    if outcome != "withdrawn":
        opened = open_cycle(hb, found.cycle, identity) if found.reviews else hb
        disagreement = numbers_disagree(opened, opened.packet(found.file) or found, outcome)
    write_decision(
        space.data_root,
        found,
        outcome,
        rationale,
        feedback,
        space.today.isoformat(),
        effective,
        disagreement,
        discussed,
    )
    click.echo(f"Decided {found.file}: {outcome}" + (" (against the numbers, discussed)" if disagreement else ""))


@click.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", metavar="TEXT", help="File an appeal of the decision, with its reason.")
@click.option("--resolve", type=click.Choice(("upheld", "overturned")), help="Resolve the pending appeal.")
@click.option("--rationale", metavar="TEXT", help="With --resolve: why.")
@root_option
@today_option
def appeal(
    packet: Path, reason: str | None, resolve: str | None, rationale: str | None, root: Path | None, today: str | None
) -> None:
    """File an appeal of PACKET's decision (--reason), or resolve it (--resolve upheld|overturned
    --rationale TEXT). Appeals and their outcomes feed the process-health figures."""
    from ..actions.cycle import appeal as file_appeal
    from ..actions.cycle import resolve_appeal

    if (reason is None) == (resolve is None):
        raise click.UsageError("give either --reason TEXT (file an appeal) or --resolve upheld|overturned")
    if resolve is not None and not rationale:
        raise click.UsageError("--resolve needs --rationale TEXT")
    space = workspace(root, today, [packet])
    found = packet_in(space, packet)
    day = space.today.isoformat()
    if reason is not None:
        file_appeal(space.data_root, found, reason, day)
        click.echo(f"Appeal filed for {found.file}")
        return
    assert resolve is not None and rationale is not None
    resolve_appeal(space.data_root, found, resolve, rationale, day)
    click.echo(f"Appeal of {found.file}: {resolve}")


@click.command()
@click.argument("cycle")
@click.option(
    "--identity",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="KEYFILE",
    help="The age identity of a member who can open the reviews now.",
)
@root_option
@today_option
def reseal(cycle: str, identity: Path, root: Path | None, today: str | None) -> None:
    """Re-encrypt CYCLE's sealed reviews to the current committee (after a member joins or leaves).
    Signatures stay valid: the signed content does not change."""
    from ..actions.reviews import reseal as reseal_cycle

    space = workspace(root, today)
    written, left = reseal_cycle(space.cycle_handbook, cycle, identity, space.data_root)
    members = len(space.cycle_handbook.settings.review_process.committee)
    for file in written:
        click.echo(f"Resealed {file}")
    for file, why in left:
        click.echo(f"Left as it is, not resealed: {file} ({why})")
    click.echo(f"{len(written)} review(s) of {cycle} sealed to the {members} current committee member(s)")


@click.group()
def keys() -> None:
    """Key pairs for reviewers (SSH signing keys) and committee members (age keys)."""


@keys.command("new")
@click.option("--reviewer", metavar="ID", help="Make a reviewer's ed25519 SSH signing key for this reviewer id.")
@click.option("--committee", "member", metavar="NAME", help="Make a committee member's age key for this person.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEYFILE",
    help="Where to write the secret key (created 0600; never overwritten). Keep it out of every repository.",
)
def keys_new(reviewer: str | None, member: str | None, out: Path) -> None:
    """Make a key pair, write the secret half to --out and print the line to paste into
    site_config/handbook.yaml."""
    import json

    from ..actions.keys import new_committee_key, new_reviewer_key
    from ..actions.reviews import valid_reviewer_id

    if (reviewer is None) == (member is None):
        raise click.UsageError("give --reviewer ID (a signing key) or --committee NAME (a sealing key)")
    if member is not None and (not member.strip() or not member.isprintable()):
        raise click.BadParameter("give the member's name, e.g. --committee 'Grace Hopper'", param_hint="--committee")
    if reviewer is not None:
        if not valid_reviewer_id(reviewer):
            raise click.BadParameter("use lowercase letters, digits and single hyphens", param_hint="--reviewer")
        line = new_reviewer_key(out, reviewer)
        click.echo(f"Wrote the private signing key to {out} and the public key to {out}.pub")
        click.echo(f"Public key: {line}")
        click.echo("Paste under review_process.reviewers in site_config/handbook.yaml:")
        click.echo(f"    - {{id: {reviewer}, key: {json.dumps(line)}}}")
        click.echo(f"Sign your reviews with: handbook review PACKET --reviewer {reviewer} --signing-key {out}")
        return
    assert member is not None
    recipient = new_committee_key(out)
    click.echo(f"Wrote the age identity (secret) to {out}")
    click.echo(f"Public key: {recipient}")
    click.echo("Paste under review_process.sealing.committee in site_config/handbook.yaml:")
    click.echo(f"      - {{member: {json.dumps(' '.join(member.split()))}, recipient: {recipient}}}")
    click.echo("Then, if reviews are already sealed: handbook reseal CYCLE --identity KEYFILE (a current member's)")


COMMANDS = (assign, status, decide, appeal, reseal, keys)
