"""Event files of a team (deployments, incidents, daily SLO counts), read with positions.

JSON Lines and CSV are read a line (a row) at a time, never whole into memory, so a file of any
size is either refused at once by its size or streamed. Every record keeps where it came from:
`file:line:col` for JSON Lines (the column of the key that holds a value), `file:row:column` for
CSV (the row counts the header as row 1; the column is the 1-based column number)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.diagnostics import Diagnostic, error
from .loader import MAX_INTEGER, MAX_NUMBER_CHARACTERS

# A team's event file above this size is refused before it is read: a year of a very busy team's
# deployments is a few MB; a file this large is an export gone wrong, not events.
MAX_EVENT_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
CSV_INTEGER = re.compile(r"-?[0-9]+")  # a negative count is read, then refused with its own message
MAX_PROBLEMS_PER_FILE = 50  # a file broken on every line says so once per line only up to here


@dataclass(frozen=True)
class Record:
    """One event: its data as JSON would hold it, and where each top-level key sits."""

    file: str
    line: int
    data: dict[str, Any]
    columns: dict[str, int] = field(default_factory=dict, compare=False)
    text: str | None = field(default=None, compare=False, repr=False)  # a JSON line: columns are found when asked

    @property
    def at_sign(self) -> bool:
        """Whether any value could hold an e-mail address or @handle (most lines cannot: skip the closer look).
        An escape may spell the '@' (\\u0040), so a line with one gets the closer look too."""
        return "@" in self.text or "\\u" in self.text if self.text is not None else True

    def at(self, key: str | None = None) -> tuple[int, int]:
        if not key:
            return self.line, 1
        if key not in self.columns and self.text is not None:
            found = self.text.find(json.dumps(key))
            return self.line, found + 1 if found >= 0 else 1
        return self.line, self.columns.get(key, 1)


@dataclass(frozen=True)
class EventFile:
    """The records of one file and the problems reading it (a syntax problem skips its line only)."""

    display: str
    records: tuple[Record, ...]
    problems: tuple[Diagnostic, ...]
    format: str  # "jsonl" or "csv"
    refused: tuple[Record, ...] = ()  # lines read but refused as they stand (a key twice): their ids are known


def too_large(path: Path, display: str, max_bytes: int = MAX_EVENT_BYTES) -> Diagnostic | None:
    try:
        info = path.lstat()
        size = info.st_size
    except OSError as exc:
        return error(display, "unreadable", f"cannot read file: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):  # a FIFO would hang the reader, a link could point anywhere
        return error(display, "unreadable", "not a regular file (a link, FIFO or device); commit the file itself")
    if size > max_bytes:
        return error(
            display,
            "file-too-large",
            f"file is {size:,} bytes; event files are limited to {max_bytes:,} "
            "bytes: keep one team's events in its own folder and archive years nobody reads any more",
        )
    return None


def read_events(
    path: Path,
    display: str,
    *,
    csv_lists: tuple[str, ...] = (),
    csv_pairs: dict[str, tuple[str, str]] | None = None,
    csv_booleans: tuple[str, ...] = (),
    csv_numbers: tuple[str, ...] = (),
    max_bytes: int = MAX_EVENT_BYTES,
) -> EventFile:
    """Records of a .jsonl or .csv file. CSV cells are converted to the JSON shapes the schema
    expects: `csv_lists` columns are space-separated lists, `csv_pairs` columns space-separated
    `a@b` pairs (as objects with those two keys), `csv_booleans` true/false, `csv_numbers` integers;
    an empty cell is an absent value."""
    refused = too_large(path, display, max_bytes)
    if refused is not None:
        return EventFile(display, (), (refused,), "csv" if display.endswith(".csv") else "jsonl")
    if display.endswith(".csv"):
        return _read_csv(path, display, csv_lists, csv_pairs or {}, csv_booleans, csv_numbers)
    return _read_jsonl(path, display)


def _read_jsonl(path: Path, display: str) -> EventFile:
    records: list[Record] = []
    refused: list[Record] = []
    problems: list[Diagnostic] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if len(problems) >= MAX_PROBLEMS_PER_FILE:
                problems.append(
                    error(
                        display,
                        "too-many-problems",
                        f"more than {MAX_PROBLEMS_PER_FILE} broken lines; stopped reading: is this a JSON Lines file?",
                    ).at(number, 1)
                )
                break
            record, problem = _json_line(raw, number, display)
            if problem is not None:
                problems.append(problem)
                if record is not None:
                    refused.append(record)
            elif record is not None:
                records.append(record)
    return EventFile(display, tuple(records), tuple(problems), "jsonl", tuple(refused))


def _json_line(raw: bytes, number: int, display: str) -> tuple[Record | None, Diagnostic | None]:
    if len(raw) > MAX_LINE_BYTES:
        return None, error(
            display, "line-too-long", f"line is {len(raw):,} bytes; one event is at most {MAX_LINE_BYTES:,} bytes"
        ).at(number, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, error(
            display, "not-utf8", f"line is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ).at(number, exc.start + 1)
    if number == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return None, None
    try:
        data = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except _OutOfRange as exc:
        return None, error(display, "number-out-of-range", f"number out of range: {exc}").at(number, 1)
    except _DuplicateKey:
        key, column = first_duplicate_key(text)
        salvaged = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constant)
        return Record(display, number, salvaged, text=text) if isinstance(salvaged, dict) else None, error(
            display,
            "duplicate-key",
            f"duplicate key '{key}': each key appears once in an object (readers disagree on which one counts); "
            "keep one",
        ).at(number, column)
    except json.JSONDecodeError as exc:
        hint = " (the line ends early: a truncated file?)" if exc.pos >= len(text.rstrip()) else ""
        return None, error(display, "json-syntax", f"not JSON: {exc.msg}{hint}; each line holds one JSON object").at(
            number, exc.colno
        )
    except RecursionError:
        return None, error(display, "too-deep", "value nested too deeply").at(number, 1)
    if not isinstance(data, dict):
        return None, error(display, "not-an-object", f"each line must be a JSON object, not {_json_type(data)}").at(
            number, 1
        )
    return Record(display, number, data, text=text), None


class _DuplicateKey(ValueError):
    """A key written twice in one object (Python keeps the last, the figures' reader refuses the line)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _DuplicateKey
    return data


# The tokens that place a key: strings and the punctuation around them (numbers and literals are skipped).
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]')


