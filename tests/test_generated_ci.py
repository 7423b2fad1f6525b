"""The CI that `handbook init` and `init packets` write works from day one: both repositories are
generated with a local git URL as the tool source, then the generated workflows' install and
validate steps, read from the generated YAML, run in one fresh virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, invoke

from generator.actions.tool_source import requirement_from


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def step_script(workflow: Path, name: str) -> str:
    data = yaml.safe_load(workflow.read_text("utf-8"))
    for job in data["jobs"].values():
        for step in job.get("steps", ()):
            if step.get("name") == name:
                script: str = step["run"]
                return script
    raise AssertionError(f"{workflow}: no step named {name!r}")


def test_the_default_tool_source_comes_from_pep_610_metadata() -> None:
    commit = "0" * 40
    git: dict[str, object] = {
        "url": "https://example.org/tools/handbook.git",
        "vcs_info": {"vcs": "git", "commit_id": commit},
    }
    assert requirement_from(git, "0.1.0").requirement == f"git+https://example.org/tools/handbook.git@{commit}"
    assert requirement_from(None, "1.4.0").requirement == "handbook==1.4.0"
    local = requirement_from({"url": "file:///src/handbook", "dir_info": {"editable": True}}, "0.1.0")
    assert local.requirement is None and "editable" in local.why


def test_init_without_a_reachable_source_says_so_in_the_file(tmp_path: Path) -> None:
    result = invoke("init", tmp_path / "hb", cwd=tmp_path)  # this checkout is an editable install
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "hb/requirements.txt").read_text()
    assert "could not be known" in text and "handbook==" not in text
    assert "requirements.txt" in result.stderr


@pytest.mark.slow
def test_generated_ci_steps_pass_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    head = _git(REPO, "rev-parse", "HEAD").strip()
    source = f"git+{REPO.as_uri()}@{head}"
    handbook, packets = tmp_path / "handbook", tmp_path / "packets"
    assert invoke("init", handbook, "--tool-source", source, cwd=tmp_path).returncode == 0
    _git(handbook, "init", "-q", "-b", "main")
    _git(handbook, "add", "-A")
    _git(handbook, "commit", "-qm", "Start")
    made = invoke(
        "init",
        "packets",
        packets,
        "--handbook",
        "https://github.com/org/handbook.git",
        "--tool-source",
        source,
        "--owner",
        "@org/promotion-committee",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert source in (packets / "requirements.txt").read_text().splitlines()
    assert (
        invoke(
            "new",
            "packet",
            "--candidate",
            "Ada Lovelace",
            "--target",
            "senior-engineer",
            cwd=packets,
            env={"HANDBOOK_CHECKOUT": str(handbook)},
        ).returncode
        == 0
    )
    _git(packets, "init", "-q", "-b", "main")
    _git(packets, "add", "-A")
    _git(packets, "commit", "-qm", "Start")
    base = {"BASE_SHA": "HEAD", "RUNNER_TEMP": str(tmp_path), "GITHUB_SERVER_URL": "https://github.com"}

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", NO_MKDOCS_2_WARNING="1", PIP_DISABLE_PIP_VERSION_CHECK="1"
    )

    def run(script: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", script],
            cwd=cwd,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, (script, done.stdout[-3000:], done.stderr[-3000:])
        return done

    workflow = handbook / ".github/workflows/pull-request.yml"
    run(step_script(workflow, "Install"), handbook, **base)
    run(step_script(workflow, "Validate"), handbook, **base)
    workflow = packets / ".github/workflows/packets.yml"
    run(step_script(workflow, "Install the handbook tool"), packets, **base)
    found = run(step_script(workflow, "Find the handbook").replace(' >> "$GITHUB_OUTPUT"', ""), packets, **base)
    assert "repository=org/handbook" in found.stdout
    # the checkout step (actions/checkout with the read-only token) is simulated by a clone
    _git(tmp_path, "clone", "-q", str(handbook), str(packets / ".handbook"))
    validated = run(
        step_script(workflow, "Validate packets against their pinned criteria"),
        packets,
        HANDBOOK_CHECKOUT=".handbook",
        **base,
    )
    assert "packets/" in validated.stdout
