"""A team's event files checked whole, for the common case: files with no problem at all.

The line-by-line reader in check/teams.py explains every problem at its line and column, at a cost
of several microseconds a line. Most files have no problem, so they are first read here whole:
msgspec decodes each line into a closed, typed record (the schema's fields, types and enums), and
the remaining rules run over all values of a field at once (patterns, sets of ids and services,
time order). Only a "clean" is trusted: the answer is None as soon as anything is, or might be,
wrong, and anything this path does not judge (an '@', a byte order mark, a blank line, an escaped
surrogate, CSV events, a quoted or Windows-ended counts file, a file over 32 MiB) counts as might be. Then the caller reads the files line by line, so every message
and every position is that reader's. Every test here is at least as strict as the schema and
the rules it stands for; tests/test_teams_fast.py checks the two paths agree."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from ..load.events import MAX_LINE_BYTES, too_large

# The schema's patterns (generator/check/schemas/deployment.schema.json, incident.schema.json), or
# stricter ones: a value they accept is one the schema accepts.
EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#+-]{0,199}")
ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
ID_MAX_LENGTH = 64
# RFC 3339 with a real calendar day (the schema's `format: date-time`), years 1900-2999, at most
# microseconds (what Python's datetime keeps) and no leap second.
_YEAR = r"(?:19|2[0-9])[0-9]{2}"
_LEAP_YEAR = r"(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)"
_MONTH_DAY = r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
TIMESTAMP = re.compile(
    rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
# At most 2,000 characters of printable ASCII but '@': no white space, nothing like an e-mail address.
URL = re.compile(r"https://[!-?A-~]{1,1992}|http://[!-?A-~]{1,1993}")
# `short` text (user_impact): 1 to 500 characters, at least one of them not blank.
VISIBLE = re.compile(
    "[^\\t\\n\\u000b\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
)
SHORT_MAX_LENGTH = 500
T = TypeVar("T")
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB]")
COUNTS_HEADER = "date,good,total"
# At most 15 digits: far below the reader's bound on numbers (2**53).
COUNT_ROWS = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2},[0-9]{1,15},[0-9]{1,15}\n)*")
COUNT_ROW = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}),([0-9]{1,15}),([0-9]{1,15})\n")


class Change(Struct, forbid_unknown_fields=True, gc=False):
    id: str
    committed_at: str


class Deployment(Struct, forbid_unknown_fields=True, gc=False):
    id: str
    service: str
    environment: str
    finished_at: str
    result: Literal["success", "failed", "rolled_back"]
    rolled_back_at: str | UnsetType = UNSET
    changes: Annotated[list[Change], Meta(max_length=10000)] | UnsetType = UNSET
    planned: bool | UnsetType = UNSET
    remediates: Annotated[list[str], Meta(max_length=1000)] | UnsetType = UNSET
    url: str | UnsetType = UNSET


class Incident(Struct, forbid_unknown_fields=True, gc=False):
    id: str
    service: str
    started_at: str
    severity: str
    user_impact: str
    resolved_at: str | UnsetType = UNSET
    caused_by: str | None | UnsetType = UNSET
    postmortem: str | UnsetType = UNSET


REQUIRED: dict[type, frozenset[str]] = {
    kind: frozenset(f.name for f in msgspec.structs.fields(kind) if f.required) for kind in (Deployment, Incident)
}


@dataclass(frozen=True)
class CleanEvents:
    """What the line-by-line reader would conclude about a team's clean event files."""

    deployment_days: list[date]  # the distinct UTC days with a deployment, sorted
    first_incident: date | None


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 timestamp (schema-checked) as an aware datetime in UTC."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def utc_day(timestamp: str) -> date:
    """The UTC day of a timestamp (most events are written in UTC, where the day is the first ten characters)."""
    if timestamp.endswith("Z"):
        return date.fromisoformat(timestamp[:10])
    return parse_timestamp(timestamp).date()


