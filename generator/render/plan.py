"""Which pages the handbook has, and the data each one shows: a pure function of the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from ..model.errors import HandbookError
from .text import short_form  # the same short form as the criteria in tables

if TYPE_CHECKING:
    from ..compute.aggregates import Aggregates
    from ..compute.semantic_diff import ChangelogEntry
    from ..compute.team_signals import SignalView
    from ..compute.teams import TeamSite
from ..check.governance import governance_report
from ..check.schema_check import KINDS, TEAM_KINDS, schema_description
from ..compute.coverage import packet_coverage
from ..compute.level_compare import ChangeRow, compare_dimension, compare_levels, comparison_data, script_json
from ..compute.promotion import Judgement, explain, judge, milestone_points
from ..compute.scoring import composite_percents, composite_score, packet_score, worked_example_ratings
from ..model.handbook import CheckedHandbook, Dimension, Handbook, Level, OrganisationPage, Packet, Track
from ..model.pinned import criteria_of

# Above this many packets, the navigation lists only the gallery: every page carries the whole
# section's navigation, so listing thousands of packets grows the site with the square of their number.
NAV_PACKETS_MAX = 20

# At most this many dimensions side by side in one ladder table: wider tables do not fit a laptop
# screen, so more dimensions are split into one table per group, and groups into tables this wide.
LADDER_COLUMNS = 4


# Every level page, one after another, each starting a new printed sheet.
PRINT_LEVELS = "levels/print.md"

# Any two levels side by side, picked in the page (all pairs embedded: no server needed).
COMPARE_LEVELS = "compare.md"


class PlanError(HandbookError, ValueError):
    """Two generated pages would have the same address."""


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    title: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str | None = None
    children: tuple[NavItem, ...] = ()


@dataclass(frozen=True)
class SitePlan:
    pages: tuple[Page, ...]
    nav: tuple[NavItem, ...]
    private_build: bool


@dataclass(frozen=True)
class PacketView:
    packet: Packet
    coverage: Any
    score: Any
    target: Level | None
    current: Level | None
    criteria: Handbook | None = None  # the criteria the packet is judged against (its pinned version)
    judgement: Judgement | None = None  # the declared promotion rule applied to the evidence
    team_signals: tuple[Any, ...] = ()  # compute.team_signals.SignalView: team context, never an input above


def published_packets(hb: Handbook, include_private: bool) -> tuple[Packet, ...]:
    """Only examples are public; private packets only in an internal build asked for explicitly."""
    if include_private:
        return hb.packets
    if hb.settings and hb.settings.publish_packets == "none":
        return ()
    return tuple(p for p in hb.packets if p.is_example)


def packet_view(current: Handbook, packet: Packet) -> PacketView:
    hb = criteria_of(current, packet)
    coverage = packet_coverage(hb, packet)
    return PacketView(
        packet,
        coverage,
        packet_score(hb, packet, coverage.ratio),
        hb.level(packet.target_level),
        hb.level(packet.current_level),
        hb,
        judge(hb, packet),
    )


def adjacent_pairs(hb: Handbook) -> list[tuple[Level, Level]]:
    return list(hb.adjacent_pairs)


def change_path(lower: Level, higher: Level) -> str:
    return f"levels/changes/{lower.id}-to-{higher.id}.md"


def change_rows(hb: Handbook, lower: Level, higher: Level, dim: Dimension) -> tuple[ChangeRow, ...]:
    """Per dimension, what the step from `lower` to `higher` changes (the same pairing as the compare page)."""
    return compare_dimension(hb, lower.id, higher.id, dim.id)


@dataclass(frozen=True)
class Branch:
    """Where a track shares its first levels with another track, and where it leaves it."""

    other: Track
    shared: tuple[Level, ...]
    after: Level


def branches(hb: CheckedHandbook, track: Track) -> tuple[Branch, ...]:
    found = []
    for other in hb.settings.tracks:
        if other.id == track.id:
            continue
        shared = 0
        while shared < min(len(track.levels), len(other.levels)) and track.levels[shared] == other.levels[shared]:
            shared += 1
        if 0 < shared < len(track.levels):
            levels = tuple(lvl for lvl in (hb.level(i) for i in track.levels[:shared]) if lvl)
            if levels:
                found.append(Branch(other, levels, levels[-1]))
    return tuple(found)


def ladder_tables(hb: Handbook) -> tuple[tuple[str | None, tuple[Dimension, ...]], ...]:
    """The ladder's tables: all dimensions in one when they fit, else one per group (or per slice)."""
    dims = hb.ordered_dimensions
    if len(dims) <= LADDER_COLUMNS:
        return ((None, dims),) if dims else ()
    tables = []
    for group, members in hb.dimension_groups:
        chunks = [members[i : i + LADDER_COLUMNS] for i in range(0, len(members), LADDER_COLUMNS)]
        for chunk in chunks:
            tables.append((group.name if group else None, chunk))
    return tuple(tables)


