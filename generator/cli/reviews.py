"""The committee's and reviewers' commands: review, calibrate, reveal."""

from __future__ import annotations

from pathlib import Path

import click

from .common import Pairs, emit, fail, format_option, identity_option, packet_in, root_option, today_option, workspace


@click.command()
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
    from ..actions.reviews import file_text, review_body, seal, valid_reviewer_id, write_new
    from ..check.reviews import check_document, content_from, content_problems, review_file
    from ..model.handbook import Review

    if not valid_reviewer_id(reviewer):
        raise click.BadParameter("use lowercase letters, digits and single hyphens, e.g. 'grace-hopper'",
                                 param_hint="--reviewer")
    space = workspace(root, today, [packet], packets=False)
    day, hb = space.today, space.handbook
    found = packet_in(space, packet)
    process = hb.settings.review_process
    body = review_body(space.root, source, ratings, notes, met, not_met, counterexamples, process.sealing)
    relative = review_file(found.file, reviewer)
    header = {"reviewer": reviewer, "packet": found.slug, "date": day.isoformat()}
    problems = check_document({**header, **body}, relative)
    if not problems:
        problems = list(content_problems(hb, found, Review(reviewer=reviewer, packet=found.slug, date=header["date"],
                                                           file=relative, content=content_from(body))))
    if problems:
        for d in problems:
            click.echo(f"{d.file}: {d.json_path}: {d.severity}: {d.message} [{d.code}]", err=True)
        fail("the review was not written; fix the problems above")
    if process.sealing:
        text = file_text(relative, header, armored=seal(body, (r for _, r in process.committee)))
    else:
        text = file_text(relative, header, body)
    write_new(space.root / relative, text, replace_existing)
    sealed = f", sealed to {len(process.committee)} committee member(s)" if process.sealing else ""
    click.echo(f"Wrote {relative}{sealed}")


@click.command()
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
    from ..actions.reviews import open_cycle
    from ..compute.calibration import calibrate as build_view

    space = workspace(root, today, packets=False)
    if level is not None and space.handbook.level(level) is None:
        raise click.BadParameter(f"unknown level '{level}'", param_hint="--level")
    view = build_view(open_cycle(space.handbook, cycle, identity), cycle, level)
    emit(space.root, "calibration", fmt, view, cal=view)


@click.command()
@click.argument("cycle")
@identity_option
@root_option
@today_option
def reveal(cycle: str, identity: Path | None, root: Path | None, today: str | None) -> None:
    """After the decision: write the decided packets' sealed reviews of CYCLE in clear, when the
    settings say decisions keep the ratings (review_process.sealing.decisions_keep_ratings)."""
    from ..actions.reviews import reveal_decided

    space = workspace(root, today, packets=False)
    if not space.handbook.settings.review_process.decisions_keep_ratings:
        fail("the settings say decisions do not keep the ratings (review_process.sealing.decisions_keep_ratings "
             "is not true): the reviews stay sealed")
    written, waiting = reveal_decided(space.handbook, cycle, identity, space.root)
    for relative in written:
        click.echo(f"Revealed {relative}")
    if not written:
        click.echo(f"No sealed review of a decided packet in cycle {cycle}")
    for file in waiting:
        click.echo(f"Still sealed: reviews of {file} (no decision yet)")


COMMANDS = (review, calibrate, reveal)
