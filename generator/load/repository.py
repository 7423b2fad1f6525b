"""Which files make up a handbook repository, and what kind each one is."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from ..model.diagnostics import Diagnostic, error

# Order matters: the first pattern that matches names the kind.
KIND_PATTERNS: tuple[tuple[str, str], ...] = (
    ("settings", "site_config/handbook.yaml"),
    ("composite", "rubrics/composite.yaml"),
    ("dimension", "rubrics/dimensions/*.yaml"),
    ("metric", "rubrics/metrics/*.yaml"),
    ("level", "levels/*.yaml"),
    ("assignments", "packets/*/assignments.yaml"),  # a cycle's reviewer assignments (`handbook assign`)
    ("review", "packets/*.reviews/*.yaml"),  # one reviewer's file beside a packet (see reviews.py)
    ("review", "packets/**/*.reviews/*.yaml"),
    ("packet", "packets/*.yaml"),
    ("packet", "packets/**/*.yaml"),
)
SEARCHED_FOLDERS = ("site_config", "rubrics", "levels", "packets")
SETTINGS_FILE = "site_config/handbook.yaml"
ROOT_FILES = ("mkdocs.yml",)  # files at the root that the tool reads besides the data folders
# A packet's file name becomes its page's address (packets/<name>/): lowercase ASCII letters, digits
# and single hyphens, so no name can end a URL early (?, #), be decoded twice (%20) or break Markdown
# links ()). Names of pages the site always has are reserved.
PACKET_NAME_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PACKET_NAME_MAX = 80
RESERVED_PACKET_NAMES = frozenset({"index", "assignments"})
_UNKNOWN_PLACE = (
    "not a place where the handbook keeps data files "
    "(rubrics/dimensions/, rubrics/metrics/, rubrics/composite.yaml, levels/, packets/, "
    "packets/**/<slug>.reviews/)"
)


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


def discover(root: Path, packets_root: Path | None = None) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every YAML file of the handbook under `root`, sorted, with problems found on the way.
    With `packets_root` (a packets repository), packets/ is read from there instead.

    Walks without following symbolic links, so everything found lies inside the repository;
    links themselves are reported, never read."""
    files: list[SourceFile] = []
    problems: list[Diagnostic] = []
    handbook_root = root.resolve()
    for folder in SEARCHED_FOLDERS:
        root = (packets_root or handbook_root).resolve() if folder == "packets" else handbook_root
        base = root / folder
        if not base.is_dir() or base.is_symlink():
            if base.is_symlink():
                problems.append(error(folder, "symlink", "symbolic links are not followed; commit the folder itself"))
            continue
        for directory, subfolders, names in os.walk(base):
            relative_dir = Path(directory).relative_to(root).as_posix()
            for name in sorted(subfolders):
                if os.path.islink(os.path.join(directory, name)):
                    problems.append(
                        error(
                            f"{relative_dir}/{name}",
                            "symlink",
                            "symbolic links are not followed; commit the folder itself",
                        )
                    )
            for name in names:
                source, problem = _classify_found(root, directory, relative_dir, name)
                if problem:
                    problems.append(problem)
                elif source:
                    files.append(source)
                    problems.extend(file_name_problems(source))
    for name in ROOT_FILES:  # read by other stages (the site's settings): never through a link out of the repository
        if os.path.islink(handbook_root / name):
            problems.append(error(name, "symlink", "symbolic links are not followed; commit the file itself"))
    files.sort(key=lambda f: f.display)
    problems.sort(key=lambda d: d.file)
    return files, problems


def _classify_found(
    root: Path, directory: str, relative_dir: str, name: str
) -> tuple[SourceFile | None, Diagnostic | None]:
    full = os.path.join(directory, name)
    relative = f"{relative_dir}/{name}"
    is_link = os.path.islink(full)
    if not (name.endswith((".yaml", ".yml")) or is_link):
        return None, None
    if is_link:
        return None, error(relative, "symlink", "symbolic links are not followed; commit the file itself")
    if name.endswith(".yml"):
        return None, error(relative, "wrong-extension", "use the .yaml extension")
    kind = kind_of(relative)
    if kind is None:
        if relative.startswith("site_config/"):
            return None, None
        return None, error(relative, "unknown-kind", _UNKNOWN_PLACE)
    return SourceFile(Path(full), relative, kind), None


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
        return None, error(display, "unknown-kind", _UNKNOWN_PLACE)
    return SourceFile(absolute, relative, kind), None


def file_name_problems(source: SourceFile) -> list[Diagnostic]:
    """A packet whose file name cannot be a page address, with the name to rename it to."""
    if source.kind != "packet":
        return []
    stem = source.display.rsplit("/", 1)[-1].removesuffix(".yaml")
    fix = packet_file_stem(stem)
    if stem in RESERVED_PACKET_NAMES:
        return [
            error(
                source.display,
                "reserved-file-name",
                f"a packet cannot be named '{stem}.yaml': the site's "
                f"page packets/{stem}/ is the example gallery; rename it to {stem}-packet.yaml",
            )
        ]
    if not PACKET_NAME_PATTERN.fullmatch(stem) or len(stem) > PACKET_NAME_MAX:
        return [
            error(
                source.display,
                "file-name",
                f"packet file name '{stem}.yaml' cannot be a page address: use "
                f"lowercase letters, digits and single hyphens (at most {PACKET_NAME_MAX} characters); "
                f"rename it to {fix}.yaml",
            )
        ]
    return []


def packet_file_stem(text: str) -> str:
    """The closest valid packet file name to `text` (what a rename should use)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:PACKET_NAME_MAX].rstrip("-")
    stem = stem or "packet"
    return f"{stem}-packet" if stem in RESERVED_PACKET_NAMES else stem


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True
