"""The handbook at a criteria version: what a packet that pins that version is judged against.

A version is found, in order, at the tag `criteria-v<version>` (made by `handbook release`) or at
the earliest commit whose site settings declare it. Each version is loaded once per workspace
(`Revisions`), so validating 10,000 packets pinned to five versions loads five small models, not
10,000. I/O (git) lives here; `model.pinned.criteria_of` is the pure lookup the rest uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import GitError
from ..model.handbook import Handbook
from ..model.versions import parse_version
from .history import git, is_repository, load_revision

TAG_PREFIX = "criteria-v"
SETTINGS = "site_config/handbook.yaml"
_VERSION_LINE = re.compile(r"""^\+criteria_version:\s*["']?([0-9]+\.[0-9]+\.[0-9]+)["']?\s*(#.*)?$""")


@dataclass(frozen=True)
class VersionPoint:
    version: str
    commit: str
    source: str  # "tag" | "settings"


def version_points(root: Path) -> dict[str, VersionPoint]:
    """Every criteria version the repository's history knows, with the commit that defines it."""
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


class Revisions:
    """The handbook model at each commit of one repository, loaded once: a workspace keeps one and
    hands it to every fresh copy of itself, so a preview regenerating on each edit reads history once."""

    def __init__(self, root: Path, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.warn = warn
        self._models: dict[str, Handbook] = {}

    def at(self, commit: str) -> Handbook:
        """The handbook model (rubrics, levels, settings) at a commit; `warn` hears of files left out
        the first time."""
        if commit not in self._models:
            self._models[commit] = load_revision(self.root, commit, self.warn)
        return self._models[commit]


def resolve_pinned(revisions: Revisions, current: Handbook, versions: Iterable[str]) -> dict[str, Handbook]:
    """Models for every pinned version other than the current one that history can find."""
    wanted = {v for v in versions if current.settings is None or v != current.settings.criteria_version}
    if not wanted:
        return {}
    points = version_points(revisions.root)
    found = {}
    for version in sorted(wanted):
        point = points.get(version)
        if point is not None:
            model = revisions.at(point.commit)
            if model.settings is not None and model.dimensions:
                found[version] = model
    return found
