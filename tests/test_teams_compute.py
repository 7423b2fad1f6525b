"""Team figures: the DuckDB engine against hand-computed answers and the pure-Python reference."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from teamkit import deployment as dep
from teamkit import incident as inc
from teamkit import write_slo, write_team
from teams_reference import budget as reference_budget
from teams_reference import reference

from generator.check.teams import TeamSettings, TeamsReport, check_teams
from generator.compute.dora import DoraCounts, Window, dora_counts
from generator.compute.error_budget import budget_counts
from generator.compute.teams import dora_figures, team_figures

W = Window("test", date(2026, 9, 1), date(2026, 9, 15))  # two weeks
H = 3600.0

DEPLOYMENTS = [
    dep("d1", "2026-09-01T10:00:00Z", changes=(("c1", "2026-09-01T08:00:00Z"), ("c2", "2026-08-31T10:00:00Z"))),
    dep("d2", "2026-09-02T12:00:00Z", changes=(("c3", "2026-09-02T11:00:00Z"), ("c2", "2026-08-31T10:00:00Z"))),
    dep(
        "d3",
        "2026-09-03T09:00:00Z",
        "rolled_back",
        rolled_back_at="2026-09-03T09:30:00Z",
        changes=(("c4", "2026-09-03T08:00:00Z"),),
    ),
    dep(
        "d4",
        "2026-09-03T15:00:00Z",
        planned=False,
        remediates=["d3"],
        changes=(("c4", "2026-09-03T08:00:00Z"), ("c5", "2026-09-03T16:00:00Z")),
    ),
    dep("d5", "2026-09-04T10:00:00Z", "failed"),
    dep("d6", "2026-09-08T10:00:00Z", changes=(("c6", "2026-09-07T10:00:00Z"),)),
    dep("d7", "2026-09-08T12:30:00+00:00", planned=False, remediates=["i1"], changes=(("c7", "2026-09-08T12:00:00Z"),)),
    dep("d8", "2026-09-09T10:00:00Z", env="staging", changes=(("c8", "2026-09-09T09:00:00Z"),)),
    dep("d9", "2026-09-10T12:00:00+02:00"),  # 10:00 UTC
    dep("d10", "2026-08-20T10:00:00Z", changes=(("c9", "2026-08-18T10:00:00Z"),)),
    dep("d11", "2026-09-11T10:00:00Z", changes=(("c9", "2026-08-18T10:00:00Z"),)),
    dep("d12", "2026-09-15T00:00:00Z"),  # the first instant after W
]
INCIDENTS = [
    inc("i1", "2026-09-08T11:00:00Z", "2026-09-08T13:00:00Z", caused_by="d6"),
    inc("i2", "2026-09-10T11:00:00Z", caused_by="d9"),  # still open
    inc("i3", "2026-09-12T00:00:00Z", "2026-09-12T04:00:00Z"),
    inc("i4", "2026-08-25T00:00:00Z", "2026-08-25T01:00:00Z"),
]


def _checked(root: Path) -> TeamsReport:
    report = check_teams(root, TeamSettings())
    assert not report.errors, report.errors
    return report


def _counts(root: Path, window: Window = W) -> dict[tuple[str, str], DoraCounts]:
    report = _checked(root)
    return dora_counts(report.teams, [(t.id, window) for t in report.teams])


def test_known_answers(tmp_path: Path) -> None:
    write_team(tmp_path, deployments=DEPLOYMENTS, incidents=INCIDENTS)
    c = _counts(tmp_path)[("checkout", "test")]
    assert (c.production, c.successful, c.not_deployed) == (9, 7, 1)
    assert c.per_week == pytest.approx(3.5)
    assert c.median_days_per_week == 3
    # lead times (h): c1 2, c2 24 (first deployed by d1), c3 1, c4 7 (d3 was rolled back), c6 24, c7 0.5,
    # c9 48 (first deployed before W by d10); c5 was committed after d4 finished: left out and counted
    assert (c.lead_time.n, c.lead_time.excluded) == (7, 1)
    assert c.lead_time.p50 == pytest.approx(7 * H)
    assert c.lead_time.p90 == pytest.approx(33.6 * H)
    # d3 rolled back (and remediated by d4), d6 caused i1, d9 caused the open i2
    assert (c.landed, c.failures) == (8, 3)
    assert (c.recovery.n, c.recovery.open) == (2, 1)  # d3: 30 min (rollback before remedy); d6: 2.5 h (d7 fixes i1)
    assert c.recovery.p50 == pytest.approx(1.5 * H)
    assert c.recovery.p90 == pytest.approx(0.5 * H + 0.9 * 2 * H)
    assert (c.restore.n, c.restore.open) == (2, 1)
    assert c.restore.p50 == pytest.approx(3 * H)
    assert c.restore.p90 == pytest.approx(2 * H + 0.9 * 2 * H)
    assert c.rework == 2


def test_engine_agrees_with_reference_on_known_data(tmp_path: Path) -> None:
    write_team(tmp_path, deployments=DEPLOYMENTS, incidents=INCIDENTS)
    _assert_agree(_counts(tmp_path)[("checkout", "test")], reference(DEPLOYMENTS, INCIDENTS, W.start, W.end))


def _assert_agree(c: DoraCounts, expected: dict[str, Any]) -> None:
    got = {
        "production": c.production,
        "successful": c.successful,
        "not_deployed": c.not_deployed,
        "per_week": c.per_week,
        "median_days_per_week": c.median_days_per_week,
        "lead_n": c.lead_time.n,
        "lead_excluded": c.lead_time.excluded,
        "lead_p50": c.lead_time.p50,
        "lead_p90": c.lead_time.p90,
        "landed": c.landed,
        "failures": c.failures,
        "recovery_n": c.recovery.n,
        "recovery_open": c.recovery.open,
        "recovery_p50": c.recovery.p50,
        "recovery_p90": c.recovery.p90,
        "restore_n": c.restore.n,
        "restore_open": c.restore.open,
        "restore_p50": c.restore.p50,
        "restore_p90": c.restore.p90,
        "rework": c.rework,
    }
    for key, value in expected.items():
        assert got[key] == (pytest.approx(value, abs=1e-6) if value is not None else None), key


def test_zero_deployments(tmp_path: Path) -> None:
    write_team(tmp_path, deployments=[], incidents=[])
    c = _counts(tmp_path)[("checkout", "test")]
    assert (c.production, c.successful, c.per_week, c.median_days_per_week) == (0, 0, 0.0, 0.0)
    assert (c.lead_time.n, c.lead_time.p50, c.landed, c.failures, c.recovery.p50, c.restore.n) == (
        0,
        None,
        0,
        0,
        None,
        0,
    )


def test_no_event_files_at_all(tmp_path: Path) -> None:
    write_team(tmp_path)
    c = _counts(tmp_path)[("checkout", "test")]
    assert (c.production, c.lead_time.n, c.restore.n) == (0, 0, 0)


def test_insufficient_data_shows_no_value_and_no_band(tmp_path: Path) -> None:
    write_team(tmp_path, deployments=DEPLOYMENTS, incidents=INCIDENTS)
    c = _counts(tmp_path)[("checkout", "test")]
    figures = {
        f.computation: f for f in dora_figures(c, W, covered=12, settings=TeamSettings(), bands=None, catalogue={})
    }
    frequency = figures["deployment-frequency"]
    assert frequency.value is None and frequency.band is None
    assert frequency.insufficient == "insufficient data (n = 7; at least 10 production deployments needed)"
    assert figures["change-lead-time"].insufficient == "insufficient data (n = 7; at least 20 changes needed)"
    assert figures["failed-deployment-recovery-time"].value is None  # 2 recovered < 3
    few_weeks = dora_figures(c, W, covered=2, settings=TeamSettings(min_deployments=1), bands=None, catalogue={})
    assert all(f.value is None and "2 of the 8 weeks" in (f.insufficient or "") for f in few_weeks)
    relaxed = TeamSettings(min_deployments=1, min_weeks_covered=1, min_changes=1, min_failures=1, min_incidents=1)
    shown = {f.computation: f for f in dora_figures(c, W, covered=2, settings=relaxed, bands=None, catalogue={})}
    assert shown["change-failure-rate"].value == pytest.approx(3 / 8)
    assert shown["change-lead-time"].notes == ("1 change committed after its deployment left out",)


def test_error_budget_known_answers(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    rows = [(f"2026-09-{day:02d}", 900 if day == 10 else 995, 1000) for day in range(1, 15)]
    write_slo(folder, "availability", rows, target=0.99, duration="14d")
    report = _checked(tmp_path)
    counts = budget_counts(report.teams, [("checkout", "availability", W)])[("checkout", "availability", "test")]
    assert (counts.good, counts.total, counts.days_counted, counts.bad_7, counts.total_7) == (
        13835,
        14000,
        14,
        130,
        7000,
    )
    figures = team_figures(report, date(2026, 9, 14))
    budget = figures[0].budgets[0]
    assert budget.window == Window("last 14 days", date(2026, 9, 1), date(2026, 9, 15))
    assert budget.attainment == pytest.approx(13835 / 14000)
    assert budget.allowed_bad == pytest.approx(140)
    assert budget.burned == pytest.approx(165 / 140)
    assert budget.burn_rate_7d == pytest.approx((130 / 7000) / 0.01)
    assert budget.exhausted and figures[0].guidance == "budget_exhausted"
    expected = reference_budget(rows, date(2026, 9, 1), date(2026, 9, 15), 0.99)
    assert (budget.attainment, budget.burned, budget.burn_rate_7d) == pytest.approx(
        (expected["attainment"], expected["burned"], expected["burn_rate_7d"])
    )


def test_error_budget_with_missing_days_is_insufficient(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    write_slo(folder, "latency", [(f"2026-09-{day:02d}", 99, 100) for day in range(1, 12)], duration="14d")
    figures = team_figures(_checked(tmp_path), date(2026, 9, 14))
    budget = figures[0].budgets[0]
    assert budget.burned is None and budget.insufficient is not None and "n = 11 days" in budget.insufficient


def test_csv_events_give_the_same_figures(tmp_path: Path) -> None:
    folder = write_team(tmp_path, incidents=INCIDENTS)
    header = "id,service,environment,finished_at,result,rolled_back_at,planned,remediates,changes"
    rows = [header] + [
        ",".join(
            [
                d["id"],
                d["service"],
                d["environment"],
                d["finished_at"],
                d["result"],
                d.get("rolled_back_at", ""),
                str(d["planned"]).lower() if "planned" in d else "",
                " ".join(d.get("remediates", [])),
                " ".join(f"{c['id']}@{c['committed_at']}" for c in d["changes"]),
            ]
        )
        for d in DEPLOYMENTS
    ]
    (folder / "deployments.csv").write_text("\n".join(rows) + "\n", "utf-8")
    _assert_agree(_counts(tmp_path)[("checkout", "test")], reference(DEPLOYMENTS, INCIDENTS, W.start, W.end))


def test_timeslices_count_good_days(tmp_path: Path) -> None:
    folder = write_team(tmp_path)
    rows = [(f"2026-09-{day:02d}", 98 if day in (3, 9) else 100, 100) for day in range(1, 15)]
    write_slo(folder, "checkout", rows, target=0.9, duration="14d", method="Timeslices", slice_target=0.99)
    budget = team_figures(_checked(tmp_path), date(2026, 9, 14))[0].budgets[0]
    assert budget.method == "Timeslices"
    assert budget.attainment == pytest.approx(12 / 14)  # two days below 99% good
    assert budget.burned == pytest.approx(2 / (0.1 * 14))
    assert budget.burn_rate_7d is None  # a rate over events, not defined for slices


# --- dates at the ends of the calendar Python computes -------------------------------------------------------


def test_quarters_are_labelled_with_four_digit_years() -> None:
    from generator.compute.teams import parse_period, trend_windows

    assert [w.label for w in trend_windows(parse_period("0001-Q4"))] == ["0001-Q1", "0001-Q2", "0001-Q3", "0001-Q4"]
    assert parse_period("0999-Q2").label == "0999-Q2"


@pytest.mark.parametrize(
    "args",
    [
        ("--period", "0001-Q1"),
        ("--period", "0001-Q3"),
        ("--period", "9999-Q4"),
        ("--period", "0000-Q1"),
        ("--today", "0001-01-05"),
        ("--today", "0001-09-30"),  # the trend's first quarter would be 0000-Q4
        ("--today", "9999-12-30"),  # its quarter ends on 1 January 10000
        ("--today", "9999-12-31"),
        ("show", "checkout", "--period", "0001-Q2"),
        ("show", "checkout", "--today", "0001-06-01"),
    ],
)
def test_a_date_whose_windows_leave_the_calendar_is_a_usage_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    from conftest import invoke

    write_slo(
        write_team(tmp_path, deployments=DEPLOYMENTS, incidents=INCIDENTS), "availability", [("2026-09-01", 1, 1)]
    )
    result = invoke("teams", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr and "OverflowError" not in result.stderr
    [message] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "cannot compute figures" in message or "not a quarter the tool can compute" in message, message


def test_the_first_and_last_computable_dates_have_figures(tmp_path: Path) -> None:
    from conftest import invoke

    write_team(tmp_path, deployments=DEPLOYMENTS, incidents=INCIDENTS)
    for args in (
        ("--period", "0001-Q4"),
        ("--period", "9999-Q3"),
        ("--today", "0001-12-31"),
        ("--today", "9999-09-29"),
    ):
        result = invoke("teams", *args, "--format", "json", cwd=tmp_path)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert '"0001-Q4"' in invoke("teams", "--period", "0001-Q4", "--format", "json", cwd=tmp_path).stdout


def test_an_slo_window_reaching_before_year_one_is_refused(tmp_path: Path) -> None:
    from generator.compute.teams import check_windows

    check_windows(date(20, 1, 1), 90, None, (28,))
    with pytest.raises(ValueError, match="cannot compute figures for 0020-01-01 as today"):
        check_windows(date(20, 1, 1), 90, None, (999 * 7,))  # a 999-week SLO window starts before year 1


def test_each_computation_has_a_connection_whose_tables_no_other_sees() -> None:
    """The process shares one in-memory database (opening one costs ~25 ms); each computation gets
    a connection of its own, so its temporary tables never leak into another's counts."""
    from generator.compute.dora import connect

    first, second = connect(), connect()
    first.execute("CREATE TEMP TABLE deploy (id VARCHAR); INSERT INTO deploy VALUES ('leaked')")
    second.execute("CREATE TEMP TABLE deploy (id VARCHAR)")
    assert second.execute("SELECT count(*) FROM deploy").fetchone() == (0,)
    assert first.execute("SELECT count(*) FROM deploy").fetchone() == (1,)
    first.close()
    assert connect().execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)


