"""`handbook new packet`: a ready-to-fill packet at the right path, never over an existing file."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .model import Handbook, Level, ReviewCycle
from .render.pages import template_environment

EVIDENCE_KINDS = ("pull-request, rfc, design-review, postmortem, incident-response, on-call, mentoring, "
                  "observability, documentation, glue-work, hiring, other")


class ScaffoldError(Exception):
    pass


@dataclass(frozen=True)
class NewPacket:
    path: Path
    relative: str
    text: str


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        raise ScaffoldError(f"cannot make a file name from candidate name {name!r}")
    return slug[:60].rstrip("-")


def choose_cycle(cycles: tuple[ReviewCycle, ...], today: date) -> ReviewCycle:
    """The open cycle, else the next one to open, else the latest."""
    iso = today.isoformat()
    for cycle in cycles:
        if cycle.opens <= iso <= cycle.closes:
            return cycle
    upcoming = sorted((c for c in cycles if c.opens > iso), key=lambda c: c.opens)
    return upcoming[0] if upcoming else max(cycles, key=lambda c: c.closes)


def plan_packet(hb: Handbook, root: Path, candidate: str, target_id: str, cycle_id: str | None,
                current_id: str | None, today: date) -> NewPacket:
    target = _level(hb, target_id, "--target")
    tracks = hb.tracks_of(target.id)
    if current_id:
        current = _level(hb, current_id, "--current")
    else:
        below = [t.levels[t.levels.index(target.id) - 1] for t in tracks if t.levels.index(target.id) > 0]
        if not below:
            raise ScaffoldError(f"{target.title} is the first level of its track: there is nothing to be promoted from")
        current = _level(hb, below[0], "--current")
    track = next((t for t in tracks if hb.is_below(current.id, target.id, t.id)), None)
    if track is None:
        raise ScaffoldError(f"target {target.id} must be above {current.id} on the same track")
    cycles = hb.settings.review_cycles
    if cycle_id:
        if cycle_id not in {c.id for c in cycles}:
            raise ScaffoldError(f"unknown cycle '{cycle_id}' (known: {', '.join(c.id for c in cycles)})")
        cycle = next(c for c in cycles if c.id == cycle_id)
    else:
        cycle = choose_cycle(cycles, today)
    relative = f"packets/{cycle.id}/{slugify(candidate)}.yaml"
    path = root / relative
    criteria = [(d, hb.expected_criteria(target.id, d.id)) for d in hb.ordered_dimensions]
    env = template_environment(root / "site_config" / "templates")
    env.filters["yaml_str"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    text = env.get_template("new_packet.yaml.j2").render(
        candidate=candidate, current=current, target=target, track=track.id, cycle=cycle.id,
        version=hb.settings.criteria_version, criteria_by_dimension=criteria, kinds=EVIDENCE_KINDS,
        packet_path=relative, schema_path=os.path.relpath(root / "generator/schemas/packet.schema.json", path.parent),
        example_ids=", ".join(c.id for _, cs in criteria for c in cs[:1]))
    return NewPacket(path, relative, text)


def _level(hb: Handbook, level_id: str, option: str) -> Level:
    level = hb.level(level_id)
    if level is None:
        known = ", ".join(lvl.id for lvl in hb.levels)
        raise ScaffoldError(f"{option}: unknown level '{level_id}' (known: {known})")
    return level


def write_new(packet: NewPacket) -> None:
    """Create the file; refuse if anything is already there (even if created a moment ago)."""
    packet.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(packet.path, "x", encoding="utf-8") as handle:
            handle.write(packet.text)
    except FileExistsError:
        raise ScaffoldError(f"{packet.relative} already exists; refusing to overwrite it") from None
