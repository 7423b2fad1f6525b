"""Teams and their events: load teams/<id>/, check every file, and give the checked teams.

A team folder holds team.yaml, deployments.jsonl (or .csv), incidents.jsonl (or .csv) and
slos/<name>.yaml with slos/<name>.csv (date,good,total). Nothing here computes a figure
(compute/dora.py does); this module only says whether the files can be trusted, where not, and why."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from ..check.schema_check import check as schema_errors
from ..check.schema_check import is_valid
from ..load.cache import ResultCache
from ..load.events import EventFile, Record, read_events, too_large
from ..load.loader import Document, load_file
from ..model.diagnostics import Diagnostic, error, warning
from .teams_fast import clean_count_days, clean_events, parse_timestamp
from .teams_fast import utc_day as _day

TEAMS_FOLDER = "teams"
RESERVED_TEAM_IDS = frozenset({"index"})  # teams/index.md is the teams index page
TEAM_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Values that look like a person: an e-mail address or an @handle (team signals never name one).
PERSON_VALUE = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|(?:^|[\s(\[,;:])@[A-Za-z0-9][A-Za-z0-9_-]*"
)
# Keys that would name a person: refused with their own message before the closed schema speaks.
PERSON_KEYS = frozenset(
    {
        "author",
        "authors",
        "assignee",
        "assignees",
        "committer",
        "creator",
        "email",
        "e-mail",
        "user",
        "username",
        "login",
        "owner",
        "reporter",
        "commander",
        "responder",
        "engineer",
        "person",
        "people",
        "name",
        "approver",
        "reviewer",
        "actor",
        "deployer",
        "triggered_by",
    }
)
COUNT_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DEPLOYMENT_CSV = {
    "csv_lists": ("remediates",),
    "csv_pairs": {"changes": ("id", "committed_at")},
    "csv_booleans": ("planned",),
}


@dataclass(frozen=True)
class TeamSettings:
    """`teams:` in site_config/handbook.yaml, with the documented defaults."""

    window_days: int = 90
    production_environments: tuple[str, ...] = ("production",)
    min_deployments: int = 10
    min_weeks_covered: int = 8
    min_changes: int = 20
    min_failures: int = 3
    min_incidents: int = 3
    min_slo_days_share: float = 0.9
    minimum_headcount: int = 5
    coverage_gap_days: int = 28
    guidance: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Slo:
    name: str
    title: str
    service: str
    target: float
    window_days: int
    method: str  # Occurrences | Timeslices
    time_slice_target: float | None
    definition: Path
    counts: Path | None


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    owner: str
    summary: str | None
    services: tuple[str, ...]
    headcount: int
    terrain: Mapping[str, tuple[str, ...]]
    events_from: date | None
    folder: Path
    deployments: Path | None
    incidents: Path | None
    slos: tuple[Slo, ...]
    first_event: date | None = None  # the earliest event of any kind (coverage starts here without events_from)

    @property
    def coverage_start(self) -> date | None:
        return self.events_from or self.first_event


@dataclass(frozen=True)
class TeamsReport:
    teams: tuple[Team, ...]  # only teams whose files have no errors
    diagnostics: tuple[Diagnostic, ...]
    settings: TeamSettings
    files_checked: int = 0

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)


def team_settings(raw: Any) -> TeamSettings:
    """Settings from the (already schema-checked) `teams` mapping of site settings."""
    if not isinstance(raw, dict):
        return TeamSettings()
    minimum = raw.get("minimum") or {}
    defaults = TeamSettings()
    return TeamSettings(
        window_days=raw.get("window_days", defaults.window_days),
        production_environments=tuple(raw.get("production_environments", defaults.production_environments)),
        min_deployments=minimum.get("deployments", defaults.min_deployments),
        min_weeks_covered=minimum.get("weeks_covered", defaults.min_weeks_covered),
        min_changes=minimum.get("changes", defaults.min_changes),
        min_failures=minimum.get("failures", defaults.min_failures),
        min_incidents=minimum.get("incidents", defaults.min_incidents),
        min_slo_days_share=float(minimum.get("slo_days_share", defaults.min_slo_days_share)),
        minimum_headcount=raw.get("minimum_headcount", defaults.minimum_headcount),
        coverage_gap_days=raw.get("coverage_gap_days", defaults.coverage_gap_days),
        guidance=dict(raw.get("guidance") or {}),
    )


def settings_of(root: Path) -> TeamSettings:
    loaded = load_file(root / "site_config" / "handbook.yaml", "site_config/handbook.yaml")
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        return TeamSettings()
    if not is_valid(loaded.document.data, "settings"):
        return TeamSettings()  # validate reports the settings' problems; figures use the defaults meanwhile
    return team_settings(loaded.document.data.get("teams"))


def check_teams(
    root: Path,
    settings: TeamSettings | None = None,
    progress: Callable[[str], None] | None = None,
    cache: ResultCache | None = None,
) -> TeamsReport:
    """Every team under root/teams/: checked teams and every problem, positioned. No teams/ folder:
    no teams and no problems (and so no pages and no claims)."""
    settings = settings or settings_of(root)
    base = root / TEAMS_FOLDER
    if not base.is_dir():
        return TeamsReport((), (), settings)
    if base.is_symlink():
        return TeamsReport(
            (), (error(TEAMS_FOLDER, "symlink", "symbolic links are not followed; commit the folder"),), settings
        )
    teams: list[Team] = []
    problems: list[Diagnostic] = []
    files = 0
    folders = sorted(p for p in base.iterdir() if p.is_dir() or p.is_symlink())
    heads = []
    for folder in folders:
        head, found, count = _team_head(folder, settings)
        files += count
        problems.extend(found)
        if head is not None:
            heads.append(head)
    # Every team's event files, line by line, so that each problem is explained at its line and column;
    # many teams are shared between both cores.
    for number, (team, found, count) in enumerate(_events_of(heads, settings, cache), start=1):
        if progress and len(heads) >= 20 and number % 50 == 0:
            progress(f"Checked {number:,} of {len(heads):,} teams")
        files += count
        problems.extend(found)
        if not any(d.severity == "error" for d in found):
            teams.append(team)
    for stray in sorted(p for p in base.iterdir() if p.is_file()):
        problems.append(
            error(
                f"{TEAMS_FOLDER}/{stray.name}",
                "unknown-kind",
                "teams/ holds one folder per team (teams/<team-id>/team.yaml)",
            )
        )
    return TeamsReport(tuple(teams), tuple(sorted(problems, key=Diagnostic.sort_key)), settings, files)


@dataclass(frozen=True)
class TeamHead:
    """A team whose team.yaml and SLO definitions are valid, before its event files are read."""

    team: Team
    events_from: str | None

    @property
    def event_files(self) -> int:
        return sum(
            p is not None for p in (self.team.deployments, self.team.incidents, *(s.counts for s in self.team.slos))
        )


def _team_head(folder: Path, settings: TeamSettings) -> tuple[TeamHead | None, list[Diagnostic], int]:
    display = f"{TEAMS_FOLDER}/{folder.name}"
    if folder.is_symlink():
        return None, [error(display, "symlink", "symbolic links are not followed; commit the folder itself")], 0
    if not TEAM_ID.fullmatch(folder.name) or len(folder.name) > 64 or folder.name in RESERVED_TEAM_IDS:
        return (
            None,
            [
                error(
                    display,
                    "team-id",
                    f"team folder '{folder.name}' is not a team id: use lowercase "
                    "letters, digits and single hyphens (not 'index')",
                )
            ],
            0,
        )
    loaded = load_file(folder / "team.yaml", f"{display}/team.yaml")
    if loaded.document is None:
        return None, list(loaded.diagnostics), 1
    problems = list(loaded.diagnostics) + schema_errors(loaded.document, "team")
    problems += _person_like_texts(loaded.document)
    if problems:
        return None, problems, 1
    data = loaded.document.data
    services = tuple(data["services"])
    deployments = _event_path(folder, "deployments", problems)
    incidents = _event_path(folder, "incidents", problems)
    slos, slo_problems, slo_files = _check_slos(folder, display, services, settings)
    problems += slo_problems
    terrain = {k: tuple(v) for k, v in (data.get("terrain") or {}).items()}
    team = Team(
        folder.name,
        data["name"],
        data["owner"],
        data.get("summary"),
        services,
        data["headcount"],
        terrain,
        date.fromisoformat(data["events_from"]) if data.get("events_from") else None,
        folder,
        deployments,
        incidents,
        slos,
    )
    if any(d.severity == "error" for d in problems):
        return None, problems, 1 + slo_files
    return TeamHead(team, data.get("events_from")), problems, 1 + slo_files


PARALLEL_FROM_BYTES = 8 * 1024 * 1024  # below this much event data, starting a second process costs more than it saves


def _events_of(
    heads: list[TeamHead], settings: TeamSettings, cache: ResultCache | None = None
) -> Iterator[tuple[Team, list[Diagnostic], int]]:
    """Each team's events checked, in order. With a cache, a team whose files are byte for byte those of a
    clean earlier run (same code, same settings) is not read again."""
    keys = {h.team.id: _cache_key(h, settings) for h in heads} if cache is not None else {}
    known = cache.get_many(keys.values()) if cache is not None else {}
    fresh = [h for h in heads if keys.get(h.team.id) not in known]
    checked = dict(zip((h.team.id for h in fresh), _checked_events(fresh, settings)))
    clean = {}
    for head in heads:
        if head.team.id in checked:
            team, found, count = checked[head.team.id]
            if not found and head.team.id in keys:
                clean[keys[head.team.id]] = {
                    "first_event": team.first_event.isoformat() if team.first_event else None,
                    "files": count,
                }
            yield team, found, count
        else:
            row = known[keys[head.team.id]]
            first = date.fromisoformat(row["first_event"]) if row.get("first_event") else None
            yield replace(head.team, first_event=first), [], int(row["files"])
    if cache is not None and clean:
        cache.put_many(clean)


def _cache_key(head: TeamHead, settings: TeamSettings) -> str:
    from ..load.cache import fingerprint

    digest = hashlib.blake2b(fingerprint())
    team = head.team
    digest.update(repr((team.id, team.services, head.events_from, settings.coverage_gap_days)).encode())
    for path in (team.deployments, team.incidents, *(slo.counts for slo in team.slos)):
        if path is not None:
            with path.open("rb") as handle:
                digest.update(path.name.encode() + b"\0")
                digest.update(hashlib.file_digest(handle, "blake2b").digest())
    return "team-events:" + digest.hexdigest()


def _checked_events(heads: list[TeamHead], settings: TeamSettings) -> Iterator[tuple[Team, list[Diagnostic], int]]:
    size = sum(p.stat().st_size for h in heads for p in (h.team.deployments, h.team.incidents) if p is not None)
    if len(heads) < 2 or size < PARALLEL_FROM_BYTES or (os.cpu_count() or 1) < 2:
        yield from (_check_events(head, settings) for head in heads)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=2) as pool:
        yield from pool.map(_check_events, heads, [settings] * len(heads), chunksize=max(1, len(heads) // 16))


def _check_events(head: TeamHead, settings: TeamSettings) -> tuple[Team, list[Diagnostic], int]:
    """Every event file of a team checked: whole when clean (the common case, fast), else line by line."""
    team = head.team
    clean = clean_events(team.deployments, team.incidents, team.services)
    if clean is None:
        return _check_events_line_by_line(head, settings)
    display = f"{TEAMS_FOLDER}/{team.id}"
    problems: list[Diagnostic] = []
    first = [d for d in (clean.first_incident, *clean.deployment_days[:1]) if d is not None]
    if clean.deployment_days and team.deployments is not None:
        problems += _deployment_gaps(
            f"{display}/{team.deployments.name}", clean.deployment_days, head.events_from, settings.coverage_gap_days
        )
    files = (team.deployments is not None) + (team.incidents is not None)
    for slo in team.slos:
        if slo.counts is not None:
            files += 1
            problems += _check_counts(slo.counts, f"{display}/slos/{slo.counts.name}")
    return replace(team, first_event=min(first) if first else None), problems, files


def _check_events_line_by_line(head: TeamHead, settings: TeamSettings) -> tuple[Team, list[Diagnostic], int]:
    """Every event file of a team read line by line: each problem at its line and column."""
    team = head.team
    display = f"{TEAMS_FOLDER}/{team.id}"
    services = team.services
    problems: list[Diagnostic] = []
    files = 0
    first: list[date] = []
    deployment_ids: dict[str, Record] = {}
    incident_records: list[Record] = []
    deployment_records: list[Record] = []
    refused: set[str] = set()  # ids of events refused for another reason: a reference to one is not a new mistake
    if team.deployments is not None:
        files += 1
        events = read_events(team.deployments, f"{display}/{team.deployments.name}", **DEPLOYMENT_CSV)  # type: ignore[arg-type]
        deployment_records, found = _checked_records(events, "deployment", services)
        problems += found
        refused |= _refused_ids(events, deployment_records)
        deployment_ids = _unique_ids(deployment_records, problems)
    if team.incidents is not None:
        files += 1
        events = read_events(team.incidents, f"{display}/{team.incidents.name}")
        incident_records, found = _checked_records(events, "incident", services)
        problems += found
        refused |= _refused_ids(events, incident_records)
        _unique_ids(incident_records, problems)
    incident_ids = {r.data["id"]: r for r in incident_records}
    problems += _reference_problems(deployment_records, incident_records, deployment_ids, incident_ids, refused)
    if incident_records:
        first.append(min(_day(r.data["started_at"]) for r in incident_records))
    if deployment_records:
        first.append(min(_day(r.data["finished_at"]) for r in deployment_records))
        problems += _deployment_gaps(
            deployment_records[0].file,
            sorted({_day(r.data["finished_at"]) for r in deployment_records}),
            head.events_from,
            settings.coverage_gap_days,
        )
    for slo in team.slos:
        if slo.counts is not None:
            files += 1
            problems += _check_counts(slo.counts, f"{display}/slos/{slo.counts.name}")
    return replace(team, first_event=min(first) if first else None), problems, files


def _event_path(folder: Path, stem: str, problems: list[Diagnostic]) -> Path | None:
    # lexists: a link that points nowhere (or out of the folder) is refused, not read as no events
    found = [folder / f"{stem}.{ext}" for ext in ("jsonl", "csv") if os.path.lexists(folder / f"{stem}.{ext}")]
    for path in found:
        if path.is_symlink():
            problems.append(
                error(
                    f"{TEAMS_FOLDER}/{folder.name}/{path.name}",
                    "symlink",
                    "symbolic links are not followed; commit the file itself",
                )
            )
            return None
        refused = too_large(path, f"{TEAMS_FOLDER}/{folder.name}/{path.name}")
        if refused is not None:  # before anything opens or hashes it: a FIFO would hang, a folder would crash
            problems.append(refused)
            return None
    if len(found) > 1:
        problems.append(
            error(
                f"{TEAMS_FOLDER}/{folder.name}/{stem}.csv",
                "two-formats",
                f"both {stem}.jsonl and {stem}.csv exist; keep one",
            )
        )
        return None
    return found[0] if found else None


# --- one event file: schema, person-like values, services ------------------------------------------------


@cache
def _allowed_keys(kind: str) -> frozenset[str]:
    import json

    from ..check.schema_check import schema_text

    return frozenset(json.loads(schema_text(kind))["properties"])


class _Allowed(dict[str, frozenset[str]]):
    def __missing__(self, kind: str) -> frozenset[str]:
        self[kind] = _allowed_keys(kind)
        return self[kind]


_ALLOWED_KEYS = _Allowed()


TIMESTAMP_KEYS = ("finished_at", "rolled_back_at", "started_at", "resolved_at")
TIMESTAMP_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


@cache
def _fast(kind: str) -> Any:
    from ..check.schema_check import fast_validator_for

    return fast_validator_for(kind)


def _checked_records(events: EventFile, kind: str, services: tuple[str, ...]) -> tuple[list[Record], list[Diagnostic]]:
    good: list[Record] = []
    problems = list(events.problems)
    fast = _fast(kind)
    allowed = set(services)
    allowed_keys = _ALLOWED_KEYS[kind]
    for record in events.records:
        found = list(_person_problems(record)) if record.at_sign or not record.data.keys() <= allowed_keys else []
        if found:
            problems += found
            continue
        unreal = list(_unreal_timestamps(record))
        if not (fast.is_valid(record.data) if fast is not None else is_valid(record.data, kind)):
            found = unreal + [
                d for d in _record_schema_errors(record, kind) if not (unreal and d.code == "schema-invalid")
            ]
        else:
            found = unreal or list(_record_rules(record, kind, allowed))
        problems += found
        if not any(d.severity == "error" for d in found):
            good.append(record)
    return good, problems


def _unreal_timestamps(record: Record) -> Iterator[Diagnostic]:
    """Timestamps written in the right shape that name no instant (30 February, 24:00, an offset of
    24 hours) or none a computer holds in UTC (year 9999 at -05:00): the schema's pattern lets them through."""
    data = record.data
    stamps = [(key, data[key]) for key in TIMESTAMP_KEYS if isinstance(data.get(key), str)]
    changes = data.get("changes")
    if isinstance(changes, list):
        stamps += [
            ("changes", c["committed_at"])
            for c in changes
            if isinstance(c, dict) and isinstance(c.get("committed_at"), str)
        ]
    for key, stamp in stamps:
        if TIMESTAMP_SHAPE.fullmatch(stamp) is None:
            continue  # the schema explains a wrong shape
        try:
            parse_timestamp(stamp)
        except (ValueError, OverflowError) as problem:
            yield error(
                record.file,
                "unreal-timestamp",
                f"'{key}' holds {stamp!r}, which is no real date and time ({problem}); "
                "write an RFC 3339 timestamp such as 2026-09-01T14:03:00Z",
            ).at(*record.at(key))


