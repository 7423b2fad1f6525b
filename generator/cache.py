"""A content-keyed cache of per-file results (load + schema check), so a large repository is
not parsed again when little changed.

It cannot give a stale answer: the key is a hash of the file's bytes, its kind, every schema,
the source of the code that produces the result and the versions of the libraries it uses.
Anything else a file's problems depend on (other files, today's date) is checked afresh on every
run. The cache lives outside the repository (a pull request cannot plant entries in it), holds
JSON (never pickle), and any trouble with it only means a slower run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Iterable

MAX_DATABASE_BYTES = 512 * 1024 * 1024
_CODE = ("loader.py", "schema_check.py", "rules.py", "diagnostics.py", "batch.py", "cache.py")
_LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-rs", "referencing")


def default_folder() -> Path:
    if os.environ.get("HANDBOOK_CACHE_DIR"):
        return Path(os.environ["HANDBOOK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "handbook"


@cache
def fingerprint() -> bytes:
    digest = hashlib.sha256()
    package = resources.files("generator")
    for name in _CODE:
        digest.update(package.joinpath(name).read_bytes())
    for schema in sorted(p.name for p in package.joinpath("schemas").iterdir() if p.name.endswith(".json")):
        digest.update(package.joinpath("schemas", schema).read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=none".encode())
    return digest.digest()


def key_for(kind: str, raw: bytes) -> str:
    return hashlib.sha256(fingerprint() + kind.encode() + b"\0" + raw).hexdigest()


class ResultCache:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or default_folder()
        self.connection: sqlite3.Connection | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            database = self.folder / "results-v1.sqlite"
            if database.exists() and database.stat().st_size > MAX_DATABASE_BYTES:
                database.unlink()
            self.connection = sqlite3.connect(database, timeout=5)
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except (OSError, sqlite3.Error):
            self.connection = None

    def get_many(self, keys: Iterable[str]) -> dict[str, dict]:
        if self.connection is None:
            return {}
        found: dict[str, dict] = {}
        keys = list(keys)
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                query = f"SELECT key, value FROM results WHERE key IN ({','.join('?' * len(chunk))})"
                for key, value in self.connection.execute(query, chunk):
                    found[key] = json.loads(value)
        except (sqlite3.Error, ValueError):
            return {}
        return found

    def put_many(self, items: dict[str, dict]) -> None:
        if self.connection is None or not items:
            return
        try:
            with self.connection:
                self.connection.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)",
                                            ((k, json.dumps(v)) for k, v in items.items()))
        except (sqlite3.Error, ValueError, TypeError):
            pass
