"""Semantic diff of expectations between two handbook models: what changed, not which lines. Pure."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields

from ..model.handbook import Criterion, Handbook, Level
from ..model.versions import parse_version

BUMPS = ("none", "patch", "minor", "major")


@dataclass(frozen=True)
class Change:
    area: str  # criterion | level | dimension | metric | composite
    action: str  # added | removed | reworded | raised | moved | renamed | changed
    subject: str
    description: str
    bump: str
    levels: tuple[str, ...] = ()
    before: str | None = None
    after: str | None = None
    reason: str = ""  # why this bump, in words

    @property
    def why(self) -> str:
        return self.reason or _WHY.get((self.action, self.bump)) or _WHY_BUMP[self.bump]


_WHY_BUMP = {
    "major": "a new or raised expectation",
    "minor": "a clarification, removal or definition change",
    "patch": "wording or bookkeeping only",
    "none": "",
}
_WHY = {
    ("added", "major"): "a new expectation",
    ("raised", "major"): "now expected at a lower level",
    ("removed", "minor"): "an expectation or item removed",
    ("moved", "minor"): "moved without being raised",
    ("renamed", "patch"): "a new name, same expectations",
}


def required_bump(diff: SemanticDiff) -> str:
    """The smallest criteria-version bump the change needs: none, patch, minor or major."""
    return max((c.bump for c in diff.changes), key=BUMPS.index, default="none")


def bump_is_sufficient(old: str, new: str, required: str) -> bool:
    """True when going from version `old` to `new` is at least the `required` bump (and never back)."""
    before, after = parse_version(old), parse_version(new)
    if after < before:
        return False
    return {"none": True, "patch": after > before, "minor": after[:2] > before[:2], "major": after[0] > before[0]}[
        required
    ]


# Words that add a duty or widen one: a rewording that adds them asks for more than before.
OBLIGATION_WORDS = frozenset(
    {
        "and",
        "must",
        "always",
        "every",
        "each",
        "all",
        "never",
        "shall",
        "required",
        "requires",
        "require",
        "only",
        "also",
        "both",
        "ensure",
        "ensures",
        "own",
        "owns",
        "fix",
        "fixes",
        "lead",
        "leads",
        "including",
        "plus",
        "without",
        "any",
        "whenever",
        "mandatory",
        "consistently",
    }
)
GROWTH_THRESHOLD = 0.2  # a rewording more than 20% longer (in words) is at least minor
_WORD = re.compile(r"[\w'’-]+")


def classify_rewording(old: str, new: str) -> tuple[str, str]:
    """(bump, reason) for a criterion's text changing from `old` to `new`: patch only for small
    edits (punctuation, case, spacing, spelling), minor for anything that adds, removes or swaps words."""
    before, after = _WORD.findall(old.lower()), _WORD.findall(new.lower())
    if before == after:
        return "patch", "punctuation, case or spacing only"
    added: list[str] = []
    removed: list[str] = []
    respelled: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old_words, new_words = before[i1:i2], after[j1:j2]
        if (
            op == "replace"
            and len(old_words) == len(new_words)
            and all(difflib.SequenceMatcher(a=a, b=b).ratio() >= 0.75 for a, b in zip(old_words, new_words))
        ):
            respelled.extend(f"'{a}' → '{b}'" for a, b in zip(old_words, new_words))
            continue
        added.extend(new_words)
        removed.extend(old_words)
    duties = sorted(set(added) & OBLIGATION_WORDS - set(removed))
    if duties:
        return "minor", f"adds {', '.join(repr(w) for w in duties)}: a new clause or obligation"
    if len(after) > len(before) * (1 + GROWTH_THRESHOLD):
        return "minor", f"grows from {len(before)} to {len(after)} words"
    if added or removed:
        parts = ([f"adds {', '.join(repr(w) for w in added[:5])}"] if added else []) + (
            [f"removes {', '.join(repr(w) for w in removed[:5])}"] if removed else []
        )
        return "minor", " and ".join(parts) + ": the meaning may change"
    return "patch", "spelling only: " + ", ".join(respelled[:5])


@dataclass(frozen=True)
class SemanticDiff:
    changes: tuple[Change, ...]
    base_version: str | None
    head_version: str | None

    @property
    def bump(self) -> str:
        return required_bump(self)

    @property
    def suggested_version(self) -> str | None:
        if self.base_version is None or self.bump == "none":
            return self.base_version
        major, minor, patch = parse_version(self.base_version)
        return {
            "major": f"{major + 1}.0.0",
            "minor": f"{major}.{minor + 1}.0",
            "patch": f"{major}.{minor}.{patch + 1}",
        }[self.bump]

    @property
    def version_bumped_enough(self) -> bool:
        if self.base_version is None or self.head_version is None:
            return True
        return bump_is_sufficient(self.base_version, self.head_version, self.bump)

    def for_level(self, level_id: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if level_id in c.levels)


def diff_handbooks(base: Handbook, head: Handbook) -> SemanticDiff:
    changes = [
        *_criteria(base, head),
        *_levels(base, head),
        *_dimensions(base, head),
        *_metrics(base, head),
        *_composite(base, head),
    ]
    return SemanticDiff(
        tuple(changes),
        base.settings.criteria_version if base.settings else None,
        head.settings.criteria_version if head.settings else None,
    )


def _raises_words(head: Handbook, base: Handbook, new: Criterion, old: Criterion) -> str:
    """A change of `raises` in the criteria's own words: what this criterion now takes over at its level."""

    def named(hb: Handbook, criterion_id: str | None) -> str:
        found = hb.criterion(criterion_id) if criterion_id else None
        if found is None:
            return f"'{criterion_id}'" if criterion_id else "nothing"
        return f"“{_first_line(found.text)}” ({_title(hb, found.level)})"

    sentence = f"At {_title(head, new.level)}, “{_first_line(new.text)}” now replaces {named(head, new.raises)}"
    return sentence + (
        f", instead of {named(base, old.raises)}"
        if old.raises
        else "; the lower criterion is no longer expected from this level up"
    )


