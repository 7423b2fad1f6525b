"""Where a build may write, and how the new site replaces the old one. I/O at the edge.

A build only ever replaces a folder an earlier build made (it holds the MARKER file), an empty
folder, or nothing. It works in `.handbook-build/` beside the site folder (0700, ignored by git
through its own `.gitignore`), holds a lock there so that two builds of one site take turns,
cleans what an interrupted build left, and puts the new site in place with one atomic exchange
of the two folders, so that the site path holds a complete site at every instant.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..load.safe_files import LockFileProblem, UnsafeFileError, open_lock, private_folder, wait_for_lock
from ..model.errors import HandbookError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: builds are not serialised
    fcntl = None  # type: ignore[assignment]

MARKER = ".handbook-site"
MARKER_TEXT = (
    "This folder was made by `handbook build`; the next build replaces it whole.\nDo not keep other files here.\n"
)
STAGING = ".handbook-build"
SOURCES = ("rubrics", "levels", "packets", "site_config", ".git", ".github", STAGING)
LOCK_PATIENCE_SECONDS = 600.0


class SiteFolderError(HandbookError):
    """The site folder cannot be used: a usage error (exit status 2)."""

    exit_code = 2


def site_path(site_dir: Path) -> Path:
    """The absolute site path: its parent resolved, its last part never followed."""
    absolute = Path(os.path.abspath(site_dir))
    if absolute.parent == absolute:
        raise SiteFolderError(f"{site_dir}: refusing to use the filesystem root as the site folder")
    return absolute.parent.resolve() / absolute.name


def shown(path: Path) -> str:
    """The path as the user would type it: relative below the current folder, else absolute."""
    here = Path.cwd().resolve()
    if path == here:
        return "."
    return str(path.relative_to(here)) if here in path.parents else str(path)


def check_site_folder(root: Path, site: Path) -> None:
    """Refuse any site folder that a build must not replace (see the module's docstring)."""
    root = root.resolve()
    name = shown(site)
    if site == root or site in root.parents:
        raise SiteFolderError(
            f"{name}: refusing to build into the repository or a folder above it; "
            f"choose a folder of its own, e.g. --site-dir site"
        )
    for source in SOURCES:
        guarded = root / source
        if site == guarded or guarded in site.parents:
            raise SiteFolderError(
                f"{name}: refusing to build inside {source}/, which belongs to the handbook's "
                f"sources; choose a folder of its own, e.g. --site-dir site"
            )
    if STAGING in site.parts:
        raise SiteFolderError(f"{name}: refusing to build inside a {STAGING}/ working folder")
    try:
        info = site.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SiteFolderError(f"{name}: cannot use it as the site folder: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise SiteFolderError(
            f"{name} is a symbolic link; a build never follows or replaces links: give the folder itself, or a new path"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise SiteFolderError(f"{name} is {_kind(info.st_mode)}, not a folder; refusing to replace it")
    try:
        entries = os.listdir(site)
    except OSError as exc:
        raise SiteFolderError(f"{name}: cannot read the folder: {exc.strerror}") from None
    if entries and not is_built_site(site):
        raise SiteFolderError(
            f"{name} holds files that `handbook build` did not make (no {MARKER} file in it); "
            f"refusing to replace it: move it away or choose another --site-dir"
        )


def is_built_site(folder: Path) -> bool:
    try:
        return stat.S_ISREG((folder / MARKER).lstat().st_mode)
    except OSError:
        return False


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a folder"


def staging_folder(parent: Path) -> Path:
    """`.handbook-build/` in parent: created 0700, ignored by git whatever the repository's .gitignore."""
    folder = parent / STAGING
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode):
            raise SiteFolderError(f"{shown(folder)} is not a folder; move it away so that builds can work there")
        if info.st_uid != os.getuid():
            raise SiteFolderError(f"{shown(folder)} belongs to another user; refusing to build there")
        try:  # the same check as every private folder: others must not have been able to plant files here
            private_folder(folder, what="build work folder")
        except UnsafeFileError as problem:
            raise SiteFolderError(f"{problem.format_message()}; builds run from it") from None
        ignore = folder / ".gitignore"
        if not ignore.is_file() or ignore.is_symlink():
            _write_new(ignore, "# Work folder of `handbook build`: never commit it.\n*\n")
    except OSError as exc:
        raise SiteFolderError(
            f"cannot write beside the site folder in {shown(parent)}: {exc.strerror or exc}"
        ) from None
    return folder


def _write_new(path: Path, text: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


@contextlib.contextmanager
def locked(site: Path, progress: Callable[[str], None], patience: float = LOCK_PATIENCE_SECONDS) -> Iterator[Path]:
    """Hold the build lock of `site`, clean what interrupted builds left, yield the staging folder."""
    staging = staging_folder(site.parent)
    descriptor = _open_lock(staging / f"{site.name}.lock")
    try:
        _acquire(descriptor, site, progress, patience)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        clean_leftovers(staging, site, progress)
        yield staging
    finally:
        os.close(descriptor)  # releases the lock; the kernel does the same if the process is killed


def _open_lock(path: Path) -> int:
    """The lock file, a regular file of ours: anything else there (a link, a FIFO, a folder) is a
    one-line error naming it, never followed or blocked on."""
    remedy = "remove it and build again (no build is running when it is not a plain file)"
    try:
        return open_lock(path)
    except LockFileProblem as problem:
        if problem.kind is None:
            raise SiteFolderError(f"cannot open the build lock {shown(path)}: {problem.reason}; {remedy}") from None
        raise SiteFolderError(f"the build lock {shown(path)} is {problem.kind}: {remedy}") from None


def _acquire(descriptor: int, site: Path, progress: Callable[[str], None], patience: float) -> None:
    if fcntl is None:  # pragma: no cover
        return
    if wait_for_lock(descriptor, 0, poll=0.2):
        return
    holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "unknown"
    progress(f"Another build is writing {shown(site)} (process {holder}); waiting for it to finish")
    if not wait_for_lock(descriptor, patience, poll=0.2):
        raise SiteFolderError(
            f"gave up after {patience:.0f} s waiting for the build of {shown(site)} "
            f"by process {holder}; stop it, or build into another --site-dir"
        )


def new_workspace(staging: Path, site: Path) -> Path:
    """A private (0700) folder for one build, inside the staging folder."""
    return Path(tempfile.mkdtemp(prefix=f"{site.name}.new-", dir=staging))


def clean_leftovers(staging: Path, site: Path, progress: Callable[[str], None]) -> None:
    """Remove what interrupted builds of `site` left (call with the lock held). When a site was
    interrupted between the two renames of the fallback swap, put the complete one back first."""
    leftovers = sorted(p for p in staging.iterdir() if p.name.startswith(f"{site.name}.new-"))
    legacy = [
        p
        for p in site.parent.iterdir()
        if re.fullmatch(rf"\.{re.escape(site.name)}-(build-[A-Za-z0-9_]{{8}}|old-\d+)", p.name)
    ]
    if not _exists(site):
        for candidate in [p / "site" for p in reversed(leftovers)] + [p / "old" for p in reversed(leftovers)]:
            if _is_real_folder(candidate) and is_built_site(candidate):
                os.rename(candidate, site)
                progress(f"Restored {shown(site)} from an interrupted build")
                break
    legacy += [staging / "docs", staging / "mkdocs.yml"]  # where `serve` used to write, private pages included
    removed = 0
    for leftover in leftovers + legacy:
        if _is_real_folder(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
            removed += 1
        elif _exists(leftover):
            leftover.unlink()
            removed += 1
    if removed:
        progress(f"Removed {removed} leftover folder{'s' if removed != 1 else ''} of interrupted builds")


def _exists(path: Path) -> bool:
    try:
        path.lstat()
        return True
    except FileNotFoundError:
        return False


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def mark(new_site: Path) -> None:
    from ..load.safe_files import write_exclusive

    write_exclusive(new_site / MARKER, MARKER_TEXT)


def put_in_place(root: Path, new_site: Path, site: Path) -> None:
    """Make `new_site` the site at `site`, which holds a complete site at every instant.

    An existing site is exchanged with the new one in one system call (Linux renameat2
    RENAME_EXCHANGE, macOS renamex_np RENAME_SWAP); the old one then sits at `new_site`'s path and
    is removed with its workspace by the caller. Where the system cannot exchange, two renames are used, and the
    next build restores a site interrupted between them (see clean_leftovers)."""
    check_site_folder(root, site)  # again, under the lock: the folder may have changed during the build
    try:
        if not _exists(site):
            os.rename(new_site, site)
        elif not exchange(new_site, site):
            old = new_site.with_name("old")
            os.rename(site, old)
            try:
                os.rename(new_site, site)
            except OSError:
                os.rename(old, site)
                raise
    except OSError as exc:
        raise SiteFolderError(f"cannot put the new site in place at {shown(site)}: {exc.strerror or exc}") from None


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False when this system or filesystem cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return False
    a, b = os.fsencode(first), os.fsencode(second)
    if hasattr(libc, "renameat2"):
        call = libc.renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        result = call(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
    elif hasattr(libc, "renamex_np"):  # pragma: no cover - macOS
        call = libc.renamex_np
        call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        result = call(a, b, _RENAME_SWAP)
    else:  # pragma: no cover
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(second))
