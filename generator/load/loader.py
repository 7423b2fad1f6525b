"""The one YAML loader: safe, strict, and line-aware.

Builds plain Python data from libyaml's event stream (not PyYAML's constructors) so that
every node keeps its line and column, duplicate keys and alias bombs are caught, and YAML 1.1
surprises (`no` → False, `010` → 8) are reported instead of silently converted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..model.diagnostics import Diagnostic, Pointer, error, warning
from ..model.safe_text import CONTROL, describe
from . import yaml_hints

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 1024 * 1024
MAX_ALIASES = 10
MAX_DEPTH = 64
# Numbers a handbook needs are small; larger ones (Python refuses to print an int of 4,300+ digits)
# are an error at the value's line and column, before anything formats them. 2**53: exact in JSON.
MAX_INTEGER = 2**53
MAX_NUMBER_CHARACTERS = 64

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {None, "!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))}

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_BOOLS = {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}
_YAML11_NUMBER = re.compile(r"[-+]?(0[0-9_]+|[0-9][0-9_]*_[0-9_]*|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|0b[01_]+)")


@dataclass(frozen=True)
class Document:
    """One loaded file: its data, and the position of every node (1-based line, column).

    Positions cost time to record, and most files never need one: a document loaded without
    them keeps its source and parses it again the first time a position is asked for."""

    path: str
    data: Any
    node_marks: dict[Pointer, tuple[int, int]] | None = field(repr=False, default=None)
    key_marks: dict[Pointer, tuple[int, int]] | None = field(repr=False, default=None)
    source: str | bytes | None = field(repr=False, default=None, compare=False)

    @cached_property
    def _parsed_marks(self) -> tuple[dict[Pointer, tuple[int, int]], dict[Pointer, tuple[int, int]]]:
        """Positions parsed again from the source, once (a cached property: the document stays frozen)."""
        builder = _Builder(self.path, positions=True)
        source = self.source or ""
        if isinstance(source, bytes):
            source = source.decode("utf-8", errors="replace").removeprefix("\ufeff")
        try:
            builder.build(source)
        except _Stop:
            pass
        return builder.node_marks, builder.key_marks

    def _marks(self) -> tuple[dict[Pointer, tuple[int, int]], dict[Pointer, tuple[int, int]]]:
        if self.node_marks is not None and self.key_marks is not None:
            return self.node_marks, self.key_marks
        return self._parsed_marks

    def position(self, pointer: Pointer, *, on_key: bool = False) -> tuple[int, int]:
        """Where a node is (or its key, with `on_key`); else the nearest ancestor with a position."""
        node_marks, key_marks = self._marks()
        if on_key and pointer in key_marks:
            return key_marks[pointer]
        while pointer not in node_marks and pointer:
            pointer = pointer[:-1]
        return node_marks.get(pointer, (1, 1))

    def locate(self, diagnostic: Diagnostic) -> Diagnostic:
        line, column = self.position(diagnostic.pointer, on_key=diagnostic.on_key)
        if diagnostic.related:
            earlier, _ = self.position(diagnostic.related)
            diagnostic = replace(diagnostic, message=f"{diagnostic.message} (first at line {earlier})", related=())
        return diagnostic.at(line, column)


@dataclass(frozen=True)
class LoadResult:
    document: Document | None
    diagnostics: tuple[Diagnostic, ...]


class _Stop(Exception):
    """Raised inside the builder when a file cannot be loaded any further."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def load_file(
    path: Path, display: str | None = None, *, max_bytes: int = MAX_FILE_BYTES, positions: bool = True
) -> LoadResult:
    display = display or str(path)
    from .safe_files import UnsafeFileError, read_regular

    try:
        size = path.stat().st_size
        if size > max_bytes:
            return _fail(error(display, "file-too-large", f"file is {size:,} bytes; the limit is {max_bytes:,} bytes"))
        raw = read_regular(path, max_bytes)  # a FIFO or a device is refused, never read forever
    except OSError as exc:
        return _fail(error(display, "unreadable", f"cannot read file: {exc.strerror or exc}"))
    except UnsafeFileError as exc:
        return _fail(error(display, "unreadable", exc.format_message()))
    return load_bytes(raw, display, max_bytes=max_bytes, positions=positions)