def _first_line(text: str) -> str:
    return " ".join(text.split("\n\n", 1)[0].split())


def _criteria(base: Handbook, head: Handbook) -> Iterator[Change]:
    before = {c.id: c for d in base.dimensions for c in d.criteria}
    after = {c.id: c for d in head.dimensions for c in d.criteria}
    for cid, c in after.items():
        if cid not in before:
            yield Change(
                "criterion",
                "added",
                cid,
                f"New expectation at {_title(head, c.level)} ({c.dimension}): {c.text}",
                "major",
                (c.level,),
                None,
                c.text,
            )
    for cid, c in before.items():
        if cid not in after:
            yield Change(
                "criterion",
                "removed",
                cid,
                f"Removed from {_title(base, c.level)} ({c.dimension}): {c.text}",
                "minor",
                (c.level,),
                c.text,
                None,
            )
    for cid in before.keys() & after.keys():
        old, new = before[cid], after[cid]
        if old.level != new.level:
            raised = _is_lower(head, new.level, old.level)
            yield Change(
                "criterion",
                "raised" if raised else "moved",
                cid,
                f"Moved from {_title(base, old.level)} to {_title(head, new.level)}"
                + (": now expected at a lower level" if raised else ""),
                "major" if raised else "minor",
                (old.level, new.level),
                old.level,
                new.level,
            )
        if old.dimension != new.dimension:
            yield Change(
                "criterion",
                "moved",
                cid,
                f"Moved from dimension {old.dimension} to {new.dimension}",
                "minor",
                (new.level,),
                old.dimension,
                new.dimension,
            )
        if old.text != new.text:
            bump, reason = classify_rewording(old.text, new.text)
            yield Change("criterion", "reworded", cid, "Reworded", bump, (new.level,), old.text, new.text, reason)
        if old.examples != new.examples:
            yield Change("criterion", "changed", cid, "Examples changed", "patch", (new.level,))
        if old.raises != new.raises:
            yield Change(
                "criterion",
                "changed",
                cid,
                _raises_words(head, base, new, old),
                "minor",
                (new.level,),
                old.raises,
                new.raises,
            )


