"""Process health: per closed cycle, aggregates over its real packets (private included), never
about one person. Examples are fictional and left out.

Every figure goes through the privacy model in aggregates.py: a cycle is shown once it has
closed and only with at least k packets; each figure is built from that cycle's group alone by
one of the FIGURES below, with counts protected together and means over at least k. A new figure
joins by adding a builder to FIGURES: it gets the same suppression for free. Pure: submission
dates and today come in as data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from statistics import mean, pvariance

from ..model.handbook import Handbook, Packet, ReviewCycle
from ..model.pinned import criteria_of
from .aggregates import (
    Aggregates,
    Cell,
    CycleAggregates,
    Figure,
    counts_figure,
    member_keys,
    middle_mean,
    round_count,
    value_figure,
)
from .calibration import conflict, conflict_bar
from .coverage import packet_coverage
from .scoring import packet_score

DECIDED = ("promoted", "not-yet")
OUTCOMES = (("promoted", "promoted"), ("not-yet", "not yet"), ("submitted", "in review"), ("withdrawn", "withdrawn"))
DAY_BINS = (
    (0, 14, "under 2 weeks"),
    (14, 28, "2–4 weeks"),
    (28, 56, "4–8 weeks"),
    (56, 112, "8–16 weeks"),
    (112, None, "16 weeks or more"),
)
APPEAL_OUTCOMES = ("pending", "upheld", "overturned")

# The aggregates type is the process-health result: one privacy model for the page, `stats` and the export.
ProcessHealth = Aggregates


@dataclass(frozen=True)
class Group:
    """What a figure builder sees: one closed cycle's real packets and the protection settings."""

    handbook: Handbook
    cycle: ReviewCycle
    packets: tuple[Packet, ...]
    submitted_on: Mapping[str, date]
    k: int
    step: int


FigureBuilder = Callable[[Group], "Figure | None"]


def process_health(
    hb: Handbook,
    submitted_on: Mapping[str, date],
    today: date,
    minimum_group: int | None = None,
    group_key: bytes = b"",
) -> ProcessHealth:
    """GROUP_KEY: the packets repository's secret, which keys the hashes that recognise a published
    group whatever its cycle is called (see aggregates.member_keys)."""
    settings = hb.settings
    k = minimum_group or (settings.minimum_group_size if settings else 5)
    step = settings.round_counts_to if settings else 1
    real = [p for p in hb.packets if not p.is_example and p.decision.status != "draft"]
    cycles = []
    for cycle in settings.review_cycles if settings else ():
        group = tuple(p for p in real if p.cycle == cycle.id)
        if cycle.closes >= today.isoformat():
            cycles.append(CycleAggregates(cycle.id, cycle.name, cycle.closes, "open"))
        elif len(group) < k:
            cycles.append(CycleAggregates(cycle.id, cycle.name, cycle.closes, "suppressed"))
        else:
            context = Group(hb, cycle, group, submitted_on, k, step)
            figures = tuple(f for build in FIGURES if (f := build(context)) is not None)
            cycles.append(
                CycleAggregates(
                    cycle.id,
                    cycle.name,
                    cycle.closes,
                    "published",
                    round_count(len(group), step),
                    figures,
                    member_keys((packet_identity(p) for p in group), group_key),
                )
            )
    return Aggregates(k, step, tuple(cycles))


def packet_identity(packet: Packet) -> str:
    """What stays the same when a cycle is renamed or its packets move folders: who, from which
    level to which, and when it was decided (a resubmission the next cycle differs by that date)."""
    return "\0".join(
        (packet.candidate, packet.track, packet.current_level, packet.target_level, packet.decision.date or "")
    )


def raw_days_to_decision(packet: Packet, submitted_on: Mapping[str, date]) -> int | None:
    """Days from submission (the date the packet declares, else its first commit) to decision."""
    if packet.decision.status not in DECIDED or not packet.decision.date:
        return None
    try:
        start = (
            date.fromisoformat(packet.decision.submitted)
            if packet.decision.submitted
            else submitted_on.get(packet.file)
        )
        return None if start is None else (date.fromisoformat(packet.decision.date) - start).days
    except ValueError:  # not a calendar date: the schema reports it
        return None


def days_to_decision(packet: Packet, submitted_on: Mapping[str, date]) -> int | None:
    """The duration, or None when unknown or impossible (negative: decided before it was submitted)."""
    days = raw_days_to_decision(packet, submitted_on)
    return None if days is None or days < 0 else days


def impossible_durations(hb: Handbook, submitted_on: Mapping[str, date]) -> list[str]:
    """Warnings naming each real packet whose time to decision is negative, so it was left out."""
    found = []
    for packet in hb.packets:
        days = None if packet.is_example else raw_days_to_decision(packet, submitted_on)
        if days is not None and days < 0:
            since = "its decision.submitted date" if packet.decision.submitted else "it was first committed"
            found.append(
                f"{packet.file}: decided {-days} day(s) before {since}, so it is left out of the time to "
                "decision; declare decision.submitted (YYYY-MM-DD) in the packet"
            )
    return found


