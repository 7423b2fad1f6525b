"""Team context for evidence: an evidence item's `team_signal` points at a change in a team figure
between two calendar quarters, and this module computes both figures from the team's committed
events with the team page's own computation (compute/teams.py: stamped, held back below the
minimums). The packet only points; it never supplies a number that is shown or used.

The firewall: nothing here is read by coverage, the composite, a promotion rule or a verdict. Reports
and pages attach these views beside the person's figures after those are computed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from ..check.rules import did_you_mean, evidence_name
from ..check.teams import Team, TeamsReport
from ..check.validate import Loaded
from ..load.cache import ResultCache
from ..model.diagnostics import Diagnostic, error, warning
from ..model.handbook import Evidence, Handbook, Packet, TeamSignal
from .dora import DoraCounts, Window, dora_counts
from .teams import DORA_ORDER, NAMES, Bands, Figure, TeamFolder, dora_figures, parse_period, read_team_folder, show
from .teams import weeks_covered as covered_weeks

COMPUTED = "computed"  # both figures computed from the team's events (each may still say "insufficient data")
UNVERIFIED = "unverified"  # no teams/ folder, or the team's files have errors: a pointer without figures
INVALID = "invalid"  # validate reports why; no figures


@dataclass(frozen=True)
class SignalView:
    """One evidence item's team signal as reports and pages show it: team context, not the person's score."""

    packet_file: str
    evidence_id: str
    evidence_index: int
    team: str  # the id the packet points at
    team_name: str  # the team's name, or its id when the team is not known here
    metric: str  # catalogue id
    metric_name: str
    start: str  # quarter
    end: str
    status: str  # computed | unverified | invalid
    reason: str | None = None  # why there are no figures (unverified, invalid)
    before: Figure | None = None
    after: Figure | None = None
    before_text: str | None = None  # the figure as short text ("3.1 d"), or its "insufficient data (n = …)"
    after_text: str | None = None
    internal_only: bool = False  # a team under the minimum headcount: never on the public site
    terrain_file: str | None = None  # teams/<id>/team.yaml
    terrain: tuple[tuple[str, tuple[str, ...]], ...] = ()
    scope: str = "team context: not this person's score"

    @property
    def team_page(self) -> str:
        """The team's page on the site (written only when the team is published there)."""
        return f"teams/{self.team}.md"


@dataclass(frozen=True)
class SignalContext:
    """What checking and computing team signals needs: the teams as checked, the metric catalogue's
    computations (catalogue id → computation) and the bands. `report` is None without a teams/ folder."""

    report: TeamsReport | None
    team_folders: frozenset[str]
    computations: Mapping[str, str]
    bands: Bands | None


def signal_context(root: Path, cache: ResultCache | None = None) -> SignalContext:
    return context_of(read_team_folder(root, cache))


def context_of(folder: TeamFolder) -> SignalContext:
    """The context from teams/ as read once (compute.teams.read_team_folder); the catalogue's and the
    bands' problems are validate's (compute.teams.team_folder_problems)."""
    computations = {metric: computation for computation, metric in folder.links.items()}
    teams = folder.root / "teams"
    if not teams.is_dir() or teams.is_symlink():
        return SignalContext(None, frozenset(), computations, None)
    names = frozenset(p.name for p in teams.iterdir() if p.is_dir())
    return SignalContext(folder.report, names, computations, folder.bands)


def pointers(packets: Iterable[Packet]) -> Iterator[tuple[Packet, Evidence, TeamSignal]]:
    for packet in packets:
        for evidence in packet.evidence:
            if evidence.team_signal is not None:
                yield packet, evidence, evidence.team_signal


# --- quarters ---------------------------------------------------------------------------------------------


def computable(quarter: str) -> Window | None:
    """The quarter as a window, or None when its days fall outside the calendar Python computes
    (0000-Q1, 9999-Q4: the schema's YYYY-Qn admits them)."""
    try:
        return parse_period(quarter)
    except (ValueError, OverflowError):
        return None


def quarter_window(quarter: str, today: date) -> Window | None:
    """The quarter as a window; a quarter still running ends with today (as the team page's trend);
    None for a quarter that has not started or cannot be computed (validate says which)."""
    window = computable(quarter)
    if window is None:
        return None
    tomorrow = today + timedelta(days=1)
    if window.start >= tomorrow:
        return None
    if window.end > tomorrow:
        return Window(f"{window.label} (to {today})", window.start, tomorrow)
    return window


def _ordinal(quarter: str) -> int:
    year, number = quarter.split("-Q")
    return int(year) * 4 + int(number)


# --- validation -------------------------------------------------------------------------------------------