def level_neighbours(hb: Handbook, level: Level) -> tuple[tuple[Track, Level | None, Level | None, int, int], ...]:
    """(track, level below, level above, position from 1, number of levels) on each track holding the level."""
    found = []
    for track in hb.tracks_of(level.id):
        levels = hb.track_levels(track.id)
        index = next(i for i, lvl in enumerate(levels) if lvl.id == level.id)
        found.append(
            (
                track,
                levels[index - 1] if index else None,
                levels[index + 1] if index + 1 < len(levels) else None,
                index + 1,
                len(levels),
            )
        )
    return tuple(found)


def milestone_context(hb: CheckedHandbook, dim: Dimension) -> dict[str, Any]:
    """What each milestone is worth, and the points rule in one sentence (when the settings declare one)."""
    rule = next(
        (hb.settings.rule_for(t.id) for t in hb.settings.tracks if hb.settings.rule_for(t.id).rule == "points"), None
    )
    if not dim.milestones:
        return {"rule": None, "points": {}}
    return {
        "rule": explain(rule) if rule else None,
        "points": {ms.number: milestone_points(rule, ms) if rule else ms.points for ms in dim.milestones},
    }


def plan_site(
    hb: CheckedHandbook,
    today: date,
    include_private: bool = False,
    changelog: tuple[ChangelogEntry, ...] = (),
    health: Aggregates | None = None,
    teams: TeamSite | None = None,
    organisation_pages: Mapping[str, str] | None = None,
    team_signals: Mapping[str, tuple[SignalView, ...]] | None = None,
) -> SitePlan:
    dims = hb.ordered_dimensions
    tracks = [(t, hb.track_levels(t.id)) for t in hb.settings.tracks]
    packets = tuple(
        _with_signals(packet_view(hb, p), team_signals or {}, include_private)
        for p in published_packets(hb, include_private)
    )
    pairs = adjacent_pairs(hb)
    governance = {row.id: row for row in governance_report(hb, today).rows if row.kind == "metric"}
    metric_rows = [
        (m, governance[m.id])
        for m in sorted(hb.metrics, key=lambda m: (m.governance.status == "retired", m.group or "", m.name))
    ]
    names = {d.id: d.name for d in dims}
    composite = hb.composite
    percents = composite_percents(composite) if composite else {}
    ordered_levels = tuple(dict.fromkeys(lvl for _, levels in tracks for lvl in levels))
    track_branches = {t.id: branches(hb, t) for t, _ in tracks}

    pages = [
        Page(
            "index.md",
            "home.md.j2",
            "Home",
            {"tracks": tracks, "packets": packets, "percents": percents, "branches": track_branches},
        ),
        Page(
            "ladder.md",
            "ladder.md.j2",
            "Ladder",
            {"tracks": tracks, "tables": ladder_tables(hb), "branches": track_branches},
        ),
    ]
    for level in ordered_levels:
        pages.append(
            Page(
                f"levels/{level.id}.md",
                "level.md.j2",
                level.title,
                {"level": level, "neighbours": level_neighbours(hb, level)},
            )
        )
    sheets = tuple({page.path: page for page in pages if page.template == "level.md.j2"}.values())
    pages.append(Page(PRINT_LEVELS, "print_levels.md.j2", "Print all levels", {"sheets": sheets}))
    if len(ordered_levels) > 1:
        pages.append(_compare_page(hb, ordered_levels, tracks, pairs))
    for lower, higher in pairs:
        rows = {d.id: change_rows(hb, lower, higher, d) for d in dims}
        pages.append(
            Page(
                change_path(lower, higher),
                "change.md.j2",
                f"{lower.title} → {higher.title}",
                {"lower": lower, "higher": higher, "rows": rows, "facets": _facet_rows(lower, higher)},
            )
        )
    for dim in dims:
        pages.append(
            Page(
                f"dimensions/{dim.id}.md",
                "dimension.md.j2",
                dim.name,
                {
                    "dimension": dim,
                    "tracks": tracks,
                    "levels": ordered_levels,
                    "signals": [hb.metric(m) for m in dim.signals if hb.metric(m)],
                    **milestone_context(hb, dim),
                },
            )
        )
    if metric_rows:
        pages.append(Page("metrics/index.md", "metric_catalogue.md.j2", "Metric catalogue", {"rows": metric_rows}))
    for metric, status in metric_rows:
        cited_by = [d for d in dims if metric.id in d.signals]
        pages.append(
            Page(
                f"metrics/{metric.id}.md",
                "metric.md.j2",
                metric.name,
                {"metric": metric, "status": status, "cited_by": cited_by},
            )
        )
    if composite:
        ratings = worked_example_ratings(composite)
        pages.append(
            Page(
                "composite.md",
                "composite.md.j2",
                "Composite score",
                {
                    "composite": composite,
                    "worked": composite_score(composite, names, ratings, 1.0),
                    "ratings": ratings,
                    "percents": percents,
                },
            )
        )
    if packets:
        pages.append(Page("packets/index.md", "packet_gallery.md.j2", "Example packets", {"packets": packets}))
    team_pages = _team_pages(hb, teams, include_private)
    with_page = frozenset(p.path for p in team_pages)
    for view in packets:
        pages.append(
            Page(
                f"packets/{view.packet.slug}.md",
                "packet.md.j2",
                view.packet.candidate,
                {"view": view, "team_pages": with_page},
            )
        )
    example = next((c for d in dims for c in d.criteria), None)
    pages.extend(team_pages)
    pages.append(Page("process.md", "process.md.j2", "Submitting and reviewing", {"example_criterion": example}))
    if health is not None:
        pages.append(Page("process-health.md", "process_health.md.j2", "Process health", {"health": health}))
    pages.append(Page("changelog.md", "changelog.md.j2", "Criteria changelog", {"entries": changelog}))
    pages.append(Page("reference.md", "glossary.md.j2", "Glossary", {"kinds": KINDS + TEAM_KINDS}))
    pages.append(Page("dimensions/index.md", "dimensions.md.j2", "Dimensions", {}))
    written = organisation_pages or {}
    for org_page in hb.settings.pages:
        if org_page.id in written:
            pages.append(
                Page(
                    f"pages/{org_page.id}.md",
                    "organisation_page.md.j2",
                    org_page.title,
                    {"body": without_title(written[org_page.id], org_page.title)},
                )
            )
    team_kinds = {kind: schema_description(kind) for kind in TEAM_KINDS}
    pages.append(Page("schemas/index.md", "schemas.md.j2", "JSON Schemas", {"kinds": KINDS, "team_kinds": team_kinds}))

    _refuse_collisions(pages)
    nav = _nav(tracks, pairs, dims, metric_rows, packets, health, composite is not None)
    if team_pages:  # after Metrics: team figures read against the catalogue's definitions
        at = next(i for i, item in enumerate(nav) if item.title == "Packets")
        nav = (*nav[:at], NavItem("Teams", children=tuple(NavItem(p.title, p.path) for p in team_pages)), *nav[at:])
    nav = _place_pages(nav, tuple(p for p in hb.settings.pages if p.id in written))
    return SitePlan(tuple(pages), nav, include_private)


