"""The validate stage: load every file, check schemas, build the model, check cross-references."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import rules, schema_check
from .assemble import build_handbook
from .diagnostics import Diagnostic, error
from .loader import Document, load_file
from .model import Handbook
from .repository import SourceFile, classify, discover

REQUIRED_FILES = {"settings": "site_config/handbook.yaml", "composite": "rubrics/composite.yaml"}


@dataclass(frozen=True)
class Report:
    files_checked: int
    diagnostics: tuple[Diagnostic, ...]
    handbook: Handbook

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))


def validate_repository(root: Path, only: list[Path] | None = None, today: date | None = None) -> Report:
    """Validate the repository at `root`. With `only`, report just those files' problems, still
    checked against the whole model."""
    today = today or date.today()
    sources, problems = discover(root)
    selected: set[str] | None = None
    if only is not None:
        selected = set()
        for path in only:
            source, problem = classify(root, path)
            if problem:
                problems.append(problem)
                selected.add(problem.file)
            elif source:
                selected.add(source.display)
                if source.display not in {s.display for s in sources}:
                    sources.append(source)
    documents, diagnostics = _load_and_check(sources)
    diagnostics = problems + diagnostics + _missing_required(sources)
    loaded = {doc.path for _, doc, _ in documents}
    # A file that could not be loaded still declares its id through its name: no cascade of "unknown id".
    unloadable = [(s.kind, {"id": s.path.stem}) for s in sources if s.display not in loaded]
    handbook = build_handbook(
        ((kind, doc.path, doc.data) for kind, doc, ok in documents if ok),
        [*((kind, doc.data) for kind, doc, _ in documents), *unloadable])
    by_file = {doc.path: doc for _, doc, _ in documents}
    for finding in rules.check_all(handbook, today):
        doc = by_file.get(finding.file)
        diagnostics.append(doc.locate(finding) if doc else finding)
    if selected is not None:
        diagnostics = [d for d in diagnostics if d.file in selected]
    checked = len(selected) if selected is not None else len(sources)
    ordered = tuple(sorted(dict.fromkeys(diagnostics), key=Diagnostic.sort_key))
    return Report(checked, ordered, handbook)


def _load_and_check(sources: list[SourceFile]) -> tuple[list[tuple[str, Document, bool]], list[Diagnostic]]:
    documents: list[tuple[str, Document, bool]] = []
    diagnostics: list[Diagnostic] = []
    for source in sources:
        loaded = load_file(source.path, source.display)
        diagnostics.extend(loaded.diagnostics)
        if loaded.document is None:
            continue
        schema_problems = schema_check.check(loaded.document, source.kind)
        diagnostics.extend(schema_problems)
        clean = not schema_problems and not any(d.severity == "error" for d in loaded.diagnostics)
        documents.append((source.kind, loaded.document, clean))
    return documents, diagnostics


def _missing_required(sources: list[SourceFile]) -> list[Diagnostic]:
    present = {s.kind for s in sources}
    return [error(file, "missing-file", f"required file {file} is missing")
            for kind, file in REQUIRED_FILES.items() if kind not in present]
