"""Getting a team's events in without a network service: from a git repository (tags or merge
commits as deployments), a CSV export with a column mapping, or GitHub's or GitLab's deployments
REST responses saved as JSON files.

Imports are idempotent: records are keyed by id, an imported id replaces the record with the same
id, and the file is written sorted, so importing the same source twice gives the same file.
Nothing that names a person is ever read into a record (no author, committer, creator or user):
only ids, times, environments and results."""

from __future__ import annotations

import csv
import fnmatch
import json
import os
import re
import stat
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import UTC
from pathlib import Path
from typing import Any

from ..check.schema_check import check as schema_errors
from ..check.teams import PERSON_KEYS, PERSON_VALUE, RESERVED_TEAM_IDS, TEAM_ID, TEAMS_FOLDER
from ..load.events import MAX_EVENT_BYTES
from ..load.loader import Document
from ..load.safe_files import UnsafeFileError, read_regular, write_exclusive
from ..model.errors import HandbookError

Progress = Callable[[str], None]


class ImportError_(HandbookError):
    """An import that cannot be done; nothing was written."""


class NotATeam(HandbookError):
    """TEAM is not the id of a team folder directly under teams/ (a usage error: nothing was read or written)."""

    exit_code = 2


@dataclass(frozen=True)
class Event:
    """One record to import and where it came from, so that a refusal names the file and the record:
    `origin` is "file:line" (CSV) or "file: deployment 3" (a JSON response); `columns` gives a CSV
    field's column."""

    record: dict[str, Any]
    origin: str
    columns: Mapping[str, int] = _field(default_factory=dict)

    def at(self, name: str | None) -> str:
        if name is None:
            return self.origin
        if name in self.columns:
            return f"{self.origin}:{self.columns[name]}"
        return f"{self.origin}, field '{name}'"


_ID_HINT = "name a team folder under teams/ by its id (lowercase letters, digits and single hyphens, e.g. checkout)"


def require_team_id(team: str) -> None:
    """Refuse (NotATeam, exit 2) anything that is not a team id: a path, '..', control characters."""
    if not TEAM_ID.fullmatch(team) or len(team) > 64 or team in RESERVED_TEAM_IDS:
        raise NotATeam(f"'{team}' is not a team id: {_ID_HINT}")


