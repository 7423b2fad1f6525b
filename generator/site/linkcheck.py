"""Check every internal link and anchor in a built site, whichever engine built it.

Zensical does not check links and MkDocs checks only Markdown links, so the handbook holds both to
the same standard here. The HTML is our own engines' output, so attributes are read with a regular
expression rather than a full parser: on a 1,000-page site that is the difference between seconds
and minutes.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

_LINK = re.compile(r"""<(?:a|link|img|script)\b[^>]*?\s(?:href|src)\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""\s(?:id|name)\s*=\s*(["'])(.*?)\1""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


@dataclass(frozen=True)
class BrokenLink:
    page: str
    target: str
    reason: str


def check_site(site: Path) -> list[BrokenLink]:
    texts = {p.relative_to(site).as_posix(): p.read_text("utf-8", errors="replace") for p in site.rglob("*.html")}
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    folders = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir()} | {"."}
    ids: dict[str, set[str]] = {}
    found: dict[tuple[str, str], bool] = {}
    resolved: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    broken: list[BrokenLink] = []
    for page, text in texts.items():
        here = posixpath.dirname(page)
        for match in _LINK.finditer(text):
            href = html.unescape(match.group(2))
            if _EXTERNAL.match(href):
                continue
            key = (here, href)
            if key not in resolved:
                resolved[key] = _resolve(page, here, href, files, folders)
            target, fragment = resolved[key]
            if target is None:
                broken.append(BrokenLink(page, href, fragment or "no such file"))
                continue
            if fragment and target in texts:
                anchor = (target, fragment)
                if anchor not in found:
                    found[anchor] = _plainly_has_id(texts[target], fragment) or fragment in _ids(target, texts, ids)
                if not found[anchor]:
                    broken.append(BrokenLink(page, href, f"no element with id '{fragment}'"))
    return broken


def _ids(target: str, texts: dict[str, str], ids: dict[str, set[str]]) -> set[str]:
    if target not in ids:
        ids[target] = {m.group(2) for m in _ID.finditer(texts[target])}
    return ids[target]


def _plainly_has_id(text: str, fragment: str) -> bool:
    """The common case found by a substring search, as our engines write ids: ` id="..."`. The
    regular expression over the whole page, which finds every other way of writing one, is
    needed only when this does not (a page's own table of contents links to each of its headings)."""
    return '"' not in fragment and f' id="{fragment}"' in text


def _resolve(page: str, here: str, href: str, files: set[str], folders: set[str]) -> tuple[str | None, str | None]:
    parts = urlsplit(href)
    path = unquote(parts.path)
    if not path:
        target = page
    elif path.startswith("/"):  # root-relative, as in the 404 page
        target = posixpath.normpath(path.lstrip("/") or ".")
    else:
        target = posixpath.normpath(f"{here}/{path}" if here else path)  # posixpath.join, for a relative path
    if target.startswith(".."):
        return None, "points outside the site"
    if target in folders or path.endswith("/"):
        target = "index.html" if target == "." else f"{target}/index.html"
    if target not in files:
        return None, "no such file"
    return target, unquote(parts.fragment) or None