def _with_signals(view: PacketView, signals: Mapping[str, tuple[SignalView, ...]], include_private: bool) -> PacketView:
    """The packet's evidence team signals, after its figures: a team under the minimum headcount is
    nearly a person, so its signal is never on the public site (example packets are public)."""
    found = tuple(s for s in signals.get(view.packet.file, ()) if include_private or not s.internal_only)
    return replace(view, team_signals=found) if found else view


def _team_pages(hb: Handbook, teams: TeamSite | None, include_private: bool) -> list[Page]:
    """The teams index (alphabetical, never ranked) and one page per team. Teams below the minimum
    headcount only on an internal build: a team that small is nearly one person. No teams, no pages."""
    if teams is None:
        return []
    from ..compute.teams import trend_chart

    shown = [t for t in teams.teams if include_private or not t.internal_only]
    if not shown:
        return []
    metrics = {m.id for m in hb.metrics}
    pages = [Page("teams/index.md", "teams.md.j2", "Teams", {"teams": tuple(shown), "site": teams})]
    for figures in shown:
        pages.append(
            Page(
                f"teams/{figures.team.id}.md",
                "team.md.j2",
                figures.team.name,
                {"tf": figures, "site": teams, "catalogued": metrics, "charts": trend_chart(figures)},
            )
        )
    return pages


def without_title(markdown: str, title: str) -> str:
    """The page's Markdown without a first-line heading that repeats its title (the page has one)."""
    lines = markdown.lstrip("\ufeff").splitlines()
    if lines and lines[0].startswith("# ") and lines[0][2:].strip().lower() == title.strip().lower():
        lines = lines[1:]
    return "\n".join(lines).strip()


_SECTIONS = {"levels": "Levels", "packets": "Packets", "reference": "Reference"}


