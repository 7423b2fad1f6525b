"""`handbook teams`: team figures (DORA, error budgets) from teams/, and getting events in.

A click group registered in cli.py with one line; it only wires: checks, computations and
reports live in check/teams.py, compute/, templates/reports/ and actions/team_import.py."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from .errors import HandbookError
from .repository import find_root
from .safe_text import for_terminal

FORMATS = ("text", "markdown", "json")


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form", param_hint="--today") from None


root_option = click.option("--root", type=click.Path(file_okay=False, exists=True, path_type=Path),
                           help="Handbook repository (default: the nearest folder above with site_config/handbook.yaml).")
today_option = click.option("--today", metavar="YYYY-MM-DD", envvar="HANDBOOK_TODAY",
                            help="Last day of the window (default: today).")
period_option = click.option("--period", metavar="YYYY-Qn", default=None,
                             help="A calendar quarter instead of the last 90 days (settings: teams.window_days).")
format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)


def _progress(message: str) -> None:
    click.echo(f"• {message}", err=True)


def _figures(root: Path | None, today: str | None, period: str | None) -> tuple[Path, Any, Any, Any]:
    from .check.teams import check_teams
    from .compute.teams import catalogue_links, load_bands, parse_period, team_figures

    base = root or find_root(Path.cwd())
    if period is not None:
        try:
            parse_period(period)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
    report = check_teams(base, progress=_progress)
    bands, band_problems = load_bands(base)
    links, link_problems = catalogue_links(base)
    problems = [*report.diagnostics, *band_problems, *link_problems]
    for problem in problems:
        click.echo(for_terminal(f"{problem.file}:{problem.line}:{problem.column}: {problem.severity}: "
                                f"{problem.message} [{problem.code}]"), err=True)
    figures = team_figures(report, _today(today), period, bands, links, progress=_progress)
    failed = any(p.severity == "error" for p in problems)
    return base, figures, bands, (report, failed)


def _emit(base: Path, name: str, fmt: str, data: Any, **context: Any) -> None:
    from .report.commands import render_report, to_json

    if fmt == "json":
        click.echo(to_json(data))
    else:
        click.echo(render_report(base / "site_config" / "templates", name, fmt, **context), nl=False)


@click.group(invoke_without_command=True)
@period_option
@format_option
@root_option
@today_option
@click.pass_context
def teams(ctx: click.Context, period: str | None, fmt: str, root: Path | None, today: str | None) -> None:
    """Team figures: DORA metrics and SLO error budgets computed from teams/<id>/ events.

    Team figures are context for conversations, never a person's score; teams are listed in
    alphabetical order and never ranked. Exit status 1 when a team's files have errors (that team
    is left out; the others are shown)."""
    if ctx.invoked_subcommand is not None:
        return
    from .compute.teams import as_data, main_window

    base, figures, bands, (report, failed) = _figures(root, today, period)
    window = main_window(_today(today), report.settings.window_days, period)
    _emit(base, "teams", fmt, [as_data(f, bands) for f in figures], teams=figures, bands=bands, window=window,
          last_day=window.end - timedelta(days=1), minimum_headcount=report.settings.minimum_headcount)
    if failed:
        raise click.exceptions.Exit(1)


@teams.command()
@click.argument("team")
@period_option
@format_option
@root_option
@today_option
def show(team: str, period: str | None, fmt: str, root: Path | None, today: str | None) -> None:
    """One team in detail: figures with stamps and bands, error budgets, the quarterly trend, terrain, guidance."""
    from .compute.teams import as_data, guidance_text

    base, figures, bands, (report, failed) = _figures(root, today, period)
    found = next((f for f in figures if f.team.id == team), None)
    if found is None:
        known = ", ".join(f.team.id for f in figures) or "none"
        broken = " (its files have errors: see above)" if (base / "teams" / team).is_dir() else ""
        raise HandbookError(f"no team '{team}'{broken}; teams with figures: {known}")
    _emit(base, "team", fmt, as_data(found, bands), tf=found, bands=bands,
          last_day=found.window.end - timedelta(days=1), guidance=guidance_text(report.settings, found.guidance))
    if failed:
        raise click.exceptions.Exit(1)
