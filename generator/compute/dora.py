"""DORA figures from committed events, as SQL that DuckDB runs straight over the JSON Lines and CSV files.

Why DuckDB: it reads JSON Lines and CSV directly (no import step, no server), runs on both cores,
and lets each definition be written as one readable query, as Four Keys does with BigQuery SQL.
Every query below is the definition in the README ("Team figures"), clause by clause. The figures
are only numbers per (team, window); compute/teams.py stamps them, applies minimum data and bands.

Medians and p90 are `quantile_cont` (linear interpolation between closest ranks), which is exactly
`statistics.median` and `statistics.quantiles(x, n=10, method="inclusive")[8]`."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

from ..check.teams import Team


@dataclass(frozen=True)
class Window:
    """[start, end) in whole UTC days: `end` is the day after the last day counted."""

    label: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def weeks(self) -> float:
        return self.days / 7

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


@dataclass(frozen=True)
class Durations:
    """Values in seconds: p50, p90 and n (values counted), with what was left out and why."""

    n: int
    p50: float | None
    p90: float | None
    excluded: int = 0  # lead time: values <= 0 (committed after deploying)
    open: int = 0  # recovery / restore: not recovered (resolved) yet


@dataclass(frozen=True)
class DoraCounts:
    """One team's raw figures in one window."""

    production: int  # production deployments in W, any result
    successful: int
    not_deployed: int  # result `failed`: never reached production, counted apart
    per_week: float  # successful production deployments / weeks in W
    median_days_per_week: float  # over zero-filled 7-day blocks of W
    landed: int  # success or rolled_back: the change failure rate's denominator
    failures: int
    lead_time: Durations
    recovery: Durations
    restore: Durations
    rework: int  # successful, planned: false, non-empty remediates


_TABLES = """
SET TimeZone = 'UTC';
CREATE TEMP TABLE deploy (team VARCHAR, id VARCHAR, service VARCHAR, environment VARCHAR, finished_at TIMESTAMPTZ,
    result VARCHAR, rolled_back_at TIMESTAMPTZ, planned BOOLEAN, remediates VARCHAR[],
    changes STRUCT(id VARCHAR, committed_at TIMESTAMPTZ)[]);
CREATE TEMP TABLE incident (team VARCHAR, id VARCHAR, service VARCHAR, started_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ, caused_by VARCHAR);
CREATE TEMP TABLE windows (team VARCHAR, label VARCHAR, w_start TIMESTAMPTZ, w_end TIMESTAMPTZ, days INTEGER);
CREATE TEMP TABLE production_environment (name VARCHAR);
CREATE TEMP TABLE event_file (file VARCHAR, team VARCHAR);
"""

_DEPLOY_JSON = """
INSERT INTO deploy
SELECT f.team, d.id, d.service, d.environment, d.finished_at, d.result, d.rolled_back_at, coalesce(d.planned, true),
       coalesce(d.remediates, []), coalesce(d.changes, [])
FROM read_json(?, format = 'newline_delimited', filename = true, timestampformat = 'iso', columns = {
        id: 'VARCHAR', service: 'VARCHAR', environment: 'VARCHAR', finished_at: 'TIMESTAMPTZ', result: 'VARCHAR',
        rolled_back_at: 'TIMESTAMPTZ', planned: 'BOOLEAN', remediates: 'VARCHAR[]',
        changes: 'STRUCT(id VARCHAR, committed_at TIMESTAMPTZ)[]'}) AS d
JOIN event_file AS f ON f.file = d.filename
"""

# CSV: lists are space-separated; a change is `id@committed_at`.
_DEPLOY_CSV = """
INSERT INTO deploy
SELECT ?, id, service, environment, CAST(finished_at AS TIMESTAMPTZ), result, CAST(rolled_back_at AS TIMESTAMPTZ),
       coalesce(CAST(planned AS BOOLEAN), true), coalesce(list_filter(string_split(remediates, ' '), lambda x: x <> ''), []),
       list_transform(list_filter(string_split(coalesce(changes, ''), ' '), lambda x: x <> ''),
                      lambda x: {'id': regexp_extract(x, '^(.*)@([^@]*)$', 1),
                            'committed_at': CAST(regexp_extract(x, '^(.*)@([^@]*)$', 2) AS TIMESTAMPTZ)})
FROM (SELECT {columns} FROM read_csv(?, header = true, all_varchar = true))
"""

