"""Coverage found in one pass over the evidence lists, for each criterion, exactly the evidence a
scan per criterion lists: the packet's order, once per piece, repeated ids and citations kept."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

from generator.compute.coverage import packet_coverage
from generator.compute.promotion import packet_criteria
from generator.workspace.workspace import validate_repository

ROOT = Path(__file__).resolve().parent.parent


def test_one_pass_coverage_lists_what_a_scan_per_criterion_lists() -> None:
    handbook = validate_repository(ROOT, today=date(2026, 11, 28)).handbook
    rng = random.Random(25)
    for packet in handbook.packets:
        ids = [c.id for c in packet_criteria(handbook, packet)] + ["not-a-criterion"]
        for _ in range(200):
            evidence = tuple(
                replace(
                    rng.choice(packet.evidence),
                    id=rng.choice(("e1", "e2", "e3", "e4")),  # repeated ids too
                    criteria=tuple(rng.choice(ids) for _ in range(rng.randint(0, 4))),  # cited twice too
                )
                for _ in range(rng.randint(0, 8))
            )
            shuffled = replace(packet, evidence=evidence)
            rows = packet_coverage(handbook, shuffled).rows
            expected = [tuple(e.id for e in evidence if row.criterion.id in e.criteria) for row in rows]
            assert [row.evidence_ids for row in rows] == expected
