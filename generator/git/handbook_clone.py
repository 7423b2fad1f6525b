"""The handbook a packets repository names, checked out: the path itself, or a clone of the URL
in the user cache (a private folder: load/safe_files.private_folder), fetched again on each use, one
command at a time, with hardened git (git/hardened.py)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..load.repository import SETTINGS_FILE
from ..load.safe_files import LockFileProblem, open_lock, wait_for_lock
from ..model.errors import HandbookError

MANIFEST = "packets.yaml"
_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.IGNORECASE)


class PacketsRepoError(HandbookError):
    """packets.yaml is missing or broken, or its handbook cannot be reached."""


@dataclass(frozen=True)
class Manifest:
    handbook: str
    ref: str | None
    file: str


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


def handbook_checkout(packets_root: Path, manifest: Manifest) -> Path:
    """The handbook's folder: the path itself, or a clone of the URL in the user cache."""
    if not is_url(manifest.handbook):
        path = (packets_root / manifest.handbook).resolve()
        if not (path / SETTINGS_FILE).is_file():
            raise PacketsRepoError(
                f"{MANIFEST}: handbook '{manifest.handbook}' is not a handbook repository "
                f"({path / SETTINGS_FILE} does not exist)"
            )
        if manifest.ref:
            return _clone(path.as_uri(), manifest.ref)
        return path
    return _clone(manifest.handbook, manifest.ref)


def cache_folder() -> Path:
    """Handbooks fetched for packets repositories: HANDBOOK_CACHE_DIR, else the user cache. The
    same checks as the result cache: each folder is ours and nobody else can write to it (a clone
    planted by another user would run its .git/config and mkdocs.yml hooks as us)."""
    from ..load.safe_files import UnsafeFileError, private_folder

    if os.environ.get("HANDBOOK_CACHE_DIR"):
        base, named = Path(os.environ["HANDBOOK_CACHE_DIR"]), "cache folder (HANDBOOK_CACHE_DIR)"
    else:
        from platformdirs import user_cache_dir

        base, named = Path(user_cache_dir("handbook")), "cache folder"
    try:
        private_folder(base, what=named)
        return private_folder(base / "handbooks", what="folder of cloned handbooks")
    except UnsafeFileError as problem:
        raise PacketsRepoError(f"{MANIFEST}: cannot fetch the handbook: {problem.format_message()}") from None


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    from .hardened import git_command, git_environment

    try:
        return subprocess.run(
            git_command(*args),
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            env=git_environment(),
            umask=0o077,
        )  # the clone stays private
    except OSError as problem:
        raise PacketsRepoError(f"{MANIFEST}: cannot run git: {problem.strerror or problem}") from None


def _said(result: subprocess.CompletedProcess[str]) -> str:
    """What git said, on one line (the last line is the one that says why)."""
    lines = [line.strip() for line in (result.stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"git exited with status {result.returncode}"


def _checked_clone(target: Path) -> None:
    """An existing clone must be ours through and through: the folder, .git and its config."""
    from ..load.safe_files import UnsafeFileError, private_folder

    try:
        private_folder(target, what="cloned handbook")
        private_folder(target / ".git", what="cloned handbook's .git folder")
        info = os.lstat(target / ".git" / "config")
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise UnsafeFileError(f"{target / '.git' / 'config'} is not a file of yours that only you can write")
    except (UnsafeFileError, OSError) as problem:
        message = problem.format_message() if isinstance(problem, UnsafeFileError) else str(problem)
        raise PacketsRepoError(
            f"{MANIFEST}: not using the cloned handbook: {message}; remove {target} and run again"
        ) from None


CLONE_LOCK_SECONDS = 180.0


@contextlib.contextmanager
def _clone_lock(path: Path, patience: float = CLONE_LOCK_SECONDS) -> Iterator[None]:
    """One command at a time clones, fetches and checks out a cached handbook (parallel commands
    would trip over git's index.lock); the others wait, at most `patience` seconds."""
    try:
        descriptor = open_lock(path)
    except LockFileProblem as problem:
        if problem.kind is None:
            raise PacketsRepoError(
                f"{MANIFEST}: cannot open the lock {path}: {problem.reason}; remove it and run again"
            ) from None
        raise PacketsRepoError(
            f"{MANIFEST}: the lock {path} is not a regular file of yours; remove it and run again"
        ) from None
    try:
        if not wait_for_lock(descriptor, patience, poll=0.1):
            raise PacketsRepoError(
                f"{MANIFEST}: gave up after {patience:.0f} s waiting for another command "
                f"to fetch the handbook (lock {path}); run again"
            )
        yield
    finally:
        os.close(descriptor)  # releases the lock, as the kernel does for a killed process


def _clone(url: str, ref: str | None) -> Path:
    """A checkout of `ref` (default: the remote's HEAD) of `url`, with its tags and history."""
    key = hashlib.sha256(f"{url}\n{ref or ''}".encode()).hexdigest()[:20]
    folder = cache_folder()
    with _clone_lock(folder / f"{key}.lock"):
        return _clone_locked(url, ref, folder / key)


def _clone_locked(url: str, ref: str | None, target: Path) -> Path:
    cloned = not os.path.lexists(target)
    if cloned:
        result = _git("clone", "--quiet", "--no-checkout", "--", url, str(target))
        if result.returncode != 0:
            raise PacketsRepoError(f"{MANIFEST}: cannot fetch the handbook from {url}: {_said(result)}")
    _checked_clone(target)
    if not cloned:
        fetched = _git(
            "fetch", "--quiet", "--tags", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*", cwd=target
        )
        if fetched.returncode != 0 and not (target / SETTINGS_FILE).is_file():
            raise PacketsRepoError(f"{MANIFEST}: cannot fetch the handbook from {url}: {_said(fetched)}")
    wanted = ref or "origin/HEAD"
    for candidate in (f"origin/{wanted}", wanted) if ref else (wanted,):
        resolved = _git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=target)
        if resolved.returncode == 0:
            commit = resolved.stdout.strip()
            break
    else:
        raise PacketsRepoError(f"{MANIFEST}: the handbook at {url} has no ref '{wanted}'")
    checkout = _git("checkout", "--quiet", "--force", "--detach", commit, cwd=target)
    if checkout.returncode != 0:
        raise PacketsRepoError(f"{MANIFEST}: cannot check out {wanted}: {_said(checkout)}")
    return target