def clean_events(deployments: Path | None, incidents: Path | None, services: Sequence[str]) -> CleanEvents | None:
    """The team's deployments and incidents when both files are clean; None when either might not be."""
    deployed = _decoded(deployments, Deployment) if deployments is not None else []
    happened = _decoded(incidents, Incident) if incidents is not None else []
    if deployed is None or happened is None:
        return None
    deployment_ids = _clean_deployments(deployed, frozenset(services))
    incident_ids = _clean_incidents(happened, frozenset(services), deployment_ids)
    if deployment_ids is None or incident_ids is None:
        return None
    if not _clean_remediations(deployed, deployment_ids | incident_ids):
        return None
    started = _days(list(map(attrgetter("started_at"), happened)))
    return CleanEvents(sorted(_days(list(map(attrgetter("finished_at"), deployed)))), min(started) if started else None)


def clean_count_days(path: Path) -> list[date] | None:
    """The days of a clean `date,good,total` file, sorted; None when it might not be clean."""
    data = _clean_bytes(path, path.name)
    if data is None or not data.isascii() or b"\r" in data or b'"' in data:
        return None
    header, _, body = data.decode("ascii").partition("\n")
    if header != COUNTS_HEADER:
        return None
    if body and not body.endswith("\n"):
        body += "\n"
    if not COUNT_ROWS.fullmatch(body):
        return None
    days = []
    for day, good, total in COUNT_ROW.findall(body):
        if int(good) > int(total):
            return None
        try:
            days.append(date.fromisoformat(day))
        except ValueError:
            return None
    return sorted(days) if len(set(days)) == len(days) else None


# --- reading -----------------------------------------------------------------------------------------------


# A larger file is read line by line: whole, its records would take several times its size in memory.
MAX_WHOLE_BYTES = 32 * 1024 * 1024


def _clean_bytes(path: Path, display: str) -> bytes | None:
    """The file's bytes when none of them needs the line-by-line reader: no '@' (a value that may look
    like a person; an escaped one, \\u0040, is looked for in the values that may hold it), no escaped
    surrogate (Python reads a lone one, the schema validators may not), well-formed UTF-8."""
    if too_large(path, display, MAX_WHOLE_BYTES) is not None:
        return None
    data = path.read_bytes()
    if b"@" in data or (b"\\" in data and SURROGATE_ESCAPE.search(data)):  # one byte: the fastest search
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return data


def _decoded(path: Path, kind: type[T]) -> list[T] | None:
    """Every line of a JSON Lines file as a typed record, or None if any line is not one (or is blank)."""
    if path.suffix != ".jsonl":
        return None
    data = _clean_bytes(path, path.name)
    if data is None:
        return None
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()
    if lines and max(map(len, lines)) > MAX_LINE_BYTES:
        return None
    decode = msgspec.json.Decoder(kind).decode
    try:
        records = [decode(line) for line in lines]
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return records if _keys_written(data) == _keys_decoded(records) else None


# A key as most writers put it: a closing quote, then the colon. A key's closing quote never follows a
# backslash (every field name is plain letters), and a quote inside a string always does.
KEY_END = b'":'
SPACED_KEY_END = re.compile(rb'"[ \t\r]+:')


def _keys_written(data: bytes) -> int | None:
    """How many keys the lines spell, all objects together (None: not sure, a key may be spaced out)."""
    if (b'" ' in data or b'"\t' in data or b'"\r' in data) and SPACED_KEY_END.search(data):
        return None
    return data.count(KEY_END)


def _keys_decoded(records: Sequence[object]) -> int:
    """How many keys the typed records hold: msgspec keeps the last of a key written twice (the figures'
    reader refuses the line), so fewer than written means a duplicate key (or a '\":' in a value: either
    way the line-by-line reader decides)."""
    if not records:
        return 0
    kind = type(records[0])
    fields = kind.__struct_fields__  # type: ignore[attr-defined]
    optional = [f for f in fields if f not in REQUIRED[kind]]
    total = len(records) * (len(fields) - len(optional))
    for name in optional:
        values = list(map(attrgetter(name), records))
        total += len(values) - values.count(UNSET)
    if kind is Deployment:
        total += 2 * sum(len(d.changes) for d in records if isinstance(d, Deployment) and d.changes)
    return total


# --- rules over whole fields -------------------------------------------------------------------------------


