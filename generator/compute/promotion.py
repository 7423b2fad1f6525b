"""The organisation's promotion rule applied to a packet's evidence: which criteria count, and what the
evidence supports under the rule the settings declare (all | proportion | holistic | points). Pure.

A packet that changes track is judged on what the move asks for: the target's criteria that are new or
raised compared with the current level (the cross-track comparison), not on everything carried up."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..model.handbook import Criterion, Dimension, Handbook, Milestone, Packet, PromotionRule
from .level_compare import compare_dimension


@dataclass(frozen=True)
class DimensionVerdict:
    dimension: str
    name: str
    counted: int  # criteria that count under the rule
    covered: int  # of those, cited by some evidence
    needed: int | None = None  # proportion: how many must be covered
    met: bool | None = None  # None: not judged (holistic, or nothing counts here)
    missing_must_have: tuple[str, ...] = ()
    milestone: int = 0  # points: the highest milestone the evidence supports (0: none)
    milestone_name: str | None = None
    points: int = 0


@dataclass(frozen=True)
class Judgement:
    rule: PromotionRule
    explanation: str  # the rule in one sentence
    dimensions: tuple[DimensionVerdict, ...]
    ready: bool | None  # None: the rule gives no verdict (holistic)
    summary: str  # what the evidence supports, in a sentence or two
    track_change: bool = False
    total_points: int | None = None
    reached_level: str | None = None  # points: the level the total maps to
    reached_title: str | None = None
    needed_points: int | None = None
    reached_level_title: str | None = None  # the level's own title
    only_at_current: tuple[str, ...] = ()  # a track change: criteria the current level expects and the target does not


def is_track_change(hb: Handbook, packet: Packet) -> bool:
    """True when the current level is not below the target on the packet's track (a move between tracks)."""
    track = hb.track(packet.track)
    return track is not None and hb.level(packet.current_level) is not None and packet.current_level not in track.levels


def counted_criteria(
    hb: Handbook, rule: PromotionRule, target: str, dimension: Dimension, current: str | None = None
) -> tuple[Criterion, ...]:
    """The criteria a packet for `target` is judged on in one dimension."""
    if rule.rule == "points":
        return dimension.milestone_criteria
    if current is not None:  # a track change: what is new or raised compared with the current level
        return tuple(
            row.after
            for row in compare_dimension(hb, current, target, dimension.id)
            if row.kind in ("new", "raised") and row.after is not None
        )
    if rule.carried == "context":
        return dimension.criteria_for(target)
    return hb.expected_criteria(target, dimension.id)


def packet_criteria(hb: Handbook, packet: Packet) -> tuple[Criterion, ...]:
    """Every criterion the packet is judged on, in dimension order."""
    rule = rule_of(hb, packet)
    current = packet.current_level if is_track_change(hb, packet) else None
    return tuple(c for d in hb.ordered_dimensions for c in counted_criteria(hb, rule, packet.target_level, d, current))


def rule_of(hb: Handbook, packet: Packet) -> PromotionRule:
    return hb.settings.rule_for(packet.track) if hb.settings else PromotionRule()


def milestone_points(rule: PromotionRule, milestone: Milestone) -> int | None:
    if milestone.points is not None:
        return milestone.points
    index = milestone.number - 1
    return rule.milestone_points[index] if index < len(rule.milestone_points) else None


def supported_milestone(rule: PromotionRule, dimension: Dimension, cited: frozenset[str]) -> Milestone | None:
    """The highest milestone the evidence supports: one of its criteria is cited and, when carried-up
    criteria are required, so is one of every lower milestone's."""
    best = None
    for milestone in dimension.milestones:
        shown = any(c.id in cited for c in milestone.criteria)
        if shown:
            best = milestone
        elif rule.carried == "required":
            break
    return best


def range_for(total: int, ranges: tuple[tuple[str, int], ...]) -> str | None:
    """The entry whose range holds `total`: the last one starting at or below it."""
    found = None
    for name, minimum in sorted(ranges, key=lambda r: r[1]):
        if minimum <= total:
            found = name
    return found