def first_duplicate_key(text: str) -> tuple[str, int]:
    """The first key (in reading order) repeated in its object, and its 1-based column in text."""
    objects: list[set[str] | None] = []  # per open container: the keys seen so far (None: an array)
    expect_key = False
    for token in _JSON_TOKEN.finditer(text):
        value = token.group()
        if value == "{":
            objects.append(set())
            expect_key = True
        elif value == "[":
            objects.append(None)
        elif value in "}]":
            if objects:
                objects.pop()
            expect_key = False
        elif value == ",":
            expect_key = bool(objects) and objects[-1] is not None
        elif value == ":":
            expect_key = False
        elif expect_key and objects and (keys := objects[-1]) is not None:
            key = json.loads(value)
            if key in keys:
                return key, token.start() + 1
            keys.add(key)
            expect_key = False
    return "?", 1


class _OutOfRange(ValueError):
    """A number no event needs, refused before Python converts it (int() refuses 4,300+ digits)."""


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARACTERS or abs(value := int(text)) > MAX_INTEGER:
        raise _OutOfRange(f"{text[:20]}{'…' if len(text) > 20 else ''} is too large (at most {MAX_INTEGER:,})")
    return value


def _bounded_float(text: str) -> float:
    value = float(text[: MAX_NUMBER_CHARACTERS + 1])
    if len(text) > MAX_NUMBER_CHARACTERS or not math.isfinite(value) or abs(value) > MAX_INTEGER:
        raise _OutOfRange(f"{text[:20]} is not a finite number of a sane size")
    return value