def _clean_deployments(deployed: list[Deployment], services: frozenset[str]) -> frozenset[str] | None:
    """The deployment ids, when every deployment passes the schema and the rules of one record."""
    # map(attrgetter) and chain: the fastest ways Python has to gather a field of a million records
    ids = list(map(attrgetter("id"), deployed))
    unique_ids = frozenset(ids)
    changes = list(chain.from_iterable(d.changes for d in deployed if d.changes))
    change_ids = list(map(attrgetter("id"), changes))
    remediated = list(chain.from_iterable(d.remediates for d in deployed if d.remediates))
    urls = [d.url for d in deployed if d.url is not UNSET]
    rolled_back = [d for d in deployed if d.rolled_back_at is not UNSET]
    clean = (
        _all(EVENT_ID, ids)
        and _all(EVENT_ID, change_ids)
        and _all(EVENT_ID, remediated)
        and _all_timestamps(list(map(attrgetter("finished_at"), deployed)))
        and _all_timestamps(list(map(attrgetter("committed_at"), changes)))
        and _all_timestamps(list(map(attrgetter("rolled_back_at"), rolled_back)))
        and _all(URL, urls)
        and set(map(attrgetter("service"), deployed)) <= services
        and _all_ids(set(map(attrgetter("environment"), deployed)))
        and len(unique_ids) == len(ids)
        and _rolled_back_in_order(rolled_back)
        and (len(set(change_ids)) == len(change_ids) or _no_change_twice(deployed))
    )
    return unique_ids if clean else None


def _clean_incidents(
    happened: list[Incident], services: frozenset[str], deployment_ids: frozenset[str] | None
) -> frozenset[str] | None:
    ids = [i.id for i in happened]
    unique_ids = frozenset(ids)
    causes = [i.caused_by for i in happened if isinstance(i.caused_by, str)]
    resolved = [i for i in happened if i.resolved_at is not UNSET]
    clean = (
        deployment_ids is not None
        and _all(EVENT_ID, ids)
        and _all_timestamps([i.started_at for i in happened])
        and _all_timestamps([i.resolved_at for i in resolved if isinstance(i.resolved_at, str)])
        and _all(URL, [i.postmortem for i in happened if isinstance(i.postmortem, str)])
        and all(_short_text(i.user_impact) for i in happened)
        and {i.service for i in happened} <= services
        and _all_ids({i.severity for i in happened})
        and len(unique_ids) == len(ids)
        and set(causes) <= deployment_ids
        and all(not _before(i.resolved_at, i.started_at) for i in resolved if isinstance(i.resolved_at, str))
    )
    return unique_ids if clean else None


def _clean_remediations(deployed: list[Deployment], known: frozenset[str]) -> bool:
    """Every id a deployment remediates is a deployment or an incident of the team, never itself."""
    return all(set(d.remediates) <= known and d.id not in d.remediates for d in deployed if d.remediates)


def _short_text(value: str) -> bool:
    """`short` text, and nothing in it that could look like a person (an escaped '@')."""
    return 0 < len(value) <= SHORT_MAX_LENGTH and VISIBLE.search(value) is not None and "@" not in value


def _all_timestamps(values: list[str]) -> bool:
    return _usual_and_valid(values) or _all(TIMESTAMP, values)


# The usual form, 2YYY-MM-DDTHH:MM:SSZ, one a line: once each digit is mapped to '9', every line reads
# UTC_LAYOUT. Most files hold only this form: checking it a column at a time over all values at once
# costs half of matching TIMESTAMP value by value.
UTC_LAYOUT = b"9999-99-99T99:99:99Z\n"
DIGITS_AS_9 = bytes.maketrans(b"0123456789", b"9" * 10)


def _bounds(ones: dict[int, tuple[int, int]]) -> tuple[bytes, bytes]:
    """Translation tables from a byte (a tens digit, a month-and-tens code) to the lowest and highest ones
    digit allowed with it; any other byte to bounds no digit meets (':' above '9', '/' below '0')."""
    low, high = bytearray(b":" * 256), bytearray(b"/" * 256)
    for code, (lowest, highest) in ones.items():
        low[code], high[code] = ord("0") + lowest, ord("0") + highest
    return bytes(low), bytes(high)


