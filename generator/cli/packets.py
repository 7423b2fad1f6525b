"""Commands on packets: new packet, readiness, stats."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import emit, fail, format_option, parse_today, root_option, today_option, workspace

if TYPE_CHECKING:
    from ..compute.readiness import ReadinessReport
    from ..model.handbook import Handbook
    from ..workspace.workspace import Workspace


@click.group()
def new() -> None:
    """Create new files from templates."""


@new.command("packet")
@click.option("--candidate", required=True, help="The candidate's name.")
@click.option("--target", "target", required=True, metavar="LEVEL", help="Target level id, e.g. ic3.")
@click.option("--current", "current", metavar="LEVEL", help="Current level id (default: the level below the target).")
@click.option("--cycle", metavar="CYCLE", help="Review cycle id (default: the open or next cycle).")
@click.option(
    "--track",
    "track",
    metavar="TRACK",
    help="The track the packet moves on (default: the target's track "
    "that holds the current level, else an allowed track change).",
)
@root_option
@today_option
def new_packet(
    candidate: str,
    target: str,
    current: str | None,
    cycle: str | None,
    track: str | None,
    root: Path | None,
    today: str | None,
) -> None:
    """Write a ready-to-fill packet under packets/CYCLE/, listing the target level's criteria to cite."""
    from ..actions.scaffold import plan_packet, write_new

    space = workspace(root, today)
    packet = plan_packet(
        space.with_settings, space.root, candidate, target, cycle, current, space.today, track, space.data_root
    )
    if space.packets_root is not None:
        packet = replace(packet, path=space.data_root / packet.relative)
    write_new(packet)
    click.echo(f"Created {packet.relative}")
    click.echo(f"Next: fill in the evidence, then run `handbook readiness {packet.relative}`.")


@click.command()
@click.argument("packet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option()
@root_option
@today_option
def readiness(packet: Path, fmt: str, root: Path | None, today: str | None) -> None:
    """The advisory readiness report for PACKET: coverage of the target level's criteria, evidence
    that cites nothing, invisible work, the composite with its breakdown, and reviewer spread."""
    from ..compute.readiness import readiness as build_report
    from ..report.validation import render

    space = workspace(root, today, [packet])
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
        fail(f"{relative} could not be read, so there is no readiness report yet; fix the problems above")
    result = build_report(report.handbook, found, tuple(d for d in report.diagnostics if d.file == relative))
    result = with_team_signals(result, report.handbook, space)  # after the report is computed: context, never an input
    emit(space.root, "readiness", fmt, result, report=result)
    if report.errors:
        raise click.exceptions.Exit(1)  # the report was printed: errors first, then what could still be computed


@click.command()
@format_option(("text", "json"))
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the aggregates file the handbook repository publishes (site_config/process-health.json "
    "there). Cycles already in it keep their figures: each is published once.",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A cycle manifest naming several packets repositories: their packets are counted together.",
)
@root_option
@today_option
def stats(fmt: str, export: Path | None, manifest: Path | None, root: Path | None, today: str | None) -> None:
    """Process health: per closed cycle, aggregates over all real packets, with small groups suppressed."""
    from ..compute.aggregates import write_export
    from ..compute.process_health import impossible_durations, process_health
    from ..model.safe_text import for_terminal
    from ..workspace.manifest import combine

    if manifest is not None:
        combined = combine(manifest, parse_today(today))
        dates = {file: day for space in combined.spaces for file, day in space.submission_dates.items()}
        key = b" ".join(sorted(space.group_key for space in combined.spaces))
        health = process_health(combined.handbook, dates, combined.spaces[0].today, group_key=key)
        space, handbook = combined.spaces[0], combined.handbook
    else:
        space = workspace(root, today)
        computed = space.site_aggregates(include_private=True)
        assert computed is not None  # computed live from the packets, never read from a file
        health, handbook, dates = computed, space.handbook, dict(space.submission_dates)
    for warning in impossible_durations(handbook, dates):
        click.echo(f"warning: {for_terminal(warning)}", err=True)
    if export is not None:
        try:
            added = write_export(export, health, space.today)
        except (ValueError, OSError) as problem:
            fail(f"cannot export to {export}: {problem}")
        click.echo(
            f"Wrote {export}: {len(added)} newly closed cycle(s) added"
            + (f" ({', '.join(added)})" if added else "")
            + "; cycles published before keep their figures."
        )
        return
    emit(space.root, "stats", fmt, health, health=health)


def with_team_signals(result: ReadinessReport, hb: Handbook, space: Workspace) -> ReadinessReport:
    """The report with its evidence team signals, computed from the team's events (none: unchanged)."""
    from ..compute.team_signals import packet_signals

    signals = packet_signals(hb, result.packet, space.root, space.today, space.cache)
    return replace(result, team_signals=signals) if signals else result


COMMANDS = (new, readiness, stats)
