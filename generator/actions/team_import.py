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
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from ..check.schema_check import is_valid
from ..check.teams import PERSON_KEYS, PERSON_VALUE
from ..model.errors import HandbookError

Progress = Callable[[str], None]


class ImportError_(HandbookError):
    """An import that cannot be done; nothing was written."""


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


def _utc(stamp: str) -> str:
    """A git or API timestamp as RFC 3339 in UTC (Z)."""
    from datetime import datetime

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _changes(repository: Path, revisions: str) -> list[dict[str, str]]:
    lines = _git(repository, "log", "--no-merges", "--format=%H %cI", revisions).split()
    return [{"id": sha, "committed_at": _utc(stamp)} for sha, stamp in zip(lines[::2], lines[1::2])]


def from_git_tags(
    repository: Path, pattern: str, service: str, environment: str, progress: Progress = _quiet
) -> list[dict[str, Any]]:
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
    rows: list[dict[str, Any]] = []
    previous = None
    for number, (tag, stamp) in enumerate(tags, start=1):
        if number % 200 == 0:
            progress(f"Read {number:,} of {len(tags):,} tags")
        revisions = f"{previous}..{tag}" if previous else tag
        rows.append(
            {
                "id": f"tag:{tag}",
                "service": service,
                "environment": environment,
                "finished_at": _utc(stamp),
                "result": "success",
                "changes": _changes(repository, revisions),
            }
        )
        previous = tag
    return rows


def from_git_merges(
    repository: Path, branch: str, subject: str | None, service: str, environment: str, progress: Progress = _quiet
) -> list[dict[str, Any]]:
    """Each merge commit on `branch`'s first-parent line (whose subject matches the regular expression
    `subject`, if given) is a successful deployment at its commit time; its changes are the merged commits."""
    pattern = re.compile(subject) if subject else None
    merges = [
        line.split("\x1f")
        for line in _git(
            repository, "log", "--first-parent", "--merges", "--format=%H\x1f%cI\x1f%s", branch
        ).splitlines()
        if line
    ]
    rows: list[dict[str, Any]] = []
    for number, (sha, stamp, title) in enumerate(reversed(merges), start=1):
        if number % 200 == 0:
            progress(f"Read {number:,} of {len(merges):,} merges")
        if pattern and not pattern.search(title):
            continue
        rows.append(
            {
                "id": f"merge:{sha}",
                "service": service,
                "environment": environment,
                "finished_at": _utc(stamp),
                "result": "success",
                "changes": _changes(repository, f"{sha}^1..{sha}"),
            }
        )
    return rows


def from_github(data: Any, service: str) -> list[dict[str, Any]]:
    """GitHub's `GET /repos/{owner}/{repo}/deployments` response (a list). The creator is never read.
    A `state` or `latest_status` (from the statuses endpoint, if saved alongside) sets the result."""
    rows: list[dict[str, Any]] = []
    for item in _items(data, "GitHub"):
        state = str(item.get("state") or item.get("latest_status") or "success")
        if state not in ("success", "failure", "error", "inactive"):
            continue  # pending, queued, in progress: not finished
        rows.append(
            {
                "id": f"github:{item['id']}",
                "service": service,
                "environment": str(item.get("environment") or "production"),
                "finished_at": _utc(str(item.get("updated_at") or item["created_at"])),
                "result": "failed" if state in ("failure", "error") else "success",
                "changes": [],
            }
        )
    return rows


def from_gitlab(data: Any, service: str) -> list[dict[str, Any]]:
    """GitLab's `GET /projects/:id/deployments` response (a list). The user is never read."""
    rows: list[dict[str, Any]] = []
    for item in _items(data, "GitLab"):
        status = item.get("status")
        if status not in ("success", "failed"):
            continue  # created, running, canceled, blocked: no deployment finished
        deployable = item.get("deployable") or {}
        commit = deployable.get("commit") or {}
        changes = (
            [{"id": str(commit["id"]), "committed_at": _utc(str(commit.get("committed_date") or commit["created_at"]))}]
            if commit.get("id") and (commit.get("committed_date") or commit.get("created_at"))
            else []
        )
        environment = item.get("environment")
        rows.append(
            {
                "id": f"gitlab:{item['id']}",
                "service": service,
                "environment": str(
                    environment.get("name") if isinstance(environment, dict) else environment or "production"
                ),
                "finished_at": _utc(str(deployable.get("finished_at") or item.get("updated_at") or item["created_at"])),
                "result": status,
                "changes": changes,
            }
        )
    return rows


