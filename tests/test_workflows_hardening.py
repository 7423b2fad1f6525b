"""The GitHub workflows: pinned actions, no expression injection into shell, least privilege per
job, the right triggers, and shell steps that work for any file name (run here in a real git repo)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[Any, Any]:  # YAML 1.1 may read a key as True
    data: dict[Any, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def steps(workflow: dict[Any, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", ()):
            yield name, job, step


def step_named(workflow: dict[Any, Any], name: str) -> dict[str, Any]:
    return next(step for _, _, step in steps(workflow) if step.get("name") == name)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_inside_any_run_block(path: Path) -> None:
    for job_name, _, step in steps(load(path)):
        assert "${{" not in step.get("run", ""), (job_name, step.get("name"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha_with_its_version_in_a_comment(path: Path) -> None:
    workflow = load(path)
    used = [step["uses"] for _, _, step in steps(workflow) if "uses" in step]
    used += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    assert used
    for action in used:
        if action.startswith("./"):
            continue
        assert SHA_PINNED.match(action), action
    lines = [line for line in path.read_text("utf-8").splitlines() if re.search(r"\buses:", line)]
    for line in lines:
        assert re.search(r"@[0-9a-f]{40} +# v[0-9]+(\.[0-9]+)*\s*$", line), line


def test_the_same_action_is_pinned_to_the_same_sha_everywhere() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS:
        for line in path.read_text("utf-8").splitlines():
            found = re.search(r"uses: ([^@\s]+)@([0-9a-f]{40}) +# (v\S+)", line)
            if found:
                pins.setdefault(found[1], set()).add((found[2], found[3]))
    assert pins and all(len(versions) == 1 for versions in pins.values()), pins


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_per_job(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} must say what it needs"
        granted = {scope: level for scope, level in job["permissions"].items() if level == "write"}
        if path.name == "publish.yml" and name == "deploy":
            assert granted == {"pages": "write", "id-token": "write"}
            # The job holding the token runs no repository code: no checkout, no shell.
            assert all("run" not in step for step in job["steps"])
            assert all("checkout" not in step.get("uses", "") for step in job["steps"])
        elif path.name == "pull-request.yml" and name == "report":
            # Comments on same-repository pull requests only (fork tokens are read-only): it installs
            # the package and runs `handbook comment`, nothing else (no build, no tests, no scripts).
            assert granted == {"pull-requests": "write"}
            runs = [step["run"] for step in job["steps"] if "run" in step]
            assert [r.split("\n")[0] for r in runs] == [
                "python -m pip install -c constraints.txt -e .",
                'base="$(git merge-base "origin/$BASE_REF" HEAD)"',
            ]
            assert "handbook comment --platform github" in runs[-1]
        else:
            assert granted == {}, (path.name, name, granted)


def test_checkouts_do_not_leave_the_token_in_git_config() -> None:
    for path in WORKFLOWS:
        for _, _, step in steps(load(path)):
            if "actions/checkout@" in step.get("uses", ""):
                assert step.get("with", {}).get("persist-credentials") is False, path.name


def test_pull_request_workflow_triggers_on_code_dependencies_and_ci() -> None:
    workflow = load(REPO / ".github/workflows/pull-request.yml")
    trigger = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert trigger is not None
    paths = trigger["pull_request"]["paths"]
    for required in [
        "pyproject.toml",
        "constraints.txt",
        ".github/**",
        "generator/**",
        "tests/**",
        "rubrics/**",
        "levels/**",
        "packets/**",
        "site_config/**",
        "mkdocs.yml",
    ]:
        assert required in paths, required


def test_pull_request_workflow_passes_base_ref_through_env() -> None:
    workflow = load(REPO / ".github/workflows/pull-request.yml")
    for job in workflow["jobs"].values():
        assert job["env"]["BASE_REF"] == "${{ github.base_ref }}"
    runs = [step.get("run", "") for _, _, step in steps(workflow)]
    assert sum('"origin/$BASE_REF"' in run for run in runs) >= 3


def test_the_test_suite_runs_when_code_changes() -> None:
    workflow = load(REPO / ".github/workflows/pull-request.yml")
    tests = step_named(workflow, "Test suite")
    assert tests["run"].strip() == "make test"
    assert tests["if"] == "steps.code.outputs.changed == 'true'"
    detect = step_named(workflow, "Did code or tests change?")
    assert detect["id"] == "code"


# --- the shell steps, run for real in a temporary git repository --------------------------------

ODD_NAMES = [
    "zoë-ñandú.yaml",
    "名前.yaml",
    "émoji-🚀.yaml",
    "with space.yaml",
    'quote"d.yaml',
    "tab\there.yaml",
    "new\nline.yaml",
    "back\\slash.yaml",
    "-dash.yaml",
    "plain.yaml",
]

FAKE_HANDBOOK = """#!{python}
import os, sys
packet = sys.argv[2]
with open(os.environ["FAKE_LOG"], "ab") as log:
    log.write(os.fsencode(packet) + b"\\0")
if sys.argv[1] != "readiness" or not os.path.isfile(packet):
    sys.exit(2)
print("## Readiness report for", packet)
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture
def pr_repo(tmp_path: Path) -> Path:
    """A repository with a main branch (as origin/main) and a pull-request branch on top of it."""
    repo = tmp_path / "repo"
    (repo / "packets/2026-h2").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "packets/2026-h2/kept.yaml").write_text("candidate: kept\n")
    (repo / "packets/2026-h2/removed.yaml").write_text("candidate: removed\n")
    (repo / "README.md").write_text("base\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "pull-request")
    return repo


def run_step(script: str, repo: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    handbook = fake_bin / "handbook"
    handbook.write_text(FAKE_HANDBOOK.format(python=sys.executable))
    handbook.chmod(0o755)
    summary, log, output = tmp_path / "summary.md", tmp_path / "calls.bin", tmp_path / "output.txt"
    for path in (summary, log, output):
        path.write_bytes(b"")
    env = {
        **os.environ,
        "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}",
        "BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "FAKE_LOG": str(log),
    }
    # How GitHub runs a `shell: bash` step.
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, summary, log


@pytest.mark.parametrize(
    "changed,expected",
    [
        ("generator/cli.py", "true"),
        ("tests/test_x.py", "true"),
        ("pyproject.toml", "true"),
        ("constraints.txt", "true"),
        ("packets/2026-h2/a.yaml", "false"),
        ("README.md", "false"),
    ],
)
def test_code_change_detection_step(pr_repo: Path, tmp_path: Path, changed: str, expected: str) -> None:
    script = step_named(load(REPO / ".github/workflows/pull-request.yml"), "Did code or tests change?")["run"]
    (pr_repo / changed).parent.mkdir(parents=True, exist_ok=True)
    (pr_repo / changed).write_text("changed\n")
    git(pr_repo, "add", "-A")
    git(pr_repo, "commit", "-q", "-m", "change")
    result, _, _ = run_step(script, pr_repo, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "output.txt").read_text() == f"changed={expected}\n"
