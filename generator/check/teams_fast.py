"""Which teams' event files are certainly clean, found by DuckDB reading every file at once.

This is only a fast "nothing to report" test. Each condition below is at least as strict as the
schemas and rules of check/teams.py (stricter where exactness would cost: any '@' in free text, any
doubt about a timestamp), so a team it passes would pass the line-by-line check too; any team it
does not pass (or any error the engine raises) is read again by check/teams.py, which explains
every problem at its line and column. Warnings (coverage gaps) also send a team to the slow path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

# Teams (check/teams.TeamHead) and settings (check/teams.TeamSettings) come in as plain values:
# check/teams.py imports this module, so this one does not import it back.
TeamHead = Any
TeamSettings = Any

ID = r"^[A-Za-z0-9][A-Za-z0-9._:/#+-]{0,199}$"
SLUG = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
STAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
URL = r"^https?://[^\s]+$"
VISIBLE = r"[^\t\n\x0b\f\r \x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]"


def _text(x: str, pattern: str, max_bytes: int = 200) -> str:
    """`x` (a JSON value) is a string of at most `max_bytes` bytes matching `pattern` in full."""
    return f"(json_type({x}) = 'VARCHAR' AND strlen({x} ->> '$') <= {max_bytes} AND regexp_full_match({x} ->> '$', '{pattern}'))"


def _stamp(x: str) -> str:
    return f"({_text(x, STAMP, 40)} AND try_cast({x} ->> '$' AS TIMESTAMPTZ) IS NOT NULL)"


def _optional(key: str, condition: str) -> str:
    # a key that is present must be valid (JSON null included: it reads as SQL NULL, which fails)
    return f"(NOT list_contains(k, '{key}') OR {condition})"


def _keys(allowed: Sequence[str], required: Sequence[str]) -> str:
    listed = ", ".join(f"'{name}'" for name in allowed)
    needed = ", ".join(f"'{name}'" for name in required)
    return (f"(json_type(j) = 'OBJECT' AND list_has_all([{listed}], k) AND list_has_all(k, [{needed}]) "
            "AND len(k) = len(list_distinct(k)))")


def _free_text(x: str, max_bytes: int) -> str:
    # stricter than the rule: any '@' at all sends the file to the line-by-line check
    visible = f"(json_type({x}) = 'VARCHAR' AND strlen({x} ->> '$') <= {max_bytes} AND regexp_matches({x} ->> '$', '{VISIBLE}'))"
    return f"({visible} AND strpos({x} ->> '$', '@') = 0)"


def _url(x: str) -> str:
    return f"({_text(x, URL, 2000)} AND strpos({x} ->> '$', '@') = 0)"


def _structure(fields: Sequence[str]) -> str:
    return "{" + ", ".join(f'"{name}": "JSON"' for name in fields) + "}"


DEPLOYMENT_FIELDS = ("id", "service", "environment", "finished_at", "result", "rolled_back_at", "changes", "planned",
                     "remediates", "url")
INCIDENT_FIELDS = ("id", "service", "started_at", "resolved_at", "severity", "user_impact", "caused_by", "postmortem")
_LIST_OF_IDS = ("(json_type(v.remediates) = 'ARRAY' AND json_array_length(v.remediates) <= 1000 AND "
                "coalesce(list_bool_and(list_transform(CAST(v.remediates AS JSON[]), lambda x: "
                f"json_type(x) = 'VARCHAR' AND regexp_full_match(x ->> '$', '{ID}'))), true))")
_CHANGE = ("json_type(c) = 'OBJECT' AND list_sort(json_keys(c)) = ['committed_at', 'id'] "
           f"AND {_text('(c -> ' + chr(39) + '$.id' + chr(39) + ')', ID)} "
           f"AND {_stamp('(c -> ' + chr(39) + '$.committed_at' + chr(39) + ')')}")
_CHANGES = ("(json_type(v.changes) = 'ARRAY' AND json_array_length(v.changes) <= 10000 AND "
            f"coalesce(list_bool_and(list_transform(CAST(v.changes AS JSON[]), lambda c: {_CHANGE})), true) AND "
            "len(list_distinct(list_transform(CAST(v.changes AS JSON[]), lambda c: c ->> '$.id'))) = "
            "json_array_length(v.changes))")

DEPLOYMENT_OK = " AND ".join([
    _keys(DEPLOYMENT_FIELDS, ("id", "service", "environment", "finished_at", "result")),
    _text("v.id", ID), _text("v.service", SLUG, 64), _text("v.environment", SLUG, 64), _stamp("v.finished_at"),
    "(json_type(v.result) = 'VARCHAR' AND v.result ->> '$' IN ('success', 'failed', 'rolled_back'))",
    _optional("rolled_back_at", _stamp("v.rolled_back_at")),
    _optional("planned", "json_type(v.planned) = 'BOOLEAN'"),
    _optional("remediates", _LIST_OF_IDS), _optional("changes", _CHANGES), _optional("url", _url("v.url")),
])
INCIDENT_OK = " AND ".join([
    _keys(INCIDENT_FIELDS, ("id", "service", "started_at", "severity", "user_impact")),
    _text("v.id", ID), _text("v.service", SLUG, 64), _stamp("v.started_at"),
    _optional("resolved_at", _stamp("v.resolved_at")),
    _text("v.severity", SLUG, 64), _free_text("v.user_impact", 500),
    f"(v.caused_by IS NULL OR json_type(v.caused_by) = 'NULL' OR {_text('v.caused_by', ID)})",
    _optional("postmortem", _url("v.postmortem")),
])

_SQL = f"""
CREATE TEMP TABLE deployment_line AS
SELECT team, (length(j) <= 1048576 AND NOT regexp_matches(j, ',\\s*[}}\\]]') AND coalesce({DEPLOYMENT_OK}, false)) AS ok, v
FROM (SELECT team, j, json_keys(j) AS k, from_json(j, '{_structure(DEPLOYMENT_FIELDS)}') AS v
      FROM (SELECT f.team, o.json AS j
            FROM read_ndjson_objects(?, filename = true) AS o JOIN event_file AS f ON f.file = o.filename));
