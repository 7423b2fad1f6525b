"""The advisory composite (OV) score: explainable, bounded, and capped by gates.

Pure functions: the handbook's worked example and every packet's score come from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean

from ..model.handbook import Composite, Handbook, Packet


@dataclass(frozen=True)
class DimensionScore:
    dimension: str
    name: str
    weight: float
    ratings: tuple[int, ...]
    mean: float | None
    contribution: float | None
    percent: int = 0  # the weight as a whole percentage; a score's percentages add up to 100

    @property
    def spread(self) -> int | None:
        return max(self.ratings) - min(self.ratings) if self.ratings else None


@dataclass(frozen=True)
class GateResult:
    dimension: str
    below: float
    cap: float
    reason: str
    applied: bool


@dataclass(frozen=True)
class CompositeScore:
    rows: tuple[DimensionScore, ...]
    gates: tuple[GateResult, ...]
    weighted: float | None
    final: float | None
    scale_min: float
    scale_max: float
    coverage: float
    minimum_coverage: float
    withheld_reason: str | None

    @property
    def shown(self) -> bool:
        return self.withheld_reason is None

    @property
    def applied_gates(self) -> tuple[GateResult, ...]:
        return tuple(g for g in self.gates if g.applied)


def weight_percents(weights: Sequence[float]) -> tuple[int, ...]:
    """Weights as whole percentages that add up to 100 (largest-remainder rounding), so that a table
    of 0.4/0.35/0.25 or of nine equal weights never shows 99% or 101%."""
    total = sum(weights)
    if not weights or total <= 0:
        return tuple(0 for _ in weights)
    exact = [100 * w / total for w in weights]
    floors = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[: 100 - sum(floors)]:
        floors[i] += 1
    return tuple(floors)


def composite_percents(composite: Composite) -> dict[str, int]:
    return dict(
        zip((c.dimension for c in composite.components), weight_percents([c.weight for c in composite.components]))
    )


def worked_example_ratings(composite: Composite) -> dict[str, list[int]]:
    """Three reviewers' ratings for the composite page's worked example, derived from the composite
    itself: the first gate's dimension is rated just below its threshold (so the reader sees a gate at
    work), every other dimension high."""
    low, high = int(composite.scale_min), int(composite.scale_max)
    ratings = {c.dimension: [high, max(low, high - 1), high] for c in composite.components}
    if composite.gates:
        gate = composite.gates[0]
        below = max(low, min(high, -int(-gate.below // 1) - 1))  # the largest whole rating under the threshold
        if below < gate.below:
            ratings[gate.dimension] = [below, below, below]
    return ratings


def composite_score(
    composite: Composite, names: Mapping[str, str], ratings: Mapping[str, Sequence[int]], coverage: float
) -> CompositeScore:
    percents = composite_percents(composite)
    rows = tuple(
        _dimension_score(
            c.dimension,
            names.get(c.dimension, c.dimension),
            c.weight,
            tuple(ratings.get(c.dimension, ())),
            percents[c.dimension],
        )
        for c in composite.components
    )
    means = {row.dimension: row.mean for row in rows}
    gates = tuple(
        GateResult(
            g.dimension, g.below, g.cap, g.reason, (mean := means.get(g.dimension)) is not None and mean < g.below
        )
        for g in composite.gates
    )
    missing = [row.name for row in rows if row.mean is None]
    weighted = None if missing else round(sum(row.contribution or 0.0 for row in rows), 2)
    final = None
    if weighted is not None:
        final = min([weighted, *(g.cap for g in gates if g.applied)])
        final = round(max(composite.scale_min, min(composite.scale_max, final)), 2)
    reason = None
    if missing:
        reason = f"no ratings yet for {', '.join(missing)}"
    elif coverage < composite.minimum_coverage:
        reason = (
            f"evidence covers {coverage:.0%} of the target level's criteria; a score is shown from "
            f"{composite.minimum_coverage:.0%}"
        )
    return CompositeScore(
        rows,
        gates,
        weighted,
        final,
        composite.scale_min,
        composite.scale_max,
        coverage,
        composite.minimum_coverage,
        reason,
    )


def _dimension_score(
    dimension: str, name: str, weight: float, ratings: tuple[int, ...], percent: int = 0
) -> DimensionScore:
    if not ratings:
        return DimensionScore(dimension, name, weight, ratings, None, None, percent)
    average = mean(ratings)  # unrounded: only what is shown is rounded
    return DimensionScore(dimension, name, weight, ratings, average, weight * average, percent)


def packet_ratings(packet: Packet) -> dict[str, list[int]]:
    ratings: dict[str, list[int]] = {}
    for assessment in packet.all_assessments:
        for dimension, rating in assessment.ratings:
            ratings.setdefault(dimension, []).append(rating)
    return ratings


def packet_score(handbook: Handbook, packet: Packet, coverage: float) -> CompositeScore | None:
    """None when the organisation has no composite (rubrics/composite.yaml is optional)."""
    if handbook.composite is None:
        return None
    names = {d.id: d.name for d in handbook.dimensions}
    return composite_score(handbook.composite, names, packet_ratings(packet), coverage)
