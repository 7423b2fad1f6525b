"""The validate stage: load every file, check schemas, build the model, check cross-references."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from . import rules
from .partial import Salvaged, salvage
from .assemble import build_handbook
from .batch import check_files
from .cache import ResultCache
from .diagnostics import Diagnostic, error
from .loader import Document
from .model import Handbook
from .pinned import check_pinned, resolve_pinned, with_pinned
from .repository import SourceFile, classify, discover, file_name_problems

REQUIRED_FILES = {"settings": "site_config/handbook.yaml"}  # rubrics/composite.yaml is optional


@dataclass(frozen=True)
class Report:
    files_checked: int
    diagnostics: tuple[Diagnostic, ...]
    handbook: Handbook
    partial: frozenset[str] = frozenset()  # files in the model only in part: they have schema errors

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))


def validate_repository(root: Path, only: list[Path] | None = None, today: date | None = None,
                        cache: ResultCache | None = None, workers: int | None = None,
                        progress: Callable[[str], None] | None = None,
                        packets_root: Path | None = None) -> Report:
    """Validate the repository at `root`. With `only`, report just those files' problems, still
    checked against the whole model. No rule reports a problem in one file because of a packet
    other than itself, so with `only`, packets it does not name are not even read.

    With `packets_root` (a packets repository), packets come from there and everything else from
    the handbook at `root`. Each packet is checked against the criteria version it pins."""
    today = today or date.today()
    sources, problems = discover(root, packets_root)
    selected: set[str] | None = None
    if only is not None:
        selected = set()
        known = {s.display for s in sources}
        for path in only:
            source, problem = classify(_owner(root, packets_root, path), path)
            if problem:
                problems.append(problem)
                selected.add(problem.file)
            elif source:
                selected.add(source.display)
                if source.display not in known:
                    known.add(source.display)
                    sources.append(source)
                    problems.extend(file_name_problems(source))
    if selected is not None:
        sources = _only_selected(sources, selected)
    documents, diagnostics = _load_and_check(sources, cache, workers, progress)
    diagnostics = problems + diagnostics + _missing_required(sources)
    loaded = {doc.path for _, doc, _ in documents}
    # A file that could not be loaded still declares its id through its name: no cascade of "unknown id".
    unloadable = [(s.kind, {"id": s.path.stem}) for s in sources if s.display not in loaded]
    # A file with schema errors still takes part where it is well-formed: its rules run on the rest.
    salvaged: dict[str, Salvaged] = {}
    for kind, doc, ok in documents:
        if not ok and (part := salvage(doc.data, kind)) is not None:
            salvaged[doc.path] = part
    handbook = build_handbook(
        [(kind, doc.path, doc.data if ok else salvaged[doc.path].data)
         for kind, doc, ok in documents if ok or doc.path in salvaged],
        [*((kind, doc.data) for kind, doc, _ in documents), *unloadable])
    handbook = with_pinned(handbook, resolve_pinned(root, handbook, {p.criteria_version for p in handbook.packets}))
    by_file = {doc.path: doc for _, doc, _ in documents}
    findings = check_pinned(handbook, rules.check_all(handbook, today), today, rules.check_all)
    findings += layout_warnings(handbook, separate=packets_root is not None)
    findings += check_published_aggregates(root) if only is None and packets_root is None else []
    for finding in findings:
        if finding.file in salvaged and salvaged[finding.file].hides(finding):
            continue  # the schema check already reported this value: one mistake, one message
        doc = by_file.get(finding.file)
        diagnostics.append(doc.locate(finding) if doc else finding)
    if selected is not None:
        diagnostics = [d for d in diagnostics if d.file in selected]
    checked = len(selected) if selected is not None else len(sources)
    ordered = tuple(sorted(_one_per_value(dict.fromkeys(diagnostics)), key=Diagnostic.sort_key))
    return Report(checked, ordered, handbook, frozenset(salvaged))


def _one_per_value(diagnostics) -> list[Diagnostic]:
    """A value the loader already explained (`yes` read as a boolean) gets no second, schema message."""
    explained = {(d.file, d.line, d.column) for d in diagnostics if d.code == "ambiguous-scalar"}
    return [d for d in diagnostics if not (d.code.startswith("schema-") and (d.file, d.line, d.column) in explained)]


def _only_selected(sources: list[SourceFile], selected: set[str]) -> list[SourceFile]:
    """Packets named, with their review files, and the packet of every review named."""
    packets = selected | {s.display.rsplit("/", 1)[0].removesuffix(".reviews") + ".yaml"
                          for s in sources if s.kind == "review" and s.display in selected}
    return [s for s in sources
            if (s.kind == "packet" and s.display in packets)
            or (s.kind == "review" and (s.display in selected
                                        or s.display.rsplit("/", 1)[0].removesuffix(".reviews") + ".yaml" in packets))
            or s.kind not in ("packet", "review")]


def _load_and_check(sources: list[SourceFile], cache: ResultCache | None, workers: int | None,
                    progress: Callable[[str], None] | None) -> tuple[list[tuple[str, Document, bool]], list[Diagnostic]]:
    documents: list[tuple[str, Document, bool]] = []
    diagnostics: list[Diagnostic] = []
    for checked in check_files(sources, cache, workers, progress):
        diagnostics.extend(checked.diagnostics)
        if checked.document is not None:
            documents.append((checked.source.kind, checked.document, checked.clean))
    return documents, diagnostics


def _missing_required(sources: list[SourceFile]) -> list[Diagnostic]:
    present = {s.kind for s in sources}
    return [error(file, "missing-file", f"required file {file} is missing")
            for kind, file in REQUIRED_FILES.items() if kind not in present]


def _owner(root: Path, packets_root: Path | None, path: Path) -> Path:
    """The repository a named file belongs to: the packets repository for its files, else the handbook."""
    if packets_root is not None:
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            absolute.absolute().relative_to(packets_root.absolute())
            return packets_root
        except ValueError:
            pass
    return root


def layout_warnings(handbook: Handbook, separate: bool) -> list[Diagnostic]:
    from .packets_repo import private_packets_warning

    return private_packets_warning(handbook, separate)


def check_published_aggregates(root: Path) -> list[Diagnostic]:
    from .aggregates import check_published

    return check_published(root)
