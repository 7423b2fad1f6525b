"""YAML syntax errors in words a person fixing the file can act on. Pure functions over the text.

PyYAML says "mapping values are not allowed in this context" or "did not find expected '-'
indicator"; the person needs to know which line is off and what to do: quote text holding ": ",
indent a line like the key it belongs with, close a quote or a bracket.
"""

from __future__ import annotations

import re

_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[^\s:#'\"\[\]{}][^:#]*?):(?: +(?P<value>.*))?$")
_PLAIN_WORDS = {
    "mapping values are not allowed in this context": "a ': ' here would start a key where no key can be",
    "mapping values are not allowed here": "a ': ' here would start a key where no key can be",
    "did not find expected '-' indicator": "expected another list item ('- ...') at the indentation of the items above",
    "did not find expected key": "expected a 'key: value' line at the indentation of the keys above",
    "could not find expected ':'": "expected 'key: value' (a colon and a space after the key)",
    "found unexpected end of stream": "the file ends inside a quoted text: a quote is never closed",
    "did not find expected ',' or ']'": "a list in [brackets] is not closed with ']'",
    "did not find expected ',' or '}'": "a mapping in {braces} is not closed with '}'",
}


def explain(text: str, problem: str, context: str | None, line: int, context_line: int | None) -> str:
    """The message for a syntax error reported at 1-based `line` (`context_line`: where the
    construct the parser was reading started)."""
    lines = text.splitlines()
    hint = (
        _open_quote_hint(lines, line)
        or _indentation_hint(lines, line)
        or _quote_hint(lines, line, problem)
        or _unclosed_hint(lines, problem, context, context_line)
    )
    if hint:
        return f"YAML syntax error: {hint}"
    return f"YAML syntax error: {_PLAIN_WORDS.get(problem, problem)}" + (f" ({context})" if context else "")


def _open_quote_hint(lines: list[str], line: int) -> str | None:
    """A value that opens a double quote and does not close it on its line: YAML reads on, across
    the following lines, and fails somewhere below. Name the line that opened it."""
    for number in range(min(line, len(lines)), max(line - 30, 0), -1):
        match = _KEY_LINE.match(lines[number - 1])
        value = (match.group("value") or "").strip() if match else ""
        if value.startswith('"') and not re.search(r'(?<!\\)"\s*(#.*)?$', value[1:]) and not _QUOTED_PART.match(value):
            return f'the text on line {number} opens a quote (") that is not closed on that line; end it with "'
    return None


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def _meaningful(row: str) -> bool:
    stripped = row.strip()
    return bool(stripped) and not stripped.startswith("#")


def _columns_above(lines: list[str], line: int) -> list[tuple[int, int]]:
    """(column, line) where a key or list item starts, on the lines above `line` that could hold it."""
    found: list[tuple[int, int]] = []
    for number in range(line - 1, 0, -1):
        row = lines[number - 1] if number - 1 < len(lines) else ""
        if not _meaningful(row):
            continue
        indent = _indent(row)
        if found and indent >= min(c for c, _ in found):
            continue  # deeper than a line already seen: a sibling's contents, not a parent
        found.append((indent, number))
        stripped = row.lstrip(" ")
        if stripped.startswith("- "):  # the first key of a list item sits after the dash
            found.append((indent + len(stripped) - len(stripped[1:].lstrip(" ")), number))
        if indent == 0:
            break
    return found


def _indentation_hint(lines: list[str], line: int) -> str | None:
    if not 0 < line <= len(lines) or not _meaningful(lines[line - 1]):
        return None
    row = lines[line - 1]
    indent = _indent(row)
    above = _columns_above(lines, line)
    if not above or indent in {c for c, _ in above}:
        return None
    nearest: dict[int, int] = {}
    for column, number in above:
        nearest.setdefault(column, number)
    deeper = min((c for c in nearest if c > indent), default=None)
    shallower = max((c for c in nearest if c < indent), default=None)
    options = [f"{_spaces(c)} (like line {nearest[c]})" for c in (deeper, shallower) if c is not None]
    return (
        f"line {line} is indented {_spaces(indent)}, which lines up with no line above it: "
        f"indent it by {' or '.join(options)}" + (", whichever it belongs with" if len(options) > 1 else "")
    )


def _spaces(count: int) -> str:
    return f"{count} space{'s' if count != 1 else ''}"


def _quote_hint(lines: list[str], line: int, problem: str) -> str | None:
    for number in (line, line - 1):
        if not 0 < number <= len(lines):
            continue
        match = _KEY_LINE.match(lines[number - 1])
        value = (match.group("value") or "").strip() if match else ""
        if (
            match is not None
            and (part := _QUOTED_PART.match(value))
            and value[part.end() :].strip()
            and not value[part.end() :].lstrip().startswith("#")
            and value[-1] != value[0]
        ):
            return (
                f"on line {number} only the start of the text after '{match.group('key').strip()}:' is in "
                f"quotes, and the text goes on after the closing quote; quote the whole value: "
                f"{_whole(match, value)}"
            )
        if match is None or not value or value[0] in '"|>[{&*!':
            continue
        if value.startswith("'"):
            if value.count("'") > 2 and "''" not in value:
                return (
                    f"on line {number} the text after '{match.group('key').strip()}:' has an apostrophe inside "
                    f"single quotes; write it in double quotes: {_requoted(match, value[1:-1])}"
                )
            continue
        if ": " in value or value.endswith(":") or " #" in value:
            found = "': '" if ": " in value or value.endswith(":") else "' #'"
            return (
                f"the text on line {number} holds {found}, which YAML reads as "
                f"{'a new key' if found == chr(39) + ': ' + chr(39) else 'the start of a comment'}; "
                f"put the text in double quotes: {_requoted(match, value)}"
            )
    return None


_QUOTED_PART = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"")


def _whole(match: re.Match[str], value: str) -> str:
    """The whole value in double quotes, the quotes it started with kept as text: 'a' b -> "'a' b"."""
    return _requoted(match, value)


def _requoted(match: re.Match[str], value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    dash = match.group("dash") or ""
    shown = f'{dash}{match.group("key").strip()}: "{escaped}"'
    return shown if len(shown) <= 90 else shown[:86] + '..."'


def _unclosed_hint(lines: list[str], problem: str, context: str | None, context_line: int | None) -> str | None:
    if context_line is None:
        return None
    if "quoted scalar" in (context or ""):
        return f"the quote opened on line {context_line} is never closed; end the text with the same quote"
    if "flow sequence" in (context or ""):
        return f"the list opened with '[' on line {context_line} is never closed with ']'"
    if "flow mapping" in (context or ""):
        return f"the mapping opened with '{{' on line {context_line} is never closed with '}}'"
    return None


def comment_in_text(text: str, end_index: int) -> bool:
    """True when a plain value is followed by ' #' and a word (`title: Fix #123`): YAML drops the
    rest of the line as a comment, though the author meant it as text."""
    return text[end_index : end_index + 2] == " #" and end_index + 2 < len(text) and not text[end_index + 2].isspace()
