"""`handbook teams import`: git tags and merges, CSV with a mapping, GitHub and GitLab responses; idempotent, no person."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
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


# --- Hostile input: TEAM must be a team folder, every input file is refused at its place -------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def _no_hang(seconds: int = 10) -> Iterator[None]:
    """A blocking open (a FIFO) fails the test instead of hanging it."""

    def _stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _one_line_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _github_response(tmp_path: Path, deployments: object) -> Path:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(deployments))
    return path


def _outside_team(tmp_path: Path, repo: Path) -> Path:
    """A folder outside teams/ that looks like a team (so that only the TEAM check stops a write there)."""
    outside = tmp_path / "evilteam"
    outside.mkdir()
    (outside / "team.yaml").write_bytes((repo / "teams/checkout/team.yaml").read_bytes())
    return outside


@pytest.mark.parametrize("how", ["absolute", "dot-dot", "symlink", "nested", "control", "reserved", "missing"])
def test_team_must_name_a_team_folder_under_teams(repo: Path, tmp_path: Path, how: str) -> None:
    outside = _outside_team(tmp_path, repo)
    (repo / "x").mkdir()
    (repo / "x" / "team.yaml").write_bytes(outside.joinpath("team.yaml").read_bytes())
    (repo / "teams" / "evil").symlink_to(outside, target_is_directory=True)
    team = {
        "absolute": str(outside),
        "dot-dot": "../x",
        "symlink": "evil",
        "nested": "checkout/slos",
        "control": "check\x1b[31mout",
        "reserved": "index",
        "missing": "payments",
    }[how]
    response = _github_response(tmp_path, [{"id": 1, "created_at": "2026-11-20T10:00:00Z"}])
    before = _tree(repo)
    result = invoke("teams", "import", team, "--from", "github", str(response), "--service", "checkout-api", cwd=repo)
    line = _one_line_error(result, 2)
    assert "\x1b" not in line and ("team id" in line or "symbolic link" in line or "no team" in line)
    assert _tree(repo) == before and not (outside / "deployments.jsonl").exists()
    assert not (repo / "x" / "deployments.jsonl").exists()


GOOD = "2026-11-20T10:00:00Z"


@pytest.mark.parametrize(
    ("source", "content", "expected"),
    [
        ("github", [{"id": 1, "created_at": "9999-12-31T23:00:00-05:00"}], "deployment 1, field 'created_at'"),
        ("github", [{"id": 1, "created_at": "2026-02-30T10:00:00Z"}], "deployment 1, field 'created_at'"),
        ("github", [{"id": 1, "created_at": "2016-12-31T23:59:60Z"}], "deployment 1, field 'created_at'"),
        ("github", [{"id": 1, "created_at": GOOD}, {"id": 2, "created_at": "yesterday"}], "deployment 2, field"),
        ("github", [{"id": 1, "created_at": 12345}], "deployment 1, field 'created_at'"),
        ("github", [{"id": 1, "created_at": "１２３４-01-01T00:00:00Z"}], "deployment 1, field 'created_at'"),
        ("github", [{"id": None, "created_at": GOOD}], "deployment 1, field 'id': null"),
        ("github", [{"id": True, "created_at": GOOD}], "deployment 1, field 'id': true"),
        ("github", [{"id": 1, "created_at": GOOD, "environment": "prod uction"}], "deployment 1, field 'environment'"),
        ("github", [{"id": 1, "created_at": GOOD}, "x"], "deployment 2: a JSON string"),
        ("github", {"not": "a list"}, "response.json: not a GitHub deployments response"),
        ("gitlab", [{"id": 7, "status": "success", "created_at": GOOD, "deployable": "x"}, {"id": 8}], "deployment 2"),
        (
            "gitlab",
            [{"id": 7, "status": "success", "created_at": GOOD, "deployable": {"finished_at": "2026-13-01T00:00:00Z"}}],
            "deployment 1, field 'finished_at'",
        ),
    ],
)
def test_bad_records_in_a_response_are_named(
    repo: Path, tmp_path: Path, source: str, content: object, expected: str
) -> None:
    response = _github_response(tmp_path, content)
    before = _tree(repo)
    result = invoke(
        "teams", "import", "checkout", "--from", source, str(response), "--service", "checkout-api", cwd=repo
    )
    line = _one_line_error(result, 1)
    assert f"{response}" in line and expected in line, line
    assert _tree(repo) == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"[{", ":1:3: not valid JSON"),
        (b'[{"id": 1,\n  "created_at": "2026-11-20T10:00:00Z"', ":2:39: not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, ":1:201: JSON nested too deeply"),
        (b'[{"id": 1, "created_at": "caf\xe9"}]', ":1:30: the response is not UTF-8"),
        (b"", ":1:1: not valid JSON"),
    ],
)
def test_a_broken_json_file_is_refused_at_its_line_and_column(
    repo: Path, tmp_path: Path, raw: bytes, expected: str
) -> None:
    response = tmp_path / "trunc.json"
    response.write_bytes(raw)
    before = _tree(repo)
    result = invoke(
        "teams", "import", "checkout", "--from", "github", str(response), "--service", "checkout-api", cwd=repo
    )
    line = _one_line_error(result, 1)
    assert f"{response}{expected}" in line, line
    assert _tree(repo) == before


CSV_MAP = ("--map", "id=Deploy", "--map", "finished_at=When", "--map", "environment=Env", "--map", "result=Outcome")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Deploy,When,Env,Outcome\nx-1,9999-12-31T23:00:00-05:00,production,success\n", ":2:2: '9999-12-31"),
        (b"Deploy,When,Env,Outcome\nx-1,2026-02-30T10:00:00Z,production,success\n", ":2:2: '2026-02-30"),
        (b"Deploy,When,Env,Outcome\nx-1,2016-12-31T23:59:60Z,production,success\n", ":2:2: '2016-12-31"),
        (b"Deploy,When,Env,Outcome\nx-1,soon,production,success\n", ":2:2: 'soon' is not a date and time"),
        (b"Deploy,When,Env,Outcome\nx-1,2026-11-20,production,success\n", ":2:2: '2026-11-20' is not a date"),
        (b"Deploy,When,Env,Outcome\nx-1," + GOOD.encode() + b",prod\xffuction,success\n", ":2:"),
        (b"Deploy,When,Env,Outcome,When\nx-1," + GOOD.encode() + b",production,success,x\n", ":1:5: the header"),
        (b"Deploy,When,Env,Outcome\nx-1," + GOOD.encode() + b",production,maybe\n", ":2:4: "),
        (b'Deploy,When,Env,Outcome\n"x-1,' + GOOD.encode() + b",production,success\n", ":2:1: not valid CSV"),
    ],
)
def test_a_broken_csv_export_is_refused_at_its_line_and_column(
    repo: Path, tmp_path: Path, raw: bytes, expected: str
) -> None:
    export = tmp_path / "export.csv"
    export.write_bytes(raw)
    before = _tree(repo)
    result = invoke(
        "teams", "import", "checkout", "--from", "csv", str(export), "--service", "checkout-api", *CSV_MAP, cwd=repo
    )
    line = _one_line_error(result, 1)
    assert f"{export}{expected}" in line, line
    assert _tree(repo) == before


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
@pytest.mark.parametrize("source", ["github", "csv"])
def test_a_path_that_is_not_a_regular_file_is_refused_without_hanging(
    repo: Path, tmp_path: Path, kind: str, source: str
) -> None:
    path = {"fifo": tmp_path / "pipe", "folder": tmp_path / "folder", "device": Path("/dev/null")}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    before = _tree(repo)
    with _no_hang():
        result = invoke(
            "teams", "import", "checkout", "--from", source, str(path), "--service", "checkout-api", *CSV_MAP, cwd=repo
        )
    line = _one_line_error(result, 1)
    assert str(path) in line and "not a regular file" in line, line
    assert _tree(repo) == before


def test_a_broken_existing_event_file_is_refused_not_overwritten(repo: Path, tmp_path: Path) -> None:
    target = repo / "teams/checkout/deployments.jsonl"
    target.write_text(target.read_text() + '{"id": "x-9", "result": \n')
    before = _tree(repo)
    response = _github_response(tmp_path, [{"id": 1, "created_at": GOOD}])
    result = invoke(
        "teams", "import", "checkout", "--from", "github", str(response), "--service", "checkout-api", cwd=repo
    )
    line = _one_line_error(result, 1)
    assert "deployments.jsonl:" in line and "fix the file" in line
    assert _tree(repo) == before


def test_an_import_writes_no_person_and_stays_idempotent_after_the_checks(repo: Path, tmp_path: Path) -> None:
    response = _github_response(
        tmp_path,
        [{"id": "17", "created_at": "2026-11-20 10:00:00+01:00", "creator": {"login": "octocat", "email": "o@x.io"}}],
    )
    args = ("teams", "import", "checkout", "--from", "github", str(response), "--service", "checkout-api")
    assert invoke(*args, cwd=repo).returncode == 0
    after = (repo / "teams/checkout/deployments.jsonl").read_bytes()
    again = invoke(*args, cwd=repo)
    assert again.returncode == 0 and "0 added, 0 updated, 1 unchanged" in again.stdout
    assert (repo / "teams/checkout/deployments.jsonl").read_bytes() == after
    assert b'"finished_at": "2026-11-20T09:00:00Z"' in after and b"octocat" not in after and b"o@x.io" not in after


@pytest.mark.parametrize("team", ["/etc", "../checkout", "a\x1b[31mb", "check\nout"])
def test_teams_show_refuses_what_is_not_a_team_id_in_one_escaped_line(repo: Path, team: str) -> None:
    result = invoke("teams", "show", team, cwd=repo)
    line = _one_line_error(result, 2)
    assert "is not a team id" in line and "\x1b" not in line and "see above" not in line


def test_teams_show_of_a_missing_team_does_not_point_at_nothing(repo: Path) -> None:
    result = invoke("teams", "show", "payments", cwd=repo)
    line = _one_line_error(result, 1)
    assert "see above" not in line and "no folder teams/payments/" in line and "checkout" in line
    (repo / "teams/checkout/team.yaml").write_text("name: [\n")
    broken = invoke("teams", "show", "checkout", cwd=repo)
    assert broken.returncode == 1 and "teams/checkout/team.yaml:" in broken.stderr and "see above" in broken.stderr