def judge(hb: Handbook, packet: Packet) -> Judgement:
    rule = rule_of(hb, packet)
    cited = frozenset(c for e in packet.evidence for c in e.criteria)
    change = is_track_change(hb, packet)
    if rule.rule == "points":
        return _points(hb, packet, rule, cited)
    current = packet.current_level if change else None
    rows = []
    for dim in hb.ordered_dimensions:
        counted = counted_criteria(hb, rule, packet.target_level, dim, current)
        covered = sum(c.id in cited for c in counted)
        rows.append(_dimension_verdict(rule, dim, counted, covered, cited))
    judged = [r for r in rows if r.met is not None]
    ready = None if rule.rule == "holistic" else all(r.met for r in judged)
    left = tuple(
        row.before.id
        for d in hb.ordered_dimensions
        if current is not None
        for row in compare_dimension(hb, current, packet.target_level, d.id)
        if row.kind == "dropped" and row.before is not None
    )
    return Judgement(
        rule, explain(rule, hb), tuple(rows), ready, _summary(hb, rule, rows, ready), change, only_at_current=left
    )


def _dimension_verdict(
    rule: PromotionRule, dim: Dimension, counted: tuple[Criterion, ...], covered: int, cited: frozenset[str]
) -> DimensionVerdict:
    if not counted or rule.rule == "holistic":
        return DimensionVerdict(dim.id, dim.name, len(counted), covered)
    if rule.rule == "proportion":
        needed = max(1, math.ceil((rule.minimum_share or 1.0) * len(counted) - 1e-9))
        missing = tuple(c.id for c in counted if c.id in rule.must_have and c.id not in cited)
        return DimensionVerdict(
            dim.id, dim.name, len(counted), covered, needed, covered >= needed and not missing, missing
        )
    return DimensionVerdict(dim.id, dim.name, len(counted), covered, len(counted), covered == len(counted))


def _points(hb: Handbook, packet: Packet, rule: PromotionRule, cited: frozenset[str]) -> Judgement:
    rows = []
    for dim in hb.ordered_dimensions:
        best = supported_milestone(rule, dim, cited)
        points = (milestone_points(rule, best) or 0) if best else 0
        covered = sum(c.id in cited for c in dim.milestone_criteria)
        rows.append(
            DimensionVerdict(
                dim.id,
                dim.name,
                len(dim.milestone_criteria),
                covered,
                milestone=best.number if best else 0,
                milestone_name=best.name if best else None,
                points=points,
            )
        )
    total = sum(r.points for r in rows)
    reached = range_for(total, rule.point_levels)
    title = range_for(total, rule.point_titles)
    needed = dict(rule.point_levels).get(packet.target_level)
    ready = total >= needed if needed is not None else None
    level = hb.level(reached) if reached else None
    target = hb.level(packet.target_level)
    reached_words = (
        f"{level.title if level else reached}" + (f" ({title})" if title else "") if reached else "no level yet"
    )
    summary = f"Evidence supports {_count(total, 'point')} in all, which maps to {reached_words}"
    if needed is not None:
        summary += f"; {target.title if target else packet.target_level} starts at {_count(needed, 'point')}"
    return Judgement(
        rule,
        explain(rule, hb),
        tuple(rows),
        ready,
        summary + ".",
        is_track_change(hb, packet),
        total,
        reached,
        title,
        needed,
        level.title if level else reached,
    )


def _summary(hb: Handbook, rule: PromotionRule, rows: list[DimensionVerdict], ready: bool | None) -> str:
    counted = sum(r.counted for r in rows)
    covered = sum(r.covered for r in rows)
    if rule.rule == "holistic":
        return (
            f"Evidence cites {covered} of {_count(counted, 'criterion', 'criteria')} of the target level; "
            "the decision is made on the packet as a whole, not on a count."
        )
    if rule.rule == "proportion":
        judged = [r for r in rows if r.met is not None]
        short = [r for r in judged if not r.met]
        sentence = (
            f"Evidence meets the rule in {sum(bool(r.met) for r in judged)} of {_count(len(judged), 'dimension')}"
        )
        if short:
            sentence += "; not yet in " + ", ".join(
                f"{r.name} ({r.covered} of {r.counted}, needs {r.needed})" for r in short
            )
        musts = [m for r in rows for m in r.missing_must_have]
        if musts:
            sentence += f"; must-have criteria without evidence: {', '.join(musts)}"
        return sentence + "."
    missing = counted - covered
    if not missing:
        return "Evidence covers every criterion that counts for the target level."
    return (
        f"Evidence covers {covered} of {_count(counted, 'criterion', 'criteria')} that count for the target level; "
        f"{missing} still {'lacks' if missing == 1 else 'lack'} evidence."
    )


