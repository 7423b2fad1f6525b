"""Where a command runs: a handbook repository, or a packets repository and the handbook it names.

A packets repository has `packets.yaml` at its root naming its handbook (a path or a git URL,
optional `ref`). Commands run inside it read packets from it and everything else from the
handbook (a URL is cloned by git/handbook_clone.py). The rest of the code sees two folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..check.schema_check import check
from ..git.handbook_clone import MANIFEST, Manifest, PacketsRepoError, handbook_checkout
from ..load.loader import Document, load_bytes, load_file
from ..load.repository import SETTINGS_FILE
from ..model.diagnostics import Diagnostic

CHECKOUT_VARIABLE = (
    "HANDBOOK_CHECKOUT"  # CI: the handbook is already checked out here (relative to the packets repository)
)


@dataclass(frozen=True)
class Layout:
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


def find_workspace_root(start: Path) -> tuple[Path, bool]:
    """The nearest folder at or above `start` holding packets.yaml or site settings; is it a packets repository?"""
    start = start.resolve()
    for folder in (start, *start.parents):
        if os.path.lexists(folder / MANIFEST):  # a link or a FIFO named so is refused when read, not skipped
            return folder, True
        if (folder / SETTINGS_FILE).is_file():
            return folder, False
    return start, False


def find_layout(start: Path, explicit_root: Path | None = None) -> Layout:
    """The workspace a command runs in: `--root` if given, else found from `start`."""
    if explicit_root is not None:
        folder, is_packets = explicit_root.resolve(), os.path.lexists(explicit_root / MANIFEST)
    else:
        folder, is_packets = find_workspace_root(start)
    if is_packets and os.path.lexists(folder / SETTINGS_FILE):
        raise PacketsRepoError(
            f"{folder / MANIFEST} and {folder / SETTINGS_FILE} are both here: a repository with "
            f"site settings is a handbook, so it never reads another handbook's criteria; remove "
            f"{MANIFEST} (it belongs at the root of a separate packets repository)"
        )
    if not is_packets:
        return Layout(folder)
    manifest = read_manifest(folder)
    checked_out = os.environ.get(CHECKOUT_VARIABLE)
    if checked_out:  # CI checked the handbook out itself, at the ref packets.yaml names
        path = (folder / checked_out).resolve()
        if not (path / SETTINGS_FILE).is_file():
            raise PacketsRepoError(f"{CHECKOUT_VARIABLE}={checked_out}: {path} is not a handbook repository")
        return Layout(path, folder)
    return Layout(handbook_checkout(folder, manifest), folder)


def read_manifest(folder: Path) -> Manifest:
    if (folder / MANIFEST).is_symlink():
        raise PacketsRepoError(f"{MANIFEST}:1:1: symbolic links are not followed; commit the file itself")
    loaded = load_file(folder / MANIFEST, MANIFEST)
    return _manifest(loaded.document, list(loaded.diagnostics))


def manifest_from_bytes(raw: bytes) -> Manifest:
    """packets.yaml from bytes (as it is at another commit)."""
    loaded = load_bytes(raw, MANIFEST)
    return _manifest(loaded.document, list(loaded.diagnostics))


def _manifest(document: Document | None, problems: list[Diagnostic]) -> Manifest:
    if document is not None and not problems:
        problems = check(document, "packets_repository")
    if problems or document is None:
        first = problems[0]
        raise PacketsRepoError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    data = document.data
    return Manifest(data["handbook"], data.get("ref"), MANIFEST)