def _place_pages(nav: tuple[NavItem, ...], placed: tuple[OrganisationPage, ...]) -> tuple[NavItem, ...]:
    """Each organisation page in the section the settings name: after Home, or last in a section."""
    items = list(nav)
    for page in placed:
        entry = NavItem(page.title, f"pages/{page.id}.md")
        if page.section == "home":
            items.insert(1 + sum(1 for p in placed[: placed.index(page)] if p.section == "home"), entry)
            continue
        index = next(i for i, item in enumerate(items) if item.title == _SECTIONS[page.section] and item.children)
        items[index] = NavItem(items[index].title, items[index].path, (*items[index].children, entry))
    return tuple(items)


def _compare_page(hb: Handbook, levels: tuple[Level, ...], tracks: Any, pairs: Any) -> Page:

    first, second = pairs[0] if pairs else levels[:2]
    return Page(
        COMPARE_LEVELS,
        "compare.md.j2",
        "Compare levels",
        {
            "levels": levels,
            "tracks": tracks,
            "pairs": pairs,
            "first": first,
            "second": second,
            "compared": compare_levels(hb, first, second),
            "data": script_json(comparison_data(hb, levels, short_form)),
        },
    )


def _refuse_collisions(pages: list[Page]) -> None:
    """Validation reports the usual causes (reserved or shared packet file names); this catches the
    rest, e.g. the same file name in two cycles in an internal build, before any page is written."""
    seen: dict[str, Page] = {}
    for page in pages:
        if page.path in seen:
            first = seen[page.path]
            raise PlanError(
                f"two pages would be written to {page.path} ({_origin(first)} and {_origin(page)}); "
                "rename one of the files so that each page has its own address"
            )
        seen[page.path] = page


def _origin(page: Page) -> str:
    view = page.context.get("view")
    return view.packet.file if view is not None else f"the {page.title} page"


def _facet_rows(lower: Level, higher: Level) -> tuple[tuple[str, str | None, str | None], ...]:
    """The descriptive fields either level has, side by side; none when neither has any."""
    before, after = dict(lower.facets), dict(higher.facets)
    labels = [label for label in ("Scope", "Complexity", "Consistency") if label in before or label in after]
    return tuple((label, before.get(label), after.get(label)) for label in labels)


def _nav(
    tracks: Any, pairs: Any, dims: Any, metric_rows: Any, packets: Any, health: Any, has_composite: bool
) -> tuple[NavItem, ...]:
    listed: set[str] = set()
    level_sections = []
    for track, levels in tracks:  # a level shared by several tracks is listed once, under the first
        own = tuple(NavItem(lvl.title, f"levels/{lvl.id}.md") for lvl in levels if lvl.id not in listed)
        listed.update(lvl.id for lvl in levels)
        if own:
            level_sections.append(NavItem(track.name, children=own))
    compare = (NavItem("Compare levels", COMPARE_LEVELS),) if len(listed) > 1 else ()
    changes = NavItem(
        "What changes", children=tuple(NavItem(f"{lo.title} → {hi.title}", change_path(lo, hi)) for lo, hi in pairs)
    )
    return (
        NavItem("Home", "index.md"),
        NavItem(
            "Levels",
            children=(
                NavItem("Ladder", "ladder.md"),
                *level_sections,
                *compare,
                *((changes,) if pairs else ()),
                NavItem("Print all levels", PRINT_LEVELS),
            ),
        ),
        NavItem(
            "Dimensions",
            children=(
                NavItem("All dimensions", "dimensions/index.md"),
                *(NavItem(d.name, f"dimensions/{d.id}.md") for d in dims),
            ),
        ),
        *(
            (
                NavItem(
                    "Metrics",
                    children=(
                        NavItem("Catalogue", "metrics/index.md"),
                        *(NavItem(m.name, f"metrics/{m.id}.md") for m, _ in metric_rows),
                    ),
                ),
            )
            if metric_rows
            else ()
        ),
        *((NavItem("Composite score", "composite.md"),) if has_composite else ()),
        NavItem(
            "Packets",
            children=(
                NavItem("Submitting and reviewing", "process.md"),
                *((NavItem("Example packets", "packets/index.md"),) if packets else ()),
                *(
                    NavItem(v.packet.candidate, f"packets/{v.packet.slug}.md")
                    for v in (packets if len(packets) <= NAV_PACKETS_MAX else ())
                ),
            ),
        ),
        NavItem(
            "Reference",
            children=(
                NavItem("Glossary", "reference.md"),
                *((NavItem("Process health", "process-health.md"),) if health else ()),
                NavItem("Criteria changelog", "changelog.md"),
                NavItem("JSON Schemas", "schemas/index.md"),
            ),
        ),
    )
