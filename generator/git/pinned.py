"""The handbook at a criteria version: what a packet that pins that version is judged against.

A version is found, in order, at the tag `criteria-v<version>` (made by `handbook release`) or at
the latest commit whose site settings declare it: the criteria as they stood when the handbook
moved on, which is what a candidate writing against that version last saw. When the commits that
declare one version differ in their criteria, that is said once (tag releases so it cannot happen). Each version is loaded once per workspace
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
_VERSION_LINE = re.compile(r"""^([+-])criteria_version:\s*["']?([0-9]+\.[0-9]+\.[0-9]+)["']?\s*(#.*)?$""")
CRITERIA_TREES = ("rubrics", "levels")


@dataclass(frozen=True)
class VersionPoint:
    version: str
    commit: str
    source: str  # "tag" | "settings"
    first: str | None = None  # settings: the commit that first declared the version


def _declarations(log: str) -> dict[str, tuple[str, str]]:
    """version -> (first commit declaring it, last commit declaring it) from `git log --reverse
    --first-parent -p` of the settings: a version stops being declared in the commit whose diff
    removes it, so the last commit declaring it is that commit's parent (HEAD when still current)."""
    found: dict[str, tuple[str, str]] = {}
    current: str | None = None
    for block in log.split("\x00")[1:]:
        header, _, patch = block.partition("\n")
        commit, _, parents = header.strip().partition(" ")
        added = None
        for line in patch.splitlines():
            match = _VERSION_LINE.match(line.strip())
            if match and match.group(1) == "+":
                added = match.group(2)
        if added is None or added == current:
            continue
        if current is not None and current in found and parents:
            found[current] = (found[current][0], parents.split()[0])
        if added not in found:
            found[added] = (commit, "HEAD")
        else:
            found[added] = (found[added][0], "HEAD")
        current = added
    return found


def version_points(root: Path) -> dict[str, VersionPoint]:
    """Every criteria version the repository's history knows, with the commit that defines it."""
    if not is_repository(root):
        return {}
    points: dict[str, VersionPoint] = {}
    try:
        log = git(
            root,
            "log",
            "--reverse",
            "--first-parent",
            "--format=%x00%H %P",
            "-p",
            "-U0",
            "--no-renames",
            "--",
            SETTINGS,
        )
        head = git(root, "rev-parse", "--verify", "--quiet", "HEAD").strip()
    except GitError:
        log, head = "", ""
    for version, (first, last) in _declarations(log).items():
        points[version] = VersionPoint(version, head if last == "HEAD" else last, "settings", first)
    try:
        tags = git(
            root,
            "for-each-ref",
            "--format=%(refname:short)%09%(objectname)%09%(*objectname)",
            f"refs/tags/{TAG_PREFIX}*",
        )
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
        self._warned: set[str] = set()

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned and self.warn is not None:
            self._warned.add(key)
            self.warn(message)

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
            _warn_if_moved(revisions, point)
            model = revisions.at(point.commit)
            if model.settings is not None and model.dimensions:
                found[version] = model
    return found


def criteria_differ(root: Path, first: str, last: str) -> bool:
    """Whether the criteria (rubrics/, levels/) differ between two commits (compares tree ids only)."""
    if first == last:
        return False
    try:
        ids = git(root, "rev-parse", *(f"{c}:{t}" for c in (first, last) for t in CRITERIA_TREES)).split()
    except GitError:
        return False
    half = len(ids) // 2
    return ids[:half] != ids[half:]


def _warn_if_moved(revisions: Revisions, point: VersionPoint) -> None:
    if (
        point.source != "settings"
        or point.first is None
        or not criteria_differ(revisions.root, point.first, point.commit)
    ):
        return
    revisions.warn_once(
        point.version,
        f"criteria version {point.version} is declared by commits whose criteria "
        f"differ (first {point.first[:10]}, last {point.commit[:10]}): packets pinned to it are "
        f"judged against the last. Tag each version with `handbook release` so it cannot move.",
    )