"""
_SQL_INCIDENTS = f"""
CREATE TEMP TABLE incident_line AS
SELECT team, (length(j) <= 1048576 AND NOT regexp_matches(j, ',\\s*[}}\\]]') AND coalesce({INCIDENT_OK}, false)) AS ok, v
FROM (SELECT team, j, json_keys(j) AS k, from_json(j, '{_structure(INCIDENT_FIELDS)}') AS v
      FROM (SELECT f.team, o.json AS j
            FROM read_ndjson_objects(?, filename = true) AS o JOIN event_file AS f ON f.file = o.filename));
"""

# Rules across lines, on files whose every line is well-formed (a team with a bad line is out already).
_RULES = """
CREATE TEMP TABLE deployment AS
SELECT team, v.id ->> '$' AS id, v.service ->> '$' AS service, CAST(v.finished_at ->> '$' AS TIMESTAMPTZ) AS finished_at,
       CAST(v.rolled_back_at ->> '$' AS TIMESTAMPTZ) AS rolled_back_at,
       coalesce(CAST(v.remediates AS VARCHAR[]), []) AS remediates
FROM deployment_line WHERE ok;
CREATE TEMP TABLE incident AS
SELECT team, v.id ->> '$' AS id, v.service ->> '$' AS service, CAST(v.started_at ->> '$' AS TIMESTAMPTZ) AS started_at,
       CAST(v.resolved_at ->> '$' AS TIMESTAMPTZ) AS resolved_at, v.caused_by ->> '$' AS caused_by
FROM incident_line WHERE ok;
CREATE TEMP TABLE unclean AS
SELECT team FROM deployment_line WHERE NOT ok
UNION SELECT team FROM incident_line WHERE NOT ok
UNION SELECT team FROM deployment GROUP BY team, id HAVING count(*) > 1
UNION SELECT team FROM incident GROUP BY team, id HAVING count(*) > 1
UNION SELECT d.team FROM deployment AS d ANTI JOIN team_service AS s ON s.team = d.team AND s.service = d.service
UNION SELECT i.team FROM incident AS i ANTI JOIN team_service AS s ON s.team = i.team AND s.service = i.service
UNION SELECT team FROM deployment WHERE rolled_back_at < finished_at
UNION SELECT team FROM incident WHERE resolved_at < started_at
UNION SELECT i.team FROM incident AS i ANTI JOIN deployment AS d ON d.team = i.team AND d.id = i.caused_by
      WHERE i.caused_by IS NOT NULL
UNION SELECT r.team FROM (SELECT team, id, unnest(remediates) AS target FROM deployment) AS r
      WHERE r.target = r.id
         OR (NOT EXISTS (SELECT 1 FROM deployment AS d WHERE d.team = r.team AND d.id = r.target)
             AND NOT EXISTS (SELECT 1 FROM incident AS i WHERE i.team = r.team AND i.id = r.target))
UNION SELECT team FROM (
      SELECT d.team, day - lag(day) OVER (PARTITION BY d.team ORDER BY day) AS gap
      FROM (SELECT DISTINCT team, CAST(finished_at AS DATE) AS day FROM deployment) AS d
      JOIN team_start AS t ON t.team = d.team WHERE d.day >= coalesce(t.start, d.day)
      UNION ALL
      SELECT d.team, min(d.day) - t.start FROM (SELECT DISTINCT team, CAST(finished_at AS DATE) AS day FROM deployment) AS d
      JOIN team_start AS t ON t.team = d.team WHERE t.start IS NOT NULL AND d.day >= t.start GROUP BY d.team, t.start)
      WHERE gap > (SELECT gap_days FROM setting);