_INCIDENT_JSON = """
INSERT INTO incident
SELECT f.team, i.id, i.service, i.started_at, i.resolved_at, i.caused_by
FROM read_json(?, format = 'newline_delimited', filename = true, timestampformat = 'iso', columns = {
        id: 'VARCHAR', service: 'VARCHAR', started_at: 'TIMESTAMPTZ', resolved_at: 'TIMESTAMPTZ', caused_by: 'VARCHAR'}) AS i
JOIN event_file AS f ON f.file = i.filename
"""

_INCIDENT_CSV = """
INSERT INTO incident
SELECT ?, id, service, CAST(started_at AS TIMESTAMPTZ), CAST(resolved_at AS TIMESTAMPTZ), caused_by
FROM (SELECT {columns} FROM read_csv(?, header = true, all_varchar = true))
"""

_DEFINITIONS = """
-- Production deployments.
CREATE TEMP VIEW prod AS
SELECT * FROM deploy WHERE environment IN (SELECT name FROM production_environment);

-- From the first window's start to the last one's end: no figure counts a deployment outside it.
CREATE TEMP TABLE span AS SELECT min(w_start) AS first, max(w_end) AS last FROM windows;

-- Every (deployment, id it remediates) pair, of any deployment of the team.
CREATE TEMP TABLE remediation AS
SELECT team, id AS by_id, finished_at AS by_at, result AS by_result, unnest(remediates) AS target FROM deploy;

-- Incidents each deployment caused: how many, how many resolved, the latest resolution.
CREATE TEMP TABLE caused AS
SELECT team, caused_by AS deployment, count(*) AS incidents, count(resolved_at) AS resolved,
       max(resolved_at) AS last_resolved
FROM incident WHERE caused_by IS NOT NULL GROUP BY ALL;

-- Production deployments that reached production (success or rolled_back): did each fail, and when did it recover?
-- Failed: rolled back, caused an incident, or named in a later deployment's `remediates`.
-- Recovered: the earliest of rolled_back_at; the first later successful deployment remediating it or an
-- incident it caused; the latest resolved_at of the incidents it caused (when all are resolved).
CREATE TEMP TABLE landed AS
WITH counted AS (  -- only deployments inside the windows' span can count
    SELECT d.* EXCLUDE (changes) FROM prod AS d, span
    WHERE d.result IN ('success', 'rolled_back') AND d.finished_at >= span.first AND d.finished_at < span.last),
named AS (
    SELECT d.team, d.id, min(r.by_at) FILTER (WHERE r.by_result = 'success') AS fixed_at
    FROM counted AS d JOIN remediation AS r ON r.team = d.team AND r.target = d.id AND r.by_at > d.finished_at
    GROUP BY ALL),
incident_fixed AS (
    SELECT d.team, d.id, min(r.by_at) AS fixed_at
    FROM counted AS d
    JOIN incident AS i ON i.team = d.team AND i.caused_by = d.id
    JOIN remediation AS r ON r.team = d.team AND r.target = i.id AND r.by_at > d.finished_at AND r.by_result = 'success'
    GROUP BY ALL)
SELECT d.team, d.id, d.finished_at,
       (d.result = 'rolled_back' OR c.deployment IS NOT NULL OR n.id IS NOT NULL) AS failed,
       -- least() skips the times that are NULL (NULL only when all are)
       least(d.rolled_back_at, n.fixed_at, f.fixed_at, CASE WHEN c.resolved = c.incidents THEN c.last_resolved END)
           AS recovered_at
FROM counted AS d
LEFT JOIN caused AS c ON c.team = d.team AND c.deployment = d.id
LEFT JOIN named AS n ON n.team = d.team AND n.id = d.id
LEFT JOIN incident_fixed AS f ON f.team = d.team AND f.id = d.id;

-- Each change's first successful production deployment (ties: the lower deployment id).
CREATE TEMP TABLE change_deployed AS
SELECT team, deployment, deployed_at, change.id AS change_id, change.committed_at AS committed_at
FROM (SELECT team, id AS deployment, finished_at AS deployed_at, unnest(changes) AS change
      FROM prod WHERE result = 'success');
CREATE TEMP TABLE change_first AS
SELECT team, change_id, min(deployed_at) AS deployed_at,
       arg_min(committed_at, {'at': deployed_at, 'deployment': deployment}) AS committed_at
FROM change_deployed
WHERE (team, change_id) IN (  -- only changes deployed inside the windows' span can count
    SELECT team, change_id FROM change_deployed, span WHERE deployed_at >= span.first AND deployed_at < span.last)
GROUP BY team, change_id;
"""

