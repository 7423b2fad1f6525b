"""Schema errors point at the offending node, with a JSON path and a plain-language message."""

from __future__ import annotations

from generator.check.schema_check import check
from generator.load.loader import load_bytes

LEVEL = b"""id: ic9
title: Engineer IX
summary: s
scope: s
complexity: s
consistency: s
typical_time_in_level:
  min_months: two
readiness:
  convincing: [a]
  disqualifying: [b]
  sustained_grwth: [c]
"""


def problems(source: bytes, kind: str) -> set[tuple[int, int, str, str]]:
    document = load_bytes(source, f"{kind}.yaml").document
    assert document is not None
    return {(d.line, d.column, d.json_path, d.message) for d in check(document, kind)}


def test_level_errors_are_positioned() -> None:
    found = problems(LEVEL, "level")
    assert (8, 15, "$.typical_time_in_level.min_months", "expected a whole number, found the text 'two'") in found
    assert (
        12,
        3,
        "$.readiness.sustained_grwth",
        "unknown key 'sustained_grwth' (did you mean 'sustained_growth'?)",
    ) in found
    assert not any("missing required key 'sustained_growth'" in f[3] for f in found)  # one mistake, one message
    assert len(found) == 2


def test_missing_key_points_at_the_mapping_that_lacks_it() -> None:
    found = problems(b"advisory: true\nscale:\n  min: 1\n", "composite")
    assert (2, 1, "$.scale", "missing required key 'max'") in found
    assert (1, 1, "$", "missing required key 'components'") in found


def test_enum_suggests_the_nearest_value() -> None:
    source = b"id: x\nname: X\nsubject: teem\n"
    found = problems(source, "metric")
    assert any(line == 3 and col == 10 and "did you mean 'team'" in msg for line, col, _, msg in found)


def test_impossible_date_and_bad_id_and_blank_text() -> None:
    source = (
        b"id: Not An Id\nname: '  '\nlayer: delivery\nsubject: team\npurpose: p\n"
        b"governance: {status: active, last_reviewed: '2026-02-30'}\n"
    )
    found = problems(source, "metric")
    messages = {msg for _, _, _, msg in found}
    assert (
        "'Not An Id' is not a valid id: use lowercase letters, digits and single hyphens, e.g. 'rel-ic4-oncall'"
        in messages
    )
    assert "must not be blank" in messages
    assert "'2026-02-30' is not a real calendar date" in messages
    assert any(path == "$.governance.last_reviewed" and line == 6 for line, _, path, _ in found)


def test_evidence_link_must_be_a_link() -> None:
    source = b'evidence:\n  - link: "https://x.org/\\" onclick=\\"alert(1)"\n'
    found = problems(source, "packet")
    assert any(line == 2 and path == "$.evidence[0].link" and "is not a link" in msg for line, _, path, msg in found)
