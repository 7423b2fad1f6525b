"""Each differencing attack from issue 14 is a test that can no longer recover one person's value."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_content

from generator.check import assemble
from generator.compute.aggregates import Aggregates, protect_counts, write_export
from generator.compute.process_health import process_health
from generator.model.handbook import CheckedHandbook, Handbook, Packet, checked
from generator.workspace.workspace import validate_repository

TODAY = date(2026, 11, 28)  # 2026-h1 (closes 2026-06-12) has closed; 2026-h2 (closes 2026-12-11) is open
SUBMITTED = date(2026, 5, 4)


pytestmark = pytest.mark.xdist_group("aggregates")  # its module-scoped fixture is built on one worker only


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> CheckedHandbook:
    return checked(validate_repository(copy_content(tmp_path_factory.mktemp("agg")), today=TODAY).handbook)


def make(
    name: str,
    cycle: str = "2026-h1",
    status: str = "promoted",
    days: int = 30,
    ratings: tuple[int, ...] = (3, 3),
    appeal: str | None = None,
    full: bool = False,
) -> Packet:
    criteria = (
        [
            "del-ic2-features",
            "del-ic2-estimates",
            "rel-ic2-oncall",
            "rel-ic2-observability",
            "col-ic2-reviews",
            "col-ic2-onboarding",
        ]
        if full
        else ["del-ic2-features"]
    )
    data: dict[str, Any] = {
        "candidate": name,
        "visibility": "private",
        "cycle": cycle,
        "criteria_version": "1.3.0",
        "track": "ic",
        "current_level": "ic1",
        "target_level": "ic2",
        "summary": "s",
        "evidence": [
            {
                "id": "e",
                "title": "t",
                "kind": "pull-request",
                "link": "https://example.com",
                "date": "2026-03-01",
                "role": "author",
                "criteria": criteria,
                "impact": "i",
            }
        ],
        "assessments": [
            {"reviewer": f"r{i}", "ratings": {"delivery": r, "reliability": 3, "collaboration": 3}}
            for i, r in enumerate(ratings)
        ],
        "decision": {
            "status": status,
            **({"date": (SUBMITTED + timedelta(days=days)).isoformat()} if status in ("promoted", "not-yet") else {}),
        },
    }
    if appeal:
        data["appeal"] = {"filed": "2026-07-01", "status": appeal}
    return assemble.packet(f"packets/{cycle}/{name}.yaml", data)


def health(hb: Handbook, packets: Sequence[Packet], today: date = TODAY) -> Aggregates:
    dates = {p.file: SUBMITTED for p in packets}
    return process_health(replace(hb, packets=tuple(packets)), dates, today)


def published(aggregates: Aggregates, cycle: str = "2026-h1") -> dict[str, list[tuple[str, float | None]]]:
    found = next(c for c in aggregates.cycles if c.cycle == cycle)
    return {f.id: [(c.label, c.value) for c in f.cells] for f in found.figures}


def export(tmp_path: Path, aggregates: Aggregates, today: date = TODAY) -> Any:  # parsed JSON
    path = tmp_path / "process-health.json"
    write_export(path, aggregates, today)
    return json.loads(path.read_text())


def test_one_packet_added_to_a_group_of_five_reveals_nothing(handbook: CheckedHandbook, tmp_path: Path) -> None:
    """Attack: publish spread over 5, add her packet, publish again: 1 -> 1.5, so hers was 4."""
    five = [make(f"p{i}", ratings=(3, 4)) for i in range(5)]
    first = export(tmp_path, health(handbook, five))
    hers = make("her", ratings=(1, 5), status="not-yet", full=True)
    second = export(tmp_path, health(handbook, [*five, hers]))
    assert second["cycles"] == first["cycles"]  # published once: a closed cycle's figures never change
    live = published(health(handbook, [*five, hers]))
    assert live["reviewer-spread"] != published(health(handbook, five))["reviewer-spread"]  # the live figure would


def test_each_merged_decision_does_not_show_on_the_next_publish(handbook: CheckedHandbook, tmp_path: Path) -> None:
    """Attack: every merged decision shows as +1 in a count on the next publish."""
    pending = [make(f"p{i}", cycle="2026-h2", status="submitted") for i in range(8)]
    assert published(health(handbook, pending), "2026-h2") == {}  # open cycle: nothing at all
    decided = [make(f"p{i}", cycle="2026-h2") if i == 0 else p for i, p in enumerate(pending)]
    assert published(health(handbook, decided), "2026-h2") == {}
    closed = TODAY.replace(month=12, day=20)
    first = export(tmp_path, health(handbook, decided, closed), closed)
    late = [make(f"p{i}", cycle="2026-h2") if i < 2 else p for i, p in enumerate(pending)]
    assert export(tmp_path, health(handbook, late, closed), closed)["cycles"] == first["cycles"]


@pytest.mark.parametrize(
    "statuses",
    [
        ["promoted"] * 5,
        ["not-yet"] * 5,
        ["promoted"] * 4 + ["not-yet"],
        ["promoted"] * 6 + ["not-yet"] * 2,
        ["not-yet"] * 9 + ["withdrawn"],
    ],
)
def test_a_small_group_with_one_outcome_does_not_reveal_everyone(
    handbook: CheckedHandbook, statuses: list[str]
) -> None:
    """Attack: a group of exactly 5 with one outcome (5 promoted, 0 otherwise) reveals all five."""
    packets = [make(f"p{i}", status=s) for i, s in enumerate(statuses)]
    outcome_cells = published(health(handbook, packets))["outcomes"]
    hidden = [label for label, value in outcome_cells if value is None]
    total = len(packets)
    shown = sum(value for _, value in outcome_cells if value is not None)
    assert len(hidden) != 1 and (not hidden or total - shown >= 5)
    assert all(value is None or value >= 5 for _, value in outcome_cells)
    assert not any(value == total for _, value in outcome_cells)  # never "all of them"


def test_a_typical_time_over_five_is_no_one_persons_value(handbook: CheckedHandbook) -> None:
    """Attack: a median over 5 is one person's value."""
    days = [10, 20, 30, 40, 90]
    packets = [make(f"p{i}", days=d) for i, d in enumerate(days)]
    [(_, typical)] = published(health(handbook, packets))["typical-days-to-decision"]
    assert typical == 38 and typical not in days
    fewer = published(health(handbook, packets[:4] + [make("w", status="withdrawn")]))
    assert fewer["typical-days-to-decision"] == [("Typical days from submission to decision", None)]


