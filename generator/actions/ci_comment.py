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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.errors import HandbookError

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

MARKER = "<!-- handbook-readiness-report -->"
GITHUB_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters
GITLAB_LIMIT = 1_000_000
TIMEOUT = 20
EVENT_LIMIT = 25 * 1024 * 1024  # GitHub's event payloads are far smaller
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
    return body[: limit - len(note)] + note


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the token would go to whatever host the answer names (and a 302
    turns a POST into a GET that "succeeds"). A redirect is an error instead."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())
MAX_ANSWER_BYTES = 32 * 1024 * 1024


def _request(method: str, url: str, headers: Mapping[str, str], payload: Any = None) -> Any:
    """One API call; anything but a 2xx answer with a JSON body (no redirect followed) is a CommentError."""
    data = json.dumps(payload).encode("utf-8") if payload is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={**headers, "Content-Type": "application/json", "User-Agent": "handbook-ci"},
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            status = response.status
            raw = response.read(MAX_ANSWER_BYTES + 1)
            if len(raw) <= MAX_ANSWER_BYTES:
                raw += response.read()  # at the end: reading to EOF lets the connection close
    except urllib.error.HTTPError as failure:
        failure.close()  # it holds the connection
        moved = f" to {_host(failure.headers.get('Location', ''))}" if 300 <= failure.code < 400 else ""
        raise CommentError(
            f"{method} {_path(url)} was refused: HTTP {failure.code} {failure.reason}{moved} "
            "(redirects are not followed: check the API URL)"
            if moved
            else f"{method} {_path(url)} was refused: HTTP {failure.code} {failure.reason}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as failure:
        raise CommentError(f"{method} {_path(url)} failed: {getattr(failure, 'reason', failure)}") from None
    if not 200 <= status < 300 or len(raw) > MAX_ANSWER_BYTES:
        raise CommentError(f"{method} {_path(url)} answered HTTP {status}, not a success with a body of a sane size")
    try:
        return json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        raise CommentError(f"{method} {_path(url)} did not answer with JSON") from None


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or "another place"


def _item_id(answer: Any, method: str, url: str) -> int:
    """The id of the comment or note an API call answered with; anything else is an error."""
    found = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(found, int) or isinstance(found, bool):
        raise CommentError(f"{method} {_path(url)} did not answer with a comment (no id): nothing was posted")
    return found


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


def _upsert(
    list_url: str,
    item_url: Callable[[Any], str],
    headers: Mapping[str, str],
    body: str,
    ours: Callable[[dict[str, Any]], bool],
    edit: str,
) -> Outcome:
    existing = next(
        (
            item
            for item in _pages(list_url, headers)
            if isinstance(item, dict) and MARKER in str(item.get("body", "")) and ours(item)
        ),
        None,
    )
    if existing is not None:
        target = item_url(_item_id(existing, "GET", list_url))
        updated = _item_id(_request(edit, target, headers, {"body": body}), edit, target)
        return Outcome("updated", f"updated comment {updated}")
    created = _item_id(_request("POST", list_url, headers, {"body": body}), "POST", list_url)
    return Outcome("created", f"created comment {created}")


def post_github(body: str, env: Mapping[str, str]) -> Outcome:
    """Create or update the pull request's report comment; on a fork (or without a token) write the
    job summary instead. The job summary always gets the report too."""
    body = fit(body, GITHUB_LIMIT)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(body + "\n")
    event = _event(env.get("GITHUB_EVENT_PATH"))
    number = _dig(event, "pull_request", "number") or event.get("number")
    if not number:
        return Outcome("summary", "not a pull request: the report is in the job summary only")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise CommentError(f"the event payload's pull request number {str(number)[:40]!r} is not a number")
    head = _dig(event, "pull_request", "head", "repo", "full_name")
    base = _dig(event, "pull_request", "base", "repo", "full_name") or env.get("GITHUB_REPOSITORY")
    if head and base and head != base:
        return Outcome(
            "summary",
            f"pull request from the fork {head}: its token cannot comment, so the report is in the job summary",
        )
    token = env.get("GITHUB_TOKEN")
    if not token:
        return Outcome("summary", "no GITHUB_TOKEN: the report is in the job summary")
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repository = base
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    author = env.get("HANDBOOK_COMMENT_AUTHOR", BOT_LOGIN)
    return _upsert(
        f"{api}/repos/{repository}/issues/{int(number)}/comments",
        lambda cid: f"{api}/repos/{repository}/issues/comments/{int(cid)}",
        headers,
        body,
        lambda item: (item.get("user") or {}).get("login") == author,
        "PATCH",
    )


def post_gitlab(body: str, env: Mapping[str, str]) -> Outcome:
    """Create or update the merge request's report note; without a token, print it."""
    body = fit(body, GITLAB_LIMIT)
    token = env.get("HANDBOOK_GITLAB_TOKEN") or env.get("GITLAB_TOKEN")
    iid, project, api = env.get("CI_MERGE_REQUEST_IID"), env.get("CI_PROJECT_ID"), env.get("CI_API_V4_URL")
    if not iid or not project or not api:
        return Outcome("printed", "not a merge request pipeline: the report is in the job log only")
    if not iid.isdigit() or len(iid) > 18:
        raise CommentError(f"CI_MERGE_REQUEST_IID {iid[:40]!r} is not a number")
    if not token:
        return Outcome("printed", "no HANDBOOK_GITLAB_TOKEN: the report is in the job log and its artifact only")
    api = api.rstrip("/")
    headers = {"PRIVATE-TOKEN": token}
    my_id = _item_id(_request("GET", f"{api}/user", headers), "GET", f"{api}/user")
    project_path = urllib.parse.quote(str(project), safe="")
    notes = f"{api}/projects/{project_path}/merge_requests/{int(iid)}/notes"
    return _upsert(
        notes,
        lambda nid: f"{notes}/{int(nid)}",
        headers,
        body,
        lambda item: (item.get("author") or {}).get("id") == my_id,
        "PUT",
    )


def _dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]... when every step is a mapping, else None (an event payload may hold anything)."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    from ..load.safe_files import UnsafeFileError, read_regular

    try:
        event = json.loads(read_regular(Path(path), EVENT_LIMIT, what="event payload"))
    except UnsafeFileError as failure:
        raise CommentError(failure.format_message()) from None
    except (ValueError, RecursionError) as failure:
        raise CommentError(f"cannot read the event payload {path}: {failure}") from None
    return event if isinstance(event, dict) else {}


