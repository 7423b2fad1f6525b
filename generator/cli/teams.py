"""`handbook teams`: team figures (DORA, error budgets) from teams/, and getting events in.

Wiring only: checks, computations and reports live in check/teams.py, compute/, templates/reports/
and actions/team_import.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from ..model.errors import HandbookError
from ..model.safe_text import for_terminal
from .common import emit as _emit
from .common import format_option, handbook_root, root_option, today_option
from .common import parse_today as _today
from .common import say as _progress

no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Read every team's files again, even those unchanged since a clean run (the content-keyed result cache).",
)
period_option = click.option(
    "--period",
    metavar="YYYY-Qn",
    default=None,
    help="A calendar quarter instead of the last 90 days (settings: teams.window_days).",
)


def _figures(
    root: Path | None, today: str | None, period: str | None, no_cache: bool = False
) -> tuple[Path, Any, Any, Any]:
    from ..check.teams import check_teams
    from ..compute.teams import catalogue_links, check_windows, load_bands, parse_period, team_figures

    base = handbook_root(root)
    if period is not None:
        try:
            parse_period(period)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
    from ..load.cache import ResultCache

    report = check_teams(base, progress=_progress, cache=None if no_cache else ResultCache())
    try:  # before any output: a date whose windows leave the calendar Python computes is a usage error
        check_windows(
            _today(today), report.settings.window_days, period, (s.window_days for t in report.teams for s in t.slos)
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period" if period else "--today") from None
    bands, band_problems = load_bands(base)
    links, link_problems = catalogue_links(base)
    problems = [*report.diagnostics, *band_problems, *link_problems]
    for problem in problems:
        click.echo(
            for_terminal(
                f"{problem.file}:{problem.line}:{problem.column}: {problem.severity}: "
                f"{problem.message} [{problem.code}]"
            ),
            err=True,
        )
    figures = team_figures(report, _today(today), period, bands, links, progress=_progress)
    failed = any(p.severity == "error" for p in problems)
    return base, figures, bands, (report, failed)


@click.group(invoke_without_command=True)
@no_cache_option
@period_option
@format_option()
@root_option
@today_option
@click.pass_context
def teams(
    ctx: click.Context, no_cache: bool, period: str | None, fmt: str, root: Path | None, today: str | None
) -> None:
    """Team figures: DORA metrics and SLO error budgets computed from teams/<id>/ events.

    Team figures are context for conversations, never a person's score; teams are listed in
    alphabetical order and never ranked. Exit status 1 when a team's files have errors (that team
    is left out; the others are shown)."""
    if ctx.invoked_subcommand is not None:
        return
    from ..compute.teams import as_data, main_window

    base, figures, bands, (report, failed) = _figures(root, today, period, no_cache)
    window = main_window(_today(today), report.settings.window_days, period)
    _emit(
        base,
        "teams",
        fmt,
        [as_data(f, bands) for f in figures],
        teams=figures,
        bands=bands,
        window=window,
        last_day=window.end - timedelta(days=1),
        minimum_headcount=report.settings.minimum_headcount,
    )
    if failed:
        raise click.exceptions.Exit(1)


@teams.command()
@click.argument("team")
@no_cache_option
@period_option
@format_option()
@root_option
@today_option
def show(team: str, no_cache: bool, period: str | None, fmt: str, root: Path | None, today: str | None) -> None:
    """One team in detail: figures with stamps and bands, error budgets, the quarterly trend, terrain, guidance."""
    from ..actions.team_import import require_team_id
    from ..compute.teams import as_data, guidance_text

    require_team_id(team)
    base, figures, bands, (report, failed) = _figures(root, today, period, no_cache)
    found = next((f for f in figures if f.team.id == team), None)
    if found is None:
        known = ", ".join(f.team.id for f in figures) or "none"
        own = (f"teams/{team}", f"teams/{team}/")
        broken = any(d.file == own[0] or d.file.startswith(own[1]) for d in report.diagnostics)
        why = " (its files have errors: see above)" if broken else f" (there is no folder teams/{team}/)"
        raise HandbookError(f"no team '{team}'{why}; teams with figures: {known}")
    _emit(
        base,
        "team",
        fmt,
        as_data(found, bands),
        tf=found,
        bands=bands,
        last_day=found.window.end - timedelta(days=1),
        guidance=guidance_text(report.settings, found.guidance),
    )
    if failed:
        raise click.exceptions.Exit(1)


@teams.command(name="import")
@click.argument("team")
@click.option(
    "--from",
    "source",
    type=click.Choice(("git-tags", "git-merges", "csv", "github", "gitlab")),
    required=True,
    help="git-tags / git-merges: a git repository (PATH); csv: an export with --map; github / gitlab: a "
    "saved deployments REST response (a JSON file).",
)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--pattern",
    default=None,
    help="git-tags: a glob of tag names (e.g. 'v*'); git-merges: a regular expression the merge subject must match.",
)
@click.option(
    "--branch", default="main", show_default=True, help="git-merges: the branch whose merges are deployments."
)
@click.option("--service", default=None, help="The service deployed (default: the team's only service).")
@click.option("--environment", default="production", show_default=True, help="git: the environment deployed to.")
@click.option(
    "--kind",
    type=click.Choice(("deployments", "incidents")),
    default="deployments",
    show_default=True,
    help="csv: what the rows are.",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="csv: which column holds a field (repeat: --map id='Deploy ID' --map finished_at=Finished).",
)
@root_option
def import_events(
    team: str,
    source: str,
    path: Path,
    pattern: str | None,
    branch: str,
    service: str | None,
    environment: str,
    kind: str,
    mapping: tuple[str, ...],
    root: Path | None,
) -> None:
    """Add events to teams/TEAM/ from PATH (idempotent: the same source twice gives the same file).

    TEAM is a team's id: the name of its folder under teams/. Never reads or writes who did something:
    no author, committer, creator or user."""
    from ..actions import team_import as imports
    from ..load.loader import load_file

    base = handbook_root(root)
    folder = imports.team_folder(base, team)
    if kind == "incidents" and source != "csv":
        raise click.UsageError("only --from csv imports incidents")
    loaded = load_file(folder / "team.yaml", f"teams/{team}/team.yaml")
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        raise HandbookError(
            f"teams/{team}/team.yaml is missing or broken: create the team first (name, owner, services, headcount)"
        )
    services = loaded.document.data.get("services") or []
    chosen = service or (services[0] if isinstance(services, list) and len(services) == 1 else None)
    if chosen is None:
        raise click.UsageError(f"the team owns {len(services)} services: name one with --service")
    if (folder / f"{kind}.csv").exists():
        raise HandbookError(
            f"teams/{team}/{kind}.csv exists: imports write {kind}.jsonl; convert or remove the CSV first"
        )
    records = _imported(imports, source, path, pattern, branch, str(chosen), environment, mapping)
    event_kind = "incident" if kind == "incidents" else "deployment"
    done = imports.write_events(folder / f"{kind}.jsonl", event_kind, records, _progress)
    click.echo(f"teams/{team}/{kind}.jsonl: {done.added} added, {done.updated} updated, {done.unchanged} unchanged")


def _imported(
    imports: ModuleType,
    source: str,
    path: Path,
    pattern: str | None,
    branch: str,
    chosen: str,
    environment: str,
    mapping: tuple[str, ...],
) -> list[Any]:
    """The events PATH holds, read by the reader for --from."""
    if source == "git-tags":
        return list(imports.from_git_tags(path, pattern or "*", chosen, environment, _progress))
    if source == "git-merges":
        return list(imports.from_git_merges(path, branch, pattern, chosen, environment, _progress))
    if source == "csv":
        fields = {}
        for pair in mapping:
            field, equals, column = pair.partition("=")
            if not equals:
                raise click.BadParameter(f"'{pair}' is not FIELD=COLUMN", param_hint="--map")
            fields[field.strip()] = column
        return list(imports.from_csv(path, fields, {} if "service" in fields else {"service": chosen}))
    reader = imports.from_github if source == "github" else imports.from_gitlab
    return list(reader(imports.read_json(path), chosen, str(path)))


COMMANDS = (teams,)
