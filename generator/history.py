"""Handbook models at git revisions, and the criteria changelog built from history. I/O at the edge."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from .errors import GitError
from .git.hardened import git_command, git_environment
from .legacy import upgrade_tree
from .model import Handbook
from .semantic_diff import SemanticDiff, diff_handbooks
from .validate import load

TRACKED = ("rubrics", "levels", "site_config/handbook.yaml")




def git(root: Path, *args: str) -> str:
    return git_bytes(root, *args).decode("utf-8", "replace")


def git_bytes(root: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(git_command(*args), cwd=root, capture_output=True, stdin=subprocess.DEVNULL,
                                env=git_environment())  # a cloned handbook's own config runs nothing
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        raise GitError(result.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return result.stdout


def is_repository(root: Path) -> bool:
    try:
        return git(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except GitError:
        return False


def default_base(root: Path) -> str:
    """The merge-base with main (or origin/main); HEAD when there is none."""
    for branch in ("main", "origin/main", "master"):
        try:
            return git(root, "merge-base", branch, "HEAD").strip()
        except GitError:
            continue
    return "HEAD"


Warn = Callable[[str], None]


def load_revision(root: Path, revision: str, warn: Warn | None = None) -> Handbook:
    """The handbook model (rubrics, levels, settings) as it was at a revision. Anything but regular
    files and folders (symbolic links above all) is left out, and `warn` is told which."""
    commit = git(root, "rev-parse", "--verify", f"{revision}^{{commit}}").strip()
    present = [p for p in TRACKED if git(root, "ls-tree", "--name-only", commit, "--", p).strip()]
    with tempfile.TemporaryDirectory(prefix="handbook-rev-") as folder:
        if present:
            archive = git_bytes(root, "archive", "--format=tar", commit, "--", *present)
            try:
                with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                    skipped = _extract(tar, folder)
            except (tarfile.TarError, OSError) as exc:
                raise GitError(f"cannot unpack the files of commit {commit[:10]}: {exc}") from None
            for name in skipped:
                if warn is not None:
                    warn(f"{name} at commit {commit[:10]} is not a regular file (a symbolic link?); "
                         f"the criteria history leaves it out")
            upgrade_tree(Path(folder))  # history written before the open model reads as it does now
        return load(Path(folder), versions=False).handbook  # no rules, no clock: just the model


def _extract(tar: tarfile.TarFile, folder: str) -> list[str]:
    """Extract only regular files and folders, only inside `folder`; return the names left out.
    Links are never extracted: the working tree's loader refuses them too."""
    safe, skipped = [], []
    for member in tar.getmembers():
        parts = member.name.split("/")
        if (member.isfile() or member.isdir()) and not member.name.startswith("/") and ".." not in parts:
            safe.append(member)
        elif member.type != tarfile.XGLTYPE:  # `git archive` writes the commit id as a global header
            skipped.append(member.name)
    if hasattr(tarfile, "data_filter"):
        tar.extractall(folder, members=safe, filter="data")
    else:  # Python < 3.11.4 has no extraction filters
        tar.extractall(folder, members=safe)  # noqa: S202 - members checked above
    return skipped


def load_working_tree(root: Path) -> Handbook:
    return load(root, versions=False).handbook


@dataclass(frozen=True)
class ChangelogEntry:
    """What changed in expectations from one criteria version to the next. Built only from the
    content of rubrics, levels and settings: never from commit subjects or messages, which may
    name people (a packet's commit, a calibration note) and would be published verbatim."""

    version: str | None  # None: changes since the latest version that no version declares yet
    previous: str | None  # the version compared with; None for the first version in history
    commit: str
    date: str
    diff: SemanticDiff

    @property
    def first(self) -> bool:
        return self.previous is None and self.version is not None


def head_commit(root: Path) -> str | None:
    try:
        return git(root, "rev-parse", "HEAD").strip()
    except GitError:
        return None


