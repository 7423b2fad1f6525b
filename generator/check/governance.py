"""Governance status of every metric and dimension: who owns it and when it is next reviewed. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..model.handbook import CheckedHandbook, Dimension, Metric
from .reviewdates import review_status


@dataclass(frozen=True)
class GovernanceRow:
    kind: str  # metric | dimension
    id: str
    name: str
    owner: str
    contact: str
    cadence: str
    last_reviewed: str
    next_due: str
    status: str  # current | due-soon | overdue | retired | not-reviewed (no review date yet)
    days_left: int
    last_harm_review: str | None
    file: str


@dataclass(frozen=True)
class GovernanceReport:
    today: str
    due_soon_days: int
    rows: tuple[GovernanceRow, ...]

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    @property
    def overdue(self) -> tuple[GovernanceRow, ...]:
        return tuple(row for row in self.rows if row.status == "overdue")


def governance_report(hb: CheckedHandbook, today: date) -> GovernanceReport:
    settings = hb.settings
    rows = []
    for metric in hb.metrics:
        cadence = metric.governance.review_cadence or settings.default_metric_cadence
        rows.append(
            _row(
                "metric",
                metric,
                cadence,
                today,
                settings.due_soon_days,
                metric.governance.status == "retired",
                metric.harm_reviews[-1].date if metric.harm_reviews else None,
            )
        )
    for dim in hb.dimensions:
        cadence = dim.governance.review_cadence or settings.default_dimension_cadence
        rows.append(_row("dimension", dim, cadence, today, settings.due_soon_days, False, None))
    order = {"overdue": 0, "due-soon": 1, "not-reviewed": 2, "current": 3, "retired": 4}
    rows.sort(key=lambda r: (order[r.status], r.next_due, r.kind, r.id))
    return GovernanceReport(today.isoformat(), settings.due_soon_days, tuple(rows))


def _row(
    kind: str, item: Metric | Dimension, cadence: str, today: date, due_soon: int, retired: bool, harm: str | None
) -> GovernanceRow:
    if item.governance.last_reviewed is None:  # reported once by `lint`, never as overdue
        return GovernanceRow(
            kind,
            item.id,
            item.name,
            item.owner.group,
            item.owner.contact,
            cadence,
            "",
            "",
            "not-reviewed",
            0,
            harm,
            item.file,
        )
    status = review_status(item.governance.last_reviewed, cadence, today, due_soon, retired)
    return GovernanceRow(
        kind,
        item.id,
        item.name,
        item.owner.group,
        item.owner.contact,
        cadence,
        item.governance.last_reviewed,
        status.next_due.isoformat(),
        status.status,
        status.days_left,
        harm,
        item.file,
    )
