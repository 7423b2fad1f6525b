"""What an organisation has not written yet: optional parts of the model left out. Pure.

Information, never an error: a framework that has no readiness rubric or no examples is valid;
this report only lists what could be added."""

from __future__ import annotations

from dataclasses import dataclass

from ..model.handbook import Handbook


@dataclass(frozen=True)
class Gap:
    file: str
    subject: str
    missing: tuple[str, ...]


def completeness(hb: Handbook) -> tuple[Gap, ...]:
    gaps = []
    for level in hb.levels:
        missing = [
            f"no {name}"
            for name, value in (
                ("scope", level.scope),
                ("complexity", level.complexity),
                ("consistency", level.consistency),
                ("typical time in level", level.time_in_level),
                ("readiness rubric", level.readiness),
            )
            if not value
        ]
        if level.readiness:
            missing += [
                f"no '{name.replace('_', ' ')}' readiness list"
                for name in ("convincing", "disqualifying", "sustained_growth")
                if not getattr(level.readiness, name)
            ]
        if missing:
            gaps.append(Gap(level.file, f"level {level.id}", tuple(missing)))
    for dim in hb.ordered_dimensions:
        missing = [
            f"no {name}"
            for name, value in (
                ("rating anchors", dim.rating_anchors),
                ("anti-gaming notes", dim.anti_gaming),
                ("team-level signals", dim.signals),
            )
            if not value
        ]
        if dim.governance.last_reviewed is None:
            missing.append("no review date (not yet reviewed)")
        bare = [c for c in dim.criteria if not c.examples]
        if bare:
            missing.append(f"no examples for {len(bare)} of {len(dim.criteria)} criteria")
        if missing:
            gaps.append(Gap(dim.file, f"dimension {dim.id}", tuple(missing)))
    if not hb.metrics:
        gaps.append(Gap("rubrics/metrics", "metrics", ("none defined (optional)",)))
    if hb.composite is None:
        gaps.append(Gap("rubrics/composite.yaml", "composite score", ("none defined (optional)",)))
    if not any(p.is_example for p in hb.packets):
        gaps.append(Gap("packets", "example packets", ("none published, to show what good evidence looks like",)))
    return tuple(gaps)
