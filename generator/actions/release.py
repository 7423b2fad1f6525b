"""`handbook release` and `handbook repin`: moving criteria versions forward on purpose.

release tags the handbook's HEAD `criteria-v<version>` after checking that the version in the
settings is at least the bump the semantic diff since the previous version requires. repin moves
one packet to the current version after showing its coverage before and after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..compute.coverage import Coverage, packet_coverage
from ..compute.semantic_diff import SemanticDiff, diff_handbooks
from ..git.pinned import TAG_PREFIX, Revisions, version_points
from ..model.errors import HandbookError
from ..model.handbook import CheckedHandbook, Handbook, Packet
from ..model.pinned import criteria_of
from ..model.versions import parse_version


class ReleaseError(HandbookError):
    pass


@dataclass(frozen=True)
class ReleasePlan:
    version: str
    tag: str
    commit: str
    previous: str | None
    diff: SemanticDiff | None


def plan_release(root: Path, revisions: Revisions | None = None) -> ReleasePlan:
    from ..git.history import git, is_repository
    from ..model.errors import GitError

    if not is_repository(root):
        raise ReleaseError(f"{root} is not inside a git repository")
    try:
        head = git(root, "rev-parse", "HEAD").strip()
        dirty = git(root, "status", "--porcelain", "--", "rubrics", "levels", "site_config/handbook.yaml").strip()
    except GitError as problem:
        raise ReleaseError(str(problem)) from None
    if dirty:
        raise ReleaseError("rubrics, levels or settings have uncommitted changes: commit them first")
    revisions = revisions or Revisions(root)
    model = revisions.at(head)
    if model.settings is None:
        raise ReleaseError("site_config/handbook.yaml at HEAD is missing or invalid")
    version = model.settings.criteria_version
    tag = f"{TAG_PREFIX}{version}"
    points = version_points(root)
    if version in points and points[version].source == "tag":
        raise ReleaseError(f"{tag} already exists: bump criteria_version in site_config/handbook.yaml first")
    lower = [p for v, p in points.items() if parse_version(v) < parse_version(version)]
    if not lower:
        return ReleasePlan(version, tag, head, None, None)
    previous = lower[-1]
    diff = diff_handbooks(revisions.at(previous.commit), model)
    if not diff.version_bumped_enough:
        raise ReleaseError(
            f"criteria_version {version} is too small a bump: since {previous.version} the "
            f"semantic diff calls for a {diff.bump} change, at least {diff.suggested_version} "
            f"(see `handbook diff {previous.commit[:10]} HEAD`)"
        )
    return ReleasePlan(version, tag, head, previous.version, diff)


def make_release(root: Path, plan: ReleasePlan) -> None:
    from ..git.history import git
    from ..model.errors import GitError

    try:
        git(root, "tag", "-a", plan.tag, "-m", f"Criteria version {plan.version}", plan.commit)
    except GitError as problem:
        raise ReleaseError(str(problem)) from None


@dataclass(frozen=True)
class Dropped:
    """A criterion the packet cites that the new version no longer has, and what took its place."""

    criterion: str
    replaced_by: tuple[str, ...]  # same external id, else the new criteria of its dimension and level


@dataclass(frozen=True)
class Repin:
    packet: Packet
    before_version: str
    after_version: str
    before: Coverage
    after: Coverage
    dropped: tuple[Dropped, ...] = ()


def plan_repin(current: CheckedHandbook, packet: Packet) -> Repin:
    pinned = criteria_of(current, packet)
    before = packet_coverage(pinned, packet)
    return Repin(
        packet,
        packet.criteria_version,
        current.settings.criteria_version,
        before,
        packet_coverage(current, packet),
        dropped_criteria(pinned, current, packet),
    )


def dropped_criteria(pinned: Handbook, current: Handbook, packet: Packet) -> tuple[Dropped, ...]:
    """Every criterion the packet's evidence cites that `current` drops, with its replacements. Pure."""
    cited = dict.fromkeys(c for e in packet.evidence for c in e.criteria)
    old_ids = {c.id for d in pinned.dimensions for c in d.criteria}
    found = []
    for criterion_id in cited:
        if current.criterion(criterion_id) is not None:
            continue
        old = pinned.criterion(criterion_id)
        if old is None:
            found.append(Dropped(criterion_id, ()))
            continue
        same = [
            c.id
            for d in current.dimensions
            for c in d.criteria
            if old.external_id is not None and c.external_id == old.external_id
        ]
        dimension = current.dimension(old.dimension)
        new_here = [c.id for c in (dimension.criteria_for(old.level) if dimension else ()) if c.id not in old_ids]
        found.append(Dropped(criterion_id, tuple(same or new_here)))
    return tuple(found)


def repinned_text(text: str, version: str) -> str:
    """The packet's YAML with only its criteria_version changed (comments and layout kept)."""
    pattern = re.compile(r"^(criteria_version:[ \t]*)([\"']?)[0-9]+\.[0-9]+\.[0-9]+\2([ \t]*(#.*)?)$", re.MULTILINE)
    updated, count = pattern.subn(lambda m: f"{m.group(1)}{m.group(2)}{version}{m.group(2)}{m.group(3)}", text, 1)
    if count != 1:
        raise ReleaseError("cannot find a top-level `criteria_version: X.Y.Z` line to change")
    return updated
