"""Evidence coverage of what a packet's target level expects: a pure computation over the model."""

from __future__ import annotations

from dataclasses import dataclass

from ..model.handbook import Criterion, Handbook, Packet
from .promotion import packet_criteria


@dataclass(frozen=True)
class CriterionCoverage:
    criterion: Criterion
    evidence_ids: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.evidence_ids)


@dataclass(frozen=True)
class Coverage:
    level_id: str
    rows: tuple[CriterionCoverage, ...]
    uncited_evidence: tuple[str, ...]
    invisible_evidence: tuple[str, ...]
    not_counted: tuple[tuple[str, str], ...] = ()  # (evidence id, criterion id): cited, but not counted here

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return sum(row.covered for row in self.rows)

    @property
    def ratio(self) -> float:
        return self.covered / self.total if self.total else 0.0

    def rows_for(self, dimension_id: str) -> tuple[CriterionCoverage, ...]:
        return tuple(row for row in self.rows if row.criterion.dimension == dimension_id)


def packet_coverage(handbook: Handbook, packet: Packet) -> Coverage:
    """A packet covers what counts for its target level under the declared promotion rule: by default the
    level's own criteria and every lower level's criterion on its tracks that no criterion up to the target
    raises (compute/promotion.py)."""
    criteria = packet_criteria(handbook, packet)
    counted = {c.id for c in criteria}
    citing: dict[str, dict[int, str]] = {}  # criterion id -> each piece of evidence citing it, in order
    for number, e in enumerate(packet.evidence):  # one pass, where a scan per criterion was quadratic
        for criterion_id in e.criteria:
            citing.setdefault(criterion_id, {})[number] = e.id
    rows = tuple(CriterionCoverage(c, tuple(citing.get(c.id, {}).values())) for c in criteria)
    return Coverage(
        packet.target_level,
        rows,
        tuple(e.id for e in packet.evidence if not e.criteria),
        tuple(e.id for e in packet.evidence if e.invisible_work),
        tuple((e.id, c) for e in packet.evidence for c in e.criteria if c not in counted),
    )
