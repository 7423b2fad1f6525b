"""Teams benchmark: validate and compute every team's figures at scale, beside a plain DuckDB query.

    python -m benchmarks.teams            # 200 teams, ~1,000,000 deployments, ~100,000 incidents, 2 years of SLO counts
    python -m benchmarks.teams --quick    # 20 teams, a tenth of the events

Data is generated once into a temporary folder (kept for reruns: --data DIR), never into the repository.
Figures are medians of --repeat runs in this process; they are not assertions and no test depends on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from multiprocessing import Pool
from pathlib import Path
from typing import TypeVar

from .teams_synth import generate_team

T = TypeVar("T")

TODAY = date(2026, 11, 28)
START = date(2024, 11, 29)  # two years of events up to TODAY


def _one(args: tuple[str, int, float]) -> tuple[int, int]:
    folder, number, per_day = args
    return generate_team(
        Path(folder),
        f"team-{number:03d}",
        name=f"Team {number:03d}",
        start=START,
        end=date(2026, 11, 29),
        per_day=per_day,
        seed=number,
        incident_share=0.125,
    )


def generate(folder: Path, teams: int, per_day: float) -> tuple[int, int]:
    marker = folder / f".generated-{teams}-{per_day}"
    if marker.exists():
        deployments, incidents = marker.read_text().split()
        return int(deployments), int(incidents)
    (folder / "site_config").mkdir(parents=True, exist_ok=True)
    with Pool(2) as pool:
        counts = pool.map(_one, [(str(folder), n, per_day) for n in range(teams)])
    totals = sum(c[0] for c in counts), sum(c[1] for c in counts)
    marker.write_text(f"{totals[0]} {totals[1]}")
    return totals


def timed(function: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median seconds of `repeat` calls, and the last call's result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def plain_duckdb(folder: Path) -> object:
    """What a hand-written query costs: weekly successful production deployments and the lead-time median per team."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    return con.execute(f"""
        WITH d AS (SELECT filename, CAST(finished_at AS TIMESTAMPTZ) AS t, result, environment, changes
                   FROM read_json('{folder}/teams/*/deployments.jsonl', format = 'newline_delimited', filename = true)),
        c AS (SELECT filename, t, unnest(changes) AS change FROM d
              WHERE result = 'success' AND environment = 'production' AND t >= TIMESTAMPTZ '2026-08-31')
        SELECT filename, count(DISTINCT t) / (90 / 7.0),
               median(epoch(t) - epoch(CAST(change.committed_at AS TIMESTAMPTZ)))
        FROM c GROUP BY filename""").fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None)
    options = parser.parse_args()
    teams, per_day = (20, 0.7) if options.quick else (200, 6.95)
    folder = options.data or Path(tempfile.gettempdir()) / f"handbook-teams-bench-{teams}"
    start = time.perf_counter()
    deployments, incidents = generate(folder, teams, per_day)
    print(
        f"data: {teams} teams, {deployments:,} deployments, {incidents:,} incidents, "
        f"{teams * 730:,} daily SLO rows in {folder} (ready in {time.perf_counter() - start:.0f} s)"
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from generator.check.teams import check_teams
    from generator.compute.teams import team_figures
    from generator.load.cache import ResultCache

    check_seconds, report = timed(lambda: check_teams(folder), options.repeat)
    assert not report.errors, report.errors[:3]
    with tempfile.TemporaryDirectory() as cache_folder:
        cache = ResultCache(Path(cache_folder))
        check_teams(folder, cache=cache)  # fills the cache
        warm_seconds, _ = timed(lambda: check_teams(folder, cache=cache), options.repeat)
    compute_seconds, figures = timed(lambda: team_figures(report, TODAY), options.repeat)
    plain_seconds, _ = timed(lambda: plain_duckdb(folder), options.repeat)
    total = check_seconds + compute_seconds
    rows = [
        ("validate every team's files (no cache)", check_seconds),
        ("validate, unchanged files (warm cache)", warm_seconds),
        ("compute every figure (W + 4 quarters, SLOs)", compute_seconds),
        ("validate + compute (no cache)", total),
        ("validate + compute (warm cache)", warm_seconds + compute_seconds),
        ("plain duckdb: one hand-written query over the same files", plain_seconds),
    ]
    print(f"cores: {os.cpu_count()}, teams with figures: {len(figures)}")
    for label, seconds in rows:
        print(f"  {label:58s} {seconds:6.2f} s")
    print(
        f"  target: validate + compute <= 5 s on 2 cores: {'met' if total <= 5 else 'NOT met'} without a cache, "
        f"{'met' if warm_seconds + compute_seconds <= 5 else 'NOT met'} with a warm one"
    )


if __name__ == "__main__":
    main()
