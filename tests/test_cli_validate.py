"""`handbook validate` through a real subprocess: exit codes, formats, summary."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, edit, invoke

PRIYA = "packets/examples/priya-raman-senior.yaml"


def test_clean_repository_exits_zero_with_a_summary() -> None:
    result = invoke("validate", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "28 files checked, 0 errors, 0 warnings"


def test_errors_exit_one_and_all_are_reported(repo: Path) -> None:
    edit(repo / PRIYA, "target_level: ic3", "target_level: ic7")
    edit(repo / "levels/ic2.yaml", "min_months: 18", "min_months: two")
    result = invoke("validate", cwd=repo)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "levels/ic2.yaml:9:15: error: expected a whole number, found the text 'two' [schema-type]" in lines
    assert (
        f"{PRIYA}:9:15: error: target_level names unknown level 'ic7' (did you mean 'ic5'?); levels use ids: "
        "ic1 (Engineer I), ic3 (Senior Engineer), ic4 (Staff Engineer), ic5 (Principal Engineer) "
        "[unknown-level]"
    ) in lines  # ic2 is broken, so not offered
    assert lines[-1] == "28 files checked, 2 errors, 0 warnings"  # 23 YAML files and 5 team files
    assert "Traceback" not in result.stderr


def test_json_format(repo: Path) -> None:
    edit(repo / "levels/ic2.yaml", "min_months: 18", "min_months: two")
    result = invoke("validate", "--format", "json", cwd=repo)
    payload = json.loads(result.stdout)
    assert payload["errors"] == 1 and payload["files_checked"] == 28
    [item] = payload["diagnostics"]
    assert item == {
        "file": "levels/ic2.yaml",
        "line": 9,
        "column": 15,
        "severity": "error",
        "code": "schema-type",
        "message": "expected a whole number, found the text 'two'",
        "json_path": "$.typical_time_in_level.min_months",
    }


def test_github_annotations(repo: Path) -> None:
    edit(repo / "levels/ic2.yaml", "min_months: 18", "min_months: two")
    result = invoke("validate", "--format", "github", cwd=repo)
    assert result.stdout.splitlines()[0] == (
        "::error file=levels/ic2.yaml,line=9,col=15,title=Wrong kind of value::expected a whole number, found the text 'two' [schema-type]"
    )


def test_strict_turns_overdue_reviews_into_failure(repo: Path) -> None:
    assert invoke("validate", "--today", "2027-03-01", cwd=repo).returncode == 0
    result = invoke("validate", "--strict", "--today", "2027-03-01", cwd=repo)
    assert result.returncode == 1
    assert "warning: 'slo-attainment' was due for its quarterly review on 2027-01-13" in result.stdout


def test_given_paths_only(repo: Path) -> None:
    edit(repo / "levels/ic2.yaml", "min_months: 18", "min_months: two")
    result = invoke("validate", PRIYA, cwd=repo)
    assert result.returncode == 0
    assert result.stdout.strip() == "1 file checked, 0 errors, 0 warnings"


def test_usage_errors_exit_two(repo: Path) -> None:
    assert invoke("validate", "--format", "xml", cwd=repo).returncode == 2
    assert invoke("validate", "no/such/file.yaml", cwd=repo).returncode == 2
    bad_date = invoke("validate", "--today", "tomorrow", cwd=repo)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_file_in_an_unknown_place(repo: Path) -> None:
    (repo / "rubrics/notes.yaml").write_text("a: 1\n")
    result = invoke("validate", cwd=repo)
    assert result.returncode == 1
    assert "rubrics/notes.yaml:1:1: error: not a place where the handbook keeps data files" in result.stdout


def test_runs_from_a_subfolder(repo: Path) -> None:
    result = invoke("validate", cwd=repo / "packets" / "examples")
    assert result.returncode == 0 and "28 files checked" in result.stdout