def changelog(root: Path, limit: int = 50, warn: Warn | None = None) -> tuple[ChangelogEntry, ...]:
    """Semantic changes version by version, newest first, from the semantic diff between criteria
    versions (tag criteria-v<version>, else the earliest commit declaring it), then what changed
    since the latest version. Never commit subjects or messages: those may name candidates.
    Raises GitError when git cannot produce a revision it listed; `warn` hears of files left out."""
    from .pinned import load_at, version_points

    if not is_repository(root):
        return ()
    head = head_commit(root)
    points = [p for p in version_points(root).values() if head and _is_ancestor(root, p.commit, head)]
    entries = []
    previous = None
    for point in points:
        before = load_at(root, warn=warn, commit=previous.commit) if previous else Handbook(settings=None, composite=None)
        diff = diff_handbooks(before, load_at(root, warn=warn, commit=point.commit))
        entries.append(ChangelogEntry(point.version, previous.version if previous else None, point.commit[:10],
                                      _date(root, point.commit), diff))
        previous = point
    if previous is not None and head and head != previous.commit:
        since = diff_handbooks(load_at(root, warn=warn, commit=previous.commit), load_at(root, warn=warn, commit=head))
        if since.changes:
            entries.append(ChangelogEntry(None, previous.version, head[:10], _date(root, head), since))
    return tuple(reversed(entries))[:limit]


def _is_ancestor(root: Path, commit: str, head: str) -> bool:
    return subprocess.run(git_command("merge-base", "--is-ancestor", commit, head), cwd=root, capture_output=True,
                          stdin=subprocess.DEVNULL, env=git_environment()).returncode == 0


def _date(root: Path, commit: str) -> str:
    return git(root, "log", "-1", "--format=%ad", "--date=short", commit).strip()


def revision_at_version(root: Path, version: str) -> str | None:
    """The newest commit at which site settings carried this criteria version."""
    from .loader import load_bytes

    try:
        commits = git(root, "log", "--format=%H", "--", "site_config/handbook.yaml").split()
    except GitError:
        return None
    for commit in commits:
        raw = subprocess.run(git_command("show", f"{commit}:site_config/handbook.yaml"), cwd=root,
                             capture_output=True, stdin=subprocess.DEVNULL, env=git_environment()).stdout
        document = load_bytes(raw, "site_config/handbook.yaml").document
        if document and isinstance(document.data, dict) and document.data.get("criteria_version") == version:
            return commit
    return None


def diff_since(root: Path, version: str, head: Handbook) -> SemanticDiff | None:
    """What changed since the commit that carried `version`; None when history cannot tell."""
    if not is_repository(root):
        return None
    commit = revision_at_version(root, version)
    if commit is None:
        return None
    try:
        return diff_handbooks(load_revision(root, commit), head)
    except GitError:
        return None


def submission_dates(root: Path) -> dict[str, date]:
    """When each packet file was first committed: the day its pull request put it up for review."""
    if not is_repository(root):
        return {}
    try:
        log = git(root, "log", "--diff-filter=A", "--format=%x00%ad", "--date=short", "--name-only", "--", "packets")
    except GitError:
        return {}
    dates: dict[str, date] = {}
    for block in log.split("\x00")[1:]:
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        day = date.fromisoformat(lines[0])
        for name in lines[1:]:
            dates[name] = min(day, dates.get(name, day))  # log runs newest first; keep the oldest
    return dates


def changed_since(root: Path, base: str) -> tuple[list[str], bool]:
    """Packets the change adds or modifies (a changed review file counts for its packet), and whether
    the criteria (rubrics, levels, settings) changed."""
    raw = git_bytes(root, "diff", "-z", "--name-only", "--diff-filter=AM", base, "HEAD", "--", "packets")
    packets: list[str] = []
    for name in (os.fsdecode(n) for n in raw.split(b"\0") if n):
        if not name.endswith(".yaml"):
            continue
        folder, _, _ = name.rpartition("/")
        packet = folder.removesuffix(".reviews") + ".yaml" if folder.endswith(".reviews") else name
        if packet not in packets and (root / packet).is_file():
            packets.append(packet)
    criteria = git_bytes(root, "diff", "--name-only", base, "HEAD", "--", "rubrics", "levels",
                         "site_config/handbook.yaml").strip()
    return packets, bool(criteria)
