"""Each cross-reference rule, triggered by a real edit to a copy of the default handbook."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import edit

from generator.workspace.workspace import validate_repository

TODAY = date(2026, 11, 28)
PRIYA = "packets/examples/priya-raman-senior.yaml"
JONAS = "packets/examples/jonas-berg-staff.yaml"

MUTATIONS = [
    # (file, old, new, code, where the error is reported, line)
    ("levels/ic2.yaml", "id: ic2", "id: ic1", "duplicate-id", "levels/ic2.yaml", 2),
    (
        "rubrics/dimensions/reliability.yaml",
        "id: rel-ic2-oncall",
        "id: rel-ic1-safe-changes",
        "duplicate-id",
        "rubrics/dimensions/reliability.yaml",
        37,
    ),
    (PRIYA, "id: cache-strategy-rfc", "id: billing-bus-plan", "duplicate-id", PRIYA, 25),
    (PRIYA, "track: ic", "track: research", "unknown-track", PRIYA, 7),
    ("site_config/handbook.yaml", "levels: [em1, em2]", "levels: [em1]", "level-not-on-track", "levels/em2.yaml", 2),
    (
        "site_config/handbook.yaml",
        "levels: [em1, em2]",
        "levels: [em1, em2, em3]",
        "unknown-level",
        "site_config/handbook.yaml",
        19,
    ),
    (
        "site_config/handbook.yaml",
        "levels: [em1, em2]",
        "levels: [ic2, ic1]",
        "track-order",
        "site_config/handbook.yaml",
        19,
    ),
    (
        "rubrics/dimensions/delivery.yaml",
        "raises: del-ic1-scoped-tasks",
        "raises: del-ic3-projects",
        "raises-not-below",
        "rubrics/dimensions/delivery.yaml",
        43,
    ),
    (
        "rubrics/dimensions/delivery.yaml",
        "raises: del-ic1-scoped-tasks",
        "raises: rel-ic1-safe-changes",
        "raises-other-dimension",
        "rubrics/dimensions/delivery.yaml",
        43,
    ),
    (
        "rubrics/dimensions/delivery.yaml",
        "raises: del-ic1-scoped-tasks",
        "raises: del-ic1-nothing",
        "unknown-criterion",
        "rubrics/dimensions/delivery.yaml",
        43,
    ),
    (
        "rubrics/dimensions/delivery.yaml",
        "group: delivery",
        "group: throughput",
        "unknown-group",
        "rubrics/dimensions/delivery.yaml",
        5,
    ),
    (
        "rubrics/metrics/slo-attainment.yaml",
        "group: reliability",
        "group: uptime",
        "unknown-group",
        "rubrics/metrics/slo-attainment.yaml",
        4,
    ),
    (
        "rubrics/dimensions/delivery.yaml",
        "  ic5:\n",
        "  ic6:\n",
        "unknown-level",
        "rubrics/dimensions/delivery.yaml",
        75,
    ),
    (
        "rubrics/dimensions/delivery.yaml",
        "signals: [deployment-frequency,",
        "signals: [deploy-frequency,",
        "unknown-metric",
        "rubrics/dimensions/delivery.yaml",
        13,
    ),
    (
        "rubrics/metrics/slo-attainment.yaml",
        "subject: service",
        "subject: individual",
        "individual-metric",
        "rubrics/metrics/slo-attainment.yaml",
        5,
    ),
    (
        "rubrics/metrics/error-budget-burn.yaml",
        "id: error-budget-burn",
        "id: budget-burn",
        "id-file-mismatch",
        "rubrics/metrics/error-budget-burn.yaml",
        2,
    ),
    (
        "rubrics/composite.yaml",
        "advisory: true",
        "advisory: false",
        "composite-not-advisory",
        "rubrics/composite.yaml",
        2,
    ),
    ("rubrics/composite.yaml", "weight: 0.25", "weight: 0.3", "weights-sum", "rubrics/composite.yaml", 7),
    (
        "rubrics/composite.yaml",
        "  - dimension: reliability\n    below",
        "  - dimension: uptime\n    below",
        "unknown-dimension",
        "rubrics/composite.yaml",
        14,
    ),
    ("rubrics/composite.yaml", "    cap: 3\n", "    cap: 7\n", "gate-out-of-scale", "rubrics/composite.yaml", 22),
    (PRIYA, "target_level: ic3", "target_level: ic2", "target-not-above", PRIYA, 9),
    (PRIYA, "target_level: ic3", "target_level: em2", "wrong-track", PRIYA, 9),
    (PRIYA, "target_level: ic3", "target_level: ic7", "unknown-level", PRIYA, 9),
    (PRIYA, "cycle: 2026-h1", "cycle: 2027-h1", "unknown-cycle", PRIYA, 5),
    (
        PRIYA,
        "criteria: [rel-ic3-incident-lead]",
        "criteria: [rel-ic3-incident-lead, rel-ic4-oncall]",
        "criterion-wrong-level",
        PRIYA,
        39,
    ),
    (PRIYA, "criteria: [col-ic3-mentoring]", "criteria: [col-ic3-mentorship]", "unknown-criterion", PRIYA, 55),
    (PRIYA, "    - metric: slo-attainment", "    - metric: uptime", "unknown-metric", PRIYA, 76),
    (
        PRIYA,
        "ratings: {delivery: 4, reliability: 3,",
        "ratings: {delivery: 4, speed: 3,",
        "unknown-dimension",
        PRIYA,
        83,
    ),
    (PRIYA, "criteria_version: 1.3.0", "criteria_version: 9.0.0", "version-ahead", PRIYA, 6),
    (PRIYA, "link: https://github.com/northwind/rfcs/pull/112", "link: javascript:alert(1)", "link-scheme", PRIYA, 18),
    (
        "rubrics/metrics/deployment-frequency.yaml",
        'last_reviewed: "2026-10-06"',
        'last_reviewed: "2027-01-01"',
        "review-in-future",
        "rubrics/metrics/deployment-frequency.yaml",
        34,
    ),
]


@pytest.mark.parametrize("file, old, new, code, reported, line", MUTATIONS, ids=[m[3] + ":" + m[0] for m in MUTATIONS])
def test_rule(repo: Path, file: str, old: str, new: str, code: str, reported: str, line: int) -> None:
    edit(repo / file, old, new)
    report = validate_repository(repo, today=TODAY)
    matching = [d for d in report.errors if d.code == code]
    assert matching, [f"{d.file}:{d.line} {d.code}: {d.message}" for d in report.diagnostics]
    assert (matching[0].file, matching[0].line) == (reported, line), matching[0]


def test_the_default_handbook_validates_cleanly(repo: Path) -> None:
    report = validate_repository(repo, today=TODAY)
    assert report.diagnostics == ()
    assert report.files_checked == 28  # 23 handbook files and the sample team's 5 (teams/checkout)


def test_retired_metric_cannot_be_cited(repo: Path) -> None:
    edit(repo / "rubrics/metrics/slo-attainment.yaml", "status: active", "status: retired")
    report = validate_repository(repo, today=TODAY)
    retired = [d for d in report.errors if d.code == "retired-metric"]
    assert {d.file for d in retired} == {
        "rubrics/dimensions/reliability.yaml",
        PRIYA,
        "packets/examples/amara-okafor-senior.yaml",
    }


def test_metric_without_anti_gaming_rules(repo: Path) -> None:
    path = repo / "rubrics/metrics/deployment-rework-rate.yaml"
    text = path.read_text()
    start, end = text.index("anti_gaming:\n"), text.index("owner:")
    path.write_text(text[:start] + "anti_gaming: []\n" + text[end:])
    report = validate_repository(repo, today=TODAY)
    assert [d.code for d in report.errors] == ["no-anti-gaming"]


def test_overdue_review_is_a_warning_with_the_due_date(repo: Path) -> None:
    report = validate_repository(repo, today=date(2027, 1, 14))
    overdue = [d for d in report.warnings if d.code == "review-overdue"]
    assert len(overdue) == 7  # every quarterly metric; dimensions are semiannual and not yet due
    by_file = {d.file: d for d in overdue}
    message = by_file["rubrics/metrics/deployment-frequency.yaml"].message
    assert "due for its quarterly review on 2027-01-06 (8 days ago)" in message
    assert "(1 day ago)" in by_file["rubrics/metrics/change-failure-rate.yaml"].message
    assert not report.errors and report.failed(strict=True)


def test_missing_settings_file(repo: Path) -> None:
    (repo / "site_config/handbook.yaml").unlink()
    report = validate_repository(repo, today=TODAY)
    assert "missing-file" in {d.code for d in report.errors}


def test_broken_level_file_does_not_cascade_into_unknown_level_errors(repo: Path) -> None:
    edit(repo / "levels/ic3.yaml", "title: Senior Engineer", "title: [Senior Engineer")
    report = validate_repository(repo, today=TODAY)
    assert [d.code for d in report.errors] == ["yaml-syntax"]


def test_only_given_files_are_reported_but_checked_against_the_whole_model(repo: Path) -> None:
    edit(repo / "levels/ic3.yaml", "summary:", "sumary:")
    edit(repo / PRIYA, "target_level: ic3", "target_level: ic7")
    report = validate_repository(repo, only=[repo / PRIYA], today=TODAY)
    assert report.files_checked == 1
    assert [d.code for d in report.errors] == ["unknown-level"]


def test_evidence_and_decisions_cannot_be_dated_after_today(repo: Path) -> None:
    edit(repo / PRIYA, 'date: "2026-01-14"', 'date: "2026-12-24"')
    edit(repo / PRIYA, '  date: "2026-06-19"', '  date: "2027-01-05"')
    report = validate_repository(repo, today=TODAY)
    assert [(d.code, d.line) for d in report.errors] == [("evidence-in-future", 37), ("decision-in-future", 88)]


def test_decisions_need_a_date_and_enough_reviews(repo: Path) -> None:
    edit(repo / PRIYA, '  date: "2026-06-19"\n', "")
    text = (repo / PRIYA).read_text()
    start = text.index("  - reviewer: Reviewer C")
    (repo / PRIYA).write_text(text[:start] + text[text.index("decision:") :])
    report = validate_repository(repo, today=TODAY)
    assert not report.errors
    assert {d.code for d in report.warnings} == {"decision-undated", "too-few-reviews"}
    assert "decided on 2 review(s); the process asks for 3" in {d.message for d in report.warnings}


def test_a_handbook_without_levels_says_so(repo: Path) -> None:
    for level in (repo / "levels").iterdir():
        level.unlink()
    codes = {d.code for d in validate_repository(repo, today=TODAY).errors}
    assert "no-levels" in codes
