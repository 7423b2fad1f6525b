"""Which files make up a handbook repository, and what kind each one is."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from .diagnostics import Diagnostic, error

# Order matters: the first pattern that matches names the kind.
KIND_PATTERNS: tuple[tuple[str, str], ...] = (
    ("settings", "site_config/handbook.yaml"),
    ("composite", "rubrics/composite.yaml"),
    ("dimension", "rubrics/dimensions/*.yaml"),
    ("metric", "rubrics/metrics/*.yaml"),
    ("level", "levels/*.yaml"),
    ("packet", "packets/*.yaml"),
    ("packet", "packets/**/*.yaml"),
)
SEARCHED_FOLDERS = ("site_config", "rubrics", "levels", "packets")
SETTINGS_FILE = "site_config/handbook.yaml"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str
    kind: str


def kind_of(relative: str) -> str | None:
    for kind, pattern in KIND_PATTERNS:
        if fnmatch(relative, pattern) and (pattern.count("/") == relative.count("/") or "**" in pattern):
            return kind
    return None


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds site settings; `start` if none does."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return start


def discover(root: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every YAML file of the handbook under `root`, sorted, with problems found on the way."""
    files: list[SourceFile] = []
    problems: list[Diagnostic] = []
    for folder in SEARCHED_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") or p.is_symlink()):
            source, problem = classify(root, path)
            if problem:
                problems.append(problem)
            elif source:
                files.append(source)
    return files, problems


def classify(root: Path, path: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    """Name a file's kind, refusing files outside the repository and unrecognised places."""
    absolute = path if path.is_absolute() else (Path.cwd() / path)
    try:
        relative = absolute.absolute().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = None
    display = relative or str(path)
    if relative is None:
        return None, error(display, "outside-repository", f"file is outside the handbook repository {root}")
    if absolute.is_symlink() or not _inside(root, absolute):
        return None, error(display, "symlink", "symbolic links are not followed; commit the file itself")
    if absolute.suffix == ".yml":
        return None, error(display, "wrong-extension", "use the .yaml extension")
    if not absolute.is_file():
        return None, None
    kind = kind_of(relative)
    if kind is None:
        if relative.startswith("site_config/"):
            return None, None  # templates and other settings files are not data
        return None, error(display, "unknown-kind", "not a place where the handbook keeps data files "
                           "(rubrics/dimensions/, rubrics/metrics/, rubrics/composite.yaml, levels/, packets/)")
    return SourceFile(absolute, relative, kind), None


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True
