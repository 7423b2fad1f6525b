"""Criteria versions enforced: `handbook diff --check` fails when the settings' version is not raised
by at least the bump the change needs, and every bump says why (issue 16, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import edit, git, invoke

from generator.compute.semantic_diff import bump_is_sufficient, classify_rewording

RELIABILITY = "rubrics/dimensions/reliability.yaml"
ONCALL = "Shapes on-call for several teams"


@pytest.mark.parametrize(
    "old,new,bump,why",
    [
        (
            "Keeps runbooks current.",
            "Keeps runbooks current and fixes runbooks that are wrong.",
            "minor",
            "'and', 'fixes'",
        ),
        ("Reviews designs.", "Always reviews designs.", "minor", "'always'"),
        ("Reviews designs.", "Reviews every design.", "minor", "'every'"),
        ("Reviews designs.", "Must review designs.", "minor", "'must'"),
        ("Writes docs", "Writes docs for the team and its partners", "minor", "'and'"),
        (
            "Writes clear docs",
            "Writes clear docs for the wider engineering organisation",
            "minor",
            "grows from 3 to 8 words",
        ),
        ("Leads projects of a quarter", "Leads projects of a half-year", "minor", "removes 'quarter'"),
        ("Keeps runbooks current.", "Keeps runbooks current!", "patch", "punctuation"),
        ("Keeps  runbooks\ncurrent.", "keeps runbooks current", "patch", "punctuation, case or spacing"),
        ("Recieve alerts for the servise", "Receive alerts for the service", "patch", "spelling only"),
        ("Acknowledges pages quickly", "Acknowledges pages quikcly", "patch", "spelling only"),
    ],
)
def test_rewording_is_classified_by_what_it_adds(old: str, new: str, bump: str, why: str) -> None:
    found, reason = classify_rewording(old, new)
    assert found == bump and why in reason, (found, reason)


@pytest.mark.parametrize(
    "old,new,required,ok",
    [
        ("1.2.0", "1.2.0", "none", True),
        ("1.2.0", "1.2.1", "patch", True),
        ("1.2.0", "1.2.0", "patch", False),
        ("1.2.0", "1.2.1", "minor", False),
        ("1.2.0", "1.3.0", "minor", True),
        ("1.2.0", "2.0.0", "minor", True),
        ("1.2.0", "1.9.0", "major", False),
        ("1.2.0", "2.0.0", "major", True),
        ("1.2.0", "1.1.0", "none", False),
        ("1.2.3", "1.4.0", "patch", True),
    ],
)
def test_bump_is_sufficient(old: str, new: str, required: str, ok: bool) -> None:
    assert bump_is_sufficient(old, new, required) is ok


@pytest.fixture
def repo_with_base(git_repo: Path) -> Path:
    return git_repo  # the default handbook, committed once (conftest.git_template)


@pytest.mark.parametrize(
    "change,version,exit_code",
    [
        # a new criterion (major) without a version bump: the green PR that should have been red
        ("new-criterion", "1.3.0", 1),
        ("new-criterion", "1.4.0", 1),
        ("new-criterion", "2.0.0", 0),
        # a rewording that adds an obligation is at least minor
        ("obligation", "1.3.1", 1),
        ("obligation", "1.4.0", 0),
        # punctuation only is a patch
        ("punctuation", "1.3.0", 1),
        ("punctuation", "1.3.1", 0),
        ("none", "1.3.0", 0),
    ],
)
def test_diff_check_exits_one_when_the_bump_is_too_small(
    repo_with_base: Path, change: str, version: str, exit_code: int
) -> None:
    repo = repo_with_base
    if change == "new-criterion":
        edit(
            repo / RELIABILITY,
            "  ic3:\n",
            "  ic3:\n    - id: rel-ic3-capacity\n      text: Plans capacity ahead "
            "of demand.\n      examples: [Forecasts peak load.]\n",
        )
    elif change == "obligation":
        edit(repo / RELIABILITY, ONCALL, ONCALL + " and fixes the runbooks that are wrong")
    elif change == "punctuation":
        edit(repo / RELIABILITY, ONCALL, ONCALL.replace("Shapes on-call", "Shapes on-call,"))
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", f"criteria_version: {version}")
    git(repo, "commit", "-q", "--allow-empty", "-am", "change")
    result = invoke("diff", "HEAD~1", "HEAD", "--check", cwd=repo)
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if exit_code:
        assert "is not enough for this change" in result.stderr
        assert "Not enough: criteria_version is" in result.stdout
    if change == "obligation":
        assert "why minor: adds 'and', 'fixes': a new clause or obligation" in result.stdout