def test_small_event_files_are_read_with_one_thread_large_ones_with_two(tmp_path: Path) -> None:
    """On a handbook's few thousand events a second thread only costs CPU; on an organisation's
    million it halves the wait."""
    from generator.compute.dora import ONE_THREAD_BYTES, connect

    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_text("{}\n", "utf-8")
    with large.open("wb") as handle:
        handle.truncate(ONE_THREAD_BYTES)  # sparse: its size is what counts

    def threads(files: list[Path | None]) -> object:
        row = connect(files).execute("SELECT current_setting('threads')").fetchone()
        return row[0] if row else None

    assert threads([small, None, tmp_path / "missing.jsonl"]) == 1
    assert threads([small, large]) == 2
    assert threads([]) == 1


def _tables_a_child_sees(_: int) -> list[str]:
    from generator.compute.dora import connect

    return [row[0] for row in connect().execute("SELECT table_name FROM duckdb_tables()").fetchall()]


def test_a_forked_child_opens_a_database_of_its_own() -> None:
    """A process pool forks after the parent has opened its database; the child must open its own
    rather than use the parent's, whose worker threads the child does not have."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from generator.compute.dora import connect

    parent = connect()
    parent.execute("CREATE TABLE parents_marker (x INTEGER)")  # a table of the database, not temporary
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
            seen = pool.submit(_tables_a_child_sees, 0).result(timeout=60)
        assert "parents_marker" in [
            row[0] for row in connect().execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
        assert "parents_marker" not in seen
    finally:
        parent.execute("DROP TABLE parents_marker")
