"""YAML text is untrusted: render its Markdown on its own, sanitize the HTML, and escape the rest.

Raw HTML, event handlers, `javascript:` links, attribute lists (`{: onclick=...}`) and template
syntax in a YAML field must never reach a page as anything but inert text.
"""

from __future__ import annotations

import functools
import html
import re
import threading

import markdown
import nh3

from ..model.safe_text import visible

INLINE_TAGS = frozenset({"a", "em", "strong", "code", "br"})
BLOCK_TAGS = INLINE_TAGS | {"p", "ul", "ol", "li", "blockquote", "pre"}
_ATTRIBUTES = {"a": {"href", "title"}}
_local = threading.local()
_MARKDOWN_SYNTAX = str.maketrans({char: f"&#{ord(char)};" for char in "{}|[]()*_`!#~\\"})


def _markdown() -> markdown.Markdown:
    if not hasattr(_local, "md"):
        _local.md = markdown.Markdown(extensions=[], output_format="html")
    return _local.md


# Python-Markdown looks for the end of every `[`, `![` and `<` in the rest of the text, so text
# made of thousands of them costs the square of its length (20 KB of `[` took 37 s), and nested
# list or quote markers recurse once per level. Beyond these counts the markers are shown as
# written instead: the cost stays linear at any length the schemas allow.
MAX_OPENERS = 64
MAX_NESTING = 16
_NESTED_MARKERS = re.compile(rf"^(?:[ \t]*(?:>|[-*+]|[0-9]{{1,9}}[.)])(?=[ \t]|$)){{{MAX_NESTING + 1},}}", re.MULTILINE)


# Python-Markdown empties a whitespace-only line only after a newline: as the first line, four
# columns of blanks (one tab) open an empty code block. Leading blank lines mean nothing in Markdown.
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


def _defuse(text: str) -> str:
    text = _LEADING_BLANK_LINES.sub("", text)
    if text.count("[") > MAX_OPENERS:
        text = text.replace("[", "\\[")
    if text.count("<") > MAX_OPENERS:
        text = text.replace("<", "&lt;")
    return _NESTED_MARKERS.sub(_as_written, text)


def _as_written(found: re.Match[str]) -> str:
    """A line of more nested list or quote markers than MAX_NESTING: its first marker escaped, so
    the line is a paragraph that shows the markers."""
    markers = found.group().lstrip(" \t")
    number = len(markers) - len(markers.lstrip("0123456789"))
    return markers[:number] + "\\" + markers[number:]


@functools.lru_cache(maxsize=4096)
def _render(text: str, tags: frozenset[str], schemes: frozenset[str]) -> str:
    """Sanitized HTML of one text; kept, as the same criteria and reasons appear on many pages."""
    converter = _markdown()
    converter.reset()
    try:
        rendered = converter.convert(_defuse(visible(text)))
    except RecursionError:  # nesting built from shapes _defuse does not count: show the text as written
        converter.reset()
        rendered = "<p>" + html.escape(visible(text)) + "</p>"
    clean = nh3.clean(
        rendered,
        tags=tags,
        attributes=_ATTRIBUTES,
        url_schemes=set(schemes),
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_absolute_links_only,
    )
    # The page itself is Markdown again: text left in the sanitized HTML must not become links,
    # emphasis, attribute lists or table cells there. Entities inside attribute values decode
    # back to the same characters in the browser, so escaping the whole string is safe.
    return clean.translate(_MARKDOWN_SYNTAX)


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    """A relative link (or a footnote turned into one) would point at a generated page that does
    not exist: its text stays, its href goes. Validation reports it at the YAML line too."""
    return value if attribute != "href" or _ABSOLUTE.match(value) else None


# Lines that start with a letter and hold none of these characters render to themselves: most
# YAML prose. It skips Markdown and the sanitizer (tests check both paths agree).
_NOTHING_TO_RENDER = re.compile(r"[^\W\d_](?:[^*_\[\]()<>&`\\!#{}|~\s]|[ \t])*")


def inline(text: object, schemes: frozenset[str] = frozenset({"https"})) -> str:
    """One line of HTML: safe in a paragraph, a list item, a heading or a table cell."""
    return _inline(str(text), schemes)


@functools.lru_cache(maxsize=16384)
def _inline(text: str, schemes: frozenset[str]) -> str:
    """inline, kept per text: criteria, names and reasons repeat across many pages."""
    text = visible(text)
    lines = [line.rstrip(" \t") for line in text.split("\n") if line.strip(" \t")]
    if lines and all(_NOTHING_TO_RENDER.fullmatch(line) for line in lines):  # no indentation: no code block
        return " ".join(" ".join(lines).split())
    html_text = _render(text, INLINE_TAGS | {"p"}, schemes)
    html_text = re.sub(r"</?p>", " ", html_text)
    return " ".join(html_text.split())


