"""Handbook models at git revisions, and the criteria changelog built from history. I/O at the edge."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ..check.validate import load
from ..compute.semantic_diff import SemanticDiff, diff_handbooks
from ..load.legacy import upgrade_tree
from ..model.errors import GitError
from ..model.handbook import Handbook
from .hardened import git_command, git_environment

TRACKED = ("rubrics", "levels", "site_config/handbook.yaml")


def git(root: Path, *args: str) -> str:
    return git_bytes(root, *args).decode("utf-8", "replace")


def git_bytes(root: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(
            git_command(*args), cwd=root, capture_output=True, stdin=subprocess.DEVNULL, env=git_environment()
        )  # a cloned handbook's own config runs nothing
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        raise GitError(_one_line(result.stderr.decode("utf-8", "replace")) or f"git {' '.join(args)} failed")
    return result.stdout


def _one_line(stderr: str) -> str:
    """git's complaint as one line: its lines joined, without the 'error:'/'fatal:' labels we add ourselves."""
    lines = [line.strip().removeprefix("error:").removeprefix("fatal:").strip() for line in stderr.splitlines()]
    return "; ".join(line for line in lines if line)


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
                    warn(
                        f"{name} at commit {commit[:10]} is not a regular file (a symbolic link?); "
                        f"the criteria history leaves it out"
                    )
            upgrade_tree(Path(folder))  # history written before the open model reads as it does now
        return load(Path(folder)).handbook  # no rules, no clock: just the model


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
        tar.extractall(folder, members=safe)
    return skipped


def load_working_tree(root: Path) -> Handbook:
    return load(root).handbook


def head_commit(root: Path) -> str | None:
    try:
        return git(root, "rev-parse", "HEAD").strip()
    except GitError:
        return None


def revision_at_version(root: Path, version: str) -> str | None:
    """The newest commit at which site settings carried this criteria version."""
    from ..load.loader import load_bytes

    try:
        commits = git(root, "log", "--format=%H", "--", "site_config/handbook.yaml").split()
    except GitError:
        return None
    for commit in commits:
        raw = subprocess.run(
            git_command("show", f"{commit}:site_config/handbook.yaml"),
            cwd=root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=git_environment(),
        ).stdout
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


def root_commits(root: Path) -> str:
    """The repository's first commit(s), joined; empty outside git or before any commit."""
    if not is_repository(root):
        return ""
    try:
        return " ".join(sorted(git(root, "rev-list", "--max-parents=0", "HEAD").split()))
    except GitError:
        return ""


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
    criteria = git_bytes(
        root, "diff", "--name-only", base, "HEAD", "--", "rubrics", "levels", "site_config/handbook.yaml"
    ).strip()
    return packets, bool(criteria)
