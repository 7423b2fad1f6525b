"""Characters that must not act on a terminal, a page or a reader's eyes, and how to show them.

- Control characters (C0 except tab and newline, DEL, C1) are refused in every YAML string by the
  loader: an escape sequence could erase lines or fake a summary in a terminal.
- Bidirectional controls (embeddings, overrides, isolates, the LRM/RLM marks) and invisible
  characters (zero-width space, word joiner, BOM) are refused in names and titles by the schemas.
  Zero-width joiners (U+200C, U+200D) are allowed there only between two visible characters:
  Persian and Indic names and emoji sequences need them.
- In prose they are allowed to load, and every output makes them harmless: pages drop the
  reordering and invisible ones, text reports show them as escapes.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Reorder text (embeddings, overrides, isolates) or hide in it (zero-width space, word joiner, BOM).
HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
# Everything a terminal or a reader could be fooled by: controls, line breaks, bidi marks, hidden characters.
_FOR_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\u2028\u2029\ufeff]")
_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def for_terminal(value: object) -> str:
    """The one escaping of text for a terminal or a log: every control, line break, bidirectional
    or invisible character becomes a visible escape (`\\e`, `\\n`, `\\u202e`), so no value can
    move the cursor, erase a line, start a new one or reorder what follows."""
    return _FOR_TERMINAL.sub(_escape, str(value))


def visible(text: str) -> str:
    """Prose for a page: characters that reorder or hide text are dropped."""
    return HIDDEN.sub("", text)


def describe(char: str) -> str:
    """U+001B, for a message about a character that cannot be shown as itself."""
    return f"U+{ord(char):04X}"