def _items(data: Any, source: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(
        isinstance(i, dict) and "id" in i and ("created_at" in i or "updated_at" in i) for i in data
    ):
        raise ImportError_(
            f"not a {source} deployments response: expected a JSON list of deployments with id and created_at"
        )
    return data


_CSV_LISTS = ("remediates",)
_CSV_BOOLEANS = ("planned",)


def from_csv(path: Path, mapping: Mapping[str, str], fixed: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows of a CSV export, each field taken from the column `mapping` names (field=Column), or fixed
    (`fixed`, e.g. service=checkout-api). `changes` columns hold `id@committed_at` pairs."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, strict=True))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportError_(f"{path}: cannot read CSV: {exc}") from None
    if not rows:
        raise ImportError_(f"{path}: the file is empty")
    header = rows[0]
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise ImportError_(
            f"{path}: no column {', '.join(repr(m) for m in missing)}; the header has: {', '.join(header)}"
        )
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ImportError_(f"{path}:{number}:1: row has {len(row)} cells; the header has {len(header)}")
        record: dict[str, Any] = dict(fixed)
        for field, column in mapping.items():
            cell = row[header.index(column)].strip()
            if cell:
                record[field] = _csv_value(field, cell, path, number, header.index(column) + 1)
        result.append(record)
    return result


def _csv_value(field: str, cell: str, path: Path, row: int, column: int) -> Any:
    if field in _CSV_LISTS:
        return cell.split()
    if field in _CSV_BOOLEANS:
        if cell.lower() not in ("true", "false"):
            raise ImportError_(f"{path}:{row}:{column}: '{cell}' is not true or false")
        return cell.lower() == "true"
    if field == "changes":
        changes = []
        for item in cell.split():
            ident, _, stamp = item.rpartition("@")
            if not ident:
                raise ImportError_(f"{path}:{row}:{column}: '{item}' is not id@committed_at")
            changes.append({"id": ident, "committed_at": _utc(stamp)})
        return changes
    if field.endswith("_at"):
        try:
            return _utc(cell)
        except ValueError:
            raise ImportError_(f"{path}:{row}:{column}: '{cell}' is not a date and time") from None
    return cell


def write_events(target: Path, kind: str, records: Iterable[dict[str, Any]], progress: Progress = _quiet) -> Imported:
    """Merge `records` into the JSON Lines file `target` by id, check every record against its schema and the
    no-person rule first (nothing is written if one fails), and write the file sorted, atomically."""
    incoming = list(records)
    for number, record in enumerate(incoming, start=1):
        problem = _problem(record, kind)
        if problem:
            raise ImportError_(f"imported {kind} {number} ({record.get('id', '?')}): {problem}; nothing was written")
    existing: dict[str, dict[str, Any]] = {}
    if target.exists():
        for line in target.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                existing[row["id"]] = row
    added = updated = unchanged = 0
    for record in incoming:
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
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for row in ordered:
            out.write(json.dumps(row, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    os.replace(temporary, target)
    progress(f"Wrote {len(ordered):,} {kind}s to {target}")
    return Imported(target, added, updated, unchanged)


def _problem(record: dict[str, Any], kind: str) -> str | None:
    for key, value in record.items():
        if key.lower() in PERSON_KEYS:
            return f"'{key}' would name a person"
        if isinstance(value, str) and PERSON_VALUE.search(value):
            return f"'{key}' looks like an e-mail address or @handle"
    if not is_valid(record, kind):
        return f"does not match the {kind} schema (generator/check/schemas/{kind}.schema.json)"
    return None