def team_folder(root: Path, team: str) -> Path:
    """teams/TEAM under `root`: TEAM must be a team id naming a real folder directly under teams/ (no
    path, no '..', no symbolic link), so that an import can never write anywhere else."""
    require_team_id(team)
    base = root / TEAMS_FOLDER
    folder = base / team
    for place in (base, folder):
        try:
            info = place.lstat()
        except OSError:
            raise NotATeam(
                f"there is no team '{team}' ({TEAMS_FOLDER}/{team}/ does not exist): create "
                f"{TEAMS_FOLDER}/{team}/team.yaml first, or {_ID_HINT}"
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder"
            shown = TEAMS_FOLDER if place == base else f"{TEAMS_FOLDER}/{team}"
            raise NotATeam(f"{shown} is {kind}; imports write only into a real folder under {TEAMS_FOLDER}/")
    return folder


def read_source(path: Path, what: str) -> tuple[str, bytes]:
    """The text of an input file (a CSV export or a saved JSON response), refused unless it is a regular
    file (checked before it is opened: a FIFO or device would block); non-UTF-8 is refused at its line
    and column."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "a FIFO or device"
            if not stat.S_ISLNK(info.st_mode)
            else "a link"
        )
        raise ImportError_(f"{path}: the {what} is {kind}, not a regular file; give the file itself")
    try:
        raw = read_regular(path, MAX_EVENT_BYTES, what=what)
    except UnsafeFileError as exc:
        raise ImportError_(exc.format_message()) from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), raw
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw, exc.start)
        raise ImportError_(
            f"{path}:{line}:{column}: the {what} is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None


def _line_column(raw: bytes, offset: int) -> tuple[int, int]:
    start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[start:offset].decode("utf-8", errors="replace")) + 1


@dataclass(frozen=True)
class Imported:
    file: Path
    added: int
    updated: int
    unchanged: int


def _quiet(message: str) -> None:
    pass


def _git(repository: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repository), *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except OSError as exc:
        raise ImportError_(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        raise ImportError_(
            f"git {' '.join(args[:2])} failed in {repository}: {done.stderr.strip().splitlines()[-1:] or ''}"
        )
    return done.stdout


# The shapes accepted: RFC 3339 and what exports write (a space for the T, no seconds' fraction or no offset,
# read as UTC); ASCII digits only. Anything else (words, bare numbers, a date alone) is refused.
_STAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


class BadTimestamp(ValueError):
    """A value that is no date and time the tool can hold; the message says why."""


def _utc(stamp: object) -> str:
    """A git, export or API timestamp as RFC 3339 in UTC (Z); BadTimestamp for anything that is not one
    (a number, words, 30 February, a leap second, year 9999 at -05:00)."""
    from datetime import datetime

    if not isinstance(stamp, str):
        raise BadTimestamp(f"{json.dumps(stamp)} is not a date and time (write an RFC 3339 timestamp as text)")
    if not _STAMP.fullmatch(stamp):
        raise BadTimestamp(f"'{stamp}' is not a date and time (write RFC 3339, e.g. 2026-09-01T14:03:00Z)")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        reason = "outside the years 0001-9999 in UTC" if isinstance(exc, OverflowError) else str(exc)
        raise BadTimestamp(f"'{stamp}' is no real date and time ({reason})") from None
    return utc.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _changes(repository: Path, revisions: str) -> list[dict[str, str]]:
    lines = _git(repository, "log", "--no-merges", "--format=%H %cI", revisions).split()
    return [
        {"id": sha, "committed_at": _git_time(stamp, f"commit {sha}")} for sha, stamp in zip(lines[::2], lines[1::2])
    ]


def _git_time(stamp: str, what: str) -> str:
    try:
        return _utc(stamp)
    except BadTimestamp as exc:
        raise ImportError_(f"{what}: {exc}") from None


def from_git_tags(
    repository: Path, pattern: str, service: str, environment: str, progress: Progress = _quiet
) -> list[Event]:
    """Each tag matching the glob `pattern` is a successful deployment at the tag's date; its changes are
    the commits since the previous matching tag."""
    listed = _git(
        repository,
        "for-each-ref",
        "--sort=creatordate",
        "--format=%(refname:short) %(creatordate:iso-strict)",
        "refs/tags",
    ).splitlines()
    tags = [line.split(" ", 1) for line in listed if line and fnmatch.fnmatchcase(line.split(" ", 1)[0], pattern)]
    rows: list[Event] = []
    previous = None
    for number, (tag, stamp) in enumerate(tags, start=1):
        if number % 200 == 0:
            progress(f"Read {number:,} of {len(tags):,} tags")
        revisions = f"{previous}..{tag}" if previous else tag
        record = {
            "id": f"tag:{tag}",
            "service": service,
            "environment": environment,
            "finished_at": _git_time(stamp, f"{repository}: tag {tag}"),
            "result": "success",
            "changes": _changes(repository, revisions),
        }
        rows.append(Event(record, f"{repository}: tag {tag}"))
        previous = tag
    return rows


def from_git_merges(
    repository: Path, branch: str, subject: str | None, service: str, environment: str, progress: Progress = _quiet
) -> list[Event]:
    """Each merge commit on `branch`'s first-parent line (whose subject matches the regular expression
    `subject`, if given) is a successful deployment at its commit time; its changes are the merged commits."""
    try:
        pattern = re.compile(subject) if subject else None
    except re.error as exc:
        raise ImportError_(f"--pattern '{subject}' is not a regular expression: {exc}") from None
    merges = [
        line.split("\x1f")
        for line in _git(
            repository, "log", "--first-parent", "--merges", "--format=%H\x1f%cI\x1f%s", branch
        ).splitlines()
        if line
    ]
    rows: list[Event] = []
    for number, (sha, stamp, title) in enumerate(reversed(merges), start=1):
        if number % 200 == 0:
            progress(f"Read {number:,} of {len(merges):,} merges")
        if pattern and not pattern.search(title):
            continue
        record = {
            "id": f"merge:{sha}",
            "service": service,
            "environment": environment,
            "finished_at": _git_time(stamp, f"{repository}: merge {sha}"),
            "result": "success",
            "changes": _changes(repository, f"{sha}^1..{sha}"),
        }
        rows.append(Event(record, f"{repository}: merge {sha}"))
    return rows


def read_json(path: Path) -> Any:
    """A saved REST response: a regular UTF-8 file holding JSON, refused at its line and column otherwise."""
    text, raw = read_source(path, "response")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportError_(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); save the whole API response"
        ) from None
    except RecursionError:
        line, column = _too_deep(text)
        raise ImportError_(
            f"{path}:{line}:{column}: JSON nested too deeply; a deployments response is a list of objects"
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ImportError_(f"{path}: not valid JSON ({exc})") from None


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_TOO_DEEP = 200  # far deeper than any REST response; far below Python's recursion limit


def _too_deep(text: str) -> tuple[int, int]:
    """Where JSON nesting first passes _TOO_DEEP levels (only called once the parser gave up)."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(token.group(), 0)
        if depth > _TOO_DEEP:
            start = token.start()
            return text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
    return 1, 1


