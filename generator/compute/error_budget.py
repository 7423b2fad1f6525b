"""SLO error budgets (Occurrences; Timeslices of one day) from daily counts, in SQL over the CSV files.

For an SLO with target t over a window of days:
  attainment = Σgood ÷ Σtotal; allowed bad = (1 − t) × Σtotal; burned = Σ(total − good) ÷ allowed bad;
  burn rate over the last 7 days of the window = (bad₇ ÷ total₇) ÷ (1 − t).
Timeslices: a day is good when good ÷ total ≥ timeSliceTarget; attainment = good days ÷ days with traffic,
and the budget is the share (1 − t) of those days."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..check.teams import Slo, Team
from .dora import Window, connect, insert_rows, once_each


@dataclass(frozen=True)
class BudgetCounts:
    good: int
    total: int
    days_counted: int  # days of the window with a row of counts
    bad_7: int
    total_7: int
    good_slices: int
    slices: int  # days with traffic (total > 0)


_SQL = """
SET TimeZone = 'UTC';
CREATE TEMP TABLE slo_file (file VARCHAR, team VARCHAR, slo VARCHAR);
CREATE TEMP TABLE slo_window (team VARCHAR, slo VARCHAR, label VARCHAR, w_start DATE, w_end DATE,
                              slice_target DOUBLE);
CREATE TEMP TABLE counts (team VARCHAR, slo VARCHAR, day DATE, good BIGINT, total BIGINT);
"""

_LOAD = """
INSERT INTO counts
SELECT f.team, f.slo, c.date, c.good, c.total
-- The dialect is given, not sniffed (sniffing 200 small files took three times as long as reading them).
FROM read_csv(?, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true,
              columns = {'date': 'DATE', 'good': 'BIGINT', 'total': 'BIGINT'}) AS c
JOIN slo_file AS f ON f.file = c.filename
"""

_BUDGET = """
SELECT s.team, s.slo, s.label,
       coalesce(sum(c.good), 0) AS good, coalesce(sum(c.total), 0) AS total, count(c.day) AS days_counted,
       coalesce(sum(c.total - c.good) FILTER (WHERE c.day >= s.w_end - 7), 0) AS bad_7,
       coalesce(sum(c.total) FILTER (WHERE c.day >= s.w_end - 7), 0) AS total_7,
       count(c.day) FILTER (WHERE c.total > 0 AND c.good >= s.slice_target * c.total) AS good_slices,
       count(c.day) FILTER (WHERE c.total > 0) AS slices
FROM slo_window AS s
LEFT JOIN counts AS c ON c.team = s.team AND c.slo = s.slo AND c.day >= s.w_start AND c.day < s.w_end
GROUP BY ALL
"""


def budget_counts(
    teams: Sequence[Team], windows: Iterable[tuple[str, str, Window]]
) -> dict[tuple[str, str, str], BudgetCounts]:
    """Counts for each (team id, SLO name, window label) asked for."""
    con = connect(s.counts for t in teams for s in t.slos)
    con.execute(_SQL)
    slos: dict[tuple[str, str], Slo] = {(t.id, s.name): s for t in teams for s in t.slos}
    files = [
        (str(s.counts), team, name)
        for (team, name), s in slos.items()
        if s.counts is not None and s.counts.stat().st_size > 0
    ]
    insert_rows(con, "slo_file", files)
    insert_rows(
        con,
        "slo_window",
        once_each(
            [
                (team, name, w.label, w.start, w.end, slos[(team, name)].time_slice_target or 0.0)
                for team, name, w in windows
                if (team, name) in slos
            ],
            key_length=3,
        ),
    )
    if files:
        con.execute(_LOAD, [[path for path, _, _ in files]])
    return {(row[0], row[1], row[2]): BudgetCounts(*row[3:]) for row in con.execute(_BUDGET).fetchall()}
