"""The validate stage: load every file, check schemas, build the model, check cross-references."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Mapping

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


@dataclass(frozen=True)
class Loaded:
    """What loading gives, before any rule runs: the files, their load and schema problems, and
    the model of everything well-formed (a partial model when some files are broken)."""

    root: Path
    files_checked: int
    diagnostics: tuple[Diagnostic, ...]
    handbook: Handbook
    documents: Mapping[str, Document] = field(default_factory=dict, repr=False)
    salvaged: Mapping[str, Salvaged] = field(default_factory=dict, repr=False)
    selected: frozenset[str] | None = None  # with `only`: the files whose problems are reported
    separate: bool = False  # packets come from a packets repository


def load(root: Path, only: list[Path] | None = None, cache: ResultCache | None = None,
         workers: int | None = None, progress: Callable[[str], None] | None = None,
         packets_root: Path | None = None, versions: bool = True) -> Loaded:
    """Load the repository at `root`: sources, documents, load and schema diagnostics, and the
    (partial) model. No rule runs and no clock is read. With `only`, just those files' problems are
    reported, still checked against the whole model; packets it does not name are not even read.

    With `packets_root` (a packets repository), packets come from there and everything else from
    the handbook at `root`. With `versions`, the handbooks at the criteria versions packets pin are
    loaded from git (with `load` alone) so that `check` can judge each packet by its version."""
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
    if versions:
        handbook = with_pinned(handbook, resolve_pinned(root, handbook, {p.criteria_version for p in handbook.packets}))
    diagnostics = team_firewall(diagnostics, documents, handbook)
    files_checked = len(selected) if selected is not None else len(sources)
    if only is None and packets_root is None:
        diagnostics += check_published_aggregates(root)
        team_problems, team_files = check_team_folder(root)
        diagnostics += team_problems
        files_checked += team_files
    return Loaded(root, files_checked, tuple(diagnostics), handbook,
                  {doc.path: doc for _, doc, _ in documents}, salvaged,
                  frozenset(selected) if selected is not None else None, packets_root is not None)


def check(loaded: Loaded, today: date) -> Report:
    """Run every rule on the loaded model (each packet against the criteria version it pins) and
    give the report: load, schema and rule problems, located in their files, one per value."""
    handbook = loaded.handbook
    diagnostics = list(loaded.diagnostics)
    findings = check_pinned(handbook, rules.check_all(handbook, today), today, rules.check_all)
    findings += layout_warnings(handbook, separate=loaded.separate)
    for finding in findings:
        if finding.file in loaded.salvaged and loaded.salvaged[finding.file].hides(finding):
            continue  # the schema check already reported this value: one mistake, one message
        doc = loaded.documents.get(finding.file)
        diagnostics.append(doc.locate(finding) if doc else finding)
    if loaded.selected is not None:
        diagnostics = [d for d in diagnostics if d.file in loaded.selected]
    ordered = tuple(sorted(_one_per_value(dict.fromkeys(diagnostics)), key=Diagnostic.sort_key))
    return Report(loaded.files_checked, ordered, handbook, frozenset(loaded.salvaged))


def validate_repository(root: Path, only: list[Path] | None = None, today: date | None = None,
                        cache: ResultCache | None = None, workers: int | None = None,
                        progress: Callable[[str], None] | None = None,
                        packets_root: Path | None = None) -> Report:
    """`load` then `check`: the report on the repository at `root` (see `load` for the arguments)."""
    return check(load(root, only, cache, workers, progress, packets_root), today or date.today())


def _one_per_value(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
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


def check_team_folder(root: Path) -> tuple[list[Diagnostic], int]:
    from .check.teams import team_folder_problems

    return team_folder_problems(root)


def team_firewall(diagnostics: list[Diagnostic], documents: list[tuple[str, Document, bool]],
                  handbook: Handbook) -> list[Diagnostic]:
    """A packet stating a DORA or SLO figure as the person's own: one clear error in place of 'unknown key'."""
    from .check.teams import packet_figure_problems

    found = packet_figure_problems({doc.path: doc for _, doc, _ in documents},
                                   {doc.path: kind for kind, doc, _ in documents}, (m.id for m in handbook.metrics))
    if not found:
        return diagnostics
    places = {(d.file, d.line, d.column) for d in found}
    return [d for d in diagnostics if (d.file, d.line, d.column) not in places
            or not d.code.startswith("schema-")] + found


def explain_outdated_packets(report: Report) -> Report:
    """Add to each 'version behind' warning what changed since for the packet's target level."""
    from .semantic_diff import SemanticDiff, diff_handbooks

    if not any(d.code == "version-behind" for d in report.diagnostics):
        return report
    packets = {p.file: p for p in report.handbook.packets}
    diffs: dict[str, SemanticDiff | None] = {}
    updated = []
    for diagnostic in report.diagnostics:
        packet = packets.get(diagnostic.file)
        if diagnostic.code == "version-behind" and packet:
            pinned = report.handbook.pinned.get(packet.criteria_version)
            if packet.criteria_version not in diffs:
                diffs[packet.criteria_version] = diff_handbooks(pinned, report.handbook) if pinned else None
            since = diffs[packet.criteria_version]
            changes = since.for_level(packet.target_level) if since else None
            judged = (f"it is checked and scored against {packet.criteria_version}, as pinned (`handbook repin` "
                      "moves it)" if pinned else f"criteria {packet.criteria_version} are not in the handbook's "
                      "history (no tag criteria-v" + packet.criteria_version + " and no commit declaring it): "
                      "it is checked against the current criteria")
            message = f"{diagnostic.message}; {judged}"
            if changes is not None:
                listed = "; ".join(f"{c.action} {c.subject}" for c in changes[:8]) or "nothing"
                extra = f" (+{len(changes) - 8} more)" if len(changes) > 8 else ""
                message += f"; changed since for {packet.target_level}: {listed}{extra}"
            diagnostic = replace(diagnostic, message=message)
        updated.append(diagnostic)
    return replace(report, diagnostics=tuple(updated))
