"""Load and schema-check many files: through the result cache, on every core when it pays."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

from ..load.cache import ResultCache, key_for
from ..load.loader import MAX_FILE_BYTES, Document, load_bytes
from ..load.repository import SourceFile
from ..load.safe_files import UnsafeFileError, read_regular
from ..model.diagnostics import Diagnostic, error
from . import rules, schema_check

PROGRESS_FROM = 2000  # files to check before saying so on stderr
PARALLEL_FROM = 300  # files to check before a process pool is worth its start-up
CHUNK = 250


@dataclass(frozen=True)
class Checked:
    source: SourceFile
    document: Document | None
    diagnostics: tuple[Diagnostic, ...]
    clean: bool


def check_source(kind: str, display: str, raw: bytes) -> dict[str, Any]:
    """Load + schema check of one file as plain data (what the cache stores)."""
    loaded = load_bytes(raw, display, positions=False)
    diagnostics = list(loaded.diagnostics)
    if loaded.document is not None:
        diagnostics += schema_check.check(loaded.document, kind)
        if rules.may_hold_links(raw):
            diagnostics += [loaded.document.locate(d) for d in rules.text_links(display, loaded.document.data)]
    return {
        "loaded": loaded.document is not None,
        "data": loaded.document.data if loaded.document is not None else None,
        "diagnostics": [_to_dict(d) for d in diagnostics],
        "clean": loaded.document is not None and not any(d.severity == "error" for d in diagnostics),
    }


_ROW_KEYS = frozenset({"loaded", "data", "diagnostics", "clean"})
_DIAGNOSTIC_FIELDS = frozenset(f.name for f in fields(Diagnostic))
_DIAGNOSTIC_TYPES = {
    "file": str,
    "message": str,
    "code": str,
    "severity": str,
    "pointer": list,
    "line": int,
    "column": int,
    "on_key": bool,
}


def usable_row(kind: str, row: object) -> bool:
    """Whether a cached row has the shape `check_source` gives (anything else is a miss, never a
    crash), and decides nothing the file's bytes must: a packet that could be published (anything
    but `visibility: private`) is always checked afresh from its bytes."""
    if not isinstance(row, dict) or set(row) != _ROW_KEYS:
        return False
    loaded, data, diagnostics, clean = row["loaded"], row["data"], row["diagnostics"], row["clean"]
    if not isinstance(loaded, bool) or not isinstance(clean, bool) or not isinstance(diagnostics, list):
        return False
    if (not loaded and (data is not None or clean)) or (clean and not isinstance(data, dict)):
        return False
    for item in diagnostics:
        if not isinstance(item, dict) or set(item) != _DIAGNOSTIC_FIELDS:
            return False
        if any(type(item[name]) is not expected for name, expected in _DIAGNOSTIC_TYPES.items() if name in item):
            return False
        if item["severity"] not in ("error", "warning") or not all(
            type(part) in (str, int) for part in item["pointer"]
        ):
            return False
    if kind == "packet" and loaded and not (isinstance(data, dict) and data.get("visibility") == "private"):
        return False
    return True


def _to_dict(d: Diagnostic) -> dict[str, Any]:
    return {f.name: getattr(d, f.name) for f in fields(d)}


def _from_dict(item: dict[str, Any], display: str) -> Diagnostic:
    # The cache is keyed by content: the same bytes may now live at another path.
    return Diagnostic(**{**item, "file": display, "pointer": tuple(item["pointer"])})


def _check_chunk(items: list[tuple[str, str, bytes]]) -> list[dict[str, Any]]:
    return [check_source(kind, display, raw) for kind, display, raw in items]


def check_files(
    sources: list[SourceFile],
    cache: ResultCache | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Checked]:
    raws: dict[str, bytes] = {}
    results: dict[str, dict[str, Any]] = {}
    for source in sources:
        try:
            size = source.path.stat().st_size
            if size > MAX_FILE_BYTES:
                results[source.display] = _failed(
                    error(
                        source.display,
                        "file-too-large",
                        f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes",
                    )
                )
                continue
            raws[source.display] = read_regular(source.path, MAX_FILE_BYTES, follow=False)
        except OSError as exc:
            results[source.display] = _failed(
                error(source.display, "unreadable", f"cannot read file: {exc.strerror or exc}")
            )
        except UnsafeFileError as exc:
            results[source.display] = _failed(error(source.display, "unreadable", exc.format_message()))
    keys = {s.display: key_for(s.kind, raws[s.display]) for s in sources if s.display in raws}
    kinds = {keys[s.display]: s.kind for s in sources if s.display in keys}
    cached = {
        key: row
        for key, row in (cache.get_many(keys.values()) if cache else {}).items()
        if key in kinds and usable_row(kinds[key], row)
    }
    misses = [s for s in sources if s.display in keys and keys[s.display] not in cached]
    if progress and len(misses) >= PROGRESS_FROM:
        progress(f"Checking {len(misses):,} files ({len(sources) - len(misses):,} unchanged, from the cache)")
    fresh = _run([(s.kind, s.display, raws[s.display]) for s in misses], workers)
    if cache:
        cache.put_many({keys[s.display]: result for s, result in zip(misses, fresh, strict=True)})
    for source, result in zip(misses, fresh, strict=True):
        results[source.display] = result
    for source in sources:
        if source.display not in results:
            results[source.display] = cached[keys[source.display]]
    return [_checked(source, results[source.display], raws.get(source.display)) for source in sources]


def _failed(diagnostic: Diagnostic) -> dict[str, Any]:
    return {"loaded": False, "data": None, "diagnostics": [_to_dict(diagnostic)], "clean": False}


def _run(items: list[tuple[str, str, bytes]], workers: int | None) -> list[dict[str, Any]]:
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < PARALLEL_FROM:
        return _check_chunk(items)
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return [result for chunk in pool.map(_check_chunk, chunks) for result in chunk]
    except (OSError, RuntimeError):  # no process pool here (sandbox, frozen app): do it in-process
        return _check_chunk(items)


def _checked(source: SourceFile, result: dict[str, Any], raw: bytes | None) -> Checked:
    diagnostics = tuple(_from_dict(d, source.display) for d in result["diagnostics"])
    document = None
    if result["loaded"]:
        document = Document(source.display, result["data"], source=raw)
    return Checked(source, document, diagnostics, result["clean"])
