"""The calibration view: a cycle's packets for one target level side by side. Pure.

It flags, and never resolves: dimensions where reviewers differ by two points or more, and
packets whose decision sits on the other side of the composite's bar ("numbers and narrative
disagree: discuss"). Sealed reviews must be opened (reviews.open_packets) before they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model.handbook import Counterexample, Handbook, Packet, Review
from ..model.pinned import criteria_of
from .coverage import Coverage, packet_coverage
from .promotion import judge
from .scoring import CompositeScore, packet_score
from .team_signals import SignalView

DISAGREEMENT = 2  # rating points between the lowest and highest reviewer on one dimension
CONFLICT_FLAG = "numbers and narrative disagree: discuss"


@dataclass(frozen=True)
class ReviewerRatings:
    reviewer: str
    ratings: tuple[int | None, ...]  # in the order of Calibration.dimensions
    notes: tuple[str | None, ...]
    sealed: bool = False  # a review that could not be read (no identity given)
    unverified: str | None = None  # why this review does not count (signature, conflict, assignment): shown only


@dataclass(frozen=True)
class DimensionSpread:
    dimension: str
    ratings: tuple[int, ...]
    spread: int | None
    flagged: bool


@dataclass(frozen=True)
class CriterionJudgements:
    criterion: str
    met_by: tuple[str, ...]
    not_met_by: tuple[str, ...]
    convincing: tuple[str, ...]  # evidence ids some reviewer found convincing
    unconvincing: tuple[str, ...]


@dataclass(frozen=True)
class PacketCalibration:
    packet: Packet
    coverage: Coverage
    score: CompositeScore | None  # None: the handbook has no composite
    reviews_in: int
    reviews_expected: int
    reviewers: tuple[ReviewerRatings, ...]
    spreads: tuple[DimensionSpread, ...]
    judgements: tuple[CriterionJudgements, ...]
    counterexamples: tuple[tuple[str, Counterexample], ...]  # (reviewer, counterexample)
    conflict: str | None  # why numbers and narrative disagree, or None
    rule_verdict: str | None = None  # what the evidence supports under the declared promotion rule
    # Evidence team signals, attached after the figures above: team context, never this person's score.
    team_signals: tuple[SignalView, ...] = ()

    @property
    def disagreements(self) -> tuple[str, ...]:
        return tuple(s.dimension for s in self.spreads if s.flagged)


@dataclass(frozen=True)
class LevelCalibration:
    level: str
    title: str
    packets: tuple[PacketCalibration, ...]


@dataclass(frozen=True)
class Calibration:
    cycle: str
    dimensions: tuple[tuple[str, str], ...]  # (id, name)
    bar: float | None
    levels: tuple[LevelCalibration, ...]
    flag: str = CONFLICT_FLAG

    @property
    def conflicts(self) -> int:
        return sum(p.conflict is not None for lvl in self.levels for p in lvl.packets)


def conflict_bar(hb: Handbook) -> float | None:
    """The composite at or above which the numbers say 'ready' (settings, else mid-scale)."""
    bar = hb.settings.review_process.conflict_bar if hb.settings else None
    if bar is None and hb.composite is not None:
        bar = (hb.composite.scale_min + hb.composite.scale_max) / 2
    return bar


def conflict(packet: Packet, score: CompositeScore | None, bar: float | None) -> str | None:
    """Why the decision and the composite disagree, or None (no decision or no composite: nothing to compare)."""
    if bar is None or score is None or not score.shown or score.final is None:
        return None
    status = packet.decision.status
    if status == "promoted" and score.final < bar:
        return f"promoted, but the composite {score.final:g} is below the bar of {bar:g}"
    if status == "not-yet" and score.final >= bar:
        return f"not yet promoted, but the composite {score.final:g} reaches the bar of {bar:g}"
    return None


def calibrate(hb: Handbook, cycle: str, level: str | None = None) -> Calibration:
    """Real packets only: examples are fictional, as in the process-health aggregates."""
    bar = conflict_bar(hb)
    dims = tuple((d.id, d.name) for d in hb.ordered_dimensions)
    chosen = [
        p for p in hb.packets if p.cycle == cycle and not p.is_example and (level is None or p.target_level == level)
    ]
    levels = []
    for level_id in dict.fromkeys(p.target_level for p in _by_rank(hb, chosen)):
        group = tuple(packet_calibration(hb, p, bar) for p in chosen if p.target_level == level_id)
        found = hb.level(level_id)
        levels.append(LevelCalibration(level_id, found.title if found else level_id, group))
    return Calibration(cycle, dims, bar, tuple(levels))


def _by_rank(hb: Handbook, packets: list[Packet]) -> list[Packet]:
    ladders = {t.id: (i, t.levels) for i, t in enumerate(hb.settings.tracks if hb.settings else ())}

    def key(p: Packet) -> tuple[Any, ...]:
        index, levels = ladders.get(p.track, (len(ladders), ()))
        return (index, levels.index(p.target_level) if p.target_level in levels else len(levels), p.target_level)

    return sorted(packets, key=key)


def packet_calibration(hb: Handbook, packet: Packet, bar: float | None) -> PacketCalibration:
    criteria = criteria_of(hb, packet)  # judged against the version it pins, as readiness and decide judge it
    coverage = packet_coverage(criteria, packet)
    score = packet_score(criteria, packet, coverage.ratio)
    dims = [d.id for d in hb.ordered_dimensions]
    blank = tuple(None for _ in dims)
    rows = [
        ReviewerRatings(a.reviewer, tuple(a.rating(d) for d in dims), blank)
        if packet.in_file_not_counted is None
        else ReviewerRatings(a.reviewer, blank, blank, unverified=packet.in_file_not_counted)
        for a in packet.assessments
    ]
    for r in packet.reviews:
        if r.unverified is not None:
            rows.append(
                ReviewerRatings(
                    r.reviewer, tuple(None for _ in dims), tuple(None for _ in dims), r.content is None, r.unverified
                )
            )
        elif r.content is None:
            rows.append(ReviewerRatings(r.reviewer, tuple(None for _ in dims), tuple(None for _ in dims), True))
        else:
            notes = {x.dimension: x.note for x in r.content.ratings}
            rows.append(
                ReviewerRatings(r.reviewer, tuple(r.content.rating(d) for d in dims), tuple(notes.get(d) for d in dims))
            )
    spreads = []
    for index, dim in enumerate(dims):
        ratings = tuple(v for row in rows if (v := row.ratings[index]) is not None)
        spread = max(ratings) - min(ratings) if len(ratings) >= 2 else None
        spreads.append(DimensionSpread(dim, ratings, spread, spread is not None and spread >= DISAGREEMENT))
    expected = (hb.settings.review_process.reviewers_per_packet if hb.settings else None) or 0
    counted = packet.counted_reviews
    return PacketCalibration(
        packet,
        coverage,
        score,
        packet.reviews_in,
        expected,
        tuple(rows),
        tuple(spreads),
        _judgements(counted),
        tuple((r.reviewer, c) for r in counted if r.content for c in r.content.counterexamples),
        conflict(packet, score, bar),
        judge(hb, packet).summary,
    )


def _judgements(reviews: tuple[Review, ...]) -> tuple[CriterionJudgements, ...]:
    found: dict[str, dict[str, list[str]]] = {}
    for r in reviews:
        for j in r.content.criteria if r.content else ():
            entry = found.setdefault(j.criterion, {"met": [], "not": [], "yes": [], "no": []})
            entry["met" if j.met else "not"].append(r.reviewer)
            entry["yes"].extend(j.convincing)
            entry["no"].extend(j.unconvincing)
    return tuple(
        CriterionJudgements(
            c, tuple(e["met"]), tuple(e["not"]), tuple(dict.fromkeys(e["yes"])), tuple(dict.fromkeys(e["no"]))
        )
        for c, e in found.items()
    )