def outcomes(g: Group) -> Figure:
    statuses: list[str] = [p.decision.status for p in g.packets]
    return counts_figure(
        "outcomes", "Outcomes", "packets", [(label, statuses.count(s)) for s, label in OUTCOMES], g.k, g.step
    )


def typical_days(g: Group) -> Figure:
    durations = [d for p in g.packets if (d := days_to_decision(p, g.submitted_on)) is not None]
    return value_figure(
        "typical-days-to-decision",
        "Typical days from submission to decision",
        "days",
        middle_mean(durations, g.k),
        0,
        f"Mean of the middle {g.k} decisions: never one person's value, as a median can be.",
    )


def days_histogram(g: Group) -> Figure | None:
    durations = [d for p in g.packets if (d := days_to_decision(p, g.submitted_on)) is not None]
    if len(durations) < g.k:
        return None
    bins = [(label, sum(lo <= d and (hi is None or d < hi) for d in durations)) for lo, hi, label in DAY_BINS]
    return counts_figure("days-to-decision", "Time from submission to decision", "decisions", bins, g.k, g.step)


def coverage(g: Group) -> Figure:
    full = sum(packet_coverage(criteria_of(g.handbook, p), p).ratio == 1 for p in g.packets)
    return counts_figure(
        "full-coverage",
        "Evidence for every target-level criterion",
        "packets",
        [("full coverage", full), ("partial coverage", len(g.packets) - full)],
        g.k,
        g.step,
    )


def invisible_work(g: Group) -> Figure:
    evidence = [e for p in g.packets for e in p.evidence]
    share = 100 * sum(e.invisible_work for e in evidence) / len(evidence) if evidence else None
    return value_figure("invisible-work", "Invisible work in evidence", "%", share, 0)


def reviewer_spread(g: Group) -> Figure:
    cells = []
    for dim in g.handbook.ordered_dimensions:
        per_packet = [
            ratings
            for p in g.packets
            if len(ratings := [r for a in p.all_assessments if (r := a.rating(dim.id)) is not None]) >= 2
        ]
        spread = mean(max(r) - min(r) for r in per_packet) if len(per_packet) >= g.k else None
        variance = mean(pvariance(r) for r in per_packet) if len(per_packet) >= g.k else None
        cells.append(Cell(f"{dim.name}: mean spread", None if spread is None else round(spread, 1)))
        cells.append(Cell(f"{dim.name}: mean variance", None if variance is None else round(variance, 1)))
    return Figure(
        "reviewer-spread",
        "Reviewer spread (calibration)",
        "value",
        "points",
        tuple(cells),
        f"Over packets with two or more reviews, shown when at least {g.k} have them.",
    )


def appeals(g: Group) -> Figure:
    filed = [p.appeal for p in g.packets if p.appeal]
    return counts_figure(
        "appeals",
        "Appeals",
        "packets",
        [("appealed", len(filed)), ("not appealed", len(g.packets) - len(filed))],
        g.k,
        g.step,
    )


def appeal_outcomes(g: Group) -> Figure | None:
    filed = [p.appeal for p in g.packets if p.appeal]
    if len(filed) < g.k:
        return None
    return counts_figure(
        "appeal-outcomes",
        "Appeal outcomes",
        "appeals",
        [(s, sum(a.status == s for a in filed)) for s in APPEAL_OUTCOMES],
        g.k,
        g.step,
    )


def numbers_and_narrative(g: Group) -> Figure | None:
    """How often the composite and the decision disagree (a signal problem when frequent): over
    decided packets with a composite from readable ratings, shown only when at least k compare."""
    if g.handbook.composite is None or (bar := conflict_bar(g.handbook)) is None:
        return None
    found = []
    for packet in g.packets:
        if packet.is_decided:
            pinned = criteria_of(g.handbook, packet)
            score = packet_score(pinned, packet, packet_coverage(pinned, packet).ratio)
            if score is not None and score.shown:
                found.append(conflict(packet, score, bar) is not None)
    if len(found) < g.k:
        return None
    return counts_figure(
        "numbers-and-narrative",
        "Composite and decision",
        "decisions",
        [("agree", found.count(False)), ("disagree: discussed at calibration", found.count(True))],
        g.k,
        g.step,
        "A decision on the other side of the composite's bar; frequent "
        "disagreement is a signal problem, not a verdict on anyone.",
    )


FIGURES: tuple[FigureBuilder, ...] = (
    outcomes,
    typical_days,
    days_histogram,
    coverage,
    invisible_work,
    reviewer_spread,
    appeals,
    appeal_outcomes,
    numbers_and_narrative,
)
