"""The handbook a packets repository names, checked out: the path itself, or a clone of the URL
in the user cache (0700), fetched again on each use."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..load.repository import SETTINGS_FILE
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
            raise PacketsRepoError(f"{MANIFEST}: handbook '{manifest.handbook}' is not a handbook repository "
                                   f"({path / SETTINGS_FILE} does not exist)")
        if manifest.ref:
            return _clone(path.as_uri(), manifest.ref)
        return path
    return _clone(manifest.handbook, manifest.ref)


def cache_folder() -> Path:
    """Handbooks fetched for packets repositories: HANDBOOK_CACHE_DIR, else the user cache, 0700."""
    if os.environ.get("HANDBOOK_CACHE_DIR"):
        base = Path(os.environ["HANDBOOK_CACHE_DIR"])
    else:
        from platformdirs import user_cache_dir

        base = Path(user_cache_dir("handbook"))
    folder = base / "handbooks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for part in (base, folder):
        try:
            os.chmod(part, 0o700)
        except OSError:
            pass
    return folder


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})


def _clone(url: str, ref: str | None) -> Path:
    """A checkout of `ref` (default: the remote's HEAD) of `url`, with its tags and history."""
    key = hashlib.sha256(f"{url}\n{ref or ''}".encode()).hexdigest()[:20]
    target = cache_folder() / key
    if not (target / ".git").is_dir():
        result = _git("clone", "--quiet", "--no-checkout", "--", url, str(target))
        if result.returncode != 0:
            raise PacketsRepoError(f"{MANIFEST}: cannot fetch the handbook from {url}: {result.stderr.strip()}")
    else:
        fetched = _git("fetch", "--quiet", "--tags", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*",
                       cwd=target)
        if fetched.returncode != 0 and not (target / SETTINGS_FILE).is_file():
            raise PacketsRepoError(f"{MANIFEST}: cannot fetch the handbook from {url}: {fetched.stderr.strip()}")
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
        raise PacketsRepoError(f"{MANIFEST}: cannot check out {wanted}: {checkout.stderr.strip()}")
    return target
