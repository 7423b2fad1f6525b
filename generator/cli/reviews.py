"""The committee's and reviewers' commands: review, calibrate, reveal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import (
    Pairs,
    emit,
    fail,
    format_option,
    identity_option,
    packet_in,
    parse_today,
    root_option,
    signer,
    signing_key_option,
    today_option,
    workspace,
)

if TYPE_CHECKING:
    from ..compute.calibration import Calibration
    from ..model.handbook import Handbook


@click.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reviewer", required=True, metavar="ID", help="Your reviewer id (lowercase, hyphens); names the file.")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML with ratings, criteria and counterexamples (keep it outside the repository).",
)
@click.option("--rating", "ratings", multiple=True, metavar="DIM=N", help="Rating 1-5 for a dimension.")
@click.option("--note", "notes", multiple=True, metavar="DIM=TEXT", help="Note on a dimension's rating.")
@click.option(
    "--met",
    multiple=True,
    metavar="CRITERION=EVIDENCE,...",
    help="A criterion judged met, with the evidence ids that convinced you.",
)
@click.option(
    "--not-met",
    "not_met",
    multiple=True,
    metavar="CRITERION=EVIDENCE,...",
    help="A criterion judged not met, with the evidence ids that failed to convince you.",
)
@click.option("--counterexample", "counterexamples", multiple=True, metavar="TEXT", help="A documented counterexample.")
@click.option("--replace", "replace_existing", is_flag=True, help="Replace your earlier review of this packet.")
@signing_key_option
@root_option
@today_option
def review(
    packet: Path,
    reviewer: str,
    source: Path | None,
    ratings: Pairs,
    notes: Pairs,
    met: Pairs,
    not_met: Pairs,
    counterexamples: Pairs,
    replace_existing: bool,
    signing_key: Path | None,
    root: Path | None,
    today: str | None,
) -> None:
    """Write your assessment of PACKET as its own file beside it:
    packets/<cycle>/<slug>.reviews/<reviewer>.yaml, signed with your SSH key, then sealed to the
    committee when settings say so.

    No prompt: give the assessment with --from FILE and/or the flags. The --from draft is YAML with
    the keys ratings, criteria and counterexamples (see the README, "Writing a review").
    """
    from ..actions.reviews import in_draft, review_body, signed_review, valid_reviewer_id, write_new
    from ..check.reviews import check_document, content_from, content_problems, packet_digest, review_file, standing
    from ..check.signatures import signature_digest
    from ..model.handbook import Review

    if not valid_reviewer_id(reviewer):
        raise click.BadParameter(
            "use lowercase letters, digits and single hyphens, e.g. 'grace-hopper'", param_hint="--reviewer"
        )
    space = workspace(root, today, [packet])
    day, hb = space.today, space.cycle_handbook
    found = packet_in(space, packet)
    process = hb.settings.review_process
    if found.decision.status in ("promoted", "not-yet", "withdrawn"):
        fail(f"{found.file} is decided ({found.decision.status}): reviews close when the committee decides")
    key = signer(process, reviewer, signing_key)
    refused = standing(process, found, reviewer)
    if refused is not None:
        fail(f"{reviewer} may not review {found.file}, the review would not count: {refused.why}")
    body = review_body(space.data_root, source, ratings, notes, met, not_met, counterexamples, process.sealing)
    relative = review_file(found.file, reviewer)
    header = {
        "reviewer": reviewer,
        "packet": found.slug,
        "date": day.isoformat(),
        "packet_digest": packet_digest(found),
    }
    earlier = next((r for r in found.reviews if r.reviewer == reviewer), None)
    if replace_existing and earlier is not None and earlier.signature is not None:
        header["replaces"] = signature_digest(earlier.signature)  # signed: the version before cannot be put back
    problems = check_document({**header, **body}, relative)
    if not problems:
        problems = list(
            content_problems(
                hb,
                found,
                Review(
                    reviewer=reviewer, packet=found.slug, date=header["date"], file=relative, content=content_from(body)
                ),
            )
        )
    if problems and source is not None:
        problems = in_draft(source, problems)
    if problems:
        for d in problems:
            where = (
                f"{d.file}:{d.line}:{d.column}"
                if source is not None and d.file == str(source)
                else f"{d.file}: {d.json_path}"
            )
            click.echo(f"{where}: {d.severity}: {d.message} [{d.code}]", err=True)
        fail("the review was not written; fix the problems above")
    text = signed_review(relative, found.file, header, body, process, key, space.data_root)
    write_new(space.data_root / relative, text, replace_existing)
    signed = f", signed by {reviewer}'s key" if key is not None else ""
    sealed = f", sealed to {len(process.committee)} committee member(s)" if process.sealing else ""
    click.echo(f"Wrote {relative}{signed}{sealed}")


@click.command()
@click.argument("cycle")
@click.option("--level", metavar="LEVEL", help="Only packets for this target level.")
@format_option()
@identity_option
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A cycle manifest naming several packets repositories, read together.",
)
@root_option
@today_option
def calibrate(
    cycle: str,
    level: str | None,
    fmt: str,
    identity: Path | None,
    manifest: Path | None,
    root: Path | None,
    today: str | None,
) -> None:
    """A cycle's packets for each target level side by side: coverage, composite, gates, every
    reviewer's ratings (2+ point disagreements flagged), evidence found convincing or not,
    counterexamples, and decisions the numbers disagree with. Sealed reviews are opened in memory;
    a review whose signature does not check is shown as unverified and not counted."""
    from ..actions.reviews import open_cycle
    from ..compute.calibration import calibrate as build_view
    from ..workspace.manifest import cycle_space

    hb, _, templates, day = cycle_space(Path.cwd(), root, parse_today(today), manifest)
    if level is not None and hb.level(level) is None:
        raise click.BadParameter(f"unknown level '{level}'", param_hint="--level")
    view = build_view(open_cycle(hb, cycle, identity), cycle, level)
    view = with_team_signals(view, hb, templates.parent.parent, day)  # after: context, never an input
    emit(templates.parent.parent, "calibration", fmt, view, cal=view)


@click.command()
@click.argument("cycle")
@identity_option
@root_option
@today_option
def reveal(cycle: str, identity: Path | None, root: Path | None, today: str | None) -> None:
    """After the decision: write the decided packets' sealed reviews of CYCLE in clear, when the
    settings say decisions keep the ratings (review_process.sealing.decisions_keep_ratings)."""
    from ..actions.reviews import reveal_decided

    space = workspace(root, today)
    if not space.cycle_handbook.settings.review_process.decisions_keep_ratings:
        fail(
            "the settings say decisions do not keep the ratings (review_process.sealing.decisions_keep_ratings "
            "is not true): the reviews stay sealed"
        )
    written, waiting, refused = reveal_decided(space.cycle_handbook, cycle, identity, space.data_root)
    for relative in written:
        click.echo(f"Revealed {relative}")
    for relative, why in refused:
        click.echo(f"Not revealed {relative}: it does not count ({why})")
    if not written:
        click.echo(f"No sealed review of a decided packet in cycle {cycle}")
    for file in waiting:
        click.echo(f"Still sealed: reviews of {file} (no decision yet)")


COMMANDS = (review, calibrate, reveal)


def with_team_signals(view: Calibration, hb: Handbook, root: Path, today: date) -> Calibration:
    """The calibration view with each packet's evidence team signals, computed from the team's events."""
    from ..compute.team_signals import signal_context, signal_views

    packets = [p.packet for lvl in view.levels for p in lvl.packets]
    if not any(e.team_signal for p in packets for e in p.evidence):
        return view
    signals = signal_views(hb, signal_context(root), today, packets)
    levels = tuple(
        replace(lvl, packets=tuple(replace(p, team_signals=signals.get(p.packet.file, ())) for p in lvl.packets))
        for lvl in view.levels
    )
    return replace(view, levels=levels)
