"""Team figures: the DORA counts and error budgets of compute/dora.py and compute/error_budget.py,
stamped (catalogue id, definition version, window, n), held back below minimum data, and read
against the shipped (or the organisation's) bands. Pure functions of the checked teams, a day and
settings; nothing here ever takes or gives a person's number."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..check.schema_check import check as schema_errors
from ..check.teams import Slo, Team, TeamSettings, TeamsReport, check_teams
from ..load.cache import ResultCache
from ..load.loader import load_file
from ..model.diagnostics import Diagnostic, error
from .dora import DoraCounts, Window, dora_counts
from .error_budget import BudgetCounts, budget_counts

# Each computation and the version of its definition (README, "Team figures"). A change to a
# definition raises its version; catalogue entries name the computation and the version they describe.
DEFINITIONS: Mapping[str, int] = {
    "deployment-frequency": 1,
    "change-lead-time": 1,
    "change-failure-rate": 1,
    "failed-deployment-recovery-time": 1,
    "time-to-restore": 1,
    "deployment-rework-rate": 1,
    "error-budget": 1,
}
NAMES: Mapping[str, str] = {
    "deployment-frequency": "Deployment frequency",
    "change-lead-time": "Lead time for changes",
    "change-failure-rate": "Change failure rate",
    "failed-deployment-recovery-time": "Failed deployment recovery time",
    "time-to-restore": "Time to restore (incidents)",
    "deployment-rework-rate": "Deployment rework rate",
    "error-budget": "Error budget",
}
DORA_ORDER = (
    "deployment-frequency",
    "change-lead-time",
    "change-failure-rate",
    "failed-deployment-recovery-time",
    "deployment-rework-rate",
    "time-to-restore",
)
PACKAGE_BANDS = Path(__file__).resolve().parent / "data" / "dora-bands.yaml"
ORGANISATION_BANDS = "site_config/dora-bands.yaml"
_PERIOD = re.compile(r"([0-9]{4})-Q([1-4])")


@dataclass(frozen=True)
class Figure:
    """One figure, stamped. `value` is None when there is not enough data (then `insufficient` says why)."""

    computation: str
    metric: str  # the catalogue id that names this computation, else the computation's own name
    name: str
    version: int
    window: Window
    n: int
    unit: str  # "per week" | "share" | "seconds"
    value: float | None
    p90: float | None = None
    notes: tuple[str, ...] = ()
    insufficient: str | None = None
    band: str | None = None


@dataclass(frozen=True)
class Budget:
    slo: str
    title: str
    service: str
    target: float
    method: str
    window: Window
    n: int  # days with counts
    attainment: float | None
    allowed_bad: float | None
    burned: float | None  # 1.0 = the whole budget
    burn_rate_7d: float | None
    insufficient: str | None = None
    version: int = DEFINITIONS["error-budget"]
    metric: str = "error-budget"

    @property
    def exhausted(self) -> bool:
        return self.burned is not None and self.burned >= 1


@dataclass(frozen=True)
class Bands:
    source: str
    year: int
    version: int
    url: str | None
    note: str | None
    metrics: Mapping[str, Any]


@dataclass(frozen=True)
class TeamFigures:
    team: Team
    window: Window
    weeks_covered: int
    figures: tuple[Figure, ...]
    budgets: tuple[Budget, ...]
    trend: tuple[tuple[Window, tuple[Figure, ...]], ...]  # the last four quarters, oldest first
    guidance: str  # budget_exhausted | budget_burning | insufficient | steady
    internal_only: bool  # below the minimum headcount: a team this small is nearly a person

    def figure(self, computation: str) -> Figure | None:
        return next((f for f in self.figures if f.computation == computation), None)


# --- windows ----------------------------------------------------------------------------------------------


def quarter_of(day: date) -> Window:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1)
    return Window(f"{day.year:04d}-Q{(first_month - 1) // 3 + 1}", start, end)


def parse_period(text: str) -> Window:
    """`2026-Q3` as its calendar quarter; raises ValueError for anything else."""
    found = _PERIOD.fullmatch(text.strip())
    if not found:
        raise ValueError(f"'{text}' is not a quarter: write it as YYYY-Qn, e.g. 2026-Q3")
    try:
        return quarter_of(date(int(found.group(1)), 3 * int(found.group(2)), 1))
    except (ValueError, OverflowError):  # year 0, or 9999-Q4 (it ends on 1 January 10000)
        raise ValueError(
            f"'{text.strip()}' is not a quarter the tool can compute: dates run from 0001-Q1 to 9999-Q3"
        ) from None


def main_window(today: date, days: int, period: str | None) -> Window:
    if period:
        return parse_period(period)
    return Window(f"last {days} days", today + timedelta(days=1) - timedelta(days=days), today + timedelta(days=1))


def check_windows(today: date, days: int, period: str | None, slo_days: Iterable[int] = ()) -> None:
    """Raises ValueError (one line) when the window, its quarterly trend or an SLO's window would leave the
    calendar Python computes (years 1 to 9999); and, like parse_period, for a period that is not a quarter."""
    if period:
        parse_period(period)  # its own message for a malformed quarter
    try:
        window = main_window(today, days, period)
        trend_windows(window)
        for length in {*slo_days, days}:
            _ = window.end - timedelta(days=length)
    except (ValueError, OverflowError):
        asked = f"the quarter {period.strip()}" if period else f"{today.isoformat()} as today"
        raise ValueError(
            f"cannot compute figures for {asked}: the window or the year of quarterly trend before it "
            "reaches outside the years 0001-9999 that dates can hold; choose a date well inside them"
        ) from None


def trend_windows(window: Window) -> tuple[Window, ...]:
    """The four calendar quarters ending with the one holding W's last day; a quarter still running ends with W."""
    quarters = [quarter_of(window.end - timedelta(days=1))]
    while len(quarters) < 4:
        quarters.insert(0, quarter_of(quarters[0].start - timedelta(days=1)))
    last = quarters[-1]
    if last.end > window.end:
        quarters[-1] = Window(f"{last.label} (to {window.end - timedelta(days=1)})", last.start, window.end)
    return tuple(quarters)


