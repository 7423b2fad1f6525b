"""Compare two levels: per dimension, which criteria are new, raised, carried over, or expected only at
the first. Pure functions of the model, used by the "what changes" pages and the compare page."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model.handbook import Criterion, Dimension, Handbook, Level

KINDS = ("raised", "new", "carried", "dropped")


@dataclass(frozen=True)
class ChangeRow:
    kind: str  # raised | new | carried | dropped (expected at the first level, not at the second)
    before: Criterion | None  # the criterion at the first level (the one replaced, when raised)
    after: Criterion | None  # the criterion at the second level


def replaced(hb: Handbook, criterion: Criterion, before: dict[str, Criterion]) -> Criterion | None:
    """The criterion in `before` that `criterion` replaces, following `raises:` down through levels in
    between (a criterion raising one that itself raised one expected at the first level)."""
    seen = {criterion.id}
    current: Criterion | None = criterion
    while current is not None and current.raises and current.raises not in seen:
        if current.raises in before:
            return before[current.raises]
        seen.add(current.raises)
        current = hb.criterion(current.raises)
    return None


def compare_dimension(hb: Handbook, first: str, second: str, dimension: str) -> tuple[ChangeRow, ...]:
    """What moving from level `first` to level `second` changes in one dimension: each raised criterion
    beside the one it replaces, new criteria, criteria carried over unchanged, then criteria expected at
    the first level and not at the second (only across tracks, or from a higher level to a lower one).
    Rows come in that order; within a kind, lowest level first, in the order written."""
    before = {c.id: c for c in hb.expected_criteria(first, dimension)}
    after = hb.expected_criteria(second, dimension)
    after_ids = {c.id for c in after}
    rows, paired = [], set()
    for c in after:
        if c.id in before:
            continue
        old = replaced(hb, c, before)
        if old is not None:
            paired.add(old.id)
        rows.append(ChangeRow("raised" if old else "new", old, c))
    rows.extend(ChangeRow("carried", c, c) for c in before.values() if c.id in after_ids)
    rows.extend(ChangeRow("dropped", c, None) for c in before.values() if c.id not in after_ids and c.id not in paired)
    return tuple(sorted(rows, key=lambda row: KINDS.index(row.kind)))  # raised first, each kind in level order


def compare_levels(hb: Handbook, first: Level, second: Level) -> tuple[tuple[Dimension, tuple[ChangeRow, ...]], ...]:
    """`compare_dimension` for every dimension, in the declared dimension order."""
    return tuple((d, compare_dimension(hb, first.id, second.id, d.id)) for d in hb.ordered_dimensions)


def ordered_pair(hb: Handbook, a: Level, b: Level) -> tuple[Level, Level]:
    """The two levels lower first when one sits below the other on some track, else as given."""
    return (b, a) if hb.is_below(b.id, a.id) else (a, b)


def comparison_data(hb: Handbook, levels: tuple[Level, ...], short: Callable[[str], str]) -> dict[str, Any]:
    """Everything the compare page needs to show any two levels without a server: the levels with their
    tracks, the dimensions in order, each criterion once (its text's short form, its level), and for every
    pair of levels, lower first where one is below the other, the rows of each dimension as
    [kind, first criterion id, second criterion id]. Plain data, ready for JSON."""
    dims = hb.ordered_dimensions
    criteria: dict[str, dict[str, Any]] = {}
    pairs: dict[str, dict[str, Any]] = {}
    for i, a in enumerate(levels):
        for b in levels[i + 1 :]:
            first, second = ordered_pair(hb, a, b)
            rows = {}
            for dim, found in compare_levels(hb, first, second):
                rows[dim.id] = [
                    [r.kind, r.before.id if r.before else None, r.after.id if r.after else None] for r in found
                ]
                for c in (c for r in found for c in (r.before, r.after) if c is not None):
                    criteria.setdefault(c.id, {"text": short(c.text), "level": c.level})
            pairs[f"{a.id} {b.id}"] = {"first": first.id, "second": second.id, "rows": rows}
    return {
        "levels": {lvl.id: {"title": lvl.title, "tracks": [t.id for t in hb.tracks_of(lvl.id)]} for lvl in levels},
        "dimensions": [{"id": d.id, "name": d.name} for d in dims],
        "criteria": criteria,
        "pairs": pairs,
    }


def script_json(data: object) -> str:
    """JSON that is safe inside a <script> element of a page (no "</script>", no HTML comment)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
