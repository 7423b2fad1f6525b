"""The candidate's and reviewer's loop in CI (issue 16): every problem in one run, a readiness report
even when the packet has errors, one comment per pull/merge request edited on every push (tested
against a local HTTP server standing in for the GitHub and GitLab APIs), and the workflow's shell
step run for real with a fake summary file and event payload."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, copy_content, edit, invoke

from generator.actions.ci_comment import MARKER, CommentError, post_github, post_gitlab

AMARA = "packets/examples/amara-okafor-senior.yaml"
FIVE_MISTAKES = [  # (old, new, what the one message for it says)
    (
        "criteria: [rel-ic3-slos]",
        "criteria: [rel-ic3-slo]",
        "evidence 'alert-rework' (item 1) cites unknown criterion 'rel-ic3-slo' (did you mean 'rel-ic3-slos'?)",
    ),
    (
        "    impact: Two new engineers",
        "    impcat: Two new engineers",
        "evidence 'oncall-handbook' (item 2): 'impcat' should be 'impact' (misspelled key)",
    ),
    (
        'date: "2026-06-09"',
        'date: "2026-06-31"',
        "evidence 'checkout-latency-incident' (item 3): '2026-06-31' is not a real calendar date",
    ),
    (
        "criteria: [del-ic3-projects]",
        "criteria: [del-ic3-projects, col-ic4-sponsorship]",
        "evidence 'tracing-rollout' (item 5) cites 'col-ic4-sponsorship', a Staff Engineer criterion; this packet "
        "targets Senior Engineer (cite criteria of Senior Engineer or a level below it)",
    ),
    (
        "cycle: 2026-h2",
        "cycle: 2026-h3",
        "unknown review cycle '2026-h3' (did you mean '2026-h2'?); valid: 2026-h1, 2026-h2",
    ),
]


def five_mistakes(repo: Path) -> None:
    for old, new, _ in FIVE_MISTAKES:
        edit(repo / AMARA, old, new)


def test_five_mistakes_give_five_messages_in_one_run(repo: Path) -> None:
    five_mistakes(repo)
    result = invoke("validate", AMARA, cwd=repo)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(AMARA)]
    assert [line.split(": error: ", 1)[1].rsplit(" [", 1)[0] for line in lines] == [
        m for *_, m in sorted(FIVE_MISTAKES, key=lambda m: (repo / AMARA).read_text().index(m[1]))
    ]
    assert result.stdout.splitlines()[-1] == "1 file checked, 5 errors, 0 warnings"


@pytest.mark.parametrize(
    "broken",
    [
        ("    impact: Two new engineers", "    impcat: Two new engineers"),  # unknown + missing key in an item
        ('date: "2026-05-20"', 'date: "20 May"'),  # a required value of the wrong form
        (
            "role: author\n    criteria: [rel-ic3-incident-lead, col-ic3-glue",
            "role: writer\n    criteria: [rel-ic3-incident-lead, col-ic3-glue",
        ),  # enum
        ("invisible_work: true\n  - id: checkout", "invisible_work: yes please\n  - id: checkout"),  # optional value
        ("summary: >-", "summary_text: >-"),  # a top-level key misspelled
        ("candidate: Amara Okafor (example)", "candidate: 42"),  # wrong type at the top
    ],
)
def test_schema_errors_never_hide_cross_reference_checks(repo: Path, broken: tuple[str, str]) -> None:
    edit(repo / AMARA, *broken)
    edit(repo / AMARA, "criteria: [rel-ic3-slos]", "criteria: [rel-ic3-slo]")
    result = invoke("validate", AMARA, cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cites unknown criterion 'rel-ic3-slo'" in result.stdout
    assert "[schema-" in result.stdout


def test_readiness_with_errors_lists_them_first_then_what_can_be_computed(repo: Path) -> None:
    five_mistakes(repo)
    result = invoke("readiness", AMARA, "--format", "markdown", cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    out = result.stdout
    assert "**5 error(s), 0 warning(s) in `packets/examples/amara-okafor-senior.yaml`**" in out
    assert out.index("cites unknown criterion") < out.index("### Coverage of target-level criteria")
    assert "### Advisory composite" in out and "`mentoring-new-hires`" in out  # the well-formed parts still count
    text = invoke("readiness", AMARA, cwd=repo)
    assert text.returncode == 1 and "Problems to fix first" in text.stdout and "Coverage:" in text.stdout


def test_readiness_of_a_packet_that_cannot_be_read_prints_its_problems(repo: Path) -> None:
    edit(repo / AMARA, "summary: >-", "summary: Mentoring: Lee\n  x: >-")
    result = invoke("readiness", AMARA, cwd=repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "YAML syntax error" in result.stderr and "no readiness report yet" in result.stderr


# --- a local server standing in for the GitHub and GitLab APIs ------------------------------------


class FakeApi:
    url: str  # set by the fixture once its server listens

    def __init__(self) -> None:
        self.comments: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.next_id = 100
        self.fail_with: int | None = None

    def add(self, body: str, login: str = "github-actions[bot]", author_id: int = 7) -> int:
        self.next_id += 1
        self.comments[self.next_id] = {
            "id": self.next_id,
            "body": body,
            "user": {"login": login},
            "author": {"id": author_id},
        }
        return self.next_id


@pytest.fixture
def api() -> Iterator[FakeApi]:
    state = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, payload: object) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body: Any = json.loads(self.rfile.read(length)) if length else None  # parsed JSON
            path, _, query = self.path.partition("?")
            state.requests.append((self.command, path, dict(self.headers)))
            if state.fail_with:
                return self._answer(state.fail_with, {"message": "no"})
            page = int(dict(p.split("=") for p in query.split("&") if p).get("page", 1))
            if self.command == "GET" and path == "/api/v4/user":
                return self._answer(200, {"id": 7, "username": "handbook-bot"})
            if re.fullmatch(
                r"/repos/acme/handbook/issues/12/comments|/api/v4/projects/42/merge_requests/3/notes", path
            ):
                if self.command == "GET":
                    items = sorted(state.comments.values(), key=lambda c: c["id"])
                    return self._answer(200, items[(page - 1) * 100 : page * 100])
                if self.command == "POST":
                    cid = state.add(body["body"])
                    return self._answer(201, state.comments[cid])
            found = re.fullmatch(
                r"/repos/acme/handbook/issues/comments/(\d+)|/api/v4/projects/42/merge_requests/3/notes/(\d+)", path
            )
            if found and self.command in ("PATCH", "PUT"):
                cid = int(found.group(1) or found.group(2))
                state.comments[cid]["body"] = body["body"]
                return self._answer(200, state.comments[cid])
            return self._answer(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def github_env(api: FakeApi, tmp_path: Path, fork: bool = False, token: str | None = "ghs_test") -> dict[str, str]:
    event = {
        "number": 12,
        "pull_request": {
            "number": 12,
            "head": {"repo": {"full_name": "someone/handbook" if fork else "acme/handbook"}},
            "base": {"repo": {"full_name": "acme/handbook"}},
        },
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    (tmp_path / "summary.md").write_text("")
    env = {
        "GITHUB_API_URL": api.url,
        "GITHUB_REPOSITORY": "acme/handbook",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    return {**env, "GITHUB_TOKEN": token} if token else env


def gitlab_env(api: FakeApi, token: str | None = "glpat-test") -> dict[str, str]:
    env = {"CI_API_V4_URL": f"{api.url}/api/v4", "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "3"}
    return {**env, "HANDBOOK_GITLAB_TOKEN": token} if token else env


def test_github_creates_one_comment_then_edits_it_on_every_push(api: FakeApi, tmp_path: Path) -> None:
    env = github_env(api, tmp_path)
    other = api.add(f"{MARKER} a person quoting the marker", login="mallory")
    first = post_github(f"{MARKER}\nfirst push", env)
    second = post_github(f"{MARKER}\nsecond push", env)
    third = post_github(f"{MARKER}\nthird push", env)
    assert first.action == "created" and second.action == third.action == "updated"
    ours = [c for c in api.comments.values() if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and ours[0]["body"].endswith("third push")
    assert api.comments[other]["body"] == f"{MARKER} a person quoting the marker"  # never someone else's
    assert {h.get("Authorization") for _, _, h in api.requests} == {"Bearer ghs_test"}
    assert ("PATCH", f"/repos/acme/handbook/issues/comments/{ours[0]['id']}") in [(m, p) for m, p, _ in api.requests]
    assert (tmp_path / "summary.md").read_text().count("push") == 3  # the job summary has it too


def test_github_finds_its_comment_beyond_the_first_page(api: FakeApi, tmp_path: Path) -> None:
    for number in range(150):
        api.add(f"comment {number}", login="someone")
    env = github_env(api, tmp_path)
    post_github(f"{MARKER}\none", env)
    assert post_github(f"{MARKER}\ntwo", env).action == "updated"
    assert sum(MARKER in c["body"] for c in api.comments.values()) == 1


@pytest.mark.parametrize("fork,token", [(True, "ghs_read_only"), (False, None)])
def test_github_fork_or_no_token_falls_back_to_the_job_summary(
    api: FakeApi, tmp_path: Path, fork: bool, token: str | None
) -> None:
    env = github_env(api, tmp_path, fork=fork, token=token)
    outcome = post_github(f"{MARKER}\nthe report", env)
    assert outcome.action == "summary" and api.requests == [] and api.comments == {}
    assert "the report" in (tmp_path / "summary.md").read_text()


def test_github_refusal_is_one_clear_error(api: FakeApi, tmp_path: Path) -> None:
    api.fail_with = 403
    with pytest.raises(CommentError, match=r"GET /repos/acme/handbook/issues/12/comments was refused: HTTP 403"):
        post_github(f"{MARKER}\nx", github_env(api, tmp_path))


def test_a_report_longer_than_github_allows_is_cut_and_says_so(api: FakeApi, tmp_path: Path) -> None:
    post_github(f"{MARKER}\n" + "x" * 100_000, github_env(api, tmp_path))
    [comment] = api.comments.values()
    assert len(comment["body"]) <= 65_000 and comment["body"].startswith(MARKER) and "was cut here" in comment["body"]


def test_gitlab_creates_one_note_then_edits_it(api: FakeApi) -> None:
    env = gitlab_env(api)
    api.add(f"{MARKER} someone else's note", author_id=99)
    assert post_gitlab(f"{MARKER}\nfirst", env).action == "created"
    assert post_gitlab(f"{MARKER}\nsecond", env).action == "updated"
    mine = [c for c in api.comments.values() if c["author"]["id"] == 7]
    assert len(mine) == 1 and mine[0]["body"].endswith("second")
    assert {h.get("Private-Token") for _, _, h in api.requests} == {"glpat-test"}
    assert any(m == "PUT" for m, _, _ in api.requests)


def test_gitlab_without_a_token_prints_the_report(api: FakeApi) -> None:
    outcome = post_gitlab(f"{MARKER}\nx", gitlab_env(api, token=None))
    assert outcome.action == "printed" and api.requests == []


# --- the workflow's shell steps, run for real -------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """The default handbook on main (as origin/main) and a pull-request branch with five mistakes in a
    packet and a criterion reworded with a new obligation but no version bump."""
    repo = copy_content(tmp_path / "repo")
    for name in ("pyproject.toml", "constraints.txt"):
        (repo / name).write_text((REPO / name).read_text())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "pull-request")
    five_mistakes(repo)
    edit(
        repo / "rubrics/dimensions/reliability.yaml",
        "Shapes on-call for several teams",
        "Shapes on-call for several teams and fixes runbooks that are wrong",
    )
    git(repo, "commit", "-q", "-am", "packet and criteria")
    return repo


def workflow_step(job: str, name: str) -> str:
    workflow = yaml.safe_load((REPO / ".github/workflows/pull-request.yml").read_text("utf-8"))
    script: str = next(step["run"] for step in workflow["jobs"][job]["steps"] if step.get("name") == name)
    return script


def run_step(script: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    full = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "BASE_REF": "main",
        "HANDBOOK_TODAY": "2026-11-28",
        **env,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_comment_step_posts_one_report_with_errors_first_and_the_diff(
    pull_request: Path, api: FakeApi, tmp_path: Path
) -> None:
    script = workflow_step("report", "Readiness report comment")
    env = github_env(api, tmp_path)
    for push in range(2):
        result = run_step(script, pull_request, env)
        assert result.returncode == 0, result.stderr
    [comment] = api.comments.values()
    body = comment["body"]
    assert body.startswith(MARKER)
    assert "❌ **5 error(s)**" in body
    assert body.index("cites unknown criterion") < body.index("### Coverage of target-level criteria")
    assert "## Criteria changes" in body and "a new clause or obligation" in body
    assert "`handbook diff --check` fails until it is raised" in body
    assert "created comment" in result.stderr or "updated comment" in result.stderr
    assert (tmp_path / "summary.md").read_text().count(MARKER) == 2


def test_comment_step_on_a_fork_writes_the_job_summary(pull_request: Path, api: FakeApi, tmp_path: Path) -> None:
    result = run_step(
        workflow_step("report", "Readiness report comment"), pull_request, github_env(api, tmp_path, fork=True)
    )
    assert result.returncode == 0, result.stderr
    assert api.requests == [] and "Readiness report: Amara Okafor" in (tmp_path / "summary.md").read_text()


def test_version_check_step_fails_the_pull_request(pull_request: Path, tmp_path: Path) -> None:
    result = run_step(workflow_step("check", "Criteria version raised enough"), pull_request, {})
    assert result.returncode == 1
    assert "needs a minor bump from 1.3.0, to at least 1.4.0" in result.stderr


def test_gitlab_ci_runs_the_same_report(pull_request: Path, api: FakeApi) -> None:
    pipeline = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text("utf-8"))
    script = "\n".join(pipeline["handbook-report"]["script"])
    env = {**gitlab_env(api), "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    result = run_step(script, pull_request, env)
    assert result.returncode == 0, result.stderr
    [note] = api.comments.values()
    assert note["body"].startswith(MARKER) and "❌ **5 error(s)**" in note["body"]
    assert (pull_request / "handbook-report.md").read_text().startswith(MARKER)


def test_gitlab_ci_check_job_writes_code_quality_and_fails_on_errors(pull_request: Path) -> None:
    pipeline = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text("utf-8"))
    job = pipeline["handbook-check"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    result = run_step("\n".join(job["script"]), pull_request, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert result.returncode == 1
    issues = json.loads((pull_request / "gl-code-quality.json").read_text())
    assert len(issues) == 5 and {i["severity"] for i in issues} == {"major"}


def test_the_comment_shows_team_signals_as_readiness_does(pull_request: Path) -> None:
    """The comment's readiness is `handbook readiness`'s: the evidence team signal comes with it."""
    comment = invoke("comment", "--platform", "github", "--dry-run", "--base", "main", cwd=pull_request)
    assert comment.returncode == 0 and "Traceback" not in comment.stderr, comment.stdout + comment.stderr
    readiness = invoke(
        "readiness", "packets/examples/amara-okafor-senior.yaml", "--format", "markdown", cwd=pull_request
    )
    [line] = [x for x in readiness.stdout.splitlines() if x.startswith("**Team context — not this person's score**")]
    assert "points at Checkout" in line and line in comment.stdout.splitlines()
