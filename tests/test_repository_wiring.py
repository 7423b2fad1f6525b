"""Files the project ships for GitHub, pre-commit and editors: parsed, and their commands run."""

from __future__ import annotations

import re
import shlex
import subprocess
from fnmatch import fnmatch
from pathlib import Path

import yaml
from conftest import REPO, copy_content, edit, invoke

from generator.load.repository import KIND_PATTERNS

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def test_workflows_parse_and_call_real_commands() -> None:
    assert {w.name for w in WORKFLOWS} == {"pull-request.yml", "publish.yml", "governance.yml"}
    commands = set()
    for workflow in WORKFLOWS:
        data = yaml.safe_load(workflow.read_text())
        for job in data["jobs"].values():
            for step in job["steps"]:
                for line in step.get("run", "").splitlines():
                    commands.update(re.findall(r"handbook ([a-z]+)", line))
    assert commands >= {"validate", "comment", "diff", "build", "codeowners", "governance"}
    for command in commands:
        assert invoke(command, "--help", cwd=REPO).returncode == 0, command


def test_pull_request_workflow_uses_annotations_and_one_comment() -> None:
    text = (REPO / ".github/workflows/pull-request.yml").read_text()
    assert "handbook validate --format github" in text
    # the report goes to one PR comment (job summary on forks), written by `handbook comment` itself
    assert "handbook comment --platform github" in text and "pull-requests: write" in text
    assert "fetch-depth: 0" in text and "--check" in text


def test_pre_commit_hook_runs_on_the_files_it_matches(tmp_path: Path) -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    assert pattern.search("packets/2026-h2/someone.yaml") and not pattern.search("generator/cli.py")
    repo = copy_content(tmp_path / "hb")
    edit(repo / "levels/ic2.yaml", "min_months: 18", "min_months: two")
    arguments = shlex.split(hook["entry"])[1:] + ["levels/ic2.yaml", "levels/ic3.yaml"]
    result = invoke(*arguments, cwd=repo)
    assert result.returncode == 1 and "levels/ic2.yaml:9:15" in result.stdout


def test_editor_schema_mapping_matches_the_repository_layout() -> None:
    import json

    mapping = json.loads((REPO / ".vscode/settings.json").read_text())["yaml.schemas"]
    for schema, glob in mapping.items():
        assert (REPO / schema).is_file()
        kind = schema.split("/")[-1].removesuffix(".schema.json")
        sample = glob.replace("**/", "2026-h2/").replace("*", "example")
        assert any(k == kind and fnmatch(sample, p) for k, p in KIND_PATTERNS), (glob, kind)


def test_codeowners_is_current_and_the_check_catches_drift(tmp_path: Path) -> None:
    assert invoke("codeowners", "--check", cwd=REPO).returncode == 0
    repo = copy_content(tmp_path / "hb")
    (repo / ".github").mkdir()
    (repo / ".github/CODEOWNERS").write_text((REPO / ".github/CODEOWNERS").read_text())
    edit(
        repo / "rubrics/metrics/slo-attainment.yaml",
        "contact: sre-council@northwind.example",
        'contact: "@northwind/slo-owners"',
    )
    stale = invoke("codeowners", "--check", cwd=repo)
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert invoke("codeowners", cwd=repo).returncode == 0
    assert "/rubrics/metrics/slo-attainment.yaml" in (repo / ".github/CODEOWNERS").read_text()
    assert "@northwind/slo-owners" in (repo / ".github/CODEOWNERS").read_text()


def test_outdated_packet_warning_says_what_changed_for_its_level(tmp_path: Path) -> None:
    repo = copy_content(tmp_path / "hb")

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "start")
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "  ic3:\n",
        "  ic3:\n    - id: rel-ic3-capacity\n"
        "      text: Plans capacity ahead of demand.\n      examples: [Forecasts peak load.]\n",
    )
    edit(repo / "site_config/handbook.yaml", "criteria_version: 1.3.0", "criteria_version: 2.0.0")
    git("commit", "-qam", "raise senior")
    result = invoke("validate", "packets/examples/priya-raman-senior.yaml", cwd=repo)
    assert result.returncode == 0
    assert (
        "warning: packet was written against criteria 1.3.0; the handbook is at 2.0.0; it is checked and "
        "scored against 1.3.0, as pinned (`handbook repin` moves it); changed since for "
        "ic3: added rel-ic3-capacity [version-behind]"
    ) in result.stdout