_FREQUENCY = """
-- Deployment frequency, rework, and deployments that never reached production.
SELECT w.team, w.label,
       count(d.id) AS production,
       count(d.id) FILTER (WHERE d.result = 'success') AS successful,
       count(d.id) FILTER (WHERE d.result = 'failed') AS not_deployed,
       count(d.id) FILTER (WHERE d.result = 'success') / (w.days / 7.0) AS per_week,
       count(d.id) FILTER (WHERE d.result = 'success' AND NOT d.planned AND len(d.remediates) > 0) AS rework
FROM windows AS w
LEFT JOIN prod AS d ON d.team = w.team AND d.finished_at >= w.w_start AND d.finished_at < w.w_end
GROUP BY w.team, w.label, w.days
"""

_DAYS_PER_WEEK = """
-- Days with at least one successful production deployment, per 7-day block of W (the last block may be shorter),
-- zero-filled; the median over the blocks.
WITH blocks AS (
    SELECT w.team, w.label, b.block FROM windows AS w, range(CAST(ceil(w.days / 7.0) AS BIGINT)) AS b(block)),
active AS (
    SELECT w.team, w.label, floor((epoch(d.finished_at) - epoch(w.w_start)) / 604800) AS block,
           count(DISTINCT CAST(d.finished_at AS DATE)) AS days
    FROM windows AS w
    JOIN prod AS d ON d.team = w.team AND d.finished_at >= w.w_start AND d.finished_at < w.w_end
    WHERE d.result = 'success'
    GROUP BY ALL)
SELECT b.team, b.label, quantile_cont(coalesce(a.days, 0), 0.5) AS median_days
FROM blocks AS b LEFT JOIN active AS a USING (team, label, block)
GROUP BY ALL
"""

_LEAD_TIME = """
-- Lead time: every distinct change in a successful production deployment in W, timed from its commit to its
-- FIRST successful production deployment. Values <= 0 are left out and counted.
WITH in_window AS (
    SELECT DISTINCT w.team, w.label, c.change_id
    FROM windows AS w
    JOIN change_deployed AS c ON c.team = w.team AND c.deployed_at >= w.w_start AND c.deployed_at < w.w_end),
timed AS (
    SELECT i.team, i.label, epoch(f.deployed_at) - epoch(f.committed_at) AS seconds
    FROM in_window AS i JOIN change_first AS f USING (team, change_id))
SELECT team, label, count(*) FILTER (WHERE seconds > 0) AS n, count(*) FILTER (WHERE seconds <= 0) AS excluded,
       quantile_cont(seconds, 0.5) FILTER (WHERE seconds > 0) AS p50,
       quantile_cont(seconds, 0.9) FILTER (WHERE seconds > 0) AS p90
FROM timed GROUP BY ALL
"""

_FAILURES = """
-- Change failure rate and failed deployment recovery time.
SELECT w.team, w.label, count(l.id) AS landed, count(l.id) FILTER (WHERE l.failed) AS failures,
       count(l.id) FILTER (WHERE l.failed AND l.recovered_at IS NOT NULL) AS recovered,
       count(l.id) FILTER (WHERE l.failed AND l.recovered_at IS NULL) AS open,
       quantile_cont(epoch(l.recovered_at) - epoch(l.finished_at), 0.5) FILTER (WHERE l.failed) AS p50,
       quantile_cont(epoch(l.recovered_at) - epoch(l.finished_at), 0.9) FILTER (WHERE l.failed) AS p90
FROM windows AS w
LEFT JOIN landed AS l ON l.team = w.team AND l.finished_at >= w.w_start AND l.finished_at < w.w_end
GROUP BY ALL
"""

_RESTORE = """
-- Time to restore: incidents that started in W, resolved_at - started_at; unresolved ones are open.
SELECT w.team, w.label, count(i.resolved_at) AS n, count(i.id) - count(i.resolved_at) AS open,
       quantile_cont(epoch(i.resolved_at) - epoch(i.started_at), 0.5) AS p50,
       quantile_cont(epoch(i.resolved_at) - epoch(i.started_at), 0.9) AS p90
FROM windows AS w
LEFT JOIN incident AS i ON i.team = w.team AND i.started_at >= w.w_start AND i.started_at < w.w_end
GROUP BY ALL
"""

DEPLOYMENT_COLUMNS = (
    "id",
    "service",
    "environment",
    "finished_at",
    "result",
    "rolled_back_at",
    "planned",
    "remediates",
    "changes",
)
INCIDENT_COLUMNS = ("id", "service", "started_at", "resolved_at", "caused_by")


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


# Below this much event data one thread does the work with less CPU: on a handbook's few thousand
# events, a second thread only adds the cost of handing work over (a fifth more CPU per figure set).
ONE_THREAD_BYTES = 4 * 1024 * 1024


