"""The handbook at a criteria version: what a packet that pins that version is judged against.

A version is found, in order, at the tag `criteria-v<version>` (made by `handbook release`) or at
the earliest commit whose site settings declare it. Each version is loaded once per process and
cached by commit, so validating 10,000 packets pinned to five versions loads five small models,
not 10,000. I/O (git) lives here; `criteria_of` is the pure lookup the rest of the code uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .diagnostics import Diagnostic
from .model import Handbook, Packet
from .versions import parse_version

TAG_PREFIX = "criteria-v"
SETTINGS = "site_config/handbook.yaml"
_VERSION_LINE = re.compile(r"""^\+criteria_version:\s*["']?([0-9]+\.[0-9]+\.[0-9]+)["']?\s*(#.*)?$""")

_MODELS: dict[tuple[str, str], Handbook] = {}  # (repository, commit) -> model; one load per process


@dataclass(frozen=True)
class VersionPoint:
    version: str
    commit: str
    source: str  # "tag" | "settings"


def criteria_of(hb: Handbook, packet: Packet) -> Handbook:
    """The criteria a packet is judged against: its pinned version when known, else the current one."""
    return hb.pinned.get(packet.criteria_version, hb)


def version_points(root: Path) -> dict[str, VersionPoint]:
    """Every criteria version the repository's history knows, with the commit that defines it."""
    from .history import GitError, git, is_repository

    if not is_repository(root):
        return {}
    points: dict[str, VersionPoint] = {}
    try:
        log = git(root, "log", "--reverse", "--format=%x00%H", "-p", "-U0", "--no-renames", "--", SETTINGS)
    except GitError:
        log = ""
    for block in log.split("\x00")[1:]:
        commit, _, patch = block.partition("\n")
        for line in patch.splitlines():
            match = _VERSION_LINE.match(line.strip())
            if match and match.group(1) not in points:  # oldest first: keep the earliest declaration
                points[match.group(1)] = VersionPoint(match.group(1), commit.strip(), "settings")
    try:
        tags = git(root, "for-each-ref", "--format=%(refname:short)%09%(objectname)%09%(*objectname)",
                   f"refs/tags/{TAG_PREFIX}*")
    except GitError:
        tags = ""
    for line in tags.splitlines():
        name, plain, peeled = (line.split("\t") + ["", ""])[:3]
        version = name.removeprefix(TAG_PREFIX)
        if re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
            points[version] = VersionPoint(version, peeled or plain, "tag")
    return dict(sorted(points.items(), key=lambda item: parse_version(item[0])))


def load_at(root: Path, commit: str, warn: Callable[[str], None] | None = None) -> Handbook:
    """The handbook model (rubrics, levels, settings) at a commit, loaded once per process; `warn`
    hears of files left out the first time."""
    from .history import load_revision

    key = (str(root.resolve()), commit)
    if key not in _MODELS:
        _MODELS[key] = load_revision(root, commit, warn)
    return _MODELS[key]


def resolve_pinned(root: Path, current: Handbook, versions: Iterable[str]) -> dict[str, Handbook]:
    """Models for every pinned version other than the current one that history can find."""
    wanted = {v for v in versions if current.settings is None or v != current.settings.criteria_version}
    if not wanted:
        return {}
    points = version_points(root)
    found = {}
    for version in sorted(wanted):
        point = points.get(version)
        if point is not None:
            model = load_at(root, point.commit)
            if model.settings is not None and model.dimensions:
                found[version] = model
    return found


def packet_view(pinned: Handbook, current: Handbook, packets: tuple[Packet, ...]) -> Handbook:
    """The pinned criteria with today's settings (cycles, tracks, publishing rules) and these packets."""
    return replace(pinned, settings=current.settings, packets=packets, pinned={})


def check_pinned(handbook: Handbook, findings: list[Diagnostic], today: date,
                 check_all: Callable[[Handbook, date], list[Diagnostic]]) -> list[Diagnostic]:
    """Replace the findings for packets pinned to an older, known version with findings computed
    against that version's criteria (their levels, criteria and composite)."""
    if not handbook.pinned:
        return findings
    groups: dict[str, list[Packet]] = {}
    for packet in handbook.packets:
        if packet.criteria_version in handbook.pinned:
            groups.setdefault(packet.criteria_version, []).append(packet)
    moved = {p.file for group in groups.values() for p in group}
    kept = [f for f in findings if f.file not in moved]
    for version, group in groups.items():
        files = {p.file for p in group}
        view = packet_view(handbook.pinned[version], handbook, tuple(group))
        kept.extend(f for f in check_all(view, today) if f.file in files)
    return kept


def with_pinned(handbook: Handbook, pinned: Mapping[str, Handbook]) -> Handbook:
    return replace(handbook, pinned=dict(pinned)) if pinned else handbook
