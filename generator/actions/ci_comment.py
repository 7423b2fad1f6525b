"""One readiness comment per pull request (GitHub) or merge request (GitLab), updated on every push.

The comment is found again by a hidden marker and edited in place, so a pull request carries one
report, never one per push. Only the standard library talks to the APIs (urllib), reading what
the CI platform puts in the environment; everything here can be pointed at a local server.

GitHub: GITHUB_TOKEN (the job's default token, with `pull-requests: write`), GITHUB_REPOSITORY,
GITHUB_EVENT_PATH (the pull_request event payload), GITHUB_API_URL, GITHUB_STEP_SUMMARY. A pull
request from a fork gets a read-only token: the report then goes to the job summary only.
GitLab: HANDBOOK_GITLAB_TOKEN (a project access token with `api` scope; without one the report is
printed and kept as a job artifact), CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.errors import HandbookError

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

MARKER = "<!-- handbook-readiness-report -->"
GITHUB_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters
GITLAB_LIMIT = 1_000_000
TIMEOUT = 20
BOT_LOGIN = "github-actions[bot]"


class CommentError(HandbookError):
    """The API refused or could not be reached: the message says which call and why."""


@dataclass(frozen=True)
class Outcome:
    action: str  # created | updated | summary | printed
    detail: str


def fit(body: str, limit: int) -> str:
    """The body cut to the platform's limit, saying so, with the marker kept."""
    if len(body) <= limit:
        return body
    note = "\n\n_…the report was cut here: it is longer than a comment may be. The full report is in the job log._\n"
    return body[:limit - len(note)] + note


