"""Files and folders the command reads from, writes to or runs from, handled one safe way each.

- `read_regular`: every file a person names on the command line (or the repository holds) is read
  through one bounded reader: a regular file, at most `limit` bytes, opened without blocking, so
  a FIFO, a device (/dev/zero), a folder or an oversize file is a one-line error, never a hang,
  a MemoryError or a traceback.
- `write_exclusive`: every file the tool writes is written to a temporary file created
  exclusively (mkstemp: O_CREAT|O_EXCL, never through a planted symlink) in the target's folder,
  then renamed over the target, so a reader sees the old file or the new one, never half of one.
- `private_folder`: every folder the tool keeps private state in or runs code from (caches,
  cloned handbooks, build work folders) must be a real folder of this user that nobody else can
  write to; created 0700 when missing.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from ..model.errors import HandbookError

SMALL_FILE_BYTES = 64 * 1024  # key files, identities, drafts
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


class UnsafeFileError(HandbookError):
    """A file or folder that cannot be used as it is: the message names it and says what to do."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: Path, limit: int = SMALL_FILE_BYTES, *, what: str = "file", follow: bool = True) -> bytes:
    """The bytes of PATH, which must be a regular file of at most LIMIT bytes (with `follow`
    False, a symbolic link is refused too). Raises UnsafeFileError otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as problem:
        if not follow and os.path.islink(path):
            raise UnsafeFileError(
                f"{path}: the {what} is a symbolic link, which is not followed; put the file itself there"
            ) from None
        raise UnsafeFileError(f"cannot read the {what} {path}: {problem.strerror or problem}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{path}: the {what} is {_kind(info.st_mode)}; give a regular file")
        if info.st_size > limit:
            raise UnsafeFileError(f"{path}: the {what} is {info.st_size:,} bytes; the limit is {limit:,} bytes")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(descriptor, min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise UnsafeFileError(f"{path}: the {what} grew past the limit of {limit:,} bytes while being read")
        return b"".join(chunks)
    except OSError as problem:
        raise UnsafeFileError(f"cannot read the {what} {path}: {problem.strerror or problem}") from None
    finally:
        os.close(descriptor)


def read_text(path: Path, limit: int = SMALL_FILE_BYTES, *, what: str = "file", follow: bool = True) -> str:
    """`read_regular`, decoded as UTF-8 (an error naming the file otherwise)."""
    raw = read_regular(path, limit, what=what, follow=follow)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise UnsafeFileError(
            f"{path}: the {what} is not UTF-8 text (byte {problem.start}); save it as UTF-8"
        ) from None


def write_exclusive(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write PATH whole: a temporary file created exclusively beside it, then renamed over it.
    A symbolic link at PATH is replaced, never written through."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as problem:
        raise UnsafeFileError(f"cannot write {path}: {problem.strerror or problem}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fchmod(handle.fileno(), mode & ~_umask())
        os.replace(temporary, path)
    except OSError as problem:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise UnsafeFileError(f"cannot write {path}: {problem.strerror or problem}") from None


def create_new(path: Path, data: bytes, mode: int = 0o644) -> bool:
    """Create PATH with DATA if nothing is there (O_CREAT|O_EXCL: never over a file, never through a
    link); False if something is. Cheaper than write_exclusive's temporary file and rename, for a
    folder being filled from empty (its folder must exist); an interrupted write leaves a short file,
    so only for private work folders that a failure discards."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except FileExistsError:
        return False
    except OSError as problem:
        raise UnsafeFileError(f"cannot write {path}: {problem.strerror or problem}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    except OSError as problem:
        raise UnsafeFileError(f"cannot write {path}: {problem.strerror or problem}") from None
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def private_folder(folder: Path, *, what: str = "folder") -> Path:
    """FOLDER as a private folder of this user: created 0700 if missing; refused (UnsafeFileError)
    if it is not a real folder, belongs to another user, or others can write to it. A folder of
    ours readable by others is made 0700."""
    try:
        if not os.path.lexists(folder):
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                pass
            else:
                os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
        info = os.stat(folder)  # a link of the user's own to a folder is fine: the folder is checked
    except OSError as problem:
        raise UnsafeFileError(f"cannot use the {what} {folder}: {problem.strerror or problem}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFileError(
            f"the {what} {folder} is {_kind(info.st_mode)}, not a folder; remove it or choose another place"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeFileError(
            f"the {what} {folder} belongs to another user (uid {info.st_uid}); refusing to use it: "
            "remove it or choose a folder of your own"
        )
    if info.st_mode & 0o022:
        raise UnsafeFileError(
            f"the {what} {folder} can be written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}); make it 0700 or remove it"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            os.chmod(folder, 0o700)
        except OSError:
            pass
    return folder


class LockFileProblem(Exception):
    """The lock file cannot be used: `kind` says what is there instead ("a symbolic link", "a folder",
    "not a regular file", "another user's file"), or None with the system's `reason`."""

    def __init__(self, kind: str | None, reason: str = "") -> None:
        super().__init__(kind or reason)
        self.kind, self.reason = kind, reason


def open_lock(path: Path) -> int:
    """A lock file (created 0600) that is a regular file of ours, open for reading and writing: a link,
    FIFO or folder there is never followed or blocked on; raises LockFileProblem."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        kind = "a symbolic link" if path.is_symlink() else "a folder" if path.is_dir() else None
        raise LockFileProblem(kind, str(exc.strerror or exc)) from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(descriptor)
        raise LockFileProblem("not a regular file" if not stat.S_ISREG(info.st_mode) else "another user's file")
    return descriptor


def wait_for_lock(descriptor: int, patience: float, poll: float) -> bool:
    """Take an exclusive flock on `descriptor`, waiting at most `patience` seconds; False when it
    could not be had in time. (The lock goes with the descriptor, as the kernel releases it for a
    killed process.)"""
    import fcntl
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
