"""Packets repositories: real packets kept apart from the handbook that publishes a site.

A packets repository has `packets.yaml` at its root naming its handbook (a path or a git URL,
optional `ref`). Commands run inside it read packets from it and everything else from the
handbook: a path is used as it is (no network); a URL is cloned into the user cache (0700) and
fetched again on each use. I/O lives here; the rest of the code sees two folders.
"""

from __future__ import annotations

import hashlib
import os
import contextlib
import fcntl
import re
import stat
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import HandbookError
from .diagnostics import Diagnostic, error, warning
from .loader import load_file
from .model import Handbook
from .repository import SETTINGS_FILE

MANIFEST = "packets.yaml"
_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.IGNORECASE)


class PacketsRepoError(HandbookError):
    """packets.yaml is missing or broken, or its handbook cannot be reached."""


@dataclass(frozen=True)
class Workspace:
    """Where the handbook (rubrics, levels, settings, templates) and the packets are read from."""

    handbook_root: Path
    packets_root: Path | None = None  # None: the single-repository layout

    @property
    def separate(self) -> bool:
        return self.packets_root is not None

    @property
    def data_root(self) -> Path:
        """Where packets, internal sites and exports of this workspace live."""
        return self.packets_root or self.handbook_root


@dataclass(frozen=True)
class Manifest:
    handbook: str
    ref: str | None
    file: str


def find_workspace_root(start: Path) -> tuple[Path, bool]:
    """The nearest folder at or above `start` holding packets.yaml or site settings; is it a packets repository?"""
    start = start.resolve()
    for folder in (start, *start.parents):
        if os.path.lexists(folder / MANIFEST):  # a link or a FIFO named so is refused when read, not skipped
            return folder, True
        if (folder / SETTINGS_FILE).is_file():
            return folder, False
    return start, False


def workspace(start: Path, explicit_root: Path | None = None) -> Workspace:
    """The workspace a command runs in: `--root` if given, else found from `start`."""
    if explicit_root is not None:
        folder, is_packets = explicit_root.resolve(), os.path.lexists(explicit_root / MANIFEST)
    else:
        folder, is_packets = find_workspace_root(start)
    if is_packets and os.path.lexists(folder / SETTINGS_FILE):
        raise PacketsRepoError(f"{folder / MANIFEST} and {folder / SETTINGS_FILE} are both here: a repository with "
                               f"site settings is a handbook, so it never reads another handbook's criteria; remove "
                               f"{MANIFEST} (it belongs at the root of a separate packets repository)")
    if not is_packets:
        return Workspace(folder)
    manifest = read_manifest(folder)
    return Workspace(handbook_checkout(folder, manifest), folder)


def read_manifest(folder: Path) -> Manifest:
    from .schema_check import check

    if (folder / MANIFEST).is_symlink():
        raise PacketsRepoError(f"{MANIFEST}:1:1: symbolic links are not followed; commit the file itself")
    loaded = load_file(folder / MANIFEST, MANIFEST)
    problems = list(loaded.diagnostics)
    if loaded.document is not None and not problems:
        problems = check(loaded.document, "packets_repository")
    if problems or loaded.document is None:
        first = problems[0]
        raise PacketsRepoError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    data = loaded.document.data
    return Manifest(data["handbook"], data.get("ref"), MANIFEST)


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
    """Handbooks fetched for packets repositories: HANDBOOK_CACHE_DIR, else the user cache. The
    same checks as the result cache: each folder is ours and nobody else can write to it (a clone
    planted by another user would run its .git/config and mkdocs.yml hooks as us)."""
    from .load.safe_files import UnsafeFileError, private_folder

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


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    from .git.hardened import git_command, git_environment

    try:
        return subprocess.run(git_command(*args), cwd=cwd, capture_output=True, text=True, errors="replace",
                              stdin=subprocess.DEVNULL, env=git_environment(), umask=0o077)  # the clone stays private
    except OSError as problem:
        raise PacketsRepoError(f"{MANIFEST}: cannot run git: {problem.strerror or problem}") from None


