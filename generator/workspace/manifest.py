"""A cycle that spans several packets repositories, read together.

Git hosting gives access per repository: everyone who can read a packets repository reads every
packet in it. For candidate-only access, a committee keeps one packets repository per team (or per
candidate) and a cycle manifest, a small YAML file in a place only the committee reads, naming
their local checkouts:

    # cycle.yaml
    repositories:
      - {name: payments, path: ../packets-payments}
      - {name: search, path: ../packets-search}

Each repository keeps its own packets.yaml, CI and access rules; `status`, `calibrate` and
`stats --export` given `--manifest cycle.yaml` read them together against the one handbook they
all name. Paths are relative to the manifest.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..check.schema_check import check
from ..load.loader import load_file
from ..model.errors import HandbookError
from ..model.handbook import CheckedHandbook, Handbook, Packet
from .workspace import Workspace


class ManifestError(HandbookError):
    """The cycle manifest is broken or names repositories that cannot be read together."""


@dataclass(frozen=True)
class Member:
    name: str
    path: Path


@dataclass(frozen=True)
class Combined:
    """The handbook with every member repository's packets, and where each packet came from."""

    handbook: CheckedHandbook
    origins: dict[str, str]  # packet file -> repository name
    spaces: tuple[Workspace, ...]

    @property
    def root(self) -> Path:
        return self.spaces[0].root


def read_manifest(path: Path) -> tuple[Member, ...]:
    loaded = load_file(path, str(path))
    problems = [d for d in loaded.diagnostics if d.severity == "error"]
    if loaded.document is not None and not problems:
        problems = check(loaded.document, "cycle_manifest")
    if problems or loaded.document is None:
        first = problems[0]
        raise ManifestError(f"{first.file}:{first.line}:{first.column}: {first.message}")
    members = tuple(
        Member(m["name"], (path.parent / m["path"]).resolve()) for m in loaded.document.data["repositories"]
    )
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ManifestError(f"{path}: each repository needs its own name")
    return members


def combine(path: Path, today: date) -> Combined:
    """Every member repository, each checked on its own, with their packets put together."""
    from .layout import find_layout

    spaces = []
    for member in read_manifest(path):
        if not (member.path / "packets.yaml").is_file():
            raise ManifestError(f"{path}: repository '{member.name}' ({member.path}) has no packets.yaml")
        layout = find_layout(member.path, member.path)
        spaces.append((member, Workspace(layout.handbook_root, today, layout.packets_root)))
    roots = {space.root.resolve() for _, space in spaces}
    if len(roots) != 1:
        raise ManifestError(f"{path}: the repositories name different handbooks; a cycle is judged against one")
    packets: list[Packet] = []
    origins: dict[str, str] = {}
    pinned: dict[str, Handbook] = {}
    for member, space in spaces:
        hb = space.cycle_handbook
        pinned.update(hb.pinned)
        for packet in hb.packets:
            if packet.is_example:
                continue
            if packet.file in origins:
                raise ManifestError(f"{packet.file} is in both {origins[packet.file]} and {member.name}: rename one")
            origins[packet.file] = member.name
            packets.append(packet)
    first = spaces[0][1].cycle_handbook
    reviews = tuple(r for p in packets for r in p.reviews)
    merged = dataclasses.replace(
        first,
        packets=tuple(packets),
        reviews=reviews,
        pinned=pinned,
        assignments=tuple(a for _, s in spaces for a in s.cycle_handbook.assignments),
    )
    return Combined(merged, origins, tuple(space for _, space in spaces))


def cycle_space(
    cwd: Path, root: Path | None, today: date, manifest: Path | None
) -> tuple[CheckedHandbook, dict[str, str], Path, date]:
    """(handbook with the cycle's packets, packet file -> repository, report templates, today)."""
    if manifest is not None:
        combined = combine(manifest, today)
        return combined.handbook, combined.origins, combined.root / "site_config" / "templates", today
    space = Workspace.find(cwd, root, today)
    return space.cycle_handbook, {}, space.templates, today