def connect(files: Iterable[Path | None] = ()) -> duckdb.DuckDBPyConnection:
    """A connection of its own to the process's in-memory database: its temporary tables and views
    are invisible to every other connection, so computations never see each other's rows. `files`
    (the event files the computation reads) decides how many threads the database runs."""
    database = _database(os.getpid())
    size = sum(_size(path) for path in files if path is not None)
    database.execute(f"SET threads TO {1 if size < ONE_THREAD_BYTES else 2}")
    return database.cursor()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@functools.cache
def _database(process: int) -> duckdb.DuckDBPyConnection:
    """Opening an in-memory DuckDB costs about 25 ms and a build opens three connections; a further
    connection to one open database costs 0.04 ms. It holds no data: every table is temporary. One per
    process id: a forked child (a process pool) opens its own rather than use its parent's, whose
    threads it does not have."""
    import duckdb  # only commands that compute figures pay for loading the engine

    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    return con


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows into a table in one statement, a list per column (executemany runs one statement a row:
    a thousand windows took half a second)."""
    if rows:
        columns = [list(column) for column in zip(*rows)]
        con.execute(f"INSERT INTO {table} SELECT {', '.join('unnest(?)' for _ in columns)}", columns)


def dora_counts(
    teams: Sequence[Team], windows: Iterable[tuple[str, Window]], production: Sequence[str] = ("production",)
) -> dict[tuple[str, str], DoraCounts]:
    """Raw figures for each (team id, window label) asked for."""
    con = connect(path for team in teams for path in (team.deployments, team.incidents))
    con.execute(_TABLES)
    insert_rows(con, "production_environment", [(name,) for name in production])
    insert_rows(
        con, "windows", once_each([(team, w.label, midnight(w.start), midnight(w.end), w.days) for team, w in windows])
    )
    _load_events(con, teams)
    con.execute(_DEFINITIONS)
    return _collect(con)


def once_each(rows: list[tuple[Any, ...]], key_length: int = 2) -> list[tuple[Any, ...]]:
    """Each window row once by its key (team, [SLO,] label): a window asked for twice (the chosen
    quarter is also the last quarter of its trend) would otherwise join every event twice and
    double every count."""
    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        if seen.setdefault(row[:key_length], row) != row:
            raise ValueError(f"window {row[:key_length]!r} asked for with two different spans")
    return list(seen.values())


def _load_events(con: duckdb.DuckDBPyConnection, teams: Sequence[Team]) -> None:
    for attribute, json_sql, csv_sql, columns in (
        ("deployments", _DEPLOY_JSON, _DEPLOY_CSV, DEPLOYMENT_COLUMNS),
        ("incidents", _INCIDENT_JSON, _INCIDENT_CSV, INCIDENT_COLUMNS),
    ):
        paths = [(str(getattr(t, attribute)), t.id) for t in teams if getattr(t, attribute) is not None]
        jsonl = [(path, team) for path, team in paths if path.endswith(".jsonl") and Path(path).stat().st_size > 0]
        if jsonl:
            con.execute("DELETE FROM event_file")
            insert_rows(con, "event_file", jsonl)
            con.execute(json_sql, [[path for path, _ in jsonl]])
        for path, team in paths:
            if path.endswith(".csv"):
                header = _csv_header(Path(path))
                if header is None:
                    continue
                selected = ", ".join(f'"{c}"' if c in header else f"NULL AS {c}" for c in columns)
                con.execute(csv_sql.replace("{columns}", selected), [team, path])


def _csv_header(path: Path) -> list[str] | None:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
        return header if header and next(csv.reader(handle), None) is not None else None


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(row[0], row[1]): tuple(row[2:]) for row in con.execute(sql).fetchall()}


def _collect(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], DoraCounts]:
    frequency = _rows(con, _FREQUENCY)
    days = _rows(con, _DAYS_PER_WEEK)
    lead = _rows(con, _LEAD_TIME)
    failures = _rows(con, _FAILURES)
    restore = _rows(con, _RESTORE)
    result = {}
    for key, (production, successful, not_deployed, per_week, rework) in frequency.items():
        n, excluded, p50, p90 = lead.get(key, (0, 0, None, None))
        landed, failed, recovered, still_open, r50, r90 = failures[key]
        t_n, t_open, t50, t90 = restore[key]
        result[key] = DoraCounts(
            production=production,
            successful=successful,
            not_deployed=not_deployed,
            per_week=float(per_week),
            median_days_per_week=float(days[key][0]),
            landed=landed,
            failures=failed,
            lead_time=Durations(n, p50, p90, excluded=excluded),
            recovery=Durations(recovered, r50, r90, open=still_open),
            restore=Durations(t_n, t50, t90, open=t_open),
            rework=rework,
        )
    return result
