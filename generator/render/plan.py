"""Which pages the handbook has, and the data each one shows: a pure function of the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from ..coverage import packet_coverage
from ..governance import governance_report
from ..model import Handbook, Level, Packet
from ..schema_check import KINDS
from ..scoring import composite_score, packet_score

# Above this many packets, the navigation lists only the gallery: every page carries the whole
# section's navigation, so listing thousands of packets grows the site with the square of their number.
NAV_PACKETS_MAX = 20

# Ratings for the composite page's worked example: strong delivery, weak reliability, so that the
# reader sees a gate at work. Three reviewers, one list per dimension.
WORKED_EXAMPLE_RATINGS = {"delivery": [5, 4, 5], "reliability": [2, 3, 2], "collaboration": [4, 3, 4]}


# Every level page, one after another, each starting a new printed sheet.
PRINT_LEVELS = "levels/print.md"


class PlanError(ValueError):
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
    children: tuple["NavItem", ...] = ()


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


def published_packets(hb: Handbook, include_private: bool) -> tuple[Packet, ...]:
    """Only examples are public; private packets only in an internal build asked for explicitly."""
    if include_private:
        return hb.packets
    if hb.settings and hb.settings.publish_packets == "none":
        return ()
    return tuple(p for p in hb.packets if p.is_example)


def packet_view(hb: Handbook, packet: Packet) -> PacketView:
    coverage = packet_coverage(hb, packet)
    return PacketView(packet, coverage, packet_score(hb, packet, coverage.ratio), hb.level(packet.target_level),
                      hb.level(packet.current_level))


def adjacent_pairs(hb: Handbook) -> list[tuple[Level, Level]]:
    pairs = []
    for track in hb.tracks:
        levels = hb.track_levels(track)
        pairs.extend(zip(levels, levels[1:], strict=False))
    return pairs


def change_path(lower: Level, higher: Level) -> str:
    return f"levels/changes/{lower.id}-to-{higher.id}.md"


def plan_site(hb: Handbook, today: date, include_private: bool = False, changelog: tuple = (),
              health: Any = None) -> SitePlan:
    dims = hb.ordered_dimensions
    tracks = [(t, hb.track_levels(t.id)) for t in hb.settings.tracks]
    packets = tuple(packet_view(hb, p) for p in published_packets(hb, include_private))
    pairs = adjacent_pairs(hb)
    governance = {row.id: row for row in governance_report(hb, today).rows if row.kind == "metric"}
    metric_rows = [(m, governance[m.id]) for m in sorted(hb.metrics, key=lambda m: (m.governance.status == "retired",
                                                                                   m.layer, m.name))]
    names = {d.id: d.name for d in dims}
    worked = composite_score(hb.composite, names, WORKED_EXAMPLE_RATINGS, 1.0)

    pages = [
        Page("index.md", "home.md.j2", "Home", {"tracks": tracks, "packets": packets}),
        Page("ladder.md", "ladder.md.j2", "Ladder", {"tracks": tracks}),
    ]
    for track, levels in tracks:
        for index, level in enumerate(levels):
            lower = levels[index - 1] if index else None
            higher = levels[index + 1] if index + 1 < len(levels) else None
            pages.append(Page(f"levels/{level.id}.md", "level.md.j2", level.title,
                              {"level": level, "track": track, "lower": lower, "higher": higher}))
    sheets = tuple({page.path: page for page in pages if page.template == "level.md.j2"}.values())
    pages.append(Page(PRINT_LEVELS, "print_levels.md.j2", "Print all levels", {"sheets": sheets}))
    for lower, higher in pairs:
        pages.append(Page(change_path(lower, higher), "change.md.j2", f"{lower.title} → {higher.title}",
                          {"lower": lower, "higher": higher}))
    for dim in dims:
        pages.append(Page(f"dimensions/{dim.id}.md", "dimension.md.j2", dim.name,
                          {"dimension": dim, "tracks": tracks,
                           "signals": [hb.metric(m) for m in dim.signals if hb.metric(m)]}))
    pages.append(Page("metrics/index.md", "metric_catalogue.md.j2", "Metric catalogue", {"rows": metric_rows}))
    for metric, status in metric_rows:
        cited_by = [d for d in dims if metric.id in d.signals]
        pages.append(Page(f"metrics/{metric.id}.md", "metric.md.j2", metric.name,
                          {"metric": metric, "status": status, "cited_by": cited_by}))
    pages.append(Page("composite.md", "composite.md.j2", "Composite score",
                      {"composite": hb.composite, "worked": worked, "ratings": WORKED_EXAMPLE_RATINGS}))
    pages.append(Page("packets/index.md", "packet_gallery.md.j2", "Example packets", {"packets": packets}))
    for view in packets:
        pages.append(Page(f"packets/{view.packet.slug}.md", "packet.md.j2", view.packet.candidate, {"view": view}))
    example = next((c for d in dims for c in d.criteria), None)
    pages.append(Page("process.md", "process.md.j2", "Submitting and reviewing", {"example_criterion": example}))
    if health is not None:
        pages.append(Page("process-health.md", "process_health.md.j2", "Process health", {"health": health}))
    pages.append(Page("changelog.md", "changelog.md.j2", "Criteria changelog", {"entries": changelog}))
    pages.append(Page("reference.md", "glossary.md.j2", "Glossary", {"kinds": KINDS}))
    pages.append(Page("schemas/index.md", "schemas.md.j2", "JSON Schemas", {"kinds": KINDS}))

    _refuse_collisions(pages)
    nav = _nav(tracks, pairs, dims, metric_rows, packets, health)
    return SitePlan(tuple(pages), nav, include_private)


def _refuse_collisions(pages: list[Page]) -> None:
    """Validation reports the usual causes (reserved or shared packet file names); this catches the
    rest, e.g. the same file name in two cycles in an internal build, before any page is written."""
    seen: dict[str, Page] = {}
    for page in pages:
        if page.path in seen:
            first = seen[page.path]
            raise PlanError(f"two pages would be written to {page.path} ({_origin(first)} and {_origin(page)}); "
                            "rename one of the files so that each page has its own address")
        seen[page.path] = page


def _origin(page: Page) -> str:
    view = page.context.get("view")
    return view.packet.file if view is not None else f"the {page.title} page"


def _nav(tracks, pairs, dims, metric_rows, packets, health) -> tuple[NavItem, ...]:
    level_sections = tuple(
        NavItem(track.name, children=tuple(NavItem(lvl.title, f"levels/{lvl.id}.md") for lvl in levels))
        for track, levels in tracks)
    changes = NavItem("What changes", children=tuple(
        NavItem(f"{lo.title} → {hi.title}", change_path(lo, hi)) for lo, hi in pairs))
    return (
        NavItem("Home", "index.md"),
        NavItem("Levels", children=(NavItem("Ladder", "ladder.md"), *level_sections, changes,
                                    NavItem("Print all levels", PRINT_LEVELS))),
        NavItem("Dimensions", children=tuple(NavItem(d.name, f"dimensions/{d.id}.md") for d in dims)),
        NavItem("Metrics", children=(NavItem("Catalogue", "metrics/index.md"),
                                     *(NavItem(m.name, f"metrics/{m.id}.md") for m, _ in metric_rows))),
        NavItem("Composite score", "composite.md"),
        NavItem("Packets", children=(NavItem("Submitting and reviewing", "process.md"),
                                     NavItem("Example packets", "packets/index.md"),
                                     *(NavItem(v.packet.candidate, f"packets/{v.packet.slug}.md")
                                       for v in (packets if len(packets) <= NAV_PACKETS_MAX else ())))),
        NavItem("Reference", children=(NavItem("Glossary", "reference.md"),
                                       *((NavItem("Process health", "process-health.md"),) if health else ()),
                                       NavItem("Criteria changelog", "changelog.md"),
                                       NavItem("JSON Schemas", "schemas/index.md"))),
    )
