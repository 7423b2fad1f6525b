"""Review cadences and due dates: pure date arithmetic shared by validation and governance pages."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewStatus:
    cadence: str
    last_reviewed: date
    next_due: date
    status: str  # current | due-soon | overdue | retired
    days_left: int


def review_status(
    last_reviewed: str, cadence: str, today: date, due_soon_days: int, retired: bool = False
) -> ReviewStatus:
    last = date.fromisoformat(last_reviewed)
    next_due = add_months(last, CADENCE_MONTHS[cadence])
    days_left = (next_due - today).days
    if retired:
        status = "retired"
    elif days_left < 0:
        status = "overdue"
    elif days_left <= due_soon_days:
        status = "due-soon"
    else:
        status = "current"
    return ReviewStatus(cadence, last, next_due, status, days_left)
