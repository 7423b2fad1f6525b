"""`handbook teams import`: git tags and merges, CSV with a mapping, GitHub and GitLab responses; idempotent, no person."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import invoke

ENV = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def _git(repo: Path, *args: str, when: str = "2026-11-02T10:00:00+00:00") -> None:
    import os

    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
    )


def _service_repo(tmp_path: Path) -> Path:
    code = tmp_path / "service"
    code.mkdir()
    _git(code, "init", "-q", "-b", "main")
    for day, tag in ((2, None), (3, "v1.0.0"), (4, None), (5, "v1.1.0"), (6, "nightly-1")):
        (code / "file.txt").write_text(str(day))
        _git(code, "add", "file.txt")
        _git(code, "commit", "-q", "-m", f"change {day}", when=f"2026-11-0{day}T10:00:00+00:00")
        if tag:
            _git(code, "tag", "-a", tag, "-m", tag, when=f"2026-11-0{day}T12:00:00+00:00")
    return code


def test_git_tags_are_deployments_idempotent_and_nameless(repo: Path, tmp_path: Path) -> None:
    code = _service_repo(tmp_path)
    args = (
        "teams",
        "import",
        "checkout",
        "--from",
        "git-tags",
        str(code),
        "--pattern",
        "v*",
        "--service",
        "checkout-api",
    )
    first = invoke(*args, cwd=repo)
    assert first.returncode == 0, first.stderr
    assert "2 added, 0 updated" in first.stdout
    target = repo / "teams/checkout/deployments.jsonl"
    after_first = target.read_bytes()
    second = invoke(*args, cwd=repo)
    assert "0 added, 0 updated, 2 unchanged" in second.stdout and target.read_bytes() == after_first
    rows = {r["id"]: r for r in map(json.loads, after_first.decode().splitlines())}
    assert rows["tag:v1.1.0"]["finished_at"] == "2026-11-05T12:00:00Z"
    assert [c["committed_at"] for c in rows["tag:v1.1.0"]["changes"]] == [
        "2026-11-05T10:00:00Z",
        "2026-11-04T10:00:00Z",
    ]
    assert len(rows["tag:v1.0.0"]["changes"]) == 2 and "tag:nightly-1" not in rows
    assert b"Ada" not in after_first and b"example.com" not in after_first
    assert invoke("validate", cwd=repo).returncode == 0


def test_git_merges(repo: Path, tmp_path: Path) -> None:
    code = _service_repo(tmp_path)
    _git(code, "checkout", "-q", "-b", "feature")
    (code / "other.txt").write_text("x")
    _git(code, "add", "other.txt")
    _git(code, "commit", "-q", "-m", "feature work", when="2026-11-07T09:00:00+00:00")
    _git(code, "checkout", "-q", "main")
    _git(code, "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #12", when="2026-11-07T15:00:00+00:00")
    result = invoke(
        "teams",
        "import",
        "checkout",
        "--from",
        "git-merges",
        str(code),
        "--pattern",
        "pull request",
        "--service",
        "checkout-web",
        cwd=repo,
    )
    assert result.returncode == 0, result.stderr
    merged = [
        json.loads(row)
        for row in (repo / "teams/checkout/deployments.jsonl").read_text().splitlines()
        if '"merge:' in row
    ]
    assert len(merged) == 1 and merged[0]["changes"][0]["committed_at"] == "2026-11-07T09:00:00Z"


def test_csv_with_a_mapping(repo: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Deploy,When,Env,Outcome,Owner\nx-1,2026-11-20 10:00:00+00:00,production,success,ada\n")
    result = invoke(
        "teams",
        "import",
        "checkout",
        "--from",
        "csv",
        str(export),
        "--service",
        "checkout-api",
        "--map",
        "id=Deploy",
        "--map",
        "finished_at=When",
        "--map",
        "environment=Env",
        "--map",
        "result=Outcome",
        cwd=repo,
    )
    assert result.returncode == 0, result.stderr
    text = (repo / "teams/checkout/deployments.jsonl").read_text()
    assert '"id": "x-1"' in text and "ada" not in text
    refused = invoke(
        "teams",
        "import",
        "checkout",
        "--from",
        "csv",
        str(export),
        "--map",
        "id=Deploy",
        "--map",
        "finished_at=When",
        "--map",
        "environment=Env",
        "--map",
        "result=Outcome",
        "--map",
        "url=Owner",
        "--service",
        "checkout-api",
        cwd=repo,
    )
    assert refused.returncode == 1 and "nothing was written" in refused.stderr


def test_github_and_gitlab_responses(repo: Path, tmp_path: Path) -> None:
    github = tmp_path / "github.json"
    github.write_text(
        json.dumps(
            [
                {
                    "id": 1,
                    "sha": "abc",
                    "environment": "production",
                    "created_at": "2026-11-20T10:00:00Z",
                    "updated_at": "2026-11-20T10:05:00Z",
                    "creator": {"login": "octocat"},
                }
            ]
        )
    )
    gitlab = tmp_path / "gitlab.json"
    gitlab.write_text(
        json.dumps(
            [
                {
                    "id": 7,
                    "status": "success",
                    "created_at": "2026-11-21T10:00:00Z",
                    "environment": {"name": "production"},
                    "user": {"username": "jdoe"},
                    "deployable": {
                        "finished_at": "2026-11-21T10:09:00.000Z",
                        "commit": {"id": "def", "created_at": "2026-11-21T08:00:00.000+01:00"},
                    },
                },
                {"id": 8, "status": "running", "created_at": "2026-11-22T10:00:00Z"},
            ]
        )
    )
    for source, path in (("github", github), ("gitlab", gitlab)):
        result = invoke(
            "teams", "import", "checkout", "--from", source, str(path), "--service", "checkout-api", cwd=repo
        )
        assert result.returncode == 0, result.stderr
    text = (repo / "teams/checkout/deployments.jsonl").read_text()
    assert '"id": "github:1"' in text and '"finished_at": "2026-11-20T10:05:00Z"' in text
    assert '"id": "gitlab:7"' in text and '"committed_at": "2026-11-21T07:00:00Z"' in text and "gitlab:8" not in text
    assert "octocat" not in text and "jdoe" not in text
    assert invoke("validate", cwd=repo).returncode == 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"not": "a list"}')
    result = invoke(
        "teams", "import", "checkout", "--from", "github", str(broken), "--service", "checkout-api", cwd=repo
    )
    assert result.returncode == 1 and "not a GitHub deployments response" in result.stderr
