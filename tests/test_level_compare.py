"""The pairing behind "compare two levels" and the "what changes" pages, with known answers from the
framework fixture (tests/framework.py): per dimension `N1` raises the `1` criterion of the level below
on the same ladder, `N2` is new; the two tracks share levels 1-3 and then branch."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import FIXED_TODAY
from framework import THEMES, write_framework

from generator.level_compare import compare_dimension, compare_levels, ordered_pair
from generator.validate import validate_repository


@pytest.fixture(scope="module")
def hb(tmp_path_factory):
    root = write_framework(tmp_path_factory.mktemp("compare") / "handbook")
    report = validate_repository(root, today=date.fromisoformat(FIXED_TODAY))
    assert report.errors == ()
    return report.handbook


def pairs(rows, kind):
    return [(r.before.id if r.before else None, r.after.id if r.after else None) for r in rows if r.kind == kind]


@pytest.mark.parametrize("theme", ["craft", "product-sense"])
def test_an_adjacent_step_pairs_the_raised_criterion_with_the_one_it_replaces(hb, theme):
    rows = compare_dimension(hb, "2-engineer", "3-senior-1", theme)
    assert pairs(rows, "raised") == [(f"21-{theme}", f"31-{theme}")]
    assert pairs(rows, "new") == [(None, f"32-{theme}")]
    assert pairs(rows, "carried") == [(f"12-{theme}", f"12-{theme}"), (f"22-{theme}", f"22-{theme}")]
    assert pairs(rows, "dropped") == []


def test_a_raise_chain_over_two_levels_pairs_the_top_with_the_bottom(hb):
    rows = compare_dimension(hb, "1-associate", "3-senior-1", "craft")
    assert pairs(rows, "raised") == [("11-craft", "31-craft")]  # 31 raises 21, which raised 11
    assert pairs(rows, "new") == [(None, "22-craft"), (None, "32-craft")]
    assert pairs(rows, "carried") == [("12-craft", "12-craft")]


def test_across_the_branch_the_chain_reaches_through_the_shared_levels(hb):
    rows = compare_dimension(hb, "2-engineer", "5-manager-2", "teamwork")
    assert pairs(rows, "raised") == [("21-teamwork", "81-teamwork")]  # 81 -> 71 -> 31 -> 21
    assert pairs(rows, "new") == [(None, "32-teamwork"), (None, "72-teamwork"), (None, "82-teamwork")]
    assert pairs(rows, "carried") == [("12-teamwork", "12-teamwork"), ("22-teamwork", "22-teamwork")]


def test_two_levels_on_different_tracks_show_what_only_the_first_expects(hb):
    rows = compare_dimension(hb, "4-senior-2", "4-manager-1", "craft")
    assert pairs(rows, "carried") == [("12-craft", "12-craft"), ("22-craft", "22-craft"), ("32-craft", "32-craft")]
    assert pairs(rows, "new") == [(None, "71-craft"), (None, "72-craft")]  # 71 raises 31, which Senior 2 also raised
    assert pairs(rows, "dropped") == [("41-craft", None), ("42-craft", None)]
    assert pairs(rows, "raised") == []


def test_the_same_level_carries_everything(hb):
    rows = compare_dimension(hb, "3-senior-1", "3-senior-1", "craft")
    assert {r.kind for r in rows} == {"carried"} and len(rows) == 4  # 12, 22, 31, 32


def test_every_dimension_in_declared_order_and_lower_level_first(hb):
    first, second = ordered_pair(hb, hb.level("5-staff"), hb.level("2-engineer"))
    assert (first.id, second.id) == ("2-engineer", "5-staff")
    assert ordered_pair(hb, hb.level("4-senior-2"), hb.level("4-manager-1")) == (hb.level("4-senior-2"),
                                                                               hb.level("4-manager-1"))
    compared = compare_levels(hb, first, second)
    assert [d.id for d, _ in compared] == THEMES
    assert all(pairs(rows, "raised") == [(f"21-{d.id}", f"51-{d.id}")] for d, rows in compared)
