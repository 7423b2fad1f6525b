"""The repository's own content is the default handbook: complete and schema-aware in editors."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import REPO

from generator.load.repository import SourceFile, discover
from generator.workspace.workspace import validate_repository

SOURCES, _ = discover(REPO)


@pytest.mark.parametrize("source", SOURCES, ids=[s.display for s in SOURCES])
def test_every_file_starts_with_a_schema_modeline_that_resolves(source: SourceFile) -> None:
    first = source.path.read_text("utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    schema = (source.path.parent / first.removeprefix(prefix)).resolve()
    assert schema == REPO / "generator" / "check" / "schemas" / f"{source.kind}.schema.json"


def test_default_content_is_complete() -> None:
    hb = validate_repository(REPO, today=date(2026, 11, 28)).handbook
    assert len(hb.track_levels("ic")) >= 5 and len(hb.track_levels("management")) >= 2
    assert [d.id for d in hb.ordered_dimensions] == ["delivery", "reliability", "collaboration"]
    assert [(g and g.id, [d.id for d in dims]) for g, dims in hb.dimension_groups] == [
        ("delivery", ["delivery"]),
        ("reliability", ["reliability"]),
        ("collaboration", ["collaboration"]),
    ]
    for level in hb.levels:
        for dim in hb.dimensions:
            assert dim.criteria_for(level.id), f"{dim.id} has no criteria for {level.id}"
    dora = {m.id for m in hb.metrics if m.dora}
    assert dora == {
        "deployment-frequency",
        "change-lead-time",
        "change-failure-rate",
        "failed-deployment-recovery-time",
        "deployment-rework-rate",
    }
    assert {"slo-attainment", "error-budget-burn"} <= {m.id for m in hb.metrics}
    examples = [p for p in hb.packets if p.is_example]
    assert len(examples) >= 3
    assert {p.decision.status for p in examples} >= {"promoted", "not-yet"}
    assert any(sum(e.invisible_work for e in p.evidence) >= 3 for p in examples)
    assert hb.composite is not None
    assert any(g.dimension == "reliability" for g in hb.composite.gates)