MONTH_ONES = _bounds({ord("0"): (1, 9), ord("1"): (0, 2)})  # by the month's tens: 01-09, 10-12
HOUR_ONES = _bounds({ord("0"): (0, 9), ord("1"): (0, 9), ord("2"): (0, 3)})  # by the hour's tens: 00-23
# By month * 4 + the day's tens: days 01 to the month's last in a year that is not a leap year (29
# February, and years before 2000, go to TIMESTAMP).
DAY_ONES = _bounds(
    {
        month * 4 + tens: (1 if tens == 0 else 0, min(9, calendar.monthrange(2001, month)[1] - 10 * tens))
        for month in range(1, 13)
        for tens in range(4)
        if calendar.monthrange(2001, month)[1] >= 10 * tens
    }
)
MONTH_TENS = bytes.maketrans(b"01", b"\x00\x0a")  # a month's tens digit as the tens it adds


def _usual_and_valid(values: list[str]) -> bool:
    """Whether every value is in the usual form and a real time (False: not sure, match TIMESTAMP)."""
    text = "\n".join(values) + "\n"
    width, n = len(UTC_LAYOUT), len(values)
    if not values or len(text) != width * n or not text.isascii():
        return False
    lines = text.encode("ascii")
    if lines.translate(DIGITS_AS_9) != UTC_LAYOUT * n or lines[0::width] != b"2" * n:
        return False
    if lines[14::width].translate(None, b"012345") or lines[17::width].translate(None, b"012345"):
        return False  # a minute or second of 60 or more
    month_tens, month_ones, day_tens, day_ones = (lines[i::width] for i in (5, 6, 8, 9))
    if not (
        _ones_within(month_tens, month_ones, MONTH_ONES) and _ones_within(lines[11::width], lines[12::width], HOUR_ONES)
    ):
        return False
    if day_tens.translate(None, b"0123"):
        return False
    zeros = b"0" * n
    month = _number(month_ones) - _number(zeros) + _number(month_tens.translate(MONTH_TENS))  # 1-12 a byte
    code = (month << 2) + _number(day_tens) - _number(zeros)  # month * 4 + the day's tens, a byte each
    return _ones_within(code.to_bytes(n, "big"), day_ones, DAY_ONES)


def _ones_within(keys: bytes, ones: bytes, bounds: tuple[bytes, bytes]) -> bool:
    """Whether low[keys[i]] <= ones[i] <= high[keys[i]] for every i: one subtraction of big integers, a
    byte of each per value (a digit, or a bound just outside the digits), no byte ever borrows from the next,
    so the top bit of a byte of the difference is set exactly where that byte's test holds."""
    low, high = (keys.translate(table) for table in bounds)
    top = _number(b"\x80" * len(ones))
    return (((_number(ones) | top) - _number(low)) & top == top) and (
        ((_number(high) | top) - _number(ones)) & top == top
    )


def _number(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _all(pattern: re.Pattern[str], values: list[str]) -> bool:
    return all(map(pattern.fullmatch, values))


def _all_ids(values: Iterable[str]) -> bool:
    return all(len(v) <= ID_MAX_LENGTH and ID.fullmatch(v) for v in values)


def _rolled_back_in_order(deployed: list[Deployment]) -> bool:
    return not any(_before(d.rolled_back_at, d.finished_at) for d in deployed if isinstance(d.rolled_back_at, str))


def _no_change_twice(deployed: list[Deployment]) -> bool:
    """No deployment lists one change twice (the same change in two deployments is fine)."""
    return all(len({c.id for c in d.changes}) == len(d.changes) for d in deployed if d.changes)


def _before(later: str, earlier: str) -> bool:
    """Whether `later` is before `earlier` (two timestamps that passed TIMESTAMP)."""
    if len(later) == len(earlier) == 20 and later[-1] == earlier[-1] == "Z":
        return later < earlier  # the same fixed-width UTC form orders as text
    return parse_timestamp(later) < parse_timestamp(earlier)


def _days(stamps: list[str]) -> set[date]:
    if set(map(itemgetter(-1), stamps)) <= {"Z"}:  # all in UTC, as most are: the day is the first ten characters
        return {date.fromisoformat(day) for day in set(map(itemgetter(slice(0, 10)), stamps))}
    utc: set[str] = set()
    days: set[date] = set()
    for stamp in stamps:
        if stamp[-1] == "Z":
            utc.add(stamp[:10])
        else:
            days.add(parse_timestamp(stamp).date())
    return days | {date.fromisoformat(day) for day in utc}
