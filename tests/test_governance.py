"""Review deadlines around date boundaries, harm reviews, and the governance command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, edit, invoke

from generator.check.governance import governance_report
from generator.check.reviewdates import add_months, review_status
from generator.model.handbook import checked
from generator.workspace.workspace import validate_repository


@pytest.mark.parametrize(
    "today, status, days_left",
    [
        ("2026-12-06", "current", 31),
        ("2026-12-07", "due-soon", 30),
        ("2027-01-06", "due-soon", 0),
        ("2027-01-07", "overdue", -1),
    ],
)
def test_status_around_the_boundaries(today: str, status: str, days_left: int) -> None:
    result = review_status("2026-10-06", "quarterly", date.fromisoformat(today), 30)
    assert (result.status, result.days_left, result.next_due) == (status, days_left, date(2027, 1, 6))


def test_month_end_and_leap_years() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_retired_metrics_are_never_overdue() -> None:
    assert review_status("2020-01-01", "monthly", date(2026, 1, 1), 30, retired=True).status == "retired"


def test_report_orders_overdue_first() -> None:
    hb = checked(validate_repository(REPO, today=date(2026, 11, 28)).handbook)
    report = governance_report(hb, date(2027, 1, 10))
    assert [r.status for r in report.rows[:3]] == ["overdue"] * 3
    assert report.rows[-1].id == "story-point-velocity" and report.rows[-1].status == "retired"
    assert report.count("due-soon") == 4 and report.count("current") == 3


def test_cadence_defaults_come_from_settings(repo: Path) -> None:
    edit(repo / "rubrics/metrics/error-budget-burn.yaml", "  review_cadence: quarterly\n", "")
    edit(repo / "site_config/handbook.yaml", "    metrics: quarterly", "    metrics: monthly")
    hb = checked(validate_repository(repo, today=date(2026, 11, 28)).handbook)
    row = next(r for r in governance_report(hb, date(2026, 11, 1)).rows if r.id == "error-budget-burn")
    assert (row.cadence, row.next_due) == ("monthly", "2026-11-13")


def test_governance_cli_strict_and_formats(repo: Path) -> None:
    clean = invoke("governance", "--strict", "--today", "2026-11-28", cwd=repo)
    assert clean.returncode == 0 and "0 overdue" in clean.stdout
    late = invoke("governance", "--strict", "--today", "2027-01-07", cwd=repo)
    assert late.returncode == 1
    assert "3 overdue: change-lead-time, deployment-frequency, deployment-rework-rate" in late.stderr
    markdown = invoke("governance", "--format", "markdown", "--today", "2027-01-07", cwd=repo).stdout
    assert "| metric | `deployment-frequency` | **overdue** | 2026-10-06 | 2027-01-06 |" in markdown
    payload = json.loads(invoke("governance", "--format", "json", "--today", "2027-01-07", cwd=repo).stdout)
    assert {r["id"]: r["status"] for r in payload["rows"]}["slo-attainment"] == "due-soon"


def test_retired_metric_needs_a_retirement_review(repo: Path) -> None:
    edit(repo / "rubrics/metrics/slo-attainment.yaml", "status: active", "status: retired")
    codes = {(d.file, d.code) for d in validate_repository(repo, today=date(2026, 11, 28)).errors}
    assert ("rubrics/metrics/slo-attainment.yaml", "retired-without-review") in codes
    assert ("rubrics/dimensions/reliability.yaml", "retired-metric") in codes


def test_retire_outcome_must_be_applied(repo: Path) -> None:
    edit(repo / "rubrics/metrics/story-point-velocity.yaml", "status: retired", "status: active")
    [problem] = validate_repository(repo, today=date(2026, 11, 28)).errors
    assert problem.code == "retire-not-applied" and "2026-03-02" in problem.message


def test_harm_reviews_in_date_order(repo: Path) -> None:
    edit(repo / "rubrics/metrics/deployment-frequency.yaml", 'date: "2026-10-06"', 'date: "2026-01-06"')
    [problem] = validate_repository(repo, today=date(2026, 11, 28)).errors
    lines = (repo / "rubrics/metrics/deployment-frequency.yaml").read_text("utf-8").splitlines()
    assert problem.code == "harm-review-order" and lines[problem.line - 1].strip() == '- date: "2026-01-06"'
