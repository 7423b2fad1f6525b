"""Property-based: on random event histories, the DuckDB engine agrees with the pure-Python reference."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from teamkit import write_slo, write_team
from teams_reference import budget as reference_budget
from teams_reference import reference
from test_teams_compute import _assert_agree

from generator.check.teams import TeamSettings, check_teams
from generator.compute.dora import Window, dora_counts
from generator.compute.error_budget import budget_counts

BASE = datetime(2026, 3, 1, tzinfo=UTC)
W = Window("w", date(2026, 3, 8), date(2026, 3, 29))


def _at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    n = draw(st.integers(0, 25))
    minute = st.integers(0, 35 * 24 * 60)
    deployments: list[dict[str, Any]] = []
    for index in range(n):
        finished = draw(minute)
        row: dict[str, Any] = {
            "id": f"d{index}",
            "service": "api",
            "environment": draw(st.sampled_from(["production", "production", "staging"])),
            "finished_at": _at(finished),
            "result": draw(st.sampled_from(["success", "success", "failed", "rolled_back"])),
            "changes": [
                {"id": f"c{c}", "committed_at": _at(finished + draw(st.integers(-600, 6000)) * -1)}
                for c in sorted(draw(st.sets(st.integers(0, 30), max_size=4)))
            ],
            "planned": draw(st.booleans()),
        }
        if row["result"] == "rolled_back" and draw(st.booleans()):
            row["rolled_back_at"] = _at(finished + draw(st.integers(0, 600)))
        deployments.append(row)
    incidents: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 8))):
        started = draw(minute)
        row = {
            "id": f"i{index}",
            "service": "api",
            "started_at": _at(started),
            "severity": "sev2",
            "user_impact": "Slow pages",
            "caused_by": draw(st.sampled_from([None, *(d["id"] for d in deployments)])),
        }
        if draw(st.booleans()):
            row["resolved_at"] = _at(started + draw(st.integers(0, 3000)))
        incidents.append(row)
    targets: list[str] = [d["id"] for d in deployments] + [i["id"] for i in incidents]
    for row in deployments:
        if len(targets) > 0 and draw(st.booleans()):
            row["remediates"] = sorted(set(draw(st.lists(st.sampled_from(targets), max_size=2))) - {row["id"]})
    return deployments, incidents


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_engine_agrees_with_reference(history: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    deployments, incidents = history
    root = Path(tempfile.mkdtemp(prefix="teams-prop-"))
    try:
        write_team(root, deployments=deployments, incidents=incidents)
        report = check_teams(root, TeamSettings())
        assert not report.errors, report.errors
        counts = dora_counts(report.teams, [("checkout", W)])[("checkout", "w")]
        _assert_agree(counts, reference(deployments, incidents, W.start, W.end))
    finally:
        shutil.rmtree(root)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 1000), st.integers(0, 1000)), max_size=40, unique_by=lambda r: r[0]
    ),
    st.sampled_from([0.9, 0.99, 0.999]),
)
def test_budget_agrees_with_reference(raw: list[tuple[int, int, int]], target: float) -> None:
    rows = [((date(2026, 3, 1) + timedelta(days=d)).isoformat(), min(a, b), max(a, b)) for d, a, b in raw]
    root = Path(tempfile.mkdtemp(prefix="teams-prop-"))
    try:
        write_slo(write_team(root), "availability", rows, target=target)
        report = check_teams(root, TeamSettings())
        assert not report.errors, report.errors
        got = budget_counts(report.teams, [("checkout", "availability", W)])[("checkout", "availability", "w")]
        expected = reference_budget(rows, W.start, W.end, target)
        assert got.days_counted == expected["days"]
        assert (got.good / got.total if got.total else None) == expected["attainment"]
        bad7, total7 = got.bad_7, got.total_7
        assert ((bad7 / total7) / (1 - target) if total7 else None) == expected["burn_rate_7d"]
    finally:
        shutil.rmtree(root)