def weeks_covered(team: Team, window: Window) -> int:
    start = team.coverage_start
    if start is None:
        return 0
    return max(0, (window.end - max(start, window.start)).days) // 7


# --- bands ------------------------------------------------------------------------------------------------


def load_bands(root: Path) -> tuple[Bands | None, list[Diagnostic]]:
    """The organisation's bands (site_config/dora-bands.yaml) or the shipped ones."""
    own = root / ORGANISATION_BANDS
    path, shown = (
        (own, ORGANISATION_BANDS) if own.is_file() else (PACKAGE_BANDS, "generator/compute/data/dora-bands.yaml")
    )
    loaded = load_file(path, shown)
    if loaded.document is None:
        return None, list(loaded.diagnostics)
    problems = list(loaded.diagnostics) + schema_errors(loaded.document, "dora_bands")
    if problems:
        return None, problems
    data = loaded.document.data
    return Bands(data["source"], data["year"], data["version"], data.get("url"), data.get("note"), data["metrics"]), []


def band_of(bands: Bands | None, computation: str, value: float, unit: str) -> str | None:
    spec = bands.metrics.get(computation) if bands else None
    if spec is None:
        return None
    shown = value / 3600 if unit == "seconds" else value
    for row in spec["bands"]:
        bound = row.get("bound")
        if bound is None or (shown >= bound if spec["better"] == "higher" else shown < bound):
            return str(row["band"])
    return None


# --- figures ----------------------------------------------------------------------------------------------