def from_github(data: Any, service: str, shown: str) -> list[Event]:
    """GitHub's `GET /repos/{owner}/{repo}/deployments` response (a list). The creator is never read.
    A `state` or `latest_status` (from the statuses endpoint, if saved alongside) sets the result."""
    rows: list[Event] = []
    for origin, item in _items(data, "GitHub", shown):
        state = str(item.get("state") or item.get("latest_status") or "success")
        if state not in ("success", "failure", "error", "inactive"):
            continue  # pending, queued, in progress: not finished
        record: dict[str, Any] = {
            "id": f"github:{_api_id(item, origin)}",
            "service": service,
            "environment": str(item.get("environment") or "production"),
            "finished_at": _api_time(item, ("updated_at", "created_at"), origin),
            "result": "failed" if state in ("failure", "error") else "success",
            "changes": [],
        }
        rows.append(Event(record, origin))
    return rows


def from_gitlab(data: Any, service: str, shown: str) -> list[Event]:
    """GitLab's `GET /projects/:id/deployments` response (a list). The user is never read."""
    rows: list[Event] = []
    for origin, item in _items(data, "GitLab", shown):
        status = item.get("status")
        if status not in ("success", "failed"):
            continue  # created, running, canceled, blocked: no deployment finished
        deployable = _object(item.get("deployable"))
        commit = _object(deployable.get("commit"))
        changes = (
            [
                {
                    "id": str(_api_id(commit, f"{origin}, deployable.commit")),
                    "committed_at": _api_time(commit, ("committed_date", "created_at"), f"{origin}, deployable.commit"),
                }
            ]
            if commit.get("id") and (commit.get("committed_date") or commit.get("created_at"))
            else []
        )
        environment = item.get("environment")
        record = {
            "id": f"gitlab:{_api_id(item, origin)}",
            "service": service,
            "environment": str(
                environment.get("name") if isinstance(environment, dict) else environment or "production"
            ),
            "finished_at": _api_time(
                {"finished_at": deployable.get("finished_at"), **item},
                ("finished_at", "updated_at", "created_at"),
                origin,
            ),
            "result": status,
            "changes": changes,
        }
        rows.append(Event(record, origin))
    return rows


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _api_id(item: dict[str, Any], origin: str) -> str:
    """An id as GitHub and GitLab write them: a whole number or text (never null, true or 1.5)."""
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise ImportError_(
            f"{origin}, field 'id': {json.dumps(value)} is not an id (a number or text); nothing was written"
        )
    return str(value)


def _api_time(item: dict[str, Any], keys: tuple[str, ...], origin: str) -> str:
    key = next((k for k in keys if item.get(k) not in (None, "")), keys[-1])
    try:
        return _utc(item.get(key))
    except BadTimestamp as exc:
        raise ImportError_(f"{origin}, field '{key}': {exc}; nothing was written") from None


def _items(data: Any, source: str, shown: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(data, list):
        raise ImportError_(
            f"{shown}: not a {source} deployments response: it holds a JSON {_json_kind(data)}, "
            "not a list of deployments; save the response of the deployments endpoint"
        )
    for number, item in enumerate(data, start=1):
        origin = f"{shown}: deployment {number}"
        if not isinstance(item, dict):
            raise ImportError_(f"{origin}: a JSON {_json_kind(item)}, not a deployment object; nothing was written")
        missing = [
            k for k in ("id", "created_at") if k not in item and not (k == "created_at" and "updated_at" in item)
        ]
        if missing:
            raise ImportError_(f"{origin}: no '{missing[0]}'; nothing was written")
        yield origin, item


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "true/false", type(None): "null"}.get(
        type(value), "number"
    )


_CSV_LISTS = ("remediates",)
_CSV_BOOLEANS = ("planned",)