def _is_lower(hb: Handbook, new_level: str, old_level: str) -> bool:
    return hb.is_below(new_level, old_level)


def _title(hb: Handbook, level_id: str) -> str:
    level = hb.level(level_id)
    return level.title if level else level_id


_LEVEL_WORDING = ("summary", "scope", "complexity", "consistency")


def _levels(base: Handbook, head: Handbook) -> Iterator[Change]:
    before, after = {lvl.id: lvl for lvl in base.levels}, {lvl.id: lvl for lvl in head.levels}
    for lid in after.keys() - before.keys():
        on = ", ".join(t.name for t in head.tracks_of(lid)) or "no track"
        yield Change("level", "added", lid, f"New level {after[lid].title} on {on}", "major", (lid,))
    for lid in before.keys() - after.keys():
        yield Change("level", "removed", lid, f"Removed level {before[lid].title}", "minor", (lid,))
    for lid in sorted(before.keys() & after.keys()):
        yield from _level_fields(before[lid], after[lid])
    tracks_before = {t.id: t for t in base.settings.tracks} if base.settings else {}
    tracks_after = {t.id: t for t in head.settings.tracks} if head.settings else {}
    for tid in tracks_before.keys() & tracks_after.keys():
        old, new = tracks_before[tid].levels, tracks_after[tid].levels
        if old != new:
            yield Change(
                "level",
                "changed",
                tid,
                f"Ladder of track {tid} changed ({' → '.join(old)} to {' → '.join(new)})",
                "minor",
                tuple(dict.fromkeys((*old, *new))),
            )


def _level_fields(old: Level, new: Level) -> Iterator[Change]:
    if old.title != new.title:
        yield Change(
            "level",
            "renamed",
            old.id,
            f"Renamed from {old.title} to {new.title}",
            "patch",
            (old.id,),
            old.title,
            new.title,
        )
    for name in _LEVEL_WORDING:
        if getattr(old, name) != getattr(new, name):
            yield Change(
                "level",
                "reworded",
                old.id,
                f"{name.capitalize()} reworded",
                "patch",
                (old.id,),
                getattr(old, name),
                getattr(new, name),
            )
    if old.readiness != new.readiness:
        yield Change("level", "changed", old.id, "Readiness rubric changed", "minor", (old.id,))
    if old.time_in_level != new.time_in_level:
        yield Change("level", "changed", old.id, "Typical time in level changed", "minor", (old.id,))


def _dimensions(base: Handbook, head: Handbook) -> Iterator[Change]:
    before, after = {d.id: d for d in base.dimensions}, {d.id: d for d in head.dimensions}
    for did in after.keys() - before.keys():
        yield Change("dimension", "added", did, f"New dimension {after[did].name}", "major", after[did].level_ids)
    for did in before.keys() - after.keys():
        yield Change(
            "dimension", "removed", did, f"Removed dimension {before[did].name}", "minor", before[did].level_ids
        )
    for did in sorted(before.keys() & after.keys()):
        old, new = before[did], after[did]
        if old.rating_anchors != new.rating_anchors:
            yield Change("dimension", "changed", did, "Rating anchors changed", "minor", new.level_ids)
        if old.signals != new.signals:
            yield Change(
                "dimension",
                "changed",
                did,
                f"Signals changed: {', '.join(old.signals) or 'none'} → {', '.join(new.signals) or 'none'}",
                "minor",
            )
        for name in ("name", "summary", "anti_gaming"):
            if getattr(old, name) != getattr(new, name):
                yield Change("dimension", "reworded", did, f"{name.replace('_', '-').capitalize()} changed", "patch")


_METRIC_DEFINITION = ("group", "subject", "purpose", "calculation", "limitations", "anti_gaming", "unit")