POSTERS = {"github": post_github, "gitlab": post_gitlab}


def comment_body(space: Workspace, base: str) -> str:
    """The pull request's report: validation totals, each changed packet's readiness (its problems
    first), and the semantic diff of the criteria when they changed."""
    from ..compute.readiness import readiness
    from ..compute.semantic_diff import diff_handbooks
    from ..compute.team_signals import packet_signals
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
        result = readiness(report.handbook, found, problems) if found else None
        if result is not None and found is not None:  # as `handbook readiness`: context after the figures
            signals = packet_signals(report.handbook, found, root, changed.today, changed.cache)
            result = replace(result, team_signals=signals)
        entries.append({"file": file, "problems": problems, "report": result})
    diff = diff_handbooks(changed.at_revision(base), changed.at_revision(None)) if criteria_changed else None
    return render_report(
        changed.templates,
        "comment",
        "markdown",
        marker=MARKER,
        packets=entries,
        diff=diff,
        base_label=base[:10],
        head_label="this change",
        errors=len(report.errors),
        warnings=len(report.warnings),
        files=report.files_checked,
    )


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
        headers = {
            "Authorization": f"Bearer {hub_token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        issues = f"{api}/repos/{repository}/issues"
        body = fit(body, GITHUB_LIMIT)
        author = env.get("HANDBOOK_COMMENT_AUTHOR", BOT_LOGIN)  # only our own issue, whoever copies the marker
        found = next(
            (
                i
                for i in _pages(f"{issues}?state=open", headers)
                if isinstance(i, dict)
                and marker in str(i.get("body") or "")
                and "pull_request" not in i
                and (i.get("user") or {}).get("login") == author
            ),
            None,
        )
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
    found = next(
        (
            i
            for i in _pages(f"{issues}?state=opened", headers)
            if isinstance(i, dict)
            and marker in str(i.get("description") or "")
            and my_id is not None
            and (i.get("author") or {}).get("id") == my_id
        ),
        None,
    )
    if found is not None:
        _request("PUT", f"{issues}/{int(found['iid'])}", headers, {"description": body, "title": title})
        return Outcome("updated", f"updated issue #{found['iid']}")
    created = _request("POST", issues, headers, {"title": title, "description": body})
    return Outcome("created", f"created issue #{created.get('iid') if isinstance(created, dict) else '?'}")
