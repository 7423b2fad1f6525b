"""A content-keyed cache of per-file results (load + schema check), so a large repository is
not parsed again when little changed.

It cannot give a stale answer: the key is a hash of the file's bytes, its kind, every file of the
generator package (code, schemas, templates) and the versions of the libraries it uses. Anything
else a file's problems depend on (other files, today's date) is checked afresh on every run.

It holds results from private packets, so it is private to its user and trusts nothing it did not
write itself:
- the folder is created 0700 and the files 0600 whatever the umask; a folder owned by another user
  or writable by group or others is not used (a warning, then a run without the cache);
- every row carries an HMAC keyed by a random secret kept 0600 in the folder, so a planted or
  edited row is a miss, and callers check each row's shape (a wrongly shaped row is a miss too);
- it lives outside the repository (a pull request cannot plant entries in it), holds JSON (never
  pickle), and any trouble with it only means a slower run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

MAX_DATABASE_BYTES = 512 * 1024 * 1024
DATABASE = "results-v2.sqlite"
SECRET = "secret-v2"
_OLD_DATABASES = ("results-v1.sqlite", "results-v1.sqlite-wal", "results-v1.sqlite-shm")
_SECRET_BYTES = 32
_SKIPPED_PARTS = ("__pycache__",)
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-rs", "referencing")


def default_folder() -> Path:
    if os.environ.get("HANDBOOK_CACHE_DIR"):
        return Path(os.environ["HANDBOOK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "handbook"


def _package_files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name not in _SKIPPED_PARTS:
                yield from _package_files(entry, f"{name}/")
        elif not entry.name.endswith(_SKIPPED_SUFFIXES):
            yield name, entry


@cache
def fingerprint() -> bytes:
    """Every file of the generator package (walked, not listed) and the libraries' versions."""
    digest = hashlib.sha256()
    for name, entry in _package_files(resources.files("generator")):
        content = entry.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=none".encode())
    return digest.digest()


def key_for(kind: str, raw: bytes) -> str:
    return hashlib.sha256(fingerprint() + kind.encode() + b"\0" + raw).hexdigest()


def _warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class UnsafeCache(Exception):
    """The cache folder or one of its files is not private to this user."""


def _private_folder(folder: Path) -> None:
    """Create FOLDER 0700, or accept it only if it is ours and nobody else can write to it: the one
    check (load/safe_files.private_folder) every folder the tool keeps state in or runs from passes."""
    from .safe_files import UnsafeFileError, private_folder

    try:
        before = stat.S_IMODE(os.stat(folder).st_mode) if folder.exists() else 0o700
        private_folder(folder, what="cache folder")
    except (UnsafeFileError, OSError) as problem:
        raise UnsafeCache(problem.format_message() if isinstance(problem, UnsafeFileError) else str(problem)) from None
    if before & 0o077:  # ours, readable by others (an older version made it 0755)
        for name in _OLD_DATABASES:  # written readable by others: remove rather than keep
            try:
                (folder / name).unlink()
            except FileNotFoundError:
                pass


def _private_file(path: Path) -> None:
    """Make PATH exist as a regular file of ours, mode 0600 (never through a symlink)."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as problem:
        raise UnsafeCache(f"cannot open {path}: {problem.strerror or problem}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            raise UnsafeCache(f"{path} is not a file of yours")
        if stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def _secret(folder: Path) -> bytes:
    """The folder's signing key: made once, atomically (two first runs agree on it), mode 0600."""
    path = folder / SECRET
    if not path.exists() and not path.is_symlink():
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".secret-")  # mkstemp: always 0600
        try:
            os.write(descriptor, secrets.token_bytes(_SECRET_BYTES))
            os.close(descriptor)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    _private_file(path)
    value = path.read_bytes()
    if len(value) != _SECRET_BYTES:
        raise UnsafeCache(f"{path} is not a key this program wrote; remove it")
    return value


class ResultCache:
    def __init__(self, folder: Path | None = None, warn: Callable[[str], None] = _warn_stderr):
        self.folder = folder or default_folder()
        self.connection: sqlite3.Connection | None = None
        self._key = b""
        try:
            _private_folder(self.folder)
            database = self.folder / DATABASE
            if database.is_file() and not database.is_symlink() and database.stat().st_size > MAX_DATABASE_BYTES:
                database.unlink()
            for name in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm"):
                if name == DATABASE or (self.folder / name).exists() or (self.folder / name).is_symlink():
                    _private_file(self.folder / name)
            self._key = _secret(self.folder)
            self.connection = sqlite3.connect(database, timeout=5)
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL, mac TEXT NOT NULL)"
            )
        except UnsafeCache as problem:
            warn(f"not using the result cache: {problem}")
            self.connection = None
        except (OSError, sqlite3.Error):
            self.connection = None

    def _mac(self, key: str, value: str) -> str:
        return hmac.new(self._key, key.encode() + b"\0" + value.encode(), hashlib.sha256).hexdigest()

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The rows this user's cache wrote for KEYS; a row that is not signed by it is left out."""
        if self.connection is None:
            return {}
        found: dict[str, dict[str, Any]] = {}
        keys = list(keys)
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = f"SELECT key, value, mac FROM results WHERE key IN ({','.join('?' * len(chunk))})"
                for key, value, mac in self.connection.execute(query, chunk):
                    if not (isinstance(key, str) and isinstance(value, str) and isinstance(mac, str)):
                        continue
                    if not hmac.compare_digest(mac, self._mac(key, value)):
                        continue
                    row = json.loads(value)
                    if isinstance(row, dict):
                        found[key] = row
        except (sqlite3.Error, ValueError, RecursionError):
            return {}
        return found

    def put_many(self, items: dict[str, dict[str, Any]]) -> None:
        if self.connection is None or not items:
            return
        try:
            rows = [
                (key, value, self._mac(key, value)) for key, value in ((k, json.dumps(v)) for k, v in items.items())
            ]
            with self.connection:
                self.connection.executemany("INSERT OR REPLACE INTO results (key, value, mac) VALUES (?, ?, ?)", rows)
        except (sqlite3.Error, ValueError, TypeError, RecursionError):
            pass