def signal_problems(hb: Handbook, context: SignalContext, today: date) -> list[Diagnostic]:
    """Every team_signal problem, each at its field (unlocated: the caller locates them in their files)."""
    found: list[Diagnostic] = []
    for packet, evidence, signal in pointers(hb.packets):
        found.extend(_problems(hb, context, packet, evidence, signal, today))
    return found


def _problems(
    hb: Handbook, context: SignalContext, packet: Packet, evidence: Evidence, signal: TeamSignal, today: date
) -> Iterator[Diagnostic]:
    at = ("evidence", evidence.index, "team_signal")
    name, file = evidence_name(evidence), packet.file
    metric = hb.metric(signal.metric)
    if metric is None:
        yield error(
            file,
            "team-signal-metric",
            f"{name} points at metric '{signal.metric}', which is not in the metric catalogue"
            f"{did_you_mean(signal.metric, (m.id for m in hb.metrics))}",
            (*at, "metric"),
        )
    elif _computation(context, signal.metric) is None:
        usable = sorted(m for m, c in context.computations.items() if c in DORA_ORDER)
        yield error(
            file,
            "team-signal-no-computation",
            f"{name} points at metric '{signal.metric}', whose catalogue entry names no team computation the "
            f"tool computes per quarter (computation: in rubrics/metrics/{signal.metric}.yaml); metrics that do: "
            f"{', '.join(usable) or 'none'}",
            (*at, "metric"),
        )
    yield from _team_problems(context, packet, evidence, signal, at)
    quarters = (("from", signal.start), ("to", signal.end))
    strange = [(key, quarter) for key, quarter in quarters if computable(quarter) is None]
    for key, quarter in strange:
        yield error(
            file,
            "team-signal-quarter",
            f"{name}: {quarter} is not a quarter the tool can compute (years 0001 to 9999, the last quarter "
            "ending by 9999-Q3); point at quarters with events",
            (*at, key),
        )
    if strange:
        return
    if _ordinal(signal.start) >= _ordinal(signal.end):
        yield error(
            file,
            "team-signal-order",
            f"{name}: the team signal runs from {signal.start} to {signal.end}; 'from' must be an earlier quarter than 'to'",
            (*at, "to"),
        )
    for key, quarter in quarters:
        if quarter_window(quarter, today) is None:
            yield error(
                file,
                "team-signal-future",
                f"{name}: {quarter} has not started yet (today is {today}); point at quarters with events",
                (*at, key),
            )


def _team_problems(
    context: SignalContext, packet: Packet, evidence: Evidence, signal: TeamSignal, at: tuple[str | int, ...]
) -> Iterator[Diagnostic]:
    name, file = evidence_name(evidence), packet.file
    if context.report is None:
        yield warning(
            file,
            "team-signal-unverified",
            f"{name} points at team '{signal.team}', but this handbook has no teams/ folder: the pointer is "
            "shown unverified, without figures (commit the team's events under teams/ to compute them)",
            at,
        )
        return
    team = context.report.team(signal.team)
    if team is None and signal.team in context.team_folders:
        yield warning(
            file,
            "team-signal-unverified",
            f"{name} points at team '{signal.team}', whose files under teams/{signal.team}/ have errors: "
            "the pointer is shown without figures until they are fixed",
            (*at, "team"),
        )
    elif team is None:
        yield error(
            file,
            "team-signal-team",
            f"{name} points at team '{signal.team}', which has no folder under teams/"
            f"{did_you_mean(signal.team, context.team_folders)}",
            (*at, "team"),
        )
    if team is not None and packet.team_context and not _names_team(packet.team_context.team, team):
        yield warning(
            file,
            "team-signal-other-team",
            f"{name} points at team '{team.id}' ({team.name}), but the packet's team_context names "
            f"'{packet.team_context.team}': say in the impact how this person's work reached that team",
            (*at, "team"),
        )


def _names_team(text: str, team: Team) -> bool:
    said = text.strip().casefold()
    return said in (team.id.casefold(), team.name.strip().casefold())


def _computation(context: SignalContext, metric: str) -> str | None:
    computation = context.computations.get(metric)
    return computation if computation in DORA_ORDER else None


# --- figures ----------------------------------------------------------------------------------------------


