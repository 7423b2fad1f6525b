"""Cross-reference checks for the promotion settings: rules, track changes, milestones, criterion
attributes and organisation pages. Pure functions from a Handbook to findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..model.diagnostics import Diagnostic, error
from ..model.handbook import Handbook, PromotionRule, Settings


def promotion_rules(hb: Handbook) -> Iterator[Diagnostic]:
    settings = hb.settings
    if settings is None:
        return
    yield from _rule(hb, settings, settings.promotion, ("promotion",), None)
    for index, track in enumerate(settings.tracks):
        if track.promotion is not None:
            yield from _rule(hb, settings, track.promotion, ("tracks", index, "promotion"), track.id)
    for index, (source, target) in enumerate(settings.track_changes):
        for key, track_id in (("from", source), ("to", target)):
            if track_id not in settings.track_ids:
                yield error(
                    settings.file,
                    "unknown-track",
                    f"track_changes names unknown track '{track_id}' (known: {', '.join(sorted(settings.track_ids))})",
                    ("track_changes", index, key),
                )
        if source == target:
            yield error(
                settings.file,
                "track-change-same",
                f"track_changes moves from '{source}' to itself: a move "
                "within a track is a promotion, not a track change",
                ("track_changes", index),
            )
    yield from _attributes(hb, settings)
    for dim in hb.dimensions:
        if dim.starts_at and hb.level(dim.starts_at) is None and not hb.is_declared("level", dim.starts_at):
            yield error(dim.file, "unknown-level", f"starts_at names unknown level '{dim.starts_at}'", ("starts_at",))


def _rule(
    hb: Handbook, settings: Settings, rule: PromotionRule, where: tuple[Any, ...], track: str | None
) -> Iterator[Diagnostic]:
    for index, criterion_id in enumerate(rule.must_have):
        if hb.criterion(criterion_id) is None and not hb.is_declared("criterion", criterion_id):
            yield error(
                settings.file,
                "unknown-criterion",
                f"must_have names unknown criterion '{criterion_id}'",
                (*where, "must_have", index),
            )
    levels = [lvl for lvl, _ in rule.point_levels]
    for index, level_id in enumerate(levels):
        if hb.level(level_id) is None and not hb.is_declared("level", level_id):
            yield error(
                settings.file,
                "unknown-level",
                f"promotion levels name unknown level '{level_id}'",
                (*where, "levels", index, "level"),
            )
    for name, ranges in (("levels", rule.point_levels), ("titles", rule.point_titles)):
        minimums = [m for _, m in ranges]
        if minimums != sorted(minimums) or len(set(minimums)) != len(minimums):
            yield error(
                settings.file,
                "points-order",
                f"promotion {name} must start at increasing totals, lowest "
                f"first (found {', '.join(map(str, minimums))})",
                (*where, name),
            )
    if rule.rule != "points":
        return
    on = [t for t in settings.tracks if track is None or t.id == track]
    for t in on:
        missing = [lvl for lvl in t.levels if lvl not in levels]
        if missing and (track is not None or t.promotion is None):
            yield error(
                settings.file,
                "points-level-missing",
                f"the points rule gives no range of total points for "
                f"level '{missing[0]}' of track '{t.id}': add it to promotion levels",
                (*where, "levels"),
            )
    for dim in hb.ordered_dimensions:
        if not dim.milestones:
            yield error(
                dim.file,
                "no-milestones",
                f"dimension '{dim.id}' has no milestones, and the points rule "
                "counts milestones: add `milestones` (lowest first)",
                ("id",),
            )
        for milestone in dim.milestones:
            index = milestone.number - 1
            if milestone.points is None and index >= len(rule.milestone_points):
                yield error(
                    dim.file,
                    "milestone-points",
                    f"milestone {milestone.number} of '{dim.id}' is worth no "
                    "points: give it `points`, or list one per milestone in promotion.milestone_points",
                    ("milestones", index),
                )


def _attributes(hb: Handbook, settings: Settings) -> Iterator[Diagnostic]:
    declared = {a.id: a for a in settings.criterion_attributes}
    for dim in hb.dimensions:
        for criterion in (*dim.criteria, *dim.milestone_criteria):
            for key, value in criterion.attributes:
                attribute = declared.get(key)
                if attribute is None:
                    known = ", ".join(sorted(declared)) or "none declared"
                    yield error(
                        dim.file,
                        "unknown-attribute",
                        f"criterion '{criterion.id}' has attribute '{key}', "
                        f"which the settings do not declare in criterion_attributes (known: {known})",
                        criterion.pointer + ("attributes", key),
                        on_key=True,
                    )
                elif value not in attribute.values:
                    yield error(
                        dim.file,
                        "unknown-attribute-value",
                        f"criterion '{criterion.id}': '{value}' is not a "
                        f"value of {attribute.name} ({', '.join(attribute.values)})",
                        criterion.pointer + ("attributes", key),
                    )