def _said(result: subprocess.CompletedProcess) -> str:
    """What git said, on one line (the last line is the one that says why)."""
    lines = [line.strip() for line in (result.stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"git exited with status {result.returncode}"


def _checked_clone(target: Path) -> None:
    """An existing clone must be ours through and through: the folder, .git and its config."""
    from .load.safe_files import UnsafeFileError, private_folder

    try:
        private_folder(target, what="cloned handbook")
        private_folder(target / ".git", what="cloned handbook's .git folder")
        info = os.lstat(target / ".git" / "config")
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise UnsafeFileError(f"{target / '.git' / 'config'} is not a file of yours that only you can write")
    except (UnsafeFileError, OSError) as problem:
        message = problem.format_message() if isinstance(problem, UnsafeFileError) else str(problem)
        raise PacketsRepoError(f"{MANIFEST}: not using the cloned handbook: {message}; remove {target} and run "
                               "again") from None


CLONE_LOCK_SECONDS = 180.0


@contextlib.contextmanager
def _clone_lock(path: Path, patience: float = CLONE_LOCK_SECONDS) -> Iterator[None]:
    """One command at a time clones, fetches and checks out a cached handbook (parallel commands
    would trip over git's index.lock); the others wait, at most `patience` seconds."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as problem:
        raise PacketsRepoError(f"{MANIFEST}: cannot open the lock {path}: {problem.strerror or problem}; remove it "
                               "and run again") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise PacketsRepoError(f"{MANIFEST}: the lock {path} is not a regular file of yours; remove it and run again")
        deadline = time.monotonic() + patience
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PacketsRepoError(f"{MANIFEST}: gave up after {patience:.0f} s waiting for another command "
                                           f"to fetch the handbook (lock {path}); run again") from None
                time.sleep(0.1)
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
        fetched = _git("fetch", "--quiet", "--tags", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*",
                       cwd=target)
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


def private_packets_warning(handbook: Handbook, separate: bool) -> list[Diagnostic]:
    """The single-repository layout: warn that real packets sit where a site is published from."""
    if separate or handbook.settings is None or handbook.settings.acknowledge_private_packets:
        return []
    real = [p for p in handbook.packets if not p.is_example]
    if not real:
        return []
    return [warning(handbook.settings.file, "private-packets-in-handbook",
                    f"{len(real)} non-example packet(s) sit in the repository that publishes the handbook, so "
                    "everyone who can read it can read them: move them to a packets repository (`handbook init "
                    "packets DIR --handbook URL`) or acknowledge with publish.acknowledge_private_packets: true",
                    ("publish",))]


def manifest_problem(folder: Path) -> Diagnostic | None:
    try:
        read_manifest(folder)
    except PacketsRepoError as problem:
        return error(MANIFEST, "packets-manifest", str(problem))
    return None


SKELETON = {  # skeleton file -> path in the new repository
    "packets.yaml.j2": MANIFEST,
    "README.md.j2": "README.md",
    "github/workflows/packets.yml": ".github/workflows/packets.yml",
    "github/pull_request_template.md": ".github/pull_request_template.md",
    "gitignore": ".gitignore",
    "CODEOWNERS.j2": ".github/CODEOWNERS",
}
COPIES = {".gitlab/CODEOWNERS": ".github/CODEOWNERS"}  # GitLab reads .gitlab/, never .github/


def packet_owners(handbook: str, owner: str | None) -> tuple[str, ...]:
    """Who owns packets.yaml and CI in a new packets repository: --owner, else the handbook's
    promotion committee (codeowners.packets, else codeowners.default) when the handbook is local."""
    from .codeowners import is_owner

    if not is_url(handbook) and not (Path(handbook).resolve() / SETTINGS_FILE).is_file():
        raise PacketsRepoError(f"--handbook {handbook}: not a handbook repository ({SETTINGS_FILE} is missing)")
    if owner is not None:
        if not is_owner(owner):
            raise PacketsRepoError(f"--owner {owner!r} is not one GitHub user (@name), team (@org/team) or e-mail")
        return (owner,)
    local = Path(urllib.parse.urlsplit(handbook).path) if handbook.startswith("file://") else \
        None if is_url(handbook) else Path(handbook)
    if local is not None and (local / SETTINGS_FILE).is_file():
        from .schema_check import check

        loaded = load_file(local / SETTINGS_FILE, SETTINGS_FILE)
        data = loaded.document.data if loaded.document is not None and not check(loaded.document, "settings") else {}
        owners = (data.get("codeowners") or {}) if isinstance(data, dict) else {}
        found = tuple(o for o in (owners.get("packets") or owners.get("default") or ()) if is_owner(o))
        if found:
            return found
    raise PacketsRepoError("init packets needs --owner @ORG/TEAM (the promotion committee): CODEOWNERS gives them "
                           "packets.yaml and CI, so no pull request can point the packets at another handbook")


def init_packets(target: Path, handbook: str, ref: str | None, owner: str | None = None) -> list[str]:
    """Scaffold a packets repository in `target`; refuses to overwrite anything. Returns files written."""
    from importlib import resources

    import jinja2

    location = handbook
    if not is_url(handbook):
        absolute = Path(handbook).resolve()
        if not (absolute / SETTINGS_FILE).is_file():
            raise PacketsRepoError(f"--handbook {handbook}: not a handbook repository ({SETTINGS_FILE} is missing)")
        location = os.path.relpath(absolute, target.resolve())
    owners = " ".join(packet_owners(handbook, owner))
    existing = [name for name in (*SKELETON.values(), *COPIES) if os.path.lexists(target / name)]
    if existing:
        raise PacketsRepoError(f"{target} already has {', '.join(existing)}; refusing to overwrite")
    package = resources.files("generator").joinpath("skeletons/packets")
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    context = {"handbook": location, "ref": ref, "owners": owners}
    written = []
    texts = {}
    for source, name in SKELETON.items():
        text = package.joinpath(source).read_text("utf-8")
        if source.endswith(".j2"):
            text = env.from_string(text).render(**context)
        texts[name] = text
    for name, text in [*texts.items(), *((copy, texts[original]) for copy, original in COPIES.items())]:
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:  # O_EXCL: never over a file or through a link
            handle.write(text)
        written.append(name)
    (target / "packets").mkdir(exist_ok=True)
    return written
