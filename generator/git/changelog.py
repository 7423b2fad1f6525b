"""The criteria changelog: semantic changes version by version, from git history."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..compute.semantic_diff import ChangelogEntry, diff_handbooks
from ..model.handbook import Handbook
from .hardened import git_command, git_environment
from .history import git, head_commit, is_repository
from .pinned import Revisions, version_points


def changelog(revisions: Revisions, limit: int = 50) -> tuple[ChangelogEntry, ...]:
    """Semantic changes version by version, newest first, from the semantic diff between criteria
    versions (tag criteria-v<version>, else the earliest commit declaring it), then what changed
    since the latest version. Never commit subjects or messages: those may name candidates.
    Raises GitError when git cannot produce a revision it listed; the revisions' `warn` hears of
    files left out."""
    root = revisions.root
    if not is_repository(root):
        return ()
    head = head_commit(root)
    points = [p for p in version_points(root).values() if head and _is_ancestor(root, p.commit, head)]
    entries = []
    previous = None
    for point in points:
        before = revisions.at(previous.commit) if previous else Handbook(settings=None, composite=None)
        diff = diff_handbooks(before, revisions.at(point.commit))
        entries.append(
            ChangelogEntry(
                point.version,
                previous.version if previous else None,
                point.commit[:10],
                _date(root, point.commit),
                diff,
            )
        )
        previous = point
    if previous is not None and head and head != previous.commit:
        since = diff_handbooks(revisions.at(previous.commit), revisions.at(head))
        if since.changes:
            entries.append(ChangelogEntry(None, previous.version, head[:10], _date(root, head), since))
    return tuple(reversed(entries))[:limit]


def _is_ancestor(root: Path, commit: str, head: str) -> bool:
    return (
        subprocess.run(
            git_command("merge-base", "--is-ancestor", commit, head),
            cwd=root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=git_environment(),
        ).returncode
        == 0
    )


def _date(root: Path, commit: str) -> str:
    return git(root, "log", "-1", "--format=%ad", "--date=short", commit).strip()