def test_a_suppressed_cycle_counts_in_no_other_figure(handbook: CheckedHandbook) -> None:
    """Attack: a suppressed cycle's packets still counted in the global histogram and appeals count."""
    h1 = [make(f"p{i}", appeal="upheld" if i < 5 else None, days=20 + 5 * i) for i in range(11)]
    small = [make(f"s{i}", cycle="2026-h2", status="not-yet", days=200, appeal="overturned") for i in range(2)]
    later = TODAY.replace(month=12, day=20)
    with_small, without = health(handbook, [*h1, *small], later), health(handbook, h1, later)
    assert with_small == without  # adding the suppressed group changes nothing anyone can see
    assert next(c for c in with_small.cycles if c.cycle == "2026-h2").status == "suppressed"
    assert published(with_small, "2026-h2") == {}


def test_no_hidden_count_can_be_worked_out_from_the_total() -> None:
    for counts in product(range(0, 9), repeat=3):
        if sum(counts) < 5:
            continue
        protected = protect_counts(counts, 5)
        hidden = [i for i, v in enumerate(protected) if v is None]
        assert all(v is None or v >= 5 for v in protected), counts
        if hidden:
            assert len(hidden) >= 2 and sum(counts[i] for i in hidden) >= 5, counts


def test_counts_can_be_rounded(handbook: CheckedHandbook, tmp_path: Path) -> None:
    settings = replace(handbook.settings, round_counts_to=5, minimum_group_size=5)
    packets = (
        [make(f"p{i}") for i in range(7)]
        + [make(f"n{i}", status="not-yet") for i in range(6)]
        + [make(f"w{i}", status="withdrawn") for i in range(5)]
    )
    result = health(replace(handbook, settings=settings), packets)
    assert published(result)["outcomes"] == [("promoted", 5), ("not yet", 5), ("in review", None), ("withdrawn", None)]
    assert next(c for c in result.cycles if c.cycle == "2026-h1").packets == 20  # 18, rounded