def signal_views(
    hb: Handbook, context: SignalContext, today: date, packets: Iterable[Packet] | None = None
) -> dict[str, tuple[SignalView, ...]]:
    """Per packet file, its evidence items' team signals with both figures computed from the events."""
    found = list(pointers(hb.packets if packets is None else packets))
    windows = _windows(context, found, today)
    counts = (
        dora_counts(
            [t for t in context.report.teams if t.id in {team for team, _ in windows}],
            windows,
            context.report.settings.production_environments,
        )
        if context.report is not None and windows
        else {}
    )
    views: dict[str, list[SignalView]] = {}
    for packet, evidence, signal in found:
        view = _view(hb, context, packet, evidence, signal, today, counts)
        views.setdefault(packet.file, []).append(view)
    return {file: tuple(v) for file, v in views.items()}


def packet_signals(
    hb: Handbook, packet: Packet, root: Path, today: date, cache: ResultCache | None = None
) -> tuple[SignalView, ...]:
    """One packet's evidence team signals, as every readiness report (CLI, pull-request comment) attaches
    them after the person's figures are computed; () without pointers (no teams are read)."""
    if not any(e.team_signal for e in packet.evidence):
        return ()
    return signal_views(hb, signal_context(root, cache), today, [packet]).get(packet.file, ())


def _windows(
    context: SignalContext, found: list[tuple[Packet, Evidence, TeamSignal]], today: date
) -> list[tuple[str, Window]]:
    if context.report is None:
        return []
    asked: dict[tuple[str, str], Window] = {}
    for _, _, signal in found:
        if context.report.team(signal.team) is None:
            continue
        for quarter in (signal.start, signal.end):
            window = quarter_window(quarter, today)
            if window is not None:
                asked[(signal.team, window.label)] = window
    return [(team, window) for (team, _), window in asked.items()]


def _view(
    hb: Handbook,
    context: SignalContext,
    packet: Packet,
    evidence: Evidence,
    signal: TeamSignal,
    today: date,
    counts: Mapping[tuple[str, str], DoraCounts],
) -> SignalView:
    metric = hb.metric(signal.metric)
    team = context.report.team(signal.team) if context.report else None
    base = SignalView(
        packet.file,
        evidence.id,
        evidence.index,
        signal.team,
        team.name if team else signal.team,
        signal.metric,
        metric.name if metric else signal.metric,
        signal.start,
        signal.end,
        UNVERIFIED,
        terrain_file=f"teams/{team.id}/team.yaml" if team else None,
        terrain=tuple((kind, tuple(items)) for kind, items in team.terrain.items()) if team else (),
    )
    computation = _computation(context, signal.metric)
    before, after = quarter_window(signal.start, today), quarter_window(signal.end, today)
    if context.report is None:
        return _with(base, UNVERIFIED, "this handbook has no teams/ folder: the figures cannot be computed")
    if team is None:
        return _with(base, UNVERIFIED, f"team '{signal.team}' is not a checked team under teams/")
    internal = team.headcount < context.report.settings.minimum_headcount
    if computation is None or before is None or after is None or _ordinal(signal.start) >= _ordinal(signal.end):
        return _with(base, INVALID, "the pointer is not valid (handbook validate says why)", internal)
    first, second = (_figure(context, team, w, computation, counts) for w in (before, after))
    return replace(
        base,
        status=COMPUTED,
        before=first,
        after=second,
        before_text=_text(first),
        after_text=_text(second),
        internal_only=internal,
    )


def _with(view: SignalView, status: str, reason: str, internal: bool = False) -> SignalView:
    return replace(view, status=status, reason=reason, internal_only=internal)


def _figure(
    context: SignalContext, team: Team, window: Window, computation: str, counts: Mapping[tuple[str, str], DoraCounts]
) -> Figure:
    assert context.report is not None
    links = {c: m for m, c in context.computations.items()}
    figures = dora_figures(
        counts[(team.id, window.label)],
        window,
        covered_weeks(team, window),
        context.report.settings,
        context.bands,
        links,
    )
    return next(f for f in figures if f.computation == computation)


def _text(figure: Figure) -> str:
    return figure.insufficient if figure.value is None and figure.insufficient else show(figure)


def public(views: Mapping[str, tuple[SignalView, ...]]) -> dict[str, tuple[SignalView, ...]]:
    """The views the public site may show: a team under the minimum headcount is nearly a person."""
    return {file: tuple(v for v in found if not v.internal_only) for file, found in views.items()}


# --- values the packet states anyway ----------------------------------------------------------------------

_STATED = re.compile(
    r"\s*([0-9]+(?:\.([0-9]+))?)\s*(%|min|mins|minutes?|h|hrs?|hours?|d|days?|/\s*wk|/\s*week|per week|a week)?\s*"
)
_SECONDS: dict[str, float] = {"min": 60, "h": 3600, "hr": 3600, "hour": 3600, "d": 86400, "day": 86400}