def link_to(title: object, url: object, schemes: frozenset[str] = frozenset({"https"})) -> str:
    """A link built by Markdown and then sanitized like any other text: a disallowed scheme loses its href."""
    label, address = visible(str(title)), str(url)
    simple = _SIMPLE_URL.fullmatch(address)
    if simple and simple.group(1) in schemes and label == label.strip() and _NOTHING_TO_RENDER.fullmatch(label):
        # what Markdown and the sanitizer make of plain words and a plain address, without running them
        return f'<a href="{address}" rel="noopener noreferrer nofollow">{" ".join(label.split())}</a>'
    return inline(f"[{title}](<{url}>)", schemes)


# An http(s) address of a dotted host name ending in letters, and a path of letters, digits, dots,
# hyphens and slashes: the sanitizer keeps it as it is (other shapes it may drop or encode).
_SIMPLE_URL = re.compile(r"(https?)://(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+[A-Za-z]+(?:/[A-Za-z0-9/.-]*)?")


def block(text: object, schemes: frozenset[str] = frozenset({"https"})) -> str:
    """A self-contained HTML block for longer prose (paragraphs, lists)."""
    paragraphs = _plain_paragraphs(visible(str(text)))
    if paragraphs is not None:  # what Markdown and the sanitizer would give, without running them
        return '<div class="hb-prose">' + "\n".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    html_text = _render(str(text), BLOCK_TAGS, schemes)
    return '<div class="hb-prose">' + html_text.replace("\n\n", "\n") + "</div>"


def _plain_paragraphs(text: str) -> list[str] | None:
    """Paragraphs of lines that render to themselves (see _NOTHING_TO_RENDER: each starts with a
    letter, none holds markup, indentation, a tab or a trailing space), or None for anything else."""
    paragraphs: list[str] = []
    lines: list[str] = []
    for line in text.strip("\n").split("\n"):
        if not line:
            if lines:
                paragraphs.append("\n".join(lines))
                lines = []
        elif "\t" in line or line[-1] == " " or not _NOTHING_TO_RENDER.fullmatch(line):
            return None
        else:
            lines.append(line)
    if lines:
        paragraphs.append("\n".join(lines))
    return paragraphs or None


_PLAIN = str.maketrans({char: f"&#{ord(char)};" for char in "&<>\"'{}|*_`[]#\\!"})


def plain(text: object) -> str:
    """Escaped text with no Markdown at all: for titles, headings and navigation labels."""
    return " ".join(visible(str(text)).split()).translate(_PLAIN)


_UNSAFE_IN_LABELS = re.compile(r"[^\w\s.,'’()\-–—→:/+?＆‹›”＃！]")


# Look-alikes that cannot form markup, so "R&D" or "<beta>" stay readable in titles.
_LABEL_LOOKALIKES = str.maketrans({"&": "＆", "<": "‹", ">": "›", '"': "”", "`": "’", "#": "＃", "!": "！"})


def label(text: object) -> str:
    """A navigation label and page title. The theme prints these unescaped, and `striptags` in
    its <title> would undo any escaping, so characters that could form markup become look-alikes
    and anything else outside a small allow-list is dropped."""
    return " ".join(_UNSAFE_IN_LABELS.sub("", str(text).translate(_LABEL_LOOKALIKES)).split()) or "Untitled"


_BLOCK_START = re.compile(r"^\s*([-*+]|[0-9]+[.)])\s|^\s*$")


def short_form(value: object) -> str:
    """The first paragraph of a text, up to any list: what an inline place (a table cell, a heading,
    a navigation label) shows of a criterion written as Markdown blocks. Ends in "…" when cut."""
    lines = str(value).strip().split("\n")
    kept = []
    for line in lines:
        if _BLOCK_START.match(line):
            break
        kept.append(line.strip())
    first = " ".join(" ".join(kept).split())
    if not first:  # the text starts with a list: its first item
        first = _BLOCK_START.sub("", lines[0]).strip()
    whole = " ".join(str(value).split())
    return first if first == whole else first.rstrip(" :;,") + " …"


def first_sentence(value: object) -> str:
    """The first sentence of a text's short form: for summaries on pages that must read in minutes."""
    short = short_form(value)
    match = re.match(r"(.+?[.!?])\s+[A-Z]", short)
    return match.group(1) if match else short