def explain(rule: PromotionRule, hb: Handbook | None = None) -> str:
    """The rule in one sentence, as the pages and reports say it."""
    carried = (
        "criteria carried up from lower levels count too"
        if rule.carried == "required"
        else "criteria carried up from lower levels are context and need not be shown again"
    )
    if rule.rule == "proportion":
        must = ", including every must-have criterion" if rule.must_have else ""
        return (
            f"A packet shows evidence for at least {rule.minimum_share or 1:.0%} of the target level's criteria "
            f"in each dimension{must}; {carried}."
        )
    if rule.rule == "holistic":
        return (
            "There is no coverage threshold: the decision is made on the packet as a whole, and the evidence "
            "map only shows which criteria are cited and which are not."
        )
    if rule.rule == "points":
        titles = " and title" if rule.point_titles else ""
        lower = " and every lower milestone" if rule.carried == "required" else ""
        return (
            f"Each dimension counts the points of the highest milestone the evidence supports (one of its "
            f"criteria cited{lower}); the total gives the level{titles}."
        )
    return f"A packet shows evidence for every criterion of the target level; {carried}."


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


@dataclass(frozen=True)
class PointRange:
    level: str
    minimum: int
    maximum: int | None  # None: open-ended
    titles: tuple[str, ...]  # the titles whose range overlaps this level's


@dataclass(frozen=True)
class PromotionView:
    """What the pages say about the promotion rule: only what the settings declare."""

    rules: tuple[tuple[str | None, str], ...]  # (track name, or None for every track; the rule in one sentence)
    ranges: tuple[PointRange, ...]
    level_criteria: bool  # some dimension has per-level criteria
    milestones: bool  # some dimension has milestones
    must_have: frozenset[str] = frozenset()  # criteria a proportion rule requires whatever the share

    def range_of(self, level_id: str) -> PointRange | None:
        return next((r for r in self.ranges if r.level == level_id), None)


def promotion_view(hb: Handbook) -> PromotionView:
    settings = hb.settings
    rules: list[tuple[str | None, str]] = []
    ranges: list[PointRange] = []
    if settings is not None and settings.promotion_declared:
        sentences = {t.id: explain(settings.rule_for(t.id), hb) for t in settings.tracks}
        if len(set(sentences.values())) == 1:
            rules.append((None, next(iter(sentences.values()))))
        else:
            rules.extend((t.name, sentences[t.id]) for t in settings.tracks)
    for rule in dict.fromkeys(settings.rule_for(t.id) for t in settings.tracks) if settings else ():
        ordered = sorted(rule.point_levels, key=lambda r: r[1])
        titles = sorted(rule.point_titles, key=lambda r: r[1])
        for index, (level, minimum) in enumerate(ordered):
            maximum = ordered[index + 1][1] - 1 if index + 1 < len(ordered) else None
            names = tuple(
                t
                for i, (t, start) in enumerate(titles)
                if (maximum is None or start <= maximum) and (i + 1 >= len(titles) or titles[i + 1][1] > minimum)
            )
            ranges.append(PointRange(level, minimum, maximum, names))
    declared = [settings.rule_for(t.id) for t in settings.tracks] if settings else []
    must = frozenset(c for rule in declared if rule.rule == "proportion" for c in rule.must_have)
    return PromotionView(
        tuple(rules),
        tuple(ranges),
        any(d.criteria for d in hb.dimensions),
        any(d.milestones for d in hb.dimensions),
        must,
    )