def _record_schema_errors(record: Record, kind: str) -> list[Diagnostic]:
    marks: dict[tuple[str | int, ...], tuple[int, int]] = {(): (record.line, 1)}
    marks.update({(key,): (record.line, col) for key, col in record.columns.items()})
    document = Document(record.file, record.data, marks, dict(marks))
    return [d.at(*_located(record, d)) for d in schema_errors(document, kind)]


def _located(record: Record, diagnostic: Diagnostic) -> tuple[int, int]:
    key = next((p for p in diagnostic.pointer if isinstance(p, str)), None)
    return record.at(key)


def _person_problems(record: Record) -> Iterator[Diagnostic]:
    for key, value in record.data.items():
        if key.lower() in PERSON_KEYS:
            yield error(
                record.file,
                "names-a-person",
                f"'{key}' would name a person: event files hold what "
                "happened to the team's services, never who did it; remove the field",
            ).at(*record.at(key))
        elif (text := _person_like(value)) is not None:
            yield error(
                record.file,
                "person-like-value",
                f"'{key}' holds {text!r}, which looks like an e-mail "
                "address or an @handle: event files never name a person; describe the event instead",
            ).at(*record.at(key))


def _person_like_texts(document: Document) -> list[Diagnostic]:
    """Every text in a team's YAML file (its terrain, owner, an SLO's description...) that looks like an
    e-mail address or an @handle, at its line and column: team signals never name a person."""
    return [
        document.locate(
            error(
                document.path,
                "person-like-value",
                f"'{next(k for k in reversed(pointer) if isinstance(k, str))}' holds {found.group().strip()!r}, "
                "which looks like an e-mail address or an "
                "@handle: team files never name a person; name a group or a role, or describe the system instead",
                pointer,
            )
        )
        for pointer, text in _texts(document.data, ())
        if (found := PERSON_VALUE.search(text)) is not None
    ]


