"""Where a written YAML file's `# yaml-language-server: $schema=` modeline points: the schemas a
repository actually has. A handbook made by `handbook init` and a packets repository keep them
in schemas/; this repository keeps them in generator/check/schemas/."""

from __future__ import annotations

import posixpath
from pathlib import Path

SCHEMA_FOLDERS = ("schemas", "generator/check/schemas")


def schema_ref(root: Path, relative_file: str, kind: str) -> str:
    """The schema of `kind`, relative to the folder of `relative_file` (both inside `root`)."""
    folder = next((f for f in SCHEMA_FOLDERS if (root / f / f"{kind}.schema.json").is_file()), SCHEMA_FOLDERS[-1])
    return posixpath.relpath(f"{folder}/{kind}.schema.json", posixpath.dirname(relative_file) or ".")
