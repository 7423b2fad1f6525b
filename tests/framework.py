"""A framework-shaped handbook, as an organisation porting a real public career framework writes it:
9 dimensions, 8 levels on two tracks that share their first three and then branch, no examples,
no readiness, no composite, no metrics, UUIDs as external ids, ids starting with a digit, and
criteria written as Markdown lists. Nothing in it comes from the default content."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml

ORGANISATION = "Fjordline Labs"
SHARED = ["1-associate", "2-engineer", "3-senior-1"]
IC = [*SHARED, "4-senior-2", "5-staff", "6-principal"]
MANAGER = [*SHARED, "4-manager-1", "5-manager-2"]
LEVELS = list(dict.fromkeys([*IC, *MANAGER]))
TITLES = {
    "1-associate": "Associate",
    "2-engineer": "Engineer",
    "3-senior-1": "Senior 1",
    "4-senior-2": "Senior 2",
    "5-staff": "Staff",
    "6-principal": "Principal",
    "4-manager-1": "Engineering Manager 1",
    "5-manager-2": "Engineering Manager 2",
}
THEMES = [
    "craft",
    "delivery",
    "quality",
    "operations",
    "architecture",
    "communication",
    "teamwork",
    "mentoring",
    "product-sense",
]


def external_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), "utf-8")


def _criteria(theme: str, level: str, index: int) -> list[dict[str, Any]]:
    """Two criteria per level; the first raises the first of the level below on the same ladder."""
    name = theme.replace("-", " ")
    items = []
    for n in (1, 2):
        item = {"id": f"{index}{n}-{theme}", "external_id": external_id(theme, level, str(n))}
        if n == 1:
            item["text"] = (
                f"Shows {name} at the {TITLES[level]} level:\n\n"
                f"- applies {name} practices to their own work\n"
                f"- explains {name} trade-offs to others\n"
            )
        else:
            item["text"] = f"Grows {name} habits in the people around them, as expected of the {TITLES[level]} level."
        items.append(item)
    return items


def write_framework(root: Path) -> Path:
    _dump(
        root / "site_config" / "handbook.yaml",
        {
            "organisation": {"name": ORGANISATION},
            "criteria_version": "1.0.0",
            "tracks": [
                {"id": "individual-contributor", "name": "Individual contributor", "levels": IC},
                {"id": "people-manager", "name": "People manager", "levels": MANAGER},
            ],
            "review_cycles": [{"id": "2026-h2", "name": "Autumn 2026", "opens": "2026-09-01", "closes": "2026-12-15"}],
            "governance": {"due_soon_days": 30, "default_cadence": {"metrics": "quarterly", "dimensions": "annual"}},
            "publish": {"packets": "examples"},
            "review_process": {
                "reviewers_per_packet": 2,
                "calibration": "The panel compares packets per level.",
                "appeal": "Appeals go to a second panel within 30 days.",
                "steps": ["Write a packet.", "Open a pull request.", "The panel decides."],
            },
        },
    )
    for level in LEVELS:
        _dump(
            root / "levels" / f"{level}.yaml",
            {"id": level, "title": TITLES[level], "summary": f"What a {TITLES[level]} does, in one sentence."},
        )
    for order, theme in enumerate(THEMES, 1):
        expectations = {}
        for ladder in (IC, MANAGER):
            for index, level in enumerate(ladder):
                if level in expectations:
                    continue
                items = _criteria(theme, level, LEVELS.index(level) + 1)
                if index:
                    below = ladder[index - 1]
                    items[0]["raises"] = f"{LEVELS.index(below) + 1}1-{theme}"
                expectations[level] = items
        _dump(
            root / "rubrics" / "dimensions" / f"{theme}.yaml",
            {
                "id": theme,
                "name": theme.replace("-", " ").capitalize(),
                "order": order,
                "owner": {"group": "Career framework group", "contact": "framework@fjordline.example"},
                "summary": f"How {theme.replace('-', ' ')} grows from level to level.",
                "expectations": expectations,
                "governance": {"last_reviewed": "2026-06-01"},
            },
        )
    # A packet on the manager track across the branch step, citing a criterion carried up from below.
    _dump(
        root / "packets" / "examples" / "sam-branch.yaml",
        {
            "candidate": "Sam Example",
            "visibility": "example",
            "cycle": "2026-h2",
            "criteria_version": "1.0.0",
            "track": "people-manager",
            "current_level": "3-senior-1",
            "target_level": "4-manager-1",
            "summary": "Took on the team lead role for two quarters.",
            "evidence": [
                {
                    "id": "team-plan",
                    "title": "Team plan for Q3",
                    "kind": "design-review",
                    "link": "https://example.org/plan",
                    "date": "2026-07-01",
                    "role": "author",
                    "criteria": ["71-craft", "32-craft"],
                    "impact": "The team shipped on plan.",
                }
            ],
            "decision": {"status": "submitted"},
        },
    )
    return root
