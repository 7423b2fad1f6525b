"""Handbooks in the three shapes real career frameworks come in, each with its own promotion rule,
as an organisation porting one writes them (nothing from the default content):

- branching: shared levels then two tracks (tests/framework.py), every criterion counts, carried-up
  ones included, and engineers may switch tracks at the same or a higher rank;
- cumulative: six numbered levels, five topics, one starting at level 3, criteria carry up as context,
  a minimum share per topic with one must-have criterion, examples on some criteria, a proficiency
  attribute, no review dates, no level summaries, no process settings at all;
- points: one track, dimensions with five ordered milestones worth points each, levels and titles as
  ranges of total points, no per-level criteria.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from framework import write_framework


def dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), "utf-8")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def _owner() -> dict[str, str]:
    return {"group": "Framework stewards", "contact": "stewards@example.org"}


def _packet(track: str, current: str, target: str, criteria: list[list[str]], cycle: str = "2026") -> dict[str, Any]:
    return {
        "candidate": "Robin Example",
        "visibility": "example",
        "cycle": cycle,
        "criteria_version": "1.0.0",
        "track": track,
        "current_level": current,
        "target_level": target,
        "summary": "Two quarters of work on the platform, told in my own words.",
        "evidence": [
            {
                "id": f"work-{i}",
                "title": f"Piece of work number {i}",
                "kind": "pull-request",
                "link": f"https://example.org/work/{i}",
                "date": "2026-05-01",
                "role": "author",
                "criteria": cited,
                "impact": "The team shipped faster and with fewer incidents.",
            }
            for i, cited in enumerate(criteria, 1)
        ],
        "decision": {"status": "submitted"},
    }


# -- shared levels, then a branch; track switches allowed ---------------------------------------------


def write_branching(root: Path) -> Path:
    write_framework(root)
    settings_file = root / "site_config" / "handbook.yaml"
    settings = load(settings_file)
    settings["track_changes"] = [
        {"from": "individual-contributor", "to": "people-manager"},
        {"from": "people-manager", "to": "individual-contributor"},
    ]
    settings["promotion"] = {"rule": "all", "carried": "required"}
    dump(settings_file, settings)
    # Senior 2 (IC, rank 4) to Engineering Manager 1 (manager, rank 4): a sideways move.
    dump(
        root / "packets" / "examples" / "kai-switch.yaml",
        _packet("people-manager", "4-senior-2", "4-manager-1", [["71-craft", "72-craft"], ["71-delivery"]], "2026-h2"),
    )
    return root


# -- cumulative, a late-starting topic, proportion rule, no process settings ---------------------------

CUMULATIVE_LEVELS = [f"level-{n}" for n in range(1, 7)]
TOPICS = {"technical-skill": 1, "delivery": 1, "feedback-and-growth": 1, "collaboration": 1, "leadership": 3}
PROFICIENCY = ["aware", "practised", "expert"]


def cumulative_criterion(topic: str, level: int, n: int) -> str:
    return f"{topic[:4]}-{level}-{n}"


def write_cumulative(root: Path) -> Path:
    dump(
        root / "site_config" / "handbook.yaml",
        {
            "organisation": {"name": "Kestrel Works"},
            "criteria_version": "1.0.0",
            "tracks": [{"id": "engineering", "name": "Engineering", "levels": CUMULATIVE_LEVELS}],
            "governance": {"due_soon_days": 30, "default_cadence": {"metrics": "quarterly", "dimensions": "annual"}},
            "publish": {"packets": "examples"},
            "promotion": {"rule": "proportion", "minimum_share": 0.5, "carried": "context", "must_have": ["tech-4-1"]},
            "criterion_attributes": [{"id": "proficiency", "name": "Proficiency", "values": PROFICIENCY}],
            "pages": [{"id": "about", "title": "About this framework", "section": "home"}],
        },
    )
    (root / "pages").mkdir(parents=True, exist_ok=True)
    (root / "pages" / "about.md").write_text(
        "# About this framework\n\nYou can progress without showing every behaviour.\n\n"
        '<script>alert(\'x\')</script><a href="javascript:alert(1)" onclick="x()">things to keep in mind</a>\n',
        "utf-8",
    )
    for n, level in enumerate(CUMULATIVE_LEVELS, 1):
        dump(root / "levels" / f"{level}.yaml", {"id": level, "title": f"Level {n}"})
    for order, (topic, start) in enumerate(TOPICS.items(), 1):
        expectations = {}
        for n in range(start, 7):
            items = []
            for k in (1, 2):
                item: dict[str, Any] = {
                    "id": cumulative_criterion(topic, n, k),
                    "text": f"Shows {topic.replace('-', ' ')} behaviour {k} as expected at level {n}.",
                    "attributes": {"proficiency": PROFICIENCY[min(2, (n - 1) // 2)]},
                }
                if k == 1:
                    item["examples"] = [f"An example of {topic.replace('-', ' ')} at level {n}."]
                elif topic == "technical-skill" and n > start:  # the same behaviour, at a higher proficiency
                    item["raises"] = cumulative_criterion(topic, n - 1, k)
                items.append(item)
            expectations[f"level-{n}"] = items
        dimension: dict[str, Any] = {
            "id": topic,
            "name": topic.replace("-", " ").capitalize(),
            "order": order,
            "owner": _owner(),
            "summary": f"How {topic.replace('-', ' ')} grows.",
            "expectations": expectations,
            "governance": {},
        }
        if start > 1:
            dimension["starts_at"] = f"level-{start}"
        dump(root / "rubrics" / "dimensions" / f"{topic}.yaml", dimension)
    return root


def cumulative_packet(root: Path, criteria: list[list[str]], name: str = "robin") -> Path:
    path = root / "packets" / "examples" / f"{name}.yaml"
    dump(path, _packet("engineering", "level-3", "level-4", criteria))
    return path


# -- points: milestones worth points, levels and titles as ranges ---------------------------------------

POINT_LEVELS = [("grade-1", 0), ("grade-2", 10), ("grade-3", 20), ("grade-4", 35), ("grade-5", 55)]
POINT_TITLES = [("Engineer I", 0), ("Engineer II", 20), ("Senior Engineer", 35)]
AREAS = ["mobile", "web-client", "foundations", "servers", "project-management", "communication"]
MILESTONE_POINTS = [1, 3, 6, 12, 20]


def milestone_criterion(area: str, milestone: int, n: int) -> str:
    return f"{area}-m{milestone}-{n}"


def write_points(root: Path) -> Path:
    dump(
        root / "site_config" / "handbook.yaml",
        {
            "organisation": {"name": "Lantern Co"},
            "criteria_version": "1.0.0",
            "tracks": [{"id": "engineering", "name": "Engineering", "levels": [lvl for lvl, _ in POINT_LEVELS]}],
            "review_cycles": [{"id": "2026", "name": "Year 2026", "opens": "2026-01-01", "closes": "2026-12-31"}],
            "governance": {"due_soon_days": 30, "default_cadence": {"metrics": "quarterly", "dimensions": "annual"}},
            "publish": {"packets": "examples"},
            "review_process": {
                "reviewers_per_packet": 3,
                "submission": "Send your packet to your manager.",
                "interviews": [
                    {"levels": ["grade-4", "grade-5"], "description": "Grade 4 and 5 include a panel interview."}
                ],
            },
            "promotion": {
                "rule": "points",
                "carried": "required",
                "milestone_points": MILESTONE_POINTS,
                "levels": [{"level": lvl, "minimum": m} for lvl, m in POINT_LEVELS],
                "titles": [{"title": t, "minimum": m} for t, m in POINT_TITLES],
            },
        },
    )
    for n, (level, minimum) in enumerate(POINT_LEVELS, 1):
        dump(root / "levels" / f"{level}.yaml", {"id": level, "title": f"Grade {n}"})
    for order, area in enumerate(AREAS, 1):
        milestones = [
            {
                "summary": f"Milestone {m} of {area.replace('-', ' ')}.",
                "criteria": [
                    {
                        "id": milestone_criterion(area, m, k),
                        "text": f"Example task {k} for {area.replace('-', ' ')} at milestone {m}.",
                    }
                    for k in (1, 2)
                ],
            }
            for m in range(1, 6)
        ]
        dump(
            root / "rubrics" / "dimensions" / f"{area}.yaml",
            {
                "id": area,
                "name": area.replace("-", " ").capitalize(),
                "order": order,
                "owner": _owner(),
                "summary": f"How {area.replace('-', ' ')} work grows.",
                "milestones": milestones,
                "governance": {"last_reviewed": "2026-06-01"},
            },
        )
    return root


def points_packet(root: Path, milestones: dict[str, int], target: str = "grade-3", name: str = "robin") -> Path:
    """Evidence citing one criterion of every milestone up to the given one, per area."""
    cited = [[milestone_criterion(area, m, 1) for m in range(1, top + 1)] for area, top in milestones.items() if top]
    path = root / "packets" / "examples" / f"{name}.yaml"
    index = [lvl for lvl, _ in POINT_LEVELS].index(target)
    dump(path, _packet("engineering", POINT_LEVELS[index - 1][0], target, cited))
    return path