def load_bytes(raw: bytes, display: str, *, max_bytes: int = MAX_FILE_BYTES, positions: bool = True) -> LoadResult:
    if len(raw) > max_bytes:
        return _fail(error(display, "file-too-large", f"file is {len(raw):,} bytes; the limit is {max_bytes:,} bytes"))
    try:
        text = _decode(raw, display)
        _check_indentation(text, display)
        builder = _Builder(display, positions)
        data = builder.build(text)
    except _Stop as stop:
        return _fail(stop.diagnostic)
    if positions:
        document = Document(display, data, builder.node_marks, builder.key_marks)
    else:
        document = Document(display, data, source=text)
    return LoadResult(document, tuple(builder.problems))


def _fail(diagnostic: Diagnostic) -> LoadResult:
    return LoadResult(None, (diagnostic,))


_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _decode(raw: bytes, display: str) -> str:
    for bom, encoding in _WIDE_BOMS.items():
        if raw.startswith(bom):
            raise _Stop(error(display, "not-utf8", f"file is encoded as {encoding}; save it as UTF-8"))
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        raise _Stop(
            error(display, "binary-file", "file contains NUL bytes: it is binary, not YAML text").at(line, column)
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(raw, exc.start)
        message = f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        raise _Stop(error(display, "not-utf8", message).at(line, column)) from None
    return text.removeprefix("\ufeff")


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _check_indentation(text: str, display: str) -> None:
    if "\t" not in text:  # most files: no tab anywhere, nothing to look for line by line
        return
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            column = indent.index("\t") + 1
            message = "tab character in indentation; YAML indents with spaces only"
            raise _Stop(error(display, "tab-indent", message).at(number, column))


def _mark(event: Any) -> tuple[int, int]:
    return int(event.start_mark.line) + 1, int(event.start_mark.column) + 1


class _Frame:
    __slots__ = ("container", "is_map", "pointer", "anchor", "key", "key_event", "seen")

    def __init__(self, container: dict[str, Any] | list[Any], pointer: Pointer, anchor: str | None):
        self.container: Any = container  # a dict or a list (is_map says which)
        self.is_map = isinstance(container, dict)
        self.pointer = pointer
        self.anchor = anchor
        self.key: Any = None
        self.key_event: Any = None
        self.seen: dict[str, Any] = {}


class _Builder:
    """Plain data from libyaml's events. With `positions`, every node's line and column is kept;
    without, positions are recovered later by parsing again, only for files that need them."""

    def __init__(self, display: str, positions: bool = True):
        self.display = display
        self.positions = positions
        self.node_marks: dict[Pointer, tuple[int, int]] = {}
        self.key_marks: dict[Pointer, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        self.anchors: dict[str, Any] = {}
        self.aliases = 0
        self.stack: list[_Frame] = []
        self.documents = 0
        self.root: Any = None
        self.handlers = {
            yaml.ScalarEvent: self._on_scalar,
            yaml.AliasEvent: self._on_alias,
            yaml.MappingStartEvent: self._on_mapping,
            yaml.SequenceStartEvent: self._on_sequence,
            yaml.MappingEndEvent: self._on_end,
            yaml.SequenceEndEvent: self._on_end,
            yaml.DocumentStartEvent: self._on_document,
        }

    def build(self, text: str) -> Any:
        handlers = self.handlers
        self.text = text
        self.hashes = " #" in text  # no ' #' in the file: no value can be cut short by a comment
        try:
            parser = _Loader(text)
            try:  # events straight from libyaml, one call each (yaml.parse adds a generator and a check per event)
                next_event = parser.get_event
                while (event := next_event()) is not None:
                    handler = handlers.get(event.__class__)
                    if handler is not None:
                        handler(event)
            finally:
                parser.dispose()
        except yaml.MarkedYAMLError as exc:
            raise _Stop(self._syntax_error(exc)) from None
        except yaml.reader.ReaderError as exc:
            raise _Stop(self._reader_error(exc, text)) from None
        except yaml.YAMLError as exc:
            raise _Stop(error(self.display, "yaml-syntax", f"YAML error: {exc}")) from None
        if self.documents == 0 or self.root is None:
            raise _Stop(error(self.display, "empty-file", "file is empty: expected a mapping of keys"))
        return self.root

    def _reader_error(self, exc: yaml.reader.ReaderError, text: str) -> Diagnostic:
        position = min(max(exc.position, 0), len(text))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        message = f"character U+{ord(character):04X} is not allowed in YAML text (control characters are refused)"
        return error(self.display, "control-character", message).at(line, column)

    def _syntax_error(self, exc: yaml.MarkedYAMLError) -> Diagnostic:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        context_line = exc.context_mark.line + 1 if exc.context_mark else None
        message = yaml_hints.explain(
            getattr(self, "text", ""), problem, exc.context, mark.line + 1 if mark else 0, context_line
        )
        diagnostic = error(self.display, "yaml-syntax", message)
        return diagnostic.at(mark.line + 1, mark.column + 1) if mark else diagnostic

    def _stop(self, code: str, message: str, event: Any) -> _Stop:
        return _Stop(error(self.display, code, message).at(*_mark(event)))

    def _on_document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self._stop(
                "multiple-documents",
                "file holds more than one YAML document (`---`); keep one document per file",
                event,
            )

    def _on_end(self, event: Any) -> None:
        self.stack.pop()

    def _expecting_key(self) -> bool:
        stack = self.stack
        return bool(stack) and stack[-1].is_map and stack[-1].key is None

    def _on_scalar(self, event: Any) -> None:
        if event.tag not in _ALLOWED_TAGS:
            self._forbidden_tag(event)
        if event.style == '"' and CONTROL.search(event.value):  # only escapes (`"\\e"`) get past libyaml's reader
            self._control_character(event)
        stack = self.stack
        if stack and stack[-1].is_map and stack[-1].key is None:
            self._on_key(stack[-1], event)
            return
        value = self._resolve(event)
        if (
            self.hashes
            and not event.style
            and isinstance(value, str)
            and yaml_hints.comment_in_text(self.text, event.end_mark.index)
        ):
            self.problems.append(
                warning(
                    self.display,
                    "comment-in-text",
                    f"the text '{value}' is followed by ' #', "
                    "so YAML drops the rest of the line as a comment; put the whole text in "
                    "double quotes if the '#' belongs to it",
                ).at(*_mark(event))
            )
        if event.anchor:
            self.anchors[event.anchor] = value
        self._add(value, event)

    def _on_key(self, frame: _Frame, event: Any) -> None:
        key = event.value
        if key == "<<":
            raise self._stop("merge-key", "merge keys (`<<`) are not supported; write the keys out", event)
        if key in frame.seen:
            message = f"duplicate key '{key}' (first defined on line {_mark(frame.seen[key])[0]})"
            self.problems.append(error(self.display, "duplicate-key", message).at(*_mark(event)))
        frame.seen[key] = event
        frame.key, frame.key_event = key, event

    def _control_character(self, event: Any) -> None:
        found = CONTROL.search(event.value)
        assert found is not None  # called only for a value the pattern matched
        message = (
            f"text holds the control character {describe(found.group())} (character {found.start() + 1} of the "
            "quoted text); control characters are not allowed, only newlines and tabs"
        )
        self.problems.append(error(self.display, "control-character", message).at(*_mark(event)))

    def _on_alias(self, event: Any) -> None:
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise self._stop(
                "too-many-aliases",
                f"more than {MAX_ALIASES} aliases (`*name`) in one file; refusing a possible alias bomb",
                event,
            )
        if event.anchor not in self.anchors:
            raise self._stop("unknown-alias", f"alias '*{event.anchor}' refers to no anchor", event)
        if any(frame.anchor == event.anchor for frame in self.stack):
            raise self._stop("recursive-alias", f"alias '*{event.anchor}' refers to itself", event)
        if self._expecting_key():
            raise self._stop("alias-key", "an alias cannot be used as a mapping key", event)
        self._add(self.anchors[event.anchor], event)

    def _on_mapping(self, event: Any) -> None:
        self._on_start(event, {})

    def _on_sequence(self, event: Any) -> None:
        self._on_start(event, [])

    def _on_start(self, event: Any, container: dict[str, Any] | list[Any]) -> None:
        if event.tag not in _ALLOWED_TAGS:
            self._forbidden_tag(event)
        if self._expecting_key():
            raise self._stop("complex-key", "mapping keys must be plain text", event)
        if len(self.stack) >= MAX_DEPTH:
            raise self._stop("too-deep", f"nesting deeper than {MAX_DEPTH} levels", event)
        pointer = self._add(container, event)
        if event.anchor:
            self.anchors[event.anchor] = container
        self.stack.append(_Frame(container, pointer, event.anchor))

    def _add(self, value: Any, event: Any) -> Pointer:
        stack = self.stack
        if not stack:
            self.root = value
            if self.positions:
                self.node_marks[()] = _mark(event)
            return ()
        frame = stack[-1]
        if frame.is_map:
            key = frame.key
            frame.container[key] = value
            frame.key = None
            if not self.positions:
                return ()
            pointer = frame.pointer + (key,)
            self.key_marks[pointer] = _mark(frame.key_event)
        else:
            if not self.positions:
                frame.container.append(value)
                return ()
            pointer = frame.pointer + (len(frame.container),)
            frame.container.append(value)
        self.node_marks[pointer] = _mark(event)
        return pointer

    def _forbidden_tag(self, event: Any) -> None:
        tag = event.tag
        shown = tag.replace(_CORE, "!!") if tag else tag
        raise self._stop(
            "forbidden-tag",
            f"tag '{shown}' is not allowed; only plain YAML data (text, numbers, lists, mappings)",
            event,
        )

    def _resolve(self, event: Any) -> Any:
        value, tag = event.value, event.tag
        if event.style or tag == _CORE + "str":
            return value
        resolved, problem = resolve_plain(value)
        if problem:
            code = "number-out-of-range" if problem.startswith(_OUT_OF_RANGE) else "ambiguous-scalar"
            self.problems.append(error(self.display, code, problem).at(*_mark(event)))
        if tag in (_CORE + "int", _CORE + "float", _CORE + "bool", _CORE + "null"):
            expected = tag.removeprefix(_CORE)
            if _type_name(resolved) != expected:
                message = f"'{value}' is not a valid !!{expected}"
                self.problems.append(error(self.display, "bad-tagged-value", message).at(*_mark(event)))
        return resolved


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float"}.get(type(value), "str")


@lru_cache(maxsize=8192)
def resolve_plain(value: str) -> tuple[Any, str | None]:
    """Resolve an unquoted scalar by YAML 1.2's core schema; report YAML 1.1 readings that differ.

    Dates stay text: schemas check their format, and no timezone surprises creep in.
    """
    if value in _NULLS:
        return None, None
    if value in _BOOLS:
        return _BOOLS[value], None
    if value in _YAML11_BOOLS:
        return value, (
            f"'{value}' is ambiguous: YAML 1.1 reads it as a boolean, YAML 1.2 as text; "
            f'write true/false, or quote it ("{value}") if you mean text'
        )
    if _INT.fullmatch(value) or _INT_OCT.fullmatch(value) or _INT_HEX.fullmatch(value):
        return _number(value, integer=True)
    if _YAML11_NUMBER.fullmatch(value):
        return value, (
            f"'{value}' is ambiguous: YAML 1.1 reads it as a number (octal, sexagesimal or with "
            f'underscores); quote it ("{value}") if you mean text, or write a plain decimal number'
        )
    if _FLOAT.fullmatch(value):
        return _number(value, integer=False)
    if value.lower() in _SPECIAL_FLOATS:
        return None, f"{_OUT_OF_RANGE} '{value}' is not a finite number; write a number, or quote it if you mean text"
    return value, None


_OUT_OF_RANGE = "number out of range:"


def _number(value: str, integer: bool) -> tuple[Any, str | None]:
    """A number within bounds, or an out-of-range problem (value None). The length is checked
    before converting: int() refuses 4,300+ digits and str() of a huge int does too."""
    shown = value if len(value) <= 20 else f"{value[:12]}… ({len(value)} characters)"
    too_large = (
        None,
        f"{_OUT_OF_RANGE} {shown} is too large; numbers in a handbook are at most "
        f"{MAX_INTEGER:,} in size (quote it if you mean text)",
    )
    if len(value) > MAX_NUMBER_CHARACTERS:
        return too_large
    number: float = (
        (int(value) if _INT.fullmatch(value) else int(value[2:], 8 if value[1] == "o" else 16))
        if integer
        else float(value)
    )
    if not math.isfinite(number) or abs(number) > MAX_INTEGER:
        return too_large
    return number, None
