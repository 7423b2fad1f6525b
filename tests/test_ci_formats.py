"""`validate --format gitlab` (Code Quality) and `--format sarif` (SARIF 2.1.0) checked against their
published JSON Schemas (tests/fixtures/schemas/, sources in SOURCES.md), stable fingerprints, and
GitHub annotation titles in words (issue 16, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import edit, invoke
from jsonschema import Draft4Validator, Draft202012Validator

SCHEMAS = Path(__file__).parent / "fixtures" / "schemas"
AMARA = "packets/examples/amara-okafor-senior.yaml"
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def broken(repo: Path) -> None:
    edit(repo / AMARA, "criteria: [rel-ic3-slos]", "criteria: [rel-ic3-slo]")
    edit(repo / AMARA, "    impact: Two new engineers", "    impcat: Two new engineers")
    edit(repo / "levels/ic2.yaml", "min_months: 18", "min_months: two")
    edit(repo / "rubrics/metrics/slo-attainment.yaml", 'last_reviewed: "', 'last_reviewed: "2020')  # bad date


def test_gitlab_code_quality_matches_gitlabs_schema(repo: Path) -> None:
    broken(repo)
    result = invoke("validate", "--format", "gitlab", cwd=repo)
    assert result.returncode == 1
    issues = json.loads(result.stdout)  # the whole output is the report: no summary line
    assert isinstance(issues, list) and len(issues) >= 4
    validator = Draft202012Validator(json.loads((SCHEMAS / "gitlab-codeclimate.json").read_text()))
    for issue in issues:
        validator.validate(issue)
        assert issue["severity"] in SEVERITIES
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert any(i["description"].startswith("Unknown criterion: evidence 'alert-rework' (item 1)") for i in issues)


def test_fingerprints_stay_when_lines_move(repo: Path) -> None:
    broken(repo)
    before = {i["description"]: i for i in json.loads(invoke("validate", "--format", "gitlab", cwd=repo).stdout)}
    text = (repo / AMARA).read_text()
    (repo / AMARA).write_text(text.replace("evidence:\n", "# a comment that moves every line below\n\nevidence:\n", 1))
    after = {i["description"]: i for i in json.loads(invoke("validate", "--format", "gitlab", cwd=repo).stdout)}
    moved = [d for d in before if before[d]["location"]["path"] == AMARA]
    assert moved
    for description in moved:
        assert after[description]["location"]["lines"]["begin"] == before[description]["location"]["lines"]["begin"] + 2
        assert after[description]["fingerprint"] == before[description]["fingerprint"]


def test_sarif_matches_the_sarif_2_1_0_schema(repo: Path) -> None:
    broken(repo)
    result = invoke("validate", "--format", "sarif", cwd=repo)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    for found in run["results"]:
        assert rules[found["ruleIndex"]]["id"] == found["ruleId"]
        assert found["level"] in ("error", "warning")
        assert found["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert {"unknown-criterion", "schema-misspelled-key", "schema-type"} <= {r["ruleId"] for r in run["results"]}


def test_a_clean_repository_gives_empty_reports(repo: Path) -> None:
    assert json.loads(invoke("validate", "--format", "gitlab", cwd=repo).stdout) == []
    log = json.loads(invoke("validate", "--format", "sarif", cwd=repo).stdout)
    assert log["runs"][0]["results"] == []


@pytest.mark.parametrize(
    "code,title",
    [
        ("schema-additionalProperties", "Unknown key"),
        ("schema-required", "Missing key"),
        ("unknown-criterion", "Unknown criterion"),
        ("criterion-wrong-level", "Criterion above the target level"),
        ("duplicate-id", "Duplicate id"),
    ],
)
def test_github_annotation_titles_are_words(code: str, title: str) -> None:
    from generator.report.ci import title as title_of

    assert title_of(code) == title


def test_github_annotations_carry_titles_in_words(repo: Path) -> None:
    broken(repo)
    out = invoke("validate", "--format", "github", cwd=repo).stdout
    assert f"::error file={AMARA},line=22,col=16,title=Unknown criterion::evidence 'alert-rework' (item 1)" in out
    assert "title=schema-" not in out