def stated_value(text: str, unit: str) -> tuple[float, float] | None:
    """A value the packet quotes, in the figure's unit, with half a unit of its last written digit
    (its rounding); None when it cannot be read as a value of that unit."""
    found = _STATED.fullmatch(text)
    if not found:
        return None
    number, decimals, suffix = float(found.group(1)), len(found.group(2) or ""), (found.group(3) or "").replace(" ", "")
    half = 0.5 * 10**-decimals
    word = suffix.rstrip("s") if suffix not in ("%",) else suffix
    scale: float | None
    if unit == "seconds":
        scale = _SECONDS.get(word.removesuffix("ute")) if word else None
    elif unit == "share":
        scale = 0.01 if suffix == "%" else None
    else:
        scale = 1.0 if suffix in ("", "/wk", "/week", "perweek", "aweek") else None
    if scale is None:
        return None
    return number * scale, half * scale


def stated_problems(views: Mapping[str, tuple[SignalView, ...]], hb: Handbook) -> list[Diagnostic]:
    """Values a packet quotes for its team signal should agree with the computed figures at the quoted
    rounding: a warning otherwise, never an error. The firewall: a team's events (a new import, a running
    quarter filling up, the calendar) must never change a person's readiness, blocked status or exit
    code, and an error would (validate fails, readiness is blocked)."""
    signals = {(p.file, e.index): s for p, e, s in pointers(hb.packets)}
    found: list[Diagnostic] = []
    for views_of in views.values():
        for view in views_of:
            signal = signals.get((view.packet_file, view.evidence_index))
            if signal is None or signal.stated is None or view.status != COMPUTED:
                continue
            quarters = (view.start, view.end)
            for key, said, figure, quarter in zip(("from", "to"), signal.stated, (view.before, view.after), quarters):
                assert figure is not None
                problem = _disagreement(said, figure, quarter)
                if problem:
                    found.append(
                        warning(
                            view.packet_file,
                            "team-signal-stated",
                            f"evidence '{view.evidence_id}' states {NAMES[figure.computation].lower()} {said!r} "
                            f"for {figure.window.label}; {problem}. Remove `stated` (the figures are computed and shown) "
                            "or correct it",
                            ("evidence", view.evidence_index, "team_signal", "stated", key),
                        )
                    )
    return found


def _disagreement(said: str, figure: Figure, quarter: str) -> str | None:
    whole = computable(quarter)
    if whole is not None and figure.window.end < whole.end:
        # Compared, a quoted figure of a running quarter would agree one day and not the next.
        return (
            f"{quarter} is still running, so its figure changes until the quarter ends: quote completed quarters only"
        )
    if figure.value is None:
        return f"the events give no figure for it ({figure.insufficient})"
    read = stated_value(said, figure.unit)
    if read is None:
        unit = {"seconds": "min, h or d", "share": "%", "per week": "per week"}[figure.unit]
        return f"it cannot be read as a value in {unit}"
    value, half = read
    if abs(value - figure.value) > half + 1e-9 * max(1.0, abs(figure.value)):
        return f"the team's events give {show(figure)}"
    return None


# --- validate ---------------------------------------------------------------------------------------------


def validation_problems(loaded: Loaded, context: Callable[[], SignalContext], today: date) -> list[Diagnostic]:
    """What `handbook validate` adds for evidence team signals, located at file:line:col. Nothing when no
    packet has one (then `context` is never asked for, and no teams are read). Values a packet quotes
    are checked against computed figures."""
    hb = loaded.handbook
    if not any(True for _ in pointers(hb.packets)):
        return []
    teams = context()
    found = signal_problems(hb, teams, today)
    if any(s.stated for _, _, s in pointers(hb.packets)):
        found += stated_problems(signal_views(hb, teams, today), hb)
    located = []
    for finding in found:
        part = loaded.salvaged.get(finding.file)
        if part is not None and part.hides(finding):
            continue  # the schema check already reported this value: one mistake, one message
        if loaded.selected is not None and finding.file not in loaded.selected:
            continue
        document = loaded.documents.get(finding.file)
        located.append(document.locate(finding) if document else finding)
    return located


def site_signals(
    context: Callable[[], SignalContext], hb: Handbook, today: date, include_private: bool
) -> dict[str, tuple[SignalView, ...]]:
    """The packet pages' evidence team signals: for published packets only, and on the public site
    never a team under the minimum headcount (the page plan filters again, by the same rule)."""
    packets = [p for p in hb.packets if include_private or p.is_example]
    if not any(True for _ in pointers(packets)):
        return {}
    views = signal_views(hb, context(), today, packets)
    return views if include_private else public(views)