def _no_constant(name: str) -> float:
    raise _OutOfRange(f"{name} is not a number an event can hold")


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _read_csv(
    path: Path,
    display: str,
    lists: tuple[str, ...],
    pairs: dict[str, tuple[str, str]],
    booleans: tuple[str, ...],
    numbers: tuple[str, ...],
) -> EventFile:
    records: list[Record] = []
    problems: list[Diagnostic] = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle, strict=True)
            header = next(rows, None)
            if header is None:
                return EventFile(
                    display, (), (error(display, "empty-file", "file is empty: expected a header row"),), "csv"
                )
            problems.extend(_header_problems(display, header))
            for number, row in enumerate(rows, start=2):
                if len(problems) >= MAX_PROBLEMS_PER_FILE:
                    break
                record, found = _csv_row(display, number, header, row, lists, pairs, booleans, numbers)
                problems.extend(found)
                if record is not None:
                    records.append(record)
    except UnicodeDecodeError as exc:
        problems.append(
            error(
                display, "not-utf8", f"file is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8"
            )
        )
    except csv.Error as exc:
        problems.append(error(display, "csv-syntax", f"not CSV: {exc}").at(max(len(records) + 2, 1), 1))
    return EventFile(display, tuple(records), tuple(problems), "csv")


def _header_problems(display: str, header: list[str]) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for column, name in enumerate(header, start=1):
        if name in seen:
            yield error(display, "duplicate-column", f"column '{name}' appears twice in the header").at(1, column)
        seen.add(name)


def _csv_row(
    display: str,
    number: int,
    header: list[str],
    row: list[str],
    lists: tuple[str, ...],
    pairs: dict[str, tuple[str, str]],
    booleans: tuple[str, ...],
    numbers: tuple[str, ...],
) -> tuple[Record | None, list[Diagnostic]]:
    if not any(cell.strip() for cell in row):
        return None, []
    if len(row) != len(header):
        return None, [
            error(display, "csv-columns", f"row has {len(row)} cells; the header has {len(header)}").at(
                number, min(len(row), len(header)) + 1
            )
        ]
    data: dict[str, Any] = {}
    columns: dict[str, int] = {}
    problems: list[Diagnostic] = []
    for column, (name, cell) in enumerate(zip(header, row), start=1):
        columns[name] = column
        if cell == "":
            continue
        try:
            data[name] = _cell(name, cell, lists, pairs, booleans, numbers)
        except ValueError as exc:
            problems.append(error(display, "csv-value", f"column '{name}': {exc}").at(number, column))
    return Record(display, number, data, columns), problems


def _cell(
    name: str,
    cell: str,
    lists: tuple[str, ...],
    pairs: dict[str, tuple[str, str]],
    booleans: tuple[str, ...],
    numbers: tuple[str, ...],
) -> Any:
    if name in lists:
        return cell.split()
    if name in pairs:
        first, second = pairs[name]
        items = []
        for item in cell.split():
            left, at, right = item.rpartition("@")
            if not at or not left:
                raise ValueError(f"'{item}' is not {first}@{second}")
            items.append({first: left, second: right})
        return items
    if name in booleans:
        if cell.lower() not in ("true", "false"):
            raise ValueError(f"'{cell}' is not true or false")
        return cell.lower() == "true"
    if name in numbers:
        # ASCII digits only: int() also reads other scripts' digits, '_', '+' and spaces, which the
        # figures' CSV reader refuses
        if not CSV_INTEGER.fullmatch(cell):
            raise ValueError(f"'{cell}' is not a whole number (digits 0-9 only)")
        try:
            return _bounded_int(cell)
        except ValueError:
            raise ValueError(f"'{cell}' is not a whole number") from None
    return cell


def parse_csv_text(text: str) -> list[list[str]]:
    """Rows of a small CSV text (imports read mapped columns through this)."""
    return list(csv.reader(io.StringIO(text), strict=True))