def _request(method: str, url: str, headers: Mapping[str, str], payload: Any = None) -> Any:
    data = json.dumps(payload).encode("utf-8") if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={**headers, "Content-Type": "application/json",
                                              "User-Agent": "handbook-ci"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as failure:
        failure.close()  # it holds the connection
        raise CommentError(f"{method} {_path(url)} was refused: HTTP {failure.code} {failure.reason}") from None
    except (urllib.error.URLError, OSError) as failure:
        raise CommentError(f"{method} {_path(url)} failed: {getattr(failure, 'reason', failure)}") from None
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise CommentError(f"{method} {_path(url)} did not answer with JSON") from None


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _pages(url: str, headers: Mapping[str, str], limit: int = 50) -> Any:
    """Every item of a paginated list (100 per page, at most `limit` pages)."""
    for page in range(1, limit + 1):
        items = _request("GET", f"{url}{'&' if '?' in url else '?'}per_page=100&page={page}", headers)
        if not isinstance(items, list):
            raise CommentError(f"GET {_path(url)} did not answer with a list")
        yield from items
        if len(items) < 100:
            return


def _upsert(list_url: str, item_url: Callable[[Any], str], headers: Mapping[str, str], body: str,
            ours: Callable[[dict[str, Any]], bool], edit: str) -> Outcome:
    existing = next((item for item in _pages(list_url, headers)
                     if isinstance(item, dict) and MARKER in str(item.get("body", "")) and ours(item)), None)
    if existing is not None:
        _request(edit, item_url(existing["id"]), headers, {"body": body})
        return Outcome("updated", f"updated comment {existing['id']}")
    created = _request("POST", list_url, headers, {"body": body})
    return Outcome("created", f"created comment {created.get('id') if isinstance(created, dict) else '?'}")


def post_github(body: str, env: Mapping[str, str]) -> Outcome:
    """Create or update the pull request's report comment; on a fork (or without a token) write the
    job summary instead. The job summary always gets the report too."""
    body = fit(body, GITHUB_LIMIT)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(body + "\n")
    event = _event(env.get("GITHUB_EVENT_PATH"))
    pull = event.get("pull_request") or {}
    number = pull.get("number") or event.get("number")
    if not number:
        return Outcome("summary", "not a pull request: the report is in the job summary only")
    head = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    base = ((pull.get("base") or {}).get("repo") or {}).get("full_name") or env.get("GITHUB_REPOSITORY")
    if head and base and head != base:
        return Outcome("summary", f"pull request from the fork {head}: its token cannot comment, so the report "
                       "is in the job summary")
    token = env.get("GITHUB_TOKEN")
    if not token:
        return Outcome("summary", "no GITHUB_TOKEN: the report is in the job summary")
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repository = base
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": "2022-11-28"}
    author = env.get("HANDBOOK_COMMENT_AUTHOR", BOT_LOGIN)
    return _upsert(f"{api}/repos/{repository}/issues/{int(number)}/comments",
                   lambda cid: f"{api}/repos/{repository}/issues/comments/{int(cid)}", headers, body,
                   lambda item: (item.get("user") or {}).get("login") == author, "PATCH")


def post_gitlab(body: str, env: Mapping[str, str]) -> Outcome:
    """Create or update the merge request's report note; without a token, print it."""
    body = fit(body, GITLAB_LIMIT)
    token = env.get("HANDBOOK_GITLAB_TOKEN") or env.get("GITLAB_TOKEN")
    iid, project, api = env.get("CI_MERGE_REQUEST_IID"), env.get("CI_PROJECT_ID"), env.get("CI_API_V4_URL")
    if not iid or not project or not api:
        return Outcome("printed", "not a merge request pipeline: the report is in the job log only")
    if not token:
        return Outcome("printed", "no HANDBOOK_GITLAB_TOKEN: the report is in the job log and its artifact only")
    api = api.rstrip("/")
    headers = {"PRIVATE-TOKEN": token}
    me = _request("GET", f"{api}/user", headers)
    my_id = me.get("id") if isinstance(me, dict) else None
    project_path = urllib.parse.quote(str(project), safe="")
    notes = f"{api}/projects/{project_path}/merge_requests/{int(iid)}/notes"
    return _upsert(notes, lambda nid: f"{notes}/{int(nid)}", headers, body,
                   lambda item: my_id is not None and (item.get("author") or {}).get("id") == my_id, "PUT")


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as failure:
        raise CommentError(f"cannot read the event payload {path}: {failure}") from None
    return event if isinstance(event, dict) else {}


POSTERS = {"github": post_github, "gitlab": post_gitlab}


def comment_body(space: Workspace, base: str) -> str:
    """The pull request's report: validation totals, each changed packet's readiness (its problems
    first), and the semantic diff of the criteria when they changed."""
    from ..compute.readiness import readiness
    from ..compute.semantic_diff import diff_handbooks
    from ..report.commands import render_report
    from ..workspace.workspace import Workspace

    packets, criteria_changed = space.changed_since(base)
    root = space.root
    changed = Workspace(root, space.today, only=tuple(root / p for p in packets) if packets else None)
    report = changed.report
    entries = []
    for file in packets:
        found = changed.packet(file)
        problems = tuple(d for d in report.diagnostics if d.file == file)
        entries.append({"file": file, "problems": problems,
                        "report": readiness(report.handbook, found, problems) if found else None})
    diff = diff_handbooks(changed.at_revision(base), changed.at_revision(None)) if criteria_changed else None
    return render_report(changed.templates, "comment", "markdown", marker=MARKER,
                         packets=entries, diff=diff, base_label=base[:10], head_label="this change",
                         errors=len(report.errors), warnings=len(report.warnings), files=report.files_checked)


# --- the cycle's tracking issue (`handbook status CYCLE --post`) ---------------------------------

STATUS_MARKER = "<!-- handbook-cycle-status:{cycle} -->"


def post_tracking_issue(platform: str, cycle: str, title: str, body: str, env: Mapping[str, str]) -> Outcome:
    """Create or update the one open issue that tracks `cycle` (found again by its hidden marker).
    GitHub: GITHUB_TOKEN with `issues: write`, GITHUB_REPOSITORY. GitLab: HANDBOOK_GITLAB_TOKEN,
    CI_API_V4_URL, CI_PROJECT_ID."""
    marker = STATUS_MARKER.format(cycle=cycle)
    body = f"{marker}\n{body}"
    if platform == "github":
        hub_token, repository = env.get("GITHUB_TOKEN"), env.get("GITHUB_REPOSITORY")
        if not hub_token or not repository:
            return Outcome("printed", "no GITHUB_TOKEN or GITHUB_REPOSITORY: the status is in the job log only")
        api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        headers = {"Authorization": f"Bearer {hub_token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}
        issues = f"{api}/repos/{repository}/issues"
        body = fit(body, GITHUB_LIMIT)
        author = env.get("HANDBOOK_COMMENT_AUTHOR", BOT_LOGIN)  # only our own issue, whoever copies the marker
        found = next((i for i in _pages(f"{issues}?state=open", headers)
                      if isinstance(i, dict) and marker in str(i.get("body") or "") and "pull_request" not in i
                      and (i.get("user") or {}).get("login") == author), None)
        if found is not None:
            _request("PATCH", f"{issues}/{int(found['number'])}", headers, {"body": body, "title": title})
            return Outcome("updated", f"updated issue #{found['number']}")
        created = _request("POST", issues, headers, {"title": title, "body": body})
        return Outcome("created", f"created issue #{created.get('number') if isinstance(created, dict) else '?'}")
    lab_token = env.get("HANDBOOK_GITLAB_TOKEN") or env.get("GITLAB_TOKEN")
    project, lab_api = env.get("CI_PROJECT_ID"), env.get("CI_API_V4_URL")
    if not lab_token or not project or not lab_api:
        return Outcome("printed", "no HANDBOOK_GITLAB_TOKEN (or not in a pipeline): the status is in the job log only")
    headers = {"PRIVATE-TOKEN": lab_token}
    me = _request("GET", f"{lab_api.rstrip('/')}/user", headers)
    my_id = me.get("id") if isinstance(me, dict) else None
    issues = f"{lab_api.rstrip('/')}/projects/{urllib.parse.quote(str(project), safe='')}/issues"
    body = fit(body, GITLAB_LIMIT)
    found = next((i for i in _pages(f"{issues}?state=opened", headers)
                  if isinstance(i, dict) and marker in str(i.get("description") or "")
                  and my_id is not None and (i.get("author") or {}).get("id") == my_id), None)
    if found is not None:
        _request("PUT", f"{issues}/{int(found['iid'])}", headers, {"description": body, "title": title})
        return Outcome("updated", f"updated issue #{found['iid']}")
    created = _request("POST", issues, headers, {"title": title, "description": body})
    return Outcome("created", f"created issue #{created.get('iid') if isinstance(created, dict) else '?'}")