def from_csv(path: Path, mapping: Mapping[str, str], fixed: Mapping[str, str]) -> list[Event]:
    """Rows of a CSV export, each field taken from the column `mapping` names (field=Column), or fixed
    (`fixed`, e.g. service=checkout-api). `changes` columns hold `id@committed_at` pairs."""
    text, _ = read_source(path, "CSV export")
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportError_(f"{path}:{reader.line_num}:1: not valid CSV ({exc})") from None
    if not rows:
        raise ImportError_(f"{path}: the file is empty")
    header = rows[0]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        column = next(i for i, name in enumerate(header, start=1) if header.index(name) != i - 1)
        raise ImportError_(
            f"{path}:1:{column}: the header names column {', '.join(repr(r) for r in repeated)} more than once; "
            "rename the columns so that each --map names one"
        )
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise ImportError_(
            f"{path}: no column {', '.join(repr(m) for m in missing)}; the header has: {', '.join(header)}"
        )
    columns = {name: header.index(column) + 1 for name, column in mapping.items()}
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ImportError_(f"{path}:{number}:1: row has {len(row)} cells; the header has {len(header)}")
        record: dict[str, Any] = dict(fixed)
        for name, column in columns.items():
            cell = row[column - 1].strip()
            if cell:
                record[name] = _csv_value(name, cell, f"{path}:{number}:{column}")
        result.append(Event(record, f"{path}:{number}", columns))
    return result


def _csv_value(name: str, cell: str, where: str) -> Any:
    if name in _CSV_LISTS:
        return cell.split()
    if name in _CSV_BOOLEANS:
        if cell.lower() not in ("true", "false"):
            raise ImportError_(f"{where}: '{cell}' is not true or false")
        return cell.lower() == "true"
    try:
        if name == "changes":
            changes = []
            for item in cell.split():
                ident, _, stamp = item.rpartition("@")
                if not ident:
                    raise ImportError_(f"{where}: '{item}' is not id@committed_at")
                changes.append({"id": ident, "committed_at": _utc(stamp)})
            return changes
        if name.endswith("_at"):
            return _utc(cell)
    except BadTimestamp as exc:
        raise ImportError_(f"{where}: {exc}") from None
    return cell


def write_events(target: Path, kind: str, events: Iterable[Event], progress: Progress = _quiet) -> Imported:
    """Merge `events` into the JSON Lines file `target` by id, check every record against its schema and the
    no-person rule first (nothing is written if one fails), and write the file sorted, atomically."""
    incoming = list(events)
    for event in incoming:
        problem = _problem(event, kind)
        if problem:
            raise ImportError_(f"{problem}; nothing was written")
    existing = _existing(target, kind)
    added = updated = unchanged = 0
    for event in incoming:
        record = event.record
        before = existing.get(record["id"])
        if before is None:
            added += 1
        elif before == record:
            unchanged += 1
        else:
            updated += 1
        existing[record["id"]] = record
    when = "finished_at" if kind == "deployment" else "started_at"
    ordered = sorted(existing.values(), key=lambda r: (str(r.get(when, "")), str(r["id"])))
    text = "".join(json.dumps(row, ensure_ascii=False, separators=(", ", ": ")) + "\n" for row in ordered)
    try:
        write_exclusive(target, text)
    except UnsafeFileError as exc:
        raise ImportError_(exc.format_message()) from None
    progress(f"Wrote {len(ordered):,} {kind}s to {target}")
    return Imported(target, added, updated, unchanged)


def _existing(target: Path, kind: str) -> dict[str, dict[str, Any]]:
    """The records already in `target` by id; a file that is not clean JSON Lines is refused (fix it first)."""
    if not os.path.lexists(target):
        return {}
    try:
        raw = read_regular(target, MAX_EVENT_BYTES, what=f"{kind} file", follow=False)
        lines = raw.decode("utf-8").splitlines()
    except UnsafeFileError as exc:
        raise ImportError_(exc.format_message()) from None
    except UnicodeDecodeError as exc:
        row, column = _line_column(raw, exc.start)
        raise ImportError_(f"{target}:{row}:{column}: not UTF-8; fix the file (handbook validate) first") from None
    existing: dict[str, dict[str, Any]] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except (ValueError, RecursionError) as exc:
            column = exc.colno if isinstance(exc, json.JSONDecodeError) else 1
            raise ImportError_(
                f"{target}:{number}:{column}: not a JSON object; fix the file (handbook validate) first"
            ) from None
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise ImportError_(f"{target}:{number}:1: not a {kind} with an id; fix the file (handbook validate) first")
        existing[row["id"]] = row
    return existing


def _problem(event: Event, kind: str) -> str | None:
    for key, value in event.record.items():
        if key.lower() in PERSON_KEYS:
            return f"{event.at(key)}: '{key}' would name a person"
        if isinstance(value, str) and PERSON_VALUE.search(value):
            return f"{event.at(key)}: '{key}' looks like an e-mail address or @handle"
    found = schema_errors(Document(event.origin, event.record, {}, {}), kind)
    if not found:
        return None
    first = found[0]
    name = str(first.pointer[0]) if first.pointer else None
    return f"{event.at(name)}: {first.message} (the {kind} schema: generator/check/schemas/{kind}.schema.json)"