"""

_COUNTS = """
CREATE TEMP TABLE count_row AS
SELECT f.team, f.file, c.date, c.good, c.total,
       coalesce(regexp_full_match(c.date, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') AND try_cast(c.date AS DATE) IS NOT NULL
                AND regexp_full_match(c.good, '^[0-9]{1,18}$') AND regexp_full_match(c.total, '^[0-9]{1,18}$')
                AND CAST(c.good AS BIGINT) <= CAST(c.total AS BIGINT), false) AS ok
FROM read_csv(?, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', filename = true,
              columns = {'date': 'VARCHAR', 'good': 'VARCHAR', 'total': 'VARCHAR'}) AS c
JOIN count_file AS f ON f.file = c.filename
"""

_COUNT_RULES = """
INSERT INTO unclean
SELECT team FROM count_row WHERE NOT ok
UNION SELECT team FROM count_row GROUP BY team, file
      HAVING count(DISTINCT date) <> count(*)
          OR max(try_cast(date AS DATE)) - min(try_cast(date AS DATE)) + 1 <> count(*);
"""


def clean_teams(heads: Sequence[TeamHead], settings: TeamSettings) -> dict[str, date | None]:
    """The teams whose event and count files have nothing to report, with each team's first event day."""
    candidates = [h for h in heads if _fast_readable(h)]
    if not candidates:
        return {}
    try:
        return _run(candidates, settings)
    except Exception:  # any engine error (a malformed line, bad UTF-8): the slow path explains it
        return {}


def _fast_readable(head: TeamHead) -> bool:
    team = head.team
    events = [p for p in (team.deployments, team.incidents) if p is not None]
    if any(p.suffix != ".jsonl" for p in events):
        return False  # CSV events: read line by line
    for slo in team.slos:
        if slo.counts is not None:
            with slo.counts.open("rb") as handle:
                if handle.readline().rstrip(b"\r\n") != b"date,good,total":
                    return False
    return True


def _run(heads: Sequence[TeamHead], settings: TeamSettings) -> dict[str, date | None]:
    import duckdb

    from ..load.events import MAX_EVENT_BYTES

    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2; SET TimeZone = 'UTC'; SET enable_progress_bar = false")
    con.execute("CREATE TEMP TABLE event_file (file VARCHAR, team VARCHAR); "
                "CREATE TEMP TABLE count_file (file VARCHAR, team VARCHAR); "
                "CREATE TEMP TABLE team_service (team VARCHAR, service VARCHAR); "
                "CREATE TEMP TABLE team_start (team VARCHAR, start DATE); CREATE TEMP TABLE setting (gap_days INTEGER)")
    con.execute("INSERT INTO setting VALUES (?)", [settings.coverage_gap_days])
    con.executemany("INSERT INTO team_service VALUES (?, ?)", [(h.team.id, s) for h in heads for s in h.team.services])
    con.executemany("INSERT INTO team_start VALUES (?, ?)", [(h.team.id, h.events_from) for h in heads])
    files: dict[str, list[tuple[str, str]]] = {"deployments": [], "incidents": [], "counts": []}
    for head in heads:
        team = head.team
        for kind, path in (("deployments", team.deployments), ("incidents", team.incidents),
                           *(("counts", s.counts) for s in team.slos)):
            if path is not None:
                size = path.stat().st_size
                if size > MAX_EVENT_BYTES:
                    return {}  # the slow path refuses it with its message
                if size:
                    files[kind].append((str(path), team.id))
    con.executemany("INSERT INTO event_file VALUES (?, ?)", files["deployments"] + files["incidents"])
    _lines(con, _SQL, "deployment_line", [f for f, _ in files["deployments"]], DEPLOYMENT_FIELDS)
    _lines(con, _SQL_INCIDENTS, "incident_line", [f for f, _ in files["incidents"]], INCIDENT_FIELDS)
    con.execute(_RULES)
    if files["counts"]:
        con.executemany("INSERT INTO count_file VALUES (?, ?)", files["counts"])
        con.execute(_COUNTS, [[f for f, _ in files["counts"]]])
        con.execute(_COUNT_RULES)
    unclean = {row[0] for row in con.execute("SELECT DISTINCT team FROM unclean").fetchall()}
    first: dict[str, Any] = dict(con.execute(
        "SELECT team, min(day) FROM (SELECT team, CAST(finished_at AS DATE) AS day FROM deployment "
        "UNION ALL SELECT team, CAST(started_at AS DATE) FROM incident) GROUP BY team").fetchall())
    return {h.team.id: first.get(h.team.id) for h in heads if h.team.id not in unclean}


def _lines(con: Any, sql: str, table: str, paths: list[str], names: Sequence[str]) -> None:
    fields = ", ".join(f"{name} JSON" for name in names)
    if paths:
        con.execute(sql, [paths])
    else:
        con.execute(f"CREATE TEMP TABLE {table} (team VARCHAR, ok BOOLEAN, v STRUCT({fields}))")
