"""The pairing behind "compare two levels" and the "what changes" pages, with known answers from the
framework fixture (tests/framework.py): per dimension `N1` raises the `1` criterion of the level below
on the same ladder, `N2` is new; the two tracks share levels 1-3 and then branch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXED_TODAY, search
from framework import THEMES, write_framework

from generator.compute.level_compare import ChangeRow, compare_dimension, compare_levels, ordered_pair
from generator.model.handbook import Handbook, Level
from generator.workspace.workspace import validate_repository

pytestmark = pytest.mark.xdist_group("level-compare")  # its module-scoped fixture is built on one worker only


@pytest.fixture(scope="module")
def hb(tmp_path_factory: pytest.TempPathFactory) -> Handbook:
    root = write_framework(tmp_path_factory.mktemp("compare") / "handbook")
    report = validate_repository(root, today=date.fromisoformat(FIXED_TODAY))
    assert report.errors == ()
    return report.handbook


def level(hb: Handbook, level_id: str) -> Level:
    found = hb.level(level_id)
    assert found is not None, level_id
    return found


def pairs(rows: Sequence[ChangeRow], kind: str) -> list[tuple[str | None, str | None]]:
    return [(r.before.id if r.before else None, r.after.id if r.after else None) for r in rows if r.kind == kind]


@pytest.mark.parametrize("theme", ["craft", "product-sense"])
def test_an_adjacent_step_pairs_the_raised_criterion_with_the_one_it_replaces(hb: Handbook, theme: str) -> None:
    rows = compare_dimension(hb, "2-engineer", "3-senior-1", theme)
    assert pairs(rows, "raised") == [(f"21-{theme}", f"31-{theme}")]
    assert pairs(rows, "new") == [(None, f"32-{theme}")]
    assert pairs(rows, "carried") == [(f"12-{theme}", f"12-{theme}"), (f"22-{theme}", f"22-{theme}")]
    assert pairs(rows, "dropped") == []


def test_a_raise_chain_over_two_levels_pairs_the_top_with_the_bottom(hb: Handbook) -> None:
    rows = compare_dimension(hb, "1-associate", "3-senior-1", "craft")
    assert pairs(rows, "raised") == [("11-craft", "31-craft")]  # 31 raises 21, which raised 11
    assert pairs(rows, "new") == [(None, "22-craft"), (None, "32-craft")]
    assert pairs(rows, "carried") == [("12-craft", "12-craft")]


def test_across_the_branch_the_chain_reaches_through_the_shared_levels(hb: Handbook) -> None:
    rows = compare_dimension(hb, "2-engineer", "5-manager-2", "teamwork")
    assert pairs(rows, "raised") == [("21-teamwork", "81-teamwork")]  # 81 -> 71 -> 31 -> 21
    assert pairs(rows, "new") == [(None, "32-teamwork"), (None, "72-teamwork"), (None, "82-teamwork")]
    assert pairs(rows, "carried") == [("12-teamwork", "12-teamwork"), ("22-teamwork", "22-teamwork")]


def test_two_levels_on_different_tracks_show_what_only_the_first_expects(hb: Handbook) -> None:
    rows = compare_dimension(hb, "4-senior-2", "4-manager-1", "craft")
    assert pairs(rows, "carried") == [("12-craft", "12-craft"), ("22-craft", "22-craft"), ("32-craft", "32-craft")]
    assert pairs(rows, "new") == [(None, "71-craft"), (None, "72-craft")]  # 71 raises 31, which Senior 2 also raised
    assert pairs(rows, "dropped") == [("41-craft", None), ("42-craft", None)]
    assert pairs(rows, "raised") == []


def test_the_same_level_carries_everything(hb: Handbook) -> None:
    rows = compare_dimension(hb, "3-senior-1", "3-senior-1", "craft")
    assert {r.kind for r in rows} == {"carried"} and len(rows) == 4  # 12, 22, 31, 32


def test_every_dimension_in_declared_order_and_lower_level_first(hb: Handbook) -> None:
    first, second = ordered_pair(hb, level(hb, "5-staff"), level(hb, "2-engineer"))
    assert (first.id, second.id) == ("2-engineer", "5-staff")
    assert ordered_pair(hb, level(hb, "4-senior-2"), level(hb, "4-manager-1")) == (
        hb.level("4-senior-2"),
        hb.level("4-manager-1"),
    )
    compared = compare_levels(hb, first, second)
    assert [d.id for d, _ in compared] == THEMES
    assert all(pairs(rows, "raised") == [(f"21-{d.id}", f"51-{d.id}")] for d, rows in compared)


def scaled_handbook(root: Path, dimensions: int, levels: int, packet: bool = True) -> Path:
    """One track of `levels` levels, `dimensions` dimensions, each level raising the one below."""
    import yaml

    def dump(path: Path, data: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")

    ids = [f"l{n}" for n in range(1, levels + 1)]
    dump(
        root / "site_config" / "handbook.yaml",
        {
            "organisation": {"name": "Scale Test"},
            "criteria_version": "1.0.0",
            "tracks": [{"id": "main", "name": "Main", "levels": ids}],
            "review_cycles": [{"id": "2026-h2", "name": "Autumn 2026", "opens": "2026-09-01", "closes": "2026-12-15"}],
            "governance": {"due_soon_days": 30, "default_cadence": {"metrics": "quarterly", "dimensions": "annual"}},
            "publish": {"packets": "examples"},
            "review_process": {
                "reviewers_per_packet": 2,
                "calibration": "Compared per level.",
                "appeal": "Within 30 days.",
                "steps": ["Write a packet.", "Open a pull request."],
            },
        },
    )
    for n, level in enumerate(ids, 1):
        dump(
            root / "levels" / f"{level}.yaml",
            {"id": level, "title": f"Level {n}", "summary": f"Level {n} in one line."},
        )
    for d in range(1, dimensions + 1):
        expectations = {
            level: [
                {
                    "id": f"d{d}-{level}-a",
                    "text": f"Does part a of dimension {d} at {level}.",
                    **({"raises": f"d{d}-{ids[n - 1]}-a"} if n else {}),
                },
                {"id": f"d{d}-{level}-b", "text": f"Does part b of dimension {d} at {level}."},
            ]
            for n, level in enumerate(ids)
        }
        dump(
            root / "rubrics" / "dimensions" / f"d{d}.yaml",
            {
                "id": f"d{d}",
                "name": f"Dimension {d}",
                "order": d,
                "owner": {"group": "Framework group", "contact": "framework@example.org"},
                "summary": f"Dimension {d}.",
                "expectations": expectations,
                "governance": {"last_reviewed": "2026-06-01"},
            },
        )
    if packet:
        dump(
            root / "packets" / "examples" / "sam.yaml",
            {
                "candidate": "Sam Example",
                "visibility": "example",
                "cycle": "2026-h2",
                "criteria_version": "1.0.0",
                "track": "main",
                "current_level": "l1",
                "target_level": "l2",
                "summary": "Grew into the next level.",
                "evidence": [
                    {
                        "id": "plan",
                        "title": "Team plan",
                        "kind": "design-review",
                        "link": "https://example.org/plan",
                        "date": "2026-07-01",
                        "role": "author",
                        "criteria": ["d1-l2-a"],
                        "impact": "Shipped on plan.",
                    }
                ],
                "decision": {"status": "submitted"},
            },
        )
    return root


@pytest.mark.parametrize("dimensions, levels, packet", [(1, 2, False), (20, 10, True)])
def test_the_compare_page_embeds_every_pair_for_any_size(
    tmp_path: Path, dimensions: int, levels: int, packet: bool
) -> None:
    """Also: a handbook without example packets builds (the glossary linked a gallery that is not built)."""
    import json

    from conftest import invoke

    root = scaled_handbook(tmp_path / "hb", dimensions, levels, packet)
    result = invoke("build", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (root / "site" / "compare" / "index.html").read_text("utf-8")
    data = json.loads(search(r'<script type="application/json" id="hb-compare-data">(.*?)</script>', html).group(1))
    assert len(data["pairs"]) == levels * (levels - 1) // 2 and len(data["dimensions"]) == dimensions
    top = data["pairs"][f"l1 l{levels}"]
    assert top["first"] == "l1" and all(
        rows[0] == ["raised", f"{d}-l1-a", f"{d}-l{levels}-a"] for d, rows in top["rows"].items()
    )
    assert html.count('<span class="hb-raised">raised</span>') == dimensions  # the default: the first step