def _texts(node: Any, pointer: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, (*pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, (*pointer, index))


def _person_like(value: Any) -> str | None:
    if isinstance(value, str):
        found = PERSON_VALUE.search(value)
        return found.group().strip() if found else None
    if isinstance(value, list):
        return next((t for t in map(_person_like, value) if t is not None), None)
    if isinstance(value, dict):
        if any(str(k).lower() in PERSON_KEYS for k in value):
            return next(str(k) for k in value if str(k).lower() in PERSON_KEYS)
        return next((t for t in map(_person_like, value.values()) if t is not None), None)
    return None


def _record_rules(record: Record, kind: str, services: set[str]) -> Iterator[Diagnostic]:
    data = record.data
    if data["service"] not in services:
        yield error(
            record.file,
            "unknown-service",
            f"service '{data['service']}' is not one of the team's services "
            f"({', '.join(sorted(services))}); add it to team.yaml or move the event to the team that owns it",
        ).at(*record.at("service"))
    if kind == "deployment":
        if "rolled_back_at" in data and parse_timestamp(data["rolled_back_at"]) < parse_timestamp(data["finished_at"]):
            yield error(
                record.file,
                "time-order",
                f"deployment '{data['id']}' is rolled back before it finished (rolled_back_at < finished_at)",
            ).at(*record.at("rolled_back_at"))
        changes = data.get("changes", ())
        repeated = (
            [c for c, n in Counter(c["id"] for c in changes).items() if n > 1]
            if len({c["id"] for c in changes}) != len(changes)
            else []
        )
        if repeated:
            yield error(
                record.file,
                "duplicate-change",
                f"deployment '{data['id']}' lists change '{repeated[0]}' more than once",
            ).at(*record.at("changes"))
    elif "resolved_at" in data and parse_timestamp(data["resolved_at"]) < parse_timestamp(data["started_at"]):
        yield error(
            record.file,
            "time-order",
            f"incident '{data['id']}' is resolved before it started (resolved_at < started_at)",
        ).at(*record.at("resolved_at"))


def _unique_ids(records: list[Record], problems: list[Diagnostic]) -> dict[str, Record]:
    seen: dict[str, Record] = {}
    for record in records:
        ident = record.data["id"]
        if ident in seen:
            problems.append(
                error(
                    record.file,
                    "duplicate-id",
                    f"id '{ident}' is used again (first on line {seen[ident].line}); ids are unique in a file",
                ).at(*record.at("id"))
            )
        else:
            seen[ident] = record
    return seen


def _refused_ids(events: EventFile, good: list[Record]) -> set[str]:
    """The ids of the file's events that were read but refused (each already has its own error)."""
    kept = {id(record) for record in good}
    return {
        r.data["id"]
        for r in (*events.refused, *(r for r in events.records if id(r) not in kept))
        if isinstance(r.data.get("id"), str)
    }


def _reference_problems(
    deployments: list[Record],
    incidents: list[Record],
    deployment_ids: Mapping[str, Record],
    incident_ids: Mapping[str, Record],
    refused: Set[str] = frozenset(),
) -> Iterator[Diagnostic]:
    for record in incidents:
        cause = record.data.get("caused_by")
        if cause is not None and cause not in deployment_ids and cause not in refused:
            yield error(
                record.file,
                "unknown-reference",
                f"incident '{record.data['id']}' is caused_by '{cause}', which is not a deployment of this team",
            ).at(*record.at("caused_by"))
    for record in deployments:
        for target in record.data.get("remediates", ()):
            if target in refused and target not in deployment_ids and target not in incident_ids:
                continue
            if target not in deployment_ids and target not in incident_ids:
                yield error(
                    record.file,
                    "unknown-reference",
                    f"deployment '{record.data['id']}' remediates "
                    f"'{target}', which is neither a deployment nor an incident of this team",
                ).at(*record.at("remediates"))
            elif target == record.data["id"]:
                yield error(record.file, "unknown-reference", f"deployment '{target}' remediates itself").at(
                    *record.at("remediates")
                )


def _deployment_gaps(file: str, days: list[date], events_from: str | None, gap_days: int) -> Iterator[Diagnostic]:
    """A warning at the first pause longer than gap_days between the sorted distinct days with a deployment."""
    start = date.fromisoformat(events_from) if events_from else days[0]
    previous = start
    for day in [d for d in days if d >= start]:
        if (day - previous).days > gap_days:
            yield warning(
                file,
                "coverage-gap",
                f"no deployment at all from {previous} to {day} "
                f"({(day - previous).days} days): missing events, or a real pause? Figures over these "
                "weeks read it as no deployments",
            ).at(1, 1)
            return
        previous = day


# --- SLOs --------------------------------------------------------------------------------------------------


def _check_slos(
    folder: Path, display: str, services: tuple[str, ...], settings: TeamSettings
) -> tuple[tuple[Slo, ...], list[Diagnostic], int]:
    base = folder / "slos"
    if base.is_symlink():
        return (), [error(f"{display}/slos", "symlink", "symbolic links are not followed; commit the folder itself")], 0
    if not base.is_dir():
        return (), [], 0
    slos: list[Slo] = []
    problems: list[Diagnostic] = []
    files = 0
    for path in sorted(base.iterdir()):
        shown = f"{display}/slos/{path.name}"
        if path.suffix == ".csv":
            if not path.with_suffix(".yaml").is_file():
                problems.append(
                    error(shown, "orphan-counts", f"counts without a definition: add slos/{path.stem}.yaml")
                )
            continue
        if path.suffix != ".yaml" or path.is_symlink():
            problems.append(
                error(shown, "unknown-kind", "slos/ holds <name>.yaml (OpenSLO) and <name>.csv (date,good,total)")
            )
            continue
        files += 1
        slo, found = _check_slo(path, shown, services)
        problems += found
        if slo is not None:
            slos.append(slo)
    return tuple(slos), problems, files


def _check_slo(path: Path, shown: str, services: tuple[str, ...]) -> tuple[Slo | None, list[Diagnostic]]:
    loaded = load_file(path, shown)
    if loaded.document is None:
        return None, list(loaded.diagnostics)
    document = loaded.document
    problems = list(loaded.diagnostics) + schema_errors(document, "slo")
    problems += _person_like_texts(document)
    if problems:
        return None, problems
    data = document.data
    spec = data["spec"]
    if data["metadata"]["name"] != path.stem:
        problems.append(
            document.locate(
                error(
                    shown,
                    "slo-name",
                    f"metadata.name '{data['metadata']['name']}' differs from the file name '{path.stem}'",
                    ("metadata", "name"),
                )
            )
        )
    if spec["service"] not in services:
        problems.append(
            document.locate(
                error(
                    shown,
                    "unknown-service",
                    f"service '{spec['service']}' is not one of the team's services",
                    ("spec", "service"),
                )
            )
        )
    objective = spec["objectives"][0]
    if spec["budgetingMethod"] == "Timeslices" and "timeSliceTarget" not in objective:
        problems.append(
            document.locate(
                error(
                    shown,
                    "slo-timeslices",
                    "Timeslices budgeting needs a timeSliceTarget (the share of good events that makes a day good)",
                    ("spec", "objectives", 0),
                )
            )
        )
    duration = spec["timeWindow"][0]["duration"]
    days = int(duration[:-1]) * (7 if duration.endswith("w") else 1)
    counts = path.with_suffix(".csv")
    refused = too_large(counts, shown.removesuffix(".yaml") + ".csv") if os.path.lexists(counts) else None
    if refused is not None:  # a folder, FIFO, device or link named <name>.csv: refused before anything reads it
        return None, [refused]
    slo = Slo(
        path.stem,
        data["metadata"].get("displayName", path.stem),
        spec["service"],
        float(objective["target"]),
        days,
        spec["budgetingMethod"],
        objective.get("timeSliceTarget"),
        path,
        counts if os.path.lexists(counts) else None,
    )
    if slo.counts is None:
        problems.append(warning(shown, "no-counts", f"no daily counts: add slos/{path.stem}.csv (date,good,total)"))
    return (slo if not problems or all(d.severity == "warning" for d in problems) else None), problems


def _check_counts(path: Path, shown: str) -> list[Diagnostic]:
    """A file of daily counts checked: whole when clean (the common case, fast), else row by row."""
    clean = clean_count_days(path)
    if clean is not None:
        return list(_count_gaps(clean, shown))
    return _check_counts_line_by_line(path, shown)


def _check_counts_line_by_line(path: Path, shown: str) -> list[Diagnostic]:
    events = read_events(path, shown, csv_numbers=("good", "total"))
    problems = list(events.problems)
    if events.records and list(events.records[0].columns) != ["date", "good", "total"]:
        return problems + [error(shown, "csv-header", "the header must be date,good,total").at(1, 1)]
    days: list[date] = []
    seen: dict[date, int] = {}
    unreadable = {d.line for d in events.problems}  # a row with a cell that is not a number: said once, there
    for record in events.records:
        if record.line in unreadable:
            continue
        found = list(_count_problems(record, seen))
        problems += found
        if not found:
            days.append(date.fromisoformat(record.data["date"]))
    problems += _count_gaps(sorted(days), shown)
    return problems


def _count_problems(record: Record, seen: dict[date, int]) -> Iterator[Diagnostic]:
    data = record.data
    for key in ("date", "good", "total"):
        if key not in data:
            yield error(record.file, "csv-value", f"column '{key}' is empty").at(*record.at(key))
            return
    try:
        day = date.fromisoformat(data["date"])
    except (TypeError, ValueError):
        yield error(record.file, "csv-value", f"'{data['date']}' is not a date (YYYY-MM-DD)").at(*record.at("date"))
        return
    if not COUNT_DATE.fullmatch(data["date"]):  # Python also reads 20260901 and week dates (2026-W36-3)
        yield error(record.file, "csv-value", f"'{data['date']}' is not a date (YYYY-MM-DD)").at(*record.at("date"))
        return
    if day in seen:
        yield error(record.file, "duplicate-date", f"{day} is counted twice (first on row {seen[day]})").at(
            *record.at("date")
        )
    seen.setdefault(day, record.line)
    if data["good"] < 0 or data["total"] < 0:
        yield error(record.file, "csv-value", "counts cannot be negative").at(*record.at("good"))
    elif data["good"] > data["total"]:
        yield error(
            record.file, "good-above-total", f"good ({data['good']:,}) is more than total ({data['total']:,}) on {day}"
        ).at(*record.at("good"))


def _count_gaps(days: list[date], shown: str) -> Iterator[Diagnostic]:
    for before, after in zip(days, days[1:]):
        if (after - before).days > 1:
            missing = (after - before).days - 1
            yield warning(
                shown,
                "coverage-gap",
                f"no counts for {missing} day{'s' if missing > 1 else ''} from "
                f"{before + timedelta(days=1)} to {after - timedelta(days=1)}; the error budget "
                "treats them as unknown, not as good",
            )
            return


def team_diagnostic_files(report: TeamsReport) -> Iterable[str]:
    return sorted({d.file for d in report.diagnostics})


# --- the firewall: a packet never states a team figure as a person's number -------------------------------

# A key naming a DORA or SLO figure (lead_time, lead_time_p50, my_cfr, slo_attainment ...): words joined by _ or -.
TEAM_FIGURE_WORDS = (
    "deployment_frequency",
    "deploy_frequency",
    "deployments_per",
    "lead_time",
    "change_failure",
    "failure_rate",
    "cfr",
    "recovery_time",
    "mttr",
    "mttd",
    "time_to_restore",
    "rework",
    "error_budget",
    "burn_rate",
    "slo",
    "slos",
    "sli",
    "dora",
    "availability",
    "uptime",
)


def _names_team_figure(key: str, metric_ids: frozenset[str]) -> bool:
    word = "_" + re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_") + "_"
    return any(f"_{stem}_" in word for stem in (*TEAM_FIGURE_WORDS, *metric_ids))


def packet_figure_problems(
    documents: Mapping[str, Document], kinds: Mapping[str, str], metric_ids: Iterable[str] = ()
) -> list[Diagnostic]:
    """Every key in a packet (outside team_context) that states a DORA or SLO figure as the candidate's own."""
    names = frozenset(m.replace("-", "_") for m in metric_ids)
    verdicts: dict[str, bool] = {}  # packets repeat the same few keys thousands of times
    found: list[Diagnostic] = []
    for path, document in documents.items():
        if kinds.get(path) == "packet":
            for pointer, key in _keys(document.data, ()):
                verdict = verdicts.get(key)
                if verdict is None:
                    verdict = verdicts[key] = _names_team_figure(key, names)
                if verdict:
                    found.append(
                        document.locate(
                            error(
                                path,
                                "person-team-figure",
                                f"'{key}' states a team signal as this person's number: DORA "
                                "and SLO figures describe a team, never one person. Name the team and period in "
                                "team_context, and say in the evidence what this person did",
                                pointer,
                                on_key=True,
                            )
                        )
                    )
    return found


def _keys(node: Any, pointer: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if (pointer == () and key == "team_context") or (pointer and pointer[-1] == "ratings"):
                continue  # the team's own figures, shown as team context; ratings are keyed by dimension id
            yield pointer + (key,), str(key)
            yield from _keys(value, pointer + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _keys(value, pointer + (index,))