def _metrics(base: Handbook, head: Handbook) -> Iterator[Change]:
    before, after = {m.id: m for m in base.metrics}, {m.id: m for m in head.metrics}
    for mid in after.keys() - before.keys():
        yield Change("metric", "added", mid, f"New metric {after[mid].name}", "minor")
    for mid in before.keys() - after.keys():
        yield Change("metric", "removed", mid, f"Deleted metric {before[mid].name}", "minor")
    for mid in sorted(before.keys() & after.keys()):
        old, new = before[mid], after[mid]
        changed = [name for name in _METRIC_DEFINITION if getattr(old, name) != getattr(new, name)]
        if changed:
            yield Change("metric", "changed", mid, f"Definition changed: {', '.join(changed)}", "minor")
        if old.governance.status != new.governance.status:
            yield Change(
                "metric",
                "changed",
                mid,
                f"Status {old.governance.status} → {new.governance.status}",
                "minor" if new.governance.status == "retired" else "patch",
            )
        other = [
            f.name
            for f in fields(old.governance)
            if f.name != "status" and getattr(old.governance, f.name) != getattr(new.governance, f.name)
        ]
        if other or old.owner != new.owner:
            yield Change(
                "metric",
                "changed",
                mid,
                "Governance updated: " + ", ".join(other + (["owner"] if old.owner != new.owner else [])),
                "patch",
            )


def _composite(base: Handbook, head: Handbook) -> Iterator[Change]:
    old, new = base.composite, head.composite
    if old is None or new is None:
        return
    weights_old = {c.dimension: c.weight for c in old.components}
    weights_new = {c.dimension: c.weight for c in new.components}
    if weights_old != weights_new:
        shown = ", ".join(
            f"{d} {weights_old.get(d, 0):g}→{weights_new.get(d, 0):g}"
            for d in sorted(weights_old.keys() | weights_new.keys())
            if weights_old.get(d) != weights_new.get(d)
        )
        yield Change("composite", "changed", "weights", f"Weights changed: {shown}", "major")
    gates_old = {g.dimension: g for g in old.gates}
    gates_new = {g.dimension: g for g in new.gates}
    for dim in sorted(gates_old.keys() | gates_new.keys()):
        g_old, g_new = gates_old.get(dim), gates_new.get(dim)
        if g_old == g_new:
            continue
        if g_old is None:
            assert g_new is not None  # they differ
            yield Change(
                "composite",
                "added",
                f"gate:{dim}",
                f"New gate on {dim}: below {g_new.below:g} caps at {g_new.cap:g}",
                "major",
            )
        elif g_new is None:
            yield Change("composite", "removed", f"gate:{dim}", f"Gate on {dim} removed", "minor")
        else:
            stricter = g_new.below > g_old.below or g_new.cap < g_old.cap
            yield Change(
                "composite",
                "changed",
                f"gate:{dim}",
                f"Gate on {dim}: below {g_old.below:g}→{g_new.below:g}, cap {g_old.cap:g}→{g_new.cap:g}",
                "major" if stricter else "minor",
            )
    if old.minimum_coverage != new.minimum_coverage:
        yield Change(
            "composite",
            "changed",
            "minimum_coverage",
            f"Minimum coverage {old.minimum_coverage:.0%} → {new.minimum_coverage:.0%}",
            "major" if new.minimum_coverage > old.minimum_coverage else "minor",
        )
    if (old.scale_min, old.scale_max, old.advisory) != (new.scale_min, new.scale_max, new.advisory):
        yield Change("composite", "changed", "scale", "Scale or advisory flag changed", "major")


@dataclass(frozen=True)
class ChangelogEntry:
    """What changed in expectations from one criteria version to the next. Built only from the
    content of rubrics, levels and settings: never from commit subjects or messages, which may
    name people (a packet's commit, a calibration note) and would be published verbatim."""

    version: str | None  # None: changes since the latest version that no version declares yet
    previous: str | None  # the version compared with; None for the first version in history
    commit: str
    date: str
    diff: SemanticDiff

    @property
    def first(self) -> bool:
        return self.previous is None and self.version is not None
