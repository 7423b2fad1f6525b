"""Process health: aggregates over all real packets (private included), never about one person.

Examples are fictional and left out. Any group smaller than the minimum group size is suppressed,
so no figure can be traced back to an individual. Pure: submission dates come in as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import mean, median, pvariance
from typing import Mapping

from .calibration import conflict, conflict_bar
from .coverage import packet_coverage
from .model import Handbook, Packet
from .scoring import packet_score

DECIDED = ("promoted", "not-yet")
OUTCOMES = ("promoted", "not-yet", "submitted", "withdrawn")
DAY_BINS = ((0, 14, "under 2 weeks"), (14, 28, "2–4 weeks"), (28, 56, "4–8 weeks"), (56, 112, "8–16 weeks"),
            (112, None, "16 weeks or more"))


@dataclass(frozen=True)
class DimensionSpread:
    dimension: str
    name: str
    mean_spread: float
    mean_variance: float


@dataclass(frozen=True)
class CycleHealth:
    cycle: str
    name: str
    suppressed: bool
    submitted: int | None = None
    decided: int | None = None
    pending: int | None = None
    withdrawn: int | None = None
    promoted: int | None = None
    not_yet: int | None = None
    median_days_to_decision: float | None = None
    invisible_share: float | None = None
    full_coverage_share: float | None = None
    spreads: tuple[DimensionSpread, ...] = ()
    conflicts: int | None = None  # decided packets whose composite sits on the other side of the bar
    conflicts_of: int | None = None  # decided packets with a composite to compare (None: suppressed)

    @property
    def conflict_rate(self) -> float | None:
        return self.conflicts / self.conflicts_of if self.conflicts_of else None

    def share(self, status: str) -> float:
        counts = {"promoted": self.promoted, "not-yet": self.not_yet, "submitted": self.pending,
                  "withdrawn": self.withdrawn}
        return (counts[status] or 0) / self.submitted if self.submitted else 0.0


@dataclass(frozen=True)
class Bin:
    label: str
    count: int


@dataclass(frozen=True)
class ProcessHealth:
    minimum_group: int
    cycles: tuple[CycleHealth, ...]
    days_histogram: tuple[Bin, ...]  # empty when fewer decisions than the minimum group
    decisions_timed: int | None
    appeals_filed: int | None
    appeal_outcomes: tuple[tuple[str, int], ...]  # empty when fewer appeals than the minimum group

    @property
    def histogram_max(self) -> int:
        return max((b.count for b in self.days_histogram), default=0)


def process_health(hb: Handbook, submitted_on: Mapping[str, date], minimum_group: int | None = None) -> ProcessHealth:
    minimum = minimum_group or (hb.settings.minimum_group_size if hb.settings else 5)
    real = [p for p in hb.packets if not p.is_example and p.decision.status != "draft"]
    cycles = []
    for cycle in (hb.settings.review_cycles if hb.settings else ()):
        group = [p for p in real if p.cycle == cycle.id]
        cycles.append(_cycle(hb, cycle.id, cycle.name, group, submitted_on, minimum))
    durations = [d for p in real if (d := _days_to_decision(p, submitted_on)) is not None]
    histogram = tuple(Bin(label, sum(lo <= d and (hi is None or d < hi) for d in durations))
                      for lo, hi, label in DAY_BINS) if len(durations) >= minimum else ()
    appeals = [p.appeal for p in real if p.appeal]
    outcomes = tuple((status, sum(a.status == status for a in appeals)) for status in ("pending", "upheld", "overturned"))
    return ProcessHealth(
        minimum, tuple(cycles), histogram, len(durations) if len(durations) >= minimum else None,
        len(appeals) if len(real) >= minimum else None, outcomes if len(appeals) >= minimum else ())


def _days_to_decision(packet: Packet, submitted_on: Mapping[str, date]) -> int | None:
    start = submitted_on.get(packet.file)
    if start is None or packet.decision.status not in DECIDED or not packet.decision.date:
        return None
    return (date.fromisoformat(packet.decision.date) - start).days


def _cycle(hb: Handbook, cycle_id: str, name: str, group: list[Packet], submitted_on: Mapping[str, date],
           minimum: int) -> CycleHealth:
    if len(group) < minimum:
        return CycleHealth(cycle_id, name, suppressed=True)
    statuses = [p.decision.status for p in group]
    durations = [d for p in group if (d := _days_to_decision(p, submitted_on)) is not None]
    evidence = [e for p in group for e in p.evidence]
    full = sum(packet_coverage(hb, p).ratio == 1 for p in group)
    return CycleHealth(
        cycle_id, name, False, len(group), sum(s in DECIDED for s in statuses), statuses.count("submitted"),
        statuses.count("withdrawn"), statuses.count("promoted"), statuses.count("not-yet"),
        median(durations) if len(durations) >= minimum else None,
        sum(e.invisible_work for e in evidence) / len(evidence) if evidence else None,
        full / len(group), _spreads(hb, group, minimum), *_conflicts(hb, group, minimum))


def _conflicts(hb: Handbook, group: list[Packet], minimum: int) -> tuple[int | None, int | None]:
    """How often numbers and narrative disagree; only over readable ratings, and only when at least
    `minimum` decided packets can be compared (else suppressed like every other figure)."""
    bar = conflict_bar(hb)
    if hb.composite is None or bar is None:
        return None, None
    found = []
    for packet in group:
        if packet.is_decided:
            coverage = packet_coverage(hb, packet)
            score = packet_score(hb, packet, coverage.ratio)
            if score.shown:
                found.append(conflict(packet, score, bar) is not None)
    return (sum(found), len(found)) if len(found) >= minimum else (None, None)


def _spreads(hb: Handbook, group: list[Packet], minimum: int) -> tuple[DimensionSpread, ...]:
    result = []
    for dim in hb.ordered_dimensions:
        per_packet = [ratings for p in group
                      if len(ratings := [r for a in p.all_assessments if (r := a.rating(dim.id)) is not None]) >= 2]
        if len(per_packet) >= minimum:
            result.append(DimensionSpread(dim.id, dim.name, mean(max(r) - min(r) for r in per_packet),
                                          mean(pvariance(r) for r in per_packet)))
    return tuple(result)