def team_figures(
    report: TeamsReport,
    today: date,
    period: str | None = None,
    bands: Bands | None = None,
    catalogue: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[TeamFigures, ...]:
    """Every checked team's figures for W (and its quarterly trend), alphabetical by name, never ranked."""
    settings = report.settings
    check_windows(today, settings.window_days, period, (s.window_days for t in report.teams for s in t.slos))
    window = main_window(today, settings.window_days, period)
    trend = trend_windows(window)
    teams = report.teams
    if not teams:
        return ()
    if progress and len(teams) >= 20:
        progress(f"Computing figures for {len(teams):,} teams")
    asked = [(t.id, w) for t in teams for w in (window, *trend)]
    counts = dora_counts(teams, asked, settings.production_environments)
    slo_windows = [(t.id, s.name, w) for t in teams for s in t.slos for w in (_slo_window(s, window, period), *trend)]
    budgets = budget_counts(teams, slo_windows)
    links = dict(catalogue or {})
    result = []
    for team in teams:
        figures = dora_figures(
            counts[(team.id, window.label)], window, weeks_covered(team, window), settings, bands, links
        )
        own_budgets = tuple(
            replace(
                _budget(
                    s,
                    _slo_window(s, window, period),
                    budgets[(team.id, s.name, _slo_window(s, window, period).label)],
                    settings,
                ),
                metric=links.get("error-budget", "error-budget"),
            )
            for s in team.slos
        )
        history = tuple(
            (w, dora_figures(counts[(team.id, w.label)], w, weeks_covered(team, w), settings, bands, links))
            for w in trend
        )
        result.append(
            TeamFigures(
                team,
                window,
                weeks_covered(team, window),
                figures,
                own_budgets,
                history,
                guidance_key(figures, own_budgets),
                team.headcount < settings.minimum_headcount,
            )
        )
    return tuple(sorted(result, key=lambda f: (f.team.name.casefold(), f.team.id)))


def _slo_window(slo: Slo, window: Window, period: str | None) -> Window:
    if period:
        return window
    return Window(f"last {slo.window_days} days", window.end - timedelta(days=slo.window_days), window.end)


def dora_figures(
    counts: DoraCounts,
    window: Window,
    covered: int,
    settings: TeamSettings,
    bands: Bands | None,
    catalogue: Mapping[str, str],
) -> tuple[Figure, ...]:
    def stamp(
        computation: str,
        n: int,
        unit: str,
        value: float | None,
        short: str | None,
        p90: float | None = None,
        notes: tuple[str, ...] = (),
        band: bool = True,
    ) -> Figure:
        shown = None if short else value
        return Figure(
            computation,
            catalogue.get(computation, computation),
            NAMES[computation],
            DEFINITIONS[computation],
            window,
            n,
            unit,
            shown,
            None if short else p90,
            notes,
            f"insufficient data (n = {n}; {short})" if short else None,
            band_of(bands, computation, shown, unit) if band and shown is not None else None,
        )

    weeks = (
        None
        if covered >= settings.min_weeks_covered
        else f"{covered} of the {settings.min_weeks_covered} weeks needed covered"
    )
    deployments = weeks or (
        None
        if counts.production >= settings.min_deployments
        else f"at least {settings.min_deployments} production deployments needed"
    )
    lead, recovery, restore = counts.lead_time, counts.recovery, counts.restore
    return (
        stamp(
            "deployment-frequency",
            counts.successful,
            "per week",
            counts.per_week,
            deployments,
            notes=(
                f"median {counts.median_days_per_week:g} days a week with a deployment",
                *_count_note(
                    counts.not_deployed,
                    "deployment failed before reaching production",
                    "deployments failed before reaching production",
                ),
            ),
        ),
        stamp(
            "change-lead-time",
            lead.n,
            "seconds",
            lead.p50,
            weeks or _minimum(lead.n, settings.min_changes, "changes"),
            lead.p90,
            _count_note(
                lead.excluded,
                "change committed after its deployment left out",
                "changes committed after their deployment left out",
            ),
        ),
        stamp(
            "change-failure-rate",
            counts.landed,
            "share",
            _share(counts.failures, counts.landed),
            deployments,
            notes=(f"{counts.failures} of {counts.landed} deployments that reached production",),
        ),
        stamp(
            "failed-deployment-recovery-time",
            recovery.n,
            "seconds",
            recovery.p50,
            weeks or _minimum(recovery.n, settings.min_failures, "recovered failures"),
            recovery.p90,
            _count_note(recovery.open, "failure not recovered yet", "failures not recovered yet"),
        ),
        stamp(
            "deployment-rework-rate",
            counts.successful,
            "share",
            _share(counts.rework, counts.successful),
            deployments,
            notes=(f"{counts.rework} unplanned remediating deployments",),
            band=False,
        ),
        stamp(
            "time-to-restore",
            restore.n,
            "seconds",
            restore.p50,
            weeks or _minimum(restore.n, settings.min_incidents, "resolved incidents"),
            restore.p90,
            _count_note(restore.open, "incident still open", "incidents still open"),
            band=False,
        ),
    )


def _minimum(n: int, needed: int, what: str) -> str | None:
    return None if n >= needed else f"at least {needed} {what} needed"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _count_note(count: int, one: str, many: str) -> tuple[str, ...]:
    if not count:
        return ()
    return (f"{count} {one}",) if count == 1 else (f"{count} {many}",)


def _budget(slo: Slo, window: Window, counts: BudgetCounts, settings: TeamSettings) -> Budget:
    share = counts.days_counted / window.days
    short = (
        None
        if share >= settings.min_slo_days_share and counts.total > 0
        else f"insufficient data (n = {counts.days_counted} days; counts on {settings.min_slo_days_share:.0%} "
        "of the window's days needed)"
    )

    def budget(attainment: float | None, allowed: float | None, burned: float | None, rate: float | None) -> Budget:
        made = (slo.name, slo.title, slo.service, slo.target, slo.method, window, counts.days_counted)
        return Budget(*made, attainment, allowed, burned, rate, insufficient=short)

    if short:
        return budget(None, None, None, None)
    budget_share = 1 - slo.target
    if slo.method == "Timeslices":
        good, total, bad_7, total_7 = counts.good_slices, counts.slices, None, None
    else:
        good, total, bad_7, total_7 = counts.good, counts.total, counts.bad_7, counts.total_7
    allowed = budget_share * total
    burned = (total - good) / allowed if allowed else None
    rate = (bad_7 / total_7) / budget_share if bad_7 is not None and total_7 else None
    return budget(good / total if total else None, allowed, burned, rate)


def guidance_key(figures: Sequence[Figure], budgets: Sequence[Budget]) -> str:
    if any(b.exhausted for b in budgets):
        return "budget_exhausted"
    if any(b.burn_rate_7d is not None and b.burn_rate_7d > 1 for b in budgets):
        return "budget_burning"
    if all(f.value is None for f in figures) and all(b.burned is None for b in budgets):
        return "insufficient"
    return "steady"


DEFAULT_GUIDANCE: Mapping[str, str] = {
    "budget_exhausted": (
        "The error budget is spent. Invest in reliability before new features: make changes "
        "smaller and easier to roll back, reduce each change's blast radius, and fix the top causes "
        "the postmortems name. Do not ask people to work harder or longer: the budget measures the "
        "system, not anyone's effort."
    ),
    "budget_burning": (
        "The error budget is burning faster than it refills this week. Look at what changed recently "
        "and at the riskiest changes in flight; slow down releases that widen the blast radius until "
        "the burn rate is back under 1."
    ),
    "insufficient": (
        "There is not enough data yet to read these figures. Keep recording events; a figure appears "
        "once its minimum is met. Until then, talk about the work, not the numbers."
    ),
    "steady": (
        "Read each figure against the team's own history and its terrain, never against another team. "
        "A change in a figure is a question for the team's retrospective, not a verdict on anyone."
    ),
}


def guidance_text(settings: TeamSettings, key: str) -> str:
    return settings.guidance.get(key) or DEFAULT_GUIDANCE[key]


def catalogue_links(root: Path) -> tuple[dict[str, str], list[Diagnostic]]:
    """Which catalogue metric names which computation (rubrics/metrics/*.yaml `computation`), and every
    entry whose computation is unknown or whose definition version disagrees with the tool's."""
    links: dict[str, str] = {}
    problems: list[Diagnostic] = []
    folder = root / "rubrics" / "metrics"
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        loaded = load_file(path, f"rubrics/metrics/{path.name}")
        data = loaded.document.data if loaded.document else None
        if not isinstance(data, dict) or not isinstance(data.get("computation"), dict):
            continue
        assert loaded.document is not None
        name, version = data["computation"].get("name"), data["computation"].get("version")
        if name not in DEFINITIONS:
            problems.append(
                loaded.document.locate(
                    error(
                        loaded.document.path,
                        "unknown-computation",
                        f"computation '{name}' is not one the tool computes ({', '.join(DEFINITIONS)})",
                        ("computation", "name"),
                    )
                )
            )
        elif version != DEFINITIONS[name]:
            problems.append(
                loaded.document.locate(
                    error(
                        loaded.document.path,
                        "computation-version",
                        f"this entry describes version {version} of "
                        f"'{name}', but the tool computes version {DEFINITIONS[name]}: read the definition in the README "
                        "and update the entry's calculation and version together",
                        ("computation", "version"),
                    )
                )
            )
        elif isinstance(data.get("id"), str):
            links.setdefault(name, data["id"])
    return links, problems


def as_data(figures: TeamFigures, bands: Bands | None) -> dict[str, Any]:
    """One team's figures as plain JSON data: values unrounded (seconds, shares, per week), every stamp."""

    def window(w: Window) -> dict[str, Any]:
        return {"label": w.label, "start": w.start.isoformat(), "end_exclusive": w.end.isoformat()}

    def figure(f: Figure) -> dict[str, Any]:
        return {
            "computation": f.computation,
            "metric": f.metric,
            "name": f.name,
            "definition_version": f.version,
            "window": window(f.window),
            "n": f.n,
            "unit": f.unit,
            "value": f.value,
            "p90": f.p90,
            "band": f.band,
            "insufficient": f.insufficient,
            "notes": list(f.notes),
        }

    team = figures.team
    return {
        "team": {
            "id": team.id,
            "name": team.name,
            "owner": team.owner,
            "headcount": team.headcount,
            "services": list(team.services),
            "terrain": {k: list(v) for k, v in team.terrain.items()},
            "internal_only": figures.internal_only,
        },
        "scope": "team signal: never a person's score",
        "window": window(figures.window),
        "weeks_covered": figures.weeks_covered,
        "figures": [figure(f) for f in figures.figures],
        "error_budgets": [
            {
                "slo": b.slo,
                "title": b.title,
                "service": b.service,
                "target": b.target,
                "method": b.method,
                "metric": b.metric,
                "definition_version": b.version,
                "window": window(b.window),
                "n_days": b.n,
                "attainment": b.attainment,
                "allowed_bad": b.allowed_bad,
                "burned": b.burned,
                "burn_rate_7d": b.burn_rate_7d,
                "insufficient": b.insufficient,
            }
            for b in figures.budgets
        ],
        "trend": [{"window": window(w), "figures": [figure(f) for f in fs]} for w, fs in figures.trend],
        "guidance": figures.guidance,
        "bands": {"source": bands.source, "year": bands.year, "version": bands.version} if bands else None,
    }


@dataclass(frozen=True)
class TeamSite:
    """What the site's team pages show: every checked team's figures, the bands, the guidance texts."""

    teams: tuple[TeamFigures, ...]
    bands: Bands | None
    settings: TeamSettings
    guidance: Mapping[str, str]


def team_site(folder: TeamFolder, today: date) -> TeamSite | None:
    """The team pages' data, or None when the handbook has no teams/ folder (then: no pages, no claims)."""
    if not (folder.root / "teams").is_dir():
        return None
    report = folder.report
    figures = team_figures(report, today, None, folder.bands, folder.links)
    return TeamSite(
        figures, folder.bands, report.settings, {k: guidance_text(report.settings, k) for k in DEFAULT_GUIDANCE}
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    height: float  # 0..1 of the chart's height
    text: str  # the value as printed on the chart (readable without colour)


def trend_chart(figures: TeamFigures) -> tuple[tuple[Figure, tuple[Bar, ...]], ...]:
    """Per DORA figure, one bar per quarter scaled to the largest value; no value: an empty, labelled bar."""
    charts = []
    for computation in DORA_ORDER:
        series = [(w, next(f for f in fs if f.computation == computation)) for w, fs in figures.trend]
        top = max((f.value for _, f in series if f.value is not None), default=0.0) or 1.0
        bars = tuple(Bar(w.label.split(" ")[0], f.value, (f.value or 0.0) / top, show(f)) for w, f in series)
        charts.append((series[-1][1], bars))
    return tuple(charts)


def show(figure: Figure) -> str:
    """A figure's value as short text (the charts print it; pages and reports format through templates)."""
    if figure.value is None:
        return "n/a"
    if figure.unit == "per week":
        return f"{figure.value:.1f}/wk"
    if figure.unit == "share":
        return f"{figure.value:.0%}"
    hours = figure.value / 3600
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


@dataclass(frozen=True)
class TeamFolder:
    """teams/, the bands and the metric catalogue, each read and checked once for a run: validate, the
    team pages and the evidence team signals all need them (a build read them four times over)."""

    root: Path
    report: TeamsReport
    bands: Bands | None
    band_problems: tuple[Diagnostic, ...]
    links: Mapping[str, str]
    catalogue_problems: tuple[Diagnostic, ...]


def read_team_folder(root: Path, cache: ResultCache | None = None) -> TeamFolder:
    report = check_teams(root, cache=cache)
    needs_bands = (root / "teams").is_dir() or (root / ORGANISATION_BANDS).exists()
    bands, band_problems = load_bands(root) if needs_bands else (None, [])
    links, catalogue_problems = catalogue_links(root)
    return TeamFolder(root, report, bands, tuple(band_problems), links, tuple(catalogue_problems))


def team_folder_problems(folder: TeamFolder) -> tuple[list[Diagnostic], int]:
    """What `handbook validate` adds for teams/: every team file's problems, the bands file's (when there
    are teams or an own bands file), and the metric catalogue's computations (each must name a
    computation the tool has, at its version)."""
    report = folder.report
    own_bands = (folder.root / ORGANISATION_BANDS).exists()
    band_problems = list(folder.band_problems) if report.teams or own_bands else []
    return list(report.diagnostics) + band_problems + list(folder.catalogue_problems), report.files_checked
